// Entry of a conv worker thread (see conv_worker.ts). Plain JavaScript because Node
// resolves a worker's entry file before any --import hook can teach it TypeScript:
// register tsx here, then load the TypeScript worker.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { serveConvJobs } = await import('./conv_worker.ts');
await serveConvJobs(workerData, (message) => parentPort.postMessage(message));
