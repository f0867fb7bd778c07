import { describe, expect, it } from 'vitest';
import { zeros } from '../../common/ndarray.ts';
import { Random } from '../../common/random.ts';
import { crop, cutout, cutoutColor, flip, rotate, rotate90, rotateEach, shift, translate } from '../../augment/geometric.ts';
import { randomBatch, sameBytes, sample, windowMatches } from './helpers.ts';

/** All offsets (top, left) at which sample n of output is the window of input. */
function matchingOffsets(input: ReturnType<typeof randomBatch>, output: ReturnType<typeof randomBatch>, n: number, range: number[][]) {
  const found: [number, number][] = [];
  for (const top of range[0]) for (const left of range[1]) if (windowMatches(input, output, n, top, left)) found.push([top, left]);
  return found;
}

const span = (low: number, high: number) => Array.from({ length: high - low + 1 }, (_, i) => low + i);

describe('crop (RAD)', () => {
  it('equals the window of the input at one offset per sample, the same for every stacked frame', () => {
    const input = randomBatch([6, 20, 20, 9]);
    const output = crop(input, new Random(1), { size: 16 });
    expect(output.shape).toEqual([6, 16, 16, 9]);
    const offsets = [];
    for (let n = 0; n < 6; n++) {
      // Window matching compares all 9 channels: all three frames share the offset.
      const found = matchingOffsets(input, output, n, [span(0, 4), span(0, 4)]);
      expect(found).toHaveLength(1);
      offsets.push(found[0].join(','));
    }
    expect(new Set(offsets).size).toBeGreaterThan(1); // offsets are drawn per sample
  });

  it('reaches every offset, including the corners', () => {
    const input = randomBatch([300, 6, 6, 3]);
    const output = crop(input, new Random(2), { size: 4 });
    const seen = new Set<string>();
    for (let n = 0; n < 300; n++) seen.add(matchingOffsets(input, output, n, [span(0, 2), span(0, 2)])[0].join(','));
    expect(seen.size).toBe(9);
  });

  it('takes the centre window in evaluation', () => {
    const input = randomBatch([2, 100, 100, 3]);
    const output = crop(input, new Random(3), {}, { eval: true });
    expect(output.shape).toEqual([2, 84, 84, 3]);
    expect(windowMatches(input, output, 0, 8, 8)).toBe(true);
    expect(windowMatches(input, output, 1, 8, 8)).toBe(true);
  });

  it('writes into a given buffer with the same result, and rejects a wrong one', () => {
    const input = randomBatch([3, 12, 12, 6]);
    const out = zeros('uint8', [3, 8, 8, 6]);
    out.data.fill(99);
    expect(crop(input, new Random(4), { size: 8 }, { out }).data).toEqual(crop(input, new Random(4), { size: 8 }).data);
    expect(() => crop(input, new Random(4), { size: 8 }, { out: zeros('uint8', [3, 9, 9, 6]) })).toThrow(/out has shape \[3,9,9,6\].*\[3,8,8,6\]/);
    expect(() => crop(input, new Random(4), { size: 13 })).toThrow(/size=13.*12x12/);
  });
});

describe('translate (RAD)', () => {
  it('keeps every input pixel, at one offset in a black canvas', () => {
    const input = randomBatch([5, 10, 10, 6]);
    const output = translate(input, new Random(5), { size: 14 });
    expect(output.shape).toEqual([5, 14, 14, 6]);
    for (let n = 0; n < 5; n++) {
      let placed: [number, number] | null = null;
      for (const top of span(0, 4)) {
        for (const left of span(0, 4)) {
          const image = { dtype: 'uint8' as const, shape: [1, 10, 10, 6], data: new Uint8Array(600) };
          for (let y = 0; y < 10; y++) {
            const from = ((n * 14 + top + y) * 14 + left) * 6;
            image.data.set(output.data.subarray(from, from + 60), y * 60);
          }
          if (image.data.every((value, i) => value === sample(input, n)[i])) placed = [top, left];
        }
      }
      expect(placed).not.toBeNull();
      // Everything outside the placed image is black.
      const [top, left] = placed!;
      let outside = 0;
      for (let y = 0; y < 14; y++) {
        for (let x = 0; x < 14; x++) {
          if (y >= top && y < top + 10 && x >= left && x < left + 10) continue;
          for (let c = 0; c < 6; c++) outside += output.data[((n * 14 + y) * 14 + x) * 6 + c];
        }
      }
      expect(outside).toBe(0);
    }
  });

  it('writes the same canvas into a reused buffer as into a fresh one, for non-square images too', () => {
    const input = randomBatch([4, 7, 10, 3]);
    const out = zeros('uint8', [4, 12, 12, 3]);
    out.data.fill(200);
    translate(input, new Random(8), { size: 12 }, { out });
    expect(sameBytes(out.data, translate(input, new Random(8), { size: 12 }).data)).toBe(true);
  });

  it('centres the image in evaluation, and blackens a reused buffer', () => {
    const input = randomBatch([2, 100, 100, 3]);
    const out = zeros('uint8', [2, 108, 108, 3]);
    out.data.fill(200);
    const output = translate(input, new Random(6), {}, { eval: true, out });
    expect(sameBytes(output.data, translate(input, new Random(6), {}, { eval: true }).data)).toBe(true);
    expect(output.data[0]).toBe(0);
    expect(output.data[(4 * 108 + 4) * 3]).toBe(input.data[0]);
    expect(() => translate(input, new Random(6), { size: 90 })).toThrow(/size=90.*at least 100/);
  });
});

