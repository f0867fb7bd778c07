/**
 * BYOL (Grill et al., 2020, "Bootstrap Your Own Latent"), the non-contrastive
 * loss that Li et al. (2022) put in SAC's place of CURL's: the critic encoder's
 * output of one augmentation (the RL batch's anchor) goes through a projector
 * and a predictor; the target critic's encoder (the agent's momentum copy) of an
 * independent augmentation goes through a target projector, a moving average of
 * the projector; the loss is 2 - 2 cos(prediction, target projection), the
 * normalised squared distance, with no gradient into the target side. It trains
 * the critic encoder, the projector and the predictor. The target projector
 * moves with the agent's target networks, at its encoder tau.
 *
 * Sizes follow ELo-SAC's projections: projector [featureDim -> hidden/4 ->
 * hidden/8], predictor [hidden/8 -> hidden/4 -> hidden/8], ReLU between, no
 * batch normalisation. Like CURL here, one direction only (BYOL symmetrises the
 * loss over the two views, which would take a second encoder pass with
 * gradient).
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../../common/random.ts';
import { addMlp, mlp } from '../nets/encoder.ts';
import { Parameters, softUpdate } from '../nets/parameters.ts';
import { checkSizes, type AuxiliaryContext, type AuxiliaryInputs, type AuxiliaryLoss } from './plugin.ts';

export interface ByolOptions {
  /** Encoder output size. */
  featureDim: number;
  /** The agent's hidden size: the projections are a quarter and an eighth of it. */
  hiddenSize: number;
  /** Multiplies the loss (1 by default). */
  weight?: number;
  /** Use the loss every this many updates (default 1). */
  everySteps?: number;
}

/** Rows scaled to unit length (the epsilon keeps a zero row finite). */
function normalise(x: tf.Tensor2D): tf.Tensor2D {
  return tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12)));
}

export class ByolLoss implements AuxiliaryLoss {
  readonly name = 'byol';
  readonly weight: number;
  readonly everySteps: number;
  readonly parameters = new Parameters();
  readonly targetParameters = new Parameters();

  constructor(options: ByolOptions, rng: Random) {
    checkSizes('ByolLoss', { featureDim: options.featureDim, hiddenSize: options.hiddenSize });
    this.weight = options.weight ?? 1;
    this.everySteps = options.everySteps ?? 1;
    const hidden = Math.max(1, Math.floor(options.hiddenSize / 4));
    const projection = Math.max(1, Math.floor(options.hiddenSize / 8));
    addMlp(this.parameters, 'byol/projector', [options.featureDim, hidden, projection], rng.fork('projector'));
    addMlp(this.parameters, 'byol/predictor', [projection, hidden, projection], rng.fork('predictor'));
    // The target projector starts as a copy of the projector, as BYOL's does.
    for (const [name, variable] of this.parameters.select('byol/projector/')) {
      this.targetParameters.add(name, variable.shape, variable.dataSync() as Float32Array);
    }
  }

  /** The target projection of an independent augmentation through the target encoder (no gradient). */
  prepare(inputs: AuxiliaryInputs): tf.Tensor[] {
    const keys = inputs.encodeTarget(inputs.augment(inputs.observations));
    const projected = tf.tidy(() => normalise(mlp(this.targetParameters, 'byol/projector', 2, keys)));
    keys.dispose();
    return [projected];
  }

  loss(context: AuxiliaryContext): tf.Scalar {
    return tf.tidy(() => {
      const target = context.prepared[0] as tf.Tensor2D;
      if (!target) throw new Error('ByolLoss.loss: no target projection; the agent must call prepare() first');
      const projection = mlp(this.parameters, 'byol/projector', 2, context.anchorFeatures);
      const prediction = normalise(mlp(this.parameters, 'byol/predictor', 2, projection));
      // |p - t|^2 of unit vectors = 2 - 2 cos(p, t).
      return tf.mean(tf.sub(2, tf.mul(2, tf.sum(tf.mul(prediction, target), 1)))) as tf.Scalar;
    });
  }

  updateTargets(tau: number): void {
    softUpdate(this.targetParameters.variables, this.parameters.variables, tau);
  }

  dispose(): void {
    this.parameters.dispose();
    this.targetParameters.dispose();
  }
}
