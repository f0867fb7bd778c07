/**
 * Ray intersections with MuJoCo's geom shapes in the geom's own frame (centre at
 * the origin, axes of `geom_xmat`; sizes as in `geom_size`).
 *
 * Numbers cross calls in a Float64Array (`ray`), not as arguments: V8 boxes
 * every double argument and return value of a call it does not inline, which
 * costs more than the arithmetic here. Layout of `ray`:
 *   [0..2] origin, [3..5] direction (any length; distances are in its units),
 *   [6] tMin, [7] tMax, [8..10] sizes,
 *   written on a hit: [11] distance t, [12..14] local outward normal (not normalised).
 */
import { GEOM_BOX, GEOM_CAPSULE, GEOM_CYLINDER, GEOM_ELLIPSOID, GEOM_PLANE, GEOM_SPHERE } from './scene.ts';

export const RAY_LENGTH = 15;
export const RAY_T = 11;
export const RAY_NORMAL = 12;

/** Sphere of radius r centred at (0, 0, cz); writes the hit. */
function sphere(ray: Float64Array, r: number, cz: number, ellipsoid: boolean): number {
  let ox = ray[0];
  let oy = ray[1];
  let oz = ray[2] - cz;
  let dx = ray[3];
  let dy = ray[4];
  let dz = ray[5];
  if (ellipsoid) {
    // Scale to the unit sphere.
    ox /= ray[8];
    oy /= ray[9];
    oz /= ray[10];
    dx /= ray[8];
    dy /= ray[9];
    dz /= ray[10];
  }
  const a = dx * dx + dy * dy + dz * dz;
  const b = ox * dx + oy * dy + oz * dz;
  const c = ox * ox + oy * oy + oz * oz - r * r;
  const discriminant = b * b - a * c;
  if (discriminant < 0) return 0;
  const root = Math.sqrt(discriminant);
  let t = (-b - root) / a;
  if (t <= ray[6]) t = (-b + root) / a;
  if (t <= ray[6] || t >= ray[7]) return 0;
  ray[11] = t;
  if (ellipsoid) {
    // Gradient of the implicit surface: the unit-sphere normal scaled by 1/size.
    ray[12] = (ox + t * dx) / ray[8];
    ray[13] = (oy + t * dy) / ray[9];
    ray[14] = (oz + t * dz) / ray[10];
  } else {
    ray[12] = ox + t * dx;
    ray[13] = oy + t * dy;
    ray[14] = oz + t * dz;
  }
  return 1;
}

/** Capsule (radius ray[8], half-length ray[9]) or cylinder along z. */
function roundShape(ray: Float64Array, capsule: boolean): number {
  const ox = ray[0];
  const oy = ray[1];
  const oz = ray[2];
  const dx = ray[3];
  const dy = ray[4];
  const dz = ray[5];
  const r = ray[8];
  const h = ray[9];
  const a = dx * dx + dy * dy;
  const b = ox * dx + oy * dy;
  const c = ox * ox + oy * oy - r * r;
  let entryZ: number;
  if (a > 1e-12) {
    const discriminant = b * b - a * c;
    // The shape lies inside its infinite cylinder: missing that misses the shape.
    if (discriminant < 0) return 0;
    const root = Math.sqrt(discriminant);
    let t = (-b - root) / a;
    if (t <= ray[6]) {
      if (!capsule) t = -Infinity;
      else t = (-b + root) / a;
    }
    entryZ = oz + t * dz;
    if (t > ray[6] && entryZ >= -h && entryZ <= h) {
      if (t >= ray[7]) return 0;
      ray[11] = t;
      ray[12] = ox + t * dx;
      ray[13] = oy + t * dy;
      ray[14] = 0;
      return 1;
    }
    if (t === -Infinity) entryZ = oz;
  } else {
    if (c > 0) return 0;
    entryZ = dz > 0 ? -Infinity : Infinity;
  }
  if (capsule) {
    // Entering the cylinder beyond an end, the first possible hit is that end's cap.
    return sphere(ray, r, entryZ > h ? h : -h, false);
  }
  // Cylinder: the flat end the ray meets first.
  if (dz === 0) return 0;
  const end = dz < 0 ? h : -h;
  const t = (end - oz) / dz;
  if (t <= ray[6] || t >= ray[7]) return 0;
  const x = ox + t * dx;
  const y = oy + t * dy;
  if (x * x + y * y > r * r) return 0;
  ray[11] = t;
  ray[12] = 0;
  ray[13] = 0;
  ray[14] = end;
  return 1;
}

function box(ray: Float64Array): number {
  // Slabs, one axis at a time.
  let near = -Infinity;
  let far = Infinity;
  let axis = 0;
  let sign = 0;
  for (let i = 0; i < 3; i++) {
    const o = ray[i];
    const d = ray[3 + i];
    const s = ray[8 + i];
    if (d === 0) {
      if (o < -s || o > s) return 0;
      continue;
    }
    const t1 = (-s - o) / d;
    const t2 = (s - o) / d;
    const entry = t1 < t2 ? t1 : t2;
    const exit = t1 < t2 ? t2 : t1;
    if (entry > near) {
      near = entry;
      axis = i;
      sign = t1 < t2 ? -1 : 1;
    }
    if (exit < far) far = exit;
  }
  if (near > far || near <= ray[6] || near >= ray[7]) return 0;
  ray[11] = near;
  ray[12] = axis === 0 ? sign : 0;
  ray[13] = axis === 1 ? sign : 0;
  ray[14] = axis === 2 ? sign : 0;
  return 1;
}

function plane(ray: Float64Array): number {
  // Seen from its front (+z) side only, as MuJoCo draws it; size 0 means infinite.
  const oz = ray[2];
  const dz = ray[5];
  if (oz <= 0 || dz >= 0) return 0;
  const t = -oz / dz;
  if (t <= ray[6] || t >= ray[7]) return 0;
  const x = ray[0] + t * ray[3];
  const y = ray[1] + t * ray[4];
  const sx = ray[8];
  const sy = ray[9];
  if ((sx > 0 && (x < -sx || x > sx)) || (sy > 0 && (y < -sy || y > sy))) return 0;
  ray[11] = t;
  ray[12] = 0;
  ray[13] = 0;
  ray[14] = 1;
  return 1;
}

/** First hit of the ray in `ray` with a shape of the given mjtGeom type: 1 (and the hit written) or 0. */
export function intersect(type: number, ray: Float64Array): number {
  switch (type) {
    case GEOM_SPHERE:
      return sphere(ray, ray[8], 0, false);
    case GEOM_CAPSULE:
      return roundShape(ray, true);
    case GEOM_CYLINDER:
      return roundShape(ray, false);
    case GEOM_ELLIPSOID:
      return sphere(ray, 1, 0, true);
    case GEOM_BOX:
      return box(ray);
    case GEOM_PLANE:
      return plane(ray);
    default:
      return 0;
  }
}
