/**
 * Inverse dynamics (Shelhamer et al., 2016, "Loss is its own Reward"; Pathak et
 * al., 2017, ICM), as the "extract action and reward" loss of ELo-SAC (Li et
 * al., 2022): from the encodings of an observation and the next one, a head
 * [2 featureDim -> hidden -> actionWidth + 1] (ReLU between) predicts the action
 * taken and the reward received. The action part is the mean squared error for
 * continuous actions (in the agent's [-1, 1] scale) and softmax cross-entropy
 * for discrete ones; the reward part is the squared error; the loss is their
 * mean. The observation's encoding is the RL batch's anchor (its gradient
 * trains the critic encoder); the next observation's is the critic encoder's
 * output of a fresh augmentation without gradient, as ELo-SAC takes it.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../../common/random.ts';
import { addMlp, mlp } from '../nets/encoder.ts';
import { Parameters } from '../nets/parameters.ts';
import { actionLoss, actionWidth, type ActionSpace } from './actions.ts';
import { checkSizes, type AuxiliaryContext, type AuxiliaryInputs, type AuxiliaryLoss } from './plugin.ts';

export interface InverseOptions {
  /** Encoder output size. */
  featureDim: number;
  /** Hidden width of the head (ELo-SAC: the agent's hidden size). */
  hiddenSize: number;
  actionSpace: ActionSpace;
  /** Multiplies the loss (ELo-SAC searched it; 1 by default). */
  weight?: number;
  /** Use the loss every this many updates (default 1). */
  everySteps?: number;
}

export class InverseDynamicsLoss implements AuxiliaryLoss {
  readonly name = 'inverse';
  readonly weight: number;
  readonly everySteps: number;
  readonly parameters = new Parameters();
  private readonly actionSpace: ActionSpace;
  private readonly width: number;

  constructor(options: InverseOptions, rng: Random) {
    checkSizes('InverseDynamicsLoss', { featureDim: options.featureDim, hiddenSize: options.hiddenSize });
    this.weight = options.weight ?? 1;
    this.everySteps = options.everySteps ?? 1;
    this.actionSpace = options.actionSpace;
    this.width = actionWidth(options.actionSpace);
    addMlp(this.parameters, 'inverse/head', [2 * options.featureDim, options.hiddenSize, this.width + 1], rng);
  }

  prepare(inputs: AuxiliaryInputs): tf.Tensor[] {
    return [inputs.nextFeatures()];
  }

  loss(context: AuxiliaryContext): tf.Scalar {
    return tf.tidy(() => {
      const next = context.prepared[0] as tf.Tensor2D;
      if (!next) throw new Error('InverseDynamicsLoss.loss: no next features; the agent must call prepare() first');
      const output = mlp(this.parameters, 'inverse/head', 2, tf.concat([context.anchorFeatures, next], 1));
      const count = output.shape[0];
      const action = actionLoss(tf.slice(output, [0, 0], [count, this.width]), context.actions, this.actionSpace);
      const reward = tf.mean(tf.square(tf.sub(tf.slice(output, [0, this.width], [count, 1]), tf.tensor2d(context.rewards, [count, 1]))));
      return tf.mul(tf.add(action, reward), 0.5) as tf.Scalar;
    });
  }

  dispose(): void {
    this.parameters.dispose();
  }
}
