/**
 * The SAC agent of RAD and CURL (and, by configuration, DrQ). `act` picks actions;
 * `update(batch, step)` runs one gradient step and returns a metrics record; the
 * agent never logs. Metric names (present on the steps that compute them):
 * `losses/critic`, `losses/<plug-in>` (e.g. `losses/curl`), `charts/q1`,
 * `charts/target_q` every step; `losses/actor`, `losses/alpha`, `charts/alpha`,
 * `charts/entropy` (-mean log pi of the sampled actions) every `actorUpdateEvery` steps.
 *
 * One update (RAD/CURL Algorithm; critic, then actor and alpha, then targets):
 * 1. augment: M copies of obs, K of next obs (RAD/CURL: K = M = 1, DrQ: 2);
 * 2. target y = r + notDone * gamma^steps * mean_K(min Q_target(s', a') - alpha log pi(a'|s'))
 *    (without `- alpha log pi` when `entropyReward` is off: SACLite; steps = 1 but
 *    for n-step batches, replay.ts, whose r is the window's discounted reward sum
 *    and whose windows' inner states add no entropy term);
 * 3. critic loss mean_M(|Q1 - y|^2 + |Q2 - y|^2) plus the plug-ins' weighted losses,
 *    one backward pass through the shared encoder output;
 * 4. every actorUpdateEvery steps: actor loss mean(alpha log pi - min Q) on the
 *    critic's conv features of obs, computed once and detached (actor and critic
 *    share them), then the alpha loss mean(alpha (-log pi - targetEntropy));
 * 5. every targetUpdateEvery steps: Polyak-average the target critic.
 * With a Discrete action space it is SAC-Discrete (Christodoulou 2019; the sums
 * over actions in discrete.ts): the expectations over a' and a in steps 2 and 4
 * are sums weighted by pi, -log pi becomes the policy's entropy, and the target
 * entropy defaults to 0.98 log |A|; `charts/entropy` is then the mean entropy.
 * Where this differs from the reference code: CURL's loss joins the critic's
 * backward pass instead of a second optimizer step (aux/curl.ts); DrQ's M Q losses
 * are averaged as in the paper (its code sums them, which doubles the critic's
 * step); the 1/255 scaling is folded into the first conv (nets/encoder.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { NdArray } from '../../common/ndarray.ts';
import { sizeOf } from '../../common/ndarray.ts';
import { Random, type RandomState } from '../../common/random.ts';
import type { Box, Discrete } from '../../envs/core.ts';
import type { AuxiliaryInputs, AuxiliaryLoss, BatchActions } from '../aux/plugin.ts';
import { checkAuxiliary } from '../aux/plugin.ts';
import { parseAugmentations, type Pipeline } from '../../augment/pipeline.ts';
import { Adam } from '../nets/adam.ts';
import type { ReplayBatch } from '../replay.ts';
import { augmentationParamsOf, resolveSacConfig, type SacConfig } from './config.ts';
import { SacNetworks } from './networks.ts';
import { actorLoss, categorical, chooseActions, discreteTargetEntropy, entropy, softValue, taken } from './discrete.ts';

export interface SacAgentOptions {
  /** Shape of one observation as the env (and replay) gives it: [H, W, 3 x frames] uint8, or [size] float. */
  observationShape: number[];
  /** A 1-D Box with finite bounds (a tanh policy is rescaled to them), or a Discrete (SAC-Discrete, agents/sac/discrete.ts). */
  actionSpace: Box | Discrete;
  /** Overrides of the published defaults. */
  config?: Partial<SacConfig>;
  /** Auxiliary losses (CURL: `[new CurlLoss(...)]`). */
  auxiliary?: AuxiliaryLoss[];
  /** Seeds initialisation, augmentation and policy noise. */
  seed: number | string;
}

export class SacAgent {
  readonly config: SacConfig;
  readonly networks: SacNetworks;
  readonly auxiliary: AuxiliaryLoss[];
  readonly pipeline: Pipeline;
  /** Action dimensions, or the number of choices of a Discrete. */
  readonly actionSize: number;
  /** The action space when it is a Discrete (its actions are one stored value each); null for a Box. */
  readonly discrete: Discrete | null;
  private readonly observationShape: number[];
  private readonly low: Float32Array;
  private readonly high: Float32Array;
  private readonly targetEntropy: number;
  private readonly criticOptimizer: Adam;
  private readonly actorOptimizer: Adam;
  private readonly alphaOptimizer: Adam;
  private readonly auxiliaryOptimizers: Adam[];
  private readonly random: Record<'augment' | 'noise' | 'act', Random>;

