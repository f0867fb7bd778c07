/**
 * The far side of simd_threads.ts: a worker thread that runs the project's SIMD
 * kernels (simd_kernels.ts) on the main thread's wasm heap, a shared
 * WebAssembly.Memory (wasm_loader.ts). A job is a list of chunks, each a list of
 * kernel calls whose pointers the main thread prepared; the worker takes chunks
 * from a counter shared with every thread until none is left, reads their inputs
 * where they lie and writes their results in place, so no tensor is copied.
 *
 * The worker blocks on Atomics.wait between jobs (no event loop turn needed, so it
 * is answered within microseconds) and reads each job synchronously with
 * receiveMessageOnPort. It loads neither tfjs nor its wasm backend, only the
 * kernels. The protocol constants and message types live here so both sides import
 * one definition; importing this file starts nothing.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { instantiateKernels, runKernelCall, type KernelCall } from './simd_kernels.ts';

/** Int32 slots of the control buffer shared with each worker. */
export const REQUEST_SLOT = 0; // incremented by the main thread per job
export const DONE_SLOT = 1; // set by the worker to the request number it finished
export const STATUS_SLOT = 2; // 0 ok, 1 failed (the error text follows on the port)
export const SLEEP_SLOT = 3; // never written: waiting on it is a plain sleep
export const CONTROL_SLOTS = 4;

export interface KernelJob {
  chunks: KernelCall[][];
}

export interface WorkerData {
  control: SharedArrayBuffer;
  port: MessagePort;
  /** The main thread's wasm heap. */
  memory: WebAssembly.Memory;
  /** One Int32: the next chunk of the current job to take (shared by every thread). */
  nextChunk: SharedArrayBuffer;
}

/** Runs chunks taken from `nextChunk` (shared by every thread of a job) until none is left. */
export function takeChunks(nextChunk: Int32Array, chunks: KernelCall[][], run: (calls: KernelCall[]) => void): void {
  for (let chunk = Atomics.add(nextChunk, 0, 1); chunk < chunks.length; chunk = Atomics.add(nextChunk, 0, 1)) run(chunks[chunk]);
}

/** The worker's whole life: instantiate the kernels, say ready, then run jobs until terminated. */
export function serveKernelJobs(workerData: WorkerData, postReady: (message: unknown) => void): never {
  const kernels = instantiateKernels(workerData.memory);
  const control = new Int32Array(workerData.control);
  const nextChunk = new Int32Array(workerData.nextChunk);
  const run = (calls: KernelCall[]) => {
    for (const call of calls) runKernelCall(kernels, call);
  };
  const port = workerData.port;
  let seen = Atomics.load(control, REQUEST_SLOT);
  postReady({ ready: true });
  for (;;) {
    Atomics.wait(control, REQUEST_SLOT, seen);
    const request = Atomics.load(control, REQUEST_SLOT);
    if (request === seen) continue;
    seen = request;
    // The job message is posted before the request number is raised; poll briefly
    // in case the port has not delivered it yet.
    let message = receiveMessageOnPort(port);
    while (message === undefined) {
      Atomics.wait(control, SLEEP_SLOT, 0, 1);
      message = receiveMessageOnPort(port);
    }
    let status = 0;
    try {
      takeChunks(nextChunk, (message.message as KernelJob).chunks, run);
    } catch (error) {
      status = 1;
      port.postMessage({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
    Atomics.store(control, STATUS_SLOT, status);
    Atomics.store(control, DONE_SLOT, request);
    Atomics.notify(control, DONE_SLOT);
  }
}
