/**
 * SIMD kernels split over two threads (main + one worker on the shared wasm heap)
 * give the results of one thread, the same on every run, leak nothing, and never
 * keep a process from exiting.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { setupBackend } from '../../../agents/tf/backend.ts';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { SimdThreads, splitAligned, splitBatch } from '../../../agents/tf/simd_threads.ts';
import { wasmMemory } from '../../../agents/tf/simd_kernels.ts';
import { WasmConvMath, type KernelFunction } from '../../../agents/tf/wasm_conv.ts';
import { relativeError } from '../fixtures.ts';
import { threadStats } from '../../../agents/tf/wasm_kernels.ts';
import { Random } from '../../../common/random.ts';

describe('splitBatch', () => {
  it('cuts a batch into chunks that cover it, as equal as can be, the larger first', () => {
    expect(splitBatch(128, 2)).toEqual([64, 64]);
    expect(splitBatch(7, 2)).toEqual([4, 3]);
    expect(splitBatch(10, 4)).toEqual([3, 3, 2, 2]);
    expect(splitBatch(2, 2)).toEqual([1, 1]);
    for (const [batch, parts] of [[128, 8], [512, 2], [33, 3], [5, 4]]) {
      const counts = splitBatch(batch, parts);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(batch);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
  });
});

describe('splitAligned', () => {
  it('cuts a length into at most the asked chunks, multiples of the alignment but for the last', () => {
    expect(splitAligned(1024, 4, 8)).toEqual([256, 256, 256, 256]);
    expect(splitAligned(50, 4, 8)).toEqual([16, 16, 16, 2]);
    expect(splitAligned(12, 4, 8)).toEqual([8, 4]);
    expect(splitAligned(39200, 4, 1)).toEqual([9800, 9800, 9800, 9800]);
    expect(splitAligned(7, 3, 4)).toEqual([4, 3]);
  });
});

/** Forward, input and filter gradient of one fused conv (bias + ReLU) large enough to be split. */
function convAndGradients(values: { x: Float32Array; filter: Float32Array; bias: Float32Array }): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(values.x, [6, 41, 41, 32]);
    const filter = tf.tensor4d(values.filter, [3, 3, 32, 32]);
    const bias = tf.tensor1d(values.bias);
    const forward = (a: tf.Tensor, w: tf.Tensor) =>
      tf.fused.conv2d({ x: a as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 1, pad: 'valid', bias, activation: 'relu' });
    const [dx, dw] = tf.grads((a: tf.Tensor, w: tf.Tensor) => tf.sum(tf.square(forward(a, w))))([x, filter]);
    return [forward(x, filter), dx, dw].map((t) => t.dataSync().slice() as Float32Array);
  });
}

/** Positions where two arrays differ (vitest's deep equality is slow on 300k-element arrays). */
function differences(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let count = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) count++;
  return count;
}

/**
 * `run` on one thread, then twice on two: the results, how many kernels the two
 * threads split, and how many wasm buffers they left behind. Ends on one thread.
 */
async function oneThenTwoThreads<T>(run: () => T): Promise<{ single: T; twice: [T, T]; splitRuns: number; buffersLeft: number }> {
  await setupBackend('wasm', { threads: 1 });
  const single = run();
  await setupBackend('wasm', { threads: 2 });
  const before = threadStats().splitRuns;
  const buffers = tf.backend().numDataIds();
  const twice: [T, T] = [run(), run()];
  const result = { single, twice, splitRuns: threadStats().splitRuns - before, buffersLeft: tf.backend().numDataIds() - buffers };
  await setupBackend('wasm', { threads: 1 });
  return result;
}

/**
 * A SimdThreads of two on the one-thread wasm backend, with operands a [rows, inner]
 * and b [inner, columns] of a product to split (`run` takes the infos).
 */
async function twoThreadsAndProduct(rows: number, inner: number, columns: number) {
  await setupBackend('wasm', { threads: 1 });
  const backend = tf.backend() as unknown as BackendWasm;
  const math = new WasmConvMath(backend, tf.getKernel('Conv2D', 'wasm')!.kernelFunc as unknown as KernelFunction);
  const threads = await SimdThreads.start(2, wasmMemory(backend));
  const a = tf.randomNormal([rows, inner]);
  const b = tf.randomNormal([inner, columns]);
  const [aInfo, bInfo] = [a, b].map((t) => ({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }));
  return { backend, math, threads, a, b, aInfo, bInfo };
}

