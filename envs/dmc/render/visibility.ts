/**
 * Primary visibility: the nearest object along a ray from the eye, among the
 * objects listed for the ray's tile (tiles.ts), with analytic intersections in
 * each object's frame, run by the ray kernels (kernels.ts, kernels/rays.c).
 * Each frame starts with `prepare`, which puts the eye into every object's
 * frame once.
 */
import type { RayKernels } from './kernels.ts';
import type { Scene } from './scene.ts';

export class Visibility {
  /** The tile of the ray being traced (set by the ray caster). */
  tile = 0;
  /** Distance along the unit ray to the object the last search found. */
  nearestDistance = Infinity;
  /** Set by the ray caster: the unit direction of the ray `nearestObject` follows. */
  readonly direction: Float64Array;
  private readonly n: number;
  /** Per object: the eye in its frame (3), its centre minus the eye (3), and that distance squared. */
  private readonly localOrigin: Float64Array;
  private readonly centreOffset: Float64Array;
  private readonly centreDistance2: Float64Array;
  /** Where the kernels leave the distance they found. */
  private readonly distance: Float64Array;

  constructor(
    private readonly scene: Scene,
    private readonly kernels: RayKernels,
  ) {
    this.n = scene.count;
    this.localOrigin = kernels.floats(3 * this.n, 'localOrigin');
    this.centreOffset = kernels.floats(3 * this.n, 'centreOffset');
    this.centreDistance2 = kernels.floats(this.n, 'centreDistance2');
    this.direction = kernels.floats(3, 'direction');
    this.distance = kernels.floats(1, 'distance');
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
   * in `direction` through the image point in the ray caster's `sample`, among the
   * objects listed for the tile (-1: none); its distance goes to `nearestDistance`
   * and its world normal to the hit buffer.
   */
  nearestObject(): number {
    const nearest = this.kernels.exports.nearest_object(this.kernels.frame, this.tile);
    this.nearestDistance = this.distance[0];
    return nearest;
  }
}
