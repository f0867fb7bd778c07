/**
 * Forward dynamics in latent space, as the "predict future and reward" loss of
 * ELo-SAC (Li et al., 2022; a one-step form of the latent prediction of SPR,
 * Schwarzer et al., 2021, without its projections): the action is embedded
 * (dense to hidden/4, ReLU), and a head [featureDim + hidden/4 -> hidden ->
 * featureDim + 1] (ReLU between) predicts, from the observation's encoding and
 * that embedding, the next observation's encoding and the reward; the loss is
 * the mean of the two mean squared errors. The observation's encoding is the RL
 * batch's anchor (its gradient trains the critic encoder); the next one is the
 * critic encoder's output of a fresh augmentation without gradient, as ELo-SAC
 * takes it. Discrete actions enter one-hot.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../../common/random.ts';
import { addMlp, mlp } from '../nets/encoder.ts';
import { Parameters } from '../nets/parameters.ts';
import { actionInput, actionWidth, type ActionSpace } from './actions.ts';
import { checkSizes, type AuxiliaryContext, type AuxiliaryInputs, type AuxiliaryLoss } from './plugin.ts';

export interface ForwardOptions {
  /** Encoder output size. */
  featureDim: number;
  /** Hidden width of the head (ELo-SAC: the agent's hidden size); the action embedding is a quarter of it. */
  hiddenSize: number;
  actionSpace: ActionSpace;
  /** Multiplies the loss (ELo-SAC searched it; 1 by default). */
  weight?: number;
  /** Use the loss every this many updates (default 1). */
  everySteps?: number;
}

export class ForwardDynamicsLoss implements AuxiliaryLoss {
  readonly name = 'forward';
  readonly weight: number;
  readonly everySteps: number;
  readonly parameters = new Parameters();
  private readonly actionSpace: ActionSpace;
  private readonly featureDim: number;

  constructor(options: ForwardOptions, rng: Random) {
    checkSizes('ForwardDynamicsLoss', { featureDim: options.featureDim, hiddenSize: options.hiddenSize });
    this.weight = options.weight ?? 1;
    this.everySteps = options.everySteps ?? 1;
    this.actionSpace = options.actionSpace;
    this.featureDim = options.featureDim;
    const embedding = Math.max(1, Math.floor(options.hiddenSize / 4));
    addMlp(this.parameters, 'forward/action', [actionWidth(options.actionSpace), embedding], rng.fork('action'));
    addMlp(this.parameters, 'forward/head', [options.featureDim + embedding, options.hiddenSize, options.featureDim + 1], rng.fork('head'));
  }

  prepare(inputs: AuxiliaryInputs): tf.Tensor[] {
    return [inputs.nextFeatures()];
  }

  loss(context: AuxiliaryContext): tf.Scalar {
    return tf.tidy(() => {
      const next = context.prepared[0] as tf.Tensor2D;
      if (!next) throw new Error('ForwardDynamicsLoss.loss: no next features; the agent must call prepare() first');
      const count = next.shape[0];
      const action = tf.relu(mlp(this.parameters, 'forward/action', 1, actionInput(context.actions, this.actionSpace, count)));
      const output = mlp(this.parameters, 'forward/head', 2, tf.concat([context.anchorFeatures, action], 1));
      const latent = tf.mean(tf.square(tf.sub(tf.slice(output, [0, 0], [count, this.featureDim]), next)));
      const reward = tf.mean(tf.square(tf.sub(tf.slice(output, [0, this.featureDim], [count, 1]), tf.tensor2d(context.rewards, [count, 1]))));
      return tf.mul(tf.add(latent, reward), 0.5) as tf.Scalar;
    });
  }

  dispose(): void {
    this.parameters.dispose();
  }
}
