import { describe, expect, it } from 'vitest';
import { zeros } from '../../common/ndarray.ts';
import { Random } from '../../common/random.ts';
import { FFT, fft2d } from '../../augment/fft.ts';
import { LowBandFilter, frequency, frequencyRadii, highPass } from '../../augment/frequency.ts';

/** The textbook O(n^2) DFT, the reference for the FFT. */
function naiveDft(re: number[], im: number[]): [number[], number[]] {
  const n = re.length;
  const outRe: number[] = [];
  const outIm: number[] = [];
  for (let k = 0; k < n; k++) {
    let sumRe = 0;
    let sumIm = 0;
    for (let j = 0; j < n; j++) {
      const angle = (-2 * Math.PI * j * k) / n;
      sumRe += re[j] * Math.cos(angle) - im[j] * Math.sin(angle);
      sumIm += re[j] * Math.sin(angle) + im[j] * Math.cos(angle);
    }
    outRe.push(sumRe);
    outIm.push(sumIm);
  }
  return [outRe, outIm];
}

/** Magnitudes of the 2-D spectrum of one real plane. */
function spectrum(plane: Float64Array, height: number, width: number): Float64Array {
  const re = Float64Array.from(plane);
  const im = new Float64Array(plane.length);
  fft2d(re, im, new FFT(width), new FFT(height));
  return re.map((value, i) => Math.hypot(value, im[i]));
}

describe('FFT', () => {
  it('matches the plain DFT at any length, and inverts', () => {
    const rng = new Random(1);
    for (const n of [1, 2, 7, 12, 84, 100]) {
      const re = Array.from({ length: n }, () => rng.normal());
      const im = Array.from({ length: n }, () => rng.normal());
      const [expectedRe, expectedIm] = naiveDft(re, im);
      const actualRe = Float64Array.from(re);
      const actualIm = Float64Array.from(im);
      const fft = new FFT(n);
      fft.transform(actualRe, actualIm);
      for (let k = 0; k < n; k++) {
        expect(actualRe[k]).toBeCloseTo(expectedRe[k], 8);
        expect(actualIm[k]).toBeCloseTo(expectedIm[k], 8);
      }
      fft.transform(actualRe, actualIm, 0, 1, true);
      for (let j = 0; j < n; j++) expect(actualRe[j]).toBeCloseTo(re[j], 10);
    }
    expect(() => new FFT(0)).toThrow(/positive integer, got 0/);
  });
});

describe('frequency (FreqAug, spatial)', () => {
  const height = 84;
  const width = 84;
  const cutoff = 0.05;
  // A mean, two low components (radius 1/84 and sqrt(5)/84 < 0.05) and one high one (radius ~0.13).
  const wave = (y: number, x: number, ky: number, kx: number) => Math.cos(2 * Math.PI * (ky * y / height + kx * x / width));
  const scene = (y: number, x: number) => 128 + 40 * wave(y, x, 1, 0) + 30 * wave(y, x, 1, 2) + 25 * wave(y, x, 6, 9);

  it('the float high-pass removes every component with 0 < radius < cutoff and keeps the rest exactly', () => {
    const rng = new Random(2);
    const plane = new Float64Array(height * width).map(() => rng.uniform(0, 255));
    const before = spectrum(plane, height, width);
    const after = spectrum(highPass(plane, height, width, cutoff), height, width);
    const radii = frequencyRadii(height, width);
    let removed = 0;
    for (let i = 0; i < radii.length; i++) {
      if (radii[i] > 0 && radii[i] < cutoff) {
        expect(after[i]).toBeLessThan(1e-6);
        removed++;
      } else {
        expect(Math.abs(after[i] - before[i])).toBeLessThan(1e-6 * before[i] + 1e-6);
      }
    }
    expect(removed).toBe(56); // integer (ky, kx) with 0 < ky^2 + kx^2 < 4.2^2: 57 lattice points less the mean
    const pruned = Float64Array.from(plane);
    new LowBandFilter(height, width, cutoff).apply(pruned);
    const reference = highPass(plane, height, width, cutoff);
    for (let i = 0; i < pruned.length; i += 37) expect(pruned[i]).toBeCloseTo(reference[i], 8);
  });

  it('removes the low components from every channel of a uint8 batch, keeping the mean and the high ones', () => {
    const batch = zeros('uint8', [2, height, width, 6]);
    for (let n = 0; n < 2; n++) {
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          for (let c = 0; c < 6; c++) batch.data[((n * height + y) * width + x) * 6 + c] = Math.round(scene(y, x));
        }
      }
    }
    const output = frequency(batch, new Random(3), { cutoff, p: 1 });
    for (const channel of [0, 4]) {
      const plane = new Float64Array(height * width);
      const original = new Float64Array(height * width);
      for (let i = 0; i < plane.length; i++) {
        plane[i] = output.data[(height * width + i) * 6 + channel];
        original[i] = batch.data[(height * width + i) * 6 + channel];
      }
      const before = spectrum(original, height, width);
      const after = spectrum(plane, height, width);
      const at = (ky: number, kx: number) => ky * width + kx;
      // Low components drop to the level of uint8 rounding noise (from ~1e5 to < 300;
      // rounding noise alone has a spectrum magnitude near 0.29 * 84 = 24 per bin).
      expect(before[at(1, 0)]).toBeGreaterThan(1e5);
      expect(after[at(1, 0)]).toBeLessThan(300);
      expect(after[at(1, 2)]).toBeLessThan(300);
      expect(after[at(height - 1, width - 2)]).toBeLessThan(300);
      // The mean and the high component stay within 1%.
      expect(Math.abs(after[0] - before[0])).toBeLessThan(0.01 * before[0]);
      expect(Math.abs(after[at(6, 9)] - before[at(6, 9)])).toBeLessThan(0.01 * before[at(6, 9)]);
    }
  });

  it('filters about a fraction p of the samples, whole samples at a time', () => {
    const batch = zeros('uint8', [400, 8, 8, 3]);
    for (let i = 0; i < batch.data.length; i++) batch.data[i] = Math.floor(i / 3) % 8 < 4 ? 60 : 200; // vertical bars
    const output = frequency(batch, new Random(4), { cutoff: 0.3, p: 0.5 });
    let filtered = 0;
    for (let n = 0; n < 400; n++) {
      const changed = output.data.subarray(n * 192, (n + 1) * 192).some((value, i) => value !== batch.data[n * 192 + i]);
      if (changed) filtered++;
    }
    expect(filtered).toBeGreaterThan(160);
    expect(filtered).toBeLessThan(240);
    expect(frequency(batch, new Random(4), { cutoff: 0.3, p: 0 }).data).toEqual(batch.data);
    expect(() => frequency(batch, new Random(4), { cutoff: 0 })).toThrow(/cutoff=0 is not allowed.*\(0, 0.7071\]/);
    expect(() => frequency(batch, new Random(4), { p: -0.1 })).toThrow(/p=-0.1.*\[0, 1\]/);
  });
});
