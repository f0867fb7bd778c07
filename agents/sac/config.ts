/**
 * SAC from pixels as RAD (Laskin et al., 2020) and CURL (Srinivas et al., 2020)
 * publish it; DrQ (Kostrikov et al., 2020) is the same agent with `augmentation:
 * 'shift'` and K = M = 2. Standard symbols keep their paper names: gamma, tau, alpha.
 */

export interface SacConfig {
  /** Discount factor gamma. */
  gamma: number;
  /** Critic (Q heads + encoder) learning rate; RAD/CURL use 1e-3 (2e-4 for cheetah). */
  criticLr: number;
  /** Critic Adam beta1. */
  criticBeta1: number;
  /** Actor learning rate. */
  actorLr: number;
  /** Actor Adam beta1. */
  actorBeta1: number;
  /** Learning rate of log(alpha), the entropy temperature. */
  alphaLr: number;
  /** Adam beta1 of log(alpha). */
  alphaBeta1: number;
  /** Initial entropy temperature alpha. */
  initialAlpha: number;
  /** Target entropy; null means -(action dimensions), as SAC sets it, or for discrete actions `discreteEntropyFraction` x log |A|. */
  targetEntropy: number | null;
  /** SAC-Discrete's target entropy as a fraction of the uniform policy's, log |A| (Christodoulou 2019: 0.98). */
  discreteEntropyFraction: number;
  /**
   * Whether the critic's target carries the entropy reward, -alpha log pi of the
   * next action (SAC). Without it (SACLite, Yu, Zhang & Xu 2022, "Do You Need the
   * Entropy Reward (in Practice)?") entropy regularises only the policy's loss:
   * in episodic tasks the entropy reward is a bonus for every step not taken to
   * the end, which can outweigh a reward that ends the episode.
   */
  entropyReward: boolean;
  /** Polyak rate tau of the target Q heads (and target encoder head in state mode). */
  criticTau: number;
  /** Polyak rate tau of the target conv encoder and its dense + LayerNorm head. */
  encoderTau: number;
  /** Update the target critic every this many `update` steps. */
  targetUpdateEvery: number;
  /** Update the actor and alpha every this many `update` steps. */
  actorUpdateEvery: number;
  /** Width of the two hidden layers of the actor and of each Q head. */
  hiddenSize: number;
  /** Hidden layers of the actor and Q MLPs. */
  hiddenLayers: number;
  /** Conv layers of the encoder (first stride 2, the rest stride 1). */
  convLayers: number;
  /** Channels of each conv layer. */
  convFilters: number;
  /** Encoder output size (dense + LayerNorm). */
  featureDim: number;
  /** Lower bound of the policy's log standard deviation. */
  logStdMin: number;
  /** Upper bound of the policy's log standard deviation. */
  logStdMax: number;
  /**
   * A discrete policy's logits lie in [-logitBound, logitBound], as the
   * continuous policy's log std lies in [logStdMin, logStdMax]: an unbounded
   * softmax saturates (a probability of 0 in float32) and its gradient vanishes,
   * so a policy that collapsed onto one action early could never leave it.
   * Logits beyond the bound are scaled down together (order and proportions
   * kept), not squashed one by one: tanh saturated them too, at the bound, where
   * its gradient vanishes (a maze run's policy ended the same in every cell).
   */
  logitBound: number;
  /** Augmentation spec (augment/pipeline.ts) applied to sampled batches: 'crop' for RAD/CURL, 'shift' for DrQ, 'none'. */
  augmentation: string;
  /** The side of the network input that a 'crop' cuts (RAD/CURL: 100 -> 84) or a 'translate' places the frame in (RAD: 100 in 108). */
  imageSize: number;
  /** Further augmentation parameters by name, e.g. { cutout: { min: 10, max: 30 } }; they override imageSize for crop and translate. */
  augmentationParams: Record<string, unknown>;
  /** DrQ K: augmented copies of next obs whose target values are averaged (1 = RAD/CURL). */
  targetAugmentations: number;
  /** DrQ M: augmented copies of obs whose Q losses are averaged (1 = RAD/CURL). */
  qAugmentations: number;
}

