/**
 * The ray caster's geometry and its passes over every pixel, run as
 * WebAssembly (kernels/rays.c, built into kernels/rays.wasm by
 * kernels/build.sh): the nearest object along a primary ray, the first object
 * along a shadow or mirror ray, with the shapes' analytic intersections; before
 * shading, the sky and the plane hits of tiles where only planes are listed
 * (`sky_pass`); after it, the centre colours to bytes and the edges found
 * (`finish_pixels`). Shading, lighting and the caches' upkeep stay TypeScript.
 * V8 runs these loops about 2.5 times as fast as the same TypeScript (walker's
 * edge samples: 64 against 154 ns a ray, one thread of the 2-core VM), with the
 * same IEEE double arithmetic in the same order, so frames did not change by a
 * byte.
 *
 * Each ray caster has its own instance and memory. What the kernels read lives
 * in that memory: the ray caster's parts allocate their arrays here (`floats`,
 * `singles`, `ints`, `shorts`, `bytes`), each under its name in the kernels'
 * `struct Frame`, and the scene's poses are copied in once per frame
 * (`copyScene`). The memory never grows, so the arrays stay valid.
 */
import { readFileSync } from 'node:fs';
import type { Scene } from './scene.ts';

interface RayExports {
  nearest_object(frame: number, tile: number): number;
  first_hit(frame: number, skip: number, mode: number, tile: number, light: number, u: number, v: number, solids: number, solidCount: number): number;
  first_plane_hit(frame: number, skip: number, found: number): number;
  intersect_ray(type: number, ray: number): number;
  reaches_point(capsule: number, k: number, x: number, y: number): number;
  finish_pixels(frame: number, background: number, antialias: number): number;
  sky_pass(frame: number, background: number, planeCacheLength: number): number;
}

/** The fields of rays.c's `struct Frame`, in order: one 32-bit slot each (a count or an address). */
const FRAME_FIELDS = [
  'n', 'type', 'size', 'position', 'rotation', 'rgba', 'radius', 'planes', 'planeCount',
  'localOrigin', 'centreOffset', 'centreDistance2', 'direct', 'directCount', 'capsule',
  'mirrored', 'mirroredCount', 'mirroredCapsule', 'footprint',
  'direction', 'sample', 'distance', 'hit', 'probe', 'ray',
  'width', 'height', 'refresh', 'outputOnBackground', 'centreOnBackground', 'centre', 'bytes', 'ids', 'isBody', 'edges',
  'tileShift', 'tileColumns', 'planesOnly', 'trace', 'rows', 'slotsPerPixel', 'directions', 'sky', 'skyKnown', 'planeCache',
  'work', 'workPlane', 'workDistance',
] as const;
export type FrameField = (typeof FRAME_FIELDS)[number];

/** first_hit's culling modes (secondary.ts). */
export const CULL_NONE = 0;
export const CULL_MIRROR = 1;
export const CULL_SHADOW = 2;

const PAGE = 65536;
const ALIGN = 16;
let compiled: WebAssembly.Module | null = null;

export class RayKernels {
  readonly exports: RayExports;
  /** Address of the `struct Frame` every kernel takes. */
  readonly frame: number;
  private readonly memory: WebAssembly.Memory;
  private readonly slots: Int32Array;
  private readonly filled = new Set<FrameField>();
  private top: number;
  /** The kernels' ray buffer (layout in rays.c). */
  private readonly ray: Float64Array;
  /** The scene's per-object arrays, as copied in by `copyScene`. */
  private readonly scene: Record<'size' | 'position' | 'rotation' | 'rgba', Float64Array>;

