/**
 * The Node server (serveEnvs) hosting the TypeScript pixel env, driven through
 * the same client and the same bad-input checks as the Python server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../../common/errors.ts';
import type { NdArray } from '../../../common/ndarray.ts';
import { RemoteEnv, RemoteVectorEnv } from '../../../envs/bridge/client.ts';
import { Connection } from '../../../envs/bridge/connection.ts';
import { serveEnvs } from '../../../envs/bridge/node_server.ts';
import type { EnvServer } from '../../../envs/bridge/node_server.ts';
import { PixelEnv } from './pixel_env.ts';
import { checkBadInput, float32 } from './raw.ts';

const made: PixelEnv[] = [];
function makeEnv(id: string, kwargs: Record<string, unknown>): PixelEnv {
  if (id !== 'pixel') throw new Error(`no env "${id}" here; expected "pixel"`);
  const env = new PixelEnv({ size: kwargs.size as number, episodeLength: kwargs.episode_length as number, discrete: kwargs.discrete === true });
  made.push(env);
  return env;
}

let server: EnvServer;

beforeAll(async () => {
  server = await serveEnvs({ bind: 'tcp://127.0.0.1:0', makeEnv, copies: 3, defaultEnvId: 'pixel' });
});

afterAll(async () => {
  await server?.close();
});

const red = (obs: unknown, index = 0) => (obs as NdArray).data[index];

describe('Node server', () => {
  it('binds a free port and serves RemoteEnv: reset, step, truncation, render, close', async () => {
    expect(server.endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    const hello = new Connection(server.endpoint, { timeoutMs: 5000 });
    expect(await hello.request({ cmd: 'hello' }, 'hello')).toMatchObject({ ok: true, server: 'node', protocol: 1, default_env: 'pixel', copies: 3 });
    hello.close();
    const env = await RemoteEnv.connect<NdArray, NdArray>({ endpoint: server.endpoint, envId: 'pixel', kwargs: { size: 6, episode_length: 2 }, timeoutMs: 5000 });
    const served = made[made.length - 1];
    expect(String(env.observationSpace)).toBe('Box(0, 255, [6,6,3], uint8)');
    expect(String(env.actionSpace)).toBe('Box(-1, 1, [2], float32)');
    const first = await env.reset({ seed: 5 });
    expect(Array.from((await env.reset({ seed: 5 })).obs.data)).toEqual(Array.from(first.obs.data));
    expect(first.info.position).toHaveLength(2);
    const steps = [await env.step(float32(1, 0)), await env.step(float32(0, -1))];
    expect(steps.map((s) => red(s.obs))).toEqual([1, 2]);
    expect(steps.map((s) => s.truncated)).toEqual([false, true]);
    expect(Array.from((await env.render()).data)).toEqual(Array.from(steps[1].obs.data));
    await env.close();
    expect(served.closed).toBe(true);
  });

  it('serves the default env with the default number of copies, in both autoreset modes', async () => {
    const nextStep = await RemoteVectorEnv.connect<NdArray, number[]>({ endpoint: server.endpoint, envId: '', kwargs: { size: 4, episode_length: 1, discrete: true } });
    try {
      expect([nextStep.numEnvs, nextStep.autoresetMode]).toEqual([3, 'next-step']);
      await nextStep.reset({ seed: 1 });
      const end = await nextStep.step([1, 2, 3]);
      expect(Array.from(end.truncated)).toEqual([1, 1, 1]);
      expect(red(end.obs)).toBe(1);
      const after = await nextStep.step([1, 2, 3]);
      expect([red(after.obs), ...after.rewards]).toEqual([0, 0, 0, 0]);
    } finally {
      await nextStep.close();
    }
    const sameStep = await RemoteVectorEnv.connect<NdArray, NdArray>({
      endpoint: server.endpoint,
      envId: 'pixel',
      kwargs: { size: 4, episode_length: 1 },
      numEnvs: 2,
      autoresetMode: 'same-step',
    });
    try {
      await sameStep.reset({ seed: [1, 2] });
      const end = await sameStep.step({ dtype: 'float32', shape: [2, 2], data: new Float32Array(4) });
      expect(red(end.obs)).toBe(0);
      expect((end.infos[0].final_obs as NdArray).data[0]).toBe(1);
      expect(end.infos[0].final_info).toEqual({ steps: 1 });
    } finally {
      await sameStep.close();
    }
  });

  it('keeps every reply its own frames while it reuses its batch buffers', async () => {
    const vector = await RemoteVectorEnv.connect<NdArray, number[]>({ endpoint: server.endpoint, envId: 'pixel', kwargs: { size: 4, episode_length: 100, discrete: true }, numEnvs: 2 });
    try {
      const replies = [(await vector.reset({ seed: 1 })).obs];
      for (let step = 0; step < 5; step++) replies.push((await vector.step([1, 2])).obs);
      // Pixel (0, 0) of each copy holds its step count: every reply still shows its own.
      const frame = 4 * 4 * 3;
      expect(replies.map((obs) => [red(obs), red(obs, frame)])).toEqual([0, 1, 2, 3, 4, 5].map((t) => [t, t]));
    } finally {
      await vector.close();
    }
  });

  it('answers an env id the factory refuses with the factory message', async () => {
    await expect(RemoteEnv.connect({ endpoint: server.endpoint, envId: 'dmc:nothing' })).rejects.toThrow(/command "make": Error: no env "dmc:nothing" here/);
  });

  it('answers every kind of bad input with an error and keeps serving', async () => {
    await checkBadInput(server.endpoint, { envId: 'pixel', kwargs: { size: 4 } }, { envId: 'pixel', kwargs: { size: 4, discrete: true } });
  });

  it('serves over ipc, and a closed server gives a timeout error naming env and command', async () => {
    const endpoint = `ipc://${join(tmpdir(), `rad-bridge-node-${process.pid}.sock`)}`;
    const local = await serveEnvs({ bind: endpoint, makeEnv });
    const env = await RemoteEnv.connect<NdArray, NdArray>({ endpoint, envId: 'pixel', kwargs: { size: 4 }, timeoutMs: 600 });
    try {
      await env.reset();
      await local.close();
      const started = Date.now();
      await expect(env.step(float32(0, 0))).rejects.toThrow(/remote env "pixel".*command "step".*no reply .* within 600 ms/);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await env.close();
      await local.close();
      rmSync(endpoint.slice('ipc://'.length), { force: true });
    }
  });

  it('fails to connect within seconds where no server listens, even with a long make timeout', async () => {
    const endpoint = `ipc://${join(tmpdir(), `rad-bridge-nobody-${process.pid}.sock`)}`;
    const started = Date.now();
    const connecting = RemoteEnv.connect({ endpoint, envId: 'pixel', timeoutMs: 800, makeTimeoutMs: 600_000 });
    await expect(connecting).rejects.toThrow(/remote env "pixel".*command "hello": no reply from .* within 800 ms/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('makes the env again on reset after the server was replaced', async () => {
    const endpoint = `ipc://${join(tmpdir(), `rad-bridge-node-replaced-${process.pid}.sock`)}`;
    let local = await serveEnvs({ bind: endpoint, makeEnv });
    const env = await RemoteEnv.connect<NdArray, NdArray>({ endpoint, envId: 'pixel', kwargs: { size: 4 }, timeoutMs: 3000 });
    try {
      await env.reset();
      await local.close();
      local = await serveEnvs({ bind: endpoint, makeEnv });
      // The new server does not know the handle; or, when the step left before the client saw
      // the old connection close (a busy machine), it went down with that connection. Either
      // way a clear error, and the next reset starts afresh.
      await expect(env.step(float32(0, 0))).rejects.toThrow(/command "step": (unknown env handle 1|no reply from .* within 3000 ms)/);
      await env.reset();
      expect(red((await env.step(float32(0, 0))).obs)).toBe(1);
    } finally {
      await env.close();
      await local.close();
      rmSync(endpoint.slice('ipc://'.length), { force: true });
    }
  });

  it('checks its options', async () => {
    await expect(serveEnvs({ bind: 'tcp://127.0.0.1:0', makeEnv, copies: 0 })).rejects.toThrow(/copies must be a positive integer, got 0/);
    await expect(serveEnvs({ bind: 'localhost:5555', makeEnv })).rejects.toThrow(/bind endpoint "localhost:5555": expected tcp:\/\/host:port/);
    await expect(serveEnvs({ bind: 'tcp://127.0.0.1:99999', makeEnv })).rejects.toThrow(/"tcp:\/\/127\.0\.0\.1:99999": a tcp endpoint needs a port from 0 to 65535/);
    await expect(serveEnvs({ bind: 'tcp://999.0.0.1:5555', makeEnv })).rejects.toThrow(/cannot bind tcp:\/\/999\.0\.0\.1:5555: /);
    expect(() => new Connection('localhost:5555')).toThrow(/endpoint "localhost:5555": expected tcp:\/\/host:port/);
    expect(() => new Connection('tcp://127.0.0.1:99999')).toThrow(InputError);
    expect(() => new Connection('tcp://127.0.0.1')).toThrow(/a tcp endpoint needs a port from 0 to 65535/);
    for (const good of ['tcp://127.0.0.1:5555', 'tcp://[::1]:65535', 'ipc:///tmp/x.sock']) expect(() => new Connection(good).close()).not.toThrow();
  });
});
