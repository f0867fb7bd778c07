/**
 * Secondary rays, from a surface point in the shared hit buffer: shadow rays
 * toward the lights and mirror rays off reflective planes, each testing only the
 * objects the frame's culling (culling.ts; for mirror rays off the ground, the
 * tile lists and screen capsules of tiles.ts) leaves possible. The searches run
 * as WebAssembly (kernels.ts); shading what a mirror ray meets stays here.
 */
import type { Culling } from './culling.ts';
import { CULL_MIRROR, CULL_NONE, CULL_SHADOW, type RayKernels } from './kernels.ts';
import { GEOM_PLANE, type Scene } from './scene.ts';
import { HIT_POINT, type Occluder, type Shader } from './shading.ts';
import type { TileLists } from './tiles.ts';

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
  /** The ray being followed and what it met (layout above), in the kernels' memory. */
  private readonly probe: Float64Array;
  /** Culling in use (kernels.ts): none, mirror rays off the ground, or shadow rays from the ground to light `cullLight`. */
  private cullMode = CULL_NONE;
  private cullLight = 0;
  /** Objects other than planes (what secondary rays can hit), in the kernels' memory. */
  private readonly solidsAddress: number;
  private readonly solidCount: number;

  constructor(
    private readonly scene: Scene,
    private readonly culling: Culling,
    private readonly tiles: TileLists,
    private readonly hit: Float64Array,
    private readonly kernels: RayKernels,
  ) {
    this.probe = kernels.floats(11, 'probe');
    const solids: number[] = [];
    for (let k = 0; k < scene.count; k++) if (scene.type[k] !== GEOM_PLANE) solids.push(k);
    const list = kernels.ints(solids.length);
    list.set(solids);
    this.solidsAddress = kernels.address(list);
    this.solidCount = solids.length;
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
      this.cullMode = culled ? CULL_MIRROR : CULL_NONE;
      let mirrored = this.firstHit(nearest);
      this.cullMode = CULL_NONE;
      if (!culled && this.scene.planes.length > 1) mirrored = this.kernels.exports.first_plane_hit(this.kernels.frame, nearest, mirrored);
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
   * (0, tMax), skipping `skip` and transparent objects, among those the culling
   * mode leaves (see rays.c `first_hit`); writes its distance and world normal
   * into `probe`. Returns -1 when nothing is hit.
   */
  private firstHit(skip: number): number {
    const local = this.shader!.local;
    return this.kernels.exports.first_hit(this.kernels.frame, skip, this.cullMode, this.tile, this.cullLight, local[0], local[1], this.solidsAddress, this.solidCount);
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
    this.cullMode = k === this.culling.ground ? CULL_SHADOW : CULL_NONE;
    this.cullLight = l;
    const blocked = this.firstHit(k) >= 0;
    this.cullMode = CULL_NONE;
    return blocked;
  }
}
