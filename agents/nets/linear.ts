/**
 * Dense layers (x W + b) with the gradient written out, so that an input that is
 * data or detached gets no gradient computed:
 *   dx = dy W^T,   dW = x^T dy,   db = the sum of dy's rows.
 * The transposed products are matMul's transpose flags: native on tfjs-node, and on
 * wasm the project's SIMD product takes them at no cost (agents/tf/simd_kernels.ts).
 */
import * as tf from '@tensorflow/tfjs';

type CustomGradient = Parameters<typeof tf.customGrad>[0];

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
        const dx = inputGradient ? tf.matMul(dy, savedKernel, false, true) : tf.zeros(savedX.shape);
        const grads = [dx, tf.matMul(savedX, dy, true, false)];
        if (bias) grads.push(tf.sum(dy, 0));
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