  constructor(options: SacAgentOptions) {
    this.config = resolveSacConfig(options.config);
    const { actionSpace, observationShape } = options;
    this.discrete = actionSpace?.kind === 'discrete' ? actionSpace : null;
    if (!this.discrete && (actionSpace?.kind !== 'box' || actionSpace.shape.length !== 1)) {
      throw new Error(`SacAgent: actionSpace must be a 1-D Box or a Discrete, got ${actionSpace}`);
    }
    const box = actionSpace as Box;
    this.actionSize = this.discrete ? this.discrete.n : box.shape[0];
    this.low = this.discrete ? new Float32Array(0) : Float32Array.from(box.low);
    this.high = this.discrete ? new Float32Array(0) : Float32Array.from(box.high);
    for (let i = 0; i < this.low.length; i++) {
      if (!Number.isFinite(this.low[i]) || !Number.isFinite(this.high[i])) {
        throw new Error(`SacAgent: action bounds must be finite (a tanh policy is rescaled to them), got [${this.low[i]}, ${this.high[i]}] at ${i}`);
      }
    }
    this.observationShape = [...observationShape];
    const pixels = observationShape.length === 3;
    this.pipeline = parseAugmentations(this.config.augmentation, augmentationParamsOf(this.config));
    const expectedKind = pixels ? 'pixels' : 'state';
    if (this.pipeline.kind !== 'none' && this.pipeline.kind !== expectedKind) {
      throw new Error(`SacAgent: augmentation "${this.config.augmentation}" works on ${this.pipeline.kind}, but observations of shape [${observationShape}] are ${expectedKind}; use a ${expectedKind} augmentation or 'none'`);
    }
    const inputShape = this.pipeline.outputShape(observationShape);
    this.auxiliary = options.auxiliary ?? [];
    const names = new Set<string>();
    for (const plugin of this.auxiliary) {
      checkAuxiliary(plugin);
      if (names.has(plugin.name)) throw new Error(`SacAgent: two auxiliary losses are named "${plugin.name}"`);
      names.add(plugin.name);
      if (!pixels) throw new Error(`SacAgent: auxiliary loss "${plugin.name}" needs pixel observations, got shape [${observationShape}]`);
    }
    const root = Random.derive(options.seed, 'agent');
    this.random = { augment: root.fork('augment'), noise: root.fork('noise'), act: root.fork('act') };
    this.networks = new SacNetworks(inputShape, this.actionSize, this.config, root.fork('init'), this.discrete !== null);
    this.targetEntropy = this.config.targetEntropy ?? (this.discrete ? discreteTargetEntropy(this.actionSize, this.config.discreteEntropyFraction) : -this.actionSize);
    const config = this.config;
    this.criticOptimizer = new Adam(this.networks.criticVariables(), { lr: config.criticLr, beta1: config.criticBeta1 });
    this.actorOptimizer = new Adam(this.networks.actorVariables(), { lr: config.actorLr, beta1: config.actorBeta1 });
    this.alphaOptimizer = new Adam(this.networks.online.select('log_alpha'), { lr: config.alphaLr, beta1: config.alphaBeta1 });
    this.auxiliaryOptimizers = this.auxiliary.map((plugin) => new Adam(plugin.parameters.variables, { lr: config.criticLr, beta1: config.criticBeta1 }));
  }

