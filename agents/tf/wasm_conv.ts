/**
 * Conv2D and its two gradients on the wasm backend. Where the project's SIMD kernels
 * take a geometry (simd_kernels.ts: Winograd for stride-1 3x3 convs, patches for
 * other convs with output channels in 8s) they compute it; everything else goes
 * through wasm's own forward conv (XNNPACK), the one fast conv tfjs-backend-wasm 4.22
 * has: it ships no Conv2DBackpropFilter at all, and its Conv2DBackpropInput is a plain
 * loop about 20x slower than the forward conv at the encoder's shapes (measured: 3.4 s
 * against 0.17 s at batch 128, 41x41x32 -> 39x39x32). The gradients as forward convs
 * (the filter gradient only where the SIMD kernels do not take it):
 *
 * Per spatial axis, with stride s, top padding p and filter size K (NHWC throughout):
 * - filter gradient: dW[k] = sum_{n, o} x[n, o*s + k - p] dy[n, o]. That is a forward
 *   conv whose batch is the input channels and whose reduction channels are the batch:
 *   input x^T [Ci, H, W, N], filter dy^T [OH, OW, N, Co], dilation s, stride 1; it
 *   yields [Ci, KH, KW, Co], transposed back to [KH, KW, Ci, Co].
 * - input gradient: the transposed conv. Insert s-1 zeros between the rows of dy
 *   (none for stride 1), pad by K-1-p, and correlate with the filter flipped in space
 *   and with its channels swapped, [KH, KW, Co, Ci].
 *
 * Everything here works on the backend's TensorInfos and heap without going through
 * the tfjs engine, so it can run inside a kernel and records nothing on the gradient
 * tape. Every temporary is freed. The SIMD paths may also be recorded for a worker
 * thread (simd_threads.ts); the others compute at once and refuse to be recorded.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { SimdKernels, simdConvMethod } from './simd_kernels.ts';

export type TensorInfo = tf.TensorInfo;
export type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];
export type Padding = 'valid' | 'same' | number | ExplicitPadding;

/** The attributes a conv kernel receives, as tfjs names them. */
export interface ConvAttributes {
  strides: number | [number, number];
  pad: Padding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat?: 'NHWC' | 'NCHW';
}

/** A forward conv kernel of the wasm backend (Conv2D or FusedConv2D) called directly. */
export type KernelFunction = (args: { inputs: Record<string, TensorInfo>; backend: BackendWasm; attrs: Record<string, unknown> }) => TensorInfo;

function checkChannelsLast(kernel: string, dataFormat: string | undefined): void {
  if (dataFormat != null && dataFormat !== 'NHWC') {
    throw new Error(`${kernel} on wasm: dataFormat '${dataFormat}' is not supported; expected 'NHWC' (channels last)`);
  }
}

