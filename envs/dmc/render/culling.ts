/**
 * Which objects a ray can hit, decided once per frame so that each ray tests few:
 * - primary rays: the screen rectangle of each object (its bounding sphere, or for
 *   capsules and cylinders the spheres at both ends, or for finite planes their
 *   four corners, projected through the pinhole);
 * - mirror rays off the ground (the reflective floor): the same rectangles for the
 *   objects mirrored in the ground, since a reflected ray continues, mirrored, the
 *   primary ray of its pixel;
 * - shadow rays from the ground to each light: the footprint of each object's
 *   shadow on the ground (its bounding box projected from the light), in the
 *   ground's own x, y coordinates.
 */
import type { RayKernels } from './kernels.ts';
import { boundingRadius, GEOM_CAPSULE, GEOM_CYLINDER, GEOM_PLANE, type Scene } from './scene.ts';

/** Layout of the camera buffer: eye, right, up, back (3 each), tan of the half field of view across x, then y. */
export const CAMERA_LENGTH = 14;

export class Culling {
  readonly radius: Float64Array;
  readonly columnRange: Int32Array;
  readonly rowRange: Int32Array;
  readonly mirrorColumnRange: Int32Array;
  readonly mirrorRowRange: Int32Array;
  /** Per light, per object: [min x, max x, min y, max y] of its shadow on the ground. */
  readonly footprint: Float64Array;
  /** The plane whose reflections and shadows are culled: the first reflective plane, else the first textured one, else -1. */
  readonly ground: number;
  private readonly scene: Scene;
  private readonly n: number;
  private readonly range = new Float64Array(2);
  private readonly point = new Float64Array(3);
  /** A screen rectangle being grown (column start, end, row start, end). */
  private readonly bounds = new Float64Array(4);

  /** Its radii and shadow footprints live in `kernels`' memory (the ray kernels read them). */
  constructor(scene: Scene, kernels: RayKernels) {
    this.scene = scene;
    const n = scene.count;
    this.n = n;
    this.radius = kernels.floats(n, 'radius');
    this.columnRange = new Int32Array(2 * n);
    this.rowRange = new Int32Array(2 * n);
    // Empty (start > end) unless a ground mirrors the objects: `prepare` writes them only then.
    this.mirrorColumnRange = Int32Array.from({ length: 2 * n }, (_, i) => (i % 2 === 0 ? 1 : 0));
    this.mirrorRowRange = Int32Array.from(this.mirrorColumnRange);
    this.footprint = kernels.floats(4 * n * scene.lights.length, 'footprint');
    let ground = -1;
    for (let k = 0; k < n && ground < 0; k++) if (scene.type[k] === GEOM_PLANE && scene.reflectance[k] > 0) ground = k;
    for (let k = 0; k < n && ground < 0; k++) if (scene.type[k] === GEOM_PLANE && scene.textureId[k] >= 0) ground = k;
    this.ground = ground;
  }

  prepare(camera: Float64Array, width: number, height: number): void {
    const { scene } = this;
    const rot = scene.rotation;
    const g = this.ground;
    for (let k = 0; k < this.n; k++) {
      const p = 3 * k;
      const r = 9 * k;
      const type = scene.type[k];
      const radius = boundingRadius(type, scene.size[p], scene.size[p + 1], scene.size[p + 2]);
      this.radius[k] = radius;
      const hidden = scene.rgba[4 * k + 3] === 0;
      if (type === GEOM_PLANE) {
        this.planeRectangle(k, camera, width, height, hidden, false);
        // The ground mirrors the others; planes cast no shadows here.
        if (g >= 0) this.planeRectangle(k, camera, width, height, hidden || k === g, true);
        for (let l = 0; l < scene.lights.length && g >= 0; l++) this.noFootprint(k, l);
        continue;
      }
      // Long shapes are bounded by the spheres at their two ends.
      const long = type === GEOM_CAPSULE || type === GEOM_CYLINDER;
      const half = long ? scene.size[p + 1] : 0;
      const endRadius = long ? scene.size[p] : radius;
      const ax = rot[r + 2] * half;
      const ay = rot[r + 5] * half;
      const az = rot[r + 8] * half;
      const cx = scene.position[p];
      const cy = scene.position[p + 1];
      const cz = scene.position[p + 2];
      this.rectangle(k, camera, width, height, hidden, cx, cy, cz, ax, ay, az, endRadius, false);
      if (g >= 0) {
        this.rectangle(k, camera, width, height, hidden, cx, cy, cz, ax, ay, az, endRadius, true);
        for (let l = 0; l < scene.lights.length; l++) this.shadowFootprint(k, l, hidden, cx, cy, cz, ax, ay, az, endRadius);
      }
    }
  }

