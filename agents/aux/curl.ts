/**
 * CURL (Srinivas, Laskin & Abbeel, 2020), section 4: contrastive learning of the
 * critic's encoder. Queries q are the encoder output of the RL batch's crop of
 * obs (the anchor; the agent's forward pass is reused), keys k are the target
 * (momentum) encoder's output of an independent crop of the same obs, with no
 * gradient. Similarity is bilinear, q^T W k with a learned W [featureDim,
 * featureDim]; logits minus their row max (for stability, as the reference code
 * does); cross-entropy with the positives on the diagonal (the other samples of
 * the batch are the negatives). It trains the critic encoder and W.
 *
 * Difference from the reference code: there, CURL is a second optimizer step
 * after the critic's (its own Adam over the encoder and W, on the encoder as the
 * critic step left it). Here the critic loss plus `weight` x this loss go through
 * one backward pass over the shared encoder output, and the critic's Adam steps
 * the encoder once; W has its own Adam with the critic's learning rate.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../../common/random.ts';
import { matMul } from '../nets/linear.ts';
import { Parameters } from '../nets/parameters.ts';
import { checkSizes, type AuxiliaryContext, type AuxiliaryInputs, type AuxiliaryLoss } from './plugin.ts';

export interface CurlOptions {
  /** Encoder output size (W is featureDim x featureDim). */
  featureDim: number;
  /** Multiplies the loss (1 in the paper). */
  weight?: number;
  /** Use the loss every this many updates (1 in the paper). */
  everySteps?: number;
}

export class CurlLoss implements AuxiliaryLoss {
  readonly name = 'curl';
  readonly weight: number;
  readonly everySteps: number;
  readonly parameters = new Parameters();

  constructor(options: CurlOptions, rng: Random) {
    checkSizes('CurlLoss', { featureDim: options.featureDim });
    this.weight = options.weight ?? 1;
    this.everySteps = options.everySteps ?? 1;
    // W starts uniform in [0, 1), as the reference code's torch.rand draws it.
    const size = options.featureDim;
    this.parameters.add('curl/W', [size, size], rng.fillUniform(new Float32Array(size * size)) as Float32Array);
  }

  /** Keys: the target encoder on an independent crop of obs (no gradient). */
  prepare(inputs: AuxiliaryInputs): tf.Tensor[] {
    return [inputs.encodeTarget(inputs.augment(inputs.observations))];
  }

  loss(context: AuxiliaryContext): tf.Scalar {
    return tf.tidy(() => {
      const keys = context.prepared[0] as tf.Tensor2D;
      if (!keys) throw new Error('CurlLoss.loss: no keys; the agent must call prepare() first');
      const queries = context.anchorFeatures;
      // q W k^T: (q W) [N, D] @ k^T [D, N] (k is the target encoder's: no gradient reaches it).
      const logits = matMul(matMul(queries, this.parameters.get('curl/W') as tf.Tensor2D), tf.transpose(keys), { inputGradient: true });
      const shifted = tf.sub(logits, tf.max(logits, 1, true));
      const count = queries.shape[0];
      const labels = tf.oneHot(tf.range(0, count, 1, 'int32'), count);
      return tf.losses.softmaxCrossEntropy(labels, shifted) as tf.Scalar;
    });
  }

  dispose(): void {
    this.parameters.dispose();
  }
}