describe('shift (DrQ)', () => {
  it('equals the replicate-padded input at one shift in [-pad, pad] per sample', () => {
    const input = randomBatch([8, 12, 12, 6]);
    const output = shift(input, new Random(7), { pad: 2 });
    expect(output.shape).toEqual([8, 12, 12, 6]);
    const shifts = new Set<string>();
    for (let n = 0; n < 8; n++) {
      const found = matchingOffsets(input, output, n, [span(-2, 2), span(-2, 2)]);
      expect(found).toHaveLength(1);
      shifts.add(found[0].join(','));
    }
    expect(shifts.size).toBeGreaterThan(1);
  });

  it('reaches the extreme shifts and writes the same into a reused buffer', () => {
    const input = randomBatch([200, 5, 5, 3]);
    const out = zeros('uint8', [200, 5, 5, 3]);
    out.data.fill(7);
    const output = shift(input, new Random(8), { pad: 1 }, { out });
    expect(sameBytes(output.data, shift(input, new Random(8), { pad: 1 }).data)).toBe(true);
    const seen = new Set<string>();
    for (let n = 0; n < 200; n++) seen.add(matchingOffsets(input, output, n, [span(-1, 1), span(-1, 1)])[0].join(','));
    expect(seen.size).toBe(9);
    expect(shift(input, new Random(8), {}, { eval: true }).data).toEqual(input.data);
  });
});

describe('flip and rotate (RAD)', () => {
  it('flip mirrors a sample left to right, and twice gives it back', () => {
    const input = randomBatch([3, 4, 5, 6]);
    const once = flip(input, new Random(9), { p: 1 });
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 5; x++) {
        for (let c = 0; c < 6; c++) expect(once.data[((2 * 4 + y) * 5 + x) * 6 + c]).toBe(input.data[((2 * 4 + y) * 5 + (4 - x)) * 6 + c]);
      }
    }
    expect(flip(once, new Random(9), { p: 1 }).data).toEqual(input.data);
    expect(flip(input, new Random(9), { p: 0 }).data).toEqual(input.data);
  });

  it('flips about a fraction p of the samples', () => {
    const input = randomBatch([1000, 2, 2, 3]);
    const output = flip(input, new Random(10), { p: 0.2 });
    let flipped = 0;
    for (let n = 0; n < 1000; n++) if (sample(output, n).some((value, i) => value !== sample(input, n)[i])) flipped++;
    expect(flipped).toBeGreaterThan(160);
    expect(flipped).toBeLessThan(240);
  });

  it('rotate90 turns counter-clockwise, and four turns give back the input', () => {
    const image = { dtype: 'uint8' as const, shape: [1, 2, 2, 3], data: Uint8Array.from([1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]) };
    // [[1, 2], [3, 4]] turned counter-clockwise is [[2, 4], [1, 3]] (numpy's rot90).
    expect([...rotate90(image, 1).data].filter((_, i) => i % 3 === 0)).toEqual([2, 4, 1, 3]);
    const input = randomBatch([3, 7, 7, 9]);
    let turned = input;
    for (let k = 0; k < 4; k++) turned = rotate90(turned, 1);
    expect(turned.data).toEqual(input.data);
    expect(rotate90(rotate90(input, 1), 3).data).toEqual(input.data);
    expect(rotate90(input, 2).data).toEqual(rotate90(rotate90(input, 1), 1).data);
  });

  it('rotateEach turns each sample by its own count', () => {
    const input = randomBatch([4, 5, 5, 6]);
    const sample = (batch: { data: Uint8Array }, n: number) => batch.data.slice(n * 150, (n + 1) * 150);
    const turned = rotateEach(input, [0, 1, 2, -1]);
    for (const [n, k] of [[0, 0], [1, 1], [2, 2], [3, 3]]) expect(sample(turned, n)).toEqual(sample(rotate90(input, k), n));
    expect(() => rotateEach(input, [1, 2])).toThrow(/expected one turn count per sample \(4\), got 2/);
    expect(() => rotateEach(randomBatch([1, 4, 5, 3]), [1])).toThrow(/images must be square, got H=4, W=5/);
  });

  it('rotate gives each sample a 90, 180 or 270 degree turn with probability p', () => {
    const input = randomBatch([300, 4, 4, 3]);
    const output = rotate(input, new Random(11), { p: 0.3 });
    const turns = [0, 1, 2, 3].map((k) => rotate90(input, k));
    const counts = [0, 0, 0, 0];
    for (let n = 0; n < 300; n++) {
      const k = turns.findIndex((turned) => sample(turned, n).every((value, i) => value === sample(output, n)[i]));
      expect(k).toBeGreaterThanOrEqual(0);
      counts[k]++;
    }
    expect(counts[0]).toBeGreaterThan(180);
    expect(counts[0]).toBeLessThan(240);
    expect(Math.min(counts[1], counts[2], counts[3])).toBeGreaterThan(10);
    expect(() => rotate(randomBatch([1, 4, 5, 3]), new Random(1))).toThrow(/square.*H=4, W=5/);
  });
});

