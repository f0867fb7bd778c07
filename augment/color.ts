/**
 * Colour augmentations from RAD (Laskin et al. 2020) over uint8 batches
 * [N, H, W, 3k]: grayscale, colour jitter and random convolution. Each computes
 * in float on [0, 1] and writes back rounded and clamped to 0..255, so pixels stay
 * uint8 through the pipeline. A sample's draws (mask, factors, kernel) serve all
 * of its stacked frames.
 */
import type { NdArray } from '../common/ndarray.ts';
import type { Random } from '../common/random.ts';
import { checkNumber, checkPixels, checkProbability, toByte, withDefaults } from './check.ts';
import type { ApplyOptions } from './geometric.ts';

/** ITU-R 601 luma weights, as RAD's grayscale (0.2989, 0.587, 0.114). */
const LUMA = [0.2989, 0.587, 0.114] as const;

export interface GrayscaleParams {
  /** Probability of turning a sample gray (RAD: 0.3). */
  p: number;
}

export function grayscaleParams(given?: Partial<GrayscaleParams>): GrayscaleParams {
  const params = withDefaults('grayscale', { p: 0.3 }, given);
  checkProbability('grayscale', 'p', params.p);
  return params;
}

/** RAD grayscale: with probability p every frame of a sample becomes its luma, copied to R, G and B. */
export function grayscale(batch: NdArray<'uint8'>, rng: Random, params?: Partial<GrayscaleParams>, options: ApplyOptions = {}): NdArray<'uint8'> {
  const { count, height, width, channels } = checkPixels('grayscale', batch);
  const { p } = grayscaleParams(params);
  const data = batch.data.slice();
  if (options.eval) return { dtype: 'uint8', shape: [...batch.shape], data };
  const sampleBytes = height * width * channels;
  for (let n = 0; n < count; n++) {
    if (!(rng.uniform() < p)) continue;
    const end = (n + 1) * sampleBytes;
    for (let i = n * sampleBytes; i < end; i += 3) {
      const gray = toByte(LUMA[0] * data[i] + LUMA[1] * data[i + 1] + LUMA[2] * data[i + 2]);
      data[i] = gray;
      data[i + 1] = gray;
      data[i + 2] = gray;
    }
  }
  return { dtype: 'uint8', shape: [...batch.shape], data };
}

export interface ColorJitterParams {
  /** Brightness factor uniform in [max(0, 1 - b), 1 + b] (RAD: 0.4). */
  brightness: number;
  /** Contrast factor uniform in [max(0, 1 - c), 1 + c] (RAD: 0.4). */
  contrast: number;
  /** Saturation factor uniform in [max(0, 1 - s), 1 + s] (RAD: 0.4). */
  saturation: number;
  /** Hue shift uniform in [-h, h] turns of the colour wheel, h <= 0.5 (RAD: 0.5). */
  hue: number;
  /** Probability of jittering a sample (RAD: 1). */
  p: number;
}

const clamp01 = (value: number): number => (value < 0 ? 0 : value > 1 ? 1 : value);

/** Rotates the hue of one RGB pixel (values in [0, 1]) by `shift` turns, through HSV. */
function shiftHue(rgb: Float32Array, i: number, shift: number): void {
  const red = rgb[i];
  const green = rgb[i + 1];
  const blue = rgb[i + 2];
  const max = Math.max(red, green, blue);
  const min = Math.min(red, green, blue);
  const chroma = max - min;
  if (chroma === 0) return; // a gray pixel has no hue
  let hue: number;
  if (max === red) hue = ((green - blue) / chroma) % 6;
  else if (max === green) hue = (blue - red) / chroma + 2;
  else hue = (red - green) / chroma + 4;
  hue = hue / 6 + shift;
  hue -= Math.floor(hue);
  // Back to RGB with the same value (max) and chroma.
  const sector = hue * 6;
  const x = chroma * (1 - Math.abs((sector % 2) - 1));
  let r = 0;
  let g = 0;
  let b = 0;
  if (sector < 1) [r, g, b] = [chroma, x, 0];
  else if (sector < 2) [r, g, b] = [x, chroma, 0];
  else if (sector < 3) [r, g, b] = [0, chroma, x];
  else if (sector < 4) [r, g, b] = [0, x, chroma];
  else if (sector < 5) [r, g, b] = [x, 0, chroma];
  else [r, g, b] = [chroma, 0, x];
  rgb[i] = r + min;
  rgb[i + 1] = g + min;
  rgb[i + 2] = b + min;
}