  /** Screen rectangle of object k (mirrored in the ground if `mirrored`). */
  private rectangle(k: number, camera: Float64Array, width: number, height: number, hidden: boolean, cx: number, cy: number, cz: number, ax: number, ay: number, az: number, radius: number, mirrored: boolean): void {
    const columns = mirrored ? this.mirrorColumnRange : this.columnRange;
    const rows = mirrored ? this.mirrorRowRange : this.rowRange;
    if (hidden) {
      rows[2 * k] = 1;
      rows[2 * k + 1] = 0;
      columns[2 * k] = 1;
      columns[2 * k + 1] = 0;
      return;
    }
    columns[2 * k] = 0;
    columns[2 * k + 1] = width - 1;
    rows[2 * k] = 0;
    rows[2 * k + 1] = height - 1;
    let full = false;
    let columnStart = width;
    let columnEnd = -1;
    let rowStart = height;
    let rowEnd = -1;
    for (let end = -1; end <= 1; end += 2) {
      this.point[0] = cx + end * ax;
      this.point[1] = cy + end * ay;
      this.point[2] = cz + end * az;
      if (mirrored) this.mirror(this.point);
      const x = this.point[0] - camera[0];
      const y = this.point[1] - camera[1];
      const z = this.point[2] - camera[2];
      const lateral = camera[3] * x + camera[4] * y + camera[5] * z;
      const vertical = camera[6] * x + camera[7] * y + camera[8] * z;
      const depth = -(camera[9] * x + camera[10] * y + camera[11] * z);
      // Part of the object behind the eye: its projection is unbounded.
      if (depth + radius <= 0) full = true;
      screenRange(lateral, depth, radius, camera[12], width, false, this.range);
      columnStart = Math.min(columnStart, this.range[0]);
      columnEnd = Math.max(columnEnd, this.range[1]);
      screenRange(vertical, depth, radius, camera[13], height, true, this.range);
      rowStart = Math.min(rowStart, this.range[0]);
      rowEnd = Math.max(rowEnd, this.range[1]);
    }
    if (full) return;
    columns[2 * k] = columnStart;
    columns[2 * k + 1] = columnEnd;
    rows[2 * k] = rowStart;
    rows[2 * k + 1] = rowEnd;
  }

