/**
 * Spatial tendons drawn as MuJoCo 2.2.2 draws them (dm_control's reference
 * frames come from that version): capsules of the tendon's width between
 * consecutive wrap points, or, for a string-like tendon under gravity (two
 * sites, length-limited from 0, no stiffness, damping or friction loss: the
 * string of ball_in_cup), the curve a string of the limit length hangs in:
 *
 * - farther apart than the length: one straight segment;
 * - nearly vertical (length > 100 x horizontal span): two segments through the
 *   lowest point of a bead sliding on the string;
 * - otherwise the catenary through both ends, 31 points with the inner ones at
 *   horizontal offsets i * span / 31 (MuJoCo 2.2.2's sampling, kept as it is).
 *
 * Each tendon owns a fixed number of capsule slots in the scene; slots a frame
 * does not use get zero size, which no ray hits.
 */
import type { MjData, MjModel } from 'mujoco-js';

/** mjNCATENARY in MuJoCo 2.2.2: points along a hanging string. */
export const CATENARY_POINTS = 31;
/** mjtWrap: a fixed tendon's wraps are joints; it is not drawn. */
const WRAP_JOINT = 1;
/** mjDSBL_GRAVITY in mjtDisableBit. */
const DISABLE_GRAVITY = 1 << 6;

export interface DrawnTendon {
  index: number;
  /** Capsule slots this tendon owns in the scene. */
  slots: number;
  /** Drawn as a hanging string of length `length` (see above). */
  hanging: boolean;
  length: number;
  width: number;
}

/** The spatial tendons of tendon groups 0 to 2 (dm_control's default `mjvOption`), with their slot counts. */
export function drawnTendons(model: MjModel): DrawnTendon[] {
  const tendons: DrawnTendon[] = [];
  const address = model.tendon_adr as Int32Array;
  const count = model.tendon_num as Int32Array;
  const group = model.tendon_group as Int32Array;
  const wrapType = model.wrap_type as Int32Array;
  const limited = model.tendon_limited as Uint8Array;
  const range = model.tendon_range as Float64Array;
  const stiffness = model.tendon_stiffness as Float64Array;
  const damping = model.tendon_damping as Float64Array;
  const frictionLoss = model.tendon_frictionloss as Float64Array;
  const width = model.tendon_width as Float64Array;
  const gravity = model.opt.gravity as Float64Array;
  const gravityOn = (model.opt.disableflags & DISABLE_GRAVITY) === 0 && Math.hypot(gravity[0], gravity[1], gravity[2]) > 1e-15;
  for (let i = 0; i < model.ntendon; i++) {
    if (count[i] < 2 || wrapType[address[i]] === WRAP_JOINT || Math.max(0, Math.min(5, group[i])) >= 3) continue;
    const hanging =
      gravityOn && count[i] === 2 && limited[i] === 1 && range[2 * i] === 0 && stiffness[i] === 0 && damping[i] === 0 && frictionLoss[i] === 0;
    // A wrap around a geom adds up to two tangent points: at most 2n - 1 straight segments.
    tendons.push({ index: i, slots: hanging ? CATENARY_POINTS - 1 : 2 * count[i] - 1, hanging, length: range[2 * i + 1], width: width[i] });
  }
  return tendons;
}

/**
 * sinh(z) / z = ratio (> 1) for z > 0, by Newton's method from z = sqrt(6 (ratio - 1)):
 * there sinh(z)/z >= 1 + z^2/6 = ratio and cosh(z) > ratio, and f = sinh(z) - ratio z
 * is convex, so the iterates fall monotonically to the root.
 */
function solveSinhRatio(ratio: number): number {
  let z = Math.sqrt(6 * (ratio - 1));
  for (let i = 0; i < 100; i++) {
    const step = (Math.sinh(z) - ratio * z) / (Math.cosh(z) - ratio);
    z -= step;
    if (Math.abs(step) < 1e-12 * z) break;
  }
  return z;
}

/**
 * The points a hanging string of `length` follows from x0 to x1 under `gravity`,
 * written to `out` (3 per point); returns the number of points.
 */
