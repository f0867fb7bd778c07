/**
 * Frequency augmentation, spatial, after FreqAug (Kim et al. 2022, "Frequency
 * Selective Augmentation for Video Representation Learning"): with probability p
 * a sample's frames lose their low spatial frequencies (a high-pass filter with
 * radial cutoff), pushing the encoder toward edges and detail rather than the
 * flat colour regions.
 *
 * Frequencies are in cycles per pixel: component (ky, kx) of an H x W frame has
 * radius sqrt((ky'/H)^2 + (kx'/W)^2) with ky' = min(ky, H - ky) (likewise kx'), so
 * the highest is sqrt(0.5) at the corner (0.5, 0.5). The filter removes every
 * component with 0 < radius < cutoff.
 *
 * Differs from FreqAug in one place: FreqAug filters normalised video, where the
 * mean (radius 0) can go too. A uint8 frame cannot hold negative values, so the
 * mean is kept, and the result is rounded and clamped to 0..255.
 */
import type { NdArray } from '../common/ndarray.ts';
import type { Random } from '../common/random.ts';
import { checkNumber, checkPixels, checkProbability, toByte, withDefaults } from './check.ts';
import { FFT, fft2d } from './fft.ts';
import type { ApplyOptions } from './geometric.ts';
import { InputError } from '../common/errors.ts';

export interface FrequencyParams {
  /** Radial cutoff in cycles per pixel, in (0, sqrt(0.5)]; components below it (except the mean) are removed. */
  cutoff: number;
  /** Probability of filtering a sample. */
  p: number;
}

export const FREQUENCY_DEFAULTS: FrequencyParams = { cutoff: 0.05, p: 0.5 };

export function frequencyParams(given?: Partial<FrequencyParams>): FrequencyParams {
  const params = withDefaults('frequency', FREQUENCY_DEFAULTS, given);
  if (!(typeof params.cutoff === 'number' && params.cutoff > 0)) {
    throw new InputError(`frequency: parameter cutoff=${JSON.stringify(params.cutoff)} is not allowed; expected a number in (0, ${Math.SQRT1_2.toFixed(4)}] cycles per pixel`);
  }
  checkNumber('frequency', 'cutoff', params.cutoff, 0, Math.SQRT1_2);
  checkProbability('frequency', 'p', params.p);
  return params;
}

/** The radius of each frequency component, row-major over [H, W]. */
export function frequencyRadii(height: number, width: number): Float64Array {
  const radii = new Float64Array(height * width);
  for (let ky = 0; ky < height; ky++) {
    const fy = Math.min(ky, height - ky) / height;
    for (let kx = 0; kx < width; kx++) {
      const fx = Math.min(kx, width - kx) / width;
      radii[ky * width + kx] = Math.sqrt(fy * fy + fx * fx);
    }
  }
  return radii;
}

/** Indices of the components the filter removes: 0 < radius < cutoff. */
function removedComponents(height: number, width: number, cutoff: number): Int32Array {
  const radii = frequencyRadii(height, width);
  const removed: number[] = [];
  for (let i = 1; i < radii.length; i++) if (radii[i] < cutoff) removed.push(i);
  return Int32Array.from(removed);
}

/**
 * Removes the components below `cutoff` (keeping the mean) from two real planes at
 * once: packed as re + i im, a filter that is real and symmetric (M(k) = M(-k))
 * filters each part separately, so one complex transform serves two planes.
 */
function highPassPair(re: Float64Array, im: Float64Array, rows: FFT, columns: FFT, removed: Int32Array): void {
  fft2d(re, im, rows, columns);
  for (let i = 0; i < removed.length; i++) {
    re[removed[i]] = 0;
    im[removed[i]] = 0;
  }
  fft2d(re, im, rows, columns, true);
}

/**
 * The high-passed copy of one float plane [H, W] (mean kept), through the full
 * FFT: the reference the batch path is tested against, and a tool for plots.
 */
