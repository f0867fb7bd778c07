/**
 * Runs a large SIMD kernel (a conv, one of its gradients, a matrix product) on
 * several cores: the batch is cut into fixed chunks, and the main thread and the
 * worker threads (simd_worker.ts) take chunks from a shared counter until none is
 * left, all computing on the one shared wasm heap (wasm_loader.ts). Chunks of a
 * result that lie side by side along the batch are written in place; partial sums
 * (a filter gradient, a^T b) are added in chunk order.
 *
 * Why like this: tfjs's wasm backend is single-threaded in Node, and a tfjs kernel
 * must return synchronously. So the main thread records the kernel calls of every
 * chunk (SimdKernels.record: it allocates the chunk's buffers and computes the
 * pointers), hands them over, computes chunks itself, and blocks on Atomics.wait
 * (allowed on Node's main thread) until the workers are done. No tensor is copied
 * to or from a worker. Taking chunks instead of one fixed part per thread keeps
 * both cores busy when one runs slower: with fixed halves the main thread waited
 * 55-278 ms per update for the worker (measured at batch 128 on the 2-core VM).
 * The chunks depend only on the batch size and the chunk count, and the partial
 * sums are added in chunk order, so results do not depend on which thread ran
 * which chunk: a run is deterministic. The workers are unref'd: they never keep a
 * process alive.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { CONTROL_SLOTS, DONE_SLOT, REQUEST_SLOT, STATUS_SLOT, takeChunks, type KernelJob, type WorkerData } from './simd_worker.ts';
import type { KernelCall, RecordedProduct, SimdKernels } from './simd_kernels.ts';
import type { TensorInfo, WasmConvMath } from './wasm_conv.ts';

const READY_TIMEOUT_MS = 120_000;
/** A job that takes longer than this means a dead worker, not a slow one. */
const JOB_TIMEOUT_MS = 600_000;

interface KernelWorker {
  worker: Worker;
  control: Int32Array;
  port: MessagePort;
  request: number;
  /** Set by the worker's 'exit' event (between jobs: the main thread blocks during one). */
  exitCode: number | null;
}

/**
 * Sizes of `parts` chunks of a batch: as equal as can be, the larger ones first.
 * Depends only on its arguments.
 */
export function splitBatch(batch: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(batch / parts) + (i < batch % parts ? 1 : 0));
}

/**
 * Sizes of chunks of `total` for `parts` threads' worth of chunks: multiples of
 * `align` (all but the last), as equal as can be, at most `parts` of them.
 */
export function splitAligned(total: number, parts: number, align: number): number[] {
  const units = Math.ceil(total / align);
  const sizes = splitBatch(units, Math.min(parts, units)).map((count) => count * align);
  sizes[sizes.length - 1] -= units * align - total;
  return sizes;
}

/** The outputs added into the first, in order (the others freed): partial sums combined the same way on every run. */
function sumInOrder(math: WasmConvMath, outputs: TensorInfo[]): TensorInfo {
  const total = math.view(outputs[0]);
  for (const output of outputs.slice(1)) {
    const part = math.view(output);
    for (let i = 0; i < total.length; i++) total[i] += part[i];
    math.free(output);
  }
  return outputs[0];
}

async function startWorker(memory: WebAssembly.Memory, nextChunk: SharedArrayBuffer): Promise<KernelWorker> {
  const control = new SharedArrayBuffer(CONTROL_SLOTS * Int32Array.BYTES_PER_ELEMENT);
  const channel = new MessageChannel();
  const workerData: WorkerData = { control, port: channel.port2, memory, nextChunk };
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
  const kernelWorker: KernelWorker = { worker, control: new Int32Array(control), port: channel.port1, request: 0, exitCode: null };
  // After start-up a worker error surfaces as a failed job, or as its exit, seen before the next job.
  worker.on('error', () => {});
  worker.on('exit', (code) => {
    kernelWorker.exitCode = code;
  });
  return kernelWorker;
}

export class SimdThreads {
  private closed = false;
  /** Kernels run in chunks over the threads so far (for benchmarks and tests). */
  splitRuns = 0;

  private constructor(
    private readonly workers: KernelWorker[],
    /** The next chunk of the current run to take, shared by every thread. */
    private readonly nextChunk: Int32Array,
  ) {}

