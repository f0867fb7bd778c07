/**
 * Pendulum swing-up (dm_control suite/pendulum.py): reward 1 while the pole is
 * within 8 degrees of upright, 0 otherwise. 20 ms control steps, 20 s episodes.
 */
import type { Random } from '../../../common/random.ts';
import type { Physics } from '../physics.ts';
import { tolerance } from '../rewards.ts';
import type { Task, TaskFactory } from '../task.ts';

const COSINE_BOUND = Math.cos((8 * Math.PI) / 180);
const XZ = 2;
const ZZ = 8;

function swingup(): Task {
  return {
    domain: 'pendulum',
    name: 'swingup',
    modelFile: 'pendulum.xml',
    controlTimestep: 0.02,
    timeLimit: 20,
    initializeEpisode(physics: Physics, rng: Random): void {
      physics.setJointQpos('hinge', rng.uniform(-Math.PI, Math.PI));
    },
    getObservation(physics: Physics): Record<string, Float64Array> {
      const rotation = physics.bodyXmat('pole');
      return { orientation: Float64Array.of(rotation[ZZ], rotation[XZ]), velocity: physics.jointQvel('hinge') };
    },
    getReward(physics: Physics): number {
      return tolerance(physics.bodyXmat('pole')[ZZ], { bounds: [COSINE_BOUND, 1] });
    },
  };
}

export const tasks: Record<string, TaskFactory> = { swingup };
