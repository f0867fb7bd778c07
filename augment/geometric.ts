/**
 * Geometric augmentations over uint8 batches [N, H, W, 3k]: RAD's crop,
 * translate, flip and rotate (Laskin et al. 2020) and DrQ's shift (Kostrikov
 * et al. 2020; Yarats et al. 2021). Each sample gets one random draw that all
 * its stacked frames share, so a stack stays one coherent view.
 *
 * Crop, translate and shift move whole rows with `subarray`/`set` (memcpy), never
 * one pixel at a time: at batch 512 they must cost milliseconds, not a fraction
 * of the update. Pixels are copied, never recomputed, so values are unchanged.
 */
import type { NdArray } from '../common/ndarray.ts';
import type { Random } from '../common/random.ts';
import { checkNumber, checkPixels, checkProbability, outputPixels, withDefaults } from './check.ts';
import { InputError } from '../common/errors.ts';

/** Options every augmentation takes: in evaluation, RAD centres crop/translate and skips the rest. */
export interface ApplyOptions {
  eval?: boolean;
  /** Where to write the result (crop, translate, shift); by default a new array. */
  out?: NdArray<'uint8'>;
}

export interface CropParams {
  /** Output side (RAD: render 100, crop 84). */
  size: number;
}

export function cropParams(given?: Partial<CropParams>): CropParams {
  const params = withDefaults('crop', { size: 84 }, given);
  checkNumber('crop', 'size', params.size, 1, 4096, true);
  return params;
}

/**
 * RAD crop: a random size x size window of each sample (offset uniform over every
 * window that fits); in evaluation the centre window, as RAD's `center_crop_image`.
 */
export function crop(batch: NdArray<'uint8'>, rng: Random, params?: Partial<CropParams>, options: ApplyOptions = {}): NdArray<'uint8'> {
  const { count, height, width, channels } = checkPixels('crop', batch);
  const { size } = cropParams(params);
  if (size > Math.min(height, width)) {
    throw new InputError(`crop: parameter size=${size} is larger than the ${height}x${width} input; expected at most ${Math.min(height, width)}`);
  }
  const out = outputPixels('crop', [count, size, size, channels], batch, options.out);
  const rowBytes = size * channels;
  const source = batch.data;
  const target = out.data;
  let write = 0;
  for (let n = 0; n < count; n++) {
    const top = options.eval ? (height - size) >> 1 : rng.int(height - size + 1);
    const left = options.eval ? (width - size) >> 1 : rng.int(width - size + 1);
    let read = ((n * height + top) * width + left) * channels;
    for (let row = 0; row < size; row++) {
      target.set(source.subarray(read, read + rowBytes), write);
      read += width * channels;
      write += rowBytes;
    }
  }
  return out;
}

export interface TranslateParams {
  /** Canvas side (RAD: the 100 image in a 108 canvas). */
  size: number;
}

export function translateParams(given?: Partial<TranslateParams>): TranslateParams {
  const params = withDefaults('translate', { size: 108 }, given);
  checkNumber('translate', 'size', params.size, 1, 4096, true);
  return params;
}

/**
 * RAD translate: the whole image placed at a random offset in a black
 * size x size canvas (every input pixel is kept); in evaluation it is centred,
 * as RAD's `center_translate`.
 */
export function translate(
  batch: NdArray<'uint8'>,
  rng: Random,
  params?: Partial<TranslateParams>,
  options: ApplyOptions = {},
): NdArray<'uint8'> {
  const { count, height, width, channels } = checkPixels('translate', batch);
  const { size } = translateParams(params);
  if (size < Math.max(height, width)) {
    throw new InputError(`translate: parameter size=${size} is smaller than the ${height}x${width} input; expected at least ${Math.max(height, width)}`);
  }
  const out = outputPixels('translate', [count, size, size, channels], batch, options.out);
  const rowBytes = width * channels;
  const canvasRowBytes = size * channels;
  const sampleBytes = height * rowBytes;
  const source = batch.data;
  const target = out.data;
  for (let n = 0; n < count; n++) {
    const top = options.eval ? (size - height) >> 1 : rng.int(size - height + 1);
    const left = options.eval ? (size - width) >> 1 : rng.int(size - width + 1);
    const canvas = n * size * canvasRowBytes;
    const canvasEnd = canvas + size * canvasRowBytes;
    const write = canvas + top * canvasRowBytes + left * channels;
    // One copy of the whole sample to where its first row belongs, then each row
    // moved (last first) down to its place in the wider canvas with copyWithin,
    // which needs no subarray view per row (batch 512: 12.4 ms median, against 15.4 ms
    // for a set of a subarray per row).
    // Every byte between rows is then blackened, old pixels and moved-away ones alike.
    target.set(source.subarray(n * sampleBytes, (n + 1) * sampleBytes), write);
    for (let row = height - 1; row > 0; row--) {
      const moved = write + row * canvasRowBytes;
      target.copyWithin(moved, write + row * rowBytes, write + (row + 1) * rowBytes);
      target.fill(0, moved - canvasRowBytes + rowBytes, moved);
    }
    target.fill(0, canvas, write);
    target.fill(0, write + (height - 1) * canvasRowBytes + rowBytes, canvasEnd);
  }
  return out;
}

