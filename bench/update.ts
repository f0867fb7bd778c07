/**
 * Milliseconds of one SAC+CURL update (the published sizes: 100x100 frames
 * cropped to 84x84, three stacked RGB frames, 1-D action, encoder 4x32 conv + 50,
 * MLPs 1024-1024) at batch 128 and 512, on each backend present: wasm with 1 and
 * 2 threads; cpu only with `--cpu` (about 100x slower, one update at batch 128).
 * A figure is the mean over an even number of updates, so it counts the actor and
 * alpha step (every 2nd update) at its published rate; the crop is included.
 * Wall-clock figures depend on what else runs on the machine; `update_cpu_ms_*`
 * (process CPU time, all threads) shows the work itself, and a `# load` line after
 * each figure gives the machine's load average (1, 5, 15 min) at that time.
 * Last line: `update_ms_b128=<wasm figure with the most threads>`.
 * `--aux=<spec>` times other auxiliary losses instead of CURL's (`--aux=none`,
 * `--aux=rotation`, `--aux=curl-inverse-forward`; agents/aux/registry.ts).
 * Reference: PyTorch CURL on these 2-core machines, 3.7 s (b128), 21.9 s (b512).
 */
import * as tf from '@tensorflow/tfjs';
import { loadavg } from 'node:os';
import { Random } from '../common/random.ts';
import { Box } from '../envs/core.ts';
import { AUXILIARY_LOSSES, parseAuxiliary } from '../agents/aux/registry.ts';
import type { ReplayBatch } from '../agents/replay.ts';
import { SacAgent } from '../agents/sac/agent.ts';
import { setupBackend, describeBackend } from '../agents/tf/backend.ts';

const withCpu = process.argv.includes('--cpu');
const quick = process.argv.includes('--quick');
const auxiliary = parseAuxiliary(process.argv.find((arg) => arg.startsWith('--aux='))?.slice('--aux='.length) ?? 'curl');
console.log(`# auxiliary losses: ${auxiliary.join(', ') || 'none'}`);

function batchOf(count: number, rng: Random): ReplayBatch {
  const frames = () => {
    const data = new Uint8Array(count * 100 * 100 * 9);
    for (let i = 0; i < data.length; i++) data[i] = (rng.nextUint32() >>> 24) & 0xff;
    return data;
  };
  return {
    obs: { dtype: 'uint8', shape: [count, 100, 100, 9], data: frames() },
    nextObs: { dtype: 'uint8', shape: [count, 100, 100, 9], data: frames() },
    actions: { dtype: 'float32', shape: [count, 1], data: Float32Array.from({ length: count }, () => rng.uniform(-1, 1)) },
    rewards: Float32Array.from({ length: count }, () => rng.uniform()),
    notDone: new Float32Array(count).fill(1),
  };
}

function makeAgent(): SacAgent {
  return new SacAgent({
    observationShape: [100, 100, 9],
    actionSpace: new Box(-1, 1, [1]),
    auxiliary: auxiliary.map((name) => AUXILIARY_LOSSES[name]({ featureDim: 50, hiddenSize: 1024, actionSpace: new Box(-1, 1, [1]), weight: 1, seed: 0 })),
    seed: 0,
  });
}

function cpuMilliseconds(): number {
  const usage = process.cpuUsage(); // the whole process, worker threads included
  return (usage.user + usage.system) / 1000;
}

/** Mean wall and CPU ms per update over `updates` (even) updates after one warm-up pair. */
function timeUpdates(agent: SacAgent, batch: ReplayBatch, updates: number, step: { value: number }): { wall: number; cpu: number } {
  for (let i = 0; i < 2 && !quick; i++) agent.update(batch, ++step.value);
  const start = performance.now();
  const startCpu = cpuMilliseconds();
  for (let i = 0; i < updates; i++) agent.update(batch, ++step.value);
  return { wall: (performance.now() - start) / updates, cpu: (cpuMilliseconds() - startCpu) / updates };
}

const configurations: { backend: 'wasm' | 'cpu'; threads: number }[] = [
  { backend: 'wasm', threads: 1 },
  { backend: 'wasm', threads: 2 },
];
if (withCpu) configurations.push({ backend: 'cpu', threads: 1 });
else console.log('# cpu skipped (about 100x slower than wasm); pass --cpu to time one update at batch 128');

const rng = Random.derive(0, 'bench-update');
const batches = { 128: batchOf(128, rng), 512: batchOf(512, rng) };
let headline: number | null = null;
for (const { backend, threads } of configurations) {
  const info = await setupBackend(backend, { threads });
  const label = `${info.name}_t${info.threads}`;
  console.log(`# backend ${describeBackend()}`);
  const started = performance.now();
  const agent = makeAgent();
  console.log(`agent_init_ms_${label}=${(performance.now() - started).toFixed(0)}`);
  const step = { value: 0 };
  const sizes = backend === 'cpu' ? [128] : [128, 512];
  for (const size of sizes) {
    const updates = backend === 'cpu' || quick ? 2 : size === 128 ? 4 : 2;
    const { wall, cpu } = timeUpdates(agent, batches[size as 128 | 512], updates, step);
    console.log(`update_ms_${label}_b${size}=${wall.toFixed(0)}`);
    console.log(`update_cpu_ms_${label}_b${size}=${cpu.toFixed(0)}`);
    console.log(`# load ${loadavg().map((value) => value.toFixed(2)).join(' ')}`);
    if (backend === 'wasm' && size === 128) headline = wall;
  }
  agent.dispose();
  console.log(`# tensors after dispose: ${tf.memory().numTensors}`);
}
console.log(`update_ms_b128=${headline === null ? 'NaN' : headline.toFixed(0)}`);
process.exit(0);
