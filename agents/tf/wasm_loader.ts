/**
 * Starts tfjs's wasm backend in Node, from the SIMD .wasm file in node_modules, with
 * its heap in shared memory.
 *
 * Why not just `tf.setBackend('wasm')`: in Node, tfjs detects SharedArrayBuffer and
 * picks the threaded build, whose pthread workers are created from a blob: URL that
 * Node's worker_threads cannot load, so the backend fails. We declare multithreading
 * unsupported (the project uses its own worker threads, see simd_threads.ts) and
 * hand tfjs the SIMD binary ourselves.
 *
 * Why shared memory: the project's worker threads run the SIMD kernels
 * (simd_kernels.ts) directly on this heap, reading a tensor where it lies and
 * writing their part of a result in place. The SIMD binary defines its own memory
 * (256 to 65536 pages); marking that memory shared in the binary is the only change,
 * and WebAssembly runs the same code on shared memory. The patched bytes reach tfjs
 * as a data: URL through its platform fetch, its one way to load given bytes.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { wasmMemory } from './simd_kernels.ts';

const SIMD_BINARY = 'tfjs-backend-wasm-simd.wasm';
const MEMORY_SECTION = 5;
/** Limits flags of a wasm memory type: bit 0, a maximum follows; bit 1, shared. */
const HAS_MAXIMUM = 1;
const SHARED = 2;

/** The folder holding tfjs-backend-wasm's .wasm binaries. */
export function wasmBinaryFolder(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
}

/**
 * A copy of a wasm binary whose one defined memory is shared. The memory must have
 * a maximum (shared memories need one), so the change is one flag byte in place.
 * `name` is for errors.
 */
export function withSharedMemory(binary: Uint8Array, name: string): Uint8Array<ArrayBuffer> {
  const bytes = Uint8Array.from(binary);
  const fail = (what: string) => new Error(`wasm loader: ${name}: ${what}; expected tfjs-backend-wasm 4.22's SIMD binary, whose one memory has a maximum`);
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) throw fail('not a WebAssembly binary');
  let position = 8;
  const leb128 = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      if (position >= bytes.length || shift > 28) throw fail('truncated or malformed section header');
      const byte = bytes[position++];
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
  };
  while (position < bytes.length) {
    const id = bytes[position++];
    const size = leb128();
    const end = position + size;
    if (id === MEMORY_SECTION) {
      if (leb128() !== 1) throw fail('the memory section does not hold exactly one memory');
      const flags = bytes[position];
      if ((flags & ~(HAS_MAXIMUM | SHARED)) !== 0 || (flags & HAS_MAXIMUM) === 0) throw fail(`its memory has limits flags ${flags}`);
      bytes[position] = flags | SHARED;
      return bytes;
    }
    position = end;
  }
  throw fail('it defines no memory');
}

/** Loads the package (which registers the 'wasm' backend) and makes it the active backend. */
export async function activateWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const folder = wasmBinaryFolder();
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const path = join(folder, SIMD_BINARY);
  const url = `data:application/wasm;base64,${Buffer.from(withSharedMemory(readFileSync(path), path)).toString('base64')}`;
  // Only read at the backend's first initialisation; setting it again is harmless.
  wasm.setWasmPaths({ 'tfjs-backend-wasm.wasm': url, 'tfjs-backend-wasm-simd.wasm': url, 'tfjs-backend-wasm-threaded-simd.wasm': url }, true);
  // Emscripten's glue adds process handlers that rethrow every uncaught exception and
  // unhandled rejection from inside its minified module, so Node printed that whole
  // line of source above any later error. Node's own handling is the same without it.
  const exceptions = new Set(process.listeners('uncaughtException'));
  const rejections = new Set(process.listeners('unhandledRejection'));
  const ok = await tf.setBackend('wasm');
  for (const listener of process.listeners('uncaughtException')) if (!exceptions.has(listener)) process.removeListener('uncaughtException', listener);
  for (const listener of process.listeners('unhandledRejection')) if (!rejections.has(listener)) process.removeListener('unhandledRejection', listener);
  if (!ok) {
    throw new Error(`backend 'wasm' (@tensorflow/tfjs-backend-wasm) failed to initialise from ${path}`);
  }
  wasmMemory(tf.backend() as BackendWasm);
}