describe('cutout (RAD)', () => {
  function boxOf(output: ReturnType<typeof randomBatch>, n: number, isBox: (pixel: number) => boolean) {
    const [, height, width, channels] = output.shape;
    let [top, bottom, left, right, inside] = [height, -1, width, -1, 0];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (!isBox(((n * height + y) * width + x) * channels)) continue;
        inside++;
        [top, bottom, left, right] = [Math.min(top, y), Math.max(bottom, y), Math.min(left, x), Math.max(right, x)];
      }
    }
    return { height: bottom - top + 1, width: right - left + 1, inside };
  }

  it('blackens one box per sample, its sides in [min, max], in every frame', () => {
    const input = zeros('uint8', [50, 40, 40, 6]);
    input.data.fill(255);
    const output = cutout(input, new Random(12));
    const sides = new Set<number>();
    for (let n = 0; n < 50; n++) {
      const box = boxOf(output, n, (at) => output.data.subarray(at, at + 6).every((value) => value === 0));
      // Every changed pixel is black in all six channels, and they fill a rectangle.
      const changed = boxOf(output, n, (at) => output.data.subarray(at, at + 6).some((value) => value !== 255));
      expect(changed).toEqual(box);
      expect(box.inside).toBe(box.height * box.width);
      expect(box.height).toBeGreaterThanOrEqual(10);
      expect(box.height).toBeLessThanOrEqual(30);
      expect(box.width).toBeGreaterThanOrEqual(10);
      expect(box.width).toBeLessThanOrEqual(30);
      sides.add(box.height);
    }
    expect(sides.size).toBeGreaterThan(5);
  });

  it('cutout_color fills the box with one colour shared by the frames', () => {
    const input = zeros('uint8', [20, 16, 16, 9]);
    const output = cutoutColor(input, new Random(13), { min: 3, max: 6 });
    for (let n = 0; n < 20; n++) {
      const colors = new Set<string>();
      for (let at = n * 16 * 16 * 9; at < (n + 1) * 16 * 16 * 9; at += 3) {
        const pixel = output.data.subarray(at, at + 3);
        if (pixel.some((value) => value !== 0)) colors.add(pixel.join(','));
      }
      expect(colors.size).toBeLessThanOrEqual(1); // a colour drawn as (0, 0, 0) is possible, but once
    }
    expect(() => cutout(input, new Random(1), { min: 5, max: 3 })).toThrow(/max=3.*integer in \[5, 4096\]/);
    expect(() => cutout(input, new Random(1), { max: 40 })).toThrow(/max=40 exceeds the 16x16/);
    expect(cutout(input, new Random(1), { min: 3, max: 6 }, { eval: true }).data).toEqual(input.data);
  });
});