/** One jitter operation on one RGB frame of `pixels` values in [0, 1]. */
function jitterFrame(frame: Float32Array, operation: number, factor: number): void {
  const length = frame.length;
  if (operation === 0) {
    for (let i = 0; i < length; i++) frame[i] = clamp01(frame[i] * factor);
  } else if (operation === 1) {
    // Contrast: blend with the frame's mean luma (torchvision's adjust_contrast).
    let sum = 0;
    for (let i = 0; i < length; i += 3) sum += LUMA[0] * frame[i] + LUMA[1] * frame[i + 1] + LUMA[2] * frame[i + 2];
    const mean = sum / (length / 3);
    for (let i = 0; i < length; i++) frame[i] = clamp01(mean + factor * (frame[i] - mean));
  } else if (operation === 2) {
    // Saturation: blend each pixel with its own luma (torchvision's adjust_saturation).
    for (let i = 0; i < length; i += 3) {
      const gray = LUMA[0] * frame[i] + LUMA[1] * frame[i + 1] + LUMA[2] * frame[i + 2];
      frame[i] = clamp01(gray + factor * (frame[i] - gray));
      frame[i + 1] = clamp01(gray + factor * (frame[i + 1] - gray));
      frame[i + 2] = clamp01(gray + factor * (frame[i + 2] - gray));
    }
  } else {
    for (let i = 0; i < length; i += 3) shiftHue(frame, i, factor);
  }
}

export function colorJitterParams(given?: Partial<ColorJitterParams>): ColorJitterParams {
  const params = withDefaults('color_jitter', { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.5, p: 1 }, given);
  checkNumber('color_jitter', 'brightness', params.brightness, 0, 1e6);
  checkNumber('color_jitter', 'contrast', params.contrast, 0, 1e6);
  checkNumber('color_jitter', 'saturation', params.saturation, 0, 1e6);
  checkNumber('color_jitter', 'hue', params.hue, 0, 0.5);
  checkProbability('color_jitter', 'p', params.p);
  return params;
}

/**
 * RAD colour jitter: brightness, contrast, saturation and hue factors drawn per
 * sample, applied in a random order per sample, the same factors and order for
 * all of the sample's frames (RAD's `ColorJitterLayer` intent).
 *
 * Differs from RAD's published code: its layer repeats the factors assuming a
 * batch of exactly 128 with 3 frames, so other batch sizes fail or misalign;
 * here any batch size and frame count works. Contrast uses the frame's mean luma
 * and saturation a blend with each pixel's luma (torchvision's definitions);
 * RAD's layer uses per-channel means and scales S in HSV. The random order is drawn
 * per sample (torchvision draws it per image; RAD once per batch).
 */
export function colorJitter(
  batch: NdArray<'uint8'>,
  rng: Random,
  params?: Partial<ColorJitterParams>,
  options: ApplyOptions = {},
): NdArray<'uint8'> {
  const { count, height, width, channels } = checkPixels('color_jitter', batch);
  const settings = colorJitterParams(params);
  const data = batch.data.slice();
  if (options.eval) return { dtype: 'uint8', shape: [...batch.shape], data };
  const framePixels = height * width;
  const frame = new Float32Array(framePixels * 3);
  const frames = channels / 3;
  const factorRange = (spread: number): [number, number] => [Math.max(0, 1 - spread), 1 + spread];
  const ranges = [factorRange(settings.brightness), factorRange(settings.contrast), factorRange(settings.saturation), [-settings.hue, settings.hue]];
  for (let n = 0; n < count; n++) {
    if (!(rng.uniform() < settings.p)) continue;
    const factors = ranges.map(([low, high]) => rng.uniform(low, high));
    const order = rng.shuffle([0, 1, 2, 3]);
    for (let k = 0; k < frames; k++) {
      const base = n * framePixels * channels + 3 * k;
      for (let pixel = 0, at = base; pixel < framePixels; pixel++, at += channels) {
        frame[3 * pixel] = data[at] / 255;
        frame[3 * pixel + 1] = data[at + 1] / 255;
        frame[3 * pixel + 2] = data[at + 2] / 255;
      }
      for (const operation of order) jitterFrame(frame, operation, factors[operation]);
      for (let pixel = 0, at = base; pixel < framePixels; pixel++, at += channels) {
        data[at] = toByte(frame[3 * pixel] * 255);
        data[at + 1] = toByte(frame[3 * pixel + 1] * 255);
        data[at + 2] = toByte(frame[3 * pixel + 2] * 255);
      }
    }
  }
  return { dtype: 'uint8', shape: [...batch.shape], data };
}

