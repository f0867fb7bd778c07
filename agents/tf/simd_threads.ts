/**
 * Runs a large SIMD kernel (a conv, one of its gradients, a matrix product) on
 * several cores: the batch is cut into fixed parts, each worker thread
 * (simd_worker.ts) computes one part and the main thread the first, all on the one
 * shared wasm heap (wasm_loader.ts). Parts of a result that lie side by side along
 * the batch are written in place; partial sums (a filter gradient, a^T b) are added
 * in worker order.
 *
 * Why like this: tfjs's wasm backend is single-threaded in Node, and a tfjs kernel
 * must return synchronously. So the main thread records the kernel calls of each
 * worker's part (SimdKernels.record: it allocates the part's buffers and computes
 * the pointers), hands them over, computes its own part, and blocks on Atomics.wait
 * (allowed on Node's main thread) until the workers are done. No tensor is copied
 * to or from a worker. The split depends only on the batch size and the thread
 * count, and the additions happen in a fixed order, so a run is deterministic for a
 * given thread count. The workers are unref'd: they never keep a process alive.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { CONTROL_SLOTS, DONE_SLOT, REQUEST_SLOT, STATUS_SLOT, type KernelJob, type WorkerData } from './simd_worker.ts';
import type { KernelCall } from './simd_kernels.ts';
import type { TensorInfo, WasmConvMath } from './wasm_conv.ts';

const READY_TIMEOUT_MS = 120_000;
/** A job that takes longer than this means a dead worker, not a slow one. */
const JOB_TIMEOUT_MS = 600_000;

interface KernelWorker {
  worker: Worker;
  control: Int32Array;
  port: MessagePort;
  request: number;
}

/**
 * How much more of a batch the main thread takes than each worker. 1: with no
 * copies to or from a worker, a worker's part costs what the main thread's does.
 */
export const MAIN_THREAD_SHARE = 1;

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

