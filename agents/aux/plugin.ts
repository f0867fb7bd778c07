/**
 * Auxiliary (self-supervised) losses as plug-ins. An agent is SAC plus a list of
 * plug-ins: RAD has none, CURL has the CURL plug-in; registry.ts lists them all
 * by the names a run config's `aux` combines. Each plug-in's loss is added,
 * times `weight`, to the critic loss on the steps where `step % everySteps === 0`,
 * and one backward pass trains the critic (Q heads and encoder) and the
 * plug-in's own parameters together. The agent gives it the critic encoder's
 * output on the RL batch (with gradient), so a loss whose input is that batch
 * reuses the forward pass instead of running the encoder again.
 */
import type * as tf from '@tensorflow/tfjs';
import type { NdArray } from '../../common/ndarray.ts';
import type { Random } from '../../common/random.ts';
import type { Parameters } from '../nets/parameters.ts';

/**
 * A batch's actions as the agent learns them: a Box's scaled to [-1, 1],
 * float32 [N, A]; a Discrete's choice indices counted from 0, int32 [N].
 */
export type BatchActions = NdArray<'float32'> | NdArray<'int32'>;

/** What a plug-in sees before the gradient pass (`prepare`). */
export interface AuxiliaryInputs {
  /** The agent's update step. */
  step: number;
  /** The sampled observations before augmentation, [N, H, W, C]. */
  observations: NdArray<'uint8'>;
  /** The sampled next observations before augmentation, [N, H, W, C] (with n_step > 1, where each window ends). */
  nextObservations: NdArray<'uint8'>;
  /** The actions taken (see BatchActions). */
  actions: BatchActions;
  /** The rewards received, [N] (with n_step > 1, each window's discounted sum). */
  rewards: Float32Array;
  /** The agent's augmentation stream: a plug-in's own draws (rotations, ...) come from it, so a resumed run repeats them. */
  random: Random;
  /** A fresh, independent augmentation draw of `observations`. */
  augment(observations: NdArray<'uint8'>): NdArray<'uint8'>;
  /** The critic encoder (trunk + head), with gradient, for inputs other than the RL batch. */
  encodeOnline(pixels: NdArray<'uint8'>): tf.Tensor2D;
  /** The target critic's encoder; never trained by the loss. */
  encodeTarget(pixels: NdArray<'uint8'>): tf.Tensor2D;
  /**
   * The critic encoder's output of a fresh augmentation of the next
   * observations, [N, featureDim], without gradient: call it in `prepare`. It
   * is computed once per update and shared by the plug-ins that ask (one
   * augmentation draw); the agent owns and frees it.
   */
  nextFeatures(): tf.Tensor2D;
}

/** What a plug-in's loss sees, inside the gradient pass. */
export interface AuxiliaryContext extends AuxiliaryInputs {
  /** Critic encoder output of the RL batch's augmented observations, [N, featureDim]; gradients reach the encoder. */
  anchorFeatures: tf.Tensor2D;
  /** What `prepare` returned (empty without `prepare`). */
  prepared: tf.Tensor[];
}

export interface AuxiliaryLoss {
  /** Metric name: the agent reports `losses/<name>`. */
  readonly name: string;
  /** Multiplies the loss before it is added to the critic loss. */
  readonly weight: number;
  /** The loss is used on steps where `step % everySteps === 0`. */
  readonly everySteps: number;
  /** The loss's own trainable parameters (may be empty); trained with the critic's learning rate. */
  readonly parameters: Parameters;
  /** Optional: moving averages the loss keeps (BYOL's target projector), saved with the agent, never trained by gradient. */
  readonly targetParameters?: Parameters;
  /** Optional: moves `targetParameters` toward `parameters`; the agent calls it when it updates its own targets, with its encoder tau. */
  updateTargets?(tau: number): void;
  /**
   * Optional: tensors the loss needs that carry no gradient (CURL's keys),
   * computed before the gradient pass so that their activations are not kept for
   * backpropagation. The agent disposes them after the update.
   */
  prepare?(inputs: AuxiliaryInputs): tf.Tensor[];
  /** The scalar loss; called inside the agent's gradient computation. */
  loss(context: AuxiliaryContext): tf.Scalar;
  dispose(): void;
}

export function checkAuxiliary(plugin: AuxiliaryLoss): void {
  if (!plugin.name || typeof plugin.name !== 'string') throw new Error(`auxiliary loss: name must be a non-empty string, got ${plugin.name}`);
  if (!(Number.isFinite(plugin.weight) && plugin.weight >= 0)) throw new Error(`auxiliary loss ${plugin.name}: weight must be a number >= 0, got ${plugin.weight}`);
  if (!(Number.isInteger(plugin.everySteps) && plugin.everySteps >= 1)) {
    throw new Error(`auxiliary loss ${plugin.name}: everySteps must be a positive integer, got ${plugin.everySteps}`);
  }
}

/** Throws unless each size in `sizes` is a positive integer, naming the loss and the size. */
export function checkSizes(loss: string, sizes: Record<string, number>): void {
  for (const [key, value] of Object.entries(sizes)) {
    if (!(Number.isInteger(value) && value >= 1)) throw new Error(`${loss}: ${key} must be a positive integer, got ${value}`);
  }
}
