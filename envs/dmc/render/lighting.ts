/**
 * MuJoCo's fixed-function lighting (OpenGL 1.x style, as dm_control's frames
 * were made): per light, ambient + Lambert diffuse (both times the surface
 * colour) + Blinn-Phong specular (times the material's specular, not the
 * colour), OpenGL spot cones (cos^exponent inside the cutoff) and attenuation
 * 1 / (a0 + a1 d + a2 d^2). The headlight is a directional light along the
 * camera's view axis.
 *
 * Planes are lit per vertex of their render grid (MJCF: the third plane size is
 * the spacing of the grid lines "for rendering"; one quad when it exceeds the
 * plane) and the result interpolated across each quad, as OpenGL's Gouraud
 * shading does: a big floor quad under a spot light stays evenly lit (reacher,
 * finger, ball_in_cup). Vertices are lit once per frame, when first needed.
 *
 * Results are terms, so that the caller can switch off a light where its shadow falls:
 *   terms[0..2] diffuse factor of lights without shadows, terms[3..5] their specular;
 *   then per model light l: terms[6 + 6l ..] diffuse factor, terms[9 + 6l ..] specular.
 * The colour is surface * (terms diffuse) + (terms specular), summed over visible lights.
 */
import { GEOM_PLANE, type Scene } from './scene.ts';

/** Inputs: point [0..2], unit normal [3..5], eye [6..8], headlight direction toward the light [9..11]. */
export const LIGHTING_INPUT = 12;
/**
 * Planes with more grid vertices are lit per pixel (the cache would be too big);
 * dm_control's floors have at most 2501 x 9.
 */
const MAX_VERTICES = 1 << 16;

interface PlaneGrid {
  columns: number;
  rows: number;
  /** Per vertex: the frame it was computed in, and its terms (single precision: a few MB less for long floors). */
  stamp: Int32Array;
  terms: Float32Array;
}

export class Lighting {
  readonly input = new Float64Array(LIGHTING_INPUT);
  readonly terms: Float64Array;
  readonly termCount: number;
  private readonly scene: Scene;
  private readonly grids: (PlaneGrid | null)[];
  private readonly corner = new Float64Array(LIGHTING_INPUT);
  private frame = 0;
  /** The quad (its first vertex, plane and frame) whose vertices were last made sure of. */
  private lastVertex = -1;
  private lastPlane = -1;
  private lastFrame = -1;
  /** Per object: OpenGL's shininess exponent, and the cosine below which its highlight is under 1e-3 (skipped). */
  private readonly exponent: Float64Array;
  private readonly specularFloor: Float64Array;

  constructor(scene: Scene) {
    this.scene = scene;
    this.exponent = scene.shininess.map((shininess) => shininess * 128);
    this.specularFloor = this.exponent.map((exponent) => Math.exp(Math.log(1e-3) / Math.max(exponent, 1e-3)));
    this.termCount = 6 + 6 * scene.lights.length;
    this.terms = new Float64Array(this.termCount);
    this.grids = Array.from({ length: scene.count }, () => null);
  }

  /** Starts a frame: cached plane vertices are recomputed on first use. */
  nextFrame(): void {
    this.frame = (this.frame + 1) | 0;
  }

  /** The lighting terms of object k at the point, normal and eye in `input`, into `terms`. */
  evaluate(k: number): void {
    this.compute(k, this.input, this.terms, 0);
  }

