/**
 * Speed of the encoder's convs on the wasm backend, the part of a SAC+CURL update
 * that dominates its time: batch 128, 84x84x9 input, conv 3x3 stride 2 then three
 * conv 3x3 stride 1, 32 filters, 'valid'. For threads 1 and 2, per layer, the
 * milliseconds (best of --reps runs) of the forward conv, the input gradient and
 * the filter gradient, and the GMAC/s they reach. With --baseline, also the input
 * gradient of wasm's shipped Conv2DBackpropInput at layer 2, for comparison.
 *
 * Wall times are the minimum over the runs; this machine is shared, so each op also
 * prints the CPU time its threads used (from /proc, 10 ms ticks): `_cpu_main_ms` of
 * the main thread and `_cpu_ms` of all threads. On an idle machine the 2-thread wall
 * time approaches max(main thread CPU, worker CPU).
 *
 *   npm run bench -- conv [--reps=3] [--batch=128] [--baseline]
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync, readdirSync } from 'node:fs';
import { describeBackend, setupBackend } from '../agents/tf/backend.ts';
import { activateWasm } from '../agents/tf/wasm_loader.ts';

function flag(name: string, fallback: number): number {
  const prefix = `--${name}=`;
  const value = process.argv.find((a) => a.startsWith(prefix));
  if (value === undefined) return fallback;
  const number = Number(value.slice(prefix.length));
  if (!Number.isInteger(number) || number < 1) throw new Error(`--${name} must be a positive integer, got "${value.slice(prefix.length)}"`);
  return number;
}

const reps = flag('reps', 3);
const batch = flag('batch', 128);

interface Layer {
  input: [number, number, number, number];
  filter: [number, number, number, number];
  stride: number;
}

const layers: Layer[] = [];
{
  let side = 84;
  let channels = 9;
  for (let i = 0; i < 4; i++) {
    const stride = i === 0 ? 2 : 1;
    layers.push({ input: [batch, side, side, channels], filter: [3, 3, channels, 32], stride });
    side = Math.floor((side - 3) / stride) + 1;
    channels = 32;
  }
}

/** CPU ms used so far by the main thread and by all threads of this process (Linux /proc). */
function cpuTimes(): { main: number; all: number } {
  const ticks = (path: string) => {
    try {
      // Fields after the command name: utime and stime are the 12th and 13th.
      const fields = readFileSync(path, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      return 0; // a thread that ended meanwhile, or no /proc
    }
  };
  let all = 0;
  try {
    for (const task of readdirSync('/proc/self/task')) all += ticks(`/proc/self/task/${task}/stat`);
  } catch {
    return { main: NaN, all: NaN };
  }
  return { main: ticks('/proc/thread-self/stat'), all };
}

interface Timing {
  ms: number;
  cpuMain: number;
  cpuAll: number;
}

/** Minimum wall ms of `run` (its result read back, so the work is done) after one warm-up, with mean CPU ms. */
function time(run: () => tf.Tensor): Timing {
  const walls: number[] = [];
  let cpuMain = 0;
  let cpuAll = 0;
  for (let i = 0; i <= reps; i++) {
    const cpuBefore = cpuTimes();
    const start = performance.now();
    const result = run();
    result.dataSync();
    const ms = performance.now() - start;
    const cpuAfter = cpuTimes();
    result.dispose();
    if (i === 0) continue;
    walls.push(ms);
    cpuMain += (cpuAfter.main - cpuBefore.main) / reps;
    cpuAll += (cpuAfter.all - cpuBefore.all) / reps;
  }
  return { ms: Math.min(...walls), cpuMain, cpuAll };
}

function macs(layer: Layer, outSide: number): number {
  const [n, , , ci] = layer.input;
  return n * outSide * outSide * 32 * 9 * ci;
}

function filterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, layer: Layer): tf.Tensor {
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
    strides: layer.stride,
    pad: 'valid',
    dataFormat: 'NHWC',
    filterShape: layer.filter,
  }) as tf.Tensor;
}

function print(key: string, value: number): void {
  console.log(`${key}=${Number(value.toFixed(2))}`);
}

if (process.argv.includes('--baseline')) {
  // wasm's own Conv2DBackpropInput, before setupBackend replaces it.
  await activateWasm();
  const layer = layers[1];
  const out = Math.floor((layer.input[1] - 3) / layer.stride) + 1;
  const dy = tf.randomNormal([batch, out, out, 32]) as tf.Tensor4D;
  const filter = tf.randomNormal(layer.filter) as tf.Tensor4D;
  const start = performance.now();
  tf.conv2dTranspose(dy, filter, layer.input, layer.stride, 'valid').dispose();
  print('baseline_wasm_conv2_input_grad_ms', performance.now() - start);
  tf.dispose([dy, filter]);
}

for (const threads of [1, 2]) {
  const info = await setupBackend('wasm', { threads });
  console.log(`# ${describeBackend()}`);
  const t = `t${info.threads}`;
  let totalMacs = 0;
  let forwardMs = 0;
  let backwardMs = 0;
  let backwardMacs = 0;
  layers.forEach((layer, index) => {
    const out = Math.floor((layer.input[1] - 3) / layer.stride) + 1;
    const x = tf.randomNormal(layer.input) as tf.Tensor4D;
    const filter = tf.randomNormal(layer.filter) as tf.Tensor4D;
    const dy = tf.randomNormal([batch, out, out, 32]) as tf.Tensor4D;
    const work = macs(layer, out);
    const name = `conv${index + 1}`;
    const report = (op: string, timing: Timing) => {
      print(`${name}_${op}_ms_${t}`, timing.ms);
      print(`${name}_${op}_gmacs_${t}`, work / timing.ms / 1e6);
      print(`${name}_${op}_cpu_main_ms_${t}`, timing.cpuMain);
      print(`${name}_${op}_cpu_ms_${t}`, timing.cpuAll);
    };
    const forward = time(() => tf.conv2d(x, filter, layer.stride, 'valid'));
    report('forward', forward);
    // The first layer's input gradient is never needed in training (its input is data).
    let inputGradientMs = 0;
    if (index > 0) {
      const inputGradient = time(() => tf.conv2dTranspose(dy, filter, layer.input, layer.stride, 'valid'));
      report('input_grad', inputGradient);
      inputGradientMs = inputGradient.ms;
    }
    const filterGrad = time(() => filterGradient(x, dy, layer));
    report('filter_grad', filterGrad);
    forwardMs += forward.ms;
    backwardMs += inputGradientMs + filterGrad.ms;
    totalMacs += work;
    backwardMacs += work * (index > 0 ? 2 : 1);
    tf.dispose([x, filter, dy]);
  });
  print(`encoder_forward_ms_${t}`, forwardMs);
  print(`encoder_backward_ms_${t}`, backwardMs);
  print(`encoder_forward_gmacs_${t}`, totalMacs / forwardMs / 1e6);
  print(`encoder_backward_gmacs_${t}`, backwardMacs / backwardMs / 1e6);
}
console.log(`tensors_left=${tf.memory().numTensors}`);