  /**
   * An action for one observation [...observationShape] (or a batch [N, ...]).
   * Pixels go through the eval augmentation (centre crop for 'crop'), as RAD and
   * CURL act. The action is sampled from the policy with `sample`'s stream when
   * one is given (a stochastic evaluation, which leaves the agent's own acting
   * stream where it was); else, with `eval`, the deterministic mean action (a
   * Discrete's most likely one); else a sample from the agent's own stream. A
   * Discrete's actions are int32, shape [] for one observation.
   */
  act(observation: NdArray, options: { eval?: boolean; sample?: Random } = {}): NdArray<'float32'> | NdArray<'int32'> {
    const batched = observation.shape.length === this.observationShape.length + 1;
    const shape = batched ? observation.shape.slice(1) : observation.shape;
    if (shape.length !== this.observationShape.length || shape.some((d, i) => d !== this.observationShape[i])) {
      throw new Error(`SacAgent.act: observation shape must be [${this.observationShape}] or [N, ${this.observationShape}], got [${observation.shape}]`);
    }
    const count = batched ? observation.shape[0] : 1;
    let input: NdArray = { ...observation, shape: [count, ...shape] };
    input = this.pipeline.apply(input as NdArray<'uint8'>, this.random.act, { eval: true });
    // null: the deterministic action.
    const stream = options.sample ?? (options.eval === true ? null : this.random.act);
    if (this.discrete) return this.actDiscrete(this.discrete, input, batched, stream);
    const noise = stream === null ? undefined : this.noise(count, stream);
    const actions = tf.tidy(() => {
      const features = this.networks.actorFeatures(this.networks.trunk(toTensor(input)));
      const { mean, pi } = this.networks.policy(features, noise && tf.tensor2d(noise, [count, this.actionSize]));
      return (noise === undefined ? mean : pi).dataSync() as Float32Array;
    });
    const out = this.toEnvActions(actions);
    return { dtype: 'float32', shape: batched ? [count, this.actionSize] : [this.actionSize], data: out };
  }

  /** The most likely actions (`stream` null), or actions drawn with `stream`. */
  private actDiscrete(space: Discrete, input: NdArray, batched: boolean, stream: Random | null): NdArray<'int32'> {
    const probs = tf.tidy(() => categorical(this.networks.logits(this.networks.actorFeatures(this.networks.trunk(toTensor(input))))).probs.dataSync() as Float32Array);
    const chosen = chooseActions(probs, this.actionSize, stream);
    for (let i = 0; i < chosen.length; i++) chosen[i] += space.start;
    return { dtype: 'int32', shape: batched ? [chosen.length] : [], data: chosen };
  }

  /** One SAC update on a replay batch (not yet augmented); returns the metrics record. */
  update(batch: ReplayBatch, step: number): Record<string, number> {
    const count = this.checkBatch(batch);
    const metrics: Record<string, number> = {};
    const kept: tf.Tensor[] = [];
    const pixels = this.networks.pixels;
    const qCopies = pixels ? this.config.qAugmentations : 1;
    const targetCopies = pixels ? this.config.targetAugmentations : 1;
    const observationViews: NdArray[] = [];
    const nextViews: NdArray[] = [];
    for (let i = 0; i < Math.max(qCopies, targetCopies); i++) {
      const [obs, next] = this.pipeline.applyPair<NdArray>(batch.obs, batch.nextObs, this.random.augment);
      if (i < qCopies) observationViews.push(obs);
      if (i < targetCopies) nextViews.push(next);
    }
    const observations = toTensor(concatenate(observationViews));
    const nextObservations = toTensor(concatenate(nextViews));
    const batchActions = this.batchActions(batch, count);
    const actions = this.discrete ? tf.tensor1d(batchActions.data as Int32Array, 'int32') : tf.tensor2d(batchActions.data as Float32Array, [count, this.actionSize]);
    const alpha = Math.exp(this.networks.logAlpha.dataSync()[0]);
    const targetAlpha = this.config.entropyReward ? alpha : 0;
    // SAC-Discrete's expectations are sums over the actions: no sampled next action, no noise.
    const nextNoise = this.discrete ? null : tf.tensor2d(this.noise(count * targetCopies, this.random.noise), [count * targetCopies, this.actionSize]);
    try {
      const target = tf.tidy(() => {
        const nextFeatures = this.networks.actorFeatures(this.networks.trunk(nextObservations));
        let value: tf.Tensor;
        if (nextNoise) {
          const { pi, logPi } = this.networks.policy(nextFeatures, nextNoise);
          const targetFeatures = this.networks.criticFeatures(this.networks.trunk(nextObservations, 'target'), 'target');
          const [q1, q2] = this.networks.q(targetFeatures, pi, 'target');
          value = tf.sub(tf.minimum(q1, q2), tf.mul(logPi!, targetAlpha));
        } else {
          const { probs, logProbs } = categorical(this.networks.logits(nextFeatures));
          const [q1, q2] = this.networks.qValues(this.networks.criticFeatures(this.networks.trunk(nextObservations, 'target'), 'target'), 'target');
          value = softValue(probs, logProbs, q1, q2, targetAlpha);
        }
        const averaged = tf.reshape(tf.mean(tf.reshape(value, [targetCopies, count]), 0), [count, 1]);
        return tf.add(tf.tensor2d(batch.rewards, [count, 1]), tf.mul(tf.tensor2d(this.bootstrapDiscounts(batch), [count, 1]), averaged));
      });
      kept.push(target);
      nextObservations.dispose(); // not needed again: lowers the peak memory of the critic step
      metrics['charts/target_q'] = tf.tidy(() => tf.mean(target).dataSync()[0]);
      this.criticStep(batch, step, observations, actions, target, qCopies, metrics, batchActions);
      if (step % this.config.actorUpdateEvery === 0) this.actorStep(observations, count, alpha, metrics);
      if (step % this.config.targetUpdateEvery === 0) {
        this.networks.updateTargets();
        for (const plugin of this.auxiliary) plugin.updateTargets?.(this.config.encoderTau);
      }
    } finally {
      tf.dispose([observations, nextObservations, actions, ...(nextNoise ? [nextNoise] : []), ...kept]);
    }
    return metrics;
  }

