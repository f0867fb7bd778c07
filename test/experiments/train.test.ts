/**
 * The training loop in-process (experiments/train.ts) on a state env of the
 * test's own, which returns whatever reward a case needs: a run stops with a
 * clear error at a reward that is not a finite number, and when an update's
 * losses stop being finite (training diverged).
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Box, Discrete, type Env } from '../../envs/core.ts';
import { resolveConfig } from '../../experiments/config/presets.ts';
import { readJsonl } from '../../experiments/log/jsonl.ts';
import { train } from '../../experiments/train.ts';

/**
 * A 2-D state (a point the first action coordinate moves, and the step) and
 * action; each step pays `reward(point)`; episodes of 10 steps.
 */
function pointEnv(reward: (point: number) => number): Env {
  let steps = 0;
  let point = 0;
  const state = () => ({ dtype: 'float32' as const, shape: [2], data: Float32Array.of(point, steps / 10) });
  return {
    observationSpace: new Box(-1, 1, [2], 'float32'),
    actionSpace: new Box(-1, 1, [2], 'float32'),
    metadata: {},
    async reset() {
      steps = 0;
      point = 0;
      return { obs: state(), info: {} };
    },
    async step(action: { data: Float32Array }) {
      steps++;
      point = Math.max(-1, Math.min(1, point + 0.2 * action.data[0]));
      return { obs: state(), reward: reward(point), terminated: false, truncated: steps >= 10, info: {} };
    },
    async close() {},
  } as unknown as Env;
}

const constantRewardEnv = (reward: number) => pointEnv(() => reward);

/** pointEnv with three actions: step left, stay, step right; it refuses anything but one of them. */
function discretePointEnv(): Env {
  const env = pointEnv((point) => 1 - Math.abs(point - 0.5));
  const actionSpace = new Discrete(3);
  const step = env.step.bind(env);
  return Object.assign(env, {
    actionSpace,
    step: async (action: unknown) => {
      const problem = actionSpace.check(action);
      if (problem) throw new Error(`discretePointEnv: ${problem}`);
      return step({ data: Float32Array.of((action as number) - 1, 0) } as never);
    },
  });
}

function tinyStateRun(name: string) {
  return resolveConfig({
    preset: 'sac-state',
    overrides: {
      env: 'test:constant-reward', backend: 'cpu', hidden_dim: 8, batch_size: 4, replay_capacity: 100,
      env_steps: 40, init_steps: 8, eval_every: 40, eval_episodes: 1, checkpoint_every: 0,
      runs_dir: mkdtempSync(join(tmpdir(), 'rad-train-')), run_name: name,
    },
  });
}

describe('train', () => {
  it('is a function of its config: runs of the same config in one process (a search worker), one after another or two at once, give the same result and leave no tensors', async () => {
    // The return depends on where the policy steers the point, so on every weight and random draw.
    const run = async (name: string) => train(tinyStateRun(name), { makeEnv: async () => pointEnv((point) => 1 - Math.abs(point - 0.5)), stdout: null });
    const first = await run('first');
    const tensors = tf.memory().numTensors;
    const second = await run('second');
    expect(second.evaluations).toEqual(first.evaluations);
    expect(second.fitness).toBe(first.fitness);
    expect(new Set(first.evaluations.map((point) => point.mean)).size).toBeGreaterThan(1); // not a constant
    // Two at once in the same process: each still gives what it gives alone.
    const together = await Promise.all([run('third'), run('fourth')]);
    for (const result of together) expect(result.evaluations).toEqual(first.evaluations);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('trains SAC-Discrete on an env with discrete actions, as a function of its config', async () => {
    const run = async (name: string) => train(tinyStateRun(name), { makeEnv: async () => discretePointEnv(), stdout: null });
    const first = await run('discrete-first');
    expect(first.evaluations.every((point) => Number.isFinite(point.mean))).toBe(true);
    expect((await run('discrete-second')).evaluations).toEqual(first.evaluations);
    // eval_policy stochastic: the evaluations sample their actions, here from a near-uniform policy.
    const sampled = await train({ ...tinyStateRun('discrete-sampled'), eval_policy: 'stochastic' }, { makeEnv: async () => discretePointEnv(), stdout: null });
    expect(sampled.evaluations.map((point) => point.mean)).not.toEqual(first.evaluations.map((point) => point.mean));
  });

  it('stops at a reward that is not a finite number, naming the env, the reward and the step', async () => {
    const run = train(tinyStateRun('nan-reward'), { makeEnv: async () => constantRewardEnv(NaN), stdout: null });
    await expect(run).rejects.toThrow('test:constant-reward gave the reward NaN at env step 1; rewards must be finite numbers');
  });

  it('stops when an update gives a loss that is not finite (training diverged), naming the update and the loss', async () => {
    // Rewards near the largest float32: the critic's squared error overflows at the first update.
    const config = tinyStateRun('diverged');
    const run = train(config, { makeEnv: async () => constantRewardEnv(3e38), stdout: null });
    const message = /^training diverged: update 1 \(env step 8\) gave losses\/critic = (Infinity|NaN); the run stops here, its last checkpoint kept$/;
    await expect(run).rejects.toThrow(message);
    // The run directory says so too: its last event.
    const events = readJsonl(join(config.runs_dir, 'diverged', 'events.jsonl'));
    expect(events.at(-1)).toMatchObject({ kind: 'event', message: 'failed', env_step: 8 });
    expect((events.at(-1)!.details as { error: string }).error).toMatch(message);
  });
});
