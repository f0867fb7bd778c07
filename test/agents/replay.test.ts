import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NdArray } from '../../common/ndarray.ts';
import { Random } from '../../common/random.ts';
import { ReplayBuffer } from '../../agents/replay.ts';
import { InputError } from '../../common/errors.ts';

const directory = mkdtempSync(join(tmpdir(), 'rad-replay-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** A [2, 2, 1] frame whose every pixel is `value`, so a stacked obs shows which frames it holds. */
const frame = (value: number): NdArray<'uint8'> => ({ dtype: 'uint8', shape: [2, 2, 1], data: new Uint8Array(4).fill(value) });

/** The frame values of one stacked obs [2, 2, k] (pixel 0's channels, oldest first). */
function frameValues(batch: NdArray, index: number, k: number): number[] {
  const size = 4 * k;
  return Array.from(batch.data.subarray(index * size, index * size + k) as Uint8Array);
}

describe('ReplayBuffer', () => {
  it('stacks frames by index, repeating an episode first frame, and pairs obs with next obs', () => {
    const replay = new ReplayBuffer({ capacity: 100, frameShape: [2, 2, 1], frameStack: 3, actionSize: 1 });
    replay.addFirst(frame(10));
    for (let t = 1; t <= 4; t++) replay.add([t], t / 10, frame(10 + t), false, t === 4);
    const batch = replay.sample(64, new Random(1));
    const seen = new Set<number>();
    for (let n = 0; n < 64; n++) {
      const action = batch.actions.data[n];
      seen.add(action);
      // Transition t leads from frame 10+t-1 to frame 10+t; the stack repeats frame 10 at the start.
      const expectedNext = [action - 2, action - 1, action].map((t) => 10 + Math.max(0, t));
      const expectedObs = [action - 3, action - 2, action - 1].map((t) => 10 + Math.max(0, t));
      expect(frameValues(batch.nextObs, n, 3)).toEqual(expectedNext);
      expect(frameValues(batch.obs, n, 3)).toEqual(expectedObs);
      expect(batch.rewards[n]).toBeCloseTo(action / 10, 6);
      // The last transition was truncated, not terminated: it still bootstraps.
      expect(batch.notDone[n]).toBe(1);
    }
    expect([...seen].sort()).toEqual([1, 2, 3, 4]);
  });

  it('interleaves RGB frames oldest first on the channel axis, as a frame stack does', () => {
    const replay = new ReplayBuffer({ capacity: 10, frameShape: [2, 2, 3], frameStack: 2, actionSize: 1 });
    // Frame value = 100 * frame + 10 * pixel + channel.
    const rgb = (index: number): NdArray<'uint8'> => ({ dtype: 'uint8', shape: [2, 2, 3], data: Uint8Array.from({ length: 12 }, (_, i) => 100 * index + 10 * Math.floor(i / 3) + (i % 3)) });
    replay.addFirst(rgb(0));
    replay.add([0], 0, rgb(1), false, false);
    const { obs, nextObs } = replay.sample(1, new Random(7));
    const expected = (older: number, newer: number) => [0, 1, 2, 3].flatMap((pixel) => [older, newer].flatMap((f) => [0, 1, 2].map((c) => 100 * f + 10 * pixel + c)));
    expect(obs.shape).toEqual([1, 2, 2, 6]);
    expect(Array.from(obs.data)).toEqual(expected(0, 0));
    expect(Array.from(nextObs.data)).toEqual(expected(0, 1));
  });

  it('marks terminated transitions notDone = 0 and keeps episodes apart', () => {
    const replay = new ReplayBuffer({ capacity: 100, frameShape: [2, 2, 1], frameStack: 2, actionSize: 1 });
    replay.addFirst(frame(1));
    replay.add([1], 0, frame(2), true, false);
    replay.addFirst(frame(50));
    replay.add([2], 0, frame(51), false, false);
    const batch = replay.sample(32, new Random(2));
    for (let n = 0; n < 32; n++) {
      const action = batch.actions.data[n];
      expect(batch.notDone[n]).toBe(action === 1 ? 0 : 1);
      // The second episode's first obs repeats frame 50; nothing of episode 1 leaks in.
      expect(frameValues(batch.obs, n, 2)).toEqual(action === 1 ? [1, 1] : [50, 50]);
      expect(frameValues(batch.nextObs, n, 2)).toEqual(action === 1 ? [1, 2] : [50, 51]);
    }
  });

  it('accepts the frame-stacked observation and stores only its newest frame', () => {
    const replay = new ReplayBuffer({ capacity: 10, frameShape: [2, 2, 1], frameStack: 2, actionSize: 1 });
    const stacked = (old: number, recent: number): NdArray<'uint8'> => ({ dtype: 'uint8', shape: [2, 2, 2], data: Uint8Array.from([old, recent, old, recent, old, recent, old, recent]) });
    replay.addFirst(stacked(7, 7));
    replay.add([0], 0, stacked(7, 8), false, false);
    const batch = replay.sample(1, new Random(3));
    expect(frameValues(batch.nextObs, 0, 2)).toEqual([7, 8]);
  });

  it('forgets the oldest frames at capacity and never samples a transition whose history is gone', () => {
    const replay = new ReplayBuffer({ capacity: 6, frameShape: [2, 2, 1], frameStack: 3, actionSize: 1 });
    replay.addFirst(frame(0));
    for (let t = 1; t <= 20; t++) replay.add([t], 0, frame(t), false, false);
    // Frames 15..20 are stored; transition t needs frames t-3..t, so t >= 18 are sampleable.
    const batch = replay.sample(200, new Random(4));
    const actions = new Set(batch.actions.data);
    expect([...actions].sort((a, b) => a - b)).toEqual([18, 19, 20]);
    expect(replay.size).toBe(6);
  });

  it('stores each frame once: bytes per transition within 1.05x one frame, 100k 100x100x3 under 3.5 GB', () => {
    const options = { capacity: 2000, frameShape: [100, 100, 3], frameStack: 3, actionSize: 6 };
    const replay = new ReplayBuffer(options);
    const pixels: NdArray<'uint8'> = { dtype: 'uint8', shape: [100, 100, 3], data: new Uint8Array(30000) };
    // Episodes of 500 agent steps (1000 env steps at action repeat 2, as on DMC).
    for (let t = 0; t < 2000; t++) {
      if (t % 501 === 0) replay.addFirst(pixels);
      else replay.add(new Float32Array(6), 0, pixels, false, (t % 501) === 500);
    }
    const perTransition = replay.bytes / replay.size;
    expect(perTransition).toBeLessThanOrEqual(1.05 * 30000);
    expect(replay.bytes).toBe(ReplayBuffer.bytesAtCapacity(options));
    expect(ReplayBuffer.bytesAtCapacity({ ...options, capacity: 100_000 })).toBeLessThanOrEqual(3.5e9);
  });

  it('saves and loads: the loaded buffer samples the same batches and continues episodes', () => {
    const replay = new ReplayBuffer({ capacity: 50, frameShape: [3, 3, 2], frameStack: 2, actionSize: 2 });
    const rng = new Random(5);
    const randomFrame = (): NdArray<'uint8'> => ({ dtype: 'uint8', shape: [3, 3, 2], data: Uint8Array.from({ length: 18 }, () => rng.int(256)) });
    replay.addFirst(randomFrame());
    for (let t = 0; t < 70; t++) {
      const terminated = t % 17 === 16;
      replay.add([rng.uniform(), rng.uniform()], rng.uniform(), randomFrame(), terminated, false);
      if (terminated) replay.addFirst(randomFrame());
    }
    const path = join(directory, 'replay.bin');
    replay.save(path);
    const loaded = ReplayBuffer.load(path);
    expect(loaded.size).toBe(replay.size);
    expect(loaded.sample(16, new Random(9))).toEqual(replay.sample(16, new Random(9)));
    // The open episode continues after loading.
    const next = randomFrame();
    replay.add([0, 0], 1, next, false, false);
    loaded.add([0, 0], 1, next, false, false);
    expect(loaded.sample(16, new Random(10))).toEqual(replay.sample(16, new Random(10)));
  });

  it('refuses a file that is not a replay buffer, of another version, truncated or with a damaged header (an InputError: rad exits with 2)', () => {
    const replay = new ReplayBuffer({ capacity: 10, frameShape: [2, 2, 1], actionSize: 1 });
    replay.addFirst(frame(1));
    replay.add([0], 0, frame(2), false, false);
    const good = join(directory, 'good.bin');
    replay.save(good);
    const bytes = readFileSync(good);
    const other = join(directory, 'other.bin');
    writeFileSync(other, 'hello world, not a buffer');
    expect(() => ReplayBuffer.load(other)).toThrow(/not a replay buffer file/);
    const future = Buffer.from(bytes);
    future.writeUInt32LE(99, 'RAD-REPLAY'.length);
    writeFileSync(other, future);
    expect(() => ReplayBuffer.load(other)).toThrow(/format version 99; this code reads version 1/);
    writeFileSync(other, bytes.subarray(0, bytes.length - 3));
    expect(() => ReplayBuffer.load(other)).toThrow(/ends early/);
    expect(() => ReplayBuffer.load(join(directory, 'missing.bin'))).toThrow(/no file at/);
    const damaged = Buffer.from(bytes);
    damaged[damaged.indexOf('{')] = 0x21; // the JSON header's first brace
    writeFileSync(other, damaged);
    expect(() => ReplayBuffer.load(other)).toThrow(/other\.bin has a header that is not valid JSON \(.*\); the file is damaged/);
    for (const path of [other, join(directory, 'missing.bin')]) expect(() => ReplayBuffer.load(path)).toThrow(InputError);
  });

  it('holds float state observations', () => {
    const replay = new ReplayBuffer({ capacity: 20, frameShape: [3], frameDtype: 'float32', actionSize: 1 });
    replay.addFirst({ dtype: 'float32', shape: [3], data: Float32Array.of(0.5, -1, 2) });
    replay.add([1], 1, { dtype: 'float32', shape: [3], data: Float32Array.of(1.5, -2, 3) }, false, false);
    const batch = replay.sample(2, new Random(6));
    expect(batch.obs.dtype).toBe('float32');
    expect(Array.from(batch.obs.data.subarray(0, 3))).toEqual([0.5, -1, 2]);
    expect(Array.from(batch.nextObs.data.subarray(0, 3))).toEqual([1.5, -2, 3]);
  });

  it('samples n-step windows that follow each episode forward and end where it terminates, is truncated or has not gone on yet', () => {
    // Two streams, interleaved. A frame is its id; the reward of a step is the id of the frame it led to; the action is the id it started from.
    const episodes = [
      { stream: 0, frames: [1, 2, 3, 4, 5, 6], end: 'terminated' },
      { stream: 1, frames: [101, 102, 103, 104], end: 'truncated' },
      { stream: 0, frames: [11, 12, 13], end: 'open' },
      { stream: 1, frames: [111, 112], end: 'open' },
    ] as const;
    const replay = new ReplayBuffer({ capacity: 64, frameShape: [1], frameDtype: 'float32', actionSize: 1 });
    const state = (id: number): NdArray<'float32'> => ({ dtype: 'float32', shape: [1], data: Float32Array.of(id) });
    for (const pair of [[0, 1], [2, 3]]) {
      const [a, b] = pair.map((i) => episodes[i]);
      replay.addFirst(state(a.frames[0]), a.stream);
      replay.addFirst(state(b.frames[0]), b.stream);
      for (let t = 1; t < Math.max(a.frames.length, b.frames.length); t++) {
        for (const episode of [a, b]) {
          if (t >= episode.frames.length) continue;
          const last = t === episode.frames.length - 1;
          replay.add([episode.frames[t - 1]], episode.frames[t], state(episode.frames[t]), last && episode.end === 'terminated', last && episode.end === 'truncated', episode.stream);
        }
      }
    }
    const gamma = 0.5;
    const n = 3;
    const batch = replay.sample(400, new Random(11), { steps: n, gamma });
    const starts = new Set<number>();
    for (let i = 0; i < 400; i++) {
      const start = batch.obs.data[i];
      expect(batch.actions.data[i]).toBe(start);
      const episode = episodes.find((e) => (e.frames as readonly number[]).includes(start))!;
      const from = episode.frames.indexOf(start as never);
      const to = Math.min(from + n, episode.frames.length - 1);
      const window = episode.frames.slice(from + 1, to + 1);
      expect(batch.steps![i]).toBe(window.length);
      expect(batch.nextObs.data[i]).toBe(episode.frames[to]);
      expect(batch.rewards[i]).toBeCloseTo(window.reduce((sum, id, k) => sum + gamma ** k * id, 0), 4);
      expect(batch.notDone[i]).toBe(episode.end === 'terminated' && to === episode.frames.length - 1 ? 0 : 1);
      starts.add(start);
    }
    // Every transition starts windows: 5 + 3 + 2 + 1.
    expect(starts.size).toBe(11);
    // The links forward are rebuilt on load: the loaded buffer draws the same windows.
    const path = join(directory, 'n-step.bin');
    replay.save(path);
    expect(ReplayBuffer.load(path).sample(64, new Random(12), { steps: n, gamma })).toEqual(replay.sample(64, new Random(12), { steps: n, gamma }));
  });

  it('gives the one-step batch for n = 1, and windows within the ring once it wraps', () => {
    const replay = new ReplayBuffer({ capacity: 8, frameShape: [1], frameDtype: 'float32', actionSize: 1 });
    const state = (id: number): NdArray<'float32'> => ({ dtype: 'float32', shape: [1], data: Float32Array.of(id) });
    replay.addFirst(state(0));
    for (let t = 1; t <= 30; t++) replay.add([t - 1], 1, state(t), false, false);
    const { steps, ...oneStep } = replay.sample(32, new Random(13), { steps: 1, gamma: 0.9 });
    expect(oneStep).toEqual(replay.sample(32, new Random(13)));
    expect([...steps!]).toEqual(new Array(32).fill(1));
    const batch = replay.sample(200, new Random(14), { steps: 4, gamma: 0.9 });
    for (let i = 0; i < 200; i++) {
      const start = batch.obs.data[i];
      // Frames 23..30 are stored: windows start at 23 or later and end at 30 at the latest.
      expect(start).toBeGreaterThanOrEqual(23);
      expect(batch.steps![i]).toBe(Math.min(4, 30 - start));
      expect(batch.nextObs.data[i]).toBe(start + batch.steps![i]);
      expect(batch.rewards[i]).toBeCloseTo((1 - 0.9 ** batch.steps![i]) / (1 - 0.9), 5);
    }
  });

  it('rejects bad input with a message naming it', () => {
    expect(() => new ReplayBuffer({ capacity: 0, frameShape: [2], actionSize: 1 })).toThrow(/capacity must be an integer >= 2, got 0/);
    const replay = new ReplayBuffer({ capacity: 10, frameShape: [2, 2, 1], frameStack: 2, actionSize: 2 });
    expect(() => replay.add([0, 0], 0, frame(1), false, false)).toThrow(/no open episode; call addFirst/);
    expect(() => replay.addFirst({ dtype: 'uint8', shape: [3, 2, 1], data: new Uint8Array(6) })).toThrow(/frame shape must be \[2,2,1\] \(one frame\) or \[2,2,2\] \(stacked\), got \[3,2,1\]/);
    expect(() => replay.addFirst({ dtype: 'float32', shape: [2, 2, 1], data: new Float32Array(4) })).toThrow(/dtype must be uint8, got float32/);
    replay.addFirst(frame(1));
    expect(() => replay.add([0], 0, frame(1), false, false)).toThrow(/action has 1 values, expected actionSize 2/);
    expect(() => replay.add([0, NaN], 0, frame(1), false, false)).toThrow(/action\[1\] = NaN/);
    expect(() => replay.sample(4, new Random(1))).toThrow(/holds no transitions yet/);
    replay.add([0, 0], 0, frame(2), true, false);
    expect(() => replay.add([0, 0], 0, frame(3), false, false)).toThrow(/no open episode/);
    expect(() => replay.sample(0, new Random(1))).toThrow(/batchSize must be a positive integer, got 0/);
    expect(() => replay.sample(1, new Random(1), { steps: 0, gamma: 0.99 })).toThrow(/returns\.steps must be a positive integer, got 0/);
    expect(() => replay.sample(1, new Random(1), { steps: 3, gamma: 1.5 })).toThrow(/returns\.gamma must be a number in \[0, 1\], got 1\.5/);
  });
});
