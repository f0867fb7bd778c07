/**
 * The project's own kernels for the wasm backend (simd/convs.c, simd/matmul.c and
 * simd/optim.c, built into simd/kernels.wasm; WebAssembly SIMD), run on the
 * backend's heap: the module imports the backend's memory, so tensors are read and
 * written in place.
 * - Winograd F(4x4, 3x3) for stride-1 3x3 convs: a quarter of the direct conv's
 *   multiply-adds. At the encoder's shapes (batch 64, 41x41x32 -> 39x39x32) the
 *   forward conv took 24 ms against XNNPACK's 72 ms on one core of the 2-core
 *   machine (best of 15, interleaved in one process).
 * - Patches (im2col) times the filter for other convs whose output channels come in
 *   8s: the encoder's stride-2 first layer and its filter gradient.
 * - The ReLU's gradient fused with the bias gradient of a conv layer.
 * - One Adam step per parameter in one pass (simd/optim.c).
 * - Matrix products with either operand transposed at no cost (wasm's own runs
 *   transposed operands 8-20x slower than plain ones): Goto-style blocking and
 *   packing, 9.7 ms against XNNPACK's 11.3 at [128, 1024] x [1024, 1024], and 22 ms
 *   against 69 (transpose included) at [128, 39200]^T x [128, 50].
 * `npm run bench -- conv` prints every layer's figures. Sums run in a fixed order, so
 * results are deterministic; they differ from a direct conv's by rounding (relative
 * error about 1e-6 at these sizes, see test/agents/tf/simd_kernels.test.ts).
 */
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import type * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type TensorInfo = tf.TensorInfo;
type Conv2DInfo = tf.backend_util.Conv2DInfo;

export interface KernelExports {
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
  patch_scratch_floats(taps: number, outChannels: number): number;
  patch_forward(
    x: number, n: number, h: number, w: number, inChannels: number, filter: number, kh: number, kw: number, sh: number, sw: number,
    bias: number, relu: number, y: number, outHeight: number, outWidth: number, outChannels: number, top: number, left: number, scratch: number,
  ): void;
  patch_filter_gradient(
    x: number, n: number, h: number, w: number, inChannels: number, dy: number, outHeight: number, outWidth: number, outChannels: number,
    kh: number, kw: number, sh: number, sw: number, top: number, left: number, gradient: number, scratch: number,
  ): void;
  relu_bias_gradient(dy: number, y: number, g: number, bias: number, rows: number, channels: number, sums: number): void;
  adam_step(
    p: number, g: number, m: number, v: number, pOut: number, mOut: number, vOut: number, n: number,
    keep1: number, add1: number, keep2: number, add2: number, correction2: number, eps: number, stepSize: number,
  ): void;
  matmul_scratch_floats(m: number, n: number, k: number): number;
  matmul(a: number, aRow: number, aColumn: number, b: number, bRow: number, bColumn: number, c: number, ldc: number, m: number, n: number, k: number, scratch: number): void;
}

/** The exports that compute (the others size scratch buffers), as a worker is asked to run them by name. */
type ComputeKernel = Exclude<keyof KernelExports, 'scratch_floats' | 'patch_scratch_floats' | 'matmul_scratch_floats'>;

/** One kernel call on the shared heap: the export and its arguments (pointers are byte offsets). */
export type KernelCall = { [K in ComputeKernel]: [K, ...Parameters<KernelExports[K]>] }[ComputeKernel];

/** What `SimdKernels.record` gives: the body's result, the calls that compute it, and the buffers to free after they ran. */
export interface RecordedWork<T> {
  result: T;
  calls: KernelCall[];
  temporaries: TensorInfo[];
}

/** Points of the Winograd transformed (6x6) domain. */
const POINTS = 36;

let compiled: WebAssembly.Module | null = null;

/**
 * The kernels on `memory`, a shared heap (wasm_loader.ts): the module is compiled
 * once per thread, and each thread (the main one, each worker of simd_threads.ts)
 * has its own instance. The kernels keep no state between calls, so two threads
 * may run them at once on disjoint buffers.
 */
export function instantiateKernels(memory: WebAssembly.Memory): KernelExports {
  compiled ??= compileKernels();
  return new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as KernelExports;
}

/**
 * The products multiply-add with relaxed SIMD's f32x4.relaxed_madd (fused on CPUs
 * with FMA; block.h): measured on one thread, a Winograd forward conv 35.5 ms against
 * 41.3 and a [128, 1024] x [1024, 1024] product 13.5 against 16.6 with separate
 * multiplies and adds. Node 22's V8 runs relaxed SIMD by default; Node 20's (V8
 * 11.3) has it behind a flag, which V8 reads when it compiles a module, so it is set
 * (process-wide, workers included) if the first compile fails.
 */
