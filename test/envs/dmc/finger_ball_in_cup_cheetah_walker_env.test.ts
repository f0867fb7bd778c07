/**
 * Finger, ball-in-cup, cheetah and walker tasks as envs: dm_control's
 * observation keys (in its order) and sizes, action ranges, control steps and
 * episode lengths; the same seed gives the same episode bit for bit; episodes
 * end by truncation only; each env's MuJoCo arena is 1 MiB.
 */
import { describe, expect, it } from 'vitest';
import { Random } from '../../../common/random.ts';
import { Box } from '../../../envs/core.ts';
import { DmcEnv } from '../../../envs/dmc/env.ts';
import type { TaskFactory } from '../../../envs/dmc/task.ts';
import { tasks as ballInCup } from '../../../envs/dmc/tasks/ball_in_cup.ts';
import { tasks as cheetah } from '../../../envs/dmc/tasks/cheetah.ts';
import { tasks as finger } from '../../../envs/dmc/tasks/finger.ts';
import { tasks as walker } from '../../../envs/dmc/tasks/walker.ts';

interface Expected {
  factory: TaskFactory;
  /** Observation keys in dm_control's order, with their sizes. */
  observation: [string, number][];
  actions: number;
  /** Physics steps per control step. */
  substeps: number;
}

const FINGER_OBSERVATION: [string, number][] = [['position', 4], ['velocity', 3], ['touch', 2]];
const TURN_OBSERVATION: [string, number][] = [...FINGER_OBSERVATION, ['target_position', 2], ['dist_to_target', 1]];
const WALKER_OBSERVATION: [string, number][] = [['orientations', 14], ['height', 1], ['velocity', 9]];

const TASKS: Record<string, Expected> = {
  'finger-spin': { factory: finger.spin, observation: FINGER_OBSERVATION, actions: 2, substeps: 2 },
  'finger-turn_easy': { factory: finger.turn_easy, observation: TURN_OBSERVATION, actions: 2, substeps: 2 },
  'finger-turn_hard': { factory: finger.turn_hard, observation: TURN_OBSERVATION, actions: 2, substeps: 2 },
  'ball_in_cup-catch': { factory: ballInCup.catch, observation: [['position', 4], ['velocity', 4]], actions: 2, substeps: 10 },
  'cheetah-run': { factory: cheetah.run, observation: [['position', 8], ['velocity', 9]], actions: 6, substeps: 1 },
  'walker-stand': { factory: walker.stand, observation: WALKER_OBSERVATION, actions: 6, substeps: 10 },
  'walker-walk': { factory: walker.walk, observation: WALKER_OBSERVATION, actions: 6, substeps: 10 },
  'walker-run': { factory: walker.run, observation: WALKER_OBSERVATION, actions: 6, substeps: 10 },
};

/** Reset with `seed`, then 20 steps of actions seeded by `seed`: every flat observation and reward. */
async function episode(env: DmcEnv, seed: number): Promise<number[]> {
  const trace: number[] = [];
  const { obs } = await env.reset({ seed });
  trace.push(...(obs as { data: Float32Array }).data);
  const rng = Random.derive(seed, 'actions');
  for (let step = 0; step < 20; step++) {
    const action = Array.from(env.actionSpace.low, (low, i) => rng.uniform(low, env.actionSpace.high[i]));
    const result = await env.step(action);
    trace.push(...(result.obs as { data: Float32Array }).data, result.reward);
  }
  return trace;
}

describe('finger, ball_in_cup, cheetah, walker envs', () => {
  for (const [taskId, expected] of Object.entries(TASKS)) {
    it(`${taskId}: observation keys, sizes, actions and episode length as dm_control; deterministic per seed`, async () => {
      const first = await DmcEnv.create(expected.factory());
      const second = await DmcEnv.create(expected.factory());
      try {
        expect(first.id).toBe(taskId);
        const { info } = await first.reset({ seed: 5 });
        const observation = info.observation as Record<string, Float64Array>;
        expect(Object.entries(observation).map(([key, value]) => [key, value.length])).toEqual(expected.observation);
        const size = expected.observation.reduce((sum, [, n]) => sum + n, 0);
        expect(first.observationSpace).toBeInstanceOf(Box);
        expect((first.observationSpace as Box).shape).toEqual([size]);
        expect(first.actionSpace.shape).toEqual([expected.actions]);
        expect(Array.from(first.actionSpace.low)).toEqual(new Array(expected.actions).fill(-1));
        expect(Array.from(first.actionSpace.high)).toEqual(new Array(expected.actions).fill(1));
        expect(first.substeps).toBe(expected.substeps);
        expect(first.stepLimit).toBe(1000);

        const trace = await episode(first, 5);
        expect(trace.every(Number.isFinite)).toBe(true);
        expect(await episode(second, 5)).toEqual(trace);
        expect(await episode(second, 6)).not.toEqual(trace);
        // Each env's MjData reserves a 1 MiB arena (not MuJoCo's default 13.6 MB), and an episode uses little of it.
        expect(Number(first.physics.model.narena)).toBe(1 << 20);
        expect(Number(first.physics.data.maxuse_arena)).toBeLessThan(1 << 18);
      } finally {
        await first.close();
        await second.close();
      }
    });
  }

  it('cheetah-run: a 10 s episode ends after 1000 steps by truncation, never by termination', async () => {
    const env = await DmcEnv.create(cheetah.run());
    try {
      await env.reset({ seed: 0 });
      const rng = Random.derive(0, 'actions');
      let steps = 0;
      for (;;) {
        const action = Array.from({ length: 6 }, () => rng.uniform(-1, 1));
        const { terminated, truncated } = await env.step(action);
        steps += 1;
        expect(terminated).toBe(false);
        if (truncated) break;
      }
      expect(steps).toBe(1000);
      expect(env.physics.time).toBeCloseTo(10, 9);
    } finally {
      await env.close();
    }
  });
});