  /** Starts `threads - 1` workers (the main thread is the first thread) on `memory`, the wasm backend's shared heap. */
  static async start(threads: number, memory: WebAssembly.Memory): Promise<SimdThreads> {
    if (!Number.isInteger(threads) || threads < 2) {
      throw new Error(`SimdThreads: threads must be an integer >= 2, got ${threads}`);
    }
    const nextChunk = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
    const workers = await Promise.all(Array.from({ length: threads - 1 }, () => startWorker(memory, nextChunk)));
    return new SimdThreads(workers, new Int32Array(nextChunk));
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
   * Runs one kernel split over the batch in `chunks` chunks (at least the thread
   * count; more balance the threads better, at the cost of each chunk's fixed work,
   * such as packing a product's shared operand).
   * - `batchInputs` are cut along axis 0 (all with the same batch size);
   * - `runChunk` computes one chunk from aliases of its batch slices with the SIMD
   *   kernels only: it is recorded (math.simd().record), not computed, and any
   *   thread may run it. For 'concat' it is handed `out`, the chunk's rows of the
   *   result, and writes there and returns it (a chunk returned elsewhere is
   *   copied in);
   * - `chunkShape(count)` is the result shape of a chunk of `count` items;
   * - `combine`: 'concat' puts chunks side by side along axis 0, 'sum' adds them.
   */
  run(
    math: WasmConvMath,
    batchInputs: Record<string, TensorInfo>,
    runChunk: (batchSlices: Record<string, TensorInfo>, out: TensorInfo | null) => TensorInfo,
    chunkShape: (count: number) => number[],
    combine: 'concat' | 'sum',
    chunks: number = this.threads,
  ): TensorInfo {
    if (this.closed) throw new Error('SimdThreads: used after close()');
    const batch = Object.values(batchInputs)[0].shape[0];
    if (!Number.isInteger(chunks) || chunks < this.threads || chunks > batch) {
      throw new Error(`SimdThreads.run: chunks must be an integer from the thread count (${this.threads}) to the batch size (${batch}), got ${chunks}`);
    }
    const counts = splitBatch(batch, chunks);
    const starts = counts.map((_, i) => counts.slice(0, i).reduce((a, b) => a + b, 0));
    const simd = math.simd();
    const result = combine === 'concat' ? math.allocate(chunkShape(batch)) : null;
    const aliases: TensorInfo[] = [];
    const temporaries: TensorInfo[] = [];
    const outs: (TensorInfo | null)[] = [];
    const outputs: TensorInfo[] = [];
    const calls: KernelCall[][] = [];
    let combined: TensorInfo | null = null;
    try {
      for (let chunk = 0; chunk < chunks; chunk++) {
        const slices: Record<string, TensorInfo> = {};
        for (const [name, info] of Object.entries(batchInputs)) aliases.push((slices[name] = math.aliasBatch(info, starts[chunk], counts[chunk])));
        const out = result === null ? null : math.aliasBatch(result, starts[chunk], counts[chunk]);
        if (out !== null) aliases.push(out);
        outs.push(out);
        const work = simd.record(() => runChunk(slices, out));
        temporaries.push(...work.temporaries);
        outputs.push(work.result);
        calls.push(work.calls);
      }
      this.runChunks(simd, calls);
      combined = result === null ? sumInOrder(math, outputs) : this.concat(math, outputs, outs, result, starts);
      return combined;
    } finally {
      for (const alias of aliases) math.releaseAlias(alias);
      for (const info of temporaries) math.free(info);
      if (combined === null) {
        for (const [chunk, output] of outputs.entries()) if (output.dataId !== outs[chunk]?.dataId) math.free(output);
        if (result !== null) math.free(result);
      }
    }
  }

  /**
   * Runs recorded chunks of kernel calls (SimdKernels.record) on every thread, each
   * chunk on whichever thread takes it first; returns when all ran, and throws if
   * one failed.
   */
  runChunks(simd: SimdKernels, chunks: KernelCall[][]): void {
    if (this.closed) throw new Error('SimdThreads: used after close()');
    // A job sent to a worker that has exited would wait out JOB_TIMEOUT_MS for nothing.
    const exited = this.workers.find((worker) => worker.exitCode !== null);
    if (exited) {
      this.closed = true;
      throw new Error(`SIMD worker exited with code ${exited.exitCode} between jobs; the worker threads are stopped`);
    }
    this.splitRuns += 1;
    const dispatched: KernelWorker[] = [];
    try {
      Atomics.store(this.nextChunk, 0, 0);
      for (const worker of this.workers) {
        this.send(worker, chunks);
        dispatched.push(worker);
      }
      takeChunks(this.nextChunk, chunks, (calls) => simd.runRecorded(calls));
    } finally {
      // Even on failure, wait so that no worker still writes into the heap.
      for (const worker of dispatched) this.wait(worker);
    }
    for (const worker of dispatched) this.check(worker);
  }

  /**
   * Runs a product recorded in chunks (SimdKernels.recordMatMul) and frees its
   * temporaries: the result, with partial products added in chunk order.
   */
  runProduct(math: WasmConvMath, product: RecordedProduct): TensorInfo {
    let ran = false;
    try {
      this.runChunks(math.simd(), product.chunks);
      ran = true;
    } finally {
      for (const info of product.temporaries) math.free(info);
      if (!ran) for (const info of product.outputs) math.free(info);
    }
    return sumInOrder(math, product.outputs);
  }

  /** `result`, with any chunk written elsewhere than its rows copied in (and freed). */
  private concat(math: WasmConvMath, outputs: TensorInfo[], outs: (TensorInfo | null)[], result: TensorInfo, starts: number[]): TensorInfo {
    const perItem = tf.util.sizeFromShape(result.shape.slice(1));
    outputs.forEach((output, chunk) => {
      if (output.dataId === outs[chunk]!.dataId) return;
      math.view(result).set(math.view(output), starts[chunk] * perItem);
      math.free(output);
    });
    return result;
  }

  private send(worker: KernelWorker, chunks: KernelCall[][]): void {
    const job: KernelJob = { chunks };
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
