/**
 * The SAC networks of RAD and CURL over named parameters:
 * - critic: conv trunk -> head (dense 50 + LayerNorm) -> two Q MLPs over [features, action];
 * - actor: the critic's conv trunk (tied, used detached) -> its own head -> MLP -> (mean, log std);
 * - target critic: a Polyak-averaged copy of the whole critic;
 * - log(alpha).
 * For 1-D (state) observations there is no encoder: features are the observation.
 * With discrete actions (SAC-Discrete, Christodoulou 2019) each Q MLP reads the
 * features alone and gives one value per action, and the policy MLP gives one
 * logit per action.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../../common/random.ts';
import { addConvTrunk, addEncoderHead, addMlp, convOutputSize, convTrunk, encoderHead, mlp } from '../nets/encoder.ts';
import { Parameters, softUpdate } from '../nets/parameters.ts';
import type { SacConfig } from './config.ts';

export type Which = 'online' | 'target';

export interface PolicyOutput {
  /** tanh(mean): the deterministic action in [-1, 1]. */
  mean: tf.Tensor2D;
  /** The sampled action (the mean when no noise was given). */
  pi: tf.Tensor2D;
  /** log pi(pi | s), [N, 1]; null without noise. */
  logPi: tf.Tensor2D | null;
  logStd: tf.Tensor2D;
}

export class SacNetworks {
  /** Critic (`critic/...`), actor (`actor/...`) and `log_alpha`. */
  readonly online = new Parameters();
  /** The target critic, same names as the critic's. */
  readonly target = new Parameters();
  readonly pixels: boolean;
  readonly featureSize: number;

  constructor(
    /** Network input shape: [H, W, C] after augmentation, or [size] for states. */
    readonly inputShape: number[],
    /** Action dimensions, or the number of choices when `discrete`. */
    readonly actionSize: number,
    readonly config: SacConfig,
    rng: Random,
    readonly discrete = false,
  ) {
    if (!Number.isInteger(actionSize) || actionSize < 1) throw new Error(`SacNetworks: actionSize must be a positive integer, got ${actionSize}`);
    this.pixels = inputShape.length === 3;
    if (!this.pixels && inputShape.length !== 1) {
      throw new Error(`SacNetworks: observation shape must be [H, W, C] (pixels) or [size] (state), got [${inputShape}]`);
    }
    const hidden = new Array(config.hiddenLayers).fill(config.hiddenSize);
    if (this.pixels) {
      const trunk = { inputShape: inputShape as [number, number, number], layers: config.convLayers, filters: config.convFilters };
      addConvTrunk(this.online, 'critic/trunk', trunk, rng.fork('critic/trunk'));
      const flat = convOutputSize(trunk);
      addEncoderHead(this.online, 'critic/head', flat, config.featureDim, rng.fork('critic/head'));
      addEncoderHead(this.online, 'actor/head', flat, config.featureDim, rng.fork('actor/head'));
      this.featureSize = config.featureDim;
    } else {
      this.featureSize = inputShape[0];
    }
    const qSizes = discrete ? [this.featureSize, ...hidden, actionSize] : [this.featureSize + actionSize, ...hidden, 1];
    for (const q of ['q1', 'q2']) addMlp(this.online, `critic/${q}`, qSizes, rng.fork(`critic/${q}`));
    addMlp(this.online, 'actor/policy', [this.featureSize, ...hidden, discrete ? actionSize : 2 * actionSize], rng.fork('actor/policy'));
    this.online.add('log_alpha', [], Float32Array.of(Math.log(config.initialAlpha)));
    for (const [name, variable] of this.online.select('critic/')) {
      this.target.add(name, variable.shape, variable.dataSync() as Float32Array);
    }
  }

  private parameters(which: Which): Parameters {
    return which === 'online' ? this.online : this.target;
  }

  /** Critic parameters (trunk, head, Q heads): what the critic loss trains. */
  criticVariables(): Map<string, tf.Variable> {
    return this.online.select('critic/');
  }

  /** Actor parameters (its head and policy MLP; not the tied trunk). */
  actorVariables(): Map<string, tf.Variable> {
    return this.online.select('actor/');
  }

  get logAlpha(): tf.Variable {
    return this.online.get('log_alpha');
  }

  /** Conv features of pixels (0..255, [N, H, W, C]), or the float states themselves. */
  trunk(observations: tf.Tensor, which: Which = 'online'): tf.Tensor2D {
    if (!this.pixels) return tf.cast(observations, 'float32') as tf.Tensor2D;
    return convTrunk(this.parameters(which), 'critic/trunk', this.config.convLayers, observations as tf.Tensor4D);
  }

