import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { zeros } from '../../common/ndarray.ts';
import { writePng } from '../../common/png.ts';
import { Random } from '../../common/random.ts';
import { folderBackgrounds, proceduralBackgrounds } from '../../augment/backgrounds.ts';
import { overlay } from '../../augment/overlay.ts';
import { randomBatch, sameBytes } from './helpers.ts';

const folder = mkdtempSync(join(tmpdir(), 'rad-overlay-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('procedural backgrounds', () => {
  it('are a pure function of the seed, varied, and not flat', () => {
    const bank = proceduralBackgrounds(8, 24, 32, 5);
    expect(bank.shape).toEqual([8, 24, 32, 3]);
    expect(sameBytes(bank.data, proceduralBackgrounds(8, 24, 32, 5).data)).toBe(true);
    expect(sameBytes(bank.data, proceduralBackgrounds(8, 24, 32, 6).data)).toBe(false);
    const size = 24 * 32 * 3;
    const images = Array.from({ length: 8 }, (_, n) => bank.data.subarray(n * size, (n + 1) * size));
    for (const image of images) expect(new Set(image).size).toBeGreaterThan(1);
    expect(new Set(images.map((image) => Buffer.from(image).toString('base64'))).size).toBe(8);
  });
});

describe('overlay (DMControl-GB)', () => {
  it('blends each sample with one bank image at alpha, the same image for all its frames', () => {
    const input = randomBatch([6, 10, 10, 9]);
    const bank = proceduralBackgrounds(4, 10, 10, 0);
    const output = overlay(input, new Random(1), { count: 4 });
    const used = new Set<number>();
    for (let n = 0; n < 6; n++) {
      const matches = [0, 1, 2, 3].filter((b) => {
        for (let pixel = 0; pixel < 100; pixel++) {
          for (let c = 0; c < 9; c++) {
            const at = (n * 100 + pixel) * 9 + c;
            const expected = Math.round(0.5 * input.data[at] + 0.5 * bank.data[(b * 100 + pixel) * 3 + (c % 3)]);
            if (output.data[at] !== expected) return false;
          }
        }
        return true;
      });
      expect(matches).toHaveLength(1);
      used.add(matches[0]);
    }
    expect(used.size).toBeGreaterThan(1);
    expect(overlay(input, new Random(1), { alpha: 0 }).data).toEqual(input.data);
    expect(() => overlay(input, new Random(1), { alpha: 2 })).toThrow(/overlay: parameter alpha=2.*\[0, 1\]/);
  });

  it('takes a folder of PNG images, resized to the frame', () => {
    const images = join(folder, 'backgrounds');
    mkdirSync(images);
    const red = zeros('uint8', [20, 30, 3]);
    for (let i = 0; i < red.data.length; i += 3) red.data[i] = 200;
    writePng(join(images, 'a.png'), red);
    const bank = folderBackgrounds(images, 8, 8);
    expect(bank.shape).toEqual([1, 8, 8, 3]);
    expect([...bank.data.subarray(0, 3)]).toEqual([200, 0, 0]);
    const input = zeros('uint8', [2, 8, 8, 3]);
    const output = overlay(input, new Random(2), { backgrounds: images });
    expect([...output.data.subarray(0, 6)]).toEqual([100, 0, 0, 100, 0, 0]);
    mkdirSync(join(folder, 'empty'));
    expect(() => overlay(input, new Random(2), { backgrounds: join(folder, 'empty') })).toThrow(/holds no \.png file/);
    expect(() => overlay(input, new Random(2), { backgrounds: join(folder, 'missing') })).toThrow(/not a readable folder.*'procedural' or a folder/);
  });
});
