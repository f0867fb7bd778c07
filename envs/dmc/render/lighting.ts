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
 * Plane grid vertices keep that colour itself per part (unshadowed, then per light:
 * 3 + 3l values), for the plane's colour of the frame: half the values to
 * interpolate per pixel, and the same colour up to rounding (the map from terms to
 * colour is affine, so it commutes with the interpolation).
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
  /** Per vertex: the frame it was computed in, and its colour parts (single precision: a few MB less for long floors). */
  stamp: Int32Array;
  parts: Float32Array;
}

export class Lighting {
  readonly input = new Float64Array(LIGHTING_INPUT);
  readonly terms: Float64Array;
  readonly termCount: number;
  /** Colour parts per point of a plane (unshadowed, then per light), as `interpolatePlane` writes them. */
  readonly partCount: number;
  /** Per plane: the sizes its grid was laid out for, and the grid's columns and rows (0: no grid). */
  private readonly gridKey: Float64Array;
  private readonly gridShape: Int32Array;
  /** The surface colour of the plane being interpolated (its vertices' parts are lit with it). */
  readonly surface = new Float64Array(3);
  private readonly vertexTerms: Float64Array;
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
    this.vertexTerms = new Float64Array(this.termCount);
    this.partCount = 3 + 3 * scene.lights.length;
    this.gridKey = new Float64Array(3 * scene.count).fill(NaN);
    this.gridShape = new Int32Array(2 * scene.count);
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
   * For a plane with a coarse render grid: the colour parts (for the colour in
   * `surface`) interpolated from the vertices of the grid quad holding point
   * (local[0], local[1]) of the plane's frame, into `parts` (partCount values);
   * returns 0 (nothing written) for other objects.
   */
  interpolatePlane(k: number, local: Float64Array, parts: Float64Array): number {
    const { scene, gridKey, gridShape } = this;
    if (scene.type[k] !== GEOM_PLANE) return 0;
    const p = 3 * k;
    const sx = scene.size[p];
    const sy = scene.size[p + 1];
    const spacing = scene.size[p + 2];
    if (gridKey[p] !== sx || gridKey[p + 1] !== sy || gridKey[p + 2] !== spacing) {
      // The grid's shape, worked out again only when the plane's sizes change.
      gridKey[p] = sx;
      gridKey[p + 1] = sy;
      gridKey[p + 2] = spacing;
      const columns = Math.max(1, Math.ceil((2 * sx) / spacing - 1e-9));
      const rows = Math.max(1, Math.ceil((2 * sy) / spacing - 1e-9));
      const gridded = sx > 0 && sy > 0 && spacing > 0 && (columns + 1) * (rows + 1) <= MAX_VERTICES;
      gridShape[2 * k] = gridded ? columns : 0;
      gridShape[2 * k + 1] = gridded ? rows : 0;
    }
    const columns = gridShape[2 * k];
    const rows = gridShape[2 * k + 1];
    if (columns === 0) return 0;
    let grid = this.grids[k];
    if (!grid || grid.columns !== columns || grid.rows !== rows) {
      const vertices = (columns + 1) * (rows + 1);
      grid = { columns, rows, stamp: new Int32Array(vertices).fill(-1), parts: new Float32Array(vertices * this.partCount) };
      this.grids[k] = grid;
      this.lastPlane = -1;
    }
    const u = ((local[0] + sx) / (2 * sx)) * columns;
    const v = ((local[1] + sy) / (2 * sy)) * rows;
    const column = Math.min(columns - 1, Math.max(0, Math.floor(u)));
    const row = Math.min(rows - 1, Math.max(0, Math.floor(v)));
    const fu = Math.min(1, Math.max(0, u - column));
    const fv = Math.min(1, Math.max(0, v - row));
    const count = this.partCount;
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
    const values = grid.parts;
    const b00 = v00 * count;
    const b01 = b00 + count;
    const b10 = (v00 + stride) * count;
    const b11 = b10 + count;
    // Parts come in RGB triples.
    for (let i = 0; i < count; i += 3) {
      parts[i] = w00 * values[b00 + i] + w01 * values[b01 + i] + w10 * values[b10 + i] + w11 * values[b11 + i];
      parts[i + 1] = w00 * values[b00 + i + 1] + w01 * values[b01 + i + 1] + w10 * values[b10 + i + 1] + w11 * values[b11 + i + 1];
      parts[i + 2] = w00 * values[b00 + i + 2] + w01 * values[b01 + i + 2] + w10 * values[b10 + i + 2] + w11 * values[b11 + i + 2];
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
    const terms = this.vertexTerms;
    this.compute(k, this.corner, terms, 0);
    const surface = this.surface;
    const parts = grid.parts;
    const at = vertex * this.partCount;
    for (let c = 0; c < 3; c++) parts[at + c] = surface[c] * terms[c] + terms[3 + c];
    for (let l = 0; l < this.scene.lights.length; l++) {
      for (let c = 0; c < 3; c++) parts[at + 3 + 3 * l + c] = surface[c] * terms[6 + 6 * l + c] + terms[9 + 6 * l + c];
    }
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
    // Every per-light slot is written below; the shared terms accumulate from here.
    out[at] = emission;
    out[at + 1] = emission;
    out[at + 2] = emission;
    out[at + 3] = 0;
    out[at + 4] = 0;
    out[at + 5] = 0;
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
      const slot = at + 6 + 6 * l;
      if (factor === 0) {
        for (let i = 0; i < 6; i++) out[slot + i] = 0;
        continue;
      }
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
