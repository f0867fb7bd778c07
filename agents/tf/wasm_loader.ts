/**
 * Starts tfjs's wasm backend in Node, from the .wasm files in node_modules.
 *
 * Why not just `tf.setBackend('wasm')`: in Node, tfjs detects SharedArrayBuffer and
 * picks the threaded build, whose pthread workers are created from a blob: URL that
 * Node's worker_threads cannot load, so the backend fails. We declare multithreading
 * unsupported (the project uses its own worker threads, see conv_threads.ts) and
 * point tfjs at the SIMD binary by file path. Used by the main thread and by each
 * conv worker thread; does nothing at import time.
 *
 * The files a worker loads import @tensorflow/tfjs-core (the wasm package's peer
 * dependency, the very module instance @tensorflow/tfjs re-exports) rather than the
 * whole of @tensorflow/tfjs, which would add about half a second to a worker's start.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The folder holding tfjs-backend-wasm's .wasm binaries. */
export function wasmBinaryFolder(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
}

/** Loads the package (which registers the 'wasm' backend) and makes it the active backend. */
export async function activateWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const folder = wasmBinaryFolder();
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  // Only read at the backend's first initialisation; setting it again is harmless.
  wasm.setWasmPaths({
    'tfjs-backend-wasm.wasm': join(folder, 'tfjs-backend-wasm.wasm'),
    'tfjs-backend-wasm-simd.wasm': join(folder, 'tfjs-backend-wasm-simd.wasm'),
    'tfjs-backend-wasm-threaded-simd.wasm': join(folder, 'tfjs-backend-wasm-threaded-simd.wasm'),
  });
  // Emscripten's glue adds process handlers that rethrow every uncaught exception and
  // unhandled rejection from inside its minified module, so Node printed that whole
  // line of source above any later error. Node's own handling is the same without it.
  const exceptions = new Set(process.listeners('uncaughtException'));
  const rejections = new Set(process.listeners('unhandledRejection'));
  const ok = await tf.setBackend('wasm');
  for (const listener of process.listeners('uncaughtException')) if (!exceptions.has(listener)) process.removeListener('uncaughtException', listener);
  for (const listener of process.listeners('unhandledRejection')) if (!rejections.has(listener)) process.removeListener('unhandledRejection', listener);
  if (!ok) {
    throw new Error(`backend 'wasm' (@tensorflow/tfjs-backend-wasm) failed to initialise from ${folder}`);
  }
}
