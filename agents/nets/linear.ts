/**
 * Dense layers (x W + b) with a gradient that only runs untransposed matMuls.
 * tfjs's own gradient of matMul calls matMul with transposeA / transposeB, and
 * tfjs-backend-wasm 4.22 runs those 8-20x slower than the plain product
 * (measured at the encoder's [128, 39200] x [39200, 50]: 26 ms plain, 320-430 ms
 * transposed; an explicit transpose of x costs ~40-60 ms). Its bias gradient is a
 * sum over a non-innermost axis, which wasm also transposes first; a product with
 * a row of ones is one fast matMul instead.
 *   dx = dy W^T,   dW = x^T dy (or (dy^T x)^T when that transposes less),   db = 1^T dy.
 */
import * as tf from '@tensorflow/tfjs';

type CustomGradient = Parameters<typeof tf.customGrad>[0];

/** Sums the rows of a [rows, columns] matrix as 1^T m (untransposed matMul). */
export function sumRows(matrix: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.reshape(tf.matMul(tf.ones([1, matrix.shape[0]]), matrix), [matrix.shape[1]]) as tf.Tensor1D);
}

/** x^T dy, transposing whichever of x [N, in] or the result [in, out] is smaller. */
function kernelGradient(x: tf.Tensor2D, dy: tf.Tensor2D): tf.Tensor2D {
  const [count, inputs] = x.shape;
  const outputs = dy.shape[1];
  if (count * inputs <= inputs * outputs) return tf.matMul(tf.transpose(x), dy);
  return tf.transpose(tf.matMul(tf.transpose(dy), x)) as tf.Tensor2D;
}

function denseOp(inputGradient: boolean, withBias: boolean) {
  return tf.customGrad(((...args: unknown[]) => {
    const [x, kernel] = args as tf.Tensor2D[];
    const bias = withBias ? (args[2] as tf.Tensor1D) : null;
    const save = args[withBias ? 3 : 2] as tf.GradSaveFunc;
    save([x, kernel]);
    const product = tf.matMul(x, kernel);
    return {
      value: bias ? tf.add(product, bias) : product,
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        const [savedX, savedKernel] = saved as tf.Tensor2D[];
        // customGrad needs a gradient for every input; x that is data gets zeros (cheap) instead of dy W^T.
        const dx = inputGradient ? tf.matMul(dy, tf.transpose(savedKernel)) : tf.zeros(savedX.shape);
        const grads = [dx, kernelGradient(savedX, dy)];
        if (bias) grads.push(sumRows(dy));
        return grads;
      },
    };
  }) as unknown as CustomGradient);
}

const ops = {
  plain: denseOp(true, false),
  bias: denseOp(true, true),
  plainNoInput: denseOp(false, false),
  biasNoInput: denseOp(false, true),
};

/** x W (+ b); `inputGradient: false` when x is data or detached. */
export function linear(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D | null, options: { inputGradient?: boolean } = {}): tf.Tensor2D {
  const withInput = options.inputGradient !== false;
  if (bias) return (withInput ? ops.bias : ops.biasNoInput)(x, kernel, bias) as tf.Tensor2D;
  return (withInput ? ops.plain : ops.plainNoInput)(x, kernel) as tf.Tensor2D;
}

/** a @ b with the same fast gradient. */
export function matMul(a: tf.Tensor2D, b: tf.Tensor2D, options: { inputGradient?: boolean } = {}): tf.Tensor2D {
  return linear(a, b, null, options);
}
