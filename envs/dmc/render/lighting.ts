/**
 * MuJoCo's fixed-function lighting (OpenGL 1.x style, as dm_control's frames
 * were made): per light, ambient + Lambert diffuse (both times the surface
 * colour) + Blinn-Phong specular (times the material's specular, not the
 * colour), OpenGL spot cones (cos^exponent inside the cutoff) and attenuation
 * 1 / (a0 + a1 d + a2 d^2). The headlight is a directional light along the
 * camera's view axis.
 *
 * Planes are lit per vertex of the render grid MuJoCo draws them with (MJCF: the
 * third plane size is the spacing of the grid lines "for rendering"; see planeGrid)
 * and the result interpolated across each quad's two triangles, as OpenGL's
 * Gouraud shading does. Vertices are lit once per frame, when first needed.
 *
 * Results are terms, so that the caller can switch off a light where its shadow falls:
 *   terms[0..2] diffuse factor of the headlight (and ambient, emission), terms[3..5] its specular;
 *   then per model light l: terms[6 + 6l ..] diffuse factor, terms[9 + 6l ..] specular.
 * `litParts` turns them into colour parts, surface * (diffuse) + (specular), grouped
 * and clamped to 1 per rendering pass as MuJoCo's passes are (part 0: the first pass;
 * part 1 + l: shadow-casting light l), and the visible parts add up. Plane grid
 * vertices keep these parts (3 + 3l values), interpolated per pixel: OpenGL clamps
 * per vertex too, before interpolating.
 */
import type { Scene } from './scene.ts';

/** Inputs: point [0..2], unit normal [3..5], eye [6..8], headlight direction toward the light [9..11]. */
export const LIGHTING_INPUT = 12;
/**
 * Planes with more grid vertices are lit per pixel (the cache would be too big);
 * MuJoCo's grids have at most 201 x 201 lines (200 cells a side).
 */
const MAX_VERTICES = 1 << 16;

export interface PlaneGrid {
  /** The plane sizes this grid was laid out for (x, y, spacing). */
  key: [number, number, number];
  columns: number;
  rows: number;
  /** Cell boundaries along the plane's x and y (columns + 1 and rows + 1 values). */
  xs: Float64Array;
  ys: Float64Array;
  /** Per vertex: the frame it was computed in, and its colour parts. */
  stamp: Int32Array;
  parts: Float64Array;
}