  private criticStep(
    batch: ReplayBatch,
    step: number,
    observations: tf.Tensor,
    actions: tf.Tensor,
    target: tf.Tensor,
    copies: number,
    metrics: Record<string, number>,
    batchActions: BatchActions,
  ): void {
    const count = actions.shape[0];
    const active = this.auxiliary.map((plugin) => step % plugin.everySteps === 0);
    const variables = new Map(this.networks.criticVariables());
    this.auxiliary.forEach((plugin, i) => {
      if (active[i]) for (const [name, variable] of plugin.parameters.variables) variables.set(`aux/${plugin.name}/${name}`, variable);
    });
    const { inputs, shared } = this.auxiliaryInputs(batch, step, batchActions);
    // Plug-ins' no-gradient inputs first, so the tape does not keep their activations.
    const prepared = this.auxiliary.map((plugin, i) => (active[i] && plugin.prepare ? plugin.prepare(inputs) : []));
    const parts: Record<string, tf.Scalar> = {};
    let result: { value: tf.Scalar; grads: tf.NamedTensorMap } | null = null;
    try {
      result = tf.variableGrads(() => {
        const features = this.networks.criticFeatures(this.networks.trunk(observations));
        const tiledTarget = copies > 1 ? tf.tile(target, [copies, 1]) : target;
        const [q1, q2] = this.criticQ(features, actions, copies);
        // Mean over the M copies and the batch at once: DrQ's average of the Q losses.
        const criticLoss = tf.add(tf.mean(tf.square(tf.sub(q1, tiledTarget))), tf.mean(tf.square(tf.sub(q2, tiledTarget)))) as tf.Scalar;
        parts['losses/critic'] = tf.keep(criticLoss);
        parts['charts/q1'] = tf.keep(tf.mean(q1) as tf.Scalar);
        let total: tf.Scalar = criticLoss;
        this.auxiliary.forEach((plugin, i) => {
          if (!active[i]) return;
          // The anchor reuses this forward pass: CURL's queries are the RL batch's crop of obs.
          const anchorFeatures = copies > 1 ? tf.slice(features, [0, 0], [count, -1]) : features;
          const loss = plugin.loss({ ...inputs, anchorFeatures, prepared: prepared[i] });
          parts[`losses/${plugin.name}`] = tf.keep(loss);
          total = tf.add(total, tf.mul(loss, plugin.weight));
        });
        return total;
      }, [...variables.values()]);
      const grads = result.grads;
      const byName = (names: Iterable<[string, tf.Variable]>) => new Map([...names].map(([name, variable]) => [name, grads[variable.name]]));
      this.criticOptimizer.step(byName(this.networks.criticVariables()));
      this.auxiliary.forEach((plugin, i) => {
        if (active[i]) this.auxiliaryOptimizers[i].step(byName(plugin.parameters.variables));
      });
      for (const [name, tensor] of Object.entries(parts)) metrics[name] = tensor.dataSync()[0];
    } finally {
      // A set: plug-ins may return the shared tensors (nextFeatures) among their own.
      tf.dispose([...new Set([...prepared.flat(), ...shared])]);
      tf.dispose(Object.values(parts));
      if (result) tf.dispose([result.value, ...Object.values(result.grads)]);
    }
  }