function compileKernels(): WebAssembly.Module {
  const bytes = readFileSync(new URL('./simd/kernels.wasm', import.meta.url));
  if (!WebAssembly.validate(bytes)) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  try {
    return new WebAssembly.Module(bytes);
  } catch (error) {
    throw new Error(`SIMD kernels: simd/kernels.wasm does not compile here (it needs WebAssembly SIMD and relaxed SIMD: Node >= 20): ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The backend's heap, checked to be the shared memory activateWasm gives it. */
export function wasmMemory(backend: BackendWasm): WebAssembly.Memory {
  const memory = (backend.wasm as unknown as { asm?: { memory?: unknown } }).asm?.memory;
  if (!(memory instanceof WebAssembly.Memory) || !(memory.buffer instanceof SharedArrayBuffer)) {
    throw new Error("the wasm backend's heap is not a shared WebAssembly.Memory: start the backend with activateWasm (agents/tf/wasm_loader.ts), not tf.setBackend('wasm')");
  }
  return memory;
}

/** Runs one recorded call on `kernels`. */
export function runKernelCall(kernels: KernelExports, [name, ...args]: KernelCall): void {
  (kernels[name] as (...values: number[]) => void)(...args);
}

/** How a conv of this geometry runs here: 'winograd', 'patches', or null (XNNPACK's, elsewhere). */
export function simdConvMethod(info: Conv2DInfo): 'winograd' | 'patches' | null {
  if (info.batchSize < 1 || info.outHeight < 1 || info.outWidth < 1 || info.outChannels % 8 !== 0) return null;
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  const threeByThree = info.filterHeight === 3 && info.filterWidth === 3;
  if (threeByThree && info.strideHeight === 1 && info.strideWidth === 1 && info.inChannels % 4 === 0) return 'winograd';
  return 'patches';
}

/** Whether `SimdKernels.matMul` takes these operands: float32, rank 2 or 3, batches equal or 1. */
export function simdMatMulApplies(a: TensorInfo, b: TensorInfo): boolean {
  const ranks = (a.shape.length === 2 || a.shape.length === 3) && (b.shape.length === 2 || b.shape.length === 3);
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || !ranks) return false;
  const batchA = a.shape.length === 3 ? a.shape[0] : 1;
  const batchB = b.shape.length === 3 ? b.shape[0] : 1;
  return batchA === batchB || batchA === 1 || batchB === 1;
}

export class SimdKernels {
  private readonly kernels: KernelExports;
  /** While `record` runs: the calls made and the buffers freed, held for another thread. */
  private recording: { calls: KernelCall[]; temporaries: TensorInfo[] } | null = null;

  constructor(private readonly backend: BackendWasm) {
    this.kernels = instantiateKernels(wasmMemory(backend));
  }

  /**
   * Runs `body` with every kernel call recorded instead of run, and every buffer it
   * would free kept: the calls are for another thread to run on this heap
   * (simd_threads.ts), after which the caller frees `temporaries`. JavaScript work
   * in `body` (zero fills, a flipped filter) still happens now, on inputs only.
   */
  record<T>(body: () => T): RecordedWork<T> {
    if (this.recording !== null) throw new Error('SimdKernels.record: already recording');
    const recording: { calls: KernelCall[]; temporaries: TensorInfo[] } = { calls: [], temporaries: [] };
    this.recording = recording;
    try {
      return { result: body(), ...recording };
    } catch (error) {
      for (const info of recording.temporaries) this.backend.disposeData(info.dataId);
      throw error;
    } finally {
      this.recording = null;
    }
  }

  /** Whether kernel calls are being recorded (so nothing may compute on this thread now). */
  get recordingNow(): boolean {
    return this.recording !== null;
  }

  /** Runs calls that `record` gave, on this thread. */
  runRecorded(calls: KernelCall[]): void {
    for (const call of calls) runKernelCall(this.kernels, call);
  }

  private run(call: KernelCall): void {
    if (this.recording !== null) this.recording.calls.push(call);
    else runKernelCall(this.kernels, call);
  }

  private offset(info: TensorInfo): number {
    return this.backend.getMemoryOffset(info.dataId);
  }

  private allocate(shape: number[]): TensorInfo {
    return this.backend.makeOutput(shape, 'float32');
  }

  /** `out` if given (checked to hold `shape`'s size), else a new tensor of `shape`. */
  private output(shape: number[], out: TensorInfo | null): TensorInfo {
    if (out === null) return this.allocate(shape);
    const size = shape.reduce((a, b) => a * b, 1);
    if (out.dtype !== 'float32' || out.shape.reduce((a, b) => a * b, 1) !== size) {
      throw new Error(`SIMD kernels: out must be float32 with ${size} values ([${shape}]), got ${out.dtype} [${out.shape}]`);
    }
    return out;
  }

  /** Frees a buffer, or while recording keeps it for the caller of `record` to free once the calls ran. */
  free(info: TensorInfo): void {
    if (this.recording !== null) this.recording.temporaries.push(info);
    else this.backend.disposeData(info.dataId);
  }

  /**
   * relu?(conv(x, filter) + bias) for a geometry `simdConvMethod` takes; bias may be
   * null. Written into `out` when given (a float32 tensor of the output's size).
   */
  convForward(x: TensorInfo, filter: TensorInfo, bias: TensorInfo | null, relu: boolean, info: Conv2DInfo, out: TensorInfo | null = null): TensorInfo {
    const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
    if (bias !== null && bias.shape.reduce((a, b) => a * b, 1) !== outChannels) {
      throw new Error(`SIMD conv: bias must have ${outChannels} values (one per output channel), got shape [${bias.shape}]`);
    }
    const method = simdConvMethod(info);
    if (method === null) throw new Error('SIMD conv: called for a geometry it does not take (see simdConvMethod)');
    const k = this.kernels;
    const { top, left } = info.padInfo;
    const y = this.output([batchSize, outHeight, outWidth, outChannels], out);
    const biasOffset = bias === null ? 0 : this.offset(bias);
    if (method === 'winograd') {
      const transformed = this.allocate([POINTS, inChannels, outChannels]);
      const scratch = this.allocate([k.scratch_floats(inChannels, outChannels)]);
      this.run(['filter_transform', this.offset(filter), this.offset(transformed), inChannels, outChannels]);
      this.run(['forward',
        this.offset(x), batchSize, inHeight, inWidth, inChannels, this.offset(transformed), biasOffset, relu ? 1 : 0,
        this.offset(y), outHeight, outWidth, outChannels, top, left, this.offset(scratch),
      ]);
      this.free(transformed);
      this.free(scratch);
    } else {
      const scratch = this.allocate([k.patch_scratch_floats(filterHeight * filterWidth * inChannels, outChannels)]);
      this.run(['patch_forward',
        this.offset(x), batchSize, inHeight, inWidth, inChannels, this.offset(filter), filterHeight, filterWidth, info.strideHeight, info.strideWidth,
        biasOffset, relu ? 1 : 0, this.offset(y), outHeight, outWidth, outChannels, top, left, this.offset(scratch),
      ]);
      this.free(scratch);
    }
    return y;
  }

  /** dL/dfilter [KH, KW, Ci, Co] for y = conv(x, filter), from dy = dL/dy; a geometry `simdConvMethod` takes. */
  convFilterGradient(x: TensorInfo, dy: TensorInfo, info: Conv2DInfo): TensorInfo {
    const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
    const method = simdConvMethod(info);
    if (method === null) throw new Error('SIMD conv: called for a geometry it does not take (see simdConvMethod)');
    const k = this.kernels;
    const { top, left } = info.padInfo;
    const gradient = this.allocate([filterHeight, filterWidth, inChannels, outChannels]);
    if (method === 'winograd') {
      const transformed = this.allocate([POINTS, inChannels, outChannels]);
      const scratch = this.allocate([k.scratch_floats(inChannels, outChannels)]);
      (this.backend.typedArrayFromHeap(transformed) as Float32Array).fill(0);
      this.run(['filter_gradient',
        this.offset(x), batchSize, inHeight, inWidth, inChannels, this.offset(dy), outHeight, outWidth, outChannels,
        top, left, this.offset(transformed), this.offset(scratch),
      ]);
      this.run(['filter_gradient_finish', this.offset(transformed), this.offset(gradient), inChannels, outChannels]);
      this.free(transformed);
      this.free(scratch);
    } else {
      const scratch = this.allocate([k.patch_scratch_floats(filterHeight * filterWidth * inChannels, outChannels)]);
      this.run(['patch_filter_gradient',
        this.offset(x), batchSize, inHeight, inWidth, inChannels, this.offset(dy), outHeight, outWidth, outChannels,
        filterHeight, filterWidth, info.strideHeight, info.strideWidth, top, left, this.offset(gradient), this.offset(scratch),
      ]);
      this.free(scratch);
    }
    return gradient;
  }

  /**
   * For y = relu(conv(x, W) + b), channels last, and the upstream gradient dy:
   * [g, dL/db] with g = dy * 1[y > 0] (dL/d(conv + b)) and dL/db the sum of g over
   * every axis but the last, accumulated in float64 row after row.
   */
  reluBiasGradient(dy: TensorInfo, y: TensorInfo): [TensorInfo, TensorInfo] {
    const channels = y.shape[y.shape.length - 1];
    const rows = y.shape.reduce((a, b) => a * b, 1) / channels;
    const g = this.allocate(y.shape);
    const bias = this.allocate([channels]);
    // float64 sums: two float32 slots each.
    const sums = this.allocate([2 * channels]);
    this.run(['relu_bias_gradient', this.offset(dy), this.offset(y), this.offset(g), this.offset(bias), rows, channels, this.offset(sums)]);
    this.free(sums);
    return [g, bias];
  }

  /**
   * a b for float32 a [m, k] (or [k, m] with transposeA) and b [k, n] (or [n, k]
   * with transposeB), each of rank 2, or of rank 3 with a batch that is equal or 1
   * on either side (broadcast). Returns [.., m, n], written into `out` when given.
   */
  matMul(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean, out: TensorInfo | null = null): TensorInfo {
    const batchA = a.shape.length === 3 ? a.shape[0] : 1;
    const batchB = b.shape.length === 3 ? b.shape[0] : 1;
    const [aRows, aColumns] = a.shape.slice(-2);
    const [bRows, bColumns] = b.shape.slice(-2);
    const [m, k] = transposeA ? [aColumns, aRows] : [aRows, aColumns];
    const [kB, n] = transposeB ? [bColumns, bRows] : [bRows, bColumns];
    if (k !== kB || !simdMatMulApplies(a, b)) {
      throw new Error(
        `SIMD matMul: expected float32 operands of rank 2 or 3 (batches equal or 1) whose inner sizes match; got ${a.dtype} [${a.shape}]${transposeA ? '^T' : ''} and ${b.dtype} [${b.shape}]${transposeB ? '^T' : ''}`,
      );
    }
    const batch = Math.max(batchA, batchB);
    const rank3 = a.shape.length === 3 || b.shape.length === 3;
    const c = this.output(rank3 ? [batch, m, n] : [m, n], out);
    const scratch = this.allocate([this.kernels.matmul_scratch_floats(m, n, k)]);
    // Element strides of A(i, k) and B(k, j) in their stored layouts.
    const [aRow, aColumn] = transposeA ? [1, m] : [k, 1];
    const [bRow, bColumn] = transposeB ? [1, k] : [n, 1];
    const bytes = Float32Array.BYTES_PER_ELEMENT;
    for (let item = 0; item < batch; item++) {
      this.run(['matmul',
        this.offset(a) + (batchA === 1 ? 0 : item * m * k * bytes), aRow, aColumn,
        this.offset(b) + (batchB === 1 ? 0 : item * k * n * bytes), bRow, bColumn,
        this.offset(c) + item * m * n * bytes, n, m, n, k, this.offset(scratch),
      ]);
    }
    this.free(scratch);
    return c;
  }

  /**
   * a b for float32 rank-2 a [m, k] (or [k, m] with transposeA) and b [k, n] (or
   * [n, k] with transposeB) as chunks of kernel calls for several threads
   * (SimdThreads.runChunks), cut along `cut` into chunks of `sizes` (summing to m,
   * n or k): 'rows' and 'columns' chunks write their block of one result in place,
   * 'terms' chunks each their own partial product. `outputs` is [the result], or
   * the partial products to add in chunk order; free `temporaries` once the calls
   * ran. Each chunk packs only its share of the operands it cuts.
   */
  recordMatMul(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean, cut: ProductCut, sizes: number[]): RecordedProduct {
    const [m, k] = transposeA ? [a.shape[1], a.shape[0]] : a.shape;
    const [kB, n] = transposeB ? [b.shape[1], b.shape[0]] : b.shape;
    const total = cut === 'rows' ? m : cut === 'columns' ? n : k;
    if (a.shape.length !== 2 || b.shape.length !== 2 || k !== kB || !simdMatMulApplies(a, b) || sizes.reduce((x, y) => x + y, 0) !== total || sizes.some((size) => size < 1)) {
      throw new Error(
        `SIMD matMul by ${cut}: expected float32 operands of rank 2 whose inner sizes match, cut into chunks summing to ${total}; got ${a.dtype} [${a.shape}]${transposeA ? '^T' : ''}, ${b.dtype} [${b.shape}]${transposeB ? '^T' : ''} and chunks [${sizes}]`,
      );
    }
    const [aRow, aColumn] = transposeA ? [1, m] : [k, 1];
    const [bRow, bColumn] = transposeB ? [1, k] : [n, 1];
    const bytes = Float32Array.BYTES_PER_ELEMENT;
    const product: RecordedProduct = { outputs: cut === 'terms' ? [] : [this.allocate([m, n])], chunks: [], temporaries: [] };
    try {
      let start = 0;
      for (const size of sizes) {
        const work = this.record(() => {
          const c = cut === 'terms' ? this.allocate([m, n]) : product.outputs[0];
          const [chunkM, chunkN, chunkK] = cut === 'rows' ? [size, n, k] : cut === 'columns' ? [m, size, k] : [m, n, size];
          const scratch = this.allocate([this.kernels.matmul_scratch_floats(chunkM, chunkN, chunkK)]);
          this.run(['matmul',
            this.offset(a) + bytes * start * (cut === 'rows' ? aRow : cut === 'terms' ? aColumn : 0), aRow, aColumn,
            this.offset(b) + bytes * start * (cut === 'columns' ? bColumn : cut === 'terms' ? bRow : 0), bRow, bColumn,
            this.offset(c) + bytes * start * (cut === 'rows' ? n : cut === 'columns' ? 1 : 0), n, chunkM, chunkN, chunkK, this.offset(scratch),
          ]);
          this.free(scratch);
          return c;
        });
        if (cut === 'terms') product.outputs.push(work.result);
        product.chunks.push(work.calls);
        product.temporaries.push(...work.temporaries);
        start += size;
      }
    } catch (error) {
      for (const info of [...product.outputs, ...product.temporaries]) this.free(info);
      throw error;
    }
    return product;
  }

  /**
   * One Adam step over parameter p with gradient g and moments m, v (float32, one
   * size): [p', m', v'] as new tensors, with adam.ts's arithmetic in one pass.
   */
  adamStep(p: TensorInfo, g: TensorInfo, m: TensorInfo, v: TensorInfo, coefficients: AdamCoefficients): [TensorInfo, TensorInfo, TensorInfo] {
    const size = p.shape.reduce((a, b) => a * b, 1);
    for (const [name, info] of Object.entries({ g, m, v })) {
      if (info.dtype !== 'float32' || info.shape.reduce((a, b) => a * b, 1) !== size) {
        throw new Error(`SIMD Adam step: ${name} must be float32 with ${size} values like the parameter, got ${info.dtype} [${info.shape}]`);
      }
    }
    const outputs = [this.allocate(p.shape), this.allocate(p.shape), this.allocate(p.shape)] as [TensorInfo, TensorInfo, TensorInfo];
    const { keep1, add1, keep2, add2, correction2, eps, stepSize } = coefficients;
    this.run(['adam_step',
      this.offset(p), this.offset(g), this.offset(m), this.offset(v), this.offset(outputs[0]), this.offset(outputs[1]), this.offset(outputs[2]),
      size, keep1, add1, keep2, add2, correction2, eps, stepSize,
    ]);
    return outputs;
  }
}

/**
 * How a rank-2 product [m, k] x [k, n] is cut over threads: by its terms when k
 * dwarfs the result (each chunk packs its share of both operands, and the partial
 * products to add are small), else along the result's longer side (each chunk
 * packs only its columns of b, or its rows of a).
 */
export type ProductCut = 'rows' | 'columns' | 'terms';

export function productCut(m: number, n: number, k: number): ProductCut {
  if (k >= 8 * Math.max(m, n)) return 'terms';
  return n >= m ? 'columns' : 'rows';
}

/** Chunk sizes along a cut are multiples of this (the 4x8 register block), but for the last. */
export const CUT_ALIGNMENT: Record<ProductCut, number> = { rows: 4, columns: 8, terms: 1 };

/** A product recorded in chunks (SimdKernels.recordMatMul). */
export interface RecordedProduct {
  outputs: TensorInfo[];
  chunks: KernelCall[][];
  temporaries: TensorInfo[];
}

/** The scalars of one Adam step (see agents/nets/adam.ts), as numbers the caller computed in float64. */
export interface AdamCoefficients {
  keep1: number;
  add1: number;
  keep2: number;
  add2: number;
  correction2: number;
  eps: number;
  stepSize: number;
}
