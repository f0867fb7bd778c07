/**
 * Which pixels must be traced again, for a camera that holds still (cartpole's
 * fixed camera): a pixel's colour depends only on the objects whose screen
 * rectangle, mirrored screen rectangle, or shadow on the ground (culling.ts)
 * reaches it, so when neither the camera, the planes, the lights nor the
 * appearance changed since the last frame, only pixels that an object which
 * moved (or changed size or colour) reaches, now or in the last frame, change.
 * The others keep last frame's colour, byte for byte what tracing them again
 * would give.
 *
 * This holds when every ray off the ground is culled (culling.ts). The other
 * planes (point_mass's and reacher's walls) must not mirror anything; their
 * shadow rays are not culled, so when any object moved, all of their pixels are
 * traced again. Scenes with another mirroring plane are traced whole. A moving
 * background image (DMControl-GB's video modes) changes no hit: the ray caster
 * recolours the kept pixels that show it.
 */
import { coverPoint, type Culling } from './culling.ts';
import type { RayKernels } from './kernels.ts';
import type { Scene } from './scene.ts';

/** Per object state that its pixels depend on: size (3), position (3), rotation (9), rgba (4). */
const STATE = 19;
/** Per object screen rectangles (column start, end, row start, end): direct, mirrored, shadow. */
const RECTANGLES = 12;

export class DirtyPixels {
  /** 1 where the pixel's centre sample must be traced this frame. */
  readonly trace: Uint8Array;
  /** 1 where the pixel's output (its centre colour, refined on edges) must be made again: `trace` grown by one pixel. */
  readonly refresh: Uint8Array;
  /** 1 for rows with any pixel to trace. */
  readonly rows: Uint8Array;
  /** `trace` grown across only (the first pass of `grow`). */
  private readonly across: Uint8Array;
  /** 1 where a mirror ray off the ground can meet an object (within a mirrored screen rectangle). */
  readonly mirrorMask: Uint8Array;
  /** 1 where the ground can be in an object's shadow (within a shadow's screen rectangle). */
  readonly shadowMask: Uint8Array;
  private readonly n: number;
  private readonly supported: boolean;
  /** Planes other than the ground. */
  private readonly walls: Int32Array;
  private readonly state: Float64Array;
  private readonly rectangles: Int32Array;
  private readonly previousRectangles: Int32Array;
  /** A screen rectangle being grown (column start, end, row start, end). */
  private readonly bounds = new Float64Array(4);
  /** Whether `state` and `previousRectangles` hold the last frame's values. */
  private valid = false;

  constructor(
    private readonly scene: Scene,
    private readonly culling: Culling,
    private readonly width: number,
    private readonly height: number,
    /** `trace`, `rows` and `refresh` live in its memory (the kernels' pixel passes read them). */
    kernels: RayKernels,
  ) {
    this.n = scene.count;
    this.walls = Int32Array.from(scene.planes.filter((k) => k !== culling.ground));
    this.supported = this.walls.every((k) => scene.reflectance[k] === 0);
    this.trace = kernels.bytes(width * height, 'trace').fill(1);
    this.refresh = kernels.bytes(width * height, 'refresh').fill(1);
    this.rows = kernels.bytes(height, 'rows').fill(1);
    this.across = new Uint8Array(width * height);
    this.mirrorMask = new Uint8Array(width * height);
    this.shadowMask = new Uint8Array(width * height);
    this.state = new Float64Array(STATE * this.n);
    this.rectangles = new Int32Array(RECTANGLES * this.n);
    this.previousRectangles = new Int32Array(RECTANGLES * this.n);
  }

  /**
   * Marks this frame's pixels to trace, after `culling.prepare`. `still`: the
   * camera, planes, lights and appearance are as in the last frame.
   */
  update(camera: Float64Array, still: boolean): void {
    const { scene, culling, n, rectangles } = this;
    for (let k = 0; k < n; k++) {
      const at = RECTANGLES * k;
      rectangles[at] = culling.columnRange[2 * k];
      rectangles[at + 1] = culling.columnRange[2 * k + 1];
      rectangles[at + 2] = culling.rowRange[2 * k];
      rectangles[at + 3] = culling.rowRange[2 * k + 1];
      rectangles[at + 4] = culling.mirrorColumnRange[2 * k];
      rectangles[at + 5] = culling.mirrorColumnRange[2 * k + 1];
      rectangles[at + 6] = culling.mirrorRowRange[2 * k];
      rectangles[at + 7] = culling.mirrorRowRange[2 * k + 1];
      this.shadowRectangle(k, camera, at + 8);
    }
    this.mirrorMask.fill(0);
    this.shadowMask.fill(0);
    for (let k = 0; k < n; k++) {
      this.markRectangle(this.mirrorMask, rectangles, RECTANGLES * k + 4);
      this.markRectangle(this.shadowMask, rectangles, RECTANGLES * k + 8);
    }
    const reuse = this.supported && still && this.valid;
    if (reuse) {
      this.trace.fill(0);
      let anyMoved = false;
      for (let k = 0; k < n; k++) {
        if (this.moved(k)) {
          anyMoved = true;
          this.markRectangles(rectangles, RECTANGLES * k);
          this.markRectangles(this.previousRectangles, RECTANGLES * k);
        }
      }
      // Shadows on the walls are not culled: any object may have moved one.
      if (anyMoved) for (const k of this.walls) this.markRectangle(this.trace, rectangles, RECTANGLES * k);
      this.grow();
    } else {
      this.trace.fill(1);
      this.refresh.fill(1);
      this.rows.fill(1);
    }
    // Remember this frame.
    for (let k = 0; k < n; k++) this.moved(k);
    this.previousRectangles.set(rectangles);
    this.valid = this.supported;
  }