  /**
   * For a plane with a coarse render grid: the terms interpolated from the vertices
   * of the grid quad holding point (local[0], local[1]) of the plane's frame,
   * into `terms`; returns 0 (nothing written) for other objects.
   */
  interpolatePlane(k: number, local: Float64Array): number {
    const { scene } = this;
    if (scene.type[k] !== GEOM_PLANE) return 0;
    const p = 3 * k;
    const sx = scene.size[p];
    const sy = scene.size[p + 1];
    const spacing = scene.size[p + 2];
    if (!(sx > 0 && sy > 0 && spacing > 0)) return 0;
    let grid = this.grids[k];
    const columns = Math.max(1, Math.ceil((2 * sx) / spacing - 1e-9));
    const rows = Math.max(1, Math.ceil((2 * sy) / spacing - 1e-9));
    if ((columns + 1) * (rows + 1) > MAX_VERTICES) return 0;
    if (!grid || grid.columns !== columns || grid.rows !== rows) {
      const vertices = (columns + 1) * (rows + 1);
      grid = { columns, rows, stamp: new Int32Array(vertices).fill(-1), terms: new Float32Array(vertices * this.termCount) };
      this.grids[k] = grid;
      this.lastPlane = -1;
    }
    const u = ((local[0] + sx) / (2 * sx)) * columns;
    const v = ((local[1] + sy) / (2 * sy)) * rows;
    const column = Math.min(columns - 1, Math.max(0, Math.floor(u)));
    const row = Math.min(rows - 1, Math.max(0, Math.floor(v)));
    const fu = Math.min(1, Math.max(0, u - column));
    const fv = Math.min(1, Math.max(0, v - row));
    const count = this.termCount;
    const stride = columns + 1;
    const v00 = row * stride + column;
    // Neighbouring pixels mostly fall in the same quad: its vertices are lit already.
    if (v00 !== this.lastVertex || k !== this.lastPlane || this.frame !== this.lastFrame) {
      this.ensureVertex(k, grid, v00, column, row);
      this.ensureVertex(k, grid, v00 + 1, column + 1, row);
      this.ensureVertex(k, grid, v00 + stride, column, row + 1);
      this.ensureVertex(k, grid, v00 + stride + 1, column + 1, row + 1);
      this.lastVertex = v00;
      this.lastPlane = k;
      this.lastFrame = this.frame;
    }
    const w00 = (1 - fu) * (1 - fv);
    const w01 = fu * (1 - fv);
    const w10 = (1 - fu) * fv;
    const w11 = fu * fv;
    const values = grid.terms;
    const terms = this.terms;
    const b00 = v00 * count;
    const b01 = b00 + count;
    const b10 = (v00 + stride) * count;
    const b11 = b10 + count;
    for (let i = 0; i < count; i++) {
      terms[i] = w00 * values[b00 + i] + w01 * values[b01 + i] + w10 * values[b10 + i] + w11 * values[b11 + i];
    }
    return 1;
  }

  /** Lights grid vertex `vertex` (column c, row r) of plane k, once per frame. */
  private ensureVertex(k: number, grid: PlaneGrid, vertex: number, c: number, r: number): void {
    if (grid.stamp[vertex] === this.frame) return;
    const p = 3 * k;
    const sx = this.scene.size[p];
    const sy = this.scene.size[p + 1];
    this.vertexInput(k, -sx + (2 * sx * c) / grid.columns, -sy + (2 * sy * r) / grid.rows);
    this.compute(k, this.corner, grid.terms, vertex * this.termCount);
    grid.stamp[vertex] = this.frame;
  }

  /** World point and normal of a plane's grid vertex (local x, y), with the eye and headlight of `input`. */
  private vertexInput(k: number, x: number, y: number): void {
    const { scene, corner, input } = this;
    const p = 3 * k;
    const r = 9 * k;
    const rot = scene.rotation;
    corner[0] = scene.position[p] + rot[r] * x + rot[r + 1] * y;
    corner[1] = scene.position[p + 1] + rot[r + 3] * x + rot[r + 4] * y;
    corner[2] = scene.position[p + 2] + rot[r + 6] * x + rot[r + 7] * y;
    corner[3] = rot[r + 2];
    corner[4] = rot[r + 5];
    corner[5] = rot[r + 8];
    for (let i = 6; i < LIGHTING_INPUT; i++) corner[i] = input[i];
  }

