/**
 * The Python server (envs/bridge/python/server.py) serving the real Gymnasium
 * (1.x, with pygame for rgb_array frames), driven through RemoteEnv and
 * RemoteVectorEnv and checked against the same episodes run directly in Python.
 *
 * The interpreter: RAD_GYMNASIUM_PYTHON, RAD_PYTHON, or the venv that
 * `envs/bridge/python/make_venv.sh .cache/bridge-venv` builds; the first that
 * imports zmq, numpy, gymnasium and pygame. Without one the suite is skipped,
 * naming what is missing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NdArray } from '../../../common/ndarray.ts';
import { Box, Dict, Discrete } from '../../../envs/core.ts';
import { RemoteEnv, RemoteVectorEnv } from '../../../envs/bridge/client.ts';
import { Connection } from '../../../envs/bridge/connection.ts';
import { startPythonServer } from '../../../envs/bridge/python_server.ts';
import type { PythonServer } from '../../../envs/bridge/python_server.ts';
import { float32 } from './raw.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const VENV_PYTHON = join(repo, '.cache/bridge-venv/bin/python');

/** The first candidate interpreter that imports everything, or why none does. */
function findGymnasiumPython(): { python?: string; reason: string } {
  const candidates = [process.env.RAD_GYMNASIUM_PYTHON, process.env.RAD_PYTHON, VENV_PYTHON].filter((c): c is string => !!c);
  const problems: string[] = [];
  for (const candidate of candidates) {
    if (candidate === VENV_PYTHON && !existsSync(candidate)) {
      problems.push(`${candidate} does not exist (build it: envs/bridge/python/make_venv.sh [--wheelhouse DIR] .cache/bridge-venv)`);
      continue;
    }
    const probe = spawnSync(candidate, ['-c', 'import zmq, numpy, gymnasium, pygame'], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, PYGAME_HIDE_SUPPORT_PROMPT: '1' } });
    if (probe.status === 0) return { python: candidate, reason: '' };
    const missing = /No module named '([^']+)'/.exec(probe.stderr ?? '')?.[1];
    problems.push(`${candidate} ${missing ? `lacks the package "${missing}"` : `failed (${probe.error?.message ?? probe.stderr?.trim().split('\n').pop()})`}`);
  }
  return { reason: problems.join('; ') };
}

const found = findGymnasiumPython();
const python = found.python ?? '';
if (!found.python) console.warn(`gymnasium bridge tests skipped: ${found.reason}`);

