import { describe, expect, it } from 'vitest';
import type { NdArray } from '../../common/ndarray.ts';
import { zeros } from '../../common/ndarray.ts';
import { Random } from '../../common/random.ts';
import { colorJitter, grayscale, randomConv, randomConvKernels } from '../../augment/color.ts';
import { randomBatch, sample, twin } from './helpers.ts';

/** A batch whose stacked frames are copies of one random RGB frame per sample. */
function repeatedFrames(count: number, height: number, width: number, frames: number, seed: string): NdArray<'uint8'> {
  const single = randomBatch([count, height, width, 3], seed);
  const batch = zeros('uint8', [count, height, width, 3 * frames]);
  for (let pixel = 0; pixel < count * height * width; pixel++) {
    for (let k = 0; k < frames; k++) batch.data.set(single.data.subarray(pixel * 3, pixel * 3 + 3), pixel * 3 * frames + 3 * k);
  }
  return batch;
}

function framesEqual(batch: NdArray<'uint8'>, n: number): boolean {
  const [, height, width, channels] = batch.shape;
  const data = sample(batch, n);
  for (let pixel = 0; pixel < height * width; pixel++) {
    for (let c = 3; c < channels; c++) if (data[pixel * channels + c] !== data[pixel * channels + (c % 3)]) return false;
  }
  return true;
}

describe('grayscale (RAD)', () => {
  it('makes R, G and B equal to the luma of every frame of a chosen sample', () => {
    const input = randomBatch([2, 5, 5, 6]);
    const output = grayscale(input, new Random(1), { p: 1 });
    for (let i = 0; i < output.data.length; i += 3) {
      const luma = 0.2989 * input.data[i] + 0.587 * input.data[i + 1] + 0.114 * input.data[i + 2];
      expect(output.data[i]).toBe(Math.round(luma));
      expect(output.data[i + 1]).toBe(output.data[i]);
      expect(output.data[i + 2]).toBe(output.data[i]);
    }
  });

  it('turns about a fraction p of the samples gray, and no other', () => {
    const input = randomBatch([1000, 2, 2, 3]);
    const output = grayscale(input, new Random(2));
    let gray = 0;
    for (let n = 0; n < 1000; n++) {
      const same = sample(output, n).every((value, i) => value === sample(input, n)[i]);
      const isGray = [0, 3, 6, 9].every((i) => sample(output, n)[i] === sample(output, n)[i + 1] && sample(output, n)[i] === sample(output, n)[i + 2]);
      expect(same || isGray).toBe(true);
      if (!same) gray++;
    }
    expect(gray).toBeGreaterThan(255);
    expect(gray).toBeLessThan(345);
    expect(() => grayscale(input, new Random(2), { p: 1.5 })).toThrow(/grayscale: parameter p=1.5.*\[0, 1\]/);
  });
});

/** The reference: a direct 3x3 convolution with zero padding on pixel / 255, clamped. */
function referenceConv(batch: NdArray<'uint8'>, kernels: Float32Array): Uint8Array {
  const [count, height, width, channels] = batch.shape;
  const out = new Uint8Array(batch.data.length);
  for (let n = 0; n < count; n++) {
    for (let frame = 0; frame < channels / 3; frame++) {
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          for (let o = 0; o < 3; o++) {
            let sum = 0;
            for (let i = 0; i < 3; i++) {
              for (let dy = -1; dy <= 1; dy++) {
                for (let dx = -1; dx <= 1; dx++) {
                  const [yy, xx] = [y + dy, x + dx];
                  if (yy < 0 || yy >= height || xx < 0 || xx >= width) continue;
                  const value = batch.data[((n * height + yy) * width + xx) * channels + 3 * frame + i] / 255;
                  sum += kernels[n * 81 + ((o * 3 + i) * 3 + (dy + 1)) * 3 + (dx + 1)] * value;
                }
              }
            }
            out[((n * height + y) * width + x) * channels + 3 * frame + o] = Math.max(0, Math.min(255, Math.round(sum * 255)));
          }
        }
      }
    }
  }
  return out;
}

