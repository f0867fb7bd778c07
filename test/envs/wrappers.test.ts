import { describe, expect, it } from 'vitest';
import { CounterEnv } from './counter_env.ts';
import { ActionRepeat } from '../../envs/wrappers/action_repeat.ts';
import { EpisodeStatistics } from '../../envs/wrappers/episode_statistics.ts';
import { FrameStack } from '../../envs/wrappers/frame_stack.ts';
import { PixelObservation } from '../../envs/wrappers/pixel_observation.ts';
import { TimeLimit } from '../../envs/wrappers/time_limit.ts';

describe('wrappers', () => {
  it('ActionRepeat sums rewards and stops at the end of an episode', async () => {
    const env = new ActionRepeat(new CounterEnv(5), 3);
    await env.reset();
    const first = await env.step(1);
    expect(first.reward).toBe(6);
    expect(first.obs.data[0]).toBe(3);
    const second = await env.step(0);
    expect(second.reward).toBe(2);
    expect(second.terminated).toBe(true);
    expect(second.info.env_steps).toBe(2);
    expect(() => new ActionRepeat(new CounterEnv(), 0)).toThrow(/positive integer, got 0/);
  });

  it('FrameStack interleaves k frames along channels, oldest first, and fills at reset', async () => {
    const env = new FrameStack(new CounterEnv(), 3);
    expect(env.observationSpace.shape).toEqual([2, 2, 9]);
    const reset = await env.reset();
    expect(Array.from(reset.obs.data.slice(0, 9))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
    await env.step(0);
    const { obs } = await env.step(0);
    expect(obs.shape).toEqual([2, 2, 9]);
    for (let p = 0; p < 4; p++) expect(Array.from(obs.data.slice(p * 9, p * 9 + 9))).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
  });

  it('TimeLimit truncates, EpisodeStatistics records return and length', async () => {
    const env = new EpisodeStatistics(new TimeLimit(new CounterEnv(), 4));
    await env.reset();
    let result;
    for (let i = 0; i < 4; i++) result = await env.step(1);
    expect(result!.truncated).toBe(true);
    expect(result!.terminated).toBe(false);
    expect(result!.info.episode).toMatchObject({ r: 8, l: 4 });
  });

  it('PixelObservation checks the rendered size and keeps the state in info', async () => {
    const env = new PixelObservation(new CounterEnv(), { height: 2, width: 2 });
    const { obs, info } = await env.reset();
    expect(obs.shape).toEqual([2, 2, 3]);
    expect(info.state).toBeDefined();
    const wrong = new PixelObservation(new CounterEnv(), { height: 3, width: 2 });
    await expect(wrong.reset()).rejects.toThrow(/rendered \[2,2,3\], expected \[3,2,3\]/);
  });
});
