/** Shared by the augmentation tests: small random batches and window comparisons. */
import type { NdArray } from '../../common/ndarray.ts';
import { zeros } from '../../common/ndarray.ts';
import { Random } from '../../common/random.ts';

/** A uint8 batch of uniform random bytes: windows of it are (with near certainty) unique. */
export function randomBatch(shape: number[], seed: number | string = 'pixels'): NdArray<'uint8'> {
  const batch = zeros('uint8', shape);
  const rng = new Random(seed);
  for (let i = 0; i < batch.data.length; i++) batch.data[i] = rng.int(256);
  return batch;
}

/** The bytes of sample n. */
export function sample(batch: NdArray<'uint8'>, n: number): Uint8Array {
  const size = batch.data.length / batch.shape[0];
  return batch.data.subarray(n * size, (n + 1) * size);
}

/** Pixel (y, x) channel c of sample n, reading outside the image as the nearest edge pixel. */
export function clampedPixel(batch: NdArray<'uint8'>, n: number, y: number, x: number, c: number): number {
  const [, height, width, channels] = batch.shape;
  const yy = Math.min(height - 1, Math.max(0, y));
  const xx = Math.min(width - 1, Math.max(0, x));
  return batch.data[((n * height + yy) * width + xx) * channels + c];
}

/** Whether sample n of `output` equals the window of sample n of `input` at (top, left), size of output. */
export function windowMatches(input: NdArray<'uint8'>, output: NdArray<'uint8'>, n: number, top: number, left: number): boolean {
  const [, height, width, channels] = output.shape;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        if (output.data[((n * height + y) * width + x) * channels + c] !== clampedPixel(input, n, top + y, left + x, c)) return false;
      }
    }
  }
  return true;
}

/** A copy of `rng` at its current state: replays the draws the next call will make. */
export function twin(rng: Random): Random {
  const copy = rng.fork('twin');
  copy.setState(rng.getState());
  return copy;
}

/** Byte equality of two arrays (fast; vitest's deep equality is slow on large typed arrays). */
export function sameBytes(a: ArrayLike<number> & ArrayBufferView, b: ArrayLike<number> & ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
