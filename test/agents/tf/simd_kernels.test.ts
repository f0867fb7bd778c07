/**
 * The project's SIMD kernels (agents/tf/simd_kernels.ts): that the wasm backend's
 * convs and filter gradients take them where they apply, and that they agree with
 * the cpu backend's direct convs on shapes that exercise every edge: for Winograd,
 * partial 4x4 patches, zero padding on every side, a last partial block of patches;
 * for patches, strides 1 and 2, 'same' padding, filters 1x1 to 5x5, channel counts
 * that are not multiples of 4; batch 1 and 7.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Random } from '../../../common/random.ts';
import { setupBackend } from '../../../agents/tf/backend.ts';
import { Adam } from '../../../agents/nets/adam.ts';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { SimdKernels, instantiateKernels, productCut, runKernelCall, simdConvMethod, wasmMemory } from '../../../agents/tf/simd_kernels.ts';
import { WasmConvMath, type KernelFunction } from '../../../agents/tf/wasm_conv.ts';
import { wasmBinaryFolder, withSharedMemory } from '../../../agents/tf/wasm_loader.ts';
import { RELU_BIAS_GRADIENT } from '../../../agents/tf/wasm_kernels.ts';
import { relativeError } from '../fixtures.ts';
import { itIsWhatBuildShMakes } from '../../wasm_build.ts';

type Padding = 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];

/** The conv, the fused conv (bias + ReLU) and the gradients of both, from plain arrays, on one backend. */
async function convAndGradients(backend: 'wasm' | 'cpu', x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D, stride: number, pad: Padding): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const [a, w, b] = [tf.tensor(x.dataSync(), x.shape), tf.tensor(filter.dataSync(), filter.shape), tf.tensor(bias.dataSync(), bias.shape)];
    const conv = (input: tf.Tensor, weights: tf.Tensor) => tf.conv2d(input as tf.Tensor4D, weights as tf.Tensor4D, stride, pad);
    // A non-uniform upstream gradient: each output weighted by a fixed pattern.
    const loss = (input: tf.Tensor, weights: tf.Tensor) => {
      const y = conv(input, weights);
      return tf.sum(tf.mul(y, tf.sin(tf.reshape(tf.range(0, y.size), y.shape))));
    };
    const fusedLoss = (input: tf.Tensor, weights: tf.Tensor, offsets: tf.Tensor) =>
      tf.sum(tf.square(tf.fused.conv2d({ x: input as tf.Tensor4D, filter: weights as tf.Tensor4D, strides: stride, pad, bias: offsets, activation: 'relu' })));
    const outputs = [conv(a, w), ...tf.grads(loss)([a, w]), ...tf.grads(fusedLoss)([a, w, b])];
    return outputs.map((t) => t.dataSync().slice() as Float32Array);
  });
}

beforeAll(async () => {
  await setupBackend('wasm', { threads: 1 });
});

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(async () => {
  await tf.setBackend('wasm');
});

describe('simdConvMethod', () => {
  const info = (filter: number, stride: number, inChannels: number, outChannels: number, dilation = 1) =>
    tf.backend_util.computeConv2DInfo([2, 12, 12, inChannels], [filter, filter, inChannels, outChannels], stride, dilation, 'valid');
  it('takes 3x3 stride-1 convs with input channels in 4s and output channels in 8s by Winograd', () => {
    expect(simdConvMethod(info(3, 1, 32, 32))).toBe('winograd');
    expect(simdConvMethod(info(3, 1, 4, 8))).toBe('winograd');
  });
  it('takes other convs with output channels in 8s by patches', () => {
    expect(simdConvMethod(info(3, 2, 9, 32))).toBe('patches'); // the encoder's first layer
    expect(simdConvMethod(info(5, 1, 32, 32))).toBe('patches');
    expect(simdConvMethod(info(3, 1, 9, 32))).toBe('patches');
  });
  it('leaves output channels not in 8s and dilated convs to XNNPACK', () => {
    expect(simdConvMethod(info(3, 1, 32, 12))).toBe(null);
    expect(simdConvMethod(info(3, 1, 32, 32, 2))).toBe(null);
  });
});

