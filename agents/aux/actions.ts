/**
 * Actions as the plug-ins that read or predict them see them, for both kinds of
 * action space (nothing here assumes continuous actions): a Box's actions are a
 * vector in the agent's [-1, 1] scale, a Discrete's a choice index.
 */
import * as tf from '@tensorflow/tfjs';
import type { Box, Discrete } from '../../envs/core.ts';
import type { BatchActions } from './plugin.ts';

export type ActionSpace = Box | Discrete;

/** The width of an action as a network's input or output: a Box's dimensions, a Discrete's choices (one-hot, or one logit each). */
export function actionWidth(space: ActionSpace): number {
  if (space.kind === 'discrete') return space.n;
  if (space.shape.length !== 1) throw new Error(`auxiliary loss: a Box action space must be 1-D, got shape [${space.shape}]`);
  return space.shape[0];
}

function checkActions(actions: BatchActions, space: ActionSpace, count: number): void {
  const expected = space.kind === 'discrete' ? `int32 [${count}]` : `float32 [${count}, ${actionWidth(space)}]`;
  const shape = space.kind === 'discrete' ? [count] : [count, actionWidth(space)];
  const dtype = space.kind === 'discrete' ? 'int32' : 'float32';
  if (actions.dtype !== dtype || actions.shape.length !== shape.length || actions.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`auxiliary loss: the batch's actions must be ${expected} for ${space}, got ${actions.dtype} [${actions.shape}]`);
  }
}

/** Actions as a float input [N, width]: a Box's as they are, a Discrete's one-hot. */
export function actionInput(actions: BatchActions, space: ActionSpace, count: number): tf.Tensor2D {
  checkActions(actions, space, count);
  if (space.kind === 'discrete') return tf.tidy(() => tf.oneHot(tf.tensor1d(actions.data as Int32Array, 'int32'), space.n).toFloat() as tf.Tensor2D);
  return tf.tensor2d(actions.data as Float32Array, [count, actionWidth(space)]);
}

/**
 * How far a prediction [N, width] is from the actions taken: the mean squared
 * error for a Box, softmax cross-entropy over the choices for a Discrete.
 */
export function actionLoss(prediction: tf.Tensor2D, actions: BatchActions, space: ActionSpace): tf.Scalar {
  const count = prediction.shape[0];
  return tf.tidy(() => {
    if (space.kind === 'discrete') {
      const labels = actionInput(actions, space, count);
      return tf.losses.softmaxCrossEntropy(labels, prediction) as tf.Scalar;
    }
    return tf.mean(tf.square(tf.sub(prediction, actionInput(actions, space, count)))) as tf.Scalar;
  });
}
