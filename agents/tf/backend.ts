/**
 * Chooses and starts the tfjs backend every part of the project computes on.
 *
 * 'auto' takes the fastest one that loads: 'tensorflow' (native libtensorflow) from
 * @tensorflow/tfjs-node-gpu, then from @tensorflow/tfjs-node, then 'wasm' (with the
 * project's conv gradients and worker threads, see wasm_kernels.ts), then 'cpu'
 * (plain JavaScript). The tfjs-node packages are optional: they download libtensorflow
 * at install time from a host not every machine can reach, so they are imported
 * dynamically and their absence is a normal fallback, not an error. An explicit
 * request (argument, or RAD_BACKEND when there is no argument) that cannot be met is
 * an error saying how to install what is missing.
 *
 * Nothing happens at import time; `setupBackend` does the work and remembers it, so
 * calling it again with the same request returns the same info.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { availableParallelism } from 'node:os';
import { SimdThreads } from './simd_threads.ts';
import { wasmMemory } from './simd_kernels.ts';
import { activateWasm } from './wasm_loader.ts';
import { installWasmKernels } from './wasm_kernels.ts';

export type BackendRequest = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export interface BackendInfo {
  /** The tfjs backend name now active: 'tensorflow', 'wasm' or 'cpu'. */
  name: 'tensorflow' | 'wasm' | 'cpu';
  /** The npm package that provides it. */
  package: string;
  /** Threads computing convs (wasm: main thread + workers; tensorflow: libtensorflow's pool size). */
  threads: number;
  /** Why faster backends were passed over, or why fewer threads run than asked (empty if none). */
  notes: string[];
}

export interface BackendOptions {
  /** Threads for the wasm backend's convs (default: RAD_THREADS, else min(2, cores)). */
  threads?: number;
}

const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

const INSTALL_TENSORFLOW =
  'npm install @tensorflow/tfjs-node (CPU) or @tensorflow/tfjs-node-gpu (needs CUDA 11.2 and cuDNN 8.1); ' +
  "npm must be allowed to run the package's install script (allowScripts), which downloads libtensorflow, " +
  'and where the default download host is unreachable set TFJS_NODE_CDN_STORAGE to a mirror';

let current: { key: string; info: BackendInfo } | null = null;
let simdThreads: SimdThreads | null = null;
let pending: Promise<unknown> = Promise.resolve();

function parseRequest(value: string, source: string): BackendRequest {
  if ((BACKEND_REQUESTS as readonly string[]).includes(value)) return value as BackendRequest;
  throw new Error(`unknown backend "${value}" (${source}); expected one of: ${BACKEND_REQUESTS.join(', ')}`);
}

function parseThreads(value: unknown, source: string): number {
  const threads = typeof value === 'string' ? Number(value) : value;
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new Error(`threads must be an integer from 1 to 64 (${source}), got ${JSON.stringify(value)}`);
  }
  return threads;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}