describe('SIMD convs on wasm match the cpu backend', () => {
  const rng = Random.derive(20261127, 'simd-convs');
  const cases: { batch: number; height: number; width: number; size: number; stride: number; inChannels: number; outChannels: number; pad: Padding }[] = [
    // Winograd
    { batch: 1, height: 6, width: 6, size: 3, stride: 1, inChannels: 4, outChannels: 8, pad: 'valid' }, // one whole 4x4 patch
    { batch: 7, height: 9, width: 13, size: 3, stride: 1, inChannels: 8, outChannels: 16, pad: 'valid' }, // partial patches on both edges
    { batch: 1, height: 11, width: 5, size: 3, stride: 1, inChannels: 32, outChannels: 32, pad: 'same' },
    { batch: 7, height: 10, width: 7, size: 3, stride: 1, inChannels: 12, outChannels: 8, pad: 'same' }, // 7 x 9 = 63 patches: a partial last block
    { batch: 3, height: 8, width: 9, size: 3, stride: 1, inChannels: 4, outChannels: 24, pad: [[0, 0], [2, 0], [1, 3], [0, 0]] },
    // Patches
    { batch: 7, height: 15, width: 12, size: 3, stride: 2, inChannels: 9, outChannels: 32, pad: 'valid' }, // the encoder's first layer
    { batch: 1, height: 9, width: 10, size: 3, stride: 2, inChannels: 3, outChannels: 8, pad: 'same' },
    { batch: 7, height: 8, width: 7, size: 5, stride: 1, inChannels: 5, outChannels: 16, pad: 'same' },
    { batch: 2, height: 6, width: 5, size: 1, stride: 2, inChannels: 6, outChannels: 8, pad: 'valid' },
    { batch: 1, height: 7, width: 9, size: 2, stride: 1, inChannels: 4, outChannels: 8, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  ];
  it.each(cases)('batch $batch, $height x $width x $inChannels -> $outChannels, $size x $size stride $stride, $pad', async ({ batch, height, width, size, stride, inChannels, outChannels, pad }) => {
    const forward = vi.spyOn(SimdKernels.prototype, 'convForward');
    const filterGradient = vi.spyOn(SimdKernels.prototype, 'convFilterGradient');
    const x = tf.randomNormal([batch, height, width, inChannels], 0, 1, 'float32', rng.int(1e9)) as tf.Tensor4D;
    const filter = tf.randomNormal([size, size, inChannels, outChannels], 0, 1, 'float32', rng.int(1e9)) as tf.Tensor4D;
    const bias = tf.randomNormal([outChannels], 0, 1, 'float32', rng.int(1e9)) as tf.Tensor1D;
    const wasm = await convAndGradients('wasm', x, filter, bias, stride, pad);
    const cpu = await convAndGradients('cpu', x, filter, bias, stride, pad);
    await tf.setBackend('wasm');
    tf.dispose([x, filter, bias]);
    // At least the conv and the fused conv forward, and the filter gradient of each.
    expect(forward.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect(filterGradient).toHaveBeenCalledTimes(2);
    for (const [index, values] of wasm.entries()) expect(relativeError(values, cpu[index]), `output ${index}`).toBeLessThanOrEqual(1e-5);
  });

  it('leaves no tensor and no wasm buffer behind', async () => {
    const x = tf.randomNormal([2, 9, 9, 8]) as tf.Tensor4D;
    const filter = tf.randomNormal([3, 3, 8, 8]) as tf.Tensor4D;
    const before = tf.memory();
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const buffersBefore = backend.numDataIds();
    tf.tidy(() => {
      tf.grads((a: tf.Tensor, w: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')))([x, filter]);
    });
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(backend.numDataIds()).toBe(buffersBefore);
    tf.dispose([x, filter]);
  });
});

describe('matrix products on wasm match the cpu backend', () => {
  const rng = Random.derive(11, 'simd-matmul');
  // Edges of the 4x8 blocks and of the 256-term and 128-row blocks; both transposes; batches.
  const cases: { a: number[]; b: number[]; transposeA: boolean; transposeB: boolean }[] = [
    { a: [1, 1], b: [1, 1], transposeA: false, transposeB: false },
    { a: [5, 3], b: [3, 9], transposeA: false, transposeB: false },
    { a: [9, 300], b: [300, 17], transposeA: false, transposeB: false },
    { a: [300, 130], b: [300, 8], transposeA: true, transposeB: false },
    { a: [7, 40], b: [50, 40], transposeA: false, transposeB: true },
    { a: [260, 6], b: [13, 260], transposeA: true, transposeB: true },
    { a: [3, 4, 5], b: [3, 5, 6], transposeA: false, transposeB: false },
    { a: [1, 5, 4], b: [2, 6, 5], transposeA: true, transposeB: true }, // a broadcast over b's batch
  ];
  it.each(cases)('$a x $b, transposes $transposeA $transposeB', async ({ a, b, transposeA, transposeB }) => {
    const product = vi.spyOn(SimdKernels.prototype, 'matMul');
    const values = (shape: number[]) => rng.fillNormal(new Float32Array(shape.reduce((x, y) => x * y, 1))) as Float32Array;
    const [aValues, bValues] = [values(a), values(b)];
    const run = async (backend: 'wasm' | 'cpu') => {
      await tf.setBackend(backend);
      return tf.tidy(() => tf.matMul(tf.tensor(aValues, a), tf.tensor(bValues, b), transposeA, transposeB).dataSync().slice() as Float32Array);
    };
    const wasm = await run('wasm');
    const cpu = await run('cpu');
    await tf.setBackend('wasm');
    expect(product).toHaveBeenCalledTimes(1);
    expect(relativeError(wasm, cpu)).toBeLessThanOrEqual(1e-6);
  });
});

describe('the fused ReLU and bias gradient', () => {
  it.each([32, 6])('gives g = dy * 1[y > 0] and float64 row-by-row sums over %i channels, bit for bit', (channels) => {
    const rng = Random.derive(5, `relu-bias-${channels}`);
    const shape = [3, 5, 7, channels];
    const size = shape.reduce((a, b) => a * b, 1);
    const dyValues = rng.fillNormal(new Float32Array(size)) as Float32Array;
    const yValues = rng.fillNormal(new Float32Array(size)) as Float32Array;
    const expectedG = new Float32Array(size);
    const sums = new Float64Array(channels);
    for (let i = 0; i < size; i++) {
      expectedG[i] = dyValues[i] * (yValues[i] > 0 ? 1 : 0);
      sums[i % channels] += expectedG[i];
    }
    const [g, bias] = tf.tidy(() => tf.engine().runKernel(RELU_BIAS_GRADIENT, { dy: tf.tensor(dyValues, shape), y: tf.tensor(yValues, shape) }, {}) as tf.Tensor[]);
    expect(Array.from(g.dataSync())).toEqual(Array.from(expectedG));
    expect(Array.from(bias.dataSync())).toEqual(Array.from(Float32Array.from(sums)));
    tf.dispose([g, bias]);
  });
});

describe('the fused Adam step', () => {
  it('gives the bits of the tensor-op Adam (cpu backend) over 3 steps, in one kernel per parameter', async () => {
    const rng = Random.derive(12, 'adam');
    const sizes = { w: [37, 5], b: [3] }; // 185 values: a scalar tail after the vectors
    const initial = Object.fromEntries(Object.entries(sizes).map(([name, shape]) => [name, rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1))) as Float32Array]));
    const gradients = [0, 1, 2].map(() => Object.fromEntries(Object.entries(initial).map(([name, values]) => [name, rng.fillNormal(new Float32Array(values.length)) as Float32Array])));
    const run = async (backend: 'wasm' | 'cpu') => {
      await tf.setBackend(backend);
      const parameters = new Map(Object.entries(sizes).map(([name, shape]) => [name, tf.variable(tf.tensor(initial[name], shape))]));
      const adam = new Adam(parameters, { lr: 1e-3, beta1: 0.5 });
      for (const step of gradients) {
        tf.tidy(() => adam.step(new Map(Object.entries(sizes).map(([name, shape]) => [name, tf.tensor(step[name], shape)]))));
      }
      const state = adam.getState();
      const result = [...parameters.values()].map((p) => p.dataSync().slice() as Float32Array).concat(Object.values(state));
      adam.dispose();
      parameters.forEach((p) => p.dispose());
      return result;
    };
    const fused = vi.spyOn(SimdKernels.prototype, 'adamStep');
    const wasm = await run('wasm');
    expect(fused).toHaveBeenCalledTimes(3 * 2);
    const cpu = await run('cpu');
    await tf.setBackend('wasm');
    expect(wasm.length).toBe(cpu.length);
    for (const [i, values] of wasm.entries()) expect(Array.from(values), `array ${i}`).toEqual(Array.from(cpu[i]));
  });
});

describe('kernels.wasm', () => {
  itIsWhatBuildShMakes(fileURLToPath(new URL('../../../agents/tf/simd/', import.meta.url)), 'kernels.wasm');
});

describe('recording kernel calls for a worker thread', () => {
  beforeEach(async () => {
    await tf.setBackend('wasm');
  });

  const math = () => {
    const backend = tf.backend() as unknown as BackendWasm;
    const conv = tf.getKernel('Conv2D', 'wasm')!.kernelFunc as unknown as KernelFunction;
    return new WasmConvMath(backend, conv);
  };

  it('records the calls instead of running them, keeps freed buffers until asked, and the calls then give the direct result', () => {
    const wasmMath = math();
    const simd = wasmMath.simd();
    const x = tf.randomNormal([2, 9, 9, 8]);
    const filter = tf.randomNormal([3, 3, 8, 16]);
    const info = tf.backend_util.computeConv2DInfo([2, 9, 9, 8], [3, 3, 8, 16], 1, 1, 'same');
    const [xInfo, filterInfo] = [x, filter].map((t) => ({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }));
    const direct = simd.convForward(xInfo, filterInfo, null, false, info);
    const buffers = wasmMath.backend.numDataIds();
    const work = simd.record(() => simd.convForward(xInfo, filterInfo, null, true, info));
    expect(work.calls.map(([name]) => name)).toEqual(['filter_transform', 'forward']);
    // The transformed filter and the scratch are kept, not freed, while the calls wait.
    expect(work.temporaries).toHaveLength(2);
    expect(wasmMath.backend.numDataIds()).toBe(buffers + 3);
    expect(simd.recordingNow).toBe(false);
    const kernels = instantiateKernels(wasmMemory(wasmMath.backend));
    for (const call of work.calls) runKernelCall(kernels, call);
    const relu = wasmMath.view(direct).map((v) => Math.max(v, 0));
    expect(Array.from(wasmMath.view(work.result))).toEqual(Array.from(relu));
    for (const info of [...work.temporaries, work.result, direct]) wasmMath.free(info);
    expect(wasmMath.backend.numDataIds()).toBe(buffers - 1);
    tf.dispose([x, filter]);
  });

  it('refuses work that only the main thread can do (an XNNPACK conv), and frees what the body had kept', () => {
    const wasmMath = math();
    const x = tf.randomNormal([2, 9, 9, 8]);
    const filter = tf.randomNormal([3, 3, 8, 12]); // 12 output channels: XNNPACK's
    const [xInfo, filterInfo] = [x, filter].map((t) => ({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }));
    const buffers = wasmMath.backend.numDataIds();
    expect(() => wasmMath.simd().record(() => wasmMath.conv(xInfo, filterInfo, 1, 'same'))).toThrow(/cannot run on a worker thread/);
    expect(() => wasmMath.simd().record(() => wasmMath.simd().record(() => 0))).toThrow(/already recording/);
    expect(wasmMath.backend.numDataIds()).toBe(buffers);
    tf.dispose([x, filter]);
  });
});

describe('productCut', () => {
  it('cuts by terms where k dwarfs the result, else along the result\'s longer side', () => {
    expect(productCut(128, 50, 39200)).toBe('terms');
    expect(productCut(39200, 50, 128)).toBe('rows');
    expect(productCut(128, 1024, 1024)).toBe('columns');
    expect(productCut(1024, 1024, 128)).toBe('columns');
  });

  it('refuses chunks that do not cover the cut side', () => {
    const simd = new SimdKernels(tf.findBackend('wasm') as unknown as BackendWasm);
    const a = { dataId: {}, shape: [8, 16], dtype: 'float32' as const };
    const b = { dataId: {}, shape: [16, 24], dtype: 'float32' as const };
    expect(() => simd.recordMatMul(a, b, false, false, 'columns', [8, 8])).toThrow(/SIMD matMul by columns: .* cut into chunks summing to 24; got .* and chunks \[8,8\]/);
  });
});

describe('the wasm heap in shared memory', () => {
  const binary = readFileSync(join(wasmBinaryFolder(), 'tfjs-backend-wasm-simd.wasm'));

  it('is the SIMD binary with one flag byte changed: its memory made shared', () => {
    const shared = withSharedMemory(binary, 'simd.wasm');
    const changed = [...shared.keys()].filter((i) => shared[i] !== binary[i]);
    expect(changed).toHaveLength(1);
    expect(shared[changed[0]]).toBe(binary[changed[0]] | 2);
    expect(WebAssembly.validate(shared)).toBe(true);
    expect(wasmMemory(tf.findBackend('wasm') as unknown as BackendWasm).buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('refuses what it cannot patch in place, naming the file and what it expected', () => {
    expect(() => withSharedMemory(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), 'x.wasm')).toThrow(/x\.wasm: not a WebAssembly binary; expected tfjs-backend-wasm/);
    const noMemory = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    expect(() => withSharedMemory(noMemory, 'empty.wasm')).toThrow(/empty\.wasm: it defines no memory/);
    // A memory section (5) of one memory without a maximum (flags 0, minimum 1).
    const unbounded = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 3, 1, 0, 1]);
    expect(() => withSharedMemory(unbounded, 'unbounded.wasm')).toThrow(/unbounded\.wasm: its memory has limits flags 0/);
  });

  it('is required by the SIMD kernels, with a message that says how to start the backend', () => {
    const plain = { wasm: { asm: { memory: new WebAssembly.Memory({ initial: 1 }) } } } as unknown as BackendWasm;
    expect(() => wasmMemory(plain)).toThrow(/not a shared WebAssembly\.Memory: start the backend with activateWasm/);
  });
});
