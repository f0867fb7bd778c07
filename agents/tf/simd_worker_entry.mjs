// Entry of a SIMD kernel worker thread (see simd_worker.ts). Plain JavaScript because
// a worker does not inherit the main thread's module hooks: register the TypeScript
// loader here, then load the TypeScript worker.
import { parentPort, workerData } from 'node:worker_threads';
import '../../bin/typescript.mjs';

const { serveKernelJobs } = await import('./simd_worker.ts');
serveKernelJobs(workerData, (message) => parentPort.postMessage(message));
