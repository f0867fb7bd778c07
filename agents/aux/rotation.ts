/**
 * Rotation prediction (Gidaris, Singh & Komodakis, 2018, "Unsupervised
 * Representation Learning by Predicting Image Rotations"), as the RotationCLS
 * loss of ELo-SAC (Li et al., 2022, "Does Self-supervised Learning Really
 * Improve Reinforcement Learning from Pixels?"): the critic encoder sees
 * observations turned by 0, 90, 180 or 270 degrees, and a head [featureDim ->
 * featureDim -> 4] (ReLU between) names the turn; softmax cross-entropy. It
 * trains the critic encoder and the head.
 *
 * Difference from ELo-SAC: there, every sample is encoded turned by each of 1,
 * 2 and 3 quarter turns, next to the unturned anchor (three extra encoder passes
 * with gradient). Here each sample is encoded once more, from a fresh
 * augmentation turned by a quarter-turn count drawn uniformly from 0..3 (one
 * extra pass, the four classes equally likely): on a CPU the encoder passes are
 * the cost of an update.
 */
import * as tf from '@tensorflow/tfjs';
import { rotateEach } from '../../augment/geometric.ts';
import type { Random } from '../../common/random.ts';
import { addMlp, mlp } from '../nets/encoder.ts';
import { Parameters } from '../nets/parameters.ts';
import { checkSizes, type AuxiliaryContext, type AuxiliaryLoss } from './plugin.ts';

export interface RotationOptions {
  /** Encoder output size (the head's input and hidden width). */
  featureDim: number;
  /** Multiplies the loss (ELo-SAC searched it; 1 by default). */
  weight?: number;
  /** Use the loss every this many updates (default 1). */
  everySteps?: number;
}

const TURNS = 4;

export class RotationLoss implements AuxiliaryLoss {
  readonly name = 'rotation';
  readonly weight: number;
  readonly everySteps: number;
  readonly parameters = new Parameters();

  constructor(options: RotationOptions, rng: Random) {
    checkSizes('RotationLoss', { featureDim: options.featureDim });
    this.weight = options.weight ?? 1;
    this.everySteps = options.everySteps ?? 1;
    addMlp(this.parameters, 'rotation/head', [options.featureDim, options.featureDim, TURNS], rng);
  }

  loss(context: AuxiliaryContext): tf.Scalar {
    const view = context.augment(context.observations);
    const count = view.shape[0];
    const turns = new Int32Array(count);
    for (let n = 0; n < count; n++) turns[n] = context.random.int(TURNS);
    const turned = rotateEach(view, turns);
    return tf.tidy(() => {
      const logits = mlp(this.parameters, 'rotation/head', 2, context.encodeOnline(turned));
      const labels = tf.oneHot(tf.tensor1d(turns, 'int32'), TURNS);
      return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
    });
  }

  dispose(): void {
    this.parameters.dispose();
  }
}
