import { InputError } from '../../common/errors.ts';
import { describe, expect, it } from 'vitest';
import { Random } from '../../common/random.ts';
import { decodePng, encodePng } from '../../common/png.ts';
import { augmentationGallery } from '../../augment/gallery.ts';
import { randomBatch } from './helpers.ts';

describe('augmentationGallery', () => {
  it('lays out the original, then one row of samples per augmentation, padded to the widest', () => {
    const image = randomBatch([1, 100, 100, 3]);
    const frame = { dtype: 'uint8' as const, shape: [100, 100, 3], data: image.data };
    const picture = augmentationGallery(frame, ['crop', 'translate', 'grayscale'], new Random(1), 3);
    // Rows of 100 (original), 84 (crop), 108 (translate), 100 (grayscale), 4 px gaps.
    expect(picture.shape).toEqual([4 + 104 + 88 + 112 + 104, 4 + 3 * 112, 3]);
    // The original sits at the top left, row for row.
    for (const y of [0, 50, 99]) {
      const at = ((4 + y) * picture.shape[1] + 4) * 3;
      expect(Buffer.from(picture.data.subarray(at, at + 300)).equals(Buffer.from(frame.data.subarray(y * 300, y * 300 + 300)))).toBe(true);
    }
    // Probability-driven rows fire on every sample: each grayscale tile is gray.
    for (let n = 0; n < 3; n++) {
      const at = ((308 + 50) * picture.shape[1] + 4 + n * 104 + 50) * 3;
      expect(picture.data[at]).toBe(picture.data[at + 1]);
      expect(picture.data[at]).toBe(picture.data[at + 2]);
    }
    // The rest of the first row is the gray field.
    expect(picture.data[(4 * picture.shape[1] + 200) * 3]).toBe(128);
    expect(decodePng(encodePng(picture)).shape).toEqual(picture.shape);
  });

  it('rejects what it cannot draw', () => {
    const frame = { dtype: 'uint8' as const, shape: [100, 100, 3], data: new Uint8Array(30000) };
    expect(() => augmentationGallery(frame, ['blur'], new Random(1))).toThrow(/unknown augmentation "blur"/);
    expect(() => augmentationGallery(frame, ['amplitude_scale'], new Random(1))).toThrow(/state vectors/);
    // What `rad augment --aug` was given: bad input (exit code 2).
    expect(() => augmentationGallery(frame, ['blur'], new Random(1))).toThrow(InputError);
    expect(() => augmentationGallery(frame, ['amplitude_scale'], new Random(1))).toThrow(InputError);
    expect(() => augmentationGallery({ ...frame, shape: [100, 100, 9] }, ['crop'], new Random(1))).toThrow(/\[H, W, 3\]/);
  });
});