/** Shape bookkeeping of one conv: tfjs's own computeConv2DInfo, so paddings match every other backend. */
export function convGeometry(
  inputShape: number[],
  filterShape: number[],
  attrs: ConvAttributes,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    inputShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

/** Multiply-accumulates of the forward conv; the gradients cost the same each. */
export function convMacs(info: tf.backend_util.Conv2DInfo): number {
  return info.batchSize * info.outHeight * info.outWidth * info.outChannels * info.filterHeight * info.filterWidth * info.inChannels;
}

/**
 * Where dy goes for the input gradient's conv: dy row o lands on row before + o*s
 * of a (H + KH - 1)-row zero canvas. With stride 1 (and the canvas covering dy),
 * the canvas is dy itself zero-padded by `padding`, which the conv does for free;
 * else `padding` is null and the canvas is built.
 */
function inputGradientCanvas(info: tf.backend_util.Conv2DInfo) {
  const { inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const before = filterHeight - 1 - info.padInfo.top;
  const beforeCol = filterWidth - 1 - info.padInfo.left;
  const canvasRows = inHeight + filterHeight - 1;
  const canvasCols = inWidth + filterWidth - 1;
  const after = canvasRows - before - outHeight;
  const afterCol = canvasCols - beforeCol - outWidth;
  const direct = strideHeight === 1 && strideWidth === 1 && before >= 0 && beforeCol >= 0 && after >= 0 && afterCol >= 0;
  const padding: ExplicitPadding | null = direct ? [[0, 0], [before, after], [beforeCol, afterCol], [0, 0]] : null;
  return { before, beforeCol, canvasRows, canvasCols, padding };
}

export class WasmConvMath {
  private simdKernels: SimdKernels | null = null;

  constructor(
    readonly backend: BackendWasm,
    /** wasm's own Conv2D kernel (captured before any replacement of it). */
    private readonly forwardKernel: KernelFunction,
    /** Batch items per filter-gradient conv (see filterGradient); measured in bench/conv.ts. */
    readonly filterGradientChunk = 8,
  ) {
    if (!Number.isInteger(filterGradientChunk) || filterGradientChunk < 1) {
      throw new Error(`WasmConvMath: filterGradientChunk must be a positive integer, got ${filterGradientChunk}`);
    }
  }

  allocate(shape: number[]): TensorInfo {
    return this.backend.makeOutput(shape, 'float32');
  }

  /** A view of a tensor's float32 data on the heap; take it again after any allocation (the heap may grow). */
  view(info: TensorInfo): Float32Array {
    return this.backend.typedArrayFromHeap(info) as Float32Array;
  }

  /** The whole wasm heap as floats, and where a tensor starts in it: block copies without allocations. */
  heap(): Float32Array {
    return (this.backend.wasm as unknown as { HEAPF32: Float32Array }).HEAPF32;
  }

  start(info: TensorInfo): number {
    return this.backend.getMemoryOffset(info.dataId) / Float32Array.BYTES_PER_ELEMENT;
  }

  /** Frees a buffer (later, if SIMD calls that may use it are being recorded: see SimdKernels.record). */
  free(info: TensorInfo): void {
    this.simd().free(info);
  }

  /** A new tensor holding rows [start, start + count) of the batch (axis 0). */
  sliceBatch(info: TensorInfo, start: number, count: number): TensorInfo {
    const perItem = tf.util.sizeFromShape(info.shape.slice(1));
    const out = this.allocate([count, ...info.shape.slice(1)]);
    this.view(out).set(this.view(info).subarray(start * perItem, (start + count) * perItem));
    return out;
  }

  /**
   * A tensor that shares the memory of batch items [start, start + count) of `info`,
   * without copying; wasm kernels read it like any tensor. Release it with
   * `releaseAlias` (never `free`, which would free the owner's memory).
   */
  aliasBatch(info: TensorInfo, start: number, count: number): TensorInfo {
    const perItem = tf.util.sizeFromShape(info.shape.slice(1));
    const offset = this.backend.getMemoryOffset(info.dataId) + start * perItem * Float32Array.BYTES_PER_ELEMENT;
    return this.backend.makeOutput([count, ...info.shape.slice(1)], 'float32', offset);
  }

  releaseAlias(alias: TensorInfo): void {
    const data = this.backend.dataIdMap.get(alias.dataId);
    this.backend.wasm.tfjs.disposeData(data.id);
    this.backend.dataIdMap.delete(alias.dataId);
  }

  /** The project's SIMD kernels on this backend's heap (made on first use). */
  simd(): SimdKernels {
    this.simdKernels ??= new SimdKernels(this.backend);
    return this.simdKernels;
  }

  /** Throws if SIMD kernel calls are being recorded for a worker: `what` would compute here and now instead. */
  private computingHere(what: string): void {
    if (this.simdKernels?.recordingNow) throw new Error(`WasmConvMath: ${what} cannot run on a worker thread (only the SIMD kernels can)`);
  }

  /** The geometry of a forward conv kernel's call if the SIMD kernels compute it (see `forward`), else null. */
  forwardBySimd(inputs: Record<string, TensorInfo | undefined>, attrs: Record<string, unknown>): tf.backend_util.Conv2DInfo | null {
    const { x, filter, preluActivationWeights } = inputs;
    const activation = (attrs.activation as string | undefined) ?? 'linear';
    if (x == null || filter == null || preluActivationWeights != null || (activation !== 'linear' && activation !== 'relu') || attrs.dataFormat === 'NCHW') return null;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      attrs.strides as number | [number, number],
      (attrs.dilations as number | [number, number] | undefined) ?? 1,
      attrs.pad as Padding,
      attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    );
    return simdConvMethod(info) === null ? null : info;
  }

  /**
   * A forward conv kernel (Conv2D, or FusedConv2D with a bias and a linear or ReLU
   * activation): by the project's SIMD kernels where they apply (simd_kernels.ts),
   * written into `out` if given, else by `original` (into a new tensor).
   */
  forward(inputs: Record<string, TensorInfo | undefined>, attrs: Record<string, unknown>, original: KernelFunction, out: TensorInfo | null = null): TensorInfo {
    const info = this.forwardBySimd(inputs, attrs);
    if (info !== null) return this.simd().convForward(inputs.x!, inputs.filter!, inputs.bias ?? null, attrs.activation === 'relu', info, out);
    this.computingHere(`wasm's own ${String(attrs.activation ?? 'linear')} conv`);
    return original({ inputs: inputs as Record<string, TensorInfo>, backend: this.backend, attrs });
  }

  /**
   * Plain forward conv (dilation allowed): by Winograd where it applies (into `out`
   * if given), else wasm's kernel (XNNPACK, into a new tensor).
   */
  conv(x: TensorInfo, filter: TensorInfo, strides: number | [number, number], pad: Padding, dilations: number | [number, number] = 1, out: TensorInfo | null = null): TensorInfo {
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      strides,
      dilations,
      pad,
    );
    if (simdConvMethod(info) === 'winograd') return this.simd().convForward(x, filter, null, false, info, out);
    this.computingHere("wasm's own conv");
    return this.forwardKernel({
      inputs: { x, filter },
      backend: this.backend,
      attrs: { strides, pad, dilations, dataFormat: 'NHWC', dimRoundingMode: undefined },
    });
  }

  /** dL/dW for y = conv2d(x, W); `filterShape` = [KH, KW, Ci, Co]. */
  filterGradient(x: TensorInfo, dy: TensorInfo, filterShape: number[], attrs: ConvAttributes): TensorInfo {
    checkChannelsLast('Conv2DBackpropFilter', attrs.dataFormat);
    const info = convGeometry(x.shape, filterShape, attrs);
    if (simdConvMethod(info) !== null) return this.simd().convFilterGradient(x, dy, info);
    this.computingHere('the filter gradient by XNNPACK convs');
    const { batchSize: n, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
    const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
    const top = info.padInfo.top;
    const left = info.padInfo.left;
    // Input rows (after top padding) the dilated dy^T filter reaches: KH + (OH-1)*s.
    const rowsReached = filterHeight + (outHeight - 1) * strideHeight - top;
    const colsReached = filterWidth + (outWidth - 1) * strideWidth - left;
    const keptRows = Math.max(0, Math.min(inHeight, rowsReached));
    const keptCols = Math.max(0, Math.min(inWidth, colsReached));
    const pad: ExplicitPadding = [[0, 0], [top, rowsReached - keptRows], [left, colsReached - keptCols], [0, 0]];
    const pixels = outHeight * outWidth;
    const planeStride = keptRows * keptCols;

    // The batch goes through in chunks: dy^T is the conv's filter, which XNNPACK
    // re-reads for every few output rows, so it must stay small enough for the cache.
    let sum: TensorInfo | null = null;
    for (let first = 0; first < n; first += this.filterGradientChunk) {
      const count = Math.min(this.filterGradientChunk, n - first);
      // x [N, H, W, Ci] -> x^T [Ci, keptRows, keptCols, count]
      const xT = this.allocate([inChannels, keptRows, keptCols, count]);
      const dyT = this.allocate([outHeight, outWidth, count, outChannels]);
      {
        const source = this.view(x);
        const target = this.view(xT);
        const channelStride = planeStride * count;
        for (let item = 0; item < count; item++) {
          for (let row = 0; row < keptRows; row++) {
            let s = (((first + item) * inHeight + row) * inWidth) * inChannels;
            let t = row * keptCols * count + item;
            for (let col = 0; col < keptCols; col++, t += count) {
              for (let channel = 0, u = t; channel < inChannels; channel++, s++, u += channelStride) target[u] = source[s];
            }
          }
        }
      }
      {
        // dy [N, OH, OW, Co] -> dy^T [OH, OW, count, Co]: whole Co-vectors move, so copy blocks.
        const heap = this.heap();
        const source = this.start(dy);
        const target = this.start(dyT);
        for (let item = 0; item < count; item++) {
          for (let pixel = 0; pixel < pixels; pixel++) {
            const s = source + ((first + item) * pixels + pixel) * outChannels;
            heap.copyWithin(target + (pixel * count + item) * outChannels, s, s + outChannels);
          }
        }
      }
      const partial = this.conv(xT, dyT, 1, pad, [strideHeight, strideWidth]);
      this.free(xT);
      this.free(dyT);
      if (sum == null) {
        sum = partial;
      } else {
        const total = this.view(sum);
        const add = this.view(partial);
        for (let i = 0; i < total.length; i++) total[i] += add[i];
        this.free(partial);
      }
    }
    // [Ci, KH, KW, Co] -> [KH, KW, Ci, Co]
    const gradient = this.allocate([filterHeight, filterWidth, inChannels, outChannels]);
    const target = this.view(gradient);
    if (sum == null) {
      target.fill(0); // an empty batch
      return gradient;
    }
    const source = this.view(sum);
    for (let channel = 0; channel < inChannels; channel++) {
      for (let tap = 0; tap < filterHeight * filterWidth; tap++) {
        const s = (channel * filterHeight * filterWidth + tap) * outChannels;
        target.set(source.subarray(s, s + outChannels), (tap * inChannels + channel) * outChannels);
      }
    }
    this.free(sum);
    return gradient;
  }

  /** The geometry of the conv that computes `info`'s input gradient (see inputGradient) if Winograd runs it, else null. */
  inputGradientConv(info: tf.backend_util.Conv2DInfo): tf.backend_util.Conv2DInfo | null {
    const { batchSize, outHeight, outWidth, outChannels, inChannels, filterHeight, filterWidth } = info;
    const { canvasRows, canvasCols, padding } = inputGradientCanvas(info);
    const filterShape = [filterHeight, filterWidth, outChannels, inChannels];
    const gradientConv = padding === null
      ? convGeometry([batchSize, canvasRows, canvasCols, outChannels], filterShape, { strides: 1, pad: 'valid' })
      : convGeometry([batchSize, outHeight, outWidth, outChannels], filterShape, { strides: 1, pad: padding });
    return simdConvMethod(gradientConv) === 'winograd' ? gradientConv : null;
  }

  /** dL/dx for y = conv2d(x, W); `inputShape` = [N, H, W, Ci]; into `out` where the conv can write there. */
  inputGradient(dy: TensorInfo, filter: TensorInfo, inputShape: number[], attrs: ConvAttributes, out: TensorInfo | null = null): TensorInfo {
    checkChannelsLast('Conv2DBackpropInput', attrs.dataFormat);
    const info = convGeometry(inputShape, filter.shape, attrs);
    const { batchSize: n, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
    const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
    // The flipped filter with swapped channels: [KH, KW, Co, Ci].
    const flipped = this.allocate([filterHeight, filterWidth, outChannels, inChannels]);
    {
      const source = this.view(filter);
      const target = this.view(flipped);
      for (let a = 0; a < filterHeight; a++) {
        for (let b = 0; b < filterWidth; b++) {
          const sourceTap = ((filterHeight - 1 - a) * filterWidth + (filterWidth - 1 - b)) * inChannels * outChannels;
          const targetTap = (a * filterWidth + b) * outChannels * inChannels;
          for (let ci = 0; ci < inChannels; ci++) {
            for (let co = 0; co < outChannels; co++) target[targetTap + co * inChannels + ci] = source[sourceTap + ci * outChannels + co];
          }
        }
      }
    }
    const { before, beforeCol, canvasRows, canvasCols, padding } = inputGradientCanvas(info);
    let gradient: TensorInfo;
    if (padding !== null) {
      gradient = this.conv(dy, flipped, 1, padding, 1, out);
    } else {
      const canvas = this.allocate([n, canvasRows, canvasCols, outChannels]);
      this.view(canvas).fill(0);
      const heap = this.heap();
      const source = this.start(dy);
      const target = this.start(canvas);
      for (let item = 0; item < n; item++) {
        for (let o = 0; o < outHeight; o++) {
          const row = before + o * strideHeight;
          if (row < 0 || row >= canvasRows) continue;
          for (let q = 0; q < outWidth; q++) {
            const col = beforeCol + q * strideWidth;
            if (col < 0 || col >= canvasCols) continue;
            const s = source + ((item * outHeight + o) * outWidth + q) * outChannels;
            heap.copyWithin(target + ((item * canvasRows + row) * canvasCols + col) * outChannels, s, s + outChannels);
          }
        }
      }
      gradient = this.conv(canvas, flipped, 1, 'valid', 1, out);
      this.free(canvas);
    }
    this.free(flipped);
    return gradient;
  }
}
