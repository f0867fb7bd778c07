/**
 * SAC for discrete actions (Christodoulou, 2019, "Soft Actor-Critic for
 * Discrete Action Settings"): the policy is a categorical distribution, so the
 * expectations over actions that continuous SAC estimates from one sampled
 * action are sums over all actions, weighted by their probabilities:
 * - soft value V(s) = sum_a pi(a|s) (min Q(s, a) - alpha log pi(a|s)) (eq. 10);
 * - actor loss sum_a pi(a|s) (alpha log pi(a|s) - min Q(s, a)) (eq. 12);
 * - temperature loss alpha (H(pi(.|s)) - target entropy) (eq. 11), with the
 *   target entropy 0.98 log |A| (section 4: 0.98 of the maximum; a config
 *   key, since a target that near the maximum keeps the policy near uniform).
 * The critic regresses Q(s, a) of the action taken.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../../common/random.ts';

/** The target entropy as `fraction` of the uniform policy's, log |A| (the paper: 0.98). */
export function discreteTargetEntropy(actions: number, fraction = 0.98): number {
  return fraction * Math.log(actions);
}

/** Probabilities and log-probabilities of the policy's logits, each [N, A]. */
export function categorical(logits: tf.Tensor2D): { probs: tf.Tensor2D; logProbs: tf.Tensor2D } {
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(logits) as tf.Tensor2D;
    return { probs: tf.exp(logProbs) as tf.Tensor2D, logProbs };
  });
}

/** The soft value of each state [N, 1] from the policy there and the two Q heads' values of every action. */
export function softValue(probs: tf.Tensor2D, logProbs: tf.Tensor2D, q1: tf.Tensor2D, q2: tf.Tensor2D, alpha: number): tf.Tensor2D {
  return tf.tidy(() => tf.sum(tf.mul(probs, tf.sub(tf.minimum(q1, q2), tf.mul(logProbs, alpha))), 1, true) as tf.Tensor2D);
}

/** The actor loss, averaged over the batch. */
export function actorLoss(probs: tf.Tensor2D, logProbs: tf.Tensor2D, q1: tf.Tensor2D, q2: tf.Tensor2D, alpha: number): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.sum(tf.mul(probs, tf.sub(tf.mul(logProbs, alpha), tf.minimum(q1, q2))), 1)) as tf.Scalar);
}

/** The policy's entropy in each state, [N, 1]. */
export function entropy(probs: tf.Tensor2D, logProbs: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.neg(tf.sum(tf.mul(probs, logProbs), 1, true)) as tf.Tensor2D);
}

/** Q of the actions taken, [N, 1], from the values of every action [N, A] and the action indices (int32 [N]). */
export function taken(values: tf.Tensor2D, actions: tf.Tensor1D): tf.Tensor2D {
  return tf.tidy(() => tf.sum(tf.mul(values, tf.oneHot(actions, values.shape[1])), 1, true) as tf.Tensor2D);
}

/** One action index per row of probabilities [N x A, row-major]: a draw from each (inverse CDF), or the most likely. */
export function chooseActions(probs: Float32Array, actions: number, rng: Random | null): Int32Array {
  const count = probs.length / actions;
  const chosen = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const row = n * actions;
    let pick = 0;
    if (rng) {
      // The last action takes what rounding leaves above the cumulative sum.
      const u = rng.uniform();
      let cumulative = 0;
      pick = actions - 1;
      for (let a = 0; a < actions - 1; a++) {
        cumulative += probs[row + a];
        if (u < cumulative) {
          pick = a;
          break;
        }
      }
    } else {
      for (let a = 1; a < actions; a++) if (probs[row + a] > probs[row + pick]) pick = a;
    }
    chosen[n] = pick;
  }
  return chosen;
}
