/**
 * The pixel encoder of SAC-AE, RAD and CURL: conv 3x3 stride 2, then (layers - 1)
 * convs 3x3 stride 1, all with `filters` channels, 'valid' padding and ReLU;
 * flatten; dense to `featureDim`; LayerNorm; no tanh (CURL's `output_logits=True`).
 * uint8 pixels (as int32 or float32 tensors holding 0..255) become [0, 1] here.
 *
 * It is split in two because RAD and CURL tie the actor's conv layers to the
 * critic's and let only the critic's loss train them: `convTrunk` (shared) and
 * `encoderHead` (dense + LayerNorm, one per network).
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../../common/random.ts';
import { convRelu } from './conv.ts';
import { deltaOrthogonalKernel, orthogonalKernel } from './init.ts';
import { linear } from './linear.ts';
import type { Parameters } from './parameters.ts';

export interface ConvTrunkShape {
  /** Observation shape [height, width, channels] (channels = 3 x frames stacked). */
  inputShape: [number, number, number];
  /** Number of conv layers (the first has stride 2). */
  layers: number;
  /** Channels of every conv layer. */
  filters: number;
}

/** Side of the last conv map for a square input: (size - 3) / 2 + 1, then -2 per further layer ('valid'). */
export function convOutputSide(side: number, layers: number): number {
  let out = Math.floor((side - 3) / 2) + 1;
  for (let i = 1; i < layers; i++) out -= 2;
  if (out < 1) throw new Error(`encoder: a ${side}-pixel input is too small for ${layers} conv layers`);
  return out;
}

/** Length of the flattened conv output. */
export function convOutputSize(shape: ConvTrunkShape): number {
  const [height, width] = shape.inputShape;
  return convOutputSide(height, shape.layers) * convOutputSide(width, shape.layers) * shape.filters;
}

export function addConvTrunk(parameters: Parameters, prefix: string, shape: ConvTrunkShape, rng: Random): void {
  const { layers, filters, inputShape } = shape;
  if (!Number.isInteger(layers) || layers < 1) throw new Error(`encoder: layers must be a positive integer, got ${layers}`);
  if (!Number.isInteger(filters) || filters < 1) throw new Error(`encoder: filters must be a positive integer, got ${filters}`);
  convOutputSize(shape); // validates the input size
  let channels = inputShape[2];
  for (let i = 0; i < layers; i++) {
    parameters.add(`${prefix}/conv${i}/kernel`, [3, 3, channels, filters], deltaOrthogonalKernel(3, channels, filters, rng));
    parameters.add(`${prefix}/conv${i}/bias`, [filters], new Float32Array(filters));
    channels = filters;
  }
}

/**
 * [N, H, W, C] pixels in 0..255 -> [N, flat] conv features. The scaling to
 * [0, 1] is folded into the first layer: conv(x / 255, W) = conv(x, W / 255),
 * which spares a full-size copy of the input. Outside a gradient computation each
 * layer's input is freed as soon as the next layer has run.
 */
export function convTrunk(parameters: Parameters, prefix: string, layers: number, pixels: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    const recording = tf.engine().state.gradientDepth > 0;
    // (wasm's Cast copies even float32 to float32, twice: 32 MB each at batch 128.)
    let x = pixels.dtype === 'float32' ? pixels : (tf.cast(pixels, 'float32') as tf.Tensor4D);
    for (let i = 0; i < layers; i++) {
      let filter = parameters.get(`${prefix}/conv${i}/kernel`) as tf.Tensor4D;
      if (i === 0) filter = tf.mul(filter, 1 / 255);
      const bias = parameters.get(`${prefix}/conv${i}/bias`) as tf.Tensor1D;
      const y = convRelu(x, filter, bias, i === 0 ? 2 : 1, { inputGradient: i > 0 });
      if (!recording && i > 0) x.dispose();
      x = y;
    }
    return tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D;
  });
}

export function addDense(parameters: Parameters, prefix: string, inputSize: number, outputSize: number, rng: Random): void {
  parameters.add(`${prefix}/kernel`, [inputSize, outputSize], orthogonalKernel(inputSize, outputSize, rng));
  parameters.add(`${prefix}/bias`, [outputSize], new Float32Array(outputSize));
}

/** x W + b; `inputGradient: false` when x is data or detached (saves the unused dx product). */
export function dense(parameters: Parameters, prefix: string, x: tf.Tensor2D, options: { inputGradient?: boolean } = {}): tf.Tensor2D {
  return linear(x, parameters.get(`${prefix}/kernel`) as tf.Tensor2D, parameters.get(`${prefix}/bias`) as tf.Tensor1D, options);
}

/** Dense to `featureDim` then LayerNorm with a learned gain and bias. */
export function addEncoderHead(parameters: Parameters, prefix: string, inputSize: number, featureDim: number, rng: Random): void {
  addDense(parameters, `${prefix}/dense`, inputSize, featureDim, rng);
  parameters.add(`${prefix}/norm/gamma`, [featureDim], new Float32Array(featureDim).fill(1));
  parameters.add(`${prefix}/norm/beta`, [featureDim], new Float32Array(featureDim));
}

/** torch.nn.LayerNorm's default epsilon. */
const layerNormEpsilon = 1e-5;

/** `inputGradient: false` when the conv features are detached (the actor's use). */
export function encoderHead(parameters: Parameters, prefix: string, features: tf.Tensor2D, options: { inputGradient?: boolean } = {}): tf.Tensor2D {
  return tf.tidy(() => {
    const h = dense(parameters, `${prefix}/dense`, features, options);
    const { mean, variance } = tf.moments(h, -1, true);
    const normalised = tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, layerNormEpsilon)));
    return tf.add(tf.mul(normalised, parameters.get(`${prefix}/norm/gamma`)), parameters.get(`${prefix}/norm/beta`));
  });
}

/** An MLP with ReLU between layers: sizes [in, hidden..., out]. */
export function addMlp(parameters: Parameters, prefix: string, sizes: number[], rng: Random): void {
  for (let i = 0; i + 1 < sizes.length; i++) {
    if (!Number.isInteger(sizes[i + 1]) || sizes[i + 1] < 1) throw new Error(`mlp ${prefix}: layer sizes must be positive integers, got [${sizes}]`);
    addDense(parameters, `${prefix}/dense${i}`, sizes[i], sizes[i + 1], rng);
  }
}

export function mlp(parameters: Parameters, prefix: string, layerCount: number, x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    let h = x;
    for (let i = 0; i < layerCount; i++) {
      h = dense(parameters, `${prefix}/dense${i}`, h);
      if (i + 1 < layerCount) h = tf.relu(h);
    }
    return h;
  });
}
