/**
 * Cheetah run (dm_control suite/cheetah.py): reward rises linearly with the
 * forward speed of the centre of mass, from 0 at standstill to 1 at 10 m/s and
 * above. The control step is one 10 ms physics step; 10 s episodes (1000 steps).
 */
import type { Random } from '../../../common/random.ts';
import type { Physics } from '../physics.ts';
import { tolerance } from '../rewards.ts';
import type { Task, TaskFactory } from '../task.ts';

/** Speed (m/s) at and above which the reward is 1. */
const RUN_SPEED = 10;
/** Physics steps that let the randomly posed cheetah fall and settle before the episode. */
const SETTLE_STEPS = 200;

/** Forward velocity of the whole cheetah's centre of mass. */
export function cheetahSpeed(physics: Physics): number {
  return physics.sensor('torso_subtreelinvel')[0];
}

export function cheetahRunReward(physics: Physics): number {
  return tolerance(cheetahSpeed(physics), { bounds: [RUN_SPEED, Infinity], margin: RUN_SPEED, valueAtMargin: 0, sigmoid: 'linear' });
}

function run(): Task {
  return {
    domain: 'cheetah',
    name: 'run',
    modelFile: 'cheetah.xml',
    controlTimestep: 0.01,
    timeLimit: 10,
    initializeEpisode(physics: Physics, rng: Random): void {
      const { model } = physics;
      // Every joint has one coordinate here, so joint i is qpos[i].
      if (model.nq !== model.njnt) throw new Error(`cheetah: expected one coordinate per joint, got nq=${model.nq}, njnt=${model.njnt}`);
      // dm_control's reset runs a forward pass at the default pose; the first
      // settling step below starts from it, so run it here too.
      physics.afterReset();
      const limited = model.jnt_limited as Uint8Array;
      const range = model.jnt_range as Float64Array;
      const qpos = physics.qpos();
      // The leg joints, uniform within their limits, in joint order (the root joints are unlimited).
      for (let joint = 0; joint < model.njnt; joint++) {
        if (limited[joint]) qpos[joint] = rng.uniform(range[2 * joint], range[2 * joint + 1]);
      }
      physics.setQpos(qpos);
      physics.step(SETTLE_STEPS);
      physics.data.time = 0;
    },
    getObservation(physics: Physics): Record<string, Float64Array> {
      // Without the horizontal position, so that the observation does not depend on where the cheetah is.
      return { position: physics.qpos().slice(1), velocity: physics.qvel() };
    },
    getReward: cheetahRunReward,
  };
}

export const tasks: Record<string, TaskFactory> = {
  run,
};
