/**
 * Stride-1 3x3 convs and their filter gradient by Winograd's F(4x4, 3x3)
 * (winograd/winograd.c, WebAssembly SIMD), run on the wasm backend's own heap: the
 * module imports the backend's memory, so tensors are read and written in place.
 * A quarter of the direct conv's multiply-adds: at the encoder's shapes (batch 64,
 * 41x41x32 -> 39x39x32) the forward conv took 24 ms against XNNPACK's 72 ms on one
 * core of the 2-core machine (best of 15, interleaved in one process);
 * `npm run bench -- conv` prints every layer's figures.
 *
 * Used where it applies (`winogradApplies`): 3x3 filters, stride 1, no dilation,
 * input channels a multiple of 4 and output channels a multiple of 8. Sums run in
 * a fixed order, so results are deterministic; they differ from a direct conv's by
 * rounding (relative error about 1e-6 at these sizes, see test/agents/tf/winograd.test.ts).
 */
import { readFileSync } from 'node:fs';
import type * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type TensorInfo = tf.TensorInfo;

interface WinogradExports {
  scratch_floats(inChannels: number, outChannels: number): number;
  filter_transform(filter: number, transformed: number, inChannels: number, outChannels: number): void;
  forward(
    x: number, n: number, h: number, w: number, inChannels: number, transformed: number, bias: number, relu: number,
    y: number, outHeight: number, outWidth: number, outChannels: number, top: number, left: number, scratch: number,
  ): void;
  filter_gradient(
    x: number, n: number, h: number, w: number, inChannels: number, dy: number, outHeight: number, outWidth: number,
    outChannels: number, top: number, left: number, transformedGradient: number, scratch: number,
  ): void;
  filter_gradient_finish(transformedGradient: number, gradient: number, inChannels: number, outChannels: number): void;
}

/** Points of the transformed (6x6) domain. */
const POINTS = 36;

let compiled: WebAssembly.Module | null = null;

/** The module, compiled once per thread (each conv worker compiles its own). */
function winogradModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(new URL('./winograd/winograd.wasm', import.meta.url)));
  return compiled;
}

/** Whether a conv of this geometry runs here (else on XNNPACK). */
export function winogradApplies(info: tf.backend_util.Conv2DInfo): boolean {
  return (
    info.filterHeight === 3 &&
    info.filterWidth === 3 &&
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    info.inChannels % 4 === 0 &&
    info.outChannels % 8 === 0 &&
    info.batchSize > 0 &&
    info.outHeight > 0 &&
    info.outWidth > 0
  );
}

export class WinogradConv {
  private readonly kernels: WinogradExports;

  constructor(private readonly backend: BackendWasm) {
    const memory = (backend.wasm as unknown as { asm: { memory: WebAssembly.Memory } }).asm.memory;
    if (!(memory instanceof WebAssembly.Memory)) {
      throw new Error('WinogradConv: the wasm backend does not expose its memory (tfjs-backend-wasm changed?)');
    }
    this.kernels = new WebAssembly.Instance(winogradModule(), { env: { memory } }).exports as unknown as WinogradExports;
  }

  private offset(info: TensorInfo): number {
    return this.backend.getMemoryOffset(info.dataId);
  }

  private allocate(shape: number[]): TensorInfo {
    return this.backend.makeOutput(shape, 'float32');
  }

  private free(info: TensorInfo): void {
    this.backend.disposeData(info.dataId);
  }

  /** relu?(conv(x, filter) + bias) for a geometry where `winogradApplies`; bias may be null. */
  forward(x: TensorInfo, filter: TensorInfo, bias: TensorInfo | null, relu: boolean, info: tf.backend_util.Conv2DInfo): TensorInfo {
    const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
    if (bias !== null && bias.shape.reduce((a, b) => a * b, 1) !== outChannels) {
      throw new Error(`Winograd conv: bias must have ${outChannels} values (one per output channel), got shape [${bias.shape}]`);
    }
    const transformed = this.allocate([POINTS, inChannels, outChannels]);
    const scratch = this.allocate([this.kernels.scratch_floats(inChannels, outChannels)]);
    const y = this.allocate([batchSize, outHeight, outWidth, outChannels]);
    const k = this.kernels;
    k.filter_transform(this.offset(filter), this.offset(transformed), inChannels, outChannels);
    k.forward(
      this.offset(x), batchSize, inHeight, inWidth, inChannels, this.offset(transformed), bias === null ? 0 : this.offset(bias), relu ? 1 : 0,
      this.offset(y), outHeight, outWidth, outChannels, info.padInfo.top, info.padInfo.left, this.offset(scratch),
    );
    this.free(transformed);
    this.free(scratch);
    return y;
  }

  /** dL/dfilter [3, 3, Ci, Co] for y = conv(x, filter), from dy = dL/dy; a geometry where `winogradApplies`. */
  filterGradient(x: TensorInfo, dy: TensorInfo, info: tf.backend_util.Conv2DInfo): TensorInfo {
    const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
    const transformed = this.allocate([POINTS, inChannels, outChannels]);
    const scratch = this.allocate([this.kernels.scratch_floats(inChannels, outChannels)]);
    const gradient = this.allocate([3, 3, inChannels, outChannels]);
    (this.backend.typedArrayFromHeap(transformed) as Float32Array).fill(0);
    const k = this.kernels;
    k.filter_gradient(
      this.offset(x), batchSize, inHeight, inWidth, inChannels, this.offset(dy), outHeight, outWidth, outChannels,
      info.padInfo.top, info.padInfo.left, this.offset(transformed), this.offset(scratch),
    );
    k.filter_gradient_finish(this.offset(transformed), this.offset(gradient), inChannels, outChannels);
    this.free(transformed);
    this.free(scratch);
    return gradient;
  }
}
