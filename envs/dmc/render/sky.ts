/**
 * The skybox: MuJoCo's builtin "gradient" skybox texture (dm_control's
 * common/skybox.xml: rgb1 above, rgb2 below, white random marks) drawn for every
 * ray that leaves the scene.
 *
 * The gradient depends only on the elevation of the view direction, so the
 * model's cube texture is reduced at load time to a table of blend weights over
 * the direction's z component, plus the colours and the fraction of marked
 * texels. Recolouring (DMControl-GB's colour modes) then only swaps the colours.
 * The marks are redrawn procedurally: each cell of a cube grid about one output
 * pixel wide averages the marks of the texels it covers, as a mip-mapped texture
 * does, with a fixed hash (so frames are deterministic).
 */
import type { MjModel } from 'mujoco-js';

export type Rgb = [number, number, number];

export interface Sky {
  rgb1: Rgb;
  rgb2: Rgb;
  markRgb: Rgb;
  /** Fraction of texels that carry a mark (MJCF `random`). */
  markProbability: number;
  /** Texels along a cube face edge. */
  faceWidth: number;
  /** Weight of rgb1 at z = -1 + 2 i / (WEIGHT_BINS - 1) for a unit direction (x, y, z). */
  weights: Float64Array;
}

export const WEIGHT_BINS = 129;
const TEXTURE_SKYBOX = 2;
// Cube faces in OpenGL order (+X, -X, +Y, -Y, +Z, -Z); MuJoCo turns +Y to the world's up.
const FACE_UP = 2;
const FACE_DOWN = 3;

/** Direction (world frame, not normalised) of texel (a, b) in [-1, 1]^2 of a cube face. */
function faceDirection(face: number, a: number, b: number, out: Float64Array): void {
  // OpenGL cube-map directions, then world = (x_gl, -z_gl, y_gl).
  let x = 0;
  let y = 0;
  let z = 0;
  switch (face) {
    case 0: x = 1; y = -b; z = -a; break;
    case 1: x = -1; y = -b; z = a; break;
    case 2: x = a; y = 1; z = b; break;
    case 3: x = a; y = -1; z = -b; break;
    case 4: x = a; y = -b; z = 1; break;
    default: x = -a; y = -b; z = -1; break;
  }
  out[0] = x;
  out[1] = -z;
  out[2] = y;
}

function medianPatch(data: Uint8Array, base: number, width: number, face: number): Rgb {
  const result: Rgb = [0, 0, 0];
  const centre = width >> 1;
  for (let channel = 0; channel < 3; channel++) {
    const values: number[] = [];
    for (let r = centre - 2; r <= centre + 2; r++) {
      for (let c = centre - 2; c <= centre + 2; c++) values.push(data[base + ((face * width + r) * width + c) * 3 + channel]);
    }
    values.sort((p, q) => p - q);
    result[channel] = values[values.length >> 1] / 255;
  }
  return result;
}

/** A gradient profile for skies that a model does not define (measured from MuJoCo's builtin gradient). */
export function defaultWeights(): Float64Array {
  const weights = new Float64Array(WEIGHT_BINS);
  for (let i = 0; i < WEIGHT_BINS; i++) {
    const z = -1 + (2 * i) / (WEIGHT_BINS - 1);
    weights[i] = 0.5 + 0.45 * z + 0.05 * z * Math.abs(z) * Math.abs(z);
  }
  return weights;
}

