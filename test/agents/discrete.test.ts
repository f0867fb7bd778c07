/**
 * SAC-Discrete (agents/sac/discrete.ts): its sums over actions by hand, its
 * action choice, and the pixel agent on a Discrete space: it acts in the space,
 * learns which action an image pays for, resumes exactly, and takes the
 * auxiliary losses.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Random } from '../../common/random.ts';
import { Discrete } from '../../envs/core.ts';
import { AUXILIARY_LOSSES } from '../../agents/aux/registry.ts';
import type { ReplayBatch } from '../../agents/replay.ts';
import { SacAgent } from '../../agents/sac/agent.ts';
import type { SacConfig } from '../../agents/sac/config.ts';
import { actorLoss, categorical, chooseActions, discreteTargetEntropy, entropy, softValue, taken } from '../../agents/sac/discrete.ts';
import { tinyConfig, useTestBackend } from './fixtures.ts';

beforeAll(async () => {
  await useTestBackend();
});

const value = (tensor: tf.Tensor) => [...tensor.dataSync()];

describe('SAC-Discrete by hand', () => {
  it('sums over the actions with the policy weights', () => {
    const probs = tf.tensor2d([[0.25, 0.75]]);
    const logProbs = tf.log(probs) as tf.Tensor2D;
    const q1 = tf.tensor2d([[1, 4]]);
    const q2 = tf.tensor2d([[2, 3]]);
    const alpha = 0.5;
    // min Q = [1, 3]; V = 0.25 (1 - 0.5 log 0.25) + 0.75 (3 - 0.5 log 0.75).
    const expected = 0.25 * (1 - alpha * Math.log(0.25)) + 0.75 * (3 - alpha * Math.log(0.75));
    expect(value(softValue(probs, logProbs, q1, q2, alpha))[0]).toBeCloseTo(expected, 5);
    expect(value(actorLoss(probs, logProbs, q1, q2, alpha))[0]).toBeCloseTo(-expected, 5);
    expect(value(entropy(probs, logProbs))[0]).toBeCloseTo(-(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)), 5);
    expect(value(taken(tf.tensor2d([[1, 2, 3], [4, 5, 6]]), tf.tensor1d([2, 0], 'int32')))).toEqual([3, 4]);
    expect(discreteTargetEntropy(4)).toBeCloseTo(0.98 * Math.log(4), 12);
    expect(discreteTargetEntropy(4, 0.5)).toBeCloseTo(0.5 * Math.log(4), 12);
  });

  it('chooses the most likely action, or draws each as often as its probability', () => {
    expect([...chooseActions(Float32Array.of(0.1, 0.7, 0.2, 0.5, 0.2, 0.3), 3, null)]).toEqual([1, 0]);
    const rng = new Random(5);
    const counts = [0, 0, 0];
    const draws = 20_000;
    const probs = Float32Array.of(0.2, 0.5, 0.3);
    for (let i = 0; i < draws; i++) counts[chooseActions(probs, 3, rng)[0]]++;
    counts.forEach((count, a) => expect(Math.abs(count / draws - probs[a])).toBeLessThan(0.015));
  });
});

/** Frames bright or dark; the action that pays 1 is `start` on bright frames and `start + 1` on dark ones. */
function banditBatch(count: number, seed: number, start: number, options: { random?: boolean } = {}): ReplayBatch {
  const rng = Random.derive(seed, 'bandit');
  const size = 16 * 16 * 3;
  const obs = new Uint8Array(count * size);
  const actions = new Float32Array(count);
  const rewards = new Float32Array(count);
  for (let n = 0; n < count; n++) {
    const bright = rng.bernoulli(0.5);
    for (let i = 0; i < size; i++) obs[n * size + i] = (bright ? 200 : 40) + rng.int(30);
    actions[n] = start + rng.int(3);
    rewards[n] = actions[n] === start + (bright ? 0 : 1) ? 1 : 0;
  }
  if (options.random) for (let n = 0; n < count; n++) actions[n] = rng.int(10);
  return {
    obs: { dtype: 'uint8', shape: [count, 16, 16, 3], data: obs },
    nextObs: { dtype: 'uint8', shape: [count, 16, 16, 3], data: obs.slice() },
    actions: { dtype: 'float32', shape: [count, 1], data: actions },
    rewards,
    notDone: new Float32Array(count),
  };
}