  private compute(k: number, input: Float64Array, out: Float64Array | Float32Array, at: number): void {
    const { scene } = this;
    const px = input[0];
    const py = input[1];
    const pz = input[2];
    const nx = input[3];
    const ny = input[4];
    const nz = input[5];
    let vx = input[6] - px;
    let vy = input[7] - py;
    let vz = input[8] - pz;
    const viewLength = Math.sqrt(vx * vx + vy * vy + vz * vz) || 1;
    vx /= viewLength;
    vy /= viewLength;
    vz /= viewLength;
    const specular = scene.specular[k];
    const exponent = this.exponent[k];
    const specularFloor = this.specularFloor[k];
    const emission = scene.emission[k];
    for (let i = 0; i < this.termCount; i++) out[at + i] = 0;
    out[at] = emission;
    out[at + 1] = emission;
    out[at + 2] = emission;
    const head = scene.headlight;
    if (head.active) {
      const lx = input[9];
      const ly = input[10];
      const lz = input[11];
      const diffuse = Math.max(0, nx * lx + ny * ly + nz * lz);
      const hx = lx + vx;
      const hy = ly + vy;
      const hz = lz + vz;
      const halfLength = Math.sqrt(hx * hx + hy * hy + hz * hz);
      const cosine = halfLength > 0 ? (nx * hx + ny * hy + nz * hz) / halfLength : 0;
      const spec = cosine > specularFloor ? power(cosine, exponent) * specular : 0;
      for (let c = 0; c < 3; c++) {
        out[at + c] += head.ambient[c] + head.diffuse[c] * diffuse;
        out[at + 3 + c] += head.specular[c] * spec;
      }
    }
    const lights = scene.lights;
    for (let l = 0; l < lights.length; l++) {
      const light = lights[l];
      let lx: number;
      let ly: number;
      let lz: number;
      let factor = 1;
      if (light.directional) {
        lx = -scene.lightDirection[3 * l];
        ly = -scene.lightDirection[3 * l + 1];
        lz = -scene.lightDirection[3 * l + 2];
      } else {
        lx = scene.lightPosition[3 * l] - px;
        ly = scene.lightPosition[3 * l + 1] - py;
        lz = scene.lightPosition[3 * l + 2] - pz;
        const distance = Math.sqrt(lx * lx + ly * ly + lz * lz);
        lx /= distance;
        ly /= distance;
        lz /= distance;
        factor = 1 / (light.attenuation[0] + light.attenuation[1] * distance + light.attenuation[2] * distance * distance);
        if (light.spot) {
          const cosine = -(lx * scene.lightDirection[3 * l] + ly * scene.lightDirection[3 * l + 1] + lz * scene.lightDirection[3 * l + 2]);
          factor = cosine < light.cosCutoff ? 0 : factor * power(cosine, light.exponent);
        }
      }
      if (factor === 0) continue;
      const diffuse = Math.max(0, nx * lx + ny * ly + nz * lz);
      let spec = 0;
      if (diffuse > 0) {
        const hx = lx + vx;
        const hy = ly + vy;
        const hz = lz + vz;
        const halfLength = Math.sqrt(hx * hx + hy * hy + hz * hz);
        const cosine = halfLength > 0 ? (nx * hx + ny * hy + nz * hz) / halfLength : 0;
        spec = cosine > specularFloor ? power(cosine, exponent) * specular : 0;
      }
      // Ambient is not shadowed: it goes to the unshadowed terms.
      const slot = at + 6 + 6 * l;
      for (let c = 0; c < 3; c++) {
        out[at + c] += factor * light.ambient[c];
        out[slot + c] = factor * light.diffuse[c] * diffuse;
        out[slot + 3 + c] = factor * light.specular[c] * spec;
      }
    }
  }
}

/** x^e for x in (0, 1]: repeated squaring for integer exponents (OpenGL's shininess and spot exponents usually are). */
export function power(x: number, e: number): number {
  if (e !== Math.floor(e) || e > 1024 || e < 0) return Math.pow(x, e);
  let result = 1;
  let base = x;
  let remaining = e;
  while (remaining > 0) {
    if (remaining & 1) result *= base;
    base *= base;
    remaining >>= 1;
  }
  return result;
}