/** Runs `script` under the same interpreter with `input` as JSON on stdin; its stdout is JSON. */
function inPython<T>(script: string, input: unknown): T {
  const result = spawnSync(python, ['-c', script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, SDL_VIDEODRIVER: 'dummy', SDL_AUDIODRIVER: 'dummy', PYGAME_HIDE_SUPPORT_PROMPT: '1' },
  });
  if (result.status !== 0) throw new Error(`reference script failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

let server: PythonServer;

beforeAll(async () => {
  if (found.python) server = await startPythonServer({ python, pythonPath: [here] }); // here: gymnasium_env.py
});

afterAll(async () => {
  await server?.stop();
});

const values = (array: NdArray) => Array.from(array.data as ArrayLike<number>);

/** Column of the cart's centre in a CartPole frame: the mean column of the dark pixels in columns with many of them (the cart is 30 px tall, the track 1 px). */
function cartColumn(frame: NdArray): number {
  const [height, width] = frame.shape;
  const data = frame.data as Uint8Array;
  let sum = 0;
  let count = 0;
  for (let x = 0; x < width; x++) {
    let dark = 0;
    for (let y = 0; y < height; y++) {
      const i = (y * width + x) * 3;
      if (data[i] < 60 && data[i + 1] < 60 && data[i + 2] < 60) dark++;
    }
    if (dark >= Math.max(3, height / 40)) {
      sum += x;
      count++;
    }
  }
  if (count === 0) throw new Error('no cart in the frame');
  return sum / count;
}

describe.skipIf(!found.python)(`real Gymnasium through the Python server${found.python ? '' : ` (skipped: ${found.reason})`}`, () => {
  it('CartPole-v1: Discrete(2) actions, Box state, seeded resets, episodes that terminate, bad actions refused', async () => {
    const env = await RemoteEnv.connect<NdArray, number>({ endpoint: server.endpoint, envId: 'gymnasium/CartPole-v1', timeoutMs: 20_000 });
    try {
      expect(env.actionSpace).toBeInstanceOf(Discrete);
      expect((env.actionSpace as Discrete).n).toBe(2);
      expect(env.observationSpace).toBeInstanceOf(Box);
      expect(String(env.observationSpace)).toMatch(/^Box\(.*\[4\], float32\)$/);
      expect(env.metadata.renderFps).toBe(50);
      const first = await env.reset({ seed: 42 });
      expect(first.obs.dtype).toBe('float32');
      expect(values(first.obs)).toEqual(values((await env.reset({ seed: 42 })).obs));
      expect(values((await env.reset({ seed: 43 })).obs)).not.toEqual(values(first.obs));

      // Always pushing right tips the pole over: the episode terminates (not truncates) within 500 steps.
      await env.reset({ seed: 42 });
      let steps = 0;
      let end;
      do {
        end = await env.step(1);
        steps++;
        expect(end.reward).toBe(1);
      } while (!end.terminated && !end.truncated && steps < 500);
      expect([end.terminated, end.truncated]).toEqual([true, false]);
      expect(steps).toBeLessThan(50);

      // Out of range: the client refuses before sending; the server refuses a raw request, and both keep working.
      await env.reset({ seed: 1 });
      await expect(env.step(2)).rejects.toThrow(/CartPole-v1/);
      const connection = new Connection(server.endpoint, { timeoutMs: 20_000 });
      try {
        const made = await connection.request({ cmd: 'make', env_id: 'gymnasium/CartPole-v1', num_envs: 1 }, 'make');
        await connection.request({ cmd: 'reset', env: made.env, seeds: [1] }, 'reset');
        const action = (value: number) => ({ dtype: 'int32', shape: [1], data: Int32Array.from([value]) });
        await expect(connection.request({ cmd: 'step', env: made.env, actions: action(2) }, 'step')).rejects.toThrow(
          /action of copy 0 = 2 is outside Discrete\(2, start=0\): expected \[0, 2\)/,
        );
        await expect(connection.request({ cmd: 'step', env: made.env, actions: action(-1) }, 'step')).rejects.toThrow(/= -1 is outside Discrete\(2/);
        const good = await connection.request({ cmd: 'step', env: made.env, actions: action(1) }, 'step');
        expect(good.rewards).toEqual([1]);
        await connection.request({ cmd: 'close', env: made.env }, 'close');
      } finally {
        connection.close();
      }
      expect((await env.step(0)).reward).toBe(1);
    } finally {
      await env.close();
    }
  });

  it('CartPole-v1 x4, next-step autoreset: the same trajectory as Gymnasium 1.x SyncVectorEnv, the step after an end resets and ignores its action', async () => {
    const numEnvs = 4;
    const stepCount = 40;
    // Mostly right, so episodes end at different steps in different copies.
    const actions = Array.from({ length: stepCount }, (_, t) => Array.from({ length: numEnvs }, (_, i) => ((t * (i + 2)) % 5 === 0 ? 0 : 1)));
    const vector = await RemoteVectorEnv.connect<NdArray, number[]>({ endpoint: server.endpoint, envId: 'gymnasium/CartPole-v1', numEnvs, timeoutMs: 20_000 });
    type Trajectory = { obs: number[][][]; rewards: number[][]; terminated: boolean[][]; truncated: boolean[][] };
    const ours: Trajectory = { obs: [], rewards: [], terminated: [], truncated: [] };
    try {
      expect([vector.numEnvs, vector.autoresetMode]).toEqual([numEnvs, 'next-step']);
      const reset = await vector.reset({ seed: 7 });
      expect(reset.obs.shape).toEqual([numEnvs, 4]);
      const rows = (obs: NdArray) => Array.from({ length: numEnvs }, (_, i) => values(obs).slice(i * 4, i * 4 + 4));
      ours.obs.push(rows(reset.obs));
      for (const step of actions) {
        const result = await vector.step(step);
        ours.obs.push(rows(result.obs));
        ours.rewards.push(Array.from(result.rewards));
        ours.terminated.push(Array.from(result.terminated, Boolean));
        ours.truncated.push(Array.from(result.truncated, Boolean));
      }
    } finally {
      await vector.close();
    }
    const reference = inPython<Trajectory>(
      `
import json, sys, gymnasium
actions = json.load(sys.stdin)
vector = gymnasium.vector.SyncVectorEnv([lambda: gymnasium.make("CartPole-v1") for _ in range(${numEnvs})],
                                        autoreset_mode=gymnasium.vector.AutoresetMode.NEXT_STEP)
obs, _ = vector.reset(seed=7)
out = {"obs": [obs.tolist()], "rewards": [], "terminated": [], "truncated": []}
for step in actions:
    obs, rewards, terminated, truncated, _ = vector.step(step)
    out["obs"].append(obs.tolist()); out["rewards"].append(rewards.tolist())
    out["terminated"].append(terminated.tolist()); out["truncated"].append(truncated.tolist())
print(json.dumps(out))
`,
      actions,
    );
    expect(ours).toEqual(reference);
    // Gymnasium's documented next-step semantics, checked directly: find a copy that terminated.
    const ended = ours.terminated.flatMap((row, t) => row.map((done, i) => (done && t + 1 < stepCount ? [t, i] : null))).filter((x) => x !== null);
    expect(ended.length).toBeGreaterThan(0);
    for (const [t, i] of ended as number[][]) {
      expect(ours.rewards[t + 1][i]).toBe(0);
      expect([ours.terminated[t + 1][i], ours.truncated[t + 1][i]]).toEqual([false, false]);
      // CartPole resets every state variable uniformly in [-0.05, 0.05]: a fresh episode, not the fallen pole.
      expect(ours.obs[t + 2][i].every((x) => Math.abs(x) <= 0.05)).toBe(true);
    }
  });

  it('Pendulum-v1: float32 Box actions; obs and rewards equal the same seeded episode run in Python; truncates at 200', async () => {
    const torques = Array.from({ length: 200 }, (_, t) => Math.fround(2 * Math.sin(t / 7)));
    torques[3] = 2; // the bound itself lies in the space
    const env = await RemoteEnv.connect<NdArray, NdArray>({ endpoint: server.endpoint, envId: 'gymnasium/Pendulum-v1', timeoutMs: 20_000 });
    const ours = { obs: [] as number[][], rewards: [] as number[], terminated: [] as boolean[], truncated: [] as boolean[] };
    try {
      expect(String(env.actionSpace)).toBe('Box(-2, 2, [1], float32)');
      expect((env.observationSpace as Box).dtype).toBe('float32');
      ours.obs.push(values((await env.reset({ seed: 11 })).obs));
      for (const torque of torques) {
        const result = await env.step(float32(torque));
        ours.obs.push(values(result.obs));
        ours.rewards.push(result.reward);
        ours.terminated.push(result.terminated);
        ours.truncated.push(result.truncated);
      }
      await expect(env.step(float32(2.5))).rejects.toThrow(/Pendulum-v1.*outside/);
    } finally {
      await env.close();
    }
    const reference = inPython<typeof ours>(
      `
import json, sys, numpy as np, gymnasium
torques = json.load(sys.stdin)
env = gymnasium.make("Pendulum-v1")
obs, _ = env.reset(seed=11)
out = {"obs": [obs.tolist()], "rewards": [], "terminated": [], "truncated": []}
for torque in torques:
    obs, reward, terminated, truncated, _ = env.step(np.array([torque], np.float32))
    out["obs"].append(obs.tolist()); out["rewards"].append(float(reward))
    out["terminated"].append(bool(terminated)); out["truncated"].append(bool(truncated))
print(json.dumps(out))
`,
      torques,
    );
    expect(ours).toEqual(reference);
    expect(ours.truncated.indexOf(true)).toBe(199);
    expect(ours.terminated.includes(true)).toBe(false);
  });

  it('pixels: CartPole frames (pygame, headless) as observations that show the cart where the state says, resized on request', async () => {
    const env = await RemoteEnv.connect<Record<string, NdArray>, number>({ endpoint: server.endpoint, envId: 'gymnasium/CartPole-v1', kwargs: { pixels: 'dict' }, timeoutMs: 20_000 });
    try {
      expect(env.observationSpace).toBeInstanceOf(Dict);
      expect(String((env.observationSpace as Dict).spaces.pixels)).toBe('Box(0, 255, [400,600,3], uint8)');
      const { obs } = await env.reset({ seed: 3 });
      expect([obs.pixels.dtype, obs.pixels.shape]).toEqual(['uint8', [400, 600, 3]]);
      // CartPole draws x = 0 at column 300 and 600 px for 4.8 m (the track between the +-2.4 m limits).
      const column = (state: NdArray) => 300 + (state.data[0] as number) * (600 / 4.8);
      expect(Math.abs(cartColumn(obs.pixels) - column(obs.state))).toBeLessThan(1.5);
      const before = cartColumn(obs.pixels);
      let last = obs;
      for (let i = 0; i < 7; i++) last = (await env.step(1)).obs;
      expect(Math.abs(cartColumn(last.pixels) - column(last.state))).toBeLessThan(1.5);
      expect(cartColumn(last.pixels) - before).toBeGreaterThan(3); // pushed right, drawn further right
      const rendered = await env.render();
      expect(values(rendered)).toEqual(values(last.pixels));
    } finally {
      await env.close();
    }

    const small = await RemoteEnv.connect<NdArray, number>({ endpoint: server.endpoint, envId: 'gymnasium/CartPole-v1', kwargs: { pixels: true, pixel_size: [84, 84] } });
    try {
      expect(String(small.observationSpace)).toBe('Box(0, 255, [84,84,3], uint8)');
      const start = (await small.reset({ seed: 3 })).obs;
      expect([start.dtype, start.shape]).toEqual(['uint8', [84, 84, 3]]);
      let frame = start;
      for (let i = 0; i < 7; i++) frame = (await small.step(1)).obs;
      expect(values(frame)).not.toEqual(values(start));
      // Area resampling keeps the cart where the full frame has it (one small pixel is 600/84 columns).
      const full = await small.render();
      expect(Math.abs(cartColumn(frame) * (600 / 84) + (600 / 84 - 1) / 2 - cartColumn(full))).toBeLessThan(600 / 84);
    } finally {
      await small.close();
    }
    await expect(RemoteEnv.connect({ endpoint: server.endpoint, envId: 'gymnasium/CartPole-v1', kwargs: { pixels: 'yes' } })).rejects.toThrow(
      /kwarg "pixels" must be true, false or "dict", got 'yes'/,
    );
    await expect(RemoteEnv.connect({ endpoint: server.endpoint, envId: 'gymnasium/CartPole-v1', kwargs: { pixels: true, pixel_size: [84] } })).rejects.toThrow(
      /kwarg "pixel_size" must be \[height, width\]/,
    );
  });

  it('dtypes rad lacks (int64, uint16, float16) and numpy values in info: each space states the dtype its observations arrive in', async () => {
    const vector = await RemoteVectorEnv.connect<Record<string, NdArray>, NdArray>({
      endpoint: server.endpoint,
      envId: 'python/gymnasium_env:NumpyEnv',
      numEnvs: 2,
      autoresetMode: 'same-step',
    });
    try {
      const spaces = (vector.singleObservationSpace as Dict).spaces as Record<string, Box>;
      const dtypes = Object.fromEntries(Object.entries(spaces).map(([key, space]) => [key, space.dtype]));
      expect(dtypes).toEqual({ wide: 'float64', narrow: 'int32', small: 'int32', half: 'float32', flags: 'bool', position: 'float32' });
      expect(String(vector.singleActionSpace)).toBe('Box(-1, 1, [2], float32)'); // the env's float64, as agents act
      const sameDtypes = (obs: Record<string, NdArray>) => Object.fromEntries(Object.entries(obs).map(([key, array]) => [key, array.dtype]));
      const reset = await vector.reset({ seed: 5 });
      expect(sameDtypes(reset.obs)).toEqual(dtypes);
      expect(values(reset.obs.wide)).toEqual([0, 2 ** 35, 0, 2 ** 35]);
      expect(values(reset.obs.flags)).toEqual([1, 0, 0, 1, 0, 0]);
      const { indices, ...scalars } = reset.infos[0];
      expect(scalars).toEqual({ seeded: true, scale: 0.5, count: 3, nested: { mean: 1.5, pair: [1, 2] } });
      expect([(indices as NdArray).dtype, values(indices as NdArray)]).toEqual(['int32', [0, 1, 2]]);

      const actions = { dtype: 'float32' as const, shape: [2, 2], data: Float32Array.from([0.5, -0.5, 0.25, 0.25]) };
      const first = await vector.step(actions);
      expect(first.infos[1].action_dtype).toBe('float64');
      const start = values(reset.obs.position);
      const moved = [start[0] + 0.5, start[1] - 0.5, start[2] + 0.25, start[3] + 0.25]; // the env adds in float64, the wire rounds to float32
      values(first.obs.position).forEach((x, i) => expect(x).toBeCloseTo(moved[i], 6));
      const end = await vector.step(actions);
      expect([Array.from(end.terminated), Array.from(end.truncated)]).toEqual([[1, 1], [0, 0]]);
      expect(Array.from(end.rewards)).toEqual([0.25, 0.25]);
      // same-step: the reset observation, and the final one in info, in the same dtypes.
      expect(values(end.obs.narrow)).toEqual([0, 0, 0, 0]);
      const final = end.infos[0].final_obs as Record<string, NdArray>;
      expect(sameDtypes(final)).toEqual(dtypes);
      expect([values(final.wide), values(final.narrow)]).toEqual([[2, 2 ** 35], [2, -2]]);
    } finally {
      await vector.close();
    }
  });

  it('Discrete observations (int64 in Gymnasium) arrive as integers; unknown ids and unsupported spaces get errors and the server keeps serving', async () => {
    const lake = await RemoteEnv.connect<number, number>({ endpoint: server.endpoint, envId: 'gymnasium/FrozenLake-v1', kwargs: { is_slippery: false } });
    try {
      expect(lake.observationSpace).toBeInstanceOf(Discrete);
      expect((await lake.reset({ seed: 0 })).obs).toBe(0);
      const path = [];
      let last;
      for (const action of [1, 1, 2, 2, 1, 2]) {
        last = await lake.step(action); // down, down, right, right, down, right: around the holes to the goal
        path.push(last.obs);
      }
      expect(path).toEqual([4, 8, 9, 10, 14, 15]);
      expect([last!.reward, last!.terminated]).toEqual([1, true]);
      expect(last!.info).toEqual({ prob: 1 });
    } finally {
      await lake.close();
    }
    await expect(RemoteEnv.connect({ endpoint: server.endpoint, envId: 'gymnasium/NoSuchEnv-v0' })).rejects.toThrow(/command "make".*NoSuchEnv/);
    await expect(RemoteEnv.connect({ endpoint: server.endpoint, envId: 'gymnasium/Blackjack-v1' })).rejects.toThrow(/Tuple.*not supported; expected Box, Discrete or Dict/);
    const cartPole = await RemoteEnv.connect<NdArray, number>({ endpoint: server.endpoint, envId: 'gymnasium/CartPole-v1' });
    expect((await cartPole.reset({ seed: 0 })).obs.shape).toEqual([4]);
    await cartPole.close();
  });
});