export interface ShiftParams {
  /** Replicate padding on each side (DrQ: 4). */
  pad: number;
}

export function shiftParams(given?: Partial<ShiftParams>): ShiftParams {
  const params = withDefaults('shift', { pad: 4 }, given);
  checkNumber('shift', 'pad', params.pad, 0, 1024, true);
  return params;
}

/**
 * DrQ shift: pad each image by `pad` pixels replicating the border, then take a
 * random crop of the original size; that is, an integer shift in [-pad, pad] on
 * each axis with edge pixels repeated. DrQ-v2's bilinear `grid_sample` version
 * samples exactly at pixel centres, so it is the same integer shift.
 * In evaluation it is the identity (DrQ evaluates on unaugmented frames).
 */
export function shift(batch: NdArray<'uint8'>, rng: Random, params?: Partial<ShiftParams>, options: ApplyOptions = {}): NdArray<'uint8'> {
  const { count, height, width, channels } = checkPixels('shift', batch);
  const { pad } = shiftParams(params);
  const out = outputPixels('shift', batch.shape, batch, options.out);
  const source = batch.data;
  const target = out.data;
  const rowBytes = width * channels;
  if (options.eval) {
    target.set(source);
    return out;
  }
  for (let n = 0; n < count; n++) {
    // Offset of the crop in the padded image, as DrQ draws it: uniform in [0, 2 pad].
    const dy = rng.int(2 * pad + 1) - pad;
    const dx = rng.int(2 * pad + 1) - pad;
    const image = n * height * rowBytes;
    // Output column x reads input column clamp(x + dx): a left band repeats column 0,
    // a right band repeats column W-1, the middle is a straight copy.
    const leftRepeat = Math.min(width, Math.max(0, -dx));
    const rightRepeat = Math.min(width, Math.max(0, dx));
    const middle = width - leftRepeat - rightRepeat;
    // Rows whose source row is inside the image: their middles lie at one fixed
    // distance in source and target, so one contiguous copy moves them all; the
    // bytes it drags into the side bands are overwritten by the repeats below.
    const firstRow = Math.max(0, -dy);
    const endRow = Math.min(height, height - dy);
    if (middle > 0 && endRow > firstRow) {
      const from = image + (firstRow + dy) * rowBytes + (leftRepeat + dx) * channels;
      const length = (endRow - firstRow - 1) * rowBytes + middle * channels;
      target.set(source.subarray(from, from + length), image + firstRow * rowBytes + leftRepeat * channels);
    }
    for (let y = 0; y < height; y++) {
      const sourceRow = Math.min(height - 1, Math.max(0, y + dy));
      const read = image + sourceRow * rowBytes;
      const write = image + y * rowBytes;
      if (middle > 0 && (y < firstRow || y >= endRow)) {
        const from = read + (leftRepeat + dx) * channels;
        target.set(source.subarray(from, from + middle * channels), write + leftRepeat * channels);
      }
      // At most `pad` pixels each side: byte loops beat a subarray object per pixel.
      for (let x = 0; x < leftRepeat; x++) {
        for (let c = 0; c < channels; c++) target[write + x * channels + c] = source[read + c];
      }
      const lastPixel = read + (width - 1) * channels;
      for (let x = width - rightRepeat; x < width; x++) {
        for (let c = 0; c < channels; c++) target[write + x * channels + c] = source[lastPixel + c];
      }
    }
  }
  return out;
}