export const defaultSacConfig: SacConfig = {
  gamma: 0.99,
  criticLr: 1e-3,
  criticBeta1: 0.9,
  actorLr: 1e-3,
  actorBeta1: 0.9,
  alphaLr: 1e-4,
  alphaBeta1: 0.5,
  initialAlpha: 0.1,
  targetEntropy: null,
  discreteEntropyFraction: 0.98,
  entropyReward: true,
  criticTau: 0.01,
  encoderTau: 0.05,
  targetUpdateEvery: 2,
  actorUpdateEvery: 2,
  hiddenSize: 1024,
  hiddenLayers: 2,
  convLayers: 4,
  convFilters: 32,
  featureDim: 50,
  logStdMin: -10,
  logStdMax: 2,
  logitBound: 5,
  augmentation: 'crop',
  imageSize: 84,
  augmentationParams: {},
  targetAugmentations: 1,
  qAugmentations: 1,
};

/** The parameters each augmentation takes: crop and translate end at imageSize, then augmentationParams. */
export function augmentationParamsOf(config: Pick<SacConfig, 'imageSize' | 'augmentationParams'>): Record<string, unknown> {
  return { crop: { size: config.imageSize }, translate: { size: config.imageSize }, ...config.augmentationParams };
}

/** DrQ's settings over the defaults: random shift (pad 4) and K = M = 2. */
export const drqOverrides: Partial<SacConfig> = {
  augmentation: 'shift',
  targetAugmentations: 2,
  qAugmentations: 2,
};

/** The defaults with `overrides`, checked: a clear error names any bad field. */
export function resolveSacConfig(overrides: Partial<SacConfig> = {}): SacConfig {
  const config = { ...defaultSacConfig, ...overrides };
  for (const key of Object.keys(overrides)) {
    if (!(key in defaultSacConfig)) throw new Error(`SacConfig: unknown field "${key}"; expected one of ${Object.keys(defaultSacConfig).join(', ')}`);
  }
  const positive = ['criticLr', 'actorLr', 'alphaLr', 'initialAlpha'] as const;
  for (const key of positive) {
    if (!(Number.isFinite(config[key]) && config[key] > 0)) throw new Error(`SacConfig.${key}: expected a positive number, got ${config[key]}`);
  }
  const unit = ['gamma', 'criticTau', 'encoderTau', 'criticBeta1', 'actorBeta1', 'alphaBeta1', 'discreteEntropyFraction'] as const;
  for (const key of unit) {
    if (!(config[key] >= 0 && config[key] <= 1)) throw new Error(`SacConfig.${key}: expected a number in [0, 1], got ${config[key]}`);
  }
  const counts = ['targetUpdateEvery', 'actorUpdateEvery', 'hiddenSize', 'hiddenLayers', 'convLayers', 'convFilters', 'featureDim', 'imageSize', 'targetAugmentations', 'qAugmentations'] as const;
  for (const key of counts) {
    if (!(Number.isInteger(config[key]) && config[key] >= 1)) throw new Error(`SacConfig.${key}: expected a positive integer, got ${config[key]}`);
  }
  if (!(config.logitBound > 0)) throw new Error(`SacConfig.logitBound: expected a positive number, got ${config.logitBound}`);
  if (typeof config.entropyReward !== 'boolean') throw new Error(`SacConfig.entropyReward: expected true or false, got ${config.entropyReward}`);
  if (!(config.logStdMin < config.logStdMax)) throw new Error(`SacConfig: logStdMin (${config.logStdMin}) must be below logStdMax (${config.logStdMax})`);
  if (config.targetEntropy !== null && !Number.isFinite(config.targetEntropy)) throw new Error(`SacConfig.targetEntropy: expected a number or null, got ${config.targetEntropy}`);
  if (typeof config.augmentationParams !== 'object' || config.augmentationParams === null || Array.isArray(config.augmentationParams)) {
    throw new Error(`SacConfig.augmentationParams: expected an object keyed by augmentation name, got ${JSON.stringify(config.augmentationParams)}`);
  }
  if (typeof config.augmentation !== 'string') throw new Error(`SacConfig.augmentation: expected a spec string, got ${typeof config.augmentation}`);
  return config;
}
