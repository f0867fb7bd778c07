/** Small agents and batches shared by the agent tests (tiny sizes: the tests run on 2 shared cores). */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync } from 'node:fs';
import { Random } from '../../common/random.ts';
import { Box } from '../../envs/core.ts';
import { CurlLoss } from '../../agents/aux/curl.ts';
import type { ReplayBatch } from '../../agents/replay.ts';
import { SacAgent } from '../../agents/sac/agent.ts';
import type { SacConfig } from '../../agents/sac/config.ts';

export const tinyConfig: Partial<SacConfig> = {
  hiddenSize: 32,
  convLayers: 2,
  convFilters: 8,
  featureDim: 16,
  imageSize: 12,
};

/** A tiny pixel SAC agent, with CURL unless `curl` is false. */
export function tinyAgent(seed: number, options: { curl?: boolean; config?: Partial<SacConfig>; actionSize?: number } = {}): SacAgent {
  const config = { ...tinyConfig, ...options.config };
  const actionSize = options.actionSize ?? 2;
  return new SacAgent({
    observationShape: [16, 16, 6],
    actionSpace: new Box(-1, 1, [actionSize]),
    config,
    auxiliary: options.curl === false ? [] : [new CurlLoss({ featureDim: config.featureDim! }, Random.derive(seed, 'curl'))],
    seed,
  });
}

/** A random batch of [count, 16, 16, 6] uint8 observations. */
export function randomBatch(count: number, seed: number, actionSize = 2): ReplayBatch {
  const rng = Random.derive(seed, 'batch');
  const pixels = () => Uint8Array.from({ length: count * 16 * 16 * 6 }, () => rng.int(256));
  return {
    obs: { dtype: 'uint8', shape: [count, 16, 16, 6], data: pixels() },
    nextObs: { dtype: 'uint8', shape: [count, 16, 16, 6], data: pixels() },
    actions: { dtype: 'float32', shape: [count, actionSize], data: Float32Array.from({ length: count * actionSize }, () => rng.uniform(-1, 1)) },
    rewards: Float32Array.from({ length: count }, () => rng.uniform()),
    notDone: Float32Array.from({ length: count }, () => (rng.bernoulli(0.1) ? 0 : 1)),
  };
}

/** The project's backend chooser (agents/tf/backend.ts). */
export const backendModule = new URL('../../agents/tf/backend.ts', import.meta.url);

/**
 * Sets the wasm backend through agents/tf/backend.ts (it registers the project's
 * conv gradient kernels), or the cpu backend if that file is absent. Returns its name.
 */
export async function useTestBackend(): Promise<string> {
  if (existsSync(backendModule)) {
    const { setupBackend } = await import(backendModule.href);
    // One thread: the tiny test convs are far below the size worth splitting.
    await setupBackend('wasm', { threads: 1 });
  } else {
    await tf.setBackend('cpu');
  }
  await tf.ready();
  return tf.getBackend();
}

/** ||a - b|| / ||b|| (b the reference), over plain arrays of one length. */
export function relativeError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`relativeError: arrays of ${a.length} and ${b.length} values`);
  let difference = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    difference += (a[i] - b[i]) ** 2;
    norm += b[i] ** 2;
  }
  return Math.sqrt(difference) / Math.max(Math.sqrt(norm), 1e-12);
}
