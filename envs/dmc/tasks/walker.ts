/**
 * Walker tasks (dm_control suite/walker.py): a planar biped should stand
 * (torso above 1.2 m and upright), and for walk and run also move forward at
 * 1 m/s and 8 m/s. 25 ms control steps (ten 2.5 ms physics steps), 25 s
 * episodes (1000 steps).
 */
import type { Random } from '../../../common/random.ts';
import type { Physics } from '../physics.ts';
import { randomizeLimitedAndRotationalJoints } from '../randomizers.ts';
import { tolerance } from '../rewards.ts';
import type { Task, TaskFactory } from '../task.ts';

/** Torso height (m) above which the standing term is 1. */
const STAND_HEIGHT = 1.2;
const WALK_SPEED = 1;
const RUN_SPEED = 8;
// Row-major 3x3 rotation matrix entries.
const XX = 0;
const XZ = 2;
const ZZ = 8;

export function torsoHeight(physics: Physics): number {
  return physics.bodyXpos('torso')[2];
}

/** Projection of the torso's z axis on the world's z axis: 1 upright, -1 upside down. */
export function torsoUpright(physics: Physics): number {
  return physics.bodyXmat('torso')[ZZ];
}

/** Forward velocity of the walker's centre of mass. */
export function horizontalVelocity(physics: Physics): number {
  return physics.sensor('torso_subtreelinvel')[0];
}

/** The xx and xz entries of every body's orientation (the world excluded): its angle in the plane. */
function orientations(physics: Physics): Float64Array {
  const bodies = physics.model.nbody - 1;
  const xmat = physics.data.xmat as Float64Array;
  const values = new Float64Array(2 * bodies);
  for (let body = 1; body <= bodies; body++) {
    values[2 * (body - 1)] = xmat[9 * body + XX];
    values[2 * (body - 1) + 1] = xmat[9 * body + XZ];
  }
  return values;
}

/** Stand reward, times a forward-speed term when `moveSpeed` > 0 (dm_control's PlanarWalker.get_reward). */
export function walkerReward(physics: Physics, moveSpeed: number): number {
  const standing = tolerance(torsoHeight(physics), { bounds: [STAND_HEIGHT, Infinity], margin: STAND_HEIGHT / 2 });
  const upright = (1 + torsoUpright(physics)) / 2;
  const standReward = (3 * standing + upright) / 4;
  if (moveSpeed === 0) return standReward;
  const moveReward = tolerance(horizontalVelocity(physics), {
    bounds: [moveSpeed, Infinity],
    margin: moveSpeed / 2,
    valueAtMargin: 0.5,
    sigmoid: 'linear',
  });
  return (standReward * (5 * moveReward + 1)) / 6;
}

function planarWalker(name: string, moveSpeed: number): Task {
  return {
    domain: 'walker',
    name,
    modelFile: 'walker.xml',
    controlTimestep: 0.025,
    timeLimit: 25,
    initializeEpisode(physics: Physics, rng: Random): void {
      // Random joint angles (root hinge anywhere, the others within limits) at
      // the default height; the walker falls from there.
      randomizeLimitedAndRotationalJoints(physics, rng);
    },
    getObservation(physics: Physics): Record<string, Float64Array> {
      return { orientations: orientations(physics), height: Float64Array.of(torsoHeight(physics)), velocity: physics.qvel() };
    },
    getReward(physics: Physics): number {
      return walkerReward(physics, moveSpeed);
    },
  };
}

export const tasks: Record<string, TaskFactory> = {
  stand: () => planarWalker('stand', 0),
  walk: () => planarWalker('walk', WALK_SPEED),
  run: () => planarWalker('run', RUN_SPEED),
};
