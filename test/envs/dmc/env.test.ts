/** DmcEnv: spaces, episodes by truncation, seeding, observations and bad input. */
import { afterEach, describe, expect, it } from 'vitest';
import { InputError } from '../../../common/errors.ts';
import type { NdArray } from '../../../common/ndarray.ts';
import { Box, Dict } from '../../../envs/core.ts';
import type { DmcEnv } from '../../../envs/dmc/env.ts';
import { listDmcTasks, loadDmcEnv } from '../../../envs/dmc/suite.ts';

const opened: DmcEnv[] = [];
async function open(id: string, options = {}): Promise<DmcEnv> {
  const env = await loadDmcEnv(id, options);
  opened.push(env);
  return env;
}
afterEach(async () => {
  for (const env of opened.splice(0)) await env.close();
});

async function rollout(env: DmcEnv, seed: number, steps: number): Promise<number[][]> {
  const observations: number[][] = [Array.from((await env.reset({ seed })).obs.data as Float32Array)];
  for (let i = 0; i < steps; i++) {
    const action = Float32Array.from({ length: env.actionSpace.size }, (_, j) => Math.sin(i + j));
    observations.push(Array.from((await env.step(action)).obs.data as Float32Array));
  }
  return observations;
}

describe('DmcEnv', () => {
  it('lists the benchmark tasks of dm_control by <domain>-<task>', () => {
    const ids = listDmcTasks();
    const benchmark = [
      'ball_in_cup-catch', 'cartpole-balance', 'cartpole-balance_sparse', 'cartpole-swingup', 'cartpole-swingup_sparse',
      'cheetah-run', 'finger-spin', 'finger-turn_easy', 'finger-turn_hard', 'pendulum-swingup', 'point_mass-easy',
      'reacher-easy', 'reacher-hard', 'walker-run', 'walker-stand', 'walker-walk',
    ];
    for (const id of benchmark) expect(ids).toContain(id);
    expect(ids).toEqual([...ids].sort());
  });

  it('has a float32 action Box from the control ranges and a flat float32 observation Box', async () => {
    const env = await open('reacher-easy');
    expect(env.actionSpace).toBeInstanceOf(Box);
    expect(env.actionSpace.dtype).toBe('float32');
    expect(Array.from(env.actionSpace.low)).toEqual([-1, -1]);
    expect(Array.from(env.actionSpace.high)).toEqual([1, 1]);
    expect((env.observationSpace as Box).shape).toEqual([6]);
    const { obs, info } = await env.reset({ seed: 0 });
    expect(env.observationSpace.contains(obs)).toBe(true);
    // The flat vector is the dict's values in dm_control's key order: position, to_target, velocity.
    const dict = info.observation as Record<string, Float64Array>;
    expect(Object.keys(dict)).toEqual(['position', 'to_target', 'velocity']);
    expect(Array.from(obs.data as Float32Array)).toEqual(Array.from(Float32Array.from([...dict.position, ...dict.to_target, ...dict.velocity])));
  });

  it('returns the observation dict with {observation: "dict"}', async () => {
    const env = await open('cartpole-swingup', { observation: 'dict' });
    expect(env.observationSpace).toBeInstanceOf(Dict);
    const { obs } = await env.reset({ seed: 0 });
    expect(env.observationSpace.contains(obs)).toBe(true);
    expect(Object.keys(obs)).toEqual(['position', 'velocity']);
  });

  it('truncates after timeLimit / controlTimestep steps and never terminates', async () => {
    const env = await open('cartpole-balance');
    await env.reset({ seed: 0 });
    const zero = new Float32Array(1);
    let steps = 0;
    for (;;) {
      const result = await env.step(zero);
      steps += 1;
      expect(result.terminated).toBe(false);
      if (result.truncated) break;
    }
    expect(steps).toBe(1000);
    expect(env.physics.time).toBeCloseTo(10, 9);
    await expect(env.step(zero)).rejects.toThrow(/call reset\(\) before step\(\)/);
    const short = await open('pendulum-swingup', { timeLimit: 0.1 });
    await short.reset({ seed: 0 });
    const results = [];
    for (let i = 0; i < 5; i++) results.push((await short.step(new Float32Array(1))).truncated);
    expect(results).toEqual([false, false, false, false, true]);
  });

  it('gives the same observations for the same seed and different ones for another seed', async () => {
    const env = await open('reacher-hard');
    const first = await rollout(env, 11, 30);
    const again = await rollout(env, 11, 30);
    const other = await rollout(env, 12, 30);
    expect(again).toEqual(first);
    expect(other[0]).not.toEqual(first[0]);
    // A second env with the same seed follows the same episode.
    expect(await rollout(await open('reacher-hard'), 11, 30)).toEqual(first);
  });

  it('continues the random stream on a reset without a seed', async () => {
    const env = await open('pendulum-swingup');
    const flat = (obs: unknown): number[] => Array.from((obs as NdArray<'float32'>).data);
    const seeded = flat((await env.reset({ seed: 5 })).obs);
    const next = flat((await env.reset()).obs);
    expect(next).not.toEqual(seeded);
    await env.reset({ seed: 5 });
    expect(flat((await env.reset()).obs)).toEqual(next);
  });

  it('rejects bad actions, unknown tasks and a closed env with clear errors', async () => {
    const env = await open('point_mass-easy');
    await env.reset({ seed: 0 });
    await expect(env.step(new Float32Array(3))).rejects.toThrow(/point_mass-easy: action must hold 2 numbers/);
    await expect(env.step(Float32Array.of(0, 1.5))).rejects.toThrow(/action\[1\] = 1.5 is outside \[-1, 1\]/);
    await expect(env.step([0, Number.NaN])).rejects.toThrow(/action\[1\] = NaN/);
    await expect(loadDmcEnv('cartpole-flip')).rejects.toThrow(/unknown DeepMind Control task "cartpole-flip": expected one of .*cartpole-swingup/);
    await env.close();
    await expect(env.reset()).rejects.toThrow(/closed/);
  });

  it('rejects bad options as bad input (InputError: exit code 2), naming the option, the value and what is expected', async () => {
    const bad = async (options: object, pattern: RegExp) => {
      const error = await loadDmcEnv('pendulum-swingup', options).then(() => null, (caught: unknown) => caught);
      expect(error, JSON.stringify(options)).toBeInstanceOf(InputError);
      expect((error as Error).message).toMatch(pattern);
    };
    await bad({ observation: 'pixels' }, /^DmcEnv: observation must be 'flat' or 'dict', got "pixels"$/);
    await bad({ width: 0 }, /^DmcEnv: width must be a positive integer, got 0$/);
    await bad({ height: 8.5 }, /^DmcEnv: height must be a positive integer, got 8.5$/);
    await bad({ timeLimit: -1 }, /^DmcEnv pendulum-swingup: timeLimit must be positive seconds, got -1$/);
    await bad({ appearance: 'sepia' }, /^DmcEnv: appearance must be one of .*, got "sepia"$/);
  });
});
