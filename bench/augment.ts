/**
 * Milliseconds per augmentation on a batch of 512 stacked observations (9
 * channels: three RGB frames), one `aug_ms_<name>=<ms>` line each (the median of
 * a few runs after a warm-up), and the forward pass of the published pixel encoder
 * on the same batch for comparison (`encoder_forward_ms`).
 *
 * - crop (100 -> 84), translate (100 -> 108 canvas) and shift (84 -> 84, DrQ's use;
 *   `aug_ms_shift_100` on the 100 render) write into a reused output buffer, as a
 *   training loop does; `aug_ms_<name>_fresh` allocates a new array each call
 *   (paging in fresh memory costs about as much as the copy).
 * - The other pixel augmentations run on 84x84x9 with every sample augmented
 *   (p = 1 where a probability applies): their worst case.
 * Goals (issue 3): crop, translate, shift <= 15 ms; the others <= 5x the encoder
 * forward. This prints figures and never fails on time. Timings on a shared CPU are noisy.
 *
 * `npm run bench -- augment [--quick] [--batch=N]` (--quick: batch 64, fewer runs;
 * --batch=N: any batch size, one run each, for a smoke test of the output lines).
 */
import { setupBackend } from '../agents/tf/backend.ts';
import * as tf from '@tensorflow/tfjs';
import type { NdArray } from '../common/ndarray.ts';
import { zeros } from '../common/ndarray.ts';
import { Random } from '../common/random.ts';
import { parseAugmentations } from '../augment/pipeline.ts';

const quick = process.argv.includes('--quick');
const batchFlag = process.argv.find((argument) => argument.startsWith('--batch='));
const smoke = batchFlag !== undefined;
const batchSize = smoke ? Number(batchFlag.slice('--batch='.length)) : quick ? 64 : 512;
if (!Number.isInteger(batchSize) || batchSize < 1) {
  console.error(`bench augment: --batch must be a positive integer, got ${batchFlag}`);
  process.exit(2);
}
const rng = new Random('bench/augment');

function fillPattern(batch: NdArray<'uint8'>): NdArray<'uint8'> {
  const random = new Random('bench/pixels');
  for (let i = 0; i < batch.data.length; i++) batch.data[i] = (i * 7 + (i >> 10)) & 255;
  for (let i = 0; i < batch.data.length; i += 97) batch.data[i] = random.int(256);
  return batch;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function time(runs: number, fn: () => unknown): number {
  if (!smoke) fn(); // warm-up: JIT, and the first page-in of reused buffers
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  return median(times);
}

const print = (key: string, value: number) => console.log(`${key}=${value.toFixed(2)}`);

const rendered = fillPattern(zeros('uint8', [batchSize, 100, 100, 9]));
const cropped = fillPattern(zeros('uint8', [batchSize, 84, 84, 9]));
const fastRuns = smoke ? 1 : quick ? 5 : 9;
const slowRuns = smoke || quick ? 1 : 3;

// Row-copying augmentations, with a reused output buffer and with a fresh one.
const copying: [string, string, NdArray<'uint8'>][] = [
  ['crop', 'crop', rendered],
  ['translate', 'translate', rendered],
  ['shift', 'shift', cropped],
  ['shift_100', 'shift', rendered],
];
for (const [key, spec, input] of copying) {
  const pipeline = parseAugmentations(spec);
  const out = zeros('uint8', [batchSize, ...pipeline.outputShape(input.shape.slice(1))]);
  print(`aug_ms_${key}`, time(fastRuns, () => pipeline.apply(input, rng, { out })));
  print(`aug_ms_${key}_fresh`, time(fastRuns, () => pipeline.apply(input, rng)));
}

const everySample = { grayscale: { p: 1 }, flip: { p: 1 }, rotate: { p: 1 }, frequency: { p: 1 } };
for (const name of ['cutout', 'cutout_color', 'grayscale', 'flip', 'rotate', 'rand_conv', 'color_jitter', 'frequency', 'overlay']) {
  const pipeline = parseAugmentations(name, everySample);
  if (name === 'overlay') pipeline.apply(cropped, rng); // builds the background bank once, as a run does
  const runs = ['rand_conv', 'color_jitter', 'frequency'].includes(name) ? slowRuns : fastRuns;
  print(`aug_ms_${name}`, time(runs, () => pipeline.apply(cropped, rng)));
}

// State augmentations: 512 x 24 (a DMC proprioceptive state is 5 to 67 values).
const states = zeros('float32', [batchSize, 24]);
new Random('bench/states').fillNormal(states.data);
for (const name of ['amplitude_scale', 'gaussian_noise']) {
  const pipeline = parseAugmentations(name);
  print(`aug_ms_${name}`, time(fastRuns, () => pipeline.apply(states, rng)));
}

// The published pixel encoder's convs (RAD/CURL/SAC-AE): 3x3 stride 2, then three 3x3
// stride 1, 32 filters each, valid padding, ReLU; on the same 84x84x9 batch.
async function encoderForwardMs(): Promise<number> {
  const info = await setupBackend('wasm');
  const backend = `${info.name} (${info.threads} threads)`;
  console.log(`# encoder backend: ${backend}`);
  const seed = new Random('bench/encoder');
  const kernel = (inputs: number) => tf.randomNormal([3, 3, inputs, 32], 0, Math.sqrt(2 / (9 * inputs)), 'float32', seed.seed());
  const weights = [kernel(9), kernel(32), kernel(32), kernel(32)];
  const input = tf.tidy(() => tf.tensor4d(cropped.data, [batchSize, 84, 84, 9], 'int32').toFloat().div(255));
  const forward = async () => {
    const output = tf.tidy(() => {
      let hidden = tf.relu(tf.conv2d(input as tf.Tensor4D, weights[0] as tf.Tensor4D, 2, 'valid'));
      for (const weight of weights.slice(1)) hidden = tf.relu(tf.conv2d(hidden, weight as tf.Tensor4D, 1, 'valid'));
      return hidden;
    });
    await output.data();
    output.dispose();
  };
  if (!smoke) await forward();
  const times: number[] = [];
  for (let r = 0; r < slowRuns; r++) {
    const start = performance.now();
    await forward();
    times.push(performance.now() - start);
  }
  return median(times);
}

print('encoder_forward_ms', await encoderForwardMs());
console.log(`# batch ${batchSize}; medians; shared CPU, so figures are noisy`);
process.exit(0); // the wasm backend's SIMD worker threads would keep the process alive