  /**
   * Screen rectangle of plane k (mirrored in the ground if `mirrored`): its four
   * corners projected (the image of a flat convex patch in front of the eye lies
   * within its corners' rectangle); the whole image for an infinite plane or one
   * reaching behind the eye.
   */
  private planeRectangle(k: number, camera: Float64Array, width: number, height: number, hidden: boolean, mirrored: boolean): void {
    const { scene, point, bounds } = this;
    const columns = mirrored ? this.mirrorColumnRange : this.columnRange;
    const rows = mirrored ? this.mirrorRowRange : this.rowRange;
    if (hidden) {
      columns[2 * k] = rows[2 * k] = 1;
      columns[2 * k + 1] = rows[2 * k + 1] = 0;
      return;
    }
    bounds[0] = bounds[2] = Infinity;
    bounds[1] = bounds[3] = -Infinity;
    if (this.radius[k] < Infinity) {
      const rot = scene.rotation;
      const p = 3 * k;
      const r = 9 * k;
      for (let corner = 0; corner < 4; corner++) {
        const u = corner & 1 ? scene.size[p] : -scene.size[p];
        const v = corner & 2 ? scene.size[p + 1] : -scene.size[p + 1];
        point[0] = scene.position[p] + rot[r] * u + rot[r + 1] * v;
        point[1] = scene.position[p + 1] + rot[r + 3] * u + rot[r + 4] * v;
        point[2] = scene.position[p + 2] + rot[r + 6] * u + rot[r + 7] * v;
        if (mirrored) this.mirror(point);
        if (!coverPoint(camera, width, height, point[0], point[1], point[2], bounds)) {
          bounds[0] = bounds[2] = 0;
          bounds[1] = width - 1;
          bounds[3] = height - 1;
          break;
        }
      }
    } else {
      bounds[0] = bounds[2] = 0;
      bounds[1] = width - 1;
      bounds[3] = height - 1;
    }
    columns[2 * k] = Math.max(0, bounds[0]);
    columns[2 * k + 1] = Math.min(width - 1, bounds[1]);
    rows[2 * k] = Math.max(0, bounds[2]);
    rows[2 * k + 1] = Math.min(height - 1, bounds[3]);
  }

  /** Reflects a world point across the ground plane, in place. */
  mirror(point: Float64Array): void {
    const { scene } = this;
    const g = this.ground;
    const rot = scene.rotation;
    const nx = rot[9 * g + 2];
    const ny = rot[9 * g + 5];
    const nz = rot[9 * g + 8];
    const distance = (point[0] - scene.position[3 * g]) * nx + (point[1] - scene.position[3 * g + 1]) * ny + (point[2] - scene.position[3 * g + 2]) * nz;
    point[0] -= 2 * distance * nx;
    point[1] -= 2 * distance * ny;
    point[2] -= 2 * distance * nz;
  }

  /** An empty shadow footprint of object k from light l (it casts none). */
  private noFootprint(k: number, l: number): void {
    const at = 4 * (l * this.n + k);
    this.footprint[at] = this.footprint[at + 2] = Infinity;
    this.footprint[at + 1] = this.footprint[at + 3] = -Infinity;
  }

  /** Box on the ground (its x, y) holding the shadow of object k from light l: the box corners projected from the light. */
  private shadowFootprint(k: number, l: number, hidden: boolean, cx: number, cy: number, cz: number, ax: number, ay: number, az: number, radius: number): void {
    const { scene } = this;
    const at = 4 * (l * this.n + k);
    const box = this.footprint;
    if (hidden) {
      this.noFootprint(k, l);
      return;
    }
    const g = this.ground;
    const rot = scene.rotation;
    const r = 9 * g;
    const ox = scene.position[3 * g];
    const oy = scene.position[3 * g + 1];
    const oz = scene.position[3 * g + 2];
    const light = scene.lights[l];
    const lx = scene.lightPosition[3 * l];
    const ly = scene.lightPosition[3 * l + 1];
    const lz = scene.lightPosition[3 * l + 2];
    const dx = scene.lightDirection[3 * l];
    const dy = scene.lightDirection[3 * l + 1];
    const dz = scene.lightDirection[3 * l + 2];
    const normalX = rot[r + 2];
    const normalY = rot[r + 5];
    const normalZ = rot[r + 8];
    const lightHeight = (lx - ox) * normalX + (ly - oy) * normalY + (lz - oz) * normalZ;
    const directionDown = dx * normalX + dy * normalY + dz * normalZ;
    let minX = Infinity;
    let maxX = -Infinity;
    let minY = Infinity;
    let maxY = -Infinity;
    let unbounded = light.directional ? directionDown >= -1e-6 : false;
    for (let corner = 0; corner < 16 && !unbounded; corner++) {
      const end = corner & 8 ? 1 : -1;
      const x = cx + end * ax + (corner & 1 ? radius : -radius);
      const y = cy + end * ay + (corner & 2 ? radius : -radius);
      const z = cz + end * az + (corner & 4 ? radius : -radius);
      const height = (x - ox) * normalX + (y - oy) * normalY + (z - oz) * normalZ;
      let px: number;
      let py: number;
      let pz: number;
      if (light.directional) {
        // Along the light's direction down to the plane.
        const t = -height / directionDown;
        px = x + t * dx;
        py = y + t * dy;
        pz = z + t * dz;
      } else {
        // From the light through the corner down to the plane; corners at or above the light's height have no bounded shadow.
        if (height >= lightHeight - 1e-9) {
          unbounded = true;
          break;
        }
        const s = lightHeight / (lightHeight - height);
        px = lx + s * (x - lx);
        py = ly + s * (y - ly);
        pz = lz + s * (z - lz);
      }
      const u = (px - ox) * rot[r] + (py - oy) * rot[r + 3] + (pz - oz) * rot[r + 6];
      const v = (px - ox) * rot[r + 1] + (py - oy) * rot[r + 4] + (pz - oz) * rot[r + 7];
      if (u < minX) minX = u;
      if (u > maxX) maxX = u;
      if (v < minY) minY = v;
      if (v > maxY) maxY = v;
    }
    if (unbounded || !(radius < Infinity)) {
      minX = -Infinity;
      maxX = Infinity;
      minY = -Infinity;
      maxY = Infinity;
    }
    box[at] = minX;
    box[at + 1] = maxX;
    box[at + 2] = minY;
    box[at + 3] = maxY;
  }
}