export interface FlipParams {
  /** Probability of flipping a sample (RAD: 0.2). */
  p: number;
}

/** Mirrors one sample left-right, from `source` at `offset` into `target`. */
function mirrorSample(source: Uint8Array, target: Uint8Array, offset: number, height: number, width: number, channels: number): void {
  for (let y = 0; y < height; y++) {
    const row = offset + y * width * channels;
    for (let x = 0; x < width; x++) {
      const from = row + x * channels;
      const to = row + (width - 1 - x) * channels;
      for (let c = 0; c < channels; c++) target[to + c] = source[from + c];
    }
  }
}

export function flipParams(given?: Partial<FlipParams>): FlipParams {
  const params = withDefaults('flip', { p: 0.2 }, given);
  checkProbability('flip', 'p', params.p);
  return params;
}

/** RAD flip: each sample mirrored horizontally with probability p. */
export function flip(batch: NdArray<'uint8'>, rng: Random, params?: Partial<FlipParams>, options: ApplyOptions = {}): NdArray<'uint8'> {
  const { count, height, width, channels } = checkPixels('flip', batch);
  const { p } = flipParams(params);
  const target = batch.data.slice();
  if (options.eval) return { dtype: 'uint8', shape: [...batch.shape], data: target };
  const sampleBytes = height * width * channels;
  for (let n = 0; n < count; n++) {
    if (rng.uniform() < p) mirrorSample(batch.data, target, n * sampleBytes, height, width, channels);
  }
  return { dtype: 'uint8', shape: [...batch.shape], data: target };
}

/**
 * Rotates one square sample by k quarter turns counter-clockwise (numpy's
 * `rot90(image, k)`, torch's `rot90(k, [H, W])`, as RAD uses).
 */
function rotateSample(source: Uint8Array, target: Uint8Array, offset: number, side: number, channels: number, k: number): void {
  const last = side - 1;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      // Output (y, x) reads input (sy, sx).
      let sy: number;
      let sx: number;
      if (k === 1) {
        sy = x;
        sx = last - y;
      } else if (k === 2) {
        sy = last - y;
        sx = last - x;
      } else {
        sy = last - x;
        sx = y;
      }
      const from = offset + (sy * side + sx) * channels;
      const to = offset + (y * side + x) * channels;
      for (let c = 0; c < channels; c++) target[to + c] = source[from + c];
    }
  }
}

/** Every sample turned by k quarter turns counter-clockwise (k any integer). Square images only. */
export function rotate90(batch: NdArray<'uint8'>, k: number): NdArray<'uint8'> {
  const { count } = checkPixels('rotate', batch);
  checkNumber('rotate', 'k', k, -Infinity, Infinity, true);
  return rotateEach(batch, new Array<number>(count).fill(k));
}

/** Sample n turned by turns[n] quarter turns counter-clockwise (any integers). Square images only. */
export function rotateEach(batch: NdArray<'uint8'>, turns: ArrayLike<number>): NdArray<'uint8'> {
  const { count, height, width, channels } = checkPixels('rotate', batch);
  if (height !== width) throw new InputError(`rotate: images must be square, got H=${height}, W=${width}`);
  if (turns.length !== count) throw new InputError(`rotate: expected one turn count per sample (${count}), got ${turns.length}`);
  const target = batch.data.slice();
  const sampleBytes = height * width * channels;
  for (let n = 0; n < count; n++) {
    checkNumber('rotate', 'k', turns[n], -Infinity, Infinity, true);
    const k = ((turns[n] % 4) + 4) % 4;
    if (k !== 0) rotateSample(batch.data, target, n * sampleBytes, height, channels, k);
  }
  return { dtype: 'uint8', shape: [...batch.shape], data: target };
}

export interface RotateParams {
  /** Probability of rotating a sample (RAD: 0.3); a rotated sample turns 90, 180 or 270 degrees, uniformly. */
  p: number;
}

export function rotateParams(given?: Partial<RotateParams>): RotateParams {
  const params = withDefaults('rotate', { p: 0.3 }, given);
  checkProbability('rotate', 'p', params.p);
  return params;
}

