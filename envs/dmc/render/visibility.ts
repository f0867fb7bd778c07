/**
 * Primary visibility: the nearest object along a ray from the eye, among the
 * objects listed for the ray's tile (tiles.ts), with analytic intersections in
 * each object's frame (intersect.ts). Each frame starts with `prepare`, which
 * puts the eye into every object's frame once.
 *
 * Numbers pass through Float64Arrays shared with the ray caster (see intersect.ts).
 */
import type { Culling } from './culling.ts';
import { intersect, RAY_LENGTH } from './intersect.ts';
import { GEOM_PLANE, type Scene } from './scene.ts';
import type { TileLists } from './tiles.ts';

const EPSILON = 1e-6;

export class Visibility {
  /** The tile of the ray being traced (set by the ray caster). */
  tile = 0;
  /** Distance along the unit ray to the object the last search found. */
  nearestDistance = Infinity;
  /** Set by the ray caster: the unit direction of the ray `nearestObject` follows (an array: V8 boxes double arguments of calls it does not inline). */
  readonly direction = new Float64Array(3);
  /** The distance `planeDistance` found. */
  private planeT = 0;
  private readonly n: number;
  /** Per object: the eye in its frame (3), its centre minus the eye (3), and that distance squared. */
  private readonly localOrigin: Float64Array;
  private readonly centreOffset: Float64Array;
  private readonly centreDistance2: Float64Array;
  private readonly ray = new Float64Array(RAY_LENGTH);

  constructor(
    private readonly scene: Scene,
    private readonly culling: Culling,
    private readonly tiles: TileLists,
    /** Shared with the ray caster: a search writes the world normal of its hit at [3..5]. */
    private readonly hit: Float64Array,
    /** Shared with the ray caster: the image point (pixels) of the ray being traced. */
    private readonly sample: Float64Array,
  ) {
    this.n = scene.count;
    this.localOrigin = new Float64Array(3 * this.n);
    this.centreOffset = new Float64Array(3 * this.n);
    this.centreDistance2 = new Float64Array(this.n);
  }

  /** Each object's eye position in its own frame, for this frame's primary rays (camera layout in culling.ts). */
  prepare(camera: Float64Array): void {
    const { scene } = this;
    const rot = scene.rotation;
    for (let k = 0; k < this.n; k++) {
      const p = 3 * k;
      const r = 9 * k;
      const wx = camera[0] - scene.position[p];
      const wy = camera[1] - scene.position[p + 1];
      const wz = camera[2] - scene.position[p + 2];
      this.localOrigin[p] = rot[r] * wx + rot[r + 3] * wy + rot[r + 6] * wz;
      this.localOrigin[p + 1] = rot[r + 1] * wx + rot[r + 4] * wy + rot[r + 7] * wz;
      this.localOrigin[p + 2] = rot[r + 2] * wx + rot[r + 5] * wy + rot[r + 8] * wz;
      this.centreOffset[p] = -wx;
      this.centreOffset[p + 1] = -wy;
      this.centreOffset[p + 2] = -wz;
      this.centreDistance2[k] = wx * wx + wy * wy + wz * wz;
    }
  }