  /** Whether object k's state differs from the last frame's; stores the new state. */
  private moved(k: number): boolean {
    const { scene, state } = this;
    const at = STATE * k;
    let changed = false;
    for (let j = 0; j < 3; j++) {
      const size = scene.size[3 * k + j];
      const position = scene.position[3 * k + j];
      if (state[at + j] !== size || state[at + 3 + j] !== position) changed = true;
      state[at + j] = size;
      state[at + 3 + j] = position;
    }
    for (let j = 0; j < 9; j++) {
      const value = scene.rotation[9 * k + j];
      if (state[at + 6 + j] !== value) changed = true;
      state[at + 6 + j] = value;
    }
    for (let j = 0; j < 4; j++) {
      const value = scene.rgba[4 * k + j];
      if (state[at + 15 + j] !== value) changed = true;
      state[at + 15 + j] = value;
    }
    return changed;
  }

  private markRectangles(rectangles: Int32Array, at: number): void {
    for (let r = 0; r < 3; r++) this.markRectangle(this.trace, rectangles, at + 4 * r);
  }

  /** Sets `mask` to 1 in the screen rectangle rectangles[i..i+3] (column start, end, row start, end). */
  private markRectangle(mask: Uint8Array, rectangles: Int32Array, i: number): void {
    {
      const columnStart = Math.max(0, rectangles[i]);
      const columnEnd = Math.min(this.width - 1, rectangles[i + 1]);
      const rowStart = Math.max(0, rectangles[i + 2]);
      const rowEnd = Math.min(this.height - 1, rectangles[i + 3]);
      if (columnStart > columnEnd) return;
      for (let row = rowStart; row <= rowEnd; row++) mask.fill(1, row * this.width + columnStart, row * this.width + columnEnd + 1);
    }
  }

  /**
   * `refresh`: `trace` grown by one pixel (edge tests and edge samples read the
   * neighbours), as two passes (across, then down); `rows`.
   */
  private grow(): void {
    const { width, height, trace, refresh, rows, across } = this;
    for (let row = 0; row < height; row++) {
      const start = row * width;
      let any = 0;
      for (let column = 0; column < width; column++) {
        const i = start + column;
        const own = trace[i];
        any |= own;
        across[i] = own | (column > 0 ? trace[i - 1] : 0) | (column < width - 1 ? trace[i + 1] : 0);
      }
      rows[row] = any;
    }
    for (let row = 0; row < height; row++) {
      const start = row * width;
      for (let column = 0; column < width; column++) {
        const i = start + column;
        refresh[i] = across[i] | (row > 0 ? across[i - width] : 0) | (row < height - 1 ? across[i + width] : 0);
      }
    }
  }

  /**
   * Screen rectangle holding the ground points where object k's shadow can fall
   * (its footprints, one per light, projected through the pinhole: the image of
   * a convex patch in front of the eye lies within its corners' rectangle); the
   * whole image when a footprint is unbounded or reaches behind the eye.
   */
  private shadowRectangle(k: number, camera: Float64Array, at: number): void {
    const { scene, culling, width, height, rectangles, bounds } = this;
    bounds[0] = width;
    bounds[1] = -1;
    bounds[2] = height;
    bounds[3] = -1;
    const g = culling.ground;
    const lights = scene.lights.length;
    for (let l = 0; l < lights && g >= 0; l++) {
      const box = 4 * (l * this.n + k);
      const minX = culling.footprint[box];
      const maxX = culling.footprint[box + 1];
      const minY = culling.footprint[box + 2];
      const maxY = culling.footprint[box + 3];
      if (!(minX <= maxX && minY <= maxY)) continue;
      let bounded = Number.isFinite(minX) && Number.isFinite(maxX) && Number.isFinite(minY) && Number.isFinite(maxY);
      const r = 9 * g;
      const rot = scene.rotation;
      for (let corner = 0; corner < 4 && bounded; corner++) {
        const u = corner & 1 ? maxX : minX;
        const v = corner & 2 ? maxY : minY;
        const x = scene.position[3 * g] + rot[r] * u + rot[r + 1] * v;
        const y = scene.position[3 * g + 1] + rot[r + 3] * u + rot[r + 4] * v;
        const z = scene.position[3 * g + 2] + rot[r + 6] * u + rot[r + 7] * v;
        bounded = coverPoint(camera, width, height, x, y, z, bounds);
      }
      if (!bounded) {
        bounds[0] = bounds[2] = 0;
        bounds[1] = width - 1;
        bounds[3] = height - 1;
        break;
      }
    }
    rectangles[at] = Math.max(0, bounds[0]);
    rectangles[at + 1] = Math.min(width - 1, bounds[1]);
    rectangles[at + 2] = Math.max(0, bounds[2]);
    rectangles[at + 3] = Math.min(height - 1, bounds[3]);
  }
}
