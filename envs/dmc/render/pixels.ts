/**
 * Per-pixel values kept across frames while what they depend on stays the same:
 * - `PixelCache`: the unit ray direction through each sample and the sky
 *   colour seen there, which depend only on the camera's rotation and field of
 *   view (fixed and tracking cameras keep them);
 * - `PlaneCache`: for pixels that see a plane (the floor), the point, normal and
 *   lit colour parts, which hold while the camera, the planes and the lights stay
 *   put (fixed cameras, as in cartpole); shadows and reflections of the moving
 *   objects are still worked out every frame.
 * Values are kept per sample slot: the pixel centre, and for small images (up to
 * 128x128) also the 4 extra samples that edges take, so that the static edges of
 * a fixed camera (the horizon, rails) cost nothing.
 */
import type { RayKernels } from './kernels.ts';
import type { SurfaceOverrides } from './raycaster.ts';
import type { Scene } from './scene.ts';
import type { Sky } from './sky.ts';

/** Cached sample slots per pixel: the centre, and for small images (up to 128x128) the `edgeSamples` extra samples too. */
export function slotsPerPixel(width: number, height: number, edgeSamples: number): number {
  return width * height <= 128 * 128 ? 1 + edgeSamples : 1;
}

export class PixelCache {
  /** Unit direction through each sample slot, 3 per slot. */
  readonly directions: Float64Array;
  /** Number of slots: one per pixel, or five per pixel for small images. */
  readonly slots: number;
  private readonly perPixel: number;
  /** The sky colour seen through each slot (3 per slot), valid where `skyKnown` is 1. */
  readonly sky: Float32Array;
  readonly skyKnown: Uint8Array;
  /** Camera rotation (9) and tan of the half vertical field of view the caches were made for. */
  private readonly key = new Float64Array(10).fill(NaN);
  private keySky: Sky | null = null;

  constructor(
    private readonly width: number,
    private readonly height: number,
    /** Offsets (x, y pairs, in pixels) of the extra edge samples from the pixel centre. */
    private readonly offsets: Float64Array,
    /** The caches live in its memory (the kernels' centre pass reads them). */
    kernels: RayKernels,
  ) {
    this.perPixel = slotsPerPixel(width, height, offsets.length / 2);
    this.slots = width * height * this.perPixel;
    this.directions = kernels.floats(this.slots * 3, 'directions');
    this.sky = kernels.singles(this.slots * 3, 'sky');
    this.skyKnown = kernels.bytes(this.slots, 'skyKnown');
  }

  /** The slot of sample s (0: centre, 1..: edge samples) of a pixel, or -1 when not cached. */
  slot(pixel: number, sample: number): number {
    return sample < this.perPixel ? pixel * this.perPixel + sample : -1;
  }

  /** Checks the camera (layout in culling.ts) and sky against the caches, remaking them on a change. */
  update(camera: Float64Array, sky: Sky | null): void {
    const { key } = this;
    let same = this.keySky === sky;
    for (let i = 0; i < 9; i++) {
      if (key[i] !== camera[3 + i]) same = false;
      key[i] = camera[3 + i];
    }
    if (key[9] !== camera[13]) same = false;
    key[9] = camera[13];
    if (this.keySky !== sky) this.skyKnown.fill(0);
    this.keySky = sky;
    if (same) return;
    this.skyKnown.fill(0);
    const { width, height, directions, perPixel, offsets } = this;
    for (let row = 0; row < height; row++) {
      for (let column = 0; column < width; column++) {
        for (let sample = 0; sample < perPixel; sample++) {
          const x = column + 0.5 + (sample > 0 ? offsets[2 * sample - 2] : 0);
          const y = row + 0.5 + (sample > 0 ? offsets[2 * sample - 1] : 0);
          const sx = ((2 * x) / width - 1) * camera[12];
          const sy = (1 - (2 * y) / height) * camera[13];
          const dx = sx * camera[3] + sy * camera[6] - camera[9];
          const dy = sx * camera[4] + sy * camera[7] - camera[10];
          const dz = sx * camera[5] + sy * camera[8] - camera[11];
          const length = Math.sqrt(dx * dx + dy * dy + dz * dz);
          const i = 3 * ((row * width + column) * perPixel + sample);
          directions[i] = dx / length;
          directions[i + 1] = dy / length;
          directions[i + 2] = dz / length;
        }
      }
    }
  }