/** Weights per kernel: 3 outputs x 3 inputs x 3 x 3, index ((out * 3 + in) * 3 + ky) * 3 + kx. */
export const CONV_KERNEL_SIZE = 81;

/**
 * One 3x3, 3-to-3 channel kernel per sample, drawn as RAD draws it: Xavier
 * (Glorot) normal, std = sqrt(2 / (fan_in + fan_out)) = sqrt(2 / (27 + 27)), no bias.
 */
export function randomConvKernels(count: number, rng: Random): Float32Array {
  const kernels = new Float32Array(count * CONV_KERNEL_SIZE);
  return rng.fillNormal(kernels, 0, Math.sqrt(2 / (27 + 27))) as Float32Array;
}

/**
 * Convolves every frame of sample n with kernel n (zero padding 1, output the
 * input's size, as RAD's `nn.Conv2d(3, 3, 3, padding=1)`), on pixel values / 255;
 * the result is clamped to [0, 1] and scaled back to 0..255.
 */
export function convolveWithKernels(batch: NdArray<'uint8'>, kernels: Float32Array): NdArray<'uint8'> {
  const { count, height, width, channels } = checkPixels('rand_conv', batch);
  if (kernels.length !== count * CONV_KERNEL_SIZE) {
    throw new Error(`rand_conv: need ${count * CONV_KERNEL_SIZE} kernel weights for ${count} samples, got ${kernels.length}`);
  }
  const source = batch.data;
  const data = new Uint8Array(source.length);
  const paddedWidth = width + 2;
  // One frame with a zero border, channels interleaved: the inner loop needs no bounds checks.
  const padded = new Float32Array((height + 2) * paddedWidth * 3);
  const frames = channels / 3;
  for (let n = 0; n < count; n++) {
    const kernel = kernels.subarray(n * CONV_KERNEL_SIZE, (n + 1) * CONV_KERNEL_SIZE);
    for (let k = 0; k < frames; k++) {
      const base = n * height * width * channels + 3 * k;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const from = base + (y * width + x) * channels;
          const to = ((y + 1) * paddedWidth + x + 1) * 3;
          padded[to] = source[from] / 255;
          padded[to + 1] = source[from + 1] / 255;
          padded[to + 2] = source[from + 2] / 255;
        }
      }
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          let out0 = 0;
          let out1 = 0;
          let out2 = 0;
          for (let ky = 0; ky < 3; ky++) {
            let at = ((y + ky) * paddedWidth + x) * 3;
            for (let kx = 0; kx < 3; kx++, at += 3) {
              const tap = ky * 3 + kx;
              const v0 = padded[at];
              const v1 = padded[at + 1];
              const v2 = padded[at + 2];
              out0 += kernel[tap] * v0 + kernel[9 + tap] * v1 + kernel[18 + tap] * v2;
              out1 += kernel[27 + tap] * v0 + kernel[36 + tap] * v1 + kernel[45 + tap] * v2;
              out2 += kernel[54 + tap] * v0 + kernel[63 + tap] * v1 + kernel[72 + tap] * v2;
            }
          }
          const to = base + (y * width + x) * channels;
          data[to] = toByte(out0 * 255);
          data[to + 1] = toByte(out1 * 255);
          data[to + 2] = toByte(out2 * 255);
        }
      }
    }
  }
  return { dtype: 'uint8', shape: [...batch.shape], data };
}

/** Random convolution has no parameters; any given is an error. */
export function randomConvParams(given?: Record<string, never>): Record<string, never> {
  return withDefaults('rand_conv', {}, given);
}

/**
 * RAD random convolution (after Lee et al. 2020's network randomisation): a fresh
 * random 3x3 kernel per sample, shared by the sample's frames. Differs from RAD's
 * published code only in the output: RAD feeds the unbounded float result to the
 * encoder; here it is clamped to [0, 1] so it can stay uint8 (values outside are lost).
 */
export function randomConv(batch: NdArray<'uint8'>, rng: Random, params?: Record<string, never>, options: ApplyOptions = {}): NdArray<'uint8'> {
  const { count } = checkPixels('rand_conv', batch);
  randomConvParams(params);
  if (options.eval) return { dtype: 'uint8', shape: [...batch.shape], data: batch.data.slice() };
  return convolveWithKernels(batch, randomConvKernels(count, rng));
}