  /** Q1 and Q2 of the actions taken, [copies x N, 1], on the critic's features of `copies` augmentations. */
  private criticQ(features: tf.Tensor2D, actions: tf.Tensor, copies: number): [tf.Tensor2D, tf.Tensor2D] {
    if (!this.discrete) return this.networks.q(features, (copies > 1 ? tf.tile(actions, [copies, 1]) : actions) as tf.Tensor2D);
    const tiled = (copies > 1 ? tf.tile(actions, [copies]) : actions) as tf.Tensor1D;
    const [q1, q2] = this.networks.qValues(features);
    return [taken(q1, tiled), taken(q2, tiled)];
  }

  /** The plug-ins' inputs, and the tensors they share (the agent frees those after the update). */
  private auxiliaryInputs(batch: ReplayBatch, step: number, actions: BatchActions): { inputs: AuxiliaryInputs; shared: tf.Tensor[] } {
    const networks = this.networks;
    const shared: tf.Tensor[] = [];
    const augment = (observations: NdArray<'uint8'>) => this.pipeline.apply(observations, this.random.augment);
    const encodeOnline = (pixels: NdArray<'uint8'>) => tf.tidy(() => networks.criticFeatures(networks.trunk(toTensor(pixels))));
    let nextFeatures: tf.Tensor2D | null = null;
    const inputs: AuxiliaryInputs = {
      step,
      observations: batch.obs as NdArray<'uint8'>,
      nextObservations: batch.nextObs as NdArray<'uint8'>,
      actions,
      rewards: batch.rewards,
      random: this.random.augment,
      augment,
      encodeOnline,
      encodeTarget: (pixels) => tf.tidy(() => networks.criticFeatures(networks.trunk(toTensor(pixels), 'target'), 'target')),
      nextFeatures: () => {
        if (tf.engine().state.gradientDepth > 0) throw new Error('auxiliary loss: nextFeatures() carries no gradient; call it in prepare(), not in loss()');
        if (batch.steps?.some((steps) => steps !== 1)) {
          throw new Error('auxiliary loss: nextFeatures() needs one-step transitions, but the batch holds n-step windows (n_step > 1); use n_step 1 with this loss');
        }
        if (!nextFeatures) shared.push((nextFeatures = encodeOnline(augment(batch.nextObs as NdArray<'uint8'>))));
        return nextFeatures;
      },
    };
    return { inputs, shared };
  }

  private actorStep(observations: tf.Tensor, count: number, alpha: number, metrics: Record<string, number>): void {
    const noise = this.discrete ? null : tf.tensor2d(this.noise(count, this.random.noise), [count, this.actionSize]);
    // The conv features of obs after the critic step, computed once outside any
    // gradient: the actor detaches them and the critic's Q needs the same ones.
    const trunk = tf.tidy(() => this.networks.trunk(observations.shape[0] === count ? observations : tf.slice(observations, 0, count)));
    const criticFeatures = tf.tidy(() => this.networks.criticFeatures(trunk));
    // log pi of the sampled actions; with discrete actions, minus the policy's entropy (its expectation).
    let logPi: tf.Tensor | null = null;
    const actor = tf.variableGrads(() => {
      if (!noise) {
        const { probs, logProbs } = categorical(this.networks.logits(this.networks.actorFeatures(trunk)));
        logPi = tf.keep(tf.neg(entropy(probs, logProbs)));
        const [q1, q2] = this.networks.qValues(criticFeatures);
        return actorLoss(probs, logProbs, q1, q2, alpha);
      }
      const policy = this.networks.policy(this.networks.actorFeatures(trunk), noise);
      logPi = tf.keep(policy.logPi!);
      const [q1, q2] = this.networks.q(criticFeatures, policy.pi);
      return tf.mean(tf.sub(tf.mul(policy.logPi!, alpha), tf.minimum(q1, q2))) as tf.Scalar;
    }, [...this.networks.actorVariables().values()]);
    const logAlpha = this.networks.logAlpha;
    const temperature = tf.variableGrads(
      () => tf.mean(tf.mul(tf.exp(logAlpha), tf.sub(tf.neg(logPi!), this.targetEntropy))) as tf.Scalar,
      [logAlpha],
    );
    try {
      const actorGrads = new Map([...this.networks.actorVariables()].map(([name, variable]) => [name, actor.grads[variable.name]]));
      this.actorOptimizer.step(actorGrads);
      this.alphaOptimizer.step(new Map([['log_alpha', temperature.grads[logAlpha.name]]]));
      metrics['losses/actor'] = actor.value.dataSync()[0];
      metrics['losses/alpha'] = temperature.value.dataSync()[0];
      metrics['charts/entropy'] = -tf.tidy(() => tf.mean(logPi!).dataSync()[0]);
      metrics['charts/alpha'] = Math.exp(logAlpha.dataSync()[0]);
    } finally {
      tf.dispose([...(noise ? [noise] : []), trunk, criticFeatures, logPi!, actor.value, ...Object.values(actor.grads), temperature.value, ...Object.values(temperature.grads)]);
    }
  }

