/**
 * Per-tile object lists (4x4 pixel tiles at the usual sizes), made once per frame, so that each
 * primary ray, and each mirror ray off the ground, tests only the objects whose
 * image can reach its tile.
 *
 * The screen rectangles of culling.ts bound a long shape seen at a slant (a
 * walker's leg, a cheetah's thigh) by a large box; here each object's image is
 * bounded by a "screen capsule": the projected segment between the centres of
 * its two end spheres (one sphere for compact shapes), widened by a radius that
 * holds every point of every sphere along the segment. For a sphere of radius r
 * centred at c (camera frame, depth c_z > r), a point c + e with |e| <= r
 * projects within
 *   |(c_z e_xy - c_xy e_z) / ((c_z + e_z) c_z)| <= r (c_z + |c_xy|) / ((c_z - r) c_z)
 * of c's projection (tangent units); over the segment, c_z and |c_xy| are at
 * most their largest value at the two ends, c_z at least its smallest. A
 * tile is listed when its centre lies within that radius, plus the tile's half
 * diagonal and a pixel, of the projected segment. Objects too near the eye for
 * this bound keep their whole rectangle. The bound is conservative: a ray
 * tests at least every object it can hit, so frames are what they would be
 * without tiles.
 */
import type { Culling } from './culling.ts';
import type { RayKernels } from './kernels.ts';
import { boundingRadius, GEOM_CAPSULE, GEOM_CYLINDER, GEOM_PLANE, type Scene } from './scene.ts';

/**
 * Tiles are 2^shift pixels square: 4 at the usual sizes (fewer objects per ray
 * than 8, for a few more lists to make), larger for large images so that there
 * are at most 64 tiles across and down (the lists take tiles x objects slots).
 */
const MIN_TILE_SHIFT = 2;
const MAX_TILES_ACROSS = 64;

/** Tiles of 2^shift pixels across an image, and how many across and down. */
export function tileLayout(width: number, height: number): { shift: number; columns: number; rows: number } {
  let shift = MIN_TILE_SHIFT;
  while (Math.max(width, height) > MAX_TILES_ACROSS << shift) shift++;
  return { shift, columns: Math.ceil(width / (1 << shift)), rows: Math.ceil(height / (1 << shift)) };
}

export class TileLists {
  /** Tiles across and down, each `tileSize` (2^`shift`) pixels square. */
  readonly columns: number;
  readonly shift: number;
  readonly tileSize: number;
  /** Half the diagonal of a tile (pixel areas included), plus one pixel of margin. */
  private readonly tileReach: number;
  readonly rows: number;
  /** Per tile, the objects a primary ray there can hit, ascending (n slots per tile), and their count. */
  readonly direct: Int32Array;
  readonly directCount: Int32Array;
  /** The same for objects mirrored in the ground (mirror rays off the ground). */
  readonly mirrored: Int32Array;
  readonly mirroredCount: Int32Array;
  /** Per tile, 1 when only planes are listed: a ray there that misses them sees the sky. */
  readonly planesOnly: Uint8Array;
  /**
   * Per object, its screen capsule for rays through single points of the image
   * (5 values: segment ends x0, y0, x1, y1 in pixels, reach in pixels, with a
   * margin for rounding; a reach of Infinity where only the rectangle bounds it).
   */
  readonly capsule: Float64Array;
  /** The same for objects mirrored in the ground. */
  readonly mirroredCapsule: Float64Array;
  private readonly n: number;
  private readonly point = new Float64Array(3);
  /** The projected segment of the object being listed: ends (x0, y0, x1, y1) in pixels, and its reach. */
  private readonly segment = new Float64Array(5);

  constructor(
    private readonly scene: Scene,
    private readonly culling: Culling,
    private readonly width: number,
    private readonly height: number,
    /** The lists and capsules live in its memory (the ray kernels read them). */
    kernels: RayKernels,
  ) {
    this.n = scene.count;
    const { shift, columns, rows } = tileLayout(width, height);
    this.shift = shift;
    this.tileSize = 1 << shift;
    this.tileReach = (this.tileSize / 2) * Math.SQRT2 + 1;
    this.columns = columns;
    this.rows = rows;
    const tiles = this.columns * this.rows;
    this.direct = kernels.ints(tiles * this.n, 'direct');
    this.directCount = kernels.ints(tiles, 'directCount');
    this.mirrored = kernels.ints(tiles * this.n, 'mirrored');
    this.mirroredCount = kernels.ints(tiles, 'mirroredCount');
    this.planesOnly = kernels.bytes(tiles, 'planesOnly');
    kernels.setCount('tileShift', shift);
    kernels.setCount('tileColumns', columns);
    this.capsule = kernels.floats(5 * this.n, 'capsule');
    this.mirroredCapsule = kernels.floats(5 * this.n, 'mirroredCapsule');
  }

  /** The tile holding pixel (column, row). */
  tile(column: number, row: number): number {
    return (row >> this.shift) * this.columns + (column >> this.shift);
  }

