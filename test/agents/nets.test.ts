import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { qr } from 'mathjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sizeOf } from '../../common/ndarray.ts';
import { Random } from '../../common/random.ts';
import { Adam } from '../../agents/nets/adam.ts';
import { convRelu } from '../../agents/nets/conv.ts';
import { convOutputSide } from '../../agents/nets/encoder.ts';
import { choleskyQr2, deltaOrthogonalKernel, orthogonal, orthogonalKernel } from '../../agents/nets/init.ts';
import { linear } from '../../agents/nets/linear.ts';
import { Parameters, softUpdate } from '../../agents/nets/parameters.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Gram matrix of the columns of a row-major [rows, cols] matrix. */
function columnGram(matrix: Float32Array, rows: number, cols: number): number[][] {
  const gram = Array.from({ length: cols }, () => new Array<number>(cols).fill(0));
  for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) for (let r = 0; r < rows; r++) gram[i][j] += matrix[r * cols + i] * matrix[r * cols + j];
  return gram;
}

describe('initialisation', () => {
  it('orthogonal equals the sign-corrected Q of mathjs qr on the same Gaussian draw', () => {
    const rows = 12;
    const cols = 5;
    const ours = orthogonal(rows, cols, new Random(3));
    // The same draw, column by column, then mathjs's QR: Q[:, :cols] * sign(diag R).
    const draw = new Random(3);
    const columns = Array.from({ length: cols }, () => draw.fillNormal(new Float64Array(rows)));
    const matrix = Array.from({ length: rows }, (_, r) => columns.map((column) => column[r]));
    const { Q, R } = qr(matrix) as unknown as { Q: number[][]; R: number[][] };
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) expect(ours[r * cols + c]).toBeCloseTo(Q[r][c] * Math.sign(R[c][c]), 5);
    }
  });

  it('gives orthonormal columns for tall and orthonormal rows for wide matrices, times the gain', () => {
    const tall = orthogonal(40, 6, new Random(1), 2);
    const gram = columnGram(tall, 40, 6);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) expect(gram[i][j]).toBeCloseTo(i === j ? 4 : 0, 4);
    const kernel = orthogonalKernel(6, 40, new Random(1)); // [in 6, out 40]: torch's [40, 6] has orthonormal columns
    const kernelGram = columnGram(Float32Array.from({ length: 240 }, (_, k) => kernel[(k % 6) * 40 + Math.floor(k / 6)]), 40, 6);
    for (let i = 0; i < 6; i++) expect(kernelGram[i][i]).toBeCloseTo(1, 4);
  });

  it('the block method for large matrices matches modified Gram-Schmidt on the same draw', () => {
    const tensors = tf.memory().numTensors;
    const blocks = orthogonal(300, 150, new Random(5), 1, 0);
    const reference = orthogonal(300, 150, new Random(5), 1, Infinity);
    let largest = 0;
    for (let i = 0; i < reference.length; i++) largest = Math.max(largest, Math.abs(blocks[i] - reference[i]));
    expect(largest).toBeLessThan(1e-4);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('CholeskyQR2 for a few long vectors matches modified Gram-Schmidt, and declines ill-conditioned ones', () => {
    const tensors = tf.memory().numTensors;
    const fast = orthogonal(20, 3000, new Random(6), 1, 0); // 20 <= one block: CholeskyQR2
    const reference = orthogonal(20, 3000, new Random(6), 1, Infinity);
    let largest = 0;
    for (let i = 0; i < reference.length; i++) largest = Math.max(largest, Math.abs(fast[i] - reference[i]));
    expect(largest).toBeLessThan(1e-5);
    const rng = new Random(7);
    const base = rng.fillNormal(new Float64Array(500)) as Float64Array;
    const nearlyParallel = base.map((x) => x + 1e-5 * rng.normal());
    expect(choleskyQr2([base, nearlyParallel])).toBeNull();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('delta-orthogonal conv kernels are zero except an orthogonal centre tap with gain sqrt(2)', () => {
    const kernel = deltaOrthogonalKernel(3, 4, 8, new Random(2));
    const tap = 4 * 8;
    for (let k = 0; k < 9; k++) {
      const values = kernel.subarray(k * tap, (k + 1) * tap);
      if (k !== 4) expect(values.every((v) => v === 0)).toBe(true);
    }
    const centre = kernel.subarray(4 * tap, 5 * tap); // [in 4, out 8]
    for (let i = 0; i < 4; i++) {
      let norm = 0;
      for (let o = 0; o < 8; o++) norm += centre[i * 8 + o] ** 2;
      expect(norm).toBeCloseTo(2, 4);
    }
    expect(() => deltaOrthogonalKernel(2, 4, 8, new Random(2))).toThrow(/kernel size must be odd, got 2/);
  });

  it('computes the published encoder geometry: 84 -> 41 -> 39 -> 37 -> 35', () => {
    expect(convOutputSide(84, 1)).toBe(41);
    expect(convOutputSide(84, 4)).toBe(35);
    expect(() => convOutputSide(8, 4)).toThrow(/too small for 4 conv layers/);
  });
});

describe('parameters and optimiser', () => {
  it('linear has the value and gradients of x W + b, for few and many rows', () => {
    const rng = new Random(8);
    for (const rows of [2, 9]) {
      const x = tf.tensor2d(rng.fillNormal(new Float32Array(rows * 3)) as Float32Array, [rows, 3]);
      const kernel = tf.tensor2d(rng.fillNormal(new Float32Array(6)) as Float32Array, [3, 2]);
      const bias = tf.tensor1d([0.5, -1]);
      const weights = tf.tensor2d(rng.fillNormal(new Float32Array(rows * 2)) as Float32Array, [rows, 2]);
      const ours = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(linear(a as tf.Tensor2D, b as tf.Tensor2D, c as tf.Tensor1D), weights)))([x, kernel, bias]);
      const reference = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D), c), weights)))([x, kernel, bias]);
      for (let i = 0; i < 3; i++) {
        const expected = reference[i].dataSync();
        ours[i].dataSync().forEach((value, j) => expect(value).toBeCloseTo(expected[j], 5));
      }
      tf.dispose([x, kernel, bias, weights, ...ours, ...reference]);
    }
  });

  it('convRelu has the value and gradients of relu(conv2d + bias), stride 1 and 2', () => {
    const rng = new Random(4);
    const random = (shape: number[]) => tf.tensor(rng.fillNormal(new Float32Array(sizeOf(shape))), shape);
    for (const stride of [1, 2]) {
      const x = random([3, 9, 9, 4]);
      const filter = random([3, 3, 4, 5]);
      const bias = random([5]);
      const loss = (layer: (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.Tensor) => (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(layer(a, b, c), tf.range(0, 1, 1 / 5)));
      const reference = loss((a, b, c) => tf.relu(tf.add(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, 'valid'), c)));
      const ours = loss((a, b, c) => convRelu(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor1D, stride, { inputGradient: true }));
      const expected = tf.grads(reference)([x, filter, bias]);
      const actual = tf.grads(ours)([x, filter, bias]);
      for (let i = 0; i < 3; i++) {
        const e = expected[i].dataSync();
        const a = actual[i].dataSync();
        for (let j = 0; j < e.length; j++) expect(a[j]).toBeCloseTo(e[j], 4);
      }
      // Without the input gradient, the filter and bias gradients are unchanged.
      const dataOnly = loss((a, b, c) => convRelu(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor1D, stride, { inputGradient: false }));
      const withoutInput = tf.grads((b: tf.Tensor, c: tf.Tensor) => dataOnly(x, b, c))([filter, bias]);
      expect(Array.from(withoutInput[0].dataSync())).toEqual(Array.from(actual[1].dataSync()));
      tf.dispose([x, filter, bias, ...expected, ...actual, ...withoutInput]);
    }
  });

  it('Adam takes PyTorch steps, and its state round-trips by name', () => {
    const parameters = new Parameters();
    const weight = parameters.add('w', [2], Float32Array.of(1, -1));
    const adam = new Adam(parameters.variables, { lr: 0.1 });
    const gradient = tf.tensor1d([0.5, -2]);
    adam.step(new Map([['w', gradient]]));
    // First step: m_hat / (sqrt(v_hat) + eps) = sign(g), so w moves by lr against the gradient.
    expect(Array.from(weight.dataSync())).toEqual([expect.closeTo(0.9, 6), expect.closeTo(-0.9, 6)]);
    const state = adam.getState();
    expect(state.steps[0]).toBe(1);
    expect(state['m/w'][0]).toBeCloseTo(0.05, 6);
    const copy = new Adam(parameters.variables, { lr: 0.1 });
    copy.setState(state);
    expect(copy.getState()).toEqual(state);
    expect(() => copy.setState({ steps: Float32Array.of(1) })).toThrow(/missing \[m\/w, v\/w\]/);
    expect(() => new Adam(parameters.variables, { lr: 0.1, beta1: 1 })).toThrow(/beta1 must be a finite number in \[0, 1\), got 1/);
    tf.dispose(gradient);
    adam.dispose();
    copy.dispose();
    parameters.dispose();
  });

  it('softUpdate moves targets by tau; setWeights names what is wrong', () => {
    const online = new Parameters();
    const target = new Parameters();
    online.add('a', [1], Float32Array.of(10));
    target.add('a', [1], Float32Array.of(0));
    softUpdate(target.variables, online.variables, 0.05);
    expect(target.get('a').dataSync()[0]).toBeCloseTo(0.5, 6);
    expect(() => target.setWeights({ a: new Float32Array(2) })).toThrow(/"a" needs a Float32Array of 1 values/);
    expect(() => target.setWeights({ b: new Float32Array(1) })).toThrow(/missing \[a\], unexpected \[b\]/);
    online.dispose();
    target.dispose();
  });
});