  private noise(count: number, rng: Random): Float32Array {
    return rng.fillNormal(new Float32Array(count * this.actionSize)) as Float32Array;
  }

  /** [-1, 1] policy actions -> the action space's bounds. */
  private toEnvActions(actions: Float32Array): Float32Array {
    const out = new Float32Array(actions.length);
    for (let i = 0; i < actions.length; i++) {
      const j = i % this.actionSize;
      out[i] = this.low[j] + (actions[i] + 1) * 0.5 * (this.high[j] - this.low[j]);
    }
    return out;
  }

  /**
   * The batch's actions as the networks and plug-ins take them: a Box's scaled
   * to [-1, 1] ([N, A]); a Discrete's as choice indices from 0 ([N]), each
   * checked to be one of its choices.
   */
  private batchActions(batch: ReplayBatch, count: number): BatchActions {
    const stored = batch.actions.data as Float32Array;
    if (!this.discrete) return { dtype: 'float32', shape: [count, this.actionSize], data: this.toPolicyActions(stored) };
    const { start, n } = this.discrete;
    const indices = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const index = stored[i] - start;
      if (!(Number.isInteger(index) && index >= 0 && index < n)) {
        throw new Error(`SacAgent.update: batch.actions[${i}] = ${stored[i]} is not an action of ${this.discrete}`);
      }
      indices[i] = index;
    }
    return { dtype: 'int32', shape: [count], data: indices };
  }

  private toPolicyActions(actions: Float32Array): Float32Array {
    const out = new Float32Array(actions.length);
    for (let i = 0; i < actions.length; i++) {
      const j = i % this.actionSize;
      const range = this.high[j] - this.low[j];
      out[i] = range > 0 ? (2 * (actions[i] - this.low[j])) / range - 1 : 0;
    }
    return out;
  }

  /** Per transition, what multiplies the bootstrapped value: gamma^steps, 0 where the episode terminated. */
  private bootstrapDiscounts(batch: ReplayBatch): Float32Array {
    const { gamma } = this.config;
    return batch.notDone.map((notDone, i) => notDone * gamma ** (batch.steps?.[i] ?? 1));
  }

  private checkBatch(batch: ReplayBatch): number {
    const count = batch.rewards.length;
    for (const key of ['obs', 'nextObs'] as const) {
      const shape = batch[key].shape;
      if (shape.length !== this.observationShape.length + 1 || shape[0] !== count || shape.slice(1).some((d, i) => d !== this.observationShape[i])) {
        throw new Error(`SacAgent.update: batch.${key} must have shape [${count}, ${this.observationShape}], got [${shape}]`);
      }
    }
    // A discrete action is stored as one value.
    const stored = this.discrete ? 1 : this.actionSize;
    if (batch.actions.dtype !== 'float32' || sizeOf(batch.actions.shape) !== count * stored) {
      throw new Error(`SacAgent.update: batch.actions must be float32 [${count}, ${stored}], got ${batch.actions.dtype} [${batch.actions.shape}]`);
    }
    if (batch.notDone.length !== count) throw new Error(`SacAgent.update: batch.notDone has ${batch.notDone.length} values, expected ${count}`);
    if (batch.steps !== undefined) {
      const bad = batch.steps.findIndex((steps) => !Number.isInteger(steps) || steps < 1);
      if (batch.steps.length !== count || bad >= 0) {
        const got = bad >= 0 ? `batch.steps[${bad}] = ${batch.steps[bad]}` : `${batch.steps.length} values`;
        throw new Error(`SacAgent.update: batch.steps must hold ${count} integers >= 1, got ${got}`);
      }
    }
    if (count < 1) throw new Error('SacAgent.update: empty batch');
    return count;
  }

  /**
   * Weights, target weights, Adam states and auxiliary parameters as named
   * Float32Arrays (for checkpoints): `online/...`, `target/...`, `optim/<which>/...`,
   * `aux/<name>/...` and, for a loss with moving averages, `auxtarget/<name>/...`.
   */
  getState(): Record<string, Float32Array> {
    const state: Record<string, Float32Array> = {};
    const put = (prefix: string, record: Record<string, Float32Array>) => {
      for (const [name, value] of Object.entries(record)) state[`${prefix}/${name}`] = value;
    };
    put('online', this.networks.online.getWeights());
    put('target', this.networks.target.getWeights());
    put('optim/critic', this.criticOptimizer.getState());
    put('optim/actor', this.actorOptimizer.getState());
    put('optim/alpha', this.alphaOptimizer.getState());
    this.auxiliary.forEach((plugin, i) => {
      put(`aux/${plugin.name}`, plugin.parameters.getWeights());
      if (plugin.targetParameters) put(`auxtarget/${plugin.name}`, plugin.targetParameters.getWeights());
      put(`optim/aux/${plugin.name}`, this.auxiliaryOptimizers[i].getState());
    });
    return state;
  }

  setState(state: Record<string, Float32Array>): void {
    const take = (prefix: string) => {
      const out: Record<string, Float32Array> = {};
      for (const [name, value] of Object.entries(state)) if (name.startsWith(`${prefix}/`)) out[name.slice(prefix.length + 1)] = value;
      return out;
    };
    const expected = Object.keys(this.getState());
    const unknown = Object.keys(state).filter((name) => !expected.includes(name));
    if (unknown.length) throw new Error(`SacAgent.setState: unexpected entries [${unknown.join(', ')}]`);
    this.networks.online.setWeights(take('online'), 'agent state online');
    this.networks.target.setWeights(take('target'), 'agent state target');
    this.criticOptimizer.setState(take('optim/critic'), 'agent state optim/critic');
    this.actorOptimizer.setState(take('optim/actor'), 'agent state optim/actor');
    this.alphaOptimizer.setState(take('optim/alpha'), 'agent state optim/alpha');
    this.auxiliary.forEach((plugin, i) => {
      plugin.parameters.setWeights(take(`aux/${plugin.name}`), `agent state aux/${plugin.name}`);
      plugin.targetParameters?.setWeights(take(`auxtarget/${plugin.name}`), `agent state auxtarget/${plugin.name}`);
      this.auxiliaryOptimizers[i].setState(take(`optim/aux/${plugin.name}`), `agent state optim/aux/${plugin.name}`);
    });
  }

  /** The agent's random streams (augmentation, update noise, acting noise), for checkpoints. */
  getRandomState(): Record<string, RandomState> {
    return Object.fromEntries(Object.entries(this.random).map(([name, rng]) => [name, rng.getState()]));
  }

  setRandomState(state: Record<string, RandomState>): void {
    for (const [name, rng] of Object.entries(this.random)) {
      if (!state[name]) throw new Error(`SacAgent.setRandomState: missing stream "${name}"`);
      rng.setState(state[name]);
    }
  }

  dispose(): void {
    this.networks.dispose();
    for (const optimizer of [this.criticOptimizer, this.actorOptimizer, this.alphaOptimizer, ...this.auxiliaryOptimizers]) optimizer.dispose();
    for (const plugin of this.auxiliary) plugin.dispose();
  }
}

/** Pixels (0..255) or states as a float32 tensor; the network scales pixels itself. */
function toTensor(array: NdArray): tf.Tensor {
  const data = array.data instanceof Float32Array ? array.data : new Float32Array(array.data as Uint8Array);
  return tf.tensor(data, array.shape, 'float32');
}

function concatenate(views: NdArray[]): NdArray {
  if (views.length === 1) return views[0];
  const size = views.reduce((total, view) => total + view.data.length, 0);
  const data = new (views[0].data.constructor as Uint8ArrayConstructor)(size);
  let offset = 0;
  for (const view of views) {
    data.set(view.data as Uint8Array, offset);
    offset += view.data.length;
  }
  return { dtype: views[0].dtype, shape: [views.length * views[0].shape[0], ...views[0].shape.slice(1)], data } as NdArray;
}