describe('wasm convs on two threads', () => {
  it('match one thread, repeat exactly, and leak nothing', async () => {
    const rng = Random.derive(7, 'conv-threads');
    const values = {
      x: rng.fillNormal(new Float32Array(6 * 41 * 41 * 32)) as Float32Array,
      filter: rng.fillNormal(new Float32Array(3 * 3 * 32 * 32), 0, 0.1) as Float32Array,
      bias: rng.fillNormal(new Float32Array(32)) as Float32Array,
    };
    await setupBackend('wasm', { threads: 1 });
    const single = convAndGradients(values);

    const info = await setupBackend('wasm', { threads: 2 });
    expect(info.threads).toBe(2);
    const before = threadStats().splitRuns;
    const tensors = tf.memory().numTensors;
    const buffers = tf.backend().numDataIds();
    const first = convAndGradients(values);
    const second = convAndGradients(values);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.backend().numDataIds()).toBe(buffers);
    // Forward, input gradient and filter gradient (forward twice: once for the loss).
    expect(threadStats().splitRuns - before).toBe(2 * 4);

    // Per-item results do not depend on the split; the filter gradient sums in another order.
    expect(differences(first[0], single[0])).toBe(0);
    expect(differences(first[1], single[1])).toBe(0);
    expect(relativeError(first[2], single[2])).toBeLessThan(1e-5);
    second.forEach((values, i) => expect(differences(values, first[i])).toBe(0));
    await setupBackend('wasm', { threads: 1 });
  });

  it('keep a conv that runs on XNNPACK (12 output channels) on the main thread, which alone can run it', async () => {
    const rng = Random.derive(9, 'xnnpack-threads');
    // 12 x 39 x 39 x 12 x 9 x 32 = 63M multiply-adds: large enough to split, but not a SIMD geometry.
    const x = rng.fillNormal(new Float32Array(12 * 41 * 41 * 32)) as Float32Array;
    const filter = rng.fillNormal(new Float32Array(3 * 3 * 32 * 12)) as Float32Array;
    const conv = () => tf.tidy(() => tf.conv2d(tf.tensor4d(x, [12, 41, 41, 32]), tf.tensor4d(filter, [3, 3, 32, 12]), 1, 'valid').dataSync().slice() as Float32Array);
    const { single, twice, splitRuns, buffersLeft } = await oneThenTwoThreads(conv);
    expect(splitRuns).toBe(0);
    expect(buffersLeft).toBe(0);
    expect(differences(twice[0], single)).toBe(0);
  });

  it('cut large products by columns, rows or terms, with the results of one thread', async () => {
    const rng = Random.derive(8, 'matmul-threads');
    const values = (size: number) => rng.fillNormal(new Float32Array(size)) as Float32Array;
    // Each at least SPLIT_MIN_MACS per thread on 2 threads.
    const a = values(256 * 512);
    const b = values(512 * 512);
    const tall = values(512 * 2048);
    const thin = values(512 * 64);
    const wide = values(128 * 16384);
    const narrow = values(16384 * 40);
    const products = () =>
      tf.tidy(() => {
        const columns = tf.matMul(tf.tensor2d(a, [256, 512]), tf.tensor2d(b, [512, 512])); // n >= m: by b's columns
        const rows = tf.matMul(tf.tensor2d(tall, [512, 2048]), tf.tensor2d(thin, [512, 64]), true, false); // [2048, 64]: by rows
        const terms = tf.matMul(tf.tensor2d(wide, [128, 16384]), tf.tensor2d(narrow, [16384, 40])); // k >= 8 max(m, n): by terms
        return [columns, rows, terms].map((t) => t.dataSync().slice() as Float32Array);
      });
    const { single, twice, splitRuns, buffersLeft } = await oneThenTwoThreads(products);
    const [split, again] = twice;
    expect(splitRuns).toBe(2 * 3);
    expect(buffersLeft).toBe(0);
    // A chunk of rows or columns sums each element's terms in the one thread's order.
    expect(differences(split[0], single[0])).toBe(0);
    expect(differences(split[1], single[1])).toBe(0);
    expect(relativeError(split[2], single[2])).toBeLessThan(1e-6);
    expect(differences(again[2], split[2])).toBe(0);
  });

  it('run any number of chunks, from the thread count to the batch size, with the results of one thread', async () => {
    const { backend, math, threads, a, b, aInfo, bInfo } = await twoThreadsAndProduct(37, 64, 24);
    try {
      const single = math.simd().matMul(aInfo, bInfo, false, false);
      const buffers = backend.numDataIds();
      for (const chunks of [2, 5, 16, 37]) {
        const split = threads.run(math, { a: aInfo }, (slices, out) => math.simd().matMul(slices.a, bInfo, false, false, out), (count) => [count, 24], 'concat', chunks);
        expect(differences(math.view(split), math.view(single)), `${chunks} chunks`).toBe(0);
        math.free(split);
        expect(backend.numDataIds()).toBe(buffers);
      }
      for (const chunks of [1, 38, 2.5]) {
        expect(() => threads.run(math, { a: aInfo }, (slices, out) => math.simd().matMul(slices.a, bInfo, false, false, out), (count) => [count, 24], 'concat', chunks)).toThrow(
          new RegExp(`chunks must be an integer from the thread count \\(2\\) to the batch size \\(37\\), got ${chunks}`),
        );
      }
      math.free(single);
    } finally {
      await threads.close();
      tf.dispose([a, b]);
    }
  });

  it('refuse a job at once, naming the exit, when a worker has died since the last one', async () => {
    const { math, threads, a, b, aInfo, bInfo } = await twoThreadsAndProduct(8, 16, 4);
    try {
      // Killed from outside between jobs; before, the next job waited out the 10-minute job timeout.
      const worker = (threads as unknown as { workers: { worker: import('node:worker_threads').Worker }[] }).workers[0].worker;
      await new Promise((resolve) => {
        worker.once('exit', resolve);
        void worker.terminate();
      });
      const job = () => threads.run(math, { a: aInfo }, (slices, out) => math.simd().matMul(slices.a, bInfo, false, false, out), (count) => [count, 4], 'concat');
      expect(job).toThrow(/SIMD worker exited with code 1 between jobs; the worker threads are stopped/);
      expect(job).toThrow(/used after close/);
    } finally {
      await threads.close();
      tf.dispose([a, b]);
    }
  });

  it('let a process with a live worker exit by itself', () => {
    const fixture = fileURLToPath(new URL('./fixtures/threads_exit.ts', import.meta.url));
    const result = spawnSync(process.execPath, ['--import', new URL('../../../bin/typescript.mjs', import.meta.url).href, fixture], { encoding: 'utf8', timeout: 90_000 });
    expect(result.error).toBeUndefined();
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/threads=2 splitRuns=[1-9]\d* dw=12168 dx=288/);
  });
});