async function startWorker(memory: WebAssembly.Memory): Promise<KernelWorker> {
  const control = new SharedArrayBuffer(CONTROL_SLOTS * Int32Array.BYTES_PER_ELEMENT);
  const channel = new MessageChannel();
  const workerData: WorkerData = { control, port: channel.port2, memory };
  const worker = new Worker(new URL('./simd_worker_entry.mjs', import.meta.url), {
    workerData,
    transferList: [channel.port2],
    execArgv: [],
  });
  worker.unref();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`SIMD worker did not start within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
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
      reject(new Error(`SIMD worker exited with code ${code} while starting`));
    });
  }).catch(async (error) => {
    await worker.terminate();
    throw error;
  });
  worker.removeAllListeners();
  // After start-up a worker error can only surface as a failed job.
  worker.on('error', () => {});
  return { worker, control: new Int32Array(control), port: channel.port1, request: 0 };
}

export class SimdThreads {
  private closed = false;
  /** Kernels run split over the threads so far (for benchmarks and tests). */
  splitRuns = 0;

  private constructor(private readonly workers: KernelWorker[]) {}

  /** Starts `threads - 1` workers (the main thread is the first thread) on `memory`, the wasm backend's shared heap. */
  static async start(threads: number, memory: WebAssembly.Memory): Promise<SimdThreads> {
    if (!Number.isInteger(threads) || threads < 2) {
      throw new Error(`SimdThreads: threads must be an integer >= 2, got ${threads}`);
    }
    const workers = await Promise.all(Array.from({ length: threads - 1 }, () => startWorker(memory)));
    return new SimdThreads(workers);
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
   * Runs one kernel split over the batch.
   * - `batchInputs` are cut along axis 0 (all with the same batch size);
   * - `runPart` computes one part from aliases of its batch slices with the SIMD
   *   kernels only (math.simd(): a worker's part is recorded, not computed, on the
   *   main thread). For 'concat' it is handed `out`, the part's rows of the result,
   *   and writes there and returns it (a part returned elsewhere is copied in);
   * - `partShape(count)` is the result shape of a part of `count` items;
   * - `combine`: 'concat' puts parts side by side along axis 0, 'sum' adds them.
   */
  run(
    math: WasmConvMath,
    batchInputs: Record<string, TensorInfo>,
    runPart: (batchSlices: Record<string, TensorInfo>, out: TensorInfo | null) => TensorInfo,
    partShape: (count: number) => number[],
    combine: 'concat' | 'sum',
  ): TensorInfo {
    if (this.closed) throw new Error('SimdThreads: used after close()');
    this.splitRuns += 1;
    const batch = Object.values(batchInputs)[0].shape[0];
    const counts = splitBatch(batch, this.threads);
    const starts = counts.map((_, i) => counts.slice(0, i).reduce((a, b) => a + b, 0));
    const simd = math.simd();
    const result = combine === 'concat' ? math.allocate(partShape(batch)) : null;
    const aliases: TensorInfo[] = [];
    const temporaries: TensorInfo[] = [];
    const outs: (TensorInfo | null)[] = [];
    const outputs: TensorInfo[] = [];
    const dispatched: KernelWorker[] = [];
    const inputsOf = (part: number): Record<string, TensorInfo> => {
      const slices: Record<string, TensorInfo> = {};
      for (const [name, info] of Object.entries(batchInputs)) aliases.push((slices[name] = math.aliasBatch(info, starts[part], counts[part])));
      outs[part] = result === null ? null : math.aliasBatch(result, starts[part], counts[part]);
      if (outs[part] !== null) aliases.push(outs[part]!);
      return slices;
    };
    let combined: TensorInfo | null = null;
    try {
      try {
        // Hand each worker its part before the main thread starts on its own.
        this.workers.forEach((worker, index) => {
          const part = index + 1;
          const work = simd.record(() => runPart(inputsOf(part), outs[part]));
          temporaries.push(...work.temporaries);
          outputs[part] = work.result;
          this.send(worker, work.calls);
          dispatched.push(worker);
        });
        outputs[0] = runPart(inputsOf(0), outs[0]);
      } finally {
        // Even on failure, wait so that no worker still writes into the heap.
        for (const worker of dispatched) this.wait(worker);
      }
      for (const worker of dispatched) this.check(worker);
      combined = result === null ? this.sum(math, outputs) : this.concat(math, outputs, outs, result, starts);
      return combined;
    } finally {
      for (const alias of aliases) math.releaseAlias(alias);
      for (const info of temporaries) math.free(info);
      if (combined === null) {
        for (const [part, output] of outputs.entries()) if (output !== undefined && output.dataId !== outs[part]?.dataId) math.free(output);
        if (result !== null) math.free(result);
      }
    }
  }

  /** The parts' outputs added into the main thread's, in worker order; the others freed. */
  private sum(math: WasmConvMath, outputs: TensorInfo[]): TensorInfo {
    const total = math.view(outputs[0]);
    for (const output of outputs.slice(1)) {
      const part = math.view(output);
      for (let i = 0; i < total.length; i++) total[i] += part[i];
      math.free(output);
    }
    return outputs[0];
  }

  /** `result`, with any part written elsewhere than its rows copied in (and freed). */
  private concat(math: WasmConvMath, outputs: TensorInfo[], outs: (TensorInfo | null)[], result: TensorInfo, starts: number[]): TensorInfo {
    const perItem = tf.util.sizeFromShape(result.shape.slice(1));
    outputs.forEach((output, part) => {
      if (output.dataId === outs[part]!.dataId) return;
      math.view(result).set(math.view(output), starts[part] * perItem);
      math.free(output);
    });
    return result;
  }

  private send(worker: KernelWorker, calls: KernelCall[]): void {
    const job: KernelJob = { calls };
    worker.port.postMessage(job);
    worker.request += 1;
    Atomics.store(worker.control, REQUEST_SLOT, worker.request);
    Atomics.notify(worker.control, REQUEST_SLOT);
  }

  /** Blocks until `worker` finished its current job. */
  private wait(worker: KernelWorker): void {
    const started = Date.now();
    for (;;) {
      const done = Atomics.load(worker.control, DONE_SLOT);
      if (done === worker.request) return;
      if (Date.now() - started > JOB_TIMEOUT_MS) {
        this.closed = true;
        throw new Error(`SIMD worker did not answer within ${JOB_TIMEOUT_MS} ms; the worker threads are stopped`);
      }
      Atomics.wait(worker.control, DONE_SLOT, done, 1000);
    }
  }

  /** Throws the worker's error if its last job failed. */
  private check(worker: KernelWorker): void {
    if (Atomics.load(worker.control, STATUS_SLOT) === 0) return;
    const message = receiveMessageOnPort(worker.port)?.message as { error?: string } | undefined;
    throw new Error(`SIMD worker failed: ${message?.error ?? 'no reason given'}`);
  }
}
