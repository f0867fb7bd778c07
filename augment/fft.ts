/**
 * A complex fast Fourier transform for any length (mixed radix, Cooley-Tukey
 * decimation in time): n = p1 p2 ... pk, costing n (p1 + ... + pk) complex
 * multiply-adds. Image sides such as 84 = 2*2*3*7 or 100 = 2*2*5*5 need no padding,
 * so the spectrum is the image's own, with no padding edge. A large prime side
 * degrades to the plain O(n^2) DFT, still exact.
 *
 * Convention (numpy's): X[k] = sum_j x[j] exp(-2 pi i j k / n); the inverse divides by n.
 */

function factorize(n: number): number[] {
  const factors: number[] = [];
  let rest = n;
  for (let p = 2; p * p <= rest; p++) {
    while (rest % p === 0) {
      factors.push(p);
      rest /= p;
    }
  }
  if (rest > 1) factors.push(rest);
  return factors;
}

/** A reusable transform of one length: twiddle table and scratch allocated once. */
export class FFT {
  readonly size: number;
  private readonly factors: number[];
  private readonly cosTable: Float64Array;
  private readonly sinTable: Float64Array;
  private readonly outRe: Float64Array;
  private readonly outIm: Float64Array;
  private readonly sumRe: Float64Array;
  private readonly sumIm: Float64Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`FFT: size must be a positive integer, got ${size}`);
    this.size = size;
    this.factors = factorize(size);
    this.cosTable = new Float64Array(size);
    this.sinTable = new Float64Array(size);
    for (let j = 0; j < size; j++) {
      this.cosTable[j] = Math.cos((2 * Math.PI * j) / size);
      this.sinTable[j] = -Math.sin((2 * Math.PI * j) / size);
    }
    this.outRe = new Float64Array(size);
    this.outIm = new Float64Array(size);
    const largest = Math.max(1, ...this.factors);
    this.sumRe = new Float64Array(largest);
    this.sumIm = new Float64Array(largest);
  }

  /**
   * Transforms `size` complex values in place, read and written at
   * re[offset + j * stride], im[offset + j * stride] (a stride walks an image column).
   * `inverse` gives the inverse transform, divided by n.
   */
  transform(re: Float64Array, im: Float64Array, offset = 0, stride = 1, inverse = false): void {
    const n = this.size;
    // The inverse through the forward transform: ifft(x) = conj(fft(conj(x))) / n.
    if (inverse) for (let j = 0; j < n; j++) im[offset + j * stride] = -im[offset + j * stride];
    this.recurse(re, im, offset, stride, n, 0, 0);
    const scale = inverse ? 1 / n : 1;
    const sign = inverse ? -1 : 1;
    for (let j = 0; j < n; j++) {
      re[offset + j * stride] = this.outRe[j] * scale;
      im[offset + j * stride] = sign * this.outIm[j] * scale;
    }
  }

  /** DFT of the m values at in[offset + j * stride] into out[outOffset .. outOffset + m). */
  private recurse(re: Float64Array, im: Float64Array, offset: number, stride: number, m: number, level: number, outOffset: number): void {
    if (m === 1) {
      this.outRe[outOffset] = re[offset];
      this.outIm[outOffset] = im[offset];
      return;
    }
    const p = this.factors[level];
    const part = m / p;
    // Sub-transforms of the p decimated sequences x[q], x[q + p], ... land in consecutive blocks.
    for (let q = 0; q < p; q++) this.recurse(re, im, offset + q * stride, stride * p, part, level + 1, outOffset + q * part);
    const outRe = this.outRe;
    const outIm = this.outIm;
    const sumRe = this.sumRe;
    const sumIm = this.sumIm;
    const step = this.size / m; // table index of the twiddle exp(-2 pi i / m)
    for (let k = 0; k < part; k++) {
      // X[k + s part] = sum_q (W_m^{q k} Y_q[k]) W_p^{q s}; W_m^{q(k + s part)} in one table lookup.
      for (let s = 0; s < p; s++) {
        sumRe[s] = 0;
        sumIm[s] = 0;
      }
      for (let q = 0; q < p; q++) {
        const yRe = outRe[outOffset + q * part + k];
        const yIm = outIm[outOffset + q * part + k];
        for (let s = 0; s < p; s++) {
          const index = ((q * (k + s * part)) % m) * step;
          const wRe = this.cosTable[index];
          const wIm = this.sinTable[index];
          sumRe[s] += yRe * wRe - yIm * wIm;
          sumIm[s] += yRe * wIm + yIm * wRe;
        }
      }
      for (let s = 0; s < p; s++) {
        outRe[outOffset + k + s * part] = sumRe[s];
        outIm[outOffset + k + s * part] = sumIm[s];
      }
    }
  }
}

/**
 * 2-D transform of a height x width complex plane stored row-major in (re, im):
 * rows, then columns. One FFT object per side is reused.
 */
export function fft2d(re: Float64Array, im: Float64Array, rows: FFT, columns: FFT, inverse = false): void {
  const height = columns.size;
  const width = rows.size;
  if (re.length !== height * width || im.length !== height * width) {
    throw new Error(`fft2d: planes must hold ${height}x${width} values, got ${re.length} and ${im.length}`);
  }
  for (let y = 0; y < height; y++) rows.transform(re, im, y * width, 1, inverse);
  for (let x = 0; x < width; x++) columns.transform(re, im, x, width, inverse);
}
