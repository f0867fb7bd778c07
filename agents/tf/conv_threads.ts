/**
 * Runs a large conv (forward, input gradient or filter gradient) on several cores:
 * the batch is cut into fixed parts, the main thread computes the first part on its
 * own wasm backend while each worker thread (conv_worker.ts, with its own wasm
 * backend) computes one of the others, and the main thread then assembles the
 * result: batch parts side by side, or, for the filter gradient, the partial sums
 * added in worker order.
 *
 * Why like this: tfjs's wasm backend is single-threaded in Node, and a tfjs kernel
 * must return synchronously, so the main thread hands the work over through a
 * SharedArrayBuffer and blocks on Atomics.wait (allowed on Node's main thread)
 * until the workers are done. The split depends only on the batch size and the
 * thread count, and the additions happen in a fixed order, so a run is
 * deterministic for a given thread count. The workers are unref'd: they never keep
 * a process alive.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import {
  CONTROL_SLOTS,
  DONE_SLOT,
  REQUEST_SLOT,
  STATUS_SLOT,
  type ConvJob,
  type JobTensor,
  type WorkerData,
} from './conv_worker.ts';
import type { TensorInfo, WasmConvMath } from './wasm_conv.ts';

const READY_TIMEOUT_MS = 120_000;
/** A job that takes longer than this means a dead worker, not a slow one. */
const JOB_TIMEOUT_MS = 600_000;

interface ConvWorker {
  worker: Worker;
  control: Int32Array;
  port: MessagePort;
  data: Float32Array<ArrayBufferLike>;
  request: number;
}

/**
 * How much more of a batch the main thread takes than each worker: a worker's part
 * also costs two copies on its side (into its heap, and its result out), so with
 * equal parts the main thread waited for the worker. Measured in a SAC+CURL update
 * at batch 128 with 2 threads: 15.8 ms per batch item on the main thread, 18.6 on
 * the worker (copies included), a ratio of 1.18.
 */
export const MAIN_THREAD_SHARE = 1.18;

/**
 * Sizes of the batch parts, the main thread's first: in proportion to
 * MAIN_THREAD_SHARE for the main thread and 1 for each worker, rounded down, the
 * items left going to the parts with the largest fractions (ties: the first
 * parts). Depends only on its arguments.
 */
