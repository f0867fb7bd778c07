/**
 * The real Python server (envs/bridge/python/server.py under an interpreter with
 * pyzmq and numpy) hosting pixel_env.py, driven through RemoteEnv and
 * RemoteVectorEnv.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NdArray } from '../../../common/ndarray.ts';
import { Box, Discrete } from '../../../envs/core.ts';
import { RemoteEnv, RemoteVectorEnv } from '../../../envs/bridge/client.ts';
import { Connection } from '../../../envs/bridge/connection.ts';
import { SERVER_SCRIPT, startPythonServer } from '../../../envs/bridge/python_server.ts';
import type { PythonServer } from '../../../envs/bridge/python_server.ts';
import { bridgePython } from './python.ts';
import { checkBadInput, float32 } from './raw.ts';

const here = dirname(fileURLToPath(import.meta.url));
const PIXEL = 'python/pixel_env:PixelEnv';
const servers: PythonServer[] = [];
let server: PythonServer;

async function start(options: Parameters<typeof startPythonServer>[0] = {}): Promise<PythonServer> {
  const started = await startPythonServer({ pythonPath: [here], ...options });
  servers.push(started);
  return started;
}

const { python, reason } = bridgePython();
const skipped = python ? '' : ` (skipped: ${reason})`;

beforeAll(async () => {
  if (python) server = await start();
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

const red = (obs: unknown, index = 0) => (obs as NdArray).data[index];

describe.skipIf(!python)(`Python server through RemoteEnv${skipped}`, () => {
  it('makes, resets with a seed reproducibly, steps, truncates and renders', async () => {
    const env = await RemoteEnv.connect<NdArray, NdArray>({ endpoint: server.endpoint, envId: PIXEL, kwargs: { size: 8, episode_length: 3 }, timeoutMs: 5000 });
    try {
      expect(env.observationSpace).toBeInstanceOf(Box);
      expect(String(env.observationSpace)).toBe('Box(0, 255, [8,8,3], uint8)');
      expect(String(env.actionSpace)).toBe('Box(-1, 1, [2], float32)');
      expect(env.metadata.renderFps).toBe(10);
      const first = await env.reset({ seed: 7 });
      const again = await env.reset({ seed: 7 });
      expect(Array.from(again.obs.data)).toEqual(Array.from(first.obs.data));
      expect((first.info.position as NdArray).dtype).toBe('float64');
      const other = await env.reset({ seed: 8 });
      expect(Array.from(other.obs.data)).not.toEqual(Array.from(first.obs.data));
      const results = [];
      for (let i = 0; i < 3; i++) results.push(await env.step(float32(0.5, -0.5)));
      expect(results.map((r) => red(r.obs))).toEqual([1, 2, 3]);
      expect(results.map((r) => r.truncated)).toEqual([false, false, true]);
      expect(results.every((r) => !r.terminated && r.reward <= 0)).toBe(true);
      expect(results[2].info).toEqual({ steps: 3 });
      const frame = await env.render();
      expect(frame.shape).toEqual([8, 8, 3]);
      expect(Array.from(frame.data)).toEqual(Array.from(results[2].obs.data));
      // An action outside the space fails here, before it is sent, naming the env.
      await expect(env.step(float32(0, 3))).rejects.toThrow(/pixel_env:PixelEnv.*outside/);
    } finally {
      await env.close();
    }
  });

  it('steps Discrete actions as integers', async () => {
    const env = await RemoteEnv.connect<NdArray, number>({ endpoint: server.endpoint, envId: PIXEL, kwargs: { size: 8, discrete: true, terminal_step: 2 } });
    try {
      expect(env.actionSpace).toBeInstanceOf(Discrete);
      await env.reset({ seed: 1 });
      expect((await env.step(2)).terminated).toBe(false);
      const end = await env.step(4);
      expect([end.terminated, end.truncated]).toEqual([true, false]);
    } finally {
      await env.close();
    }
  });

  it('answers a missing Python package, an unknown library and a failing env with errors naming them', async () => {
    for (const [envId, pattern] of [
      ['gymnasium/CartPole-v1', /"gymnasium\/CartPole-v1".*package "gymnasium"/],
      ['dm_control/cartpole-swingup', /package "dm_control"/],
      ['procgen/coinrun', /package "procgen"/],
      ['atari/pong', /unknown library "atari"/],
    ] as const) {
      await expect(RemoteEnv.connect({ endpoint: server.endpoint, envId, timeoutMs: 20_000 })).rejects.toThrow(pattern);
    }
    await expect(RemoteEnv.connect({ endpoint: server.endpoint, envId: 'python/pixel_env:Nothing' })).rejects.toThrow(/module "pixel_env" has no attribute "Nothing"/);
    // A class from a file path works as well as one from a module name.
    const byPath = await RemoteEnv.connect({ endpoint: server.endpoint, envId: `python/${join(here, 'pixel_env.py')}:PixelEnv`, kwargs: { size: 5 } });
    expect(String(byPath.observationSpace)).toBe('Box(0, 255, [5,5,3], uint8)');
    await byPath.close();
    const broken = await RemoteEnv.connect<NdArray, NdArray>({ endpoint: server.endpoint, envId: 'python/pixel_env:BrokenEnv' });
    await broken.reset();
    await expect(broken.step(float32(0, 0))).rejects.toThrow(/command "step": RuntimeError: the env broke on purpose/);
    await broken.close();
  });
});

describe.skipIf(!python)(`Python server through RemoteVectorEnv${skipped}`, () => {
  it('next-step autoreset: the step after the end returns the reset frame with reward 0', async () => {
    const vector = await RemoteVectorEnv.connect<NdArray, NdArray>({ endpoint: server.endpoint, envId: PIXEL, kwargs: { size: 8, episode_length: 2 }, numEnvs: 3 });
    try {
      expect([vector.numEnvs, vector.autoresetMode]).toEqual([3, 'next-step']);
      const reset = await vector.reset({ seed: 10 });
      expect(reset.obs.shape).toEqual([3, 8, 8, 3]);
      const actions = { dtype: 'float32' as const, shape: [3, 2], data: new Float32Array(6).fill(0.25) };
      const steps = [];
      for (let i = 0; i < 3; i++) steps.push(await vector.step(actions));
      const frameSize = 8 * 8 * 3;
      expect(steps.map((s) => red(s.obs, 2 * frameSize))).toEqual([1, 2, 0]);
      expect(Array.from(steps[1].truncated)).toEqual([1, 1, 1]);
      expect(Array.from(steps[2].rewards)).toEqual([0, 0, 0]);
      // Copy i is seeded with 10 + i: copies differ, and the same seed reproduces them.
      const again = await vector.reset({ seed: 10 });
      expect(Array.from(again.obs.data)).toEqual(Array.from(reset.obs.data));
      expect(Array.from(reset.obs.data.subarray(0, frameSize))).not.toEqual(Array.from(reset.obs.data.subarray(frameSize, 2 * frameSize)));
    } finally {
      await vector.close();
    }
  });

  it('same-step autoreset: the ending step returns the reset frame and the final one in info', async () => {
    const vector = await RemoteVectorEnv.connect<NdArray, number[]>({
      endpoint: server.endpoint,
      envId: PIXEL,
      kwargs: { size: 8, episode_length: 2, discrete: true },
      numEnvs: 2,
      autoresetMode: 'same-step',
    });
    try {
      expect(vector.autoresetMode).toBe('same-step');
      await vector.reset({ seed: [3, 4] });
      await vector.step([1, 2]);
      const end = await vector.step([3, 4]);
      expect(Array.from(end.truncated)).toEqual([1, 1]);
      expect(red(end.obs)).toBe(0);
      const final = end.infos[1].final_obs as NdArray;
      expect(final.shape).toEqual([8, 8, 3]);
      expect(final.data[0]).toBe(2);
      expect(end.infos[1].final_info).toEqual({ steps: 2 });
      await expect(vector.step([1, 9])).rejects.toThrow(/copy 1.*9 is outside/);
      await expect(vector.step([1.5, 2])).rejects.toThrow(/copy 0.*expected an integer, got 1.5/);
      await expect(vector.step([1])).rejects.toThrow(/expected 2 Discrete actions \(one per copy\), got 1/);
    } finally {
      await vector.close();
    }
  });
});

describe.skipIf(!python)(`Python server robustness${skipped}`, () => {
  it('answers every kind of bad input with an error and keeps serving', async () => {
    await checkBadInput(server.endpoint, { envId: PIXEL, kwargs: { size: 4 } }, { envId: PIXEL, kwargs: { size: 4, discrete: true } });
  });

  it('refuses a bad --bind, and names pyzmq and numpy when the interpreter lacks them', async () => {
    await expect(startPythonServer({ bind: 'nonsense' })).rejects.toThrow(/--bind nonsense: cannot bind \(Invalid argument\); expected tcp:\/\/host:port/);
    await expect(startPythonServer({ bind: 'tcp://127.0.0.1:99999' })).rejects.toThrow(/--bind tcp:\/\/127\.0\.0\.1:99999: the port must be 0 to 65535/);
    // The same interpreter with zmq's import blocked.
    const run = `import sys, runpy; sys.modules['zmq'] = None; sys.argv = ['server.py']; runpy.run_path(${JSON.stringify(SERVER_SCRIPT)}, run_name='__main__')`;
    const missing = spawnSync(python!, ['-c', run], { encoding: 'utf8', timeout: 20_000 });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^server\.py: .*zmq.*\. The bridge server needs pyzmq and numpy in this interpreter \(.+\): Debian: apt-get install python3-zmq python3-numpy/);
  });

  it('speaks the same protocol with its built-in msgpack codec (no msgpack package needed)', async () => {
    const builtin = await start({ codec: 'builtin' });
    const connection = new Connection(builtin.endpoint, { timeoutMs: 5000 });
    try {
      expect(await connection.request({ cmd: 'hello' }, 'hello')).toMatchObject({ server: 'python', codec: 'builtin', protocol: 1 });
      const made = await connection.request({ cmd: 'make', env_id: PIXEL, kwargs: { size: 300, episode_length: 70000 }, num_envs: 1 }, 'make');
      expect(made.observation_space).toMatchObject({ kind: 'box', dtype: '|u1', shape: [300, 300, 3], low: 0, high: 255 });
      const reset = await connection.request({ cmd: 'reset', env: made.env, seeds: [123456789], options: { name: 'é', depth: -70000, scale: 0.5, list: [1, null, true] } }, 'reset');
      expect((reset.infos as Record<string, unknown>[])[0].options).toEqual({ name: 'é', depth: -70000, scale: 0.5, list: [1, null, true] });
      expect((reset.obs as NdArray).data.length).toBe(300 * 300 * 3);
    } finally {
      connection.close();
      await builtin.stop();
    }
  });

  it('fails within the timeout naming env and command when the server hangs or dies, and reconnects on reset', async () => {
    const endpoint = `ipc://${join(tmpdir(), `rad-bridge-test-${process.pid}.sock`)}`;
    const first = await start({ bind: endpoint });
    const env = await RemoteEnv.connect<NdArray, NdArray>({ endpoint, envId: PIXEL, kwargs: { size: 4 }, timeoutMs: 800, makeTimeoutMs: 800 });
    try {
      await env.reset({ seed: 1 });
      first.process.kill('SIGSTOP'); // hung
      let started = Date.now();
      await expect(env.step(float32(0, 0))).rejects.toThrow(/remote env "python\/pixel_env:PixelEnv".*command "step".*no reply .* within 800 ms/);
      expect(Date.now() - started).toBeLessThan(2500);
      first.process.kill('SIGKILL'); // dead
      first.process.kill('SIGCONT');
      await first.stop();
      started = Date.now();
      await expect(env.reset()).rejects.toThrow(/command "make".*no reply/);
      expect(Date.now() - started).toBeLessThan(2500);
      // A new server on the same address: reset reconnects and makes the env again.
      await start({ bind: endpoint });
      const { obs } = await env.reset({ seed: 1 });
      expect(obs.shape).toEqual([4, 4, 3]);
      expect(red((await env.step(float32(0, 0))).obs)).toBe(1);
    } finally {
      await env.close();
      rmSync(endpoint.slice('ipc://'.length), { force: true });
    }
  });
});
