/**
 * Secondary rays, from a surface point in the shared hit buffer: shadow rays
 * toward the lights and mirror rays off reflective planes, each testing only the
 * objects the frame's culling (culling.ts; for mirror rays off the ground, the
 * tile lists and screen capsules of tiles.ts) leaves possible.
 */
import { intersect, RAY_LENGTH } from './intersect.ts';
import type { Culling } from './culling.ts';
import { GEOM_PLANE, type Scene } from './scene.ts';
import { HIT_POINT, type Occluder, type Shader } from './shading.ts';
import type { TileLists } from './tiles.ts';

const EPSILON = 1e-6;
// Layout of `probe` (a ray in the world frame): origin, direction, tMax, then the hit's distance and normal.
const PROBE_T_MAX = 6;
const PROBE_T = 7;
const PROBE_NORMAL = 8;

export class SecondaryRays implements Occluder {
  /** Set by the ray caster: shades what a mirror ray meets. */
  shader: Shader | null = null;
  /** The tile of the pixel being traced (mirror rays off the ground test that tile's mirrored objects). */
  tile = 0;
  /** The pixel being traced, and per pixel whether a mirror / shadow ray off the ground can meet anything (reuse.ts). */
  pixel = 0;
  mirrorMask: Uint8Array = new Uint8Array(0);
  shadowMask: Uint8Array = new Uint8Array(0);
  private readonly n: number;
  private readonly probe = new Float64Array(11);
  private readonly ray = new Float64Array(RAY_LENGTH);
  /** What `hits` takes: the ray's origin relative to the object's centre, and tMax (an array: V8 boxes double arguments of calls it does not inline). */
  private readonly offset = new Float64Array(4);
  /** Culling in use: 0 none, 1 mirror rays off the ground, 2 shadow rays from the ground to light `cullLight`. */
  private cullMode = 0;
  private cullLight = 0;
  /** Objects other than planes (what secondary rays can hit). */
  private readonly solids: Int32Array;

  constructor(
    private readonly scene: Scene,
    private readonly culling: Culling,
    private readonly tiles: TileLists,
    private readonly hit: Float64Array,
    /** Shared with the ray caster: the image point (pixels) of the primary ray being traced. */
    private readonly sample: Float64Array,
  ) {
    this.n = scene.count;
    const solids: number[] = [];
    for (let k = 0; k < this.n; k++) if (scene.type[k] !== GEOM_PLANE) solids.push(k);
    this.solids = Int32Array.from(solids);
  }

  /** Blends into `colour` what a reflective plane hit (point, normal, direction in `hit`) mirrors. */
  reflect(nearest: number): void {
    const { scene, hit, probe } = this;
    const colour = this.shader!.colour;
    const reflectance = scene.reflectance[nearest];
    // Off the ground, a mirror ray can meet only what its tile's mirrored list holds
    // (other planes included: point_mass's and reacher's walls).
    const culled = nearest === this.culling.ground;
    if (culled && (this.mirrorMask[this.pixel] === 0 || this.tiles.mirroredCount[this.tile] === 0)) return;
    if (reflectance > 0 && scene.type[nearest] === GEOM_PLANE) {
      const hx = hit[0];
      const hy = hit[1];
      const hz = hit[2];
      const dx = hit[6];
      const dy = hit[7];
      const dz = hit[8];
      // MuJoCo draws the mirrored scene (objects only) under the plane.
      const red = colour[0];
      const green = colour[1];
      const blue = colour[2];
      const ux = hit[3];
      const uy = hit[4];
      const uz = hit[5];
      const dot = 2 * (dx * ux + dy * uy + dz * uz);
      const rx = dx - dot * ux;
      const ry = dy - dot * uy;
      const rz = dz - dot * uz;
      probe[0] = hx;
      probe[1] = hy;
      probe[2] = hz;
      probe[3] = rx;
      probe[4] = ry;
      probe[5] = rz;
      probe[PROBE_T_MAX] = Infinity;
      this.cullMode = culled ? 1 : 0;
      let mirrored = this.firstHit(nearest);
      this.cullMode = 0;
      if (!culled && this.scene.planes.length > 1) mirrored = this.firstPlaneHit(nearest, mirrored);
      if (mirrored >= 0) {
        const t = probe[PROBE_T];
        hit[0] = hx + t * rx;
        hit[1] = hy + t * ry;
        hit[2] = hz + t * rz;
        hit[3] = probe[PROBE_NORMAL];
        hit[4] = probe[PROBE_NORMAL + 1];
        hit[5] = probe[PROBE_NORMAL + 2];
        hit[6] = rx;
        hit[7] = ry;
        hit[8] = rz;
        // MuJoCo 2.2 draws the mirrored objects with their colour times the
        // reflectance, then adds the plane on top (blending GL_ONE, GL_ONE): the
        // plane keeps its full colour, and the framebuffer clamps the sum to 1.
        this.shader!.shade(mirrored, false, reflectance);
        colour[0] = Math.min(1, red + colour[0]);
        colour[1] = Math.min(1, green + colour[1]);
        colour[2] = Math.min(1, blue + colour[2]);
      } else {
        colour[0] = red;
        colour[1] = green;
        colour[2] = blue;
      }
    }
  }

