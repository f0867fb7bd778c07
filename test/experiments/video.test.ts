import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { zeros, type NdArray } from '../../common/ndarray.ts';
import { findOnPath, writeVideo } from '../../common/video.ts';
import { gifFrames } from '../common/gif.ts';

function frames(count: number, height = 12, width = 10): NdArray<'uint8'>[] {
  return Array.from({ length: count }, (_, n) => {
    const frame = zeros('uint8', [height, width, 3]);
    for (let i = 0; i < height * width; i++) frame.data[i * 3 + (n % 3)] = (i * 13 + n * 40) % 256;
    return frame;
  });
}

describe('videos', () => {
  it('writes a GIF with every frame at the requested rate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rad-video-'));
    await writeVideo(join(dir, 'episode.gif'), frames(7), 20);
    const bytes = new Uint8Array(readFileSync(join(dir, 'episode.gif')));
    expect(new TextDecoder().decode(bytes.subarray(0, 6))).toBe('GIF89a');
    expect(gifFrames(bytes)).toEqual({ width: 10, height: 12, count: 7, delay: 5 });
    expect(readdirSync(dir)).toEqual(['episode.gif']); // no temporary file left
  });

  it('rejects bad frames, rates and extensions with a clear error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rad-video-'));
    await expect(writeVideo(join(dir, 'a.gif'), [], 10)).rejects.toThrow(/non-empty array/);
    await expect(writeVideo(join(dir, 'a.gif'), [...frames(1), ...frames(1, 8, 8)], 10)).rejects.toThrow(/frame 1 is uint8 \[8,8,3\], expected uint8 \[12, 10, 3\]/);
    await expect(writeVideo(join(dir, 'a.gif'), frames(2), 0)).rejects.toThrow(/fps must be/);
    await expect(writeVideo(join(dir, 'a.avi'), frames(2), 10)).rejects.toThrow(/unknown extension ".avi"; expected .gif or .mp4/);
    expect(existsSync(join(dir, 'a.gif'))).toBe(false);
  });

  it('MP4 goes through ffmpeg on PATH, and says so when there is none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rad-video-'));
    const path = process.env.PATH;
    try {
      process.env.PATH = dir; // an empty folder: no ffmpeg
      await expect(writeVideo(join(dir, 'a.mp4'), frames(2), 10)).rejects.toThrow(/MP4 needs ffmpeg on PATH and none was found/);
    } finally {
      process.env.PATH = path;
    }
    if (findOnPath('ffmpeg')) {
      await writeVideo(join(dir, 'b.mp4'), frames(5, 11, 13), 10);
      const bytes = readFileSync(join(dir, 'b.mp4'));
      expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
    }
  });
});
