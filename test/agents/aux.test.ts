/**
 * The auxiliary losses beyond CURL (rotation, inverse and forward dynamics):
 * each joins SAC's update, trains what it should, works with discrete actions
 * where it reads actions, and combines by spec.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Random } from '../../common/random.ts';
import { Box, Discrete } from '../../envs/core.ts';
import { actionInput, actionLoss } from '../../agents/aux/actions.ts';
import { ForwardDynamicsLoss } from '../../agents/aux/forward.ts';
import { InverseDynamicsLoss } from '../../agents/aux/inverse.ts';
import type { AuxiliaryContext, AuxiliaryLoss, BatchActions } from '../../agents/aux/plugin.ts';
import { AUXILIARY_LOSSES, AUXILIARY_NAMES, parseAuxiliary } from '../../agents/aux/registry.ts';
import { RotationLoss } from '../../agents/aux/rotation.ts';
import { Adam } from '../../agents/nets/adam.ts';
import { Parameters } from '../../agents/nets/parameters.ts';
import type { ReplayBatch } from '../../agents/replay.ts';
import { SacAgent } from '../../agents/sac/agent.ts';
import { randomBatch, tinyConfig, useTestBackend } from './fixtures.ts';

beforeAll(async () => {
  await useTestBackend();
});

const featureDim = tinyConfig.featureDim!;

function agentWith(auxiliary: AuxiliaryLoss[], seed = 1): SacAgent {
  return new SacAgent({ observationShape: [16, 16, 6], actionSpace: new Box(-1, 1, [2]), config: tinyConfig, auxiliary, seed });
}

function build(name: keyof typeof AUXILIARY_LOSSES, seed = 1, weight = 1): AuxiliaryLoss {
  return AUXILIARY_LOSSES[name]({ featureDim, hiddenSize: 32, actionSpace: new Box(-1, 1, [2]), weight, seed });
}

/**
 * Frames whose brightness falls from top to bottom (with noise): which way is
 * up is visible, so a turn can be told; random noise would not show it.
 */
function orientedBatch(count: number, seed: number): ReplayBatch {
  const batch = randomBatch(count, seed);
  const data = batch.obs.data as Uint8Array;
  for (let i = 0; i < data.length; i++) {
    const row = Math.floor(i / (16 * 6)) % 16;
    data[i] = Math.min(255, 240 - row * 14 + (data[i] % 16));
  }
  return batch;
}

describe('auxiliary loss specs', () => {
  it('parses combinations, and names what is wrong in a bad one', () => {
    expect(parseAuxiliary('none')).toEqual([]);
    expect(parseAuxiliary('')).toEqual([]);
    expect(parseAuxiliary('curl-byol-rotation-inverse-forward')).toEqual(['curl', 'byol', 'rotation', 'inverse', 'forward']);
    expect(() => parseAuxiliary('curl-simclr')).toThrow(/unknown loss "simclr"; expected names from curl, byol, rotation, inverse, forward joined by '-', or none/);
    expect(() => parseAuxiliary('rotation-rotation')).toThrow(/"rotation" is named twice/);
    expect(AUXILIARY_NAMES.map((name) => build(name).name)).toEqual(AUXILIARY_NAMES);
  });
});

