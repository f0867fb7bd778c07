/**
 * dm_control's `randomize_limited_and_rotational_joints`
 * (dm_control/suite/utils/randomizers.py), drawing from the project's seeded
 * `Random` instead of numpy's:
 * - limited hinges and slides: uniform within their range;
 * - unlimited hinges: uniform in [-pi, pi];
 * - unlimited ball joints: a uniform unit quaternion (normalised 4-D normal);
 * - limited ball joints: a random axis, an angle uniform in [0, range max];
 * - free joints: the orientation from four uniforms in [0, 1), normalised
 *   (dm_control keeps this non-uniform draw for benchmark stability); the
 *   position is not touched.
 * Joints are visited in id order, as in dm_control.
 */
import type { Random } from '../../common/random.ts';
import type { Physics } from './physics.ts';

// mjtJoint values.
const FREE = 0;
const BALL = 1;
const SLIDE = 2;
const HINGE = 3;

function normalise(values: number[]): number[] {
  const norm = Math.hypot(...values);
  return values.map((value) => value / norm);
}

/** A rotation by an angle uniform in [0, limit] about a uniformly random axis (w, x, y, z). */
export function randomLimitedQuaternion(rng: Random, limit: number): number[] {
  const axis = normalise([rng.normal(), rng.normal(), rng.normal()]);
  const angle = rng.uniform() * limit;
  const half = Math.sin(angle / 2);
  return [Math.cos(angle / 2), axis[0] * half, axis[1] * half, axis[2] * half];
}

export function randomizeLimitedAndRotationalJoints(physics: Physics, rng: Random): void {
  const jointCount = physics.model.njnt;
  for (let joint = 0; joint < jointCount; joint++) {
    // Fresh views each pass: nothing here allocates, but views must never outlive a call.
    const type = (physics.model.jnt_type as Int32Array)[joint];
    const limited = (physics.model.jnt_limited as Uint8Array)[joint] !== 0;
    const range = physics.model.jnt_range as Float64Array;
    const low = range[2 * joint];
    const high = range[2 * joint + 1];
    const address = (physics.model.jnt_qposadr as Int32Array)[joint];
    let values: number[] | null = null;
    let offset = 0;
    if (limited) {
      if (type === HINGE || type === SLIDE) values = [rng.uniform(low, high)];
      else if (type === BALL) values = randomLimitedQuaternion(rng, high);
    } else if (type === HINGE) {
      values = [rng.uniform(-Math.PI, Math.PI)];
    } else if (type === BALL) {
      values = normalise([rng.normal(), rng.normal(), rng.normal(), rng.normal()]);
    } else if (type === FREE) {
      values = normalise([rng.uniform(), rng.uniform(), rng.uniform(), rng.uniform()]);
      offset = 3;
    }
    if (values) (physics.data.qpos as Float64Array).set(values, address + offset);
  }
}
