/**
 * Input checks shared by the augmentations: batch layouts and parameters.
 * Every failure names the augmentation, the field, the value and what is allowed.
 */
import type { NdArray } from '../common/ndarray.ts';
import { zeros } from '../common/ndarray.ts';
import { InputError } from '../common/errors.ts';

/** A pixel batch: uint8, [N, H, W, C] with C = 3k for k stacked RGB frames. */
export interface PixelShape {
  count: number;
  height: number;
  width: number;
  channels: number;
}

export function checkPixels(name: string, batch: NdArray<'uint8'>): PixelShape {
  if (!batch || batch.dtype !== 'uint8' || !(batch.data instanceof Uint8Array)) {
    throw new Error(`${name}: the batch must be a uint8 NdArray [N, H, W, C], got dtype ${batch?.dtype}`);
  }
  const shape = batch.shape;
  if (shape.length !== 4) {
    throw new Error(`${name}: the batch must have shape [N, H, W, C], got [${shape}]`);
  }
  const [count, height, width, channels] = shape;
  if (channels % 3 !== 0 || channels === 0) {
    throw new Error(`${name}: the channel count must be 3k (k stacked RGB frames), got C=${channels} in [${shape}]`);
  }
  if (height < 1 || width < 1) throw new Error(`${name}: empty images in batch of shape [${shape}]`);
  return { count, height, width, channels };
}

/** A state batch: float32, [N, D]. */
export function checkStates(name: string, batch: NdArray<'float32'>): { count: number; dimension: number } {
  if (!batch || batch.dtype !== 'float32' || !(batch.data instanceof Float32Array)) {
    throw new Error(`${name}: the batch must be a float32 NdArray [N, D], got dtype ${batch?.dtype}`);
  }
  if (batch.shape.length !== 2) throw new Error(`${name}: the batch must have shape [N, D], got [${batch.shape}]`);
  return { count: batch.shape[0], dimension: batch.shape[1] };
}

/** The defaults with the user's values on top; an unknown key is an error. */
export function withDefaults<T extends object>(name: string, defaults: T, given: Partial<T> | undefined): T {
  if (given === undefined || given === null) return { ...defaults };
  if (typeof given !== 'object' || Array.isArray(given)) {
    throw new InputError(`${name}: parameters must be an object, got ${JSON.stringify(given)}`);
  }
  for (const key of Object.keys(given)) {
    if (!(key in defaults)) {
      throw new InputError(`${name}: unknown parameter "${key}"; expected one of: ${Object.keys(defaults).join(', ')}`);
    }
  }
  const merged = { ...defaults };
  for (const [key, value] of Object.entries(given)) {
    if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}

/** A finite number in [low, high]; `integer` also demands an integer. */
export function checkNumber(
  name: string,
  field: string,
  value: unknown,
  low: number,
  high: number,
  integer = false,
): number {
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= low && value <= high && (!integer || Number.isInteger(value));
  if (!ok) {
    const kind = integer ? 'an integer' : 'a number';
    const range = high === Infinity ? `>= ${low}` : `in [${low}, ${high}]`;
    throw new InputError(`${name}: parameter ${field}=${JSON.stringify(value)} is not allowed; expected ${kind} ${range}`);
  }
  return value as number;
}

export function checkProbability(name: string, field: string, value: unknown): number {
  return checkNumber(name, field, value, 0, 1);
}

export function checkBoolean(name: string, field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new InputError(`${name}: parameter ${field}=${JSON.stringify(value)} is not allowed; expected true or false`);
  }
  return value;
}

/** Rounds and clamps a float pixel value to uint8: how pixels stay uint8 through the pipeline. */
export function toByte(value: number): number {
  return value <= 0 ? 0 : value >= 255 ? 255 : Math.round(value);
}

/**
 * The array an augmentation writes into: `out` when the caller passes one (a
 * training loop reuses its buffers, and fresh memory costs more to page in than
 * the copy itself), else a new zeroed array. `out` must not share memory with the input.
 */
export function outputPixels(name: string, shape: number[], input: NdArray<'uint8'>, out?: NdArray<'uint8'>): NdArray<'uint8'> {
  if (out === undefined) return zeros('uint8', shape);
  if (out.dtype !== 'uint8' || !(out.data instanceof Uint8Array)) {
    throw new Error(`${name}: out must be a uint8 NdArray, got dtype ${out.dtype}`);
  }
  if (out.shape.length !== shape.length || out.shape.some((dim, i) => dim !== shape[i])) {
    throw new Error(`${name}: out has shape [${out.shape}], the output needs [${shape}]`);
  }
  if (out.data.buffer === input.data.buffer) {
    throw new Error(`${name}: out shares memory with the input batch; pass a separate buffer`);
  }
  return out;
}
