/**
 * Reacher tasks (dm_control suite/reacher.py): touch a randomly placed target
 * with the fingertip; reward 1 while the fingertip and target spheres overlap.
 * `easy` has a 5 cm target, `hard` a 1.5 cm one. 20 ms control steps, 20 s episodes.
 */
import type { Random } from '../../../common/random.ts';
import type { Physics } from '../physics.ts';
import { randomizeLimitedAndRotationalJoints } from '../randomizers.ts';
import { tolerance } from '../rewards.ts';
import type { Task, TaskFactory } from '../task.ts';

const BIG_TARGET = 0.05;
const SMALL_TARGET = 0.015;

/** The target's position minus the fingertip's, in the arena plane (x, y). */
function fingerToTarget(physics: Physics): Float64Array {
  const target = physics.geomXpos('target');
  const finger = physics.geomXpos('finger');
  return Float64Array.of(target[0] - finger[0], target[1] - finger[1]);
}

export function reacherReward(physics: Physics): number {
  const radii = physics.modelRow('geom_size', 'target')[0] + physics.modelRow('geom_size', 'finger')[0];
  const [dx, dy] = fingerToTarget(physics);
  return tolerance(Math.hypot(dx, dy), { bounds: [0, radii] });
}

function reacher(name: string, targetSize: number): Task {
  return {
    domain: 'reacher',
    name,
    modelFile: 'reacher.xml',
    controlTimestep: 0.02,
    timeLimit: 20,
    initializeEpisode(physics: Physics, rng: Random): void {
      const size = physics.modelRow('geom_size', 'target');
      size[0] = targetSize;
      physics.setModelRow('geom_size', 'target', size);
      randomizeLimitedAndRotationalJoints(physics, rng);
      const angle = rng.uniform(0, 2 * Math.PI);
      const radius = rng.uniform(0.05, 0.2);
      const position = physics.modelRow('geom_pos', 'target');
      position[0] = radius * Math.sin(angle);
      position[1] = radius * Math.cos(angle);
      physics.setModelRow('geom_pos', 'target', position);
    },
    getObservation(physics: Physics): Record<string, Float64Array> {
      return { position: physics.qpos(), to_target: fingerToTarget(physics), velocity: physics.qvel() };
    },
    getReward: reacherReward,
  };
}

export const tasks: Record<string, TaskFactory> = {
  easy: () => reacher('easy', BIG_TARGET),
  hard: () => reacher('hard', SMALL_TARGET),
};