export function highPass(plane: Float64Array, height: number, width: number, cutoff: number): Float64Array {
  checkNumber('frequency', 'cutoff', cutoff, 0, Math.SQRT1_2);
  const re = Float64Array.from(plane);
  const im = new Float64Array(re.length);
  highPassPair(re, im, new FFT(width), new FFT(height), removedComponents(height, width, cutoff));
  return re;
}

/**
 * The same filter, computing only the band it removes. The removed components
 * lie in |ky| / H < cutoff and |kx| / W < cutoff, a small block of the spectrum at
 * RL cutoffs, so a DFT evaluated on that block alone (rows, then columns), masked
 * to the disc and transformed back, gives the low band to subtract. It costs
 * about 2 H W |band x| multiply-adds instead of a full transform's H W (sum of
 * factors) twice, about 10x less at 84x84 and cutoff 0.05; it grows with the cutoff.
 * The plane is real, so X[-ky, -kx] = conj X[ky, kx]: only kx >= 0 is computed,
 * and the kx > 0 terms count twice in the reconstruction.
 */
export class LowBandFilter {
  private readonly height: number;
  private readonly width: number;
  /** Frequency indices in each axis's band: kx in [0, W/2] only, ky in [0, H). */
  private readonly bandX: number[];
  private readonly bandY: number[];
  /** cos/sin(2 pi k j / n) per band index (row-major: band index, then position). */
  private readonly cosX: Float64Array;
  private readonly sinX: Float64Array;
  private readonly cosY: Float64Array;
  private readonly sinY: Float64Array;
  /** Whether (bandY[i], bandX[j]) is removed, at i * |bandX| + j. */
  private readonly removed: Uint8Array;
  /** 1 for kx = 0 (and the Nyquist column), 2 for the kx > 0 that stand for their mirror too. */
  private readonly weightX: Float64Array;
  private readonly rowsRe: Float64Array;
  private readonly rowsIm: Float64Array;
  private readonly bandRe: Float64Array;
  private readonly bandIm: Float64Array;
  readonly isEmpty: boolean;

  constructor(height: number, width: number, cutoff: number) {
    this.height = height;
    this.width = width;
    const band = (n: number) => Array.from({ length: n }, (_, k) => k).filter((k) => Math.min(k, n - k) / n < cutoff);
    this.bandX = band(width).filter((k) => 2 * k <= width);
    this.bandY = band(height);
    this.weightX = Float64Array.from(this.bandX, (k) => (k === 0 || 2 * k === width ? 1 : 2));
    const table = (indices: number[], n: number, fn: (angle: number) => number) => {
      const values = new Float64Array(indices.length * n);
      indices.forEach((k, i) => {
        for (let j = 0; j < n; j++) values[i * n + j] = fn((2 * Math.PI * ((k * j) % n)) / n);
      });
      return values;
    };
    this.cosX = table(this.bandX, width, Math.cos);
    this.sinX = table(this.bandX, width, Math.sin);
    this.cosY = table(this.bandY, height, Math.cos);
    this.sinY = table(this.bandY, height, Math.sin);
    const radii = frequencyRadii(height, width);
    this.removed = new Uint8Array(this.bandY.length * this.bandX.length);
    this.bandY.forEach((ky, i) =>
      this.bandX.forEach((kx, j) => {
        const radius = radii[ky * width + kx];
        this.removed[i * this.bandX.length + j] = radius > 0 && radius < cutoff ? 1 : 0;
      }),
    );
    this.isEmpty = !this.removed.some((flag) => flag === 1);
    this.rowsRe = new Float64Array(height * this.bandX.length);
    this.rowsIm = new Float64Array(height * this.bandX.length);
    this.bandRe = new Float64Array(this.bandY.length * this.bandX.length);
    this.bandIm = new Float64Array(this.bandY.length * this.bandX.length);
  }

