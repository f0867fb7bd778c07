/**
 * The project's tasks against rollouts recorded from the real DeepMind Control
 * Suite (../shared/reference/dmc_rollouts): from the recorded start state and
 * model fields, the recorded actions give the recorded rewards and observations;
 * at 100 recorded random states, the task gives the recorded reward and observation.
 */
import { describe, expect, it } from 'vitest';
import { loadDmcEnv } from '../../../envs/dmc/suite.ts';
import { applyModelFields, applyModelOverrides, hasReference, maxDifference, readRollout, startRecordedEpisode } from './reference.ts';

const TASKS = [
  'cartpole-balance',
  'cartpole-balance_sparse',
  'cartpole-swingup',
  'cartpole-swingup_sparse',
  'pendulum-swingup',
  'point_mass-easy',
  'reacher-easy',
  'reacher-hard',
];

function expectObservation(actual: Record<string, Float64Array>, expected: Record<string, number[]>, tolerance: number, where: string): void {
  expect(Object.keys(actual), `${where}: observation keys`).toEqual(Object.keys(expected));
  for (const [key, values] of Object.entries(expected)) {
    expect(maxDifference(actual[key], values), `${where}: observation ${key}`).toBeLessThan(tolerance);
  }
}

describe.skipIf(!hasReference)('DeepMind Control reference rollouts', () => {
  for (const taskId of TASKS) {
    it(`${taskId}: the recorded actions give the recorded rewards, states and observations`, async () => {
      const rollout = readRollout(taskId);
      const env = await loadDmcEnv(taskId);
      try {
        const { physics, task } = await startRecordedEpisode(env, rollout);
        expectObservation(task.getObservation(physics), rollout.observation0, 1e-12, 'reset');
        for (let index = 0; index < rollout.steps.length; index++) {
          const expected = rollout.steps[index];
          const step = await env.step(rollout.actions[index]);
          const where = `step ${index}`;
          expect(maxDifference(physics.qpos(), expected.qpos), `${where}: qpos`).toBeLessThan(1e-9);
          expect(maxDifference(physics.qvel(), expected.qvel), `${where}: qvel`).toBeLessThan(1e-8);
          expect(Math.abs(step.reward - expected.reward), `${where}: reward`).toBeLessThan(1e-9);
          expect(step.terminated).toBe(false);
          expectObservation(step.info.observation as Record<string, Float64Array>, expected.observation, 1e-8, where);
        }
      } finally {
        await env.close();
      }
    });

    it(`${taskId}: the reward and observation at 100 recorded random states`, async () => {
      const rollout = readRollout(taskId);
      const env = await loadDmcEnv(taskId);
      try {
        await env.reset({ seed: 0 });
        const { physics, task } = env;
        let nonZero = 0;
        applyModelFields(physics, rollout.model);
        rollout.states.forEach((state, index) => {
          // The recorder moved reacher's target onto the finger for some states and left it there.
          applyModelOverrides(physics, state.model);
          physics.setControl(state.ctrl);
          physics.setState(state.qpos, state.qvel);
          const reward = task.getReward(physics);
          expect(Math.abs(reward - state.reward), `state ${index}: reward`).toBeLessThan(1e-12);
          expectObservation(task.getObservation(physics), state.observation, 1e-12, `state ${index}`);
          if (state.reward > 0) nonZero += 1;
        });
        // The states exist to reach the reward's non-zero branches; make sure they did.
        expect(nonZero).toBeGreaterThan(0);
      } finally {
        await env.close();
      }
    });
  }
});
