import { describe, expect, it } from 'vitest';
import { InputError } from '../../common/errors.ts';
import { Box, Dict, Discrete, type Env } from '../../envs/core.ts';
import { makeAgent } from '../../experiments/components.ts';
import { resolveConfig } from '../../experiments/config/presets.ts';

describe('makeAgent', () => {
  it('refuses an env with discrete actions as bad input (exit code 2), naming the env and its space', () => {
    const config = resolveConfig({ overrides: { env: 'remote:tcp://127.0.0.1:5555/procgen/coinrun' } });
    const env = { observationSpace: new Box(0, 255, [64, 64, 3], 'uint8'), actionSpace: new Discrete(15) } as unknown as Env;
    expect(() => makeAgent(config, env)).toThrow(InputError);
    expect(() => makeAgent(config, env)).toThrow(/algo rad: SAC needs a continuous \(Box\) action space; remote:tcp:\/\/127\.0\.0\.1:5555\/procgen\/coinrun has Discrete\(15/);
  });

  it('refuses an observation space that is not a Box (a Dict of state arrays) as bad input', () => {
    const config = resolveConfig({ overrides: { env: 'remote:tcp://127.0.0.1:5555/dm_control/walker-walk' } });
    const observationSpace = new Dict({ position: new Box(-1, 1, [14], 'float32'), velocity: new Box(-1, 1, [9], 'float32') });
    const env = { observationSpace, actionSpace: new Box(-1, 1, [6], 'float32') } as unknown as Env;
    expect(() => makeAgent(config, env)).toThrow(InputError);
    expect(() => makeAgent(config, env)).toThrow(/walker-walk: expected a Box observation space, got Dict/);
  });
});