export function hangingString(x0: ArrayLike<number>, x1: ArrayLike<number>, gravity: ArrayLike<number>, length: number, out: Float64Array): number {
  const dx = x1[0] - x0[0];
  const dy = x1[1] - x0[1];
  const dz = x1[2] - x0[2];
  const point = (i: number, x: number, y: number, z: number) => {
    out[3 * i] = x;
    out[3 * i + 1] = y;
    out[3 * i + 2] = z;
  };
  point(0, x0[0], x0[1], x0[2]);
  if (Math.hypot(dx, dy, dz) > length) {
    point(1, x1[0], x1[1], x1[2]);
    return 2;
  }
  const g = Math.hypot(gravity[0], gravity[1], gravity[2]);
  const up = [-gravity[0] / g, -gravity[1] / g, -gravity[2] / g];
  const v = dx * up[0] + dy * up[1] + dz * up[2]; // rise from x0 to x1
  const across = [dx - v * up[0], dy - v * up[1], dz - v * up[2]];
  const h = Math.hypot(across[0], across[1], across[2]); // horizontal span
  if (h > 1e-15) for (let j = 0; j < 3; j++) across[j] /= h;
  else across.fill(0);
  const at = (i: number, horizontal: number, vertical: number) =>
    point(i, x0[0] + across[0] * horizontal + up[0] * vertical, x0[1] + across[1] * horizontal + up[1] * vertical, x0[2] + across[2] * horizontal + up[2] * vertical);
  if (length > 100 * h) {
    // A bead on the string settles where the two straight parts meet: below x0 by
    // down, across by the share of the span that makes both parts equally steep.
    const down = -0.5 * (Math.sqrt(length * length - h * h) - v);
    at(1, (h * down) / (2 * down - v), down);
    point(2, x1[0], x1[1], x1[2]);
    return 3;
  }
  // y = a cosh((x - lowest) / a) + c through (0, 0) and (h, v) with arc length
  // `length`: 2a sinh(h / 2a) = sqrt(length^2 - v^2), lowest = h/2 - a atanh(v / length).
  const a = h / (2 * solveSinhRatio(Math.sqrt(length * length - v * v) / h));
  const lowest = h / 2 - a * Math.atanh(v / length);
  const c = -a * Math.cosh(lowest / a);
  for (let i = 1; i < CATENARY_POINTS - 1; i++) {
    const horizontal = (i * h) / CATENARY_POINTS;
    at(i, horizontal, a * Math.cosh((horizontal - lowest) / a) + c);
  }
  point(CATENARY_POINTS - 1, x1[0], x1[1], x1[2]);
  return CATENARY_POINTS;
}

/**
 * Writes one capsule from a to b into the scene arrays at object `k`: centre,
 * rotation (row-major, its z axis along b - a) and model-style size [radius,
 * half-length, 0].
 */
function capsule(k: number, a: ArrayLike<number>, aAt: number, b: ArrayLike<number>, bAt: number, radius: number, position: Float64Array, rotation: Float64Array, size: Float64Array): void {
  const dx = b[bAt] - a[aAt];
  const dy = b[bAt + 1] - a[aAt + 1];
  const dz = b[bAt + 2] - a[aAt + 2];
  const length = Math.hypot(dx, dy, dz);
  position[3 * k] = a[aAt] + dx / 2;
  position[3 * k + 1] = a[aAt + 1] + dy / 2;
  position[3 * k + 2] = a[aAt + 2] + dz / 2;
  size[3 * k] = radius;
  size[3 * k + 1] = length / 2;
  size[3 * k + 2] = 0;
  // Any frame whose z axis is the segment: the capsule is round about it.
  const z = length > 0 ? [dx / length, dy / length, dz / length] : [0, 0, 1];
  const helper = Math.abs(z[2]) < 0.9 ? [0, 0, 1] : [1, 0, 0];
  const x = [helper[1] * z[2] - helper[2] * z[1], helper[2] * z[0] - helper[0] * z[2], helper[0] * z[1] - helper[1] * z[0]];
  const norm = Math.hypot(x[0], x[1], x[2]);
  for (let j = 0; j < 3; j++) x[j] /= norm;
  const y = [z[1] * x[2] - z[2] * x[1], z[2] * x[0] - z[0] * x[2], z[0] * x[1] - z[1] * x[0]];
  for (let row = 0; row < 3; row++) {
    rotation[9 * k + 3 * row] = x[row];
    rotation[9 * k + 3 * row + 1] = y[row];
    rotation[9 * k + 3 * row + 2] = z[row];
  }
}

/**
 * Fills the capsule slots of `tendons`, starting at scene object `first`, from the
 * tendons' wrap points in `data` (after mj_forward or a step).
 */
export function updateTendonSegments(
  model: MjModel,
  data: MjData,
  tendons: DrawnTendon[],
  first: number,
  scratch: Float64Array,
  position: Float64Array,
  rotation: Float64Array,
  size: Float64Array,
): void {
  const wrapAddress = data.ten_wrapadr as Int32Array;
  const wrapCount = data.ten_wrapnum as Int32Array;
  const wrapObject = data.wrap_obj as Int32Array;
  const wrapPosition = data.wrap_xpos as Float64Array;
  const gravity = model.opt.gravity as Float64Array;
  let k = first;
  for (const tendon of tendons) {
    let used = 0;
    const start = wrapAddress[tendon.index];
    if (tendon.hanging) {
      const points = hangingString(wrapPosition.subarray(3 * start, 3 * start + 3), wrapPosition.subarray(3 * start + 3, 3 * start + 6), gravity, tendon.length, scratch);
      for (let j = 0; j + 1 < points; j++) capsule(k + used++, scratch, 3 * j, scratch, 3 * j + 3, tendon.width, position, rotation, size);
    } else {
      for (let j = start; j < start + wrapCount[tendon.index] - 1 && used < tendon.slots; j++) {
        if (wrapObject[j] === -2 || wrapObject[j + 1] === -2) continue; // a pulley splits the tendon here
        // Thinner inside a wrapping geom, as MuJoCo draws it.
        const radius = wrapObject[j] >= 0 && wrapObject[j + 1] >= 0 ? tendon.width / 2 : tendon.width;
        capsule(k + used++, wrapPosition, 3 * j, wrapPosition, 3 * j + 3, radius, position, rotation, size);
      }
    }
    for (let s = used; s < tendon.slots; s++) size.fill(0, 3 * (k + s), 3 * (k + s) + 3);
    k += tendon.slots;
  }
}
