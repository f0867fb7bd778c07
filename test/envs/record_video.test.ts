import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Box, Discrete, type Env, type ResetResult, type StepResult } from '../../envs/core.ts';
import { RecordVideo, cappedCubicSchedule } from '../../envs/wrappers/record_video.ts';
import { gifFrames } from '../common/gif.ts';
import { CounterEnv } from './counter_env.ts';

async function runEpisodes(env: Env<unknown, number>, episodes: number): Promise<void> {
  for (let episode = 0; episode < episodes; episode++) {
    await env.reset();
    for (;;) {
      const { terminated, truncated } = await env.step(0);
      if (terminated || truncated) break;
    }
  }
}

const gif = (path: string) => gifFrames(new Uint8Array(readFileSync(path)));

describe('RecordVideo', () => {
  it("records Gymnasium's capped cubic schedule by default: the reset frame and one per step", async () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'rad-record-')), 'videos');
    const env = new RecordVideo(new CounterEnv(3), { folder, fps: 20 });
    await runEpisodes(env, 9);
    await env.close();
    expect(readdirSync(folder).sort()).toEqual(['rl-video-episode-0.gif', 'rl-video-episode-1.gif', 'rl-video-episode-8.gif']);
    expect(gif(env.videoPath(8))).toEqual({ width: 2, height: 2, count: 4, delay: 5 });
    expect([0, 1, 8, 27, 64, 125, 216, 343, 512, 729, 1000, 2000].every(cappedCubicSchedule)).toBe(true);
    expect([2, 7, 9, 26, 28, 999, 1001, 1500].some(cappedCubicSchedule)).toBe(false);
  });

  it('writes an unfinished episode on reset or close, cut at maxFrames', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'rad-record-'));
    const inner = new CounterEnv(100);
    const env = new RecordVideo(inner, { folder, episodeTrigger: () => true, namePrefix: 'walk', maxFrames: 5 });
    await env.reset();
    for (let i = 0; i < 9; i++) await env.step(1);
    await env.reset(); // episode 0 ends unfinished: written, 5 of its 10 frames
    await env.step(1);
    expect(gif(join(folder, 'walk-episode-0.gif')).count).toBe(5);
    expect(existsSync(join(folder, 'walk-episode-1.gif'))).toBe(false);
    await env.close();
    expect(gif(join(folder, 'walk-episode-1.gif')).count).toBe(2);
    expect(inner.closed).toBe(true);
  });

  it('refuses an env that cannot render and bad options, naming them', () => {
    class Blind implements Env<number, number> {
      observationSpace = new Box(0, 1, [1]);
      actionSpace = new Discrete(2);
      metadata = {};
      async reset(): Promise<ResetResult<number>> {
        return { obs: 0, info: {} };
      }
      async step(): Promise<StepResult<number>> {
        return { obs: 0, reward: 0, terminated: true, truncated: false, info: {} };
      }
      async close(): Promise<void> {}
    }
    const folder = mkdtempSync(join(tmpdir(), 'rad-record-'));
    expect(() => new RecordVideo(new Blind(), { folder })).toThrow(/Blind cannot render/);
    expect(() => new RecordVideo(new CounterEnv(), { folder, format: 'avi' as 'gif' })).toThrow(/format must be "gif" or "mp4", got "avi"/);
    expect(() => new RecordVideo(new CounterEnv(), { folder, fps: 0 })).toThrow(/fps must be a positive number, got 0/);
    expect(() => new RecordVideo(new CounterEnv(), { folder, maxFrames: 1.5 })).toThrow(/maxFrames must be a positive integer, got 1.5/);
    expect(() => new RecordVideo(new CounterEnv(), { folder, namePrefix: '../x' })).toThrow(/namePrefix must be/);
    expect(() => new RecordVideo(new CounterEnv(), { folder: '' })).toThrow(/folder must be a non-empty path/);
  });
});