export class Lighting {
  readonly input = new Float64Array(LIGHTING_INPUT);
  readonly terms: Float64Array;
  readonly termCount: number;
  /** Colour parts per point of a plane (unshadowed, then per light), as `interpolatePlane` writes them. */
  readonly partCount: number;
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
    this.grids = Array.from({ length: scene.count }, () => null);
  }

  /** Starts a frame: cached plane vertices are recomputed on first use. */
  nextFrame(): void {
    this.frame = (this.frame + 1) | 0;
    // Each plane's grid follows its sizes: checked here once, not per pixel.
    const { scene } = this;
    const planes = scene.planes;
    for (let i = 0; i < planes.length; i++) {
      const k = planes[i];
      const p = 3 * k;
      const grid = this.grids[k];
      if (grid && grid.key[0] === scene.size[p] && grid.key[1] === scene.size[p + 1] && grid.key[2] === scene.size[p + 2]) continue;
      this.grids[k] = planeGrid(scene.size[p], scene.size[p + 1], scene.size[p + 2], this.partCount);
      this.lastPlane = -1;
    }
  }

  /** The lighting terms of object k at the point, normal and eye in `input`, into `terms`. */
  evaluate(k: number): void {
    this.compute(k, this.input, this.terms, 0);
  }

  /**
   * For a plane with a coarse render grid: the colour parts (for the colour in
   * `surface`) interpolated from the vertices of the grid quad holding point
   * (local[0], local[1]) of the plane's frame, into `parts` (partCount values);
   * returns 0 (nothing written) for other objects. Grids are laid out by `nextFrame`.
   */
  interpolatePlane(k: number, local: Float64Array, parts: Float64Array): number {
    // Null for objects other than planes; no columns for planes without a grid (see `nextFrame`).
    const grid = this.grids[k];
    if (grid === null || grid.columns === 0) return 0;
    const column = gridCell(grid.xs, local[0]);
    const row = gridCell(grid.ys, local[1]);
    const fu = cellFraction(grid.xs, column, local[0]);
    const fv = cellFraction(grid.ys, row, local[1]);
    const count = this.partCount;
    const stride = grid.columns + 1;
    const v00 = row * stride + column;
    // Neighbouring pixels mostly fall in the same quad: its vertices are lit already.
    if (v00 !== this.lastVertex || k !== this.lastPlane || this.frame !== this.lastFrame) {
      this.ensureQuad(k, grid, v00, column, row);
      this.lastVertex = v00;
      this.lastPlane = k;
      this.lastFrame = this.frame;
    }
    // A quad is drawn as two triangles, split along the diagonal from its (x1, y0)
    // to its (x0, y1) corner, with colours interpolated linearly across each
    // (dm_control's frames agree with this split better than with the other
    // diagonal or a bilinear blend: reacher-easy 2.8 against 5.1 and 4.0 mean error).
    const lower = fu + fv <= 1;
    const w00 = lower ? 1 - fu - fv : 0;
    const w01 = lower ? fu : 1 - fv;
    const w10 = lower ? fv : 1 - fu;
    const w11 = lower ? 0 : fu + fv - 1;
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

  /** Plane k's render grid for this frame (laid out by `nextFrame`), null for other objects; it has no columns when the plane is lit per pixel. */
  planeGrid(k: number): PlaneGrid | null {
    return this.grids[k];
  }

  /**
   * Makes sure the 4 vertices of the quad at (column, row) of plane k's grid,
   * first vertex v00, are lit this frame (with the eye and headlight in `input`
   * and the colour in `surface`), as `interpolatePlane` does before reading them.
   */
  ensureQuad(k: number, grid: PlaneGrid, v00: number, column: number, row: number): void {
    const stride = grid.columns + 1;
    this.ensureVertex(k, grid, v00, column, row);
    this.ensureVertex(k, grid, v00 + 1, column + 1, row);
    this.ensureVertex(k, grid, v00 + stride, column, row + 1);
    this.ensureVertex(k, grid, v00 + stride + 1, column + 1, row + 1);
  }

  /** Lights grid vertex `vertex` (column c, row r) of plane k, once per frame. */
  private ensureVertex(k: number, grid: PlaneGrid, vertex: number, c: number, r: number): void {
    if (grid.stamp[vertex] === this.frame) return;
    this.vertexInput(k, grid.xs[c], grid.ys[r]);
    const terms = this.vertexTerms;
    this.compute(k, this.corner, terms, 0);
    const surface = this.surface;
    this.litParts(surface[0], surface[1], surface[2], terms, grid.parts, vertex * this.partCount);
    grid.stamp[vertex] = this.frame;
  }

  /**
   * The colour parts of a surface of colour (red, green, blue) from its lighting
   * `terms`, into out[at ...] (partCount values), grouped and clamped as MuJoCo 2.2's
   * passes are (render_gl3.c): OpenGL clamps each pass's lit colour to [0, 1]
   * before the texture modulates it, and the passes add up in the framebuffer.
   * Part 0 is the first pass: emission, the headlight and the lights that cast no
   * shadow. Part 1 + l is shadow-casting light l, drawn in a pass of its own where
   * its shadow map lets it through. The clamp is what keeps a floor seen from
   * straight above (point_mass, reacher: headlight ambient 0.4 plus diffuse 0.8)
   * from lighting its texture by more than 1 in the first pass.
   */
  litParts(red: number, green: number, blue: number, terms: Float64Array, out: Float64Array, at: number): void {
    let firstRed = red * terms[0] + terms[3];
    let firstGreen = green * terms[1] + terms[4];
    let firstBlue = blue * terms[2] + terms[5];
    const lights = this.scene.lights;
    for (let l = 0; l < lights.length; l++) {
      const slot = 6 + 6 * l;
      const part = at + 3 + 3 * l;
      const lightRed = red * terms[slot] + terms[slot + 3];
      const lightGreen = green * terms[slot + 1] + terms[slot + 4];
      const lightBlue = blue * terms[slot + 2] + terms[slot + 5];
      if (lights[l].castShadow) {
        out[part] = Math.min(1, lightRed);
        out[part + 1] = Math.min(1, lightGreen);
        out[part + 2] = Math.min(1, lightBlue);
      } else {
        firstRed += lightRed;
        firstGreen += lightGreen;
        firstBlue += lightBlue;
        out[part] = 0;
        out[part + 1] = 0;
        out[part + 2] = 0;
      }
    }
    out[at] = Math.min(1, firstRed);
    out[at + 1] = Math.min(1, firstGreen);
    out[at + 2] = Math.min(1, firstBlue);
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

/**
 * The render grid MuJoCo 2.2 draws a plane with (render_context.c, makePlane), per
 * axis of half-size `size`: cells of twice the half-spacing max(spacing, size / 198),
 * an even number of them centred on the plane, and one padding cell at each end
 * holding the remainder (zero wide when the spacing divides the size). So a plane
 * whose spacing exceeds its size is still two cells a side, with a vertex at its
 * centre: reacher's and finger's floors are brightest there under their spot lights.
 * Planes of infinite extent (size 0) get no grid: they are lit per pixel.
 */
function planeGrid(sizeX: number, sizeY: number, spacing: number, partCount: number): PlaneGrid {
  const xs = gridLines(sizeX, spacing);
  const ys = gridLines(sizeY, spacing);
  const gridded = xs.length > 1 && ys.length > 1 && xs.length * ys.length <= MAX_VERTICES;
  const columns = gridded ? xs.length - 1 : 0;
  const rows = gridded ? ys.length - 1 : 0;
  const vertices = gridded ? xs.length * ys.length : 0;
  return {
    key: [sizeX, sizeY, spacing],
    columns,
    rows,
    xs,
    ys,
    stamp: new Int32Array(vertices).fill(-1),
    parts: new Float64Array(vertices * partCount),
  };
}

/** MuJoCo's grid lines along one axis of half-size `size` (empty when the size is not positive). */
export function gridLines(size: number, spacing: number): Float64Array {
  if (!(size > 0)) return new Float64Array(0);
  const MAX_PLANE_GRID = 200; // mjMAXPLANEGRID
  const half = Math.max(spacing, size / (MAX_PLANE_GRID - 2));
  let inner = Math.floor(size / Math.max(1e-15, half));
  inner -= inner % 2;
  const pad = size - inner * half;
  const lines = new Float64Array(inner + 3);
  lines[0] = -size;
  for (let i = 1; i <= inner + 1; i++) lines[i] = -size + pad + (i - 1) * 2 * half;
  lines[inner + 2] = size;
  return lines;
}

/** The cell of sorted grid lines `lines` holding x (clamped to the first and last cell). */
export function gridCell(lines: Float64Array, x: number): number {
  const last = lines.length - 2;
  if (x <= lines[1]) return 0;
  if (x >= lines[last]) return last;
  // Inner cells are equally wide: index directly, then step past rounding at a boundary.
  let cell = 1 + Math.floor((x - lines[1]) / (lines[2] - lines[1]));
  if (cell > last - 1) cell = last - 1;
  while (cell > 1 && x < lines[cell]) cell--;
  while (cell < last - 1 && x >= lines[cell + 1]) cell++;
  return cell;
}

/**
 * Whether `gridCell(lines, x)` is `cell`: the same tests, in its order, without
 * its division (a pixel's neighbour mostly lies in the same cell).
 */
export function inCell(lines: Float64Array, cell: number, x: number): boolean {
  const last = lines.length - 2;
  if (x <= lines[1]) return cell === 0;
  if (x >= lines[last]) return cell === last;
  // Inner cells hold [lines[cell], lines[cell + 1]), as gridCell's steps leave them.
  return cell >= 1 && cell <= last - 1 && x >= lines[cell] && x < lines[cell + 1];
}

/** Where x lies across cell `cell`, from 0 to 1 (0 in a cell of no width). */
export function cellFraction(lines: Float64Array, cell: number, x: number): number {
  const width = lines[cell + 1] - lines[cell];
  return width > 0 ? Math.min(1, Math.max(0, (x - lines[cell]) / width)) : 0;
}
