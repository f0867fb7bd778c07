/** DmcEnv's frames: shape, determinism byte for byte, camera choice, appearance modes per episode. */
import { afterEach, describe, expect, it } from 'vitest';
import type { DmcEnv } from '../../../envs/dmc/env.ts';
import { loadDmcEnv } from '../../../envs/dmc/suite.ts';

const opened: DmcEnv[] = [];
async function open(id: string, options = {}): Promise<DmcEnv> {
  const env = await loadDmcEnv(id, options);
  opened.push(env);
  return env;
}
afterEach(async () => {
  for (const env of opened.splice(0)) await env.close();
});

async function frames(env: DmcEnv, seed: number, steps: number): Promise<Uint8Array[]> {
  await env.reset({ seed });
  const result = [Uint8Array.from((await env.render()).data)];
  for (let i = 0; i < steps; i++) {
    await env.step(Float32Array.from({ length: env.actionSpace.size }, (_, j) => Math.cos(3 * i + j)));
    result.push(Uint8Array.from((await env.render()).data));
  }
  return result;
}

function differingBytes(a: Uint8Array, b: Uint8Array): number {
  let count = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) count += 1;
  return count;
}

describe('DmcEnv.render', () => {
  it('gives the same frames, byte for byte, for the same seed, and moving frames as the state moves', async () => {
    const size = { width: 32, height: 32 };
    const env = await open('reacher-easy', size);
    const first = await frames(env, 3, 3);
    const other = await frames(env, 4, 0);
    expect(differingBytes(first[0], other[0])).toBeGreaterThan(0);
    expect(differingBytes(first[0], first[3])).toBeGreaterThan(0);
    // Again in the same env (after another episode), and in a fresh env.
    expect(await frames(env, 3, 3)).toEqual(first);
    expect(await frames(await open('reacher-easy', size), 3, 3)).toEqual(first);
  });

  it('renders uint8 [height, width, 3] frames from camera 0 by default, or the camera the option names (-1: the free camera)', async () => {
    const size = { width: 64, height: 48 };
    const first = await open('cartpole-swingup', size);
    const fixed = await open('cartpole-swingup', { ...size, camera: 'fixed' });
    const other = await open('cartpole-swingup', { ...size, camera: 'lookatcart' });
    const free = await open('cartpole-swingup', { ...size, camera: -1 });
    for (const env of [fixed, first, other, free]) await env.reset({ seed: 0 });
    expect(differingBytes((await free.render()).data, (await first.render()).data)).toBeGreaterThan(1000);
    const frame = await first.render();
    expect(frame.dtype).toBe('uint8');
    expect(frame.shape).toEqual([48, 64, 3]);
    expect((await fixed.render()).data).toEqual(frame.data);
    expect(differingBytes((await other.render()).data, (await first.render()).data)).toBeGreaterThan(1000);
  });

  it('draws a new appearance per episode from its own stream, leaving the task untouched', async () => {
    const plain = await open('cartpole-swingup');
    const coloured = await open('cartpole-swingup', { appearance: 'color_hard' });
    const plainStart = await plain.reset({ seed: 9 });
    const colouredStart = await coloured.reset({ seed: 9 });
    // Same task stream: the appearance draws do not shift the initial state.
    expect(colouredStart.obs).toEqual(plainStart.obs);
    const firstLook = coloured.currentAppearance;
    const firstFrame = Uint8Array.from((await coloured.render()).data);
    expect(differingBytes(firstFrame, (await plain.render()).data)).toBeGreaterThan(1000);
    await coloured.reset();
    expect(coloured.currentAppearance).not.toEqual(firstLook);
    // The same seed draws the same appearance again.
    await coloured.reset({ seed: 9 });
    expect(coloured.currentAppearance).toEqual(firstLook);
    expect((await coloured.render()).data).toEqual(firstFrame);
  });

  it('rejects an unknown appearance mode', async () => {
    await expect(loadDmcEnv('reacher-easy', { appearance: 'sepia' })).rejects.toThrow(/appearance must be one of .*color_easy.*got "sepia"/);
  });
});