  /** The cached sky colour of a slot into out[0..2]; false when not cached yet. */
  skyAt(slot: number, out: Float64Array): boolean {
    if (this.skyKnown[slot] !== 1) return false;
    out[0] = this.sky[3 * slot];
    out[1] = this.sky[3 * slot + 1];
    out[2] = this.sky[3 * slot + 2];
    return true;
  }

  storeSky(slot: number, colour: Float64Array): void {
    this.skyKnown[slot] = 1;
    this.sky[3 * slot] = colour[0];
    this.sky[3 * slot + 1] = colour[1];
    this.sky[3 * slot + 2] = colour[2];
  }
}

export class PlaneCache {
  /** The plane seen by each sample slot, or -1 when not cached (empty until the camera holds still). */
  object: Int16Array = new Int16Array(0);
  /** Where `object` goes once the camera holds still, reserved in the kernels' memory (their centre pass reads it). */
  private readonly reserved: Int16Array;
  /** Per slot: point (3), normal (3), incoming direction (3), plane x, y (2), then the colour parts. */
  private values: Float64Array = new Float64Array(0);
  private readonly slots: number;
  private readonly stride: number;
  private readonly partCount: number;
  private readonly key: Float64Array;
  private readonly next: Float64Array;
  private keyOverrides: SurfaceOverrides | null = null;
  /** True when nothing changed since the last frame: only then are pixels stored (a moving camera never fills the cache). */
  stable = false;

  constructor(
    private readonly scene: Scene,
    slots: number,
    kernels: RayKernels,
  ) {
    this.reserved = kernels.shorts(slots, 'planeCache');
    this.partCount = 3 + 3 * scene.lights.length;
    this.stride = 11 + this.partCount;
    this.slots = slots;
    const length = 14 + 19 * scene.planes.length + 6 * scene.lights.length;
    this.key = new Float64Array(length).fill(NaN);
    this.next = new Float64Array(length);
  }

  /** Forgets every slot when the camera, a plane, a light or the overrides changed since the last frame. */
  update(camera: Float64Array, overrides: SurfaceOverrides): void {
    const { scene, next } = this;
    let i = 0;
    for (let j = 0; j < 14; j++) next[i++] = camera[j];
    for (const k of scene.planes) {
      for (let j = 0; j < 3; j++) next[i++] = scene.position[3 * k + j];
      for (let j = 0; j < 9; j++) next[i++] = scene.rotation[9 * k + j];
      for (let j = 0; j < 3; j++) next[i++] = scene.size[3 * k + j];
      for (let j = 0; j < 4; j++) next[i++] = scene.rgba[4 * k + j];
    }
    for (let j = 0; j < scene.lightPosition.length; j++) next[i++] = scene.lightPosition[j];
    for (let j = 0; j < scene.lightDirection.length; j++) next[i++] = scene.lightDirection[j];
    let same = this.keyOverrides === overrides;
    for (let j = 0; j < next.length; j++) if (next[j] !== this.key[j]) same = false;
    this.key.set(next);
    this.keyOverrides = overrides;
    if (!same) this.object.fill(-1);
    this.stable = same;
    if (same && this.object.length === 0) {
      // A camera that moves every frame (tracking cameras) never needs the memory.
      this.object = this.reserved.fill(-1);
      this.values = new Float64Array(this.slots * this.stride);
    }
  }

  store(slot: number, k: number, hit: Float64Array, local: Float64Array, parts: Float64Array): void {
    const at = slot * this.stride;
    const values = this.values;
    for (let j = 0; j < 9; j++) values[at + j] = hit[j];
    values[at + 9] = local[0];
    values[at + 10] = local[1];
    for (let j = 0; j < this.partCount; j++) values[at + 11 + j] = parts[j];
    this.object[slot] = k;
  }

  restore(slot: number, hit: Float64Array, local: Float64Array, parts: Float64Array): void {
    const at = slot * this.stride;
    const values = this.values;
    for (let j = 0; j < 9; j++) hit[j] = values[at + j];
    local[0] = values[at + 9];
    local[1] = values[at + 10];
    for (let j = 0; j < this.partCount; j++) parts[j] = values[at + 11 + j];
  }
}
