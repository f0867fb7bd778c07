/**
 * Point-mass tasks (dm_control suite/point_mass.py): bring the ball to the
 * target at the arena's centre. `easy` actuates x and y directly; `hard` draws
 * two random, not-too-parallel actuation directions per episode. 20 ms control
 * steps, 20 s episodes.
 */
import type { Random } from '../../../common/random.ts';
import type { Physics } from '../physics.ts';
import { randomizeLimitedAndRotationalJoints } from '../randomizers.ts';
import { tolerance } from '../rewards.ts';
import { distance, type Task, type TaskFactory } from '../task.ts';

function unitDirection(rng: Random): [number, number] {
  const x = rng.normal();
  const y = rng.normal();
  const norm = Math.hypot(x, y);
  return [x / norm, y / norm];
}

/** near target (within the target's radius, falling off over one more radius) * small control. */
export function pointMassReward(physics: Physics): number {
  const targetSize = physics.modelRow('geom_size', 'target')[0];
  const gap = distance(physics.geomXpos('target'), physics.geomXpos('pointmass'));
  const nearTarget = tolerance(gap, { bounds: [0, targetSize], margin: targetSize });
  const control = physics.ctrl();
  let controlReward = 0;
  for (const value of control) controlReward += tolerance(value, { margin: 1, valueAtMargin: 0, sigmoid: 'quadratic' });
  controlReward /= control.length;
  return nearTarget * ((controlReward + 4) / 5);
}

function pointMass(name: string, randomizeGains: boolean): Task {
  return {
    domain: 'point_mass',
    name,
    modelFile: 'point_mass.xml',
    controlTimestep: 0.02,
    timeLimit: 20,
    initializeEpisode(physics: Physics, rng: Random): void {
      randomizeLimitedAndRotationalJoints(physics, rng);
      if (!randomizeGains) return;
      const first = unitDirection(rng);
      let second = unitDirection(rng);
      while (Math.abs(first[0] * second[0] + first[1] * second[1]) > 0.9) second = unitDirection(rng);
      // The tendons' joint coefficients: wrap_prm rows 0-1 are tendon t1, rows 2-3 tendon t2.
      const coefficients = physics.model.wrap_prm as Float64Array;
      coefficients.set([...first, ...second], 0);
    },
    getObservation(physics: Physics): Record<string, Float64Array> {
      return { position: physics.qpos(), velocity: physics.qvel() };
    },
    getReward: pointMassReward,
  };
}

export const tasks: Record<string, TaskFactory> = {
  easy: () => pointMass('easy', false),
  hard: () => pointMass('hard', true),
};
