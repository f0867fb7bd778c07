/**
 * The wasm backend's gradients (the project's conv kernels and every op a SAC+CURL
 * update differentiates) against tfjs's cpu backend, which is the reference: the
 * same function and inputs are run on both and the results compared as plain arrays.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../../common/random.ts';
import { setupBackend } from '../../../agents/tf/backend.ts';
import { convRelu } from '../../../agents/nets/conv.ts';
import { relativeError } from '../fixtures.ts';

type Inputs = { values: Float32Array; shape: number[] }[];

/** Runs `f` on one backend from plain arrays and returns its outputs as plain arrays. */
async function evaluate(backend: 'wasm' | 'cpu', inputs: Inputs, f: (...x: tf.Tensor[]) => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const tensors = inputs.map(({ values, shape }) => tf.tensor(values, shape));
    return f(...tensors).map((t) => t.dataSync().slice() as Float32Array);
  });
}

async function compare(inputs: Inputs, f: (...x: tf.Tensor[]) => tf.Tensor[]): Promise<number[]> {
  const wasm = await evaluate('wasm', inputs, f);
  const cpu = await evaluate('cpu', inputs, f);
  await tf.setBackend('wasm');
  return wasm.map((values, i) => relativeError(values, cpu[i]));
}

function randomInput(rng: Random, shape: number[]): Inputs[number] {
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  rng.fillNormal(values);
  return { values, shape };
}

beforeAll(async () => {
  await setupBackend('wasm', { threads: 1 });
});

afterAll(async () => {
  await tf.setBackend('wasm');
});

describe('wasm conv gradients match the cpu backend', () => {
  const rng = Random.derive(20240601, 'wasm-conv-gradients');
  const cases = [1, 7].flatMap((batch) =>
    [1, 2].flatMap((stride) => (['valid', 'same'] as const).map((pad) => ({ batch, stride, pad }))),
  );
  it.each(cases)('batch $batch, stride $stride, $pad', async ({ batch, stride, pad }) => {
    const size = 3 - rng.int(2); // 3 or 2: even filters pad asymmetrically under 'same'
    const height = rng.int(size + stride, 13);
    const width = rng.int(size + stride, 13);
    const inChannels = rng.int(1, 6);
    const outChannels = rng.int(1, 7);
    const inputs = [
      randomInput(rng, [batch, height, width, inChannels]),
      randomInput(rng, [size, size, inChannels, outChannels]),
      randomInput(rng, [outChannels]),
    ];
    // A non-uniform upstream gradient: weight each output by a fixed pattern.
    const errors = await compare(inputs, (x, filter, bias) => {
      const loss = (a: tf.Tensor, w: tf.Tensor) => {
        const y = tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, stride, pad);
        return tf.sum(tf.mul(y, tf.sin(tf.reshape(tf.range(0, y.size), y.shape))));
      };
      const [dx, dw] = tf.grads(loss)([x, filter]);
      // The fused conv (bias + ReLU) the encoder uses differentiates through the same kernels.
      const fusedLoss = (a: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.square(tf.fused.conv2d({ x: a as tf.Tensor4D, filter: w as tf.Tensor4D, strides: stride, pad, bias: b, activation: 'relu' })));
      const [fusedDx, fusedDw, fusedDb] = tf.grads(fusedLoss)([x, filter, bias]);
      return [tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, stride, pad), dx, dw, fusedDx, fusedDw, fusedDb];
    });
    for (const error of errors) expect(error).toBeLessThanOrEqual(1e-3);
  });

  it('a batch of several filter-gradient chunks (19 = 8 + 8 + 3)', async () => {
    const inputs = [randomInput(rng, [19, 9, 8, 3]), randomInput(rng, [3, 3, 3, 4])];
    const errors = await compare(inputs, (x, filter) =>
      tf.grads((a: tf.Tensor, w: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 2, 'valid'))))([x, filter]),
    );
    for (const error of errors) expect(error).toBeLessThanOrEqual(1e-3);
  });

  it('explicit padding and a 1x1 filter', async () => {
    const inputs = [randomInput(rng, [3, 9, 7, 4]), randomInput(rng, [1, 1, 4, 5]), randomInput(rng, [3, 2, 4, 5])];
    const errors = await compare(inputs, (x, pointwise, spatial) => {
      const explicit: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [2, 0], [1, 3], [0, 0]];
      const loss = (a: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor) =>
        tf.add(
          tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, w1 as tf.Tensor4D, 2, 'same'))),
          tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, w2 as tf.Tensor4D, [2, 1], explicit))),
        );
      return tf.grads(loss)([x, pointwise, spatial]);
    });
    for (const error of errors) expect(error).toBeLessThanOrEqual(1e-3);
  });

  it('leaves no tensor and no wasm buffer behind', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([7, 11, 11, 3]) as tf.Tensor4D;
    const filter = tf.randomNormal([3, 3, 3, 4]) as tf.Tensor4D;
    const tensors = tf.memory().numTensors;
    const buffers = tf.backend().numDataIds();
    const gradients = tf.grads((a: tf.Tensor, w: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 2, 'same')))([x, filter]);
    tf.dispose(gradients);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.backend().numDataIds()).toBe(buffers);
    tf.dispose([x, filter]);
  });
});