describe('auxiliary losses in the SAC update (tiny sizes)', () => {
  it('each reports its loss, trains its parameters and the encoder, leaks nothing, and repeats with the seed', () => {
    for (const name of ['byol', 'rotation', 'inverse', 'forward'] as const) {
      const run = () => {
        const agent = agentWith([build(name)]);
        const plain = agentWith([]);
        const before = tf.memory().numTensors;
        const metrics = [1, 2, 3].map((step) => agent.update(randomBatch(6, step), step));
        for (let step = 1; step <= 3; step++) plain.update(randomBatch(6, step), step);
        expect(tf.memory().numTensors).toBe(before);
        const state = agent.getState();
        const plainState = plain.getState();
        agent.dispose();
        plain.dispose();
        return { metrics, state, plainState };
      };
      const { metrics, state, plainState } = run();
      expect(metrics.every((m) => Number.isFinite(m[`losses/${name}`])), name).toBe(true);
      // Its own head is saved with the agent, and its gradient moved the shared encoder.
      expect(Object.keys(state).some((key) => key.startsWith(`aux/${name}/${name}/`)), name).toBe(true);
      expect(state['online/critic/trunk/conv0/kernel'], name).not.toEqual(plainState['online/critic/trunk/conv0/kernel']);
      expect(run().metrics, name).toEqual(metrics);
    }
  });

  it('rotation: the encoder and head learn to tell the turn of oriented frames', () => {
    const agent = agentWith([new RotationLoss({ featureDim }, new Random(3))], 3);
    onTestFinished(() => agent.dispose());
    const batch = orientedBatch(16, 3);
    const losses: number[] = [];
    for (let step = 1; step <= 120; step++) losses.push(agent.update(batch, step)['losses/rotation']);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    // Chance is ln 4 = 1.386; the turns and crops are drawn afresh each update, so this is not memory.
    expect(mean(losses.slice(0, 5))).toBeGreaterThan(1.1);
    expect(mean(losses.slice(-5))).toBeLessThan(0.3);
  });

  it('byol: the target projector follows the projector with the target networks, and is saved and restored', () => {
    const agent = agentWith([build('byol', 4)], 4);
    onTestFinished(() => agent.dispose());
    const targetOf = () => Object.fromEntries(Object.entries(agent.getState()).filter(([key]) => key.startsWith('auxtarget/byol/')));
    const initial = targetOf();
    expect(Object.keys(initial)).toContain('auxtarget/byol/byol/projector/dense0/kernel');
    // It starts as a copy of the projector.
    expect(initial['auxtarget/byol/byol/projector/dense1/kernel']).toEqual(agent.getState()['aux/byol/byol/projector/dense1/kernel']);
    const batch = orientedBatch(8, 4);
    agent.update(batch, 1);
    expect(targetOf()).toEqual(initial); // targets move every 2nd update (targetUpdateEvery)
    const before = agent.getState();
    agent.update(batch, 2);
    const after = agent.getState();
    const tau = agent.config.encoderTau;
    const name = 'byol/projector/dense0/kernel';
    const expected = before[`auxtarget/byol/${name}`].map((value, i) => tau * after[`aux/byol/${name}`][i] + (1 - tau) * value);
    const moved = after[`auxtarget/byol/${name}`];
    expect(Math.max(...moved.map((value, i) => Math.abs(value - expected[i])))).toBeLessThan(1e-6);
    expect(moved).not.toEqual(before[`auxtarget/byol/${name}`]);
    // A resumed agent continues exactly.
    const resumed = agentWith([build('byol', 99)], 99);
    onTestFinished(() => resumed.dispose());
    resumed.setState(after);
    resumed.setRandomState(agent.getRandomState());
    for (let step = 3; step <= 4; step++) expect(resumed.update(batch, step)).toEqual(agent.update(batch, step));
    expect(resumed.getState()).toEqual(agent.getState());
  });

  it('inverse and forward share one encoding of the next observations per update', () => {
    const seen: tf.Tensor[] = [];
    const spy = (name: string): AuxiliaryLoss => ({
      name,
      weight: 1,
      everySteps: 1,
      parameters: new Parameters(),
      prepare: (inputs) => {
        seen.push(inputs.nextFeatures());
        return [inputs.nextFeatures()];
      },
      loss: (context) => {
        expect(() => context.nextFeatures()).toThrow(/carries no gradient; call it in prepare\(\)/);
        return tf.tidy(() => tf.mean(context.anchorFeatures) as tf.Scalar);
      },
      dispose() {
        this.parameters.dispose();
      },
    });
    const agent = agentWith([spy('a'), spy('b')]);
    const before = tf.memory().numTensors;
    agent.update(randomBatch(4, 1), 1);
    expect(seen.length).toBe(2);
    expect(seen[0]).toBe(seen[1]);
    expect(seen[0].isDisposed).toBe(true);
    agent.dispose();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
  });
});