/** Reads the model's skybox texture, or null when it has none (the background is then black). */
export function readSky(model: MjModel): Sky | null {
  const types = model.tex_type as Int32Array;
  let tex = -1;
  for (let i = 0; i < model.ntex; i++) if (types[i] === TEXTURE_SKYBOX) tex = i;
  if (tex < 0) return null;
  const width = (model.tex_width as Int32Array)[tex];
  const height = (model.tex_height as Int32Array)[tex];
  const channels = (model.tex_nchannel as Int32Array)[tex];
  const base = (model.tex_adr as Int32Array)[tex];
  const data = model.tex_data as Uint8Array;
  if (channels !== 3 || height !== 6 * width) {
    throw new Error(`renderer: skybox texture ${tex} has ${channels} channels and ${width}x${height} texels; expected 3 channels and six square faces stacked (width x 6*width)`);
  }
  const rgb1 = medianPatch(data, base, width, FACE_UP);
  const rgb2 = medianPatch(data, base, width, FACE_DOWN);
  const difference = [rgb1[0] - rgb2[0], rgb1[1] - rgb2[1], rgb1[2] - rgb2[2]];
  const norm2 = difference[0] ** 2 + difference[1] ** 2 + difference[2] ** 2;
  const sums = new Float64Array(WEIGHT_BINS);
  const counts = new Float64Array(WEIGHT_BINS);
  const markSum = [0, 0, 0];
  let marks = 0;
  let samples = 0;
  const direction = new Float64Array(3);
  const stride = Math.max(1, Math.floor(width / 200));
  for (let face = 0; face < 6; face++) {
    for (let r = 0; r < width; r += stride) {
      for (let c = 0; c < width; c += stride) {
        const i = base + ((face * width + r) * width + c) * 3;
        const red = data[i] / 255;
        const green = data[i + 1] / 255;
        const blue = data[i + 2] / 255;
        faceDirection(face, (2 * c + 1) / width - 1, (2 * r + 1) / width - 1, direction);
        const z = direction[2] / Math.hypot(direction[0], direction[1], direction[2]);
        const weight = norm2 > 1e-6 ? ((red - rgb2[0]) * difference[0] + (green - rgb2[1]) * difference[1] + (blue - rgb2[2]) * difference[2]) / norm2 : 0.5;
        const error = Math.abs(red - (rgb2[0] + weight * difference[0])) + Math.abs(green - (rgb2[1] + weight * difference[1])) + Math.abs(blue - (rgb2[2] + weight * difference[2]));
        samples++;
        // A texel off the rgb1-rgb2 line (or beyond its ends) is a mark.
        if (error > 0.06 || weight > 1.05 || weight < -0.05) {
          marks++;
          markSum[0] += red;
          markSum[1] += green;
          markSum[2] += blue;
          continue;
        }
        const bin = Math.round(((z + 1) / 2) * (WEIGHT_BINS - 1));
        sums[bin] += weight;
        counts[bin]++;
      }
    }
  }
  const fallback = defaultWeights();
  const weights = new Float64Array(WEIGHT_BINS);
  for (let i = 0; i < WEIGHT_BINS; i++) weights[i] = counts[i] > 0 ? sums[i] / counts[i] : fallback[i];
  return {
    rgb1,
    rgb2,
    markRgb: marks > 0 ? [markSum[0] / marks, markSum[1] / marks, markSum[2] / marks] : [1, 1, 1],
    markProbability: marks / samples,
    faceWidth: width,
    weights,
  };
}

/** A 32-bit integer hash (lowbias32), for the deterministic marks. */
function hash(value: number): number {
  let x = value >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * Samples the sky along the unit direction direction[at..at+2]. `cellsPerFace` is
 * the resolution of the mark grid (about one output pixel per cell). Writes RGB
 * in [0, 1] to out[0..2]. (Numbers pass in arrays: see raycaster.ts on boxing.)
 */
export function skyColor(sky: Sky, direction: Float64Array, at: number, cellsPerFace: number, out: Float64Array): void {
  const x = direction[at];
  const y = direction[at + 1];
  const z = direction[at + 2];
  const position = ((z + 1) / 2) * (WEIGHT_BINS - 1);
  let bin = Math.floor(position);
  if (bin >= WEIGHT_BINS - 1) bin = WEIGHT_BINS - 2;
  if (bin < 0) bin = 0;
  const fraction = position - bin;
  const weight = sky.weights[bin] * (1 - fraction) + sky.weights[bin + 1] * fraction;
  let red = sky.rgb2[0] + weight * (sky.rgb1[0] - sky.rgb2[0]);
  let green = sky.rgb2[1] + weight * (sky.rgb1[1] - sky.rgb2[1]);
  let blue = sky.rgb2[2] + weight * (sky.rgb1[2] - sky.rgb2[2]);
  if (sky.markProbability > 0) {
    const ax = Math.abs(x);
    const ay = Math.abs(y);
    const az = Math.abs(z);
    let face: number;
    let u: number;
    let v: number;
    if (ax >= ay && ax >= az) {
      face = x > 0 ? 0 : 1;
      u = y / ax;
      v = z / ax;
    } else if (ay >= az) {
      face = y > 0 ? 2 : 3;
      u = x / ay;
      v = z / ay;
    } else {
      face = z > 0 ? 4 : 5;
      u = x / az;
      v = y / az;
    }
    const column = Math.min(cellsPerFace - 1, Math.floor(((u + 1) / 2) * cellsPerFace));
    const row = Math.min(cellsPerFace - 1, Math.floor(((v + 1) / 2) * cellsPerFace));
    const texelsPerCell = Math.max(1, (sky.faceWidth / cellsPerFace) ** 2);
    const uniform = hash((face * 4099 + row) * 4111 + column + 0x9e3779b9) / 4294967296;
    // Number of marks among the cell's texels: Poisson with mean p * texels (inverse CDF).
    const mean = sky.markProbability * texelsPerCell;
    let probability = Math.exp(-mean);
    let cumulative = probability;
    let count = 0;
    while (uniform > cumulative && count < texelsPerCell) {
      count++;
      probability *= mean / count;
      cumulative += probability;
    }
    if (count > 0) {
      const share = count / texelsPerCell;
      red += share * (sky.markRgb[0] - red);
      green += share * (sky.markRgb[1] - green);
      blue += share * (sky.markRgb[2] - blue);
    }
  }
  out[0] = red;
  out[1] = green;
  out[2] = blue;
}