describe('the encoder layer and the products the project routes through its own wasm kernels', () => {
  const rng = Random.derive(20240601, 'wasm-project-kernels');

  it('convRelu (fused ReLU and bias gradient, shared saved activations) matches the cpu backend, stride 1 and 2', async () => {
    for (const stride of [1, 2]) {
      const inputs = [randomInput(rng, [5, 11, 10, 4]), randomInput(rng, [3, 3, 4, 6]), randomInput(rng, [6])];
      const errors = await compare(inputs, (x, filter, bias) => {
        const layer = (a: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => convRelu(a as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D, stride, { inputGradient: true });
        // Weights that vary per element, so that every position's gradient counts.
        const loss = (a: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => {
          const y = layer(a, w, b);
          return tf.sum(tf.mul(y, tf.sin(tf.reshape(tf.range(0, y.size), y.shape))));
        };
        return [layer(x, filter, bias), ...tf.grads(loss)([x, filter, bias])];
      });
      expect(errors).toHaveLength(4);
      for (const error of errors) expect(error).toBeLessThanOrEqual(1e-3);
    }
  });

  it.each([
    { transposeA: false, transposeB: true },
    { transposeA: true, transposeB: false },
    { transposeA: true, transposeB: true },
  ])('matMul with transposeA $transposeA, transposeB $transposeB, 2-D and batched', async ({ transposeA, transposeB }) => {
    const shape = (rows: number, cols: number, transposed: boolean, batch?: number) => {
      const matrix = transposed ? [cols, rows] : [rows, cols];
      return batch ? [batch, ...matrix] : matrix;
    };
    const inputs = [
      randomInput(rng, shape(7, 5, transposeA)),
      randomInput(rng, shape(5, 6, transposeB)),
      randomInput(rng, shape(4, 3, transposeA, 2)),
      randomInput(rng, shape(3, 8, transposeB, 2)),
    ];
    const errors = await compare(inputs, (a, b, batchedA, batchedB) => [
      tf.matMul(a, b, transposeA, transposeB),
      tf.matMul(batchedA, batchedB, transposeA, transposeB),
    ]);
    for (const error of errors) expect(error).toBeLessThanOrEqual(1e-5);
  });
});

describe('wasm sums (the project replaces the leading-axes case) match the cpu backend', () => {
  const rng = Random.derive(20240601, 'wasm-sums');
  it.each([
    { axis: [0, 1, 2], keepDims: false },
    { axis: [1, 0], keepDims: true },
    { axis: [0], keepDims: false },
    { axis: [1, 3], keepDims: false },
    { axis: [-1], keepDims: true },
  ])('sum over $axis, keepDims $keepDims', async ({ axis, keepDims }) => {
    const inputs = [randomInput(rng, [5, 4, 3, 6])];
    const wasm = await evaluate('wasm', inputs, (x) => [tf.sum(x, axis, keepDims)]);
    const cpu = await evaluate('cpu', inputs, (x) => [tf.sum(x, axis, keepDims), tf.tensor1d(tf.sum(x, axis, keepDims).shape)]);
    await tf.setBackend('wasm');
    expect(relativeError(wasm[0], cpu[0])).toBeLessThanOrEqual(1e-6);
    const shape = await evaluate('wasm', inputs, (x) => [tf.tensor1d(tf.sum(x, axis, keepDims).shape)]);
    expect(Array.from(shape[0])).toEqual(Array.from(cpu[1]));
  });
});

describe('the other ops of a SAC+CURL update differentiate on wasm as on cpu', () => {
  const rng = Random.derive(20240601, 'wasm-op-gradients');
  const positive = (x: tf.Tensor) => tf.add(tf.square(x), 0.5);
  const ops: Record<string, (x: tf.Tensor) => tf.Tensor> = {
    relu: (x) => tf.relu(x),
    matMul: (x) => tf.matMul(x as tf.Tensor2D, x as tf.Tensor2D, false, true),
    add: (x) => tf.add(x, tf.reverse(x, 1)),
    mean: (x) => tf.mean(x, 1),
    sub: (x) => tf.sub(x, tf.mean(x, 1, true)),
    rsqrt: (x) => tf.rsqrt(positive(x)),
    sqrt: (x) => tf.sqrt(positive(x)),
    div: (x) => tf.div(x, positive(x)),
    'layer norm (moments)': (x) => {
      const { mean, variance } = tf.moments(x, 1, true);
      return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5)));
    },
    tanh: (x) => tf.tanh(x),
    exp: (x) => tf.exp(x),
    log: (x) => tf.log(positive(x)),
    softplus: (x) => tf.softplus(x),
    clipByValue: (x) => tf.clipByValue(x, -0.5, 0.5),
    minimum: (x) => tf.minimum(x, tf.reverse(x, 1)),
    max: (x) => tf.max(x, 1),
    logSoftmax: (x) => tf.logSoftmax(x),
    logSumExp: (x) => tf.logSumExp(x, 1),
    concat: (x) => tf.concat([x, tf.mul(x, 2)], 1),
    slice: (x) => tf.slice(x, [1, 1], [2, 3]),
    transpose: (x) => tf.reshape(tf.transpose(x), [5, 4]),
    gather: (x) => tf.gather(x, tf.tensor1d([0, 2, 2], 'int32')),
    oneHot: (x) => tf.mul(x, tf.oneHot(tf.tensor1d([0, 1, 2, 4], 'int32'), 5)),
    where: (x) => tf.where(tf.tensor2d([[1, 0, 1, 0, 1]], [1, 5], 'bool').tile([4, 1]) as tf.Tensor, x, tf.mul(x, 0.1)),
    'sum of squares': (x) => tf.sum(tf.square(x)),
  };
  it.each(Object.keys(ops))('%s', async (name) => {
    const errors = await compare([randomInput(rng, [4, 5])], (x) => {
      const loss = (a: tf.Tensor) => {
        const y = ops[name](a);
        return tf.sum(tf.mul(y, tf.cos(tf.reshape(tf.range(0, y.size), y.shape))));
      };
      return [tf.grad(loss)(x)];
    });
    expect(errors[0]).toBeLessThanOrEqual(1e-4);
  });
});