  /** Kernels for a ray caster over `scene` drawing `width` x `height` pixels in `tiles` tiles, with `slotsPerPixel` cached samples a pixel (pixels.ts). */
  constructor(scene: Scene, tiles: number, width: number, height: number, slotsPerPixel: number) {
    compiled ??= new WebAssembly.Module(readFileSync(new URL('./kernels/rays.wasm', import.meta.url)));
    const n = scene.count;
    // Every allocation below and in the ray caster's parts (culling.ts, tiles.ts, visibility.ts,
    // secondary.ts, pixels.ts, reuse.ts, raycaster.ts), each rounded up to ALIGN bytes.
    const doubles = 19 * n + (1 + 4 * scene.lights.length) * n + 2 * 5 * n + 7 * n + 3 + 1 + 9 + 3 + 11 + 15;
    const ints = 2 * n + scene.planes.length + 2 * tiles * n + 2 * tiles + FRAME_FIELDS.length;
    // Per pixel: refresh, trace, output and centre on the background (1 byte each), centre colour
    // (3 floats), output bytes (3), id (2 bytes), edge and work lists (4 + 4 + 4 + 8 bytes); per object
    // id + 1, isBody; per row, rows; per tile, planesOnly; per sample slot: direction (3 doubles), sky
    // (3 floats), skyKnown (1 byte), planeCache (2 bytes).
    const pixels = width * height;
    const bytes = 8 * doubles + 4 * ints + 41 * pixels + (n + 1) + height + tiles + 39 * pixels * slotsPerPixel + 64 * ALIGN;
    this.memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / PAGE) });
    this.exports = new WebAssembly.Instance(compiled, { env: { memory: this.memory } }).exports as unknown as RayExports;
    this.top = 0;
    this.frame = this.allocate(4 * FRAME_FIELDS.length);
    this.slots = new Int32Array(this.memory.buffer, this.frame, FRAME_FIELDS.length);
    this.setCount('n', n);
    this.setCount('width', width);
    this.setCount('height', height);
    this.setCount('slotsPerPixel', slotsPerPixel);
    this.ints(n, 'type').set(scene.type);
    this.ints(scene.planes.length, 'planes').set(scene.planes);
    this.setCount('planeCount', scene.planes.length);
    this.scene = { size: this.floats(3 * n, 'size'), position: this.floats(3 * n, 'position'), rotation: this.floats(9 * n, 'rotation'), rgba: this.floats(4 * n, 'rgba') };
    this.ray = this.floats(15, 'ray');
  }

  /**
   * The kernels' intersection of one ray with a shape of mjtGeom type `type` in its
   * own frame: `ray` holds origin, direction, tMin, tMax and sizes (11 values, the
   * layout in rays.c); the distance to the hit, or Infinity. For tests and tools;
   * the ray caster's rays go through the kernels whole.
   */
  intersect(type: number, ray: ArrayLike<number>): number {
    for (let i = 0; i < 11; i++) this.ray[i] = ray[i];
    return this.exports.intersect_ray(type, this.address(this.ray)) === 1 ? this.ray[11] : Infinity;
  }

  /** Whether image point (x, y) lies within object k's screen capsule in `capsules` (an array of the tile lists, tiles.ts). */
  reaches(capsules: Float64Array, k: number, x: number, y: number): boolean {
    return this.exports.reaches_point(this.address(capsules), k, x, y) === 1;
  }

  /** A Float64Array of `length` in the kernels' memory, its address in frame field `field` when given. */
  floats(length: number, field?: FrameField): Float64Array {
    const at = this.allocate(8 * length, field);
    return new Float64Array(this.memory.buffer, at, length);
  }

  /** A Float32Array of `length` in the kernels' memory, its address in frame field `field` when given. */
  singles(length: number, field?: FrameField): Float32Array {
    const at = this.allocate(4 * length, field);
    return new Float32Array(this.memory.buffer, at, length);
  }

  /** An Int16Array of `length` in the kernels' memory, its address in frame field `field` when given. */
  shorts(length: number, field?: FrameField): Int16Array {
    const at = this.allocate(2 * length, field);
    return new Int16Array(this.memory.buffer, at, length);
  }

  /** A Uint8Array of `length` in the kernels' memory, its address in frame field `field` when given. */
  bytes(length: number, field?: FrameField): Uint8Array {
    const at = this.allocate(length, field);
    return new Uint8Array(this.memory.buffer, at, length);
  }

  /** An Int32Array of `length` in the kernels' memory, its address in frame field `field` when given. */
  ints(length: number, field?: FrameField): Int32Array {
    const at = this.allocate(4 * length, field);
    return new Int32Array(this.memory.buffer, at, length);
  }

  /** The address of an array allocated here. */
  address(array: Float64Array | Int32Array): number {
    if (array.buffer !== this.memory.buffer) throw new Error('RayKernels.address: the array is not in the kernels\' memory');
    return array.byteOffset;
  }

  /** This frame's poses, sizes and colours of the scene's objects, for the kernels (after `scene.update`). */
  copyScene(scene: Scene): void {
    this.scene.size.set(scene.size);
    this.scene.position.set(scene.position);
    this.scene.rotation.set(scene.rotation);
    this.scene.rgba.set(scene.rgba);
  }

  /** Throws unless every frame field is set (each part of the ray caster allocated its arrays). */
  checkComplete(): void {
    const missing = FRAME_FIELDS.filter((field) => !this.filled.has(field));
    if (missing.length > 0) throw new Error(`RayKernels: frame fields never set: ${missing.join(', ')}`);
  }

  /** Sets a frame field that holds a count, not an address. */
  setCount(field: FrameField, value: number): void {
    this.slots[FRAME_FIELDS.indexOf(field)] = value;
    this.filled.add(field);
  }

  private allocate(bytes: number, field?: FrameField): number {
    const at = this.top;
    const end = at + Math.ceil(bytes / ALIGN) * ALIGN;
    if (end > this.memory.buffer.byteLength) {
      throw new Error(`RayKernels: ${this.memory.buffer.byteLength} bytes were reserved and ${end} are asked for; the sizes in the constructor miss an allocation`);
    }
    this.top = end;
    if (field !== undefined) {
      if (this.filled.has(field)) throw new Error(`RayKernels: frame field ${field} is set twice`);
      this.setCount(field, at);
    }
    return at;
  }
}
