import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../common/errors.ts';
import { Box, Dict, Discrete, type Env } from '../../envs/core.ts';
import type { ReplayBatch } from '../../agents/replay.ts';
import { auxiliaryLosses, makeAgent, makeReplay } from '../../experiments/components.ts';
import { resolveConfig } from '../../experiments/config/presets.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('makeReplay', () => {
  it("samples n_step windows discounted by the run's discount", () => {
    const config = resolveConfig({ preset: 'sac-state', overrides: { env: 'remote:tcp://127.0.0.1:5555/dm_control/walker-walk', n_step: 3, discount: 0.5 } });
    const env = { observationSpace: new Box(-1, 1, [1], 'float32'), actionSpace: new Box(-1, 1, [1], 'float32') } as unknown as Env;
    const replay = makeReplay(config, env);
    const state = (value: number) => ({ dtype: 'float32' as const, shape: [1], data: Float32Array.of(value) });
    replay.addFirst(state(0));
    for (let t = 1; t <= 10; t++) replay.add(Float32Array.of(0), 1, state(t), false, false);
    const batch = replay.sample(16) as ReplayBatch;
    for (let i = 0; i < 16; i++) {
      expect(batch.steps![i]).toBe(Math.min(3, 10 - batch.obs.data[i]));
      expect(batch.rewards[i]).toBeCloseTo([1, 1.5, 1.75][batch.steps![i] - 1], 6);
    }
  });
});

describe('makeAgent', () => {
  it('builds SAC-Discrete for an env with discrete actions; its act gives the env a number', () => {
    const config = resolveConfig({ preset: 'quick', overrides: { env: 'remote:tcp://127.0.0.1:5555/procgen/coinrun', num_filters: 2, hidden_dim: 4, feature_dim: 4 } });
    const env = { observationSpace: new Box(0, 255, [64, 64, 9], 'uint8'), actionSpace: new Discrete(15) } as unknown as Env;
    const agent = makeAgent(config, env);
    const action = agent.act({ dtype: 'uint8', shape: [64, 64, 9], data: new Uint8Array(64 * 64 * 9) }, { eval: false });
    expect(env.actionSpace.check(action)).toBeNull();
    agent.dispose();
  });

  it('refuses an env with a Dict action space as bad input (exit code 2), naming the env and its space', () => {
    const config = resolveConfig({ overrides: { env: 'remote:tcp://127.0.0.1:5555/mine/arm' } });
    const env = { observationSpace: new Box(0, 255, [100, 100, 9], 'uint8'), actionSpace: new Dict({ move: new Box(-1, 1, [2]), grip: new Discrete(2) }) } as unknown as Env;
    expect(() => makeAgent(config, env)).toThrow(InputError);
    expect(() => makeAgent(config, env)).toThrow(/algo rad: SAC needs a 1-D Box or a Discrete action space; remote:tcp:\/\/127\.0\.0\.1:5555\/mine\/arm has Dict/);
  });

  it('refuses an observation space that is not a Box (a Dict of state arrays) as bad input', () => {
    const config = resolveConfig({ overrides: { env: 'remote:tcp://127.0.0.1:5555/dm_control/walker-walk' } });
    const observationSpace = new Dict({ position: new Box(-1, 1, [14], 'float32'), velocity: new Box(-1, 1, [9], 'float32') });
    const env = { observationSpace, actionSpace: new Box(-1, 1, [6], 'float32') } as unknown as Env;
    expect(() => makeAgent(config, env)).toThrow(InputError);
    expect(() => makeAgent(config, env)).toThrow(/walker-walk: expected a Box observation space, got Dict/);
  });

  describe('refuses observations other than the config says, as bad input', () => {
    const actionSpace = new Box(-1, 1, [1], 'float32');
    const envWith = (observationSpace: Box) => ({ observationSpace, actionSpace }) as unknown as Env;
    const remote = 'remote:tcp://127.0.0.1:5555/dmc:cartpole-swingup';

    it('frames of another size than render_size (a server rendering its own size)', () => {
      const config = resolveConfig({ preset: 'quick', overrides: { env: remote } });
      const env = envWith(new Box(0, 255, [84, 84, 9], 'uint8'));
      expect(() => makeAgent(config, env)).toThrow(InputError);
      expect(() => makeAgent(config, env)).toThrow(
        `${remote}: its frames are 84x84 but render_size is 64; have the env render 64x64 (rad serve --render-size 64, or the server env's own size option), or set render_size: 84`,
      );
    });

    it('no render_size fits frames that are not square', () => {
      const config = resolveConfig({ preset: 'quick', overrides: { env: remote } });
      expect(() => makeAgent(config, envWith(new Box(0, 255, [64, 96, 3], 'uint8')))).toThrow(/its frames are 64x96 but render_size is 64; have the env render 64x64 \([^)]*\)$/);
    });

    it('from pixels, a state vector; from states, frames', () => {
      const pixels = resolveConfig({ overrides: { env: remote } });
      expect(() => makeAgent(pixels, envWith(new Box(-1, 1, [5], 'float32')))).toThrow(/from pixels expects uint8 frames \[height, width, channels\], got float32 observations of shape \[5\]/);
      const states = resolveConfig({ preset: 'sac-state', overrides: { env: remote } });
      expect(() => makeAgent(states, envWith(new Box(0, 255, [84, 84, 3], 'uint8')))).toThrow(/from states expects a state vector \(rank 1\), got observations of shape \[84,84,3\]/);
    });

    it('frames of render_size pass', () => {
      const config = resolveConfig({ preset: 'quick', overrides: { env: remote, num_filters: 2, hidden_dim: 4, feature_dim: 4 } });
      const agent = makeAgent(config, envWith(new Box(0, 255, [64, 64, 9], 'uint8')));
      agent.dispose();
    });
  });

  it("builds the config's auxiliary losses, each with its weight, and saves their parameters", () => {
    const config = resolveConfig({
      preset: 'curl',
      overrides: { env: 'remote:tcp://127.0.0.1:5555/dmc:cartpole-swingup', aux: 'rotation-forward', curl_weight: 0.5, rotation_weight: 0.01, forward_weight: 2, num_filters: 2, hidden_dim: 4, feature_dim: 4 },
    });
    const env = { observationSpace: new Box(0, 255, [100, 100, 9], 'uint8'), actionSpace: new Box(-1, 1, [1], 'float32') } as unknown as Env;
    const losses = auxiliaryLosses(config, new Box(-1, 1, [1], 'float32'));
    expect(losses.map((loss) => [loss.name, loss.weight])).toEqual([['curl', 0.5], ['rotation', 0.01], ['forward', 2]]);
    for (const loss of losses) loss.dispose();
    const agent = makeAgent(config, env);
    const prefixes = new Set(Object.keys(agent.getState()).filter((key) => key.startsWith('aux/')).map((key) => key.split('/')[1]));
    expect([...prefixes]).toEqual(['curl', 'rotation', 'forward']);
    agent.dispose();
  });
});
