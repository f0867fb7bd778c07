/**
 * The kernels this project adds to tfjs's wasm backend so that a conv net trains on
 * it, fast (see wasm_conv.ts for the maths and simd_threads.ts for the threads):
 * - Conv2DBackpropFilter, which tfjs-backend-wasm 4.22 lacks entirely;
 * - Conv2DBackpropInput, replacing wasm's own, which is ~20x slower than its forward conv;
 * - Conv2D and FusedConv2D on the SIMD kernels where they apply, else wasm's own.
 * - UnsortedSegmentSum, the gradient of gather (wasm has none), a plain loop over the heap.
 * - Sum over leading axes (a bias gradient: [N, H, W, C] -> [C]): wasm's Sum first
 *   transposes the reduced axes to the end, a full copy of the tensor; summing whole
 *   rows in place skips it. Other reductions go to wasm's own Sum.
 * - BatchMatMul on the project's SIMD product (simd_kernels.ts), which takes
 *   transposed operands at no cost: wasm runs those in a plain loop 8-20x slower
 *   than its XNNPACK product.
 * - Identity sharing its input's memory (as the cpu backend's does) instead of
 *   copying it: tfjs clones every tensor a custom gradient saves for the backward
 *   pass through Identity, so the encoder's activations were copied once more.
 * - ReluBiasGradient (this project's own kernel, see reluBiasGradient): the ReLU's
 *   backprop fused with the bias gradient, one pass instead of Step + Multiply + a sum.
 * - AdamStep (this project's own kernel): one Adam step per parameter in one pass
 *   instead of a dozen element-wise ops (agents/nets/adam.ts).
 * Where the SIMD kernels compute a conv, a conv gradient or a product of at least
 * SPLIT_MIN_MACS per thread, it is cut into chunks (convs along the batch, products
 * by rows, columns or terms) that the main thread and worker threads take in turn
 * when threads > 1; everything else runs on the main thread.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { splitAligned, type SimdThreads } from './simd_threads.ts';
import { CUT_ALIGNMENT, productCut, simdConvMethod, simdMatMulApplies, type AdamCoefficients } from './simd_kernels.ts';
import { WasmConvMath, convGeometry, convMacs, type ConvAttributes, type KernelFunction, type TensorInfo } from './wasm_conv.ts';

/**
 * Below this many multiply-accumulates per thread a conv or product is not split:
 * at ~10 GMAC/s that is ~0.4 ms of work per thread, against some 20-50 us to record
 * the chunks and hand them over (no tensor is copied). The quick preset's update
 * (batch 32, 16 filters, 56x56) splits its convs at this size: 68 ms per update
 * against 87 with the earlier 30M (median of 10 rounds, alternating in one process,
 * 2 threads). The actor's batch-of-one convs stay on the main thread (a batch is
 * split only if it has an item per thread).
 */
export const SPLIT_MIN_MACS = 4e6;

/**
 * Chunks per thread of a split product: each chunk packs only its share of the
 * operand it cuts, so more chunks cost little beyond the other operand's packing.
 * Measured on 2 threads, in one process against the earlier fixed halves (rows of
 * a, or terms for a^T b), median of 10 rounds: the critic MLP's [128, 1024]^T
 * [128, 1024] 8.6 ms against 15.9, the encoder head's [128, 39200]^T [128, 50] 21.6
 * against 35.6, [128, 1024] [1024, 1024] 9.2 against 10.2; one chunk per thread
 * was in between.
 */
export const PRODUCT_CHUNKS_PER_THREAD = 2;

/**
 * Chunks per thread of a split conv or conv gradient: threads take chunks until
 * none is left, so a slower core does less (simd_threads.ts). Each chunk redoes only
 * a filter transform, small next to its share of a batch of 128. Measured in a
 * SAC+CURL update at batch 128 on 2 threads, alternating in one process (12
 * rounds): 1514 ms median with 8 chunks per thread against 1676 with 1 (8 faster in
 * 9 rounds); 4 and 8 were within noise of each other, 16 slower.
 */
export const CONV_CHUNKS_PER_THREAD = 8;

/** How many chunks a split conv of this batch runs in. */
function convChunks(batch: number): number {
  return Math.min(batch, CONV_CHUNKS_PER_THREAD * threads!.threads);
}

interface KernelArguments {
  inputs: Record<string, TensorInfo | undefined>;
  backend: BackendWasm;
  attrs: Record<string, unknown>;
}