/** A context for calling a plug-in's loss directly, on encodings given as data. */
function context(anchor: tf.Tensor2D, next: tf.Tensor2D, actions: BatchActions, rewards: Float32Array): AuxiliaryContext {
  const unused = () => {
    throw new Error('not used by this loss');
  };
  return {
    step: 1,
    observations: { dtype: 'uint8', shape: [0], data: new Uint8Array(0) },
    nextObservations: { dtype: 'uint8', shape: [0], data: new Uint8Array(0) },
    actions,
    rewards,
    random: new Random(0),
    augment: unused,
    encodeOnline: unused,
    encodeTarget: unused,
    nextFeatures: unused,
    anchorFeatures: anchor,
    prepared: [next],
  };
}

/** Trains only `plugin`'s head for `steps` Adam steps; returns the first and last loss. */
function trainHead(plugin: AuxiliaryLoss, make: () => AuxiliaryContext, steps: number): [number, number] {
  const optimizer = new Adam(plugin.parameters.variables, { lr: 3e-3, beta1: 0.9 });
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const { value, grads } = tf.variableGrads(() => plugin.loss(make()), [...plugin.parameters.variables.values()]);
    optimizer.step(new Map([...plugin.parameters.variables].map(([name, variable]) => [name, grads[variable.name]])));
    losses.push(value.dataSync()[0]);
    tf.dispose([value, ...Object.values(grads)]);
  }
  optimizer.dispose();
  return [losses[0], losses[losses.length - 1]];
}

describe('inverse and forward dynamics heads, continuous and discrete actions', () => {
  const count = 32;
  const rng = new Random(11);
  const anchorValues = rng.fillNormal(new Float32Array(count * featureDim)) as Float32Array;

  it('encodes discrete actions one-hot and scores them by cross-entropy; checks the actions it gets', () => {
    const space = new Discrete(3);
    const actions = { dtype: 'int32' as const, shape: [2], data: Int32Array.of(2, 0) };
    expect([...actionInput(actions, space, 2).dataSync()]).toEqual([0, 0, 1, 1, 0, 0]);
    expect(actionLoss(tf.zeros([2, 3]) as tf.Tensor2D, actions, space).dataSync()[0]).toBeCloseTo(Math.log(3), 5);
    expect(() => actionInput({ dtype: 'float32', shape: [2, 1], data: new Float32Array(2) }, space, 2)).toThrow(/actions must be int32 \[2\] for Discrete\(3\), got float32 \[2,1\]/);
  });

  for (const space of [new Box(-1, 1, [2]), new Discrete(3)]) {
    // The action is what moved the encoding from obs to next obs; the reward is a function of the encoding.
    const actions: BatchActions =
      space.kind === 'discrete'
        ? { dtype: 'int32', shape: [count], data: Int32Array.from({ length: count }, () => rng.int(3)) }
        : { dtype: 'float32', shape: [count, 2], data: Float32Array.from({ length: count * 2 }, () => rng.uniform(-1, 1)) };
    const moves = Float32Array.from({ length: count * featureDim }, (_, i) => {
      const n = Math.floor(i / featureDim);
      const j = i % featureDim;
      if (space.kind === 'discrete') return j === actions.data[n] ? 1 : 0;
      return j < 2 ? actions.data[2 * n + j] : 0;
    });
    const nextValues = anchorValues.map((value, i) => value + moves[i]);
    const rewards = Float32Array.from({ length: count }, (_, n) => anchorValues[n * featureDim] * 0.5);
    const make = () => context(tf.tensor2d(anchorValues, [count, featureDim]), tf.tensor2d(nextValues, [count, featureDim]), actions, rewards);

    it(`inverse dynamics learns the action taken (${space})`, () => {
      const plugin = new InverseDynamicsLoss({ featureDim, hiddenSize: 64, actionSpace: space }, new Random(1));
      onTestFinished(() => plugin.dispose());
      const [first, last] = tf.tidy(() => trainHead(plugin, make, 150));
      expect(last).toBeLessThan(first * 0.2);
    });

    it(`forward dynamics learns the next encoding (${space})`, () => {
      const plugin = new ForwardDynamicsLoss({ featureDim, hiddenSize: 64, actionSpace: space }, new Random(1));
      onTestFinished(() => plugin.dispose());
      const [first, last] = tf.tidy(() => trainHead(plugin, make, 150));
      expect(last).toBeLessThan(first * 0.2);
    });
  }
});
