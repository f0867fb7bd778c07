/**
 * `rad serve`'s path end to end: the Node server hosting a DeepMind Control task
 * of this package (built through the env registry with its pixel wrappers),
 * stepped through RemoteVectorEnv from this process.
 */
import { describe, expect, it } from 'vitest';
import type { NdArray } from '../../../common/ndarray.ts';
import { RemoteVectorEnv } from '../../../envs/bridge/client.ts';
import { serveEnvs } from '../../../envs/bridge/node_server.ts';
import { makeEnv } from '../../../envs/registry.ts';

describe('Node server hosting dmc', () => {
  it('serves dmc:cartpole-swingup pixels to a remote vector env', async () => {
    const server = await serveEnvs({
      bind: 'tcp://127.0.0.1:0',
      copies: 2,
      defaultEnvId: 'dmc:cartpole-swingup',
      makeEnv: (id) => makeEnv(id, { renderSize: 32, frameStack: 1, actionRepeat: 2 }),
    });
    try {
      const vector = await RemoteVectorEnv.connect<NdArray, NdArray>({ endpoint: server.endpoint, envId: '', timeoutMs: 60_000 });
      try {
        expect(String(vector.singleObservationSpace)).toBe('Box(0, 255, [32,32,3], uint8)');
        expect(String(vector.singleActionSpace)).toBe('Box(-1, 1, [1], float32)');
        const { obs } = await vector.reset({ seed: 3 });
        expect(obs.shape).toEqual([2, 32, 32, 3]);
        expect(Math.max(...obs.data)).toBeGreaterThan(0); // a rendered scene, not a blank frame
        const step = await vector.step({ dtype: 'float32', shape: [2, 1], data: Float32Array.from([1, -1]) });
        expect(step.obs.shape).toEqual([2, 32, 32, 3]);
        expect(step.rewards.every((r) => r >= 0 && r <= 2)).toBe(true); // two action-repeated steps of rewards in [0, 1]
        expect(Array.from(step.obs.data.subarray(0, 3072))).not.toEqual(Array.from(step.obs.data.subarray(3072)));
      } finally {
        await vector.close();
      }
    } finally {
      await server.close();
    }
  });
});