/**
 * The pixel range (inclusive, padded by one) covered by a sphere at lateral
 * offset `offset` and depth `depth` in front of the camera, along one image
 * axis, into out[0..1]; an empty range (start > end) when it is behind the camera.
 */
function screenRange(offset: number, depth: number, radius: number, tangent: number, pixels: number, flipped: boolean, out: Float64Array): void {
  if (depth + radius <= 0) {
    out[0] = pixels;
    out[1] = -1;
    return;
  }
  const distance = Math.sqrt(offset * offset + depth * depth);
  let low = -Infinity;
  let high = Infinity;
  if (distance > radius) {
    const centre = Math.atan2(offset, depth);
    const half = Math.asin(radius / distance);
    if (centre - half > -Math.PI / 2) low = Math.tan(centre - half) / tangent;
    if (centre + half < Math.PI / 2) high = Math.tan(centre + half) / tangent;
  }
  // Image coordinate in [-1, 1] to pixel index; rows grow downward.
  const start = flipped ? ((1 - high) / 2) * pixels - 0.5 : ((low + 1) / 2) * pixels - 0.5;
  const end = flipped ? ((1 - low) / 2) * pixels - 0.5 : ((high + 1) / 2) * pixels - 0.5;
  out[0] = Math.max(0, Math.floor(start) - 1);
  out[1] = Math.min(pixels - 1, Math.ceil(end) + 1);
}

/**
 * Grows the screen rectangle `bounds` (column start, end, row start, end, in
 * whole pixels, padded by one) to hold the image of world point (x, y, z).
 * False, and `bounds` unchanged, when the point is not in front of the eye.
 */
export function coverPoint(camera: Float64Array, width: number, height: number, x: number, y: number, z: number, bounds: Float64Array): boolean {
  x -= camera[0];
  y -= camera[1];
  z -= camera[2];
  const depth = -(camera[9] * x + camera[10] * y + camera[11] * z);
  if (depth < 1e-6) return false;
  const lateral = (camera[3] * x + camera[4] * y + camera[5] * z) / depth / camera[12];
  const vertical = (camera[6] * x + camera[7] * y + camera[8] * z) / depth / camera[13];
  const column = ((lateral + 1) / 2) * width - 0.5;
  const row = ((1 - vertical) / 2) * height - 0.5;
  bounds[0] = Math.min(bounds[0], Math.floor(column) - 1);
  bounds[1] = Math.max(bounds[1], Math.ceil(column) + 1);
  bounds[2] = Math.min(bounds[2], Math.floor(row) - 1);
  bounds[3] = Math.max(bounds[3], Math.ceil(row) + 1);
  return true;
}
