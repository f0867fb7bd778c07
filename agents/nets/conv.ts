/**
 * One encoder layer, relu(conv(x, filter) + bias) with 'valid' padding (NHWC),
 * as a single fused kernel forward and a hand-written gradient. tfjs's own
 * fused conv does not fuse the ReLU while a gradient is being recorded, so it
 * keeps three activations per layer (conv, + bias, relu) alive until the backward
 * pass, and it always computes the input gradient. Here a layer keeps one
 * activation, and the first layer (its input is data) skips the input gradient.
 * At batch 512 and 84x84 that is what keeps an update inside wasm's 4 GB heap.
 *
 * Gradient (with g = dy * 1[y > 0], the ReLU's): d bias = sum of g over N, H, W
 * (g and d bias in one pass, see reluBiasGradient);
 * d filter = Conv2DBackpropFilter(x, g); d x = Conv2DBackpropInput(g, filter).
 */
import * as tf from '@tensorflow/tfjs';
import { RELU_BIAS_GRADIENT } from '../tf/wasm_kernels.ts';

type Attributes = Parameters<ReturnType<typeof tf.engine>['runKernel']>[2];

function attributes(stride: number, extra: Record<string, unknown>): Attributes {
  return { strides: [stride, stride], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined, ...extra } as unknown as Attributes;
}

function forward(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor, stride: number): tf.Tensor4D {
  return tf.engine().runKernel('FusedConv2D', { x, filter, bias }, attributes(stride, { activation: 'relu', leakyreluAlpha: 0 })) as tf.Tensor4D;
}

/**
 * [g, d bias] with g = dy * 1[y > 0] and d bias = sum of g over N, H, W. On wasm
 * one fused kernel does both (agents/tf/wasm_kernels.ts); elsewhere tf ops.
 */
function reluBiasGradient(dy: tf.Tensor4D, y: tf.Tensor4D): [tf.Tensor4D, tf.Tensor1D] {
  if (tf.getBackend() === 'wasm' && tf.getKernel(RELU_BIAS_GRADIENT, 'wasm') != null) {
    return tf.engine().runKernel(RELU_BIAS_GRADIENT, { dy, y }, {}) as unknown as [tf.Tensor4D, tf.Tensor1D];
  }
  return tf.tidy(() => {
    const g = tf.mul(dy, tf.step(y)) as tf.Tensor4D;
    return [g, tf.sum(g, [0, 1, 2]) as tf.Tensor1D];
  });
}

function filterGradient(x: tf.Tensor4D, gradient: tf.Tensor4D, filterShape: number[], stride: number): tf.Tensor4D {
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: gradient }, attributes(stride, { filterShape })) as tf.Tensor4D;
}

function inputGradient(gradient: tf.Tensor4D, filter: tf.Tensor4D, inputShape: number[], stride: number): tf.Tensor4D {
  return tf.engine().runKernel('Conv2DBackpropInput', { dy: gradient, filter }, attributes(stride, { inputShape })) as tf.Tensor4D;
}

type CustomGradient = Parameters<typeof tf.customGrad>[0];

/**
 * relu(conv(x, filter, stride) + bias). With `inputGradient: false` no gradient
 * reaches x (it is data); the filter and bias always get theirs.
 */
export function convRelu(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D, stride: number, options: { inputGradient: boolean }): tf.Tensor4D {
  if (!options.inputGradient) {
    const layer = tf.customGrad(((filterInput: tf.Tensor4D, biasInput: tf.Tensor1D, save: tf.GradSaveFunc) => {
      const y = forward(x, filterInput, biasInput, stride);
      // Saving x keeps it alive for the backward pass although it is not an input.
      save([y, filterInput, x]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
          const [savedY, savedFilter, savedX] = saved as tf.Tensor4D[];
          const [g, biasGradient] = reluBiasGradient(dy, savedY);
          return [filterGradient(savedX, g, savedFilter.shape, stride), biasGradient];
        },
      };
    }) as unknown as CustomGradient);
    return layer(filter, bias) as tf.Tensor4D;
  }
  const layer = tf.customGrad(((xInput: tf.Tensor4D, filterInput: tf.Tensor4D, biasInput: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const y = forward(xInput, filterInput, biasInput, stride);
    save([y, xInput, filterInput]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [savedY, savedX, savedFilter] = saved as tf.Tensor4D[];
        const [g, biasGradient] = reluBiasGradient(dy, savedY);
        return [inputGradient(g, savedFilter, savedX.shape, stride), filterGradient(savedX, g, savedFilter.shape, stride), biasGradient];
      },
    };
  }) as unknown as CustomGradient);
  return layer(x, filter, bias) as tf.Tensor4D;
}