describe('rand_conv (RAD)', () => {
  it('equals a convolution with the kernels it draws, one kernel per sample for all its frames', () => {
    const input = randomBatch([3, 6, 7, 6]);
    const rng = new Random(3);
    const kernels = randomConvKernels(3, twin(rng));
    const output = randomConv(input, rng);
    const expected = referenceConv(input, kernels);
    let largest = 0;
    for (let i = 0; i < expected.length; i++) largest = Math.max(largest, Math.abs(output.data[i] - expected[i]));
    expect(largest).toBeLessThanOrEqual(1); // float32 against float64 rounding at a .5 boundary
    expect(output.data.some((value, i) => value !== input.data[i])).toBe(true);
  });

  it('draws Xavier-normal weights (std sqrt(2 / 54)) and a new kernel per sample', () => {
    const kernels = randomConvKernels(400, new Random(4));
    const mean = kernels.reduce((sum, value) => sum + value, 0) / kernels.length;
    const std = Math.sqrt(kernels.reduce((sum, value) => sum + (value - mean) ** 2, 0) / kernels.length);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(std).toBeCloseTo(Math.sqrt(2 / 54), 2);
    const input = repeatedFrames(2, 5, 5, 3, 'conv');
    input.data.copyWithin(75 * 3, 0, 75 * 3); // two identical samples
    const output = randomConv(input, new Random(5));
    expect(framesEqual(output, 0) && framesEqual(output, 1)).toBe(true);
    expect(sample(output, 0).some((value, i) => value !== sample(output, 1)[i])).toBe(true);
    expect(() => randomConv(input, new Random(5), { size: 3 } as never)).toThrow(/rand_conv: unknown parameter "size"/);
  });
});

describe('color_jitter (RAD)', () => {
  it('gives all frames of a sample the same factors', () => {
    const input = repeatedFrames(6, 6, 6, 3, 'jitter');
    const output = colorJitter(input, new Random(6));
    for (let n = 0; n < 6; n++) expect(framesEqual(output, n)).toBe(true);
    expect(output.data.some((value, i) => value !== input.data[i])).toBe(true);
  });

  it('brightness alone scales every pixel of a sample by one factor in [1 - b, 1 + b]', () => {
    const input = randomBatch([20, 4, 4, 3]);
    for (let i = 0; i < input.data.length; i++) input.data[i] = 60 + (input.data[i] % 120);
    const output = colorJitter(input, new Random(7), { brightness: 0.4, contrast: 0, saturation: 0, hue: 0 });
    const factors: number[] = [];
    for (let n = 0; n < 20; n++) {
      const ratios = [...sample(output, n)].map((value, i) => value / sample(input, n)[i]);
      const factor = ratios.reduce((sum, value) => sum + value, 0) / ratios.length;
      for (const ratio of ratios) expect(Math.abs(ratio - factor)).toBeLessThan(0.02);
      expect(factor).toBeGreaterThan(0.59);
      expect(factor).toBeLessThan(1.41);
      factors.push(factor);
    }
    expect(Math.max(...factors) - Math.min(...factors)).toBeGreaterThan(0.3);
  });

  it('hue alone keeps each pixel brightest and darkest channel values (HSV value and chroma)', () => {
    const input = randomBatch([10, 5, 5, 3]);
    const output = colorJitter(input, new Random(8), { brightness: 0, contrast: 0, saturation: 0, hue: 0.5 });
    for (let i = 0; i < input.data.length; i += 3) {
      const before = [...input.data.subarray(i, i + 3)];
      const after = [...output.data.subarray(i, i + 3)];
      expect(Math.abs(Math.max(...after) - Math.max(...before))).toBeLessThanOrEqual(1);
      expect(Math.abs(Math.min(...after) - Math.min(...before))).toBeLessThanOrEqual(1);
    }
    expect(output.data.some((value, i) => value !== input.data[i])).toBe(true);
    expect(() => colorJitter(input, new Random(8), { hue: 0.7 })).toThrow(/hue=0.7.*\[0, 0.5\]/);
    expect(colorJitter(input, new Random(8), {}, { eval: true }).data).toEqual(input.data);
  });
});
