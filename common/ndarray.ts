/**
 * A dense, C-contiguous array: the one shape-carrying value that crosses module
 * boundaries (env observations, replay batches, augmentation inputs, bridge
 * frames). Dtype names are numpy's, so the bridge can map them to `|u1`, `<f4`.
 */

/**
 * No int64: JavaScript numbers hold integers exactly to 2^53, and a BigInt64Array
 * would make every consumer handle bigints. Receivers of numpy int64 data (the
 * bridge) convert it to int32 or float64 and say so.
 */
export type DType = 'uint8' | 'int32' | 'float32' | 'float64' | 'bool';

export type TypedArrayFor<D extends DType> = D extends 'uint8' | 'bool'
  ? Uint8Array
  : D extends 'int32'
    ? Int32Array
    : D extends 'float32'
      ? Float32Array
      : Float64Array;

export type AnyTypedArray = Uint8Array | Int32Array | Float32Array | Float64Array;

export interface NdArray<D extends DType = DType> {
  dtype: D;
  shape: number[];
  data: TypedArrayFor<D>;
}

const constructors = {
  uint8: Uint8Array,
  bool: Uint8Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

/** A zero-filled array of the given dtype and shape. */
export function zeros<D extends DType>(dtype: D, shape: readonly number[]): NdArray<D> {
  for (const dim of shape) {
    if (!Number.isInteger(dim) || dim < 0) throw new Error(`ndarray: shape must hold non-negative integers, got [${shape}]`);
  }
  const data = new constructors[dtype](sizeOf(shape)) as TypedArrayFor<D>;
  return { dtype, shape: [...shape], data };
}

/** Wraps existing data, checking that its length and type match the shape and dtype. */
export function ndarray<D extends DType>(dtype: D, shape: readonly number[], data: TypedArrayFor<D>): NdArray<D> {
  if (!(data instanceof constructors[dtype])) {
    throw new Error(`ndarray: dtype ${dtype} needs a ${constructors[dtype].name}, got ${data?.constructor?.name}`);
  }
  if (data.length !== sizeOf(shape)) {
    throw new Error(`ndarray: shape [${shape}] holds ${sizeOf(shape)} elements, data has ${data.length}`);
  }
  return { dtype, shape: [...shape], data };
}