let installed = false;
let threads: SimdThreads | null = null;
let originalConv2D: KernelFunction;
let originalFusedConv2D: KernelFunction;
const mathByBackend = new WeakMap<BackendWasm, WasmConvMath>();

function mathFor(backend: BackendWasm): WasmConvMath {
  let math = mathByBackend.get(backend);
  if (!math) {
    math = new WasmConvMath(backend, originalConv2D);
    mathByBackend.set(backend, math);
  }
  return math;
}

function required(args: KernelArguments, kernel: string, name: string): TensorInfo {
  const input = args.inputs[name];
  if (input == null) throw new Error(`${kernel} on wasm: input '${name}' is missing`);
  return input;
}

/** Whether a conv of `info`'s size is worth splitting over the threads (whose workers run only the SIMD kernels: see simdConvMethod). */
function shouldSplit(info: tf.backend_util.Conv2DInfo): boolean {
  if (threads == null || simdConvMethod(info) === null) return false;
  return info.batchSize >= threads.threads && convMacs(info) / threads.threads >= SPLIT_MIN_MACS;
}

function forwardKernel(original: () => KernelFunction) {
  return (args: KernelArguments): TensorInfo => {
    const math = mathFor(args.backend);
    const run = (inputs: Record<string, TensorInfo | undefined>, out: TensorInfo | null = null) => math.forward(inputs, args.attrs, original(), out);
    const info = math.forwardBySimd(args.inputs, args.attrs);
    if (info === null || !shouldSplit(info)) return run(args.inputs);
    return threads!.run(
      math,
      { x: args.inputs.x! },
      (slices, out) => run({ ...args.inputs, x: slices.x }, out),
      (count) => [count, info.outHeight, info.outWidth, info.outChannels],
      'concat',
      convChunks(info.batchSize),
    );
  };
}

function inputGradientKernel(args: KernelArguments): TensorInfo {
  const dy = required(args, 'Conv2DBackpropInput', 'dy');
  const filter = required(args, 'Conv2DBackpropInput', 'filter');
  const attrs = args.attrs as unknown as ConvAttributes & { inputShape: number[] };
  const math = mathFor(args.backend);
  const info = convGeometry(attrs.inputShape, filter.shape, attrs);
  const gradientConv = math.inputGradientConv(info);
  if (gradientConv === null || !shouldSplit(gradientConv)) return math.inputGradient(dy, filter, attrs.inputShape, attrs);
  return threads!.run(
    math,
    { dy },
    (slices, out) => math.inputGradient(slices.dy, filter, [slices.dy.shape[0], ...attrs.inputShape.slice(1)], attrs, out),
    (count) => [count, ...attrs.inputShape.slice(1)],
    'concat',
    convChunks(info.batchSize),
  );
}

function filterGradientKernel(args: KernelArguments): TensorInfo {
  const x = required(args, 'Conv2DBackpropFilter', 'x');
  const dy = required(args, 'Conv2DBackpropFilter', 'dy');
  const attrs = args.attrs as unknown as ConvAttributes & { filterShape: number[] };
  const math = mathFor(args.backend);
  const info = convGeometry(x.shape, attrs.filterShape, attrs);
  if (!shouldSplit(info)) return math.filterGradient(x, dy, attrs.filterShape, attrs);
  return threads!.run(
    math,
    { x, dy },
    (slices) => math.filterGradient(slices.x, slices.dy, attrs.filterShape, attrs),
    () => attrs.filterShape,
    'sum',
    convChunks(info.batchSize),
  );
}

/** out[segmentIds[i], ...] += x[i, ...]; ids outside [0, numSegments) are dropped, as in TensorFlow. */
function unsortedSegmentSumKernel(args: KernelArguments): TensorInfo {
  const x = required(args, 'UnsortedSegmentSum', 'x');
  const segmentIds = required(args, 'UnsortedSegmentSum', 'segmentIds');
  const numSegments = Number(args.attrs.numSegments);
  if (!Number.isInteger(numSegments) || numSegments < 0) {
    throw new Error(`UnsortedSegmentSum on wasm: numSegments must be a non-negative integer, got ${args.attrs.numSegments}`);
  }
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new Error(`UnsortedSegmentSum on wasm: x must be float32 or int32, got ${x.dtype}`);
  }
  const rows = tf.util.sizeFromShape(segmentIds.shape);
  const rest = x.shape.slice(segmentIds.shape.length);
  const width = tf.util.sizeFromShape(rest);
  const out = args.backend.makeOutput([numSegments, ...rest], x.dtype);
  const target = args.backend.typedArrayFromHeap(out);
  const source = args.backend.typedArrayFromHeap(x);
  const ids = args.backend.typedArrayFromHeap(segmentIds);
  target.fill(0);
  for (let row = 0; row < rows; row++) {
    const id = ids[row];
    if (id < 0 || id >= numSegments) continue;
    for (let i = 0, s = row * width, t = id * width; i < width; i++) target[t + i] += source[s + i];
  }
  return out;
}

