import { describe, expect, it } from 'vitest';
import { InputError } from '../../common/errors.ts';
import type { Box, Env } from '../../envs/core.ts';
import { checkEnv, makeEnv, registerEnvFamily, resolveEnvOptions } from '../../envs/registry.ts';
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

  it('checks an env id and its options without contacting a server (checkEnv)', async () => {
    await expect(checkEnv('dmc:walker-walk', { renderSize: 84 })).resolves.toBeUndefined();
    await expect(checkEnv('counter:3')).resolves.toBeUndefined(); // a family without its own check
    await expect(checkEnv('dmc:walker-walk', { camera: 1 })).resolves.toBeUndefined();
    await expect(checkEnv('dmc:walker-walk', { appearance: 'color_hard' })).resolves.toBeUndefined();
    await expect(checkEnv('remote:tcp://127.0.0.1:5555/x', { camera: 0 })).resolves.toBeUndefined();
    // A remote id is checked as an address; no server is contacted (none listens here).
    await expect(checkEnv('remote:tcp://127.0.0.1:5555/gymnasium/CartPole-v1')).resolves.toBeUndefined();
    const bad: [string, Parameters<typeof checkEnv>[1], string][] = [
      ['dmc:walker-wlak', {}, 'unknown DeepMind Control task "walker-wlak": expected one of'],
      ['remote:tcp://127.0.0.1:99999/gymnasium/X', {}, 'endpoint "tcp://127.0.0.1:99999": a tcp endpoint needs a port from 0 to 65535'],
      ['remote:udp://host/x', {}, 'expected tcp://host:port/<env id> or ipc:///path.sock/<env id>'],
      ['nope:thing', {}, 'unknown env id "nope:thing"'],
      ['dmc:walker-walk', { frameStack: 0 }, 'frameStack must be a positive integer, got 0'],
      ['remote:tcp://127.0.0.1:5555/x', { appearance: 'color_hard' }, 'appearance "color_hard" is drawn by dmc: envs only'],
      // The server renders: a camera asked of the run would be ignored, and the run's config would not say what it saw.
      ['remote:tcp://127.0.0.1:5555/dm_control/walker-walk', { camera: 2 }, 'camera 2 is chosen by dmc: envs only; "remote:" envs render their own view'],
      ['counter:3', { camera: 'side' }, 'camera "side" is chosen by dmc: envs only'],
      // A camera the model lacks: refused when the env is made (before its first frame), so also here.
      ['dmc:walker-walk', { camera: 7 }, 'camera must be -1 (free camera) or an index in [0, 1], or a camera name; got 7'],
      ['dmc:walker-walk', { appearance: 'video_hardd' }, 'appearance must be one of default, color_easy, color_hard, video_easy, video_hard, got "video_hardd"'],
    ];
    for (const [id, options, message] of bad) {
      const error = await checkEnv(id, options).catch((caught: unknown) => caught);
      expect(error, id).toBeInstanceOf(InputError);
      expect((error as Error).message, id).toContain(message);
    }
    // Making it fails too, at once: a run stops before its directory is made, not at its first frame.
    await expect(makeEnv('dmc:walker-walk', { camera: 7 })).rejects.toThrow(InputError);
  });
});