  /**
   * The nearest non-plane object along the world ray in `probe` within
   * (0, tMax), skipping `skip`; writes its distance and world normal into
   * `probe`. Returns -1 when nothing is hit.
   */
  private firstHit(skip: number): number {
    const { scene, ray, probe } = this;
    const ox = probe[0];
    const oy = probe[1];
    const oz = probe[2];
    const dx = probe[3];
    const dy = probe[4];
    const dz = probe[5];
    let best = probe[PROBE_T_MAX];
    let found = -1;
    const directionLength2 = dx * dx + dy * dy + dz * dz;
    const { culling } = this;
    const mode = this.cullMode;
    const footprint = 4 * this.cullLight * this.n;
    const u = this.shader!.local[0];
    const v = this.shader!.local[1];
    const { tiles } = this;
    const list = mode === 1 ? tiles.mirrored : this.solids;
    const first = mode === 1 ? this.tile * this.n : 0;
    const count = mode === 1 ? tiles.mirroredCount[this.tile] : this.solids.length;
    const sampleX = this.sample[0];
    const sampleY = this.sample[1];
    // The same for every object (worked out once, so the tests below are unchanged).
    const scale = Math.sqrt(directionLength2);
    for (let a = first; a < first + count; a++) {
      const k = list[a];
      if (k === skip || scene.rgba[4 * k + 3] === 0) continue;
      if (mode === 1) {
        // A mirror ray off the ground continues, mirrored, its primary ray: the mirrored
        // object's screen capsule must hold that ray's image point.
        if (!tiles.reaches(tiles.mirroredCapsule, k, sampleX, sampleY)) continue;
      } else if (mode === 2) {
        const box = footprint + 4 * k;
        if (u < culling.footprint[box] || u > culling.footprint[box + 1] || v < culling.footprint[box + 2] || v > culling.footprint[box + 3]) continue;
      }
      const p = 3 * k;
      const wx = ox - scene.position[p];
      const wy = oy - scene.position[p + 1];
      const wz = oz - scene.position[p + 2];
      // Bounding-sphere test: distance of the centre from the ray's line.
      const along = -(wx * dx + wy * dy + wz * dz) / directionLength2;
      const radius = culling.radius[k];
      // Entirely behind the origin, or beyond the nearest hit so far (world units).
      if (along * scale + radius < 0 || (along - best) * scale > radius) continue;
      const ex = wx + along * dx;
      const ey = wy + along * dy;
      const ez = wz + along * dz;
      if (ex * ex + ey * ey + ez * ez > radius * radius) continue;
      const offset = this.offset;
      offset[0] = wx;
      offset[1] = wy;
      offset[2] = wz;
      offset[3] = best;
      if (this.hits(k)) {
        best = ray[11];
        found = k;
      }
    }
    probe[PROBE_T] = best;
    return found;
  }