/** Sum over axes 0..k-1 of a float32 tensor, rows added in order into float64 accumulators. */
function leadingAxesSum(original: KernelFunction) {
  return (args: KernelArguments): TensorInfo => {
    const x = required(args, 'Sum', 'x');
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(args.attrs.axis as number | number[], x.shape).sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < rank && axes.every((axis, i) => axis === i);
    if (!leading || x.dtype !== 'float32') return original(args as Parameters<KernelFunction>[0]);
    const kept = x.shape.slice(axes.length);
    const width = tf.util.sizeFromShape(kept);
    const rows = tf.util.sizeFromShape(x.shape.slice(0, axes.length));
    const outShape = args.attrs.keepDims ? [...axes.map(() => 1), ...kept] : kept;
    const out = args.backend.makeOutput(outShape, 'float32');
    const source = args.backend.typedArrayFromHeap(x);
    const totals = new Float64Array(width);
    for (let row = 0, offset = 0; row < rows; row++, offset += width) {
      for (let i = 0; i < width; i++) totals[i] += source[offset + i];
    }
    (args.backend.typedArrayFromHeap(out) as Float32Array).set(totals);
    return out;
  };
}

/**
 * A new tensor on the same memory (reference counted, like Reshape's output).
 * Sound because no wasm kernel, and nothing in this project, writes into an
 * existing tensor: every op, Variable.assign included, makes a new buffer.
 */
