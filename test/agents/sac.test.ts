import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Random } from '../../common/random.ts';
import { Box } from '../../envs/core.ts';
import { CurlLoss } from '../../agents/aux/curl.ts';
import { SacAgent } from '../../agents/sac/agent.ts';
import { drqOverrides, resolveSacConfig } from '../../agents/sac/config.ts';
import { randomBatch, tinyAgent, tinyConfig, useTestBackend } from './fixtures.ts';

let backend = '';
beforeAll(async () => {
  backend = await useTestBackend();
});

describe(`SacAgent (SAC + CURL, tiny sizes)`, () => {
  it('leaks no tensor over 100 updates and actions', () => {
    const agent = tinyAgent(1);
    onTestFinished(() => agent.dispose());
    const batch = randomBatch(6, 1);
    const before = tf.memory().numTensors;
    for (let step = 1; step <= 100; step++) agent.update(batch, step);
    agent.act({ dtype: 'uint8', shape: [16, 16, 6], data: batch.obs.data.subarray(0, 16 * 16 * 6) });
    agent.act({ dtype: 'uint8', shape: [16, 16, 6], data: batch.obs.data.subarray(0, 16 * 16 * 6) }, { eval: true });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('frees every tensor it made on dispose', () => {
    const before = tf.memory().numTensors;
    const agent = tinyAgent(1);
    agent.update(randomBatch(4, 1), 2);
    agent.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is deterministic: same seed and backend give identical losses over 20 updates', () => {
    const run = () => {
      const agent = tinyAgent(7);
      const losses: Record<string, number>[] = [];
      for (let step = 1; step <= 20; step++) losses.push(agent.update(randomBatch(6, step), step));
      agent.dispose();
      return losses;
    };
    const first = run();
    expect(run()).toEqual(first);
    // Every published metric shows up, the actor's every second step.
    expect(Object.keys(first[0]).sort()).toEqual(['charts/q1', 'charts/target_q', 'losses/critic', 'losses/curl']);
    expect(Object.keys(first[1]).sort()).toEqual(['charts/alpha', 'charts/entropy', 'charts/q1', 'charts/target_q', 'losses/actor', 'losses/alpha', 'losses/critic', 'losses/curl']);
    expect(first.every((metrics) => Object.values(metrics).every(Number.isFinite))).toBe(true);
    // A different seed is a different run.
    const other = tinyAgent(8);
    expect(other.update(randomBatch(6, 1), 1)['losses/critic']).not.toBe(first[0]['losses/critic']);
    other.dispose();
  });

  it('resumes exactly from getState/setState and the random state', () => {
    const original = tinyAgent(3);
    for (let step = 1; step <= 3; step++) original.update(randomBatch(6, step), step);
    const state = original.getState();
    const randomState = original.getRandomState();
    const resumed = tinyAgent(99);
    resumed.setState(state);
    resumed.setRandomState(randomState);
    for (let step = 4; step <= 6; step++) expect(resumed.update(randomBatch(6, step), step)).toEqual(original.update(randomBatch(6, step), step));
    expect(Object.keys(state)).toContain('optim/critic/m/critic/trunk/conv0/kernel');
    expect(Object.keys(state)).toContain('aux/curl/curl/W');
    expect(Object.keys(state)).toContain('target/critic/q1/dense0/kernel');
    expect(() => resumed.setState({ ...state, 'online/nonsense': new Float32Array(1) })).toThrow(/unexpected entries \[online\/nonsense\]/);
    original.dispose();
    resumed.dispose();
  });

  it('acts within the action bounds, deterministically in eval, for one observation or a batch', () => {
    const agent = new SacAgent({ observationShape: [16, 16, 6], actionSpace: new Box([0, -2], [1, 2], [2]), config: tinyConfig, seed: 4 });
    const batch = randomBatch(5, 4);
    const actions = agent.act(batch.obs);
    expect(actions.shape).toEqual([5, 2]);
    for (let i = 0; i < 5; i++) {
      expect(actions.data[2 * i]).toBeGreaterThanOrEqual(0);
      expect(actions.data[2 * i]).toBeLessThanOrEqual(1);
      expect(Math.abs(actions.data[2 * i + 1])).toBeLessThanOrEqual(2);
    }
    const one = { dtype: 'uint8' as const, shape: [16, 16, 6], data: batch.obs.data.subarray(0, 16 * 16 * 6) as Uint8Array };
    expect(agent.act(one, { eval: true })).toEqual(agent.act(one, { eval: true }));
    expect(agent.act(one).data).not.toEqual(agent.act(one).data);
    expect(() => agent.act({ dtype: 'uint8', shape: [12, 12, 6], data: new Uint8Array(864) })).toThrow(/observation shape must be \[16,16,6\] or \[N, 16,16,6\], got \[12,12,6\]/);
    agent.dispose();
  });

  it('samples with a stream it is given (a stochastic evaluation): the same stream, the same actions; its own acting stream stays where it was', () => {
    const make = () => new SacAgent({ observationShape: [16, 16, 6], actionSpace: new Box([0, -2], [1, 2], [2]), config: tinyConfig, seed: 4 });
    const [agent, twin] = [make(), make()];
    onTestFinished(() => [agent, twin].forEach((a) => a.dispose()));
    const obs = randomBatch(3, 4).obs;
    const stream = () => Random.derive(1, 'sample');
    const sampled = agent.act(obs, { eval: true, sample: stream() });
    expect(agent.act(obs, { eval: true, sample: stream() })).toEqual(sampled);
    expect(agent.act(obs, { eval: true, sample: Random.derive(2, 'sample') }).data).not.toEqual(sampled.data);
    expect(sampled.data).not.toEqual(agent.act(obs, { eval: true }).data);
    // The twin never sampled with a given stream: both agents' own samples agree.
    expect(agent.act(obs)).toEqual(twin.act(obs));
  });

  it('runs DrQ (shift, K = M = 2) and SAC on states as configurations of the same agent', () => {
    const drq = tinyAgent(5, { curl: false, config: { ...drqOverrides, imageSize: 16 } });
    const metrics = drq.update(randomBatch(4, 5), 2);
    expect(Number.isFinite(metrics['losses/critic'])).toBe(true);
    expect(metrics['losses/curl']).toBeUndefined();
    drq.dispose();
    const state = new SacAgent({ observationShape: [5], actionSpace: new Box(-1, 1, [1]), config: { hiddenSize: 16, augmentation: 'none' }, seed: 6 });
    const rng = new Random(6);
    const values = (count: number) => Float32Array.from({ length: count }, () => rng.normal());
    const batch = {
      obs: { dtype: 'float32' as const, shape: [4, 5], data: values(20) },
      nextObs: { dtype: 'float32' as const, shape: [4, 5], data: values(20) },
      actions: { dtype: 'float32' as const, shape: [4, 1], data: values(4).map(Math.tanh) },
      rewards: values(4),
      notDone: new Float32Array(4).fill(1),
    };
    expect(Number.isFinite(state.update(batch, 2)['losses/actor'])).toBe(true);
    expect(state.act({ dtype: 'float32', shape: [5], data: values(5) }).shape).toEqual([1]);
    state.dispose();
  });

  it('rejects bad configuration and batches with messages naming the field', () => {
    expect(() => resolveSacConfig({ gamma: 1.5 })).toThrow(/SacConfig.gamma: expected a number in \[0, 1\], got 1.5/);
    expect(() => resolveSacConfig({ hiddenSize: 0 })).toThrow(/SacConfig.hiddenSize: expected a positive integer, got 0/);
    expect(() => resolveSacConfig({ learningRate: 1 } as never)).toThrow(/unknown field "learningRate"/);
    expect(() => new SacAgent({ observationShape: [5], actionSpace: new Box(-1, 1, [1]), seed: 1 })).toThrow(/augmentation "crop" works on pixels, but observations of shape \[5\] are state/);
    expect(() => new SacAgent({ observationShape: [16, 16, 6], actionSpace: new Box(-Infinity, Infinity, [1]), config: tinyConfig, seed: 1 })).toThrow(/action bounds must be finite/);
    expect(
      () => new SacAgent({ observationShape: [5], actionSpace: new Box(-1, 1, [1]), config: { ...tinyConfig, augmentation: 'none' }, auxiliary: [new CurlLoss({ featureDim: 4 }, new Random(1))], seed: 1 }),
    ).toThrow(/auxiliary loss "curl" needs pixel observations/);
    const agent = tinyAgent(2);
    const batch = randomBatch(3, 2);
    expect(() => agent.update({ ...batch, notDone: new Float32Array(2) }, 1)).toThrow(/batch.notDone has 2 values, expected 3/);
    expect(() => agent.update({ ...batch, obs: randomBatch(2, 2).obs }, 1)).toThrow(/batch.obs must have shape \[3, 16,16,6\], got \[2,16,16,6\]/);
    agent.dispose();
  });

  it(`reports its backend`, () => {
    expect(['wasm', 'cpu']).toContain(backend);
  });
});