const frame = (brightness: number) => ({ dtype: 'uint8' as const, shape: [16, 16, 3], data: new Uint8Array(16 * 16 * 3).fill(brightness) });

function discreteAgent(seed: number, options: { config?: Partial<SacConfig>; auxiliary?: string[] } = {}): SacAgent {
  const actionSpace = new Discrete(3, 1);
  const config = { ...tinyConfig, ...options.config };
  const auxiliary = (options.auxiliary ?? []).map((name) =>
    AUXILIARY_LOSSES[name as keyof typeof AUXILIARY_LOSSES]({ featureDim: config.featureDim!, hiddenSize: 32, actionSpace, weight: 1, seed }),
  );
  return new SacAgent({ observationShape: [16, 16, 3], actionSpace, config, auxiliary, seed });
}

describe('SacAgent on a Discrete action space (tiny sizes)', () => {
  it('acts within the space: one int for one observation, one per row of a batch; the greedy action repeats', () => {
    const agent = discreteAgent(1);
    onTestFinished(() => agent.dispose());
    const one = agent.act(frame(100));
    expect(one.dtype).toBe('int32');
    expect(one.shape).toEqual([]);
    const batch = agent.act(banditBatch(50, 1, 1).obs);
    expect(batch.shape).toEqual([50]);
    expect([...batch.data].every((a) => a >= 1 && a <= 3)).toBe(true);
    expect(new Set(batch.data).size).toBeGreaterThan(1); // a near-uniform policy samples more than one action
    expect(agent.act(frame(100), { eval: true })).toEqual(agent.act(frame(100), { eval: true }));
  });

  it('samples with a stream it is given (a stochastic evaluation), leaving its own acting stream alone', () => {
    const [agent, twin] = [discreteAgent(1), discreteAgent(1)];
    onTestFinished(() => [agent, twin].forEach((a) => a.dispose()));
    const obs = banditBatch(50, 1, 1).obs;
    const sampled = agent.act(obs, { eval: true, sample: Random.derive(3, 'sample') });
    expect(agent.act(obs, { eval: true, sample: Random.derive(3, 'sample') })).toEqual(sampled);
    // A near-uniform policy: sampled actions differ from row to row, the most likely ones barely.
    expect(new Set(sampled.data).size).toBe(3);
    expect(sampled.data).not.toEqual(agent.act(obs, { eval: true }).data);
    expect(agent.act(obs)).toEqual(twin.act(obs));
  });

  it('leaks no tensor, reports the same metrics as with a Box, and resumes exactly', () => {
    const agent = discreteAgent(2);
    onTestFinished(() => agent.dispose());
    const before = tf.memory().numTensors;
    const metrics = [1, 2].map((step) => agent.update(banditBatch(8, step, 1), step));
    expect(tf.memory().numTensors).toBe(before);
    expect(Object.keys(metrics[1]).sort()).toEqual(['charts/alpha', 'charts/entropy', 'charts/q1', 'charts/target_q', 'losses/actor', 'losses/alpha', 'losses/critic']);
    expect(Object.values(metrics[1]).every(Number.isFinite)).toBe(true);
    // The policy starts near uniform: its entropy is near log 3.
    expect(metrics[1]['charts/entropy']).toBeGreaterThan(0.9 * Math.log(3));
    const resumed = discreteAgent(77);
    onTestFinished(() => resumed.dispose());
    resumed.setState(agent.getState());
    resumed.setRandomState(agent.getRandomState());
    for (let step = 3; step <= 4; step++) expect(resumed.update(banditBatch(8, step, 1), step)).toEqual(agent.update(banditBatch(8, step, 1), step));
    expect(resumed.act(frame(90))).toEqual(agent.act(frame(90)));
  });

  it("steers the policy's entropy toward discreteEntropyFraction x log |A| (the temperature loss)", () => {
    for (const fraction of [0.98, 0.5]) {
      const agent = discreteAgent(6, { config: { discreteEntropyFraction: fraction } });
      const metrics = agent.update(banditBatch(8, 6, 1), 2); // the first actor and temperature step, at alpha = 0.1
      agent.dispose();
      expect(metrics['losses/alpha']).toBeCloseTo(0.1 * (metrics['charts/entropy'] - fraction * Math.log(3)), 5);
    }
  });

  it('keeps its logits within +-logitBound however large the policy weights grow, so no probability reaches 0 and the gradient does not vanish', () => {
    const agent = discreteAgent(8, { config: { logitBound: 3 } });
    onTestFinished(() => agent.dispose());
    const { networks } = agent;
    const policy = [...networks.actorVariables()].filter(([name]) => name.startsWith('actor/policy/'));
    for (const [, variable] of policy) variable.assign(tf.mul(variable, 1e4));
    const observations = tf.tensor4d(banditBatch(16, 8, 1).obs.data as Uint8Array, [16, 16, 16, 3], 'int32');
    const features = tf.tidy(() => networks.actorFeatures(networks.trunk(tf.slice(observations, [0, 2, 2, 0], [16, 12, 12, 3]))));
    const logits = networks.logits(features);
    const values = [...logits.dataSync()];
    const { probs, logProbs } = categorical(logits);
    const smallest = Math.min(...probs.dataSync());
    // The gradient of a weighted sum of the logits with respect to the policy's weights.
    const weights = tf.tensor2d(Array.from({ length: 48 }, (_, i) => Math.sin(i + 1)), [16, 3]);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(networks.logits(features), weights)) as tf.Scalar, policy.map(([, variable]) => variable));
    const gradientNorm = Math.sqrt(Object.values(grads).reduce((sum, grad) => sum + tf.sum(tf.square(grad)).dataSync()[0], 0));
    tf.dispose([observations, features, logits, probs, logProbs, weights, ...Object.values(grads)]);
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(3);
    // Unbounded, these weights put logits thousands apart: probabilities of exactly 0 in float32.
    expect(Math.max(...values) - Math.min(...values)).toBeGreaterThan(1);
    expect(smallest).toBeGreaterThanOrEqual(Math.exp(-6) / 3 - 1e-7);
    // Squashed one by one by tanh, these logits sit at the bound, where the gradient is 0 in float32.
    expect(gradientNorm).toBeGreaterThan(1e-3);
  });

  /**
   * The soft value of each next observation, sum_a pi (min Q_target - alpha' log pi), as
   * the agent's target takes it (alpha' = alpha, or 0 without the entropy reward); for
   * agents without augmentation, so that it sees the same next observations.
   */
  function nextValues(agent: SacAgent, batch: ReplayBatch, entropyReward: boolean): Float32Array {
    const { networks } = agent;
    const alpha = Math.exp(networks.logAlpha.dataSync()[0]);
    return tf.tidy(() => {
      const next = tf.tensor4d(batch.nextObs.data as Uint8Array, [batch.rewards.length, 16, 16, 3], 'int32');
      const { probs, logProbs } = categorical(networks.logits(networks.actorFeatures(networks.trunk(next))));
      const [q1, q2] = networks.qValues(networks.criticFeatures(networks.trunk(next, 'target'), 'target'), 'target');
      return softValue(probs, logProbs, q1, q2, entropyReward ? alpha : 0).dataSync() as Float32Array;
    });
  }

  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

  it("puts the entropy reward in the critic's target unless entropyReward is off (SACLite)", () => {
    for (const entropyReward of [true, false]) {
      const agent = discreteAgent(9, { config: { entropyReward, augmentation: 'none', imageSize: 16 } });
      const batch = { ...banditBatch(8, 9, 1), notDone: new Float32Array(8).fill(1) };
      const values = nextValues(agent, batch, entropyReward);
      const expected = mean([...batch.rewards].map((reward, i) => reward + 0.99 * values[i]));
      const metrics = agent.update(batch, 1);
      agent.dispose();
      expect(metrics['charts/target_q']).toBeCloseTo(expected, 5);
    }
  });

  it('discounts the bootstrapped value by gamma^steps for n-step windows, and 0 where they terminated', () => {
    const agent = discreteAgent(10, { config: { augmentation: 'none', imageSize: 16 } });
    onTestFinished(() => agent.dispose());
    const steps = Float32Array.of(1, 2, 3, 1, 2, 3, 1, 2);
    const notDone = Float32Array.of(1, 1, 1, 0, 1, 0, 1, 1);
    const batch = { ...banditBatch(8, 10, 1), notDone, steps };
    const values = nextValues(agent, batch, true);
    const expected = mean([...batch.rewards].map((reward, i) => reward + notDone[i] * 0.99 ** steps[i] * values[i]));
    expect(agent.update(batch, 1)['charts/target_q']).toBeCloseTo(expected, 5);
  });

  it('refuses n-step windows to the auxiliary losses that learn from one-step transitions, and window lengths that are not integers >= 1', () => {
    const agent = discreteAgent(11, { auxiliary: ['inverse'] });
    onTestFinished(() => agent.dispose());
    const batch = { ...banditBatch(8, 11, 1), steps: new Float32Array(8).fill(3) };
    expect(() => agent.update(batch, 1)).toThrow(/nextFeatures\(\) needs one-step transitions, but the batch holds n-step windows \(n_step > 1\)/);
    // One-step windows (n_step 1) are what it learns from.
    expect(Number.isFinite(agent.update({ ...batch, steps: new Float32Array(8).fill(1) }, 1)['losses/inverse'])).toBe(true);
    expect(() => agent.update({ ...batch, steps: Float32Array.of(1, 2, 0.5, 1, 1, 1, 1, 1) }, 2)).toThrow('SacAgent.update: batch.steps must hold 8 integers >= 1, got batch.steps[2] = 0.5');
    expect(() => agent.update({ ...batch, steps: new Float32Array(3).fill(1) }, 2)).toThrow('SacAgent.update: batch.steps must hold 8 integers >= 1, got 3 values');
  });

  it('learns which action each kind of frame pays for', () => {
    // gamma 0: a contextual bandit, so Q is the expected reward of each action.
    const agent = discreteAgent(3, { config: { gamma: 0, initialAlpha: 0.01 } });
    onTestFinished(() => agent.dispose());
    for (let step = 1; step <= 150; step++) agent.update(banditBatch(16, step, 1), step);
    expect(agent.act(frame(215), { eval: true }).data[0]).toBe(1);
    expect(agent.act(frame(55), { eval: true }).data[0]).toBe(2);
  });

  it('trains the auxiliary losses that read actions, with indices from 0', () => {
    const agent = discreteAgent(4, { auxiliary: ['inverse', 'forward'] });
    onTestFinished(() => agent.dispose());
    const metrics = agent.update(banditBatch(8, 4, 1), 1);
    expect(Number.isFinite(metrics['losses/inverse'])).toBe(true);
    expect(Number.isFinite(metrics['losses/forward'])).toBe(true);
  });

  it('refuses a stored action that is not one of the space', () => {
    const agent = discreteAgent(5);
    onTestFinished(() => agent.dispose());
    expect(() => agent.update(banditBatch(8, 5, 1, { random: true }), 1)).toThrow(/batch\.actions\[\d\] = \d is not an action of Discrete\(3, start=1\)/);
  });
});
