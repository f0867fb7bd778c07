/**
 * The backend chooser: the fallback where the optional tfjs-node packages are absent
 * (as on the machines this project is tested on), the native path where one is
 * importable, forcing each backend, RAD_BACKEND, and clear errors for bad requests.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { describeBackend, setupBackend, type BackendRequest } from '../../../agents/tf/backend.ts';

async function importable(name: string): Promise<boolean> {
  try {
    const specifier: string = name;
    await import(specifier);
    return true;
  } catch {
    return false;
  }
}

const nativeAvailable = (await importable('@tensorflow/tfjs-node-gpu')) || (await importable('@tensorflow/tfjs-node'));

afterEach(() => {
  delete process.env.RAD_BACKEND;
  delete process.env.RAD_THREADS;
});

describe('setupBackend', () => {
  it.skipIf(nativeAvailable)('auto falls back to wasm, saying why, where tfjs-node is absent', async () => {
    const info = await setupBackend('auto', { threads: 1 });
    expect(info).toMatchObject({ name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', threads: 1 });
    expect(tf.getBackend()).toBe('wasm');
    expect(info.notes.join('\n')).toContain('@tensorflow/tfjs-node-gpu not usable');
    expect(info.notes.join('\n')).toContain('@tensorflow/tfjs-node not usable');
  });

  it.skipIf(nativeAvailable)('an explicit tensorflow request fails and says how to install it', async () => {
    const failure = setupBackend('tensorflow', { threads: 1 });
    await expect(failure).rejects.toThrow(/backend 'tensorflow'.*@tensorflow\/tfjs-node.*allowScripts.*TFJS_NODE_CDN_STORAGE/s);
  });

  it.runIf(nativeAvailable)('auto and an explicit request pick the native tensorflow backend where it is importable', async () => {
    const info = await setupBackend('auto', { threads: 1 });
    expect(info.name).toBe('tensorflow');
    expect(tf.getBackend()).toBe('tensorflow');
    const sum = tf.sum(tf.conv2d(tf.ones([1, 5, 5, 2]) as tf.Tensor4D, tf.ones([3, 3, 2, 1]) as tf.Tensor4D, 1, 'valid'));
    expect(sum.dataSync()[0]).toBe(162);
    expect((await setupBackend('tensorflow', { threads: 1 })).name).toBe('tensorflow');
  });

  it.each(['cpu', 'wasm'] as const)('forces %s', async (name) => {
    const info = await setupBackend(name, { threads: 1 });
    expect(info.name).toBe(name);
    expect(tf.getBackend()).toBe(name);
    expect(describeBackend()).toContain(name);
    const y = tf.conv2d(tf.ones([1, 4, 4, 1]) as tf.Tensor4D, tf.ones([2, 2, 1, 1]) as tf.Tensor4D, 1, 'valid');
    expect(Array.from(y.dataSync())).toEqual(new Array(9).fill(4));
    y.dispose();
  });

  it('is idempotent: the same request returns the same info', async () => {
    const first = await setupBackend('wasm', { threads: 1 });
    const second = await setupBackend('wasm', { threads: 1 });
    expect(second).toBe(first);
  });

  it('takes RAD_BACKEND when no backend is given, and an argument over it', async () => {
    process.env.RAD_BACKEND = 'cpu';
    expect((await setupBackend(undefined, { threads: 1 })).name).toBe('cpu');
    expect((await setupBackend('wasm', { threads: 1 })).name).toBe('wasm');
    process.env.RAD_THREADS = '1';
    expect((await setupBackend()).name).toBe('cpu');
  });

  it('rejects an unknown backend name, from the argument or from RAD_BACKEND', async () => {
    await expect(setupBackend('gpu' as BackendRequest)).rejects.toThrow(
      'unknown backend "gpu" (setupBackend argument); expected one of: auto, tensorflow, wasm, cpu',
    );
    process.env.RAD_BACKEND = 'webgl';
    await expect(setupBackend()).rejects.toThrow('unknown backend "webgl" (environment variable RAD_BACKEND)');
  });

  it('rejects a bad thread count', async () => {
    await expect(setupBackend('wasm', { threads: 0 })).rejects.toThrow('threads must be an integer from 1 to 64 (setupBackend option threads), got 0');
    await expect(setupBackend('wasm', { threads: 1.5 })).rejects.toThrow('got 1.5');
    process.env.RAD_THREADS = 'two';
    await expect(setupBackend('wasm')).rejects.toThrow('(environment variable RAD_THREADS), got "two"');
  });

  it('leaves uncaught errors to Node: no handler from the wasm glue reprints its minified source', () => {
    const backend = new URL('../../../agents/tf/backend.ts', import.meta.url).href;
    const loader = new URL('../../../bin/typescript.mjs', import.meta.url).href;
    const script = `import { setupBackend } from '${backend}'; await setupBackend('wasm', { threads: 1 }); throw new Error('after wasm');`;
    const result = spawnSync(process.execPath, ['--import', loader, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Error: after wasm');
    expect(result.stderr).not.toContain('WasmBackendModule');
  });
});