/** Imports a tfjs-node package (which registers backend 'tensorflow') and activates it. */
async function tryTensorflow(notes: string[]): Promise<BackendInfo | null> {
  for (const packageName of TENSORFLOW_PACKAGES) {
    try {
      // A variable specifier: the package is optional and absent from node_modules here.
      const specifier: string = packageName;
      await import(specifier);
      if (!(await tf.setBackend('tensorflow'))) throw new Error(`tf.setBackend('tensorflow') returned false`);
      return { name: 'tensorflow', package: packageName, threads: availableParallelism(), notes };
    } catch (error) {
      const missing = (error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && errorText(error).includes(packageName);
      notes.push(`${packageName} not usable: ${missing ? 'not installed' : errorText(error)}`);
    }
  }
  return null;
}

async function setThreads(threads: number, notes: string[]): Promise<number> {
  if (simdThreads && simdThreads.threads === threads) return threads;
  if (simdThreads) {
    installWasmKernels(null);
    await simdThreads.close();
    simdThreads = null;
  }
  if (threads > 1) {
    try {
      simdThreads = await SimdThreads.start(threads, wasmMemory(tf.backend() as BackendWasm));
    } catch (error) {
      notes.push(`wasm worker threads failed to start, using 1 thread: ${errorText(error)}`);
      installWasmKernels(null);
      return 1;
    }
  }
  installWasmKernels(simdThreads);
  return threads;
}

async function startWasm(threads: number, notes: string[]): Promise<BackendInfo> {
  await activateWasm();
  const actual = await setThreads(threads, notes);
  return { name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', threads: actual, notes };
}

async function startCpu(notes: string[]): Promise<BackendInfo> {
  if (!(await tf.setBackend('cpu'))) throw new Error(`backend 'cpu' (@tensorflow/tfjs-backend-cpu) failed to initialise`);
  // tfjs's cpu backend prints a banner on its first tensor in Node, in the middle of a
  // command's output; that first tensor is written here with its warnings off. The
  // README says how to install the native backend.
  const prod = tf.env().getBool('PROD');
  tf.env().set('PROD', true);
  tf.tensor([0]).dispose();
  tf.env().set('PROD', prod);
  return { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', threads: 1, notes };
}

async function choose(request: BackendRequest, threads: number): Promise<BackendInfo> {
  const notes: string[] = [];
  if (request === 'tensorflow') {
    const info = await tryTensorflow(notes);
    if (info) return info;
    throw new Error(`backend 'tensorflow' requested but neither ${TENSORFLOW_PACKAGES.join(' nor ')} loads (${notes.join('; ')}). To use it, ${INSTALL_TENSORFLOW}.`);
  }
  if (request === 'wasm') {
    try {
      return await startWasm(threads, notes);
    } catch (error) {
      throw new Error(`backend 'wasm' requested but @tensorflow/tfjs-backend-wasm failed: ${errorText(error)}. It is a dependency of this project: run npm install.`);
    }
  }
  if (request === 'cpu') return startCpu(notes);
  const native = await tryTensorflow(notes);
  if (native) return native;
  try {
    return await startWasm(threads, notes);
  } catch (error) {
    notes.push(`@tensorflow/tfjs-backend-wasm not usable: ${errorText(error)}`);
  }
  return startCpu(notes);
}

/**
 * Makes the best (or the requested) backend active and returns what it is.
 * `request` defaults to RAD_BACKEND, then 'auto'; `options.threads` to RAD_THREADS,
 * then min(2, cores). Calls are serialised; a repeated request returns the same info.
 */
export async function setupBackend(request?: BackendRequest, options: BackendOptions = {}): Promise<BackendInfo> {
  const environment = process.env.RAD_BACKEND;
  const resolved =
    request !== undefined
      ? parseRequest(request, 'setupBackend argument')
      : environment
        ? parseRequest(environment, 'environment variable RAD_BACKEND')
        : 'auto';
  const threads =
    options.threads !== undefined
      ? parseThreads(options.threads, 'setupBackend option threads')
      : process.env.RAD_THREADS
        ? parseThreads(process.env.RAD_THREADS, 'environment variable RAD_THREADS')
        : Math.min(2, availableParallelism());
  const key = `${resolved}/${threads}`;
  const run = pending.then(async () => {
    if (current && current.key === key && tf.getBackend() === current.info.name) return current.info;
    const info = await choose(resolved, threads);
    if (info.name !== 'wasm' && simdThreads) await setThreads(1, []);
    current = { key, info };
    return info;
  });
  pending = run.catch(() => undefined);
  return run;
}

/** One line for logs: the active backend, its package and threads. */
export function describeBackend(): string {
  if (!current) return 'backend not set up (call setupBackend first)';
  const { name, package: packageName, threads, notes } = current.info;
  const skipped = notes.length ? `; ${notes.join('; ')}` : '';
  return `${name} (${packageName}, tfjs ${tf.version_core}, ${threads} thread${threads === 1 ? '' : 's'})${skipped}`;
}