  /** Lists this frame's objects per tile, after `culling.prepare` (camera layout in culling.ts). */
  build(camera: Float64Array): void {
    this.directCount.fill(0);
    this.mirroredCount.fill(0);
    for (let k = 0; k < this.n; k++) {
      this.list(k, camera, false);
      if (this.culling.ground >= 0) this.list(k, camera, true);
    }
    const { scene, n } = this;
    for (let tile = 0; tile < this.planesOnly.length; tile++) {
      let only = 1;
      for (let a = tile * n; a < tile * n + this.directCount[tile]; a++) if (scene.type[this.direct[a]] !== GEOM_PLANE) only = 0;
      this.planesOnly[tile] = only;
    }
  }

  private list(k: number, camera: Float64Array, mirrored: boolean): void {
    const { culling, n } = this;
    const columnRange = mirrored ? culling.mirrorColumnRange : culling.columnRange;
    const rowRange = mirrored ? culling.mirrorRowRange : culling.rowRange;
    const columnStart = columnRange[2 * k];
    const columnEnd = columnRange[2 * k + 1];
    const rowStart = rowRange[2 * k];
    const rowEnd = rowRange[2 * k + 1];
    if (columnStart > columnEnd || rowStart > rowEnd) return;
    const lists = mirrored ? this.mirrored : this.direct;
    const counts = mirrored ? this.mirroredCount : this.directCount;
    const precise = this.project(k, camera, mirrored);
    const segment = this.segment;
    const capsule = mirrored ? this.mirroredCapsule : this.capsule;
    for (let i = 0; i < 4; i++) capsule[5 * k + i] = segment[i];
    // Half a pixel of margin: the test at a ray's image point must never be tighter than the bound.
    capsule[5 * k + 4] = precise ? segment[4] + 0.5 : Infinity;
    const x0 = segment[0];
    const y0 = segment[1];
    const ex = segment[2] - x0;
    const ey = segment[3] - y0;
    const length2 = ex * ex + ey * ey;
    const { shift, tileSize } = this;
    const reach2 = (segment[4] + this.tileReach) * (segment[4] + this.tileReach);
    for (let tileRow = rowStart >> shift; tileRow <= rowEnd >> shift; tileRow++) {
      for (let tileColumn = columnStart >> shift; tileColumn <= columnEnd >> shift; tileColumn++) {
        if (precise) {
          // Distance from the tile's centre to the projected segment.
          const px = tileColumn * tileSize + (tileSize - 1) / 2 - x0;
          const py = tileRow * tileSize + (tileSize - 1) / 2 - y0;
          let along = length2 > 0 ? (px * ex + py * ey) / length2 : 0;
          along = along < 0 ? 0 : along > 1 ? 1 : along;
          const dx = px - along * ex;
          const dy = py - along * ey;
          if (dx * dx + dy * dy > reach2) continue;
        }
        const tile = tileRow * this.columns + tileColumn;
        lists[tile * n + counts[tile]++] = k;
      }
    }
  }

  /**
   * The screen capsule of object k (see the file comment) into `segment`, in
   * pixel coordinates (pixel c's centre at c); false when the object is a plane
   * or reaches too near the eye, and only its rectangle bounds it.
   */
  private project(k: number, camera: Float64Array, mirrored: boolean): boolean {
    const { scene, point, segment, width, height } = this;
    const type = scene.type[k];
    if (type === GEOM_PLANE) return false;
    const p = 3 * k;
    const r = 9 * k;
    const rot = scene.rotation;
    const long = type === GEOM_CAPSULE || type === GEOM_CYLINDER;
    const half = long ? scene.size[p + 1] : 0;
    const radius = long ? scene.size[p] : boundingRadius(type, scene.size[p], scene.size[p + 1], scene.size[p + 2]);
    if (!(radius < Infinity)) return false;
    let depthMin = Infinity;
    let depthMax = -Infinity;
    let lateralMax = 0;
    for (let end = 0; end < 2; end++) {
      const sign = end === 0 ? -1 : 1;
      point[0] = scene.position[p] + sign * rot[r + 2] * half;
      point[1] = scene.position[p + 1] + sign * rot[r + 5] * half;
      point[2] = scene.position[p + 2] + sign * rot[r + 8] * half;
      if (mirrored) this.culling.mirror(point);
      const x = point[0] - camera[0];
      const y = point[1] - camera[1];
      const z = point[2] - camera[2];
      const lateral = camera[3] * x + camera[4] * y + camera[5] * z;
      const vertical = camera[6] * x + camera[7] * y + camera[8] * z;
      const depth = -(camera[9] * x + camera[10] * y + camera[11] * z);
      if (!(depth - radius > 1e-3 * (radius + 1e-3))) return false;
      depthMin = Math.min(depthMin, depth);
      depthMax = Math.max(depthMax, depth);
      lateralMax = Math.max(lateralMax, Math.sqrt(lateral * lateral + vertical * vertical));
      segment[2 * end] = ((lateral / depth / camera[12] + 1) / 2) * width - 0.5;
      segment[2 * end + 1] = ((1 - vertical / depth / camera[13]) / 2) * height - 0.5;
    }
    const spread = (radius * (depthMax + lateralMax)) / ((depthMin - radius) * depthMin);
    // Tangent units to pixels (square pixels: the same scale across and down).
    segment[4] = (spread * width) / (2 * camera[12]);
    return Number.isFinite(segment[4]);
  }
}
