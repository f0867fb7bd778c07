/**
 * Finger tasks (dm_control suite/finger.py). A planar two-link finger and a
 * passive hinged body (the spinner), no gravity.
 * - spin: sparse reward 1 while the spinner turns faster than 15 rad/s
 *   (clockwise as seen from the camera: hinge velocity <= -15).
 * - turn_easy / turn_hard: sparse reward 1 while the spinner's tip lies inside
 *   a target sphere (radius 7 cm / 3 cm) placed at a random angle on the tip's circle.
 * 20 ms control steps (two 10 ms physics steps), 20 s episodes (1000 steps).
 * Every observation is read from the model's sensors, as in dm_control.
 */
import type { Random } from '../../../common/random.ts';
import type { Physics } from '../physics.ts';
import { randomizeLimitedAndRotationalJoints } from '../randomizers.ts';
import type { Task, TaskFactory } from '../task.ts';

const EASY_TARGET_RADIUS = 0.07;
const HARD_TARGET_RADIUS = 0.03;
/** Hinge speed (rad/s) above which the spinner counts as spinning. */
const SPIN_VELOCITY = 15;
/** dm_control lowers the spinner's damping for spin, so that it keeps turning. */
const SPIN_HINGE_DAMPING = 0.03;
const MAX_RESET_ATTEMPTS = 1000;

/** The (x, z) of one framepos sensor minus the spinner's (the hinge axis). */
function relativeToSpinner(physics: Physics, sensor: string): Float64Array {
  const point = physics.sensor(sensor);
  const spinner = physics.sensor('spinner');
  return Float64Array.of(point[0] - spinner[0], point[2] - spinner[2]);
}

/** The tip of the spinner relative to its hinge, (x, z). */
export function tipPosition(physics: Physics): Float64Array {
  return relativeToSpinner(physics, 'tip');
}

/** The target relative to the spinner's hinge, (x, z). */
export function targetPosition(physics: Physics): Float64Array {
  return relativeToSpinner(physics, 'target');
}

/** Signed distance from the tip to the target sphere's surface; negative inside. */
export function distanceToTarget(physics: Physics): number {
  const tip = tipPosition(physics);
  const target = targetPosition(physics);
  return Math.hypot(target[0] - tip[0], target[1] - tip[1]) - physics.modelRow('site_size', 'target')[0];
}

export function hingeVelocity(physics: Physics): number {
  return physics.sensor('hinge_velocity')[0];
}

/** Finger joint angles, then the tip position in place of the unbounded hinge angle. */
function boundedPosition(physics: Physics): Float64Array {
  const tip = tipPosition(physics);
  return Float64Array.of(physics.sensor('proximal')[0], physics.sensor('distal')[0], tip[0], tip[1]);
}

function velocity(physics: Physics): Float64Array {
  return Float64Array.of(
    physics.sensor('proximal_velocity')[0],
    physics.sensor('distal_velocity')[0],
    physics.sensor('hinge_velocity')[0],
  );
}

/** The two touch sensors, log(1 + force) to compress their range. */
function touch(physics: Physics): Float64Array {
  return Float64Array.of(Math.log1p(physics.sensor('touchtop')[0]), Math.log1p(physics.sensor('touchbottom')[0]));
}

/** Random joint angles (finger within its limits, spinner anywhere) with no contact; dm_control gives up after 1000 tries. */
function setRandomJointAngles(physics: Physics, rng: Random): void {
  for (let attempt = 0; attempt < MAX_RESET_ATTEMPTS; attempt++) {
    randomizeLimitedAndRotationalJoints(physics, rng);
    physics.afterReset();
    if (physics.data.ncon === 0) return;
  }
  throw new Error(`finger: no collision-free initial state after ${MAX_RESET_ATTEMPTS} attempts`);
}

function setSiteAlpha(physics: Physics, site: string, alpha: number): void {
  const rgba = physics.modelRow('site_rgba', site);
  rgba[3] = alpha;
  physics.setModelRow('site_rgba', site, rgba);
}

function spin(): Task {
  return {
    domain: 'finger',
    name: 'spin',
    modelFile: 'finger.xml',
    controlTimestep: 0.02,
    timeLimit: 20,
    initializeEpisode(physics: Physics, rng: Random): void {
      // No target in this task: hide the target and the tip marker.
      setSiteAlpha(physics, 'target', 0);
      setSiteAlpha(physics, 'tip', 0);
      const hingeDof = (physics.model.jnt_dofadr as Int32Array)[physics.id('joint', 'hinge')];
      (physics.model.dof_damping as Float64Array)[hingeDof] = SPIN_HINGE_DAMPING;
      setRandomJointAngles(physics, rng);
    },
    getObservation(physics: Physics): Record<string, Float64Array> {
      return { position: boundedPosition(physics), velocity: velocity(physics), touch: touch(physics) };
    },
    getReward(physics: Physics): number {
      return hingeVelocity(physics) <= -SPIN_VELOCITY ? 1 : 0;
    },
  };
}

function turn(name: string, targetRadius: number): Task {
  return {
    domain: 'finger',
    name,
    modelFile: 'finger.xml',
    controlTimestep: 0.02,
    timeLimit: 20,
    initializeEpisode(physics: Physics, rng: Random): void {
      // The hinge anchor is a derived quantity: compute it for the reset state
      // (dm_control's reset runs this forward pass before the task).
      physics.afterReset();
      const targetAngle = rng.uniform(-Math.PI, Math.PI);
      const anchor = (physics.data.xanchor as Float64Array).slice(3 * physics.id('joint', 'hinge'));
      // The target sits on the circle the spinner's tip sweeps (radius + half-length of cap1).
      const capsule = physics.modelRow('geom_size', 'cap1');
      const radius = capsule[0] + capsule[1] + capsule[2];
      const position = physics.modelRow('site_pos', 'target');
      position[0] = anchor[0] + radius * Math.sin(targetAngle);
      position[2] = anchor[2] + radius * Math.cos(targetAngle);
      physics.setModelRow('site_pos', 'target', position);
      const size = physics.modelRow('site_size', 'target');
      size[0] = targetRadius;
      physics.setModelRow('site_size', 'target', size);
      setRandomJointAngles(physics, rng);
    },
    getObservation(physics: Physics): Record<string, Float64Array> {
      return {
        position: boundedPosition(physics),
        velocity: velocity(physics),
        touch: touch(physics),
        target_position: targetPosition(physics),
        dist_to_target: Float64Array.of(distanceToTarget(physics)),
      };
    },
    getReward(physics: Physics): number {
      return distanceToTarget(physics) <= 0 ? 1 : 0;
    },
  };
}

export const tasks: Record<string, TaskFactory> = {
  spin,
  turn_easy: () => turn('turn_easy', EASY_TARGET_RADIUS),
  turn_hard: () => turn('turn_hard', HARD_TARGET_RADIUS),
};