  /**
   * The nearest plane other than `skip` along the ray in `probe` if it is nearer
   * than what `firstHit` found (`found`, at probe's distance), with its distance
   * and normal written as firstHit writes them; otherwise `found`.
   */
  private firstPlaneHit(skip: number, found: number): number {
    const { scene, ray, probe } = this;
    const planes = scene.planes;
    let best = probe[PROBE_T];
    for (let a = 0; a < planes.length; a++) {
      const k = planes[a];
      if (k === skip || scene.rgba[4 * k + 3] === 0) continue;
      const p = 3 * k;
      const offset = this.offset;
      offset[0] = probe[0] - scene.position[p];
      offset[1] = probe[1] - scene.position[p + 1];
      offset[2] = probe[2] - scene.position[p + 2];
      offset[3] = best;
      if (this.hits(k)) {
        best = ray[11];
        found = k;
      }
    }
    probe[PROBE_T] = best;
    return found;
  }

  /**
   * Whether the ray from `offset` (0..2) of object k's centre along probe's
   * direction meets the object within (EPSILON, offset[3]); on a hit, its distance
   * is in ray[11] and its world normal in `probe`.
   */
  private hits(k: number): boolean {
    const { scene, ray, probe, offset } = this;
    const wx = offset[0];
    const wy = offset[1];
    const wz = offset[2];
    const dx = probe[3];
    const dy = probe[4];
    const dz = probe[5];
    const tMax = offset[3];
    const rot = scene.rotation;
    const p = 3 * k;
    const r = 9 * k;
    ray[0] = rot[r] * wx + rot[r + 3] * wy + rot[r + 6] * wz;
    ray[1] = rot[r + 1] * wx + rot[r + 4] * wy + rot[r + 7] * wz;
    ray[2] = rot[r + 2] * wx + rot[r + 5] * wy + rot[r + 8] * wz;
    ray[3] = rot[r] * dx + rot[r + 3] * dy + rot[r + 6] * dz;
    ray[4] = rot[r + 1] * dx + rot[r + 4] * dy + rot[r + 7] * dz;
    ray[5] = rot[r + 2] * dx + rot[r + 5] * dy + rot[r + 8] * dz;
    ray[6] = EPSILON;
    ray[7] = tMax;
    ray[8] = scene.size[p];
    ray[9] = scene.size[p + 1];
    ray[10] = scene.size[p + 2];
    if (intersect(scene.type[k], ray) !== 1) return false;
    probe[PROBE_NORMAL] = rot[r] * ray[12] + rot[r + 1] * ray[13] + rot[r + 2] * ray[14];
    probe[PROBE_NORMAL + 1] = rot[r + 3] * ray[12] + rot[r + 4] * ray[13] + rot[r + 5] * ray[14];
    probe[PROBE_NORMAL + 2] = rot[r + 6] * ray[12] + rot[r + 7] * ray[13] + rot[r + 8] * ray[14];
    return true;
  }

  /** Whether an object blocks light l from the ground/surface point in `hit` (object k itself excluded). */
  shadowed(k: number, l: number): boolean {
    if (k === this.culling.ground && this.shadowMask[this.pixel] === 0) return false;
    const { scene, hit, probe } = this;
    probe[0] = hit[HIT_POINT];
    probe[1] = hit[HIT_POINT + 1];
    probe[2] = hit[HIT_POINT + 2];
    if (scene.lights[l].directional) {
      probe[3] = -scene.lightDirection[3 * l];
      probe[4] = -scene.lightDirection[3 * l + 1];
      probe[5] = -scene.lightDirection[3 * l + 2];
      probe[PROBE_T_MAX] = Infinity;
    } else {
      probe[3] = scene.lightPosition[3 * l] - probe[0];
      probe[4] = scene.lightPosition[3 * l + 1] - probe[1];
      probe[5] = scene.lightPosition[3 * l + 2] - probe[2];
      probe[PROBE_T_MAX] = 1;
    }
    this.cullMode = k === this.culling.ground ? 2 : 0;
    this.cullLight = l;
    const blocked = this.firstHit(k) >= 0;
    this.cullMode = 0;
    return blocked;
  }
}