  /**
   * The nearest object along the primary ray from the eye with the unit direction
   * in `direction` among the objects listed for the pixel's tile (-1: none); its
   * distance goes to `nearestDistance` and its world normal to the hit buffer.
   */
  nearestObject(): number {
    const { scene, localOrigin, ray, hit, centreOffset, centreDistance2 } = this;
    const dx = this.direction[0];
    const dy = this.direction[1];
    const dz = this.direction[2];
    const radii = this.culling.radius;
    const tiles = this.tiles;
    const capsule = tiles.capsule;
    const sampleX = this.sample[0];
    const sampleY = this.sample[1];
    const active = this.tiles.direct;
    const n = this.n;
    const first = this.tile * n;
    const count = this.tiles.directCount[this.tile];
    const types = scene.type;
    const sizes = scene.size;
    let best = Infinity;
    let nearest = -1;
    const rot = scene.rotation;
    for (let a = first; a < first + count; a++) {
      const k = active[a];
      const r = 9 * k;
      const p = 3 * k;
      const type = types[k];
      if (type === GEOM_PLANE) {
        // Planes here, not through `intersect`: every tile lists the floor.
        if (this.planeDistance(k, best) === 1) {
          best = this.planeT;
          nearest = k;
        }
        continue;
      }
      // The screen capsule at the ray's image point, then the bounding sphere:
      // behind the eye, beyond the nearest hit, or off the ray.
      if (!tiles.reaches(capsule, k, sampleX, sampleY)) continue;
      const radius = radii[k];
      const along = centreOffset[p] * dx + centreOffset[p + 1] * dy + centreOffset[p + 2] * dz;
      if (along + radius < 0 || along - radius > best) continue;
      if (centreDistance2[k] - along * along > radius * radius * (1 + 1e-9) + 1e-12) continue;
      ray[0] = localOrigin[p];
      ray[1] = localOrigin[p + 1];
      ray[2] = localOrigin[p + 2];
      ray[3] = rot[r] * dx + rot[r + 3] * dy + rot[r + 6] * dz;
      ray[4] = rot[r + 1] * dx + rot[r + 4] * dy + rot[r + 7] * dz;
      ray[5] = rot[r + 2] * dx + rot[r + 5] * dy + rot[r + 8] * dz;
      ray[6] = EPSILON;
      ray[7] = best;
      ray[8] = sizes[p];
      ray[9] = sizes[p + 1];
      ray[10] = sizes[p + 2];
      if (intersect(type, ray) === 1) {
        best = ray[11];
        nearest = k;
        // Local normal to world.
        hit[3] = rot[r] * ray[12] + rot[r + 1] * ray[13] + rot[r + 2] * ray[14];
        hit[4] = rot[r + 3] * ray[12] + rot[r + 4] * ray[13] + rot[r + 5] * ray[14];
        hit[5] = rot[r + 6] * ray[12] + rot[r + 7] * ray[13] + rot[r + 8] * ray[14];
      }
    }
    this.nearestDistance = best;
    return nearest;
  }

  /**
   * The nearest plane listed for `tile` that the ray of `slot` (unit directions, 3 per slot) meets
   * (-1: none; it points away from the planes, which are seen from above only,
   * or meets them beyond their edges, as walker's and cheetah's floor strips),
   * with its distance in `nearestDistance` and world normal in the hit buffer.
   * The same arithmetic as `nearestObject` and `intersect` (intersect.ts), so
   * the answer is the same.
   */
  planeHit(tile: number, directions: Float64Array, slot: number): number {
    const { tiles, direction } = this;
    direction[0] = directions[3 * slot];
    direction[1] = directions[3 * slot + 1];
    direction[2] = directions[3 * slot + 2];
    const first = tile * this.n;
    let best = Infinity;
    let nearest = -1;
    for (let a = first; a < first + tiles.directCount[tile]; a++) {
      const k = tiles.direct[a];
      if (this.planeDistance(k, best) === 1) {
        best = this.planeT;
        nearest = k;
      }
    }
    this.nearestDistance = best;
    return nearest;
  }

  /**
   * Whether the unit ray in `direction` from the eye meets plane k nearer than
   * `best` and within the plane's extent (1, its distance in `planeT`) or not (0); a hit
   * writes the plane's world normal to the hit buffer. The arithmetic of
   * intersect.ts; planes are seen from above only. (The distance is not
   * returned: V8 boxes a double returned from a call it does not inline.)
   */
  private planeDistance(k: number, best: number): number {
    const { scene, localOrigin, hit, direction } = this;
    const dx = direction[0];
    const dy = direction[1];
    const dz = direction[2];
    const rot = scene.rotation;
    const r = 9 * k;
    const p = 3 * k;
    const oz = localOrigin[p + 2];
    const localZ = rot[r + 2] * dx + rot[r + 5] * dy + rot[r + 8] * dz;
    if (oz <= 0 || localZ >= 0) return 0;
    const t = -oz / localZ;
    if (t <= EPSILON || !(t < best)) return 0;
    const sx = scene.size[p];
    const sy = scene.size[p + 1];
    const x = localOrigin[p] + t * (rot[r] * dx + rot[r + 3] * dy + rot[r + 6] * dz);
    const y = localOrigin[p + 1] + t * (rot[r + 1] * dx + rot[r + 4] * dy + rot[r + 7] * dz);
    if ((sx > 0 && (x < -sx || x > sx)) || (sy > 0 && (y < -sy || y > sy))) return 0;
    // The local normal (0, 0, 1) in world coordinates: the rotation's third column.
    hit[3] = rot[r + 2];
    hit[4] = rot[r + 5];
    hit[5] = rot[r + 8];
    this.planeT = t;
    return 1;
  }
}
