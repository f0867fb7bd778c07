/**
 * The far side of conv_threads.ts: a worker thread with its own wasm backend that
 * computes its share of a batch-split conv (forward, input gradient or filter
 * gradient) and hands the result back.
 *
 * Why a worker of our own: tfjs's threaded wasm build cannot start in Node, but a
 * worker_thread that loads the ordinary SIMD build runs at full speed on another
 * core. The worker blocks on Atomics.wait between jobs (no event loop turn needed,
 * so the main thread is answered within microseconds) and reads each job's
 * description synchronously with receiveMessageOnPort; tensor data travels through
 * a SharedArrayBuffer. The protocol constants and message types live here so both
 * sides import one definition; importing this file starts nothing.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { activateWasm } from './wasm_loader.ts';
import { WasmConvMath, type ConvAttributes, type KernelFunction, type TensorInfo } from './wasm_conv.ts';

/** Int32 slots of the control buffer shared with each worker. */
export const REQUEST_SLOT = 0; // incremented by the main thread per job
export const DONE_SLOT = 1; // set by the worker to the request number it finished
export const STATUS_SLOT = 2; // 0 ok, 1 failed (the error text follows on the port)
export const SLEEP_SLOT = 3; // never written: waiting on it is a plain sleep
export const CONTROL_SLOTS = 4;

/** One tensor of a job, stored at `offset` (in float32 elements) of the data buffer. */
export interface JobTensor {
  name: string;
  shape: number[];
  offset: number;
}

export interface ConvJob {
  op: 'forward' | 'inputGradient' | 'filterGradient' | 'matMul';
  /** For 'forward': the wasm kernel to run ('Conv2D' or 'FusedConv2D') with `attrs`. */
  kernel?: string;
  attrs: Record<string, unknown>;
  inputs: JobTensor[];
  /** Shape of the gradient's target tensor, for the gradient ops (inputShape or filterShape). */
  targetShape?: number[];
  output: { offset: number; size: number };
  /** A new, larger data buffer replacing the previous one. */
  buffer?: SharedArrayBuffer;
}

export interface WorkerData {
  control: SharedArrayBuffer;
  port: MessagePort;
}

function runJob(math: WasmConvMath, job: ConvJob, data: Float32Array): void {
  const tensors: Record<string, TensorInfo> = {};
  const created: TensorInfo[] = [];
  try {
    for (const input of job.inputs) {
      const info = math.allocate(input.shape);
      created.push(info);
      const size = tf.util.sizeFromShape(input.shape);
      math.view(info).set(data.subarray(input.offset, input.offset + size));
      tensors[input.name] = info;
    }
    let result: TensorInfo;
    if (job.op === 'forward') {
      const kernel = tf.getKernel(job.kernel ?? '', 'wasm');
      if (kernel == null) throw new Error(`conv worker: no wasm kernel named '${job.kernel}'`);
      result = math.forward(tensors, job.attrs, kernel.kernelFunc as unknown as KernelFunction);
    } else if (job.op === 'inputGradient') {
      result = math.inputGradient(tensors.dy, tensors.filter, job.targetShape ?? [], job.attrs as unknown as ConvAttributes);
    } else if (job.op === 'filterGradient') {
      result = math.filterGradient(tensors.x, tensors.dy, job.targetShape ?? [], job.attrs as unknown as ConvAttributes);
    } else if (job.op === 'matMul') {
      result = math.simd().matMul(tensors.a, tensors.b, job.attrs.transposeA === true, job.attrs.transposeB === true);
    } else {
      throw new Error(`conv worker: unknown op '${String((job as ConvJob).op)}'`);
    }
    created.push(result);
    const values = math.view(result);
    if (values.length !== job.output.size) {
      throw new Error(`conv worker: result has ${values.length} values, expected ${job.output.size}`);
    }
    data.set(values, job.output.offset);
  } finally {
    for (const info of created) math.free(info);
  }
}

/** The worker's whole life: start wasm, say ready, then serve jobs until terminated. */
export async function serveConvJobs(workerData: WorkerData, postReady: (message: unknown) => void): Promise<never> {
  await activateWasm();
  const backend = tf.backend() as BackendWasm;
  const forward = tf.getKernel('Conv2D', 'wasm');
  const math = new WasmConvMath(backend, forward.kernelFunc as unknown as KernelFunction);
  const control = new Int32Array(workerData.control);
  const port = workerData.port;
  let data: Float32Array<ArrayBufferLike> = new Float32Array(0);
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
    const job = message.message as ConvJob;
    let status = 0;
    try {
      if (job.buffer) data = new Float32Array(job.buffer);
      runJob(math, job, data);
    } catch (error) {
      status = 1;
      port.postMessage({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
    Atomics.store(control, STATUS_SLOT, status);
    Atomics.store(control, DONE_SLOT, request);
    Atomics.notify(control, DONE_SLOT);
  }
}