  /** Subtracts the removed band from `plane` [H, W] (row-major), in place. */
  apply(plane: Float64Array): void {
    if (this.isEmpty) return;
    const { height, width, cosX, sinX, cosY, sinY, rowsRe, rowsIm, bandRe, bandIm, removed, weightX } = this;
    const nx = this.bandX.length;
    const ny = this.bandY.length;
    // Rows: A[y, kx] = sum_x plane[y, x] exp(-2 pi i kx x / W).
    for (let y = 0; y < height; y++) {
      const row = y * width;
      for (let j = 0; j < nx; j++) {
        let sumRe = 0;
        let sumIm = 0;
        const table = j * width;
        for (let x = 0; x < width; x++) {
          const value = plane[row + x];
          sumRe += value * cosX[table + x];
          sumIm -= value * sinX[table + x];
        }
        rowsRe[y * nx + j] = sumRe;
        rowsIm[y * nx + j] = sumIm;
      }
    }
    // Columns: X[ky, kx] = sum_y A[y, kx] exp(-2 pi i ky y / H), only where removed.
    for (let i = 0; i < ny; i++) {
      for (let j = 0; j < nx; j++) {
        let sumRe = 0;
        let sumIm = 0;
        if (removed[i * nx + j]) {
          for (let y = 0; y < height; y++) {
            const c = cosY[i * height + y];
            const s = sinY[i * height + y];
            const aRe = rowsRe[y * nx + j];
            const aIm = rowsIm[y * nx + j];
            sumRe += aRe * c + aIm * s;
            sumIm += aIm * c - aRe * s;
          }
        }
        bandRe[i * nx + j] = sumRe;
        bandIm[i * nx + j] = sumIm;
      }
    }
    // Back: columns, then rows (real part), divided by H W, subtracted.
    const scale = 1 / (height * width);
    for (let y = 0; y < height; y++) {
      for (let j = 0; j < nx; j++) {
        let sumRe = 0;
        let sumIm = 0;
        for (let i = 0; i < ny; i++) {
          const c = cosY[i * height + y];
          const s = sinY[i * height + y];
          sumRe += bandRe[i * nx + j] * c - bandIm[i * nx + j] * s;
          sumIm += bandRe[i * nx + j] * s + bandIm[i * nx + j] * c;
        }
        rowsRe[y * nx + j] = sumRe * scale * weightX[j];
        rowsIm[y * nx + j] = sumIm * scale * weightX[j];
      }
      const row = y * width;
      for (let x = 0; x < width; x++) {
        let low = 0;
        for (let j = 0; j < nx; j++) low += rowsRe[y * nx + j] * cosX[j * width + x] - rowsIm[y * nx + j] * sinX[j * width + x];
        plane[row + x] -= low;
      }
    }
  }
}

/** Frequency augmentation over a uint8 batch [N, H, W, 3k]; one draw per sample covers all its frames and channels. */
export function frequency(batch: NdArray<'uint8'>, rng: Random, params?: Partial<FrequencyParams>, options: ApplyOptions = {}): NdArray<'uint8'> {
  const { count, height, width, channels } = checkPixels('frequency', batch);
  const { cutoff, p } = frequencyParams(params);
  const data = batch.data.slice();
  if (options.eval) return { dtype: 'uint8', shape: [...batch.shape], data };
  const filter = new LowBandFilter(height, width, cutoff);
  const pixels = height * width;
  const plane = new Float64Array(pixels);
  for (let n = 0; n < count; n++) {
    if (!(rng.uniform() < p) || filter.isEmpty) continue;
    const base = n * pixels * channels;
    for (let c = 0; c < channels; c++) {
      for (let i = 0, at = base + c; i < pixels; i++, at += channels) plane[i] = data[at];
      filter.apply(plane);
      for (let i = 0, at = base + c; i < pixels; i++, at += channels) data[at] = toByte(plane[i]);
    }
  }
  return { dtype: 'uint8', shape: [...batch.shape], data };
}
