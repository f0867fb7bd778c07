/**
 * One SAC+CURL update on the wasm backend (with the project's conv gradient
 * kernels) and on the cpu backend, from the same weights and batch: the losses
 * and the gradients (read from Adam's first moment after one step, m = (1 - beta1) g)
 * must agree. A wasm kernel missing or wrong for an op of the update fails here.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { setupBackend } from '../../agents/tf/backend.ts';
import { randomBatch, relativeError, tinyAgent } from './fixtures.ts';

async function oneUpdate(backend: 'wasm' | 'cpu') {
  await setupBackend(backend, { threads: 1 });
  expect(tf.getBackend()).toBe(backend);
  const agent = tinyAgent(11, { config: { convLayers: 3 } });
  // Step 2: the critic, CURL, actor and alpha all take a step.
  const metrics = agent.update(randomBatch(7, 11), 2);
  const state = agent.getState();
  agent.dispose();
  return { metrics, state };
}

describe('wasm against cpu', () => {
  it('gives the same losses and gradients for one update', async () => {
    const cpu = await oneUpdate('cpu');
    const wasm = await oneUpdate('wasm');
    for (const [name, value] of Object.entries(cpu.metrics)) {
      expect(Math.abs(wasm.metrics[name] - value), name).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(value)));
    }
    const moments = Object.keys(cpu.state).filter((name) => name.startsWith('optim/') && name.includes('/m/'));
    // Every trained parameter: conv kernels (stride 2 and 1) and biases, heads, Q and policy MLPs, CURL's W, log alpha.
    expect(moments.length).toBeGreaterThan(30);
    for (const name of moments) {
      expect(relativeError(wasm.state[name], cpu.state[name]), name).toBeLessThanOrEqual(1e-3);
    }
  });
});
