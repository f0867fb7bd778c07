import { describe, expect, it } from 'vitest';
import { InputError } from '../../common/errors.ts';
import type { Box, Env } from '../../envs/core.ts';
import { makeEnv, registerEnvFamily, resolveEnvOptions } from '../../envs/registry.ts';
import { CounterEnv } from './counter_env.ts';

describe('registry', () => {
  registerEnvFamily('counter', {
    description: 'test counter env',
    make: async (name) => new CounterEnv(Number(name)) as Env,
    defaultActionRepeat: () => 2,
  });

  it('builds the standard wrapper stack', async () => {
    const env = await makeEnv('counter:10', { renderSize: 2 });
    expect((env.observationSpace as Box).shape).toEqual([2, 2, 9]);
    await env.reset();
    const step = await env.step(0);
    expect(step.reward).toBe(2);
    await env.close();
  });

  it('rejects unknown families and bad options with what was expected', async () => {
    await expect(makeEnv('nope:thing')).rejects.toThrow(/unknown env id "nope:thing".*dmc/);
    expect(() => resolveEnvOptions('counter:3', { frameStack: 0 })).toThrow(/frameStack must be a positive integer, got 0/);
    expect(() => resolveEnvOptions('counter:3', { from: 'rgb' as 'pixels' })).toThrow(/'pixels' or 'states', got "rgb"/);
    expect(resolveEnvOptions('counter:3').actionRepeat).toBe(2);
  });

  it('throws InputError (exit code 2) for each bad option, naming it, the value got and what is expected', async () => {
    const cases: [Parameters<typeof resolveEnvOptions>[1], string][] = [
      [{ renderSize: 0 }, 'makeEnv: renderSize must be a positive integer, got 0'],
      [{ renderSize: 8.5 }, 'makeEnv: renderSize must be a positive integer, got 8.5'],
      [{ frameStack: -1 }, 'makeEnv: frameStack must be a positive integer, got -1'],
      [{ actionRepeat: '3' as unknown as number }, 'makeEnv: actionRepeat must be a positive integer, got "3"'],
      [{ from: 'rgb' as 'pixels' }, `makeEnv: from must be 'pixels' or 'states', got "rgb"`],
    ];
    for (const [options, message] of cases) {
      expect(() => resolveEnvOptions('counter:3', options)).toThrow(InputError);
      expect(() => resolveEnvOptions('counter:3', options)).toThrow(message);
      await expect(makeEnv('counter:3', options)).rejects.toThrow(InputError);
    }
    expect(() => resolveEnvOptions('nope:thing')).toThrow(InputError);
    expect(() => resolveEnvOptions('counter:')).toThrow(InputError);
    expect(() => resolveEnvOptions('counter:3', { appearance: 'color_hard' })).toThrow(InputError);
  });
});