export function splitBatch(batch: number, parts: number): number[] {
  const weights = Array.from({ length: parts }, (_, i) => (i === 0 ? MAIN_THREAD_SHARE : 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const shares = weights.map((weight) => (batch * weight) / total);
  const counts = shares.map(Math.floor);
  const left = batch - counts.reduce((a, b) => a + b, 0);
  const byFraction = shares.map((share, i) => [share - Math.floor(share), i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; k < left; k++) counts[byFraction[k][1]]++;
  return counts;
}

async function startWorker(): Promise<ConvWorker> {
  const control = new SharedArrayBuffer(CONTROL_SLOTS * Int32Array.BYTES_PER_ELEMENT);
  const channel = new MessageChannel();
  const workerData: WorkerData = { control, port: channel.port2 };
  const worker = new Worker(new URL('./conv_worker_entry.mjs', import.meta.url), {
    workerData,
    transferList: [channel.port2],
    execArgv: [],
  });
  worker.unref();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`conv worker did not start within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    worker.once('message', () => {
      clearTimeout(timer);
      resolve();
    });
    worker.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    worker.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`conv worker exited with code ${code} while starting`));
    });
  }).catch(async (error) => {
    await worker.terminate();
    throw error;
  });
  worker.removeAllListeners();
  // After start-up a worker error can only surface as a failed job.
  worker.on('error', () => {});
  return { worker, control: new Int32Array(control), port: channel.port1, data: new Float32Array(0), request: 0 };
}

export class ConvThreads {
  private closed = false;
  /** Convs run split over the threads so far (for benchmarks and tests). */
  splitRuns = 0;

  private constructor(private readonly workers: ConvWorker[]) {}

  /** Starts `threads - 1` workers (the main thread is the first thread). */
  static async start(threads: number): Promise<ConvThreads> {
    if (!Number.isInteger(threads) || threads < 2) {
      throw new Error(`ConvThreads: threads must be an integer >= 2, got ${threads}`);
    }
    const workers = await Promise.all(Array.from({ length: threads - 1 }, () => startWorker()));
    return new ConvThreads(workers);
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  /** Stops the workers; later calls fail. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }

  /**
   * Runs one conv kernel split over the batch.
   * - `batchInputs` are cut along axis 0 (all with the same batch size);
   * - `sharedInputs` go whole to every thread;
   * - `runMain` computes the main thread's part from aliases of its batch slice; for
   *   'concat' it is handed `out`, the result's first rows, and may write there and
   *   return it (no copy), or return a tensor of its own;
   * - `partShape(count)` is the result shape of a part of `count` items;
   * - `combine`: 'concat' puts parts side by side along axis 0, 'sum' adds them.
   */
  run(
    math: WasmConvMath,
    job: Pick<ConvJob, 'op' | 'kernel' | 'attrs' | 'targetShape'>,
    batchInputs: Record<string, TensorInfo>,
    sharedInputs: Record<string, TensorInfo>,
    runMain: (batchSlices: Record<string, TensorInfo>, out: TensorInfo | null) => TensorInfo,
    partShape: (count: number) => number[],
    combine: 'concat' | 'sum',
  ): TensorInfo {
    if (this.closed) throw new Error('ConvThreads: used after close()');
    this.splitRuns += 1;
    const batch = Object.values(batchInputs)[0].shape[0];
    const counts = splitBatch(batch, this.threads);
    const starts = counts.map((_, i) => counts.slice(0, i).reduce((a, b) => a + b, 0));

    // Hand each worker its slice before the main thread starts on its own.
    const outputOffsets: number[] = [];
    this.workers.forEach((worker, index) => {
      const part = index + 1;
      const layout: JobTensor[] = [];
      let offset = 0;
      const place = (name: string, shape: number[]) => {
        layout.push({ name, shape, offset });
        offset += tf.util.sizeFromShape(shape);
      };
      for (const [name, info] of Object.entries(batchInputs)) place(name, [counts[part], ...info.shape.slice(1)]);
      for (const [name, info] of Object.entries(sharedInputs)) place(name, info.shape);
      const output = { offset, size: tf.util.sizeFromShape(partShape(counts[part])) };
      outputOffsets.push(output.offset);
      const needed = output.offset + output.size;
      let buffer: SharedArrayBuffer | undefined;
      if (worker.data.length < needed) {
        buffer = new SharedArrayBuffer(Math.ceil(needed * 1.25) * Float32Array.BYTES_PER_ELEMENT);
        worker.data = new Float32Array(buffer);
      }
      for (const tensor of layout) {
        const batchInput = batchInputs[tensor.name];
        const size = tf.util.sizeFromShape(tensor.shape);
        const source = math.view(batchInput ?? sharedInputs[tensor.name]);
        const first = batchInput ? starts[part] * (size / counts[part]) : 0;
        worker.data.set(source.subarray(first, first + size), tensor.offset);
      }
      const message: ConvJob = { ...job, inputs: layout, output, buffer };
      worker.port.postMessage(message);
      worker.request += 1;
      Atomics.store(worker.control, REQUEST_SLOT, worker.request);
      Atomics.notify(worker.control, REQUEST_SLOT);
    });

    const slices: Record<string, TensorInfo> = {};
    for (const [name, info] of Object.entries(batchInputs)) slices[name] = math.aliasBatch(info, 0, counts[0]);
    const result = combine === 'concat' ? math.allocate(partShape(batch)) : null;
    const out = result === null ? null : math.aliasBatch(result, 0, counts[0]);
    let computed: TensorInfo | null = null;
    try {
      try {
        computed = runMain(slices, out);
      } finally {
        for (const alias of Object.values(slices)) math.releaseAlias(alias);
        // Even on failure, wait so that no worker still writes into its buffer.
        for (const worker of this.workers) this.wait(worker, false);
      }
      for (const worker of this.workers) this.wait(worker, true);
    } catch (error) {
      if (computed !== null && computed.dataId !== out?.dataId) math.free(computed);
      if (out !== null) math.releaseAlias(out);
      if (result !== null) math.free(result);
      throw error;
    }
    const mainPart = computed!;

    if (result === null) {
      const total = math.view(mainPart);
      this.workers.forEach((worker, index) => {
        const offset = outputOffsets[index];
        for (let i = 0; i < total.length; i++) total[i] += worker.data[offset + i];
      });
      return mainPart;
    }
    const target = math.view(result);
    if (mainPart.dataId !== out!.dataId) {
      target.set(math.view(mainPart), 0);
      math.free(mainPart);
    }
    math.releaseAlias(out!);
    const perItem = target.length / batch;
    this.workers.forEach((worker, index) => {
      const part = index + 1;
      const offset = outputOffsets[index];
      target.set(worker.data.subarray(offset, offset + counts[part] * perItem), starts[part] * perItem);
    });
    return result;
  }

  /** Blocks until `worker` finished its current job; with `check`, a failed job throws. */
  private wait(worker: ConvWorker, check: boolean): void {
    const started = Date.now();
    for (;;) {
      const done = Atomics.load(worker.control, DONE_SLOT);
      if (done === worker.request) break;
      if (Date.now() - started > JOB_TIMEOUT_MS) {
        this.closed = true;
        throw new Error(`conv worker did not answer within ${JOB_TIMEOUT_MS} ms; the worker threads are stopped`);
      }
      Atomics.wait(worker.control, DONE_SLOT, done, 1000);
    }
    if (check && Atomics.load(worker.control, STATUS_SLOT) !== 0) {
      const message = receiveMessageOnPort(worker.port)?.message as { error?: string } | undefined;
      throw new Error(`conv worker failed: ${message?.error ?? 'no reason given'}`);
    }
  }
}