function sharedIdentity(original: KernelFunction) {
  return (args: KernelArguments): TensorInfo => {
    const x = required(args, 'Identity', 'x');
    if (x.dtype === 'string') return original(args as Parameters<KernelFunction>[0]);
    args.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/**
 * float32 products of rank 2 or 3 (batch equal or 1) on the project's SIMD kernel,
 * transposed operands included; anything else (other dtypes, other batch shapes) on
 * wasm's own. A large rank-2 product is cut over the threads by rows, columns or
 * terms (productCut), in chunks the threads take in turn.
 */
function simdMatMul(original: KernelFunction) {
  return (args: KernelArguments): TensorInfo => {
    const a = required(args, 'BatchMatMul', 'a');
    const b = required(args, 'BatchMatMul', 'b');
    const transposeA = args.attrs.transposeA === true;
    const transposeB = args.attrs.transposeB === true;
    if (!simdMatMulApplies(a, b)) return original(args as Parameters<KernelFunction>[0]);
    const math = mathFor(args.backend);
    const simd = math.simd();
    if (threads == null || a.shape.length !== 2 || b.shape.length !== 2) return simd.matMul(a, b, transposeA, transposeB);
    const [m, k] = transposeA ? [a.shape[1], a.shape[0]] : a.shape;
    const n = transposeB ? b.shape[0] : b.shape[1];
    const cut = productCut(m, n, k);
    const length = cut === 'rows' ? m : cut === 'columns' ? n : k;
    if ((m * n * k) / threads.threads < SPLIT_MIN_MACS || length < threads.threads * CUT_ALIGNMENT[cut]) return simd.matMul(a, b, transposeA, transposeB);
    return threads.runProduct(math, simd.recordMatMul(a, b, transposeA, transposeB, cut, splitAligned(length, PRODUCT_CHUNKS_PER_THREAD * threads.threads, CUT_ALIGNMENT[cut])));
  };
}

/** Name of the fused kernel below; registered for wasm only (other backends use tf ops). */
export const RELU_BIAS_GRADIENT = 'RadReluBiasGradient';

/**
 * For y = relu(z) with z = conv(x, W) + b (channels last) and the upstream gradient
 * dy: g = dy * 1[y > 0] (dL/dz) and the sum of g over every axis but the last
 * (dL/db), in one SIMD pass with float64 accumulators (simd_kernels.ts). Measured at
 * [128, 37, 37, 32]: Step + Multiply + a product with a row of ones took ~45 ms
 * (XNNPACK packs the [N*H*W, 32] operand before the product), a plain loop ~10 ms.
 */
function reluBiasGradientKernel(args: KernelArguments): TensorInfo[] {
  const dy = required(args, RELU_BIAS_GRADIENT, 'dy');
  const y = required(args, RELU_BIAS_GRADIENT, 'y');
  if (dy.dtype !== 'float32' || y.dtype !== 'float32' || !tf.util.arraysEqual(dy.shape, y.shape) || y.shape.length < 1) {
    throw new Error(`${RELU_BIAS_GRADIENT} on wasm: dy and y must be float32 tensors of one shape, got ${dy.dtype} [${dy.shape}] and ${y.dtype} [${y.shape}]`);
  }
  return mathFor(args.backend).simd().reluBiasGradient(dy, y);
}

/** Name of the fused Adam step below; registered for wasm only (adam.ts uses tf ops elsewhere). */
export const ADAM_STEP = 'RadAdamStep';

/** [p', m', v'] of one Adam step (agents/nets/adam.ts) in one SIMD pass; the scalars come as attributes. */
function adamStepKernel(args: KernelArguments): TensorInfo[] {
  const [p, g, m, v] = ['p', 'g', 'm', 'v'].map((name) => required(args, ADAM_STEP, name));
  return mathFor(args.backend).simd().adamStep(p, g, m, v, args.attrs as unknown as AdamCoefficients);
}

function replaceKernel(kernelName: string, kernelFunc: (args: KernelArguments) => TensorInfo | TensorInfo[]): void {
  const existing = tf.getKernel(kernelName, 'wasm');
  if (existing != null) tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({
    kernelName,
    backendName: 'wasm',
    // Keep the original's setup (its cwrap of the C++ function) for a re-initialised backend.
    setupFunc: existing?.setupFunc,
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
  });
}

/**
 * Registers the kernels above for backend 'wasm' (once; later calls only change the
 * threads). Needs the wasm package loaded, so that its own kernels can be wrapped.
 */
export function installWasmKernels(simdThreads: SimdThreads | null): void {
  threads = simdThreads;
  if (installed) return;
  const conv = tf.getKernel('Conv2D', 'wasm');
  const fused = tf.getKernel('FusedConv2D', 'wasm');
  if (conv == null || fused == null) {
    throw new Error('installWasmKernels: the wasm backend kernels are not registered; import @tensorflow/tfjs-backend-wasm first');
  }
  originalConv2D = conv.kernelFunc as unknown as KernelFunction;
  originalFusedConv2D = fused.kernelFunc as unknown as KernelFunction;
  replaceKernel('Conv2D', forwardKernel(() => originalConv2D));
  replaceKernel('FusedConv2D', forwardKernel(() => originalFusedConv2D));
  replaceKernel('Conv2DBackpropInput', inputGradientKernel);
  replaceKernel('Conv2DBackpropFilter', filterGradientKernel);
  if (tf.getKernel('UnsortedSegmentSum', 'wasm') == null) replaceKernel('UnsortedSegmentSum', unsortedSegmentSumKernel);
  const sum = tf.getKernel('Sum', 'wasm');
  if (sum != null) replaceKernel('Sum', leadingAxesSum(sum.kernelFunc as unknown as KernelFunction));
  replaceKernel(RELU_BIAS_GRADIENT, reluBiasGradientKernel);
  replaceKernel(ADAM_STEP, adamStepKernel);
  const matMul = tf.getKernel('BatchMatMul', 'wasm');
  if (matMul != null) replaceKernel('BatchMatMul', simdMatMul(matMul.kernelFunc as unknown as KernelFunction));
  const identity = tf.getKernel('Identity', 'wasm');
  if (identity != null) replaceKernel('Identity', sharedIdentity(identity.kernelFunc as unknown as KernelFunction));
  installed = true;
}

/** The threads the kernels currently use (1 = main thread only) and how many kernels they split so far. */
export function threadStats(): { threads: number; splitRuns: number } {
  return { threads: threads?.threads ?? 1, splitRuns: threads?.splitRuns ?? 0 };
}