/** RAD rotate: with probability p a sample turns by 90, 180 or 270 degrees (square images). */
export function rotate(batch: NdArray<'uint8'>, rng: Random, params?: Partial<RotateParams>, options: ApplyOptions = {}): NdArray<'uint8'> {
  const { count, height, width, channels } = checkPixels('rotate', batch);
  const { p } = rotateParams(params);
  if (height !== width) throw new InputError(`rotate: images must be square, got H=${height}, W=${width}`);
  const target = batch.data.slice();
  if (options.eval) return { dtype: 'uint8', shape: [...batch.shape], data: target };
  const sampleBytes = height * width * channels;
  for (let n = 0; n < count; n++) {
    // Two draws per sample whether or not it turns, as RAD draws both arrays for the whole batch.
    const turn = rng.uniform() < p;
    const k = 1 + rng.int(3);
    if (turn) rotateSample(batch.data, target, n * sampleBytes, height, channels, k);
  }
  return { dtype: 'uint8', shape: [...batch.shape], data: target };
}

export interface CutoutParams {
  /** Smallest box side in pixels (RAD: 10). */
  min: number;
  /** Largest box side in pixels, inclusive (RAD: 30). */
  max: number;
}

export function cutoutParams(given?: Partial<CutoutParams>, name = 'cutout'): CutoutParams {
  const params = withDefaults(name, { min: 10, max: 30 }, given);
  checkNumber(name, 'min', params.min, 1, 4096, true);
  checkNumber(name, 'max', params.max, params.min, 4096, true);
  return params;
}

function checkCutout(name: string, params: CutoutParams, height: number, width: number): void {
  if (params.max > Math.min(height, width)) {
    throw new InputError(`${name}: parameter max=${params.max} exceeds the ${height}x${width} input; expected at most ${Math.min(height, width)}`);
  }
}

/**
 * Fills one random box per sample (height and width each uniform in [min, max],
 * position uniform over the places where the whole box fits) with `color(n)`.
 *
 * Differs from RAD's published code: there one draw `h11` serves as both the
 * box's top edge and its height (`img[h11:h11 + h11]`), so big boxes only appear
 * far from the top-left corner and boxes can run off the image. The paper
 * describes a box of random size at a random place, which is what this draws.
 */
function fillBoxes(
  name: string,
  batch: NdArray<'uint8'>,
  rng: Random,
  params: CutoutParams,
  options: ApplyOptions,
  color: (n: number) => [number, number, number],
): NdArray<'uint8'> {
  const { count, height, width, channels } = checkPixels(name, batch);
  checkCutout(name, params, height, width);
  const target = batch.data.slice();
  if (options.eval) return { dtype: 'uint8', shape: [...batch.shape], data: target };
  const rowBytes = width * channels;
  for (let n = 0; n < count; n++) {
    const boxHeight = rng.int(params.min, params.max + 1);
    const boxWidth = rng.int(params.min, params.max + 1);
    const top = rng.int(height - boxHeight + 1);
    const left = rng.int(width - boxWidth + 1);
    const [red, green, blue] = color(n);
    // One box and one colour for all of the sample's frames.
    const pattern = new Uint8Array(boxWidth * channels);
    for (let i = 0; i < pattern.length; i += 3) {
      pattern[i] = red;
      pattern[i + 1] = green;
      pattern[i + 2] = blue;
    }
    for (let y = top; y < top + boxHeight; y++) {
      target.set(pattern, (n * height + y) * rowBytes + left * channels);
    }
  }
  return { dtype: 'uint8', shape: [...batch.shape], data: target };
}

/** RAD cutout: a black box of random size at a random place, the same for a sample's frames. */
export function cutout(batch: NdArray<'uint8'>, rng: Random, params?: Partial<CutoutParams>, options: ApplyOptions = {}): NdArray<'uint8'> {
  const merged = cutoutParams(params, 'cutout');
  return fillBoxes('cutout', batch, rng, merged, options, () => [0, 0, 0]);
}

/**
 * RAD cutout-color: as cutout, the box filled with a random colour (each of R, G, B
 * uniform in 0..255). Differs from RAD's code, which draws a value per channel of
 * the stack (so each frame's box has another colour); here a sample's frames
 * share one colour, as they share every other draw.
 */
export function cutoutColor(
  batch: NdArray<'uint8'>,
  rng: Random,
  params?: Partial<CutoutParams>,
  options: ApplyOptions = {},
): NdArray<'uint8'> {
  const merged = cutoutParams(params, 'cutout_color');
  return fillBoxes('cutout_color', batch, rng, merged, options, () => [rng.int(256), rng.int(256), rng.int(256)]);
}

