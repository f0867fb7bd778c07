/**
 * Cartpole tasks (dm_control suite/cartpole.py): balance and swing-up, each with
 * a smooth and a sparse reward. Control timestep = physics timestep (10 ms),
 * 10 s episodes (1000 steps).
 */
import type { Random } from '../../../common/random.ts';
import type { Physics } from '../physics.ts';
import { tolerance } from '../rewards.ts';
import type { Task, TaskFactory } from '../task.ts';

const CART_RANGE: [number, number] = [-0.25, 0.25];
const ANGLE_COSINE_RANGE: [number, number] = [0.995, 1];
// Row-major 3x3 rotation matrix entries of the pole's frame.
const XZ = 2;
const ZZ = 8;

function cartPosition(physics: Physics): number {
  return physics.jointQpos('slider')[0];
}

/** cos of the pole's angle from upright: the z-z entry of its rotation matrix. */
function poleAngleCosine(physics: Physics): number {
  return physics.bodyXmat('pole_1')[ZZ];
}

/** Smooth reward: upright * small control * small angular velocity * centred, each in [0, 1]. */
export function smoothReward(physics: Physics): number {
  const upright = (poleAngleCosine(physics) + 1) / 2;
  const centered = (1 + tolerance(cartPosition(physics), { margin: 2 })) / 2;
  const control = physics.ctrl()[0];
  const smallControl = (4 + tolerance(control, { margin: 1, valueAtMargin: 0, sigmoid: 'quadratic' })) / 5;
  const angularVelocity = physics.jointQvel('hinge_1')[0];
  const smallVelocity = (1 + tolerance(angularVelocity, { margin: 5 })) / 2;
  return upright * smallControl * smallVelocity * centered;
}

/** Sparse reward: 1 when the cart is within 0.25 m of the centre and the pole within ~5.7 degrees of upright. */
export function sparseReward(physics: Physics): number {
  return tolerance(cartPosition(physics), { bounds: CART_RANGE }) * tolerance(poleAngleCosine(physics), { bounds: ANGLE_COSINE_RANGE });
}

function balance(name: string, swingUp: boolean, sparse: boolean): Task {
  return {
    domain: 'cartpole',
    name,
    modelFile: 'cartpole.xml',
    controlTimestep: 0.01,
    timeLimit: 10,
    initializeEpisode(physics: Physics, rng: Random): void {
      // Swing-up starts hanging down at the centre; balance near upright anywhere
      // within 10 cm. Small random velocities break the symmetry.
      if (swingUp) {
        physics.setJointQpos('slider', 0.01 * rng.normal());
        physics.setJointQpos('hinge_1', Math.PI + 0.01 * rng.normal());
      } else {
        physics.setJointQpos('slider', rng.uniform(-0.1, 0.1));
        physics.setJointQpos('hinge_1', rng.uniform(-0.034, 0.034));
      }
      physics.setQvel([0.01 * rng.normal(), 0.01 * rng.normal()]);
    },
    getObservation(physics: Physics): Record<string, Float64Array> {
      const rotation = physics.bodyXmat('pole_1');
      return {
        position: Float64Array.of(cartPosition(physics), rotation[ZZ], rotation[XZ]),
        velocity: physics.qvel(),
      };
    },
    getReward(physics: Physics): number {
      return sparse ? sparseReward(physics) : smoothReward(physics);
    },
  };
}

export const tasks: Record<string, TaskFactory> = {
  balance: () => balance('balance', false, false),
  balance_sparse: () => balance('balance_sparse', false, true),
  swingup: () => balance('swingup', true, false),
  swingup_sparse: () => balance('swingup_sparse', true, true),
};