  /** The critic's (or target critic's) encoder output from trunk features. */
  criticFeatures(trunkFeatures: tf.Tensor2D, which: Which = 'online'): tf.Tensor2D {
    if (!this.pixels) return trunkFeatures;
    return encoderHead(this.parameters(which), 'critic/head', trunkFeatures);
  }

  /** The actor's encoder output; the actor always detaches the (shared) trunk features. */
  actorFeatures(trunkFeatures: tf.Tensor2D): tf.Tensor2D {
    if (!this.pixels) return trunkFeatures;
    return encoderHead(this.online, 'actor/head', trunkFeatures, { inputGradient: false });
  }

  /** Q1 and Q2, each [N, 1] (continuous actions). */
  q(features: tf.Tensor2D, actions: tf.Tensor2D, which: Which = 'online'): [tf.Tensor2D, tf.Tensor2D] {
    return tf.tidy(() => this.qHeads(tf.concat([features, actions], 1), which));
  }

  /** Q1 and Q2 of every action, each [N, actions] (discrete actions). */
  qValues(features: tf.Tensor2D, which: Which = 'online'): [tf.Tensor2D, tf.Tensor2D] {
    return this.qHeads(features, which);
  }

  private qHeads(input: tf.Tensor2D, which: Which): [tf.Tensor2D, tf.Tensor2D] {
    const layers = this.config.hiddenLayers + 1;
    const parameters = this.parameters(which);
    return [mlp(parameters, 'critic/q1', layers, input), mlp(parameters, 'critic/q2', layers, input)];
  }

  /** The policy's logits over the actions, [N, actions] (discrete actions), within +-logitBound (see SacConfig). */
  logits(actorFeatures: tf.Tensor2D): tf.Tensor2D {
    const bound = this.config.logitBound;
    return tf.tidy(() => {
      const raw = mlp(this.online, 'actor/policy', this.config.hiddenLayers + 1, actorFeatures);
      // Per row, raw x bound / max(bound, max |raw|): within the bound, and a gradient that never vanishes.
      const largest = tf.maximum(tf.max(tf.abs(raw), 1, true), bound);
      return tf.mul(raw, tf.div(bound, largest));
    });
  }

  /**
   * The tanh-Gaussian policy. log std is squashed into [logStdMin, logStdMax] by
   * tanh, as in RAD/CURL. With `noise` (standard normal [N, A]) it samples
   * pi = tanh(mean + std * noise) and returns log pi with the tanh correction
   * (SAC, Haarnoja et al. 2018, appendix C); otherwise pi = tanh(mean).
   */
  policy(actorFeatures: tf.Tensor2D, noise?: tf.Tensor2D): PolicyOutput {
    return tf.tidy((() => {
      const output = mlp(this.online, 'actor/policy', this.config.hiddenLayers + 1, actorFeatures);
      const [mu, rawLogStd] = tf.split(output, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      const { logStdMin, logStdMax } = this.config;
      const logStd = tf.add(logStdMin, tf.mul(0.5 * (logStdMax - logStdMin), tf.add(tf.tanh(rawLogStd), 1))) as tf.Tensor2D;
      const mean = tf.tanh(mu);
      if (!noise) return { mean, pi: mean, logPi: null, logStd };
      const preTanh = tf.add(mu, tf.mul(noise, tf.exp(logStd)));
      const pi = tf.tanh(preTanh);
      // Gaussian log density of the pre-tanh sample, summed over action dimensions.
      const gaussian = tf.sub(tf.sum(tf.sub(tf.mul(tf.square(noise), -0.5), logStd), 1, true), 0.5 * Math.log(2 * Math.PI) * this.actionSize);
      // Change of variables through tanh; relu(.) + 1e-6 as in the reference code.
      const correction = tf.sum(tf.log(tf.add(tf.relu(tf.sub(1, tf.square(pi))), 1e-6)), 1, true);
      return { mean, pi: pi as tf.Tensor2D, logPi: tf.sub(gaussian, correction) as tf.Tensor2D, logStd };
    }) as () => tf.TensorContainer) as unknown as PolicyOutput;
  }

  /** Polyak update of the target critic: tau on the Q heads, encoderTau on the trunk and head. */
  updateTargets(): void {
    const online = this.online.select('critic/');
    const encoder = (name: string) => name.startsWith('critic/trunk/') || name.startsWith('critic/head/');
    const pick = (map: Map<string, tf.Variable>, keep: (name: string) => boolean) => new Map([...map].filter(([name]) => keep(name)));
    softUpdate(pick(this.target.variables, encoder), online, this.config.encoderTau);
    softUpdate(pick(this.target.variables, (name) => !encoder(name)), online, this.config.criticTau);
  }

  dispose(): void {
    this.online.dispose();
    this.target.dispose();
  }
}
