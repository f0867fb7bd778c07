// Entry of a conv worker thread (see conv_worker.ts). Plain JavaScript because a
// worker does not inherit the main thread's module hooks: register the TypeScript
// loader here, then load the TypeScript worker.
import { parentPort, workerData } from 'node:worker_threads';
import '../../bin/typescript.mjs';

const { serveConvJobs } = await import('./conv_worker.ts');
await serveConvJobs(workerData, (message) => parentPort.postMessage(message));
