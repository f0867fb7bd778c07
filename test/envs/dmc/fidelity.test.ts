/**
 * The project's MJCF models against dm_control's (../shared/reference/dm_control_suite):
 * every compiled model array is equal byte for byte, and both models, started from the
 * same task-drawn state and driven by the same seeded actions for 1000 control
 * steps, agree on positions and velocities within 1e-6.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Random } from '../../../common/random.ts';
import { MODELS_FOLDER, substepsPerControlStep } from '../../../envs/dmc/env.ts';
import { Physics } from '../../../envs/dmc/physics.ts';
import { dmcTask } from '../../../envs/dmc/suite.ts';
import { differingArrays, hasReference, maxDifference, REFERENCE_MODELS } from './reference.ts';

// One task per domain: the initial state and model fields it draws are what both models start from.
const DOMAIN_TASKS = ['cartpole-swingup', 'pendulum-swingup', 'point_mass-easy', 'reacher-hard'];

const opened: Physics[] = [];
async function open(path: string): Promise<Physics> {
  const physics = await Physics.fromFile(path);
  opened.push(physics);
  return physics;
}
afterAll(() => opened.forEach((physics) => physics.delete()));

describe.skipIf(!hasReference)('the project models match dm_control models', () => {
  for (const taskId of DOMAIN_TASKS) {
    const task = dmcTask(taskId)();

    it(`${task.domain}: every compiled model array is equal (dynamics, names, cameras, lights, materials, textures)`, async () => {
      const ours = await open(MODELS_FOLDER + task.modelFile);
      const theirs = await open(`${REFERENCE_MODELS}/${task.modelFile}`);
      const { compared, differing } = differingArrays(ours, theirs);
      expect(differing).toEqual([]);
      expect(compared).toBeGreaterThan(300);
      for (const key of ['timestep', 'integrator', 'disableflags', 'enableflags'] as const) expect(ours.model.opt[key], key).toBe(theirs.model.opt[key]);
      // Only the arena differs: 256 KB instead of MuJoCo's default 13.6 MB.
      expect(Number(ours.model.narena)).toBe(256 * 1024);
      expect(Number(theirs.model.narena)).toBeGreaterThan(13e6);
    });

    it(`${task.domain}: 1000 control steps of the same seeded actions agree within 1e-6`, async () => {
      const ours = await open(MODELS_FOLDER + task.modelFile);
      const theirs = await open(`${REFERENCE_MODELS}/${task.modelFile}`);
      for (const physics of [ours, theirs]) {
        physics.reset();
        task.initializeEpisode(physics, Random.derive(3, 'fidelity'));
        physics.afterReset();
      }
      const substeps = substepsPerControlStep(task.controlTimestep, ours.timestep, taskId);
      const actions = Random.derive(3, 'actions');
      const { low, high } = ours.actuatorCtrlRange();
      let worst = 0;
      for (let step = 0; step < 1000; step++) {
        const action = Array.from(low, (lo, i) => actions.uniform(lo, high[i]));
        for (const physics of [ours, theirs]) {
          physics.setControl(action);
          physics.step(substeps);
        }
        worst = Math.max(worst, maxDifference(ours.qpos(), theirs.qpos()), maxDifference(ours.qvel(), theirs.qvel()));
      }
      expect(worst).toBeLessThan(1e-6);
      // A model that stood still would agree trivially.
      expect(maxDifference(ours.qpos(), new Float64Array(ours.model.nq))).toBeGreaterThan(1e-3);
    });
  }
});
