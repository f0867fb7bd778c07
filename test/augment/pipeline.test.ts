import { describe, expect, it } from 'vitest';
import { InputError } from '../../common/errors.ts';
import { zeros } from '../../common/ndarray.ts';
import { Random } from '../../common/random.ts';
import { AUGMENTATION_NAMES, listAugmentations, parseAugmentations } from '../../augment/index.ts';
import { randomBatch, sameBytes, sample, windowMatches } from './helpers.ts';

describe('parseAugmentations', () => {
  it('reads RAD-style specs in order, with either spelling of multi-word names', () => {
    expect(parseAugmentations('crop-translate-cutout').names).toEqual(['crop', 'translate', 'cutout']);
    expect(parseAugmentations('crop-cutout-color').names).toEqual(['crop', 'cutout_color']);
    expect(parseAugmentations('cutout_color-rand_conv-color-jitter').names).toEqual(['cutout_color', 'rand_conv', 'color_jitter']);
    expect(parseAugmentations('Random_Conv').names).toEqual(['rand_conv']);
    for (const identity of ['none', '', 'no_aug']) expect(parseAugmentations(identity).names).toEqual([]);
    expect(listAugmentations()).toHaveLength(AUGMENTATION_NAMES.length);
  });

  it('names an unknown augmentation and lists the valid ones', () => {
    expect(() => parseAugmentations('crop-blur')).toThrow(/unknown augmentation "blur"; valid names: crop, translate, shift, cutout/);
    // A multi-word name is named whole, not by its first word.
    expect(() => parseAugmentations('crop-state_noise')).toThrow(/unknown augmentation "state_noise"; valid/);
    expect(() => parseAugmentations('crop_blur-translate')).toThrow(/unknown augmentation "blur"; valid/);
    // A list written with commas gets the separator named.
    expect(() => parseAugmentations('crop,translate')).toThrow(/unknown augmentation "crop,translate" \(names in a spec are joined with "-", e.g. crop-translate\)/);
  });

  it('names a bad parameter, its value and what is allowed', () => {
    expect(() => parseAugmentations('crop', { crop: { size: 0 } })).toThrow(/crop: parameter size=0 is not allowed; expected an integer in \[1, 4096\]/);
    expect(() => parseAugmentations('flip', { 'flip.p': 'often' })).toThrow(/flip: parameter p="often".*number in \[0, 1\]/);
    expect(() => parseAugmentations('cutout', { cutout: { maximum: 3 } })).toThrow(/cutout: unknown parameter "maximum"; expected one of: min, max/);
    expect(() => parseAugmentations('crop', { blur: { sigma: 1 } })).toThrow(/unknown augmentation "blur" in key "blur"/);
    expect(() => parseAugmentations('crop-amplitude_scale')).toThrow(/mixes pixel augmentations \(crop\) with state augmentations \(amplitude_scale\)/);
    // A known augmentation's parameters are ignored when the spec does not use it (one preset, many specs).
    expect(parseAugmentations('translate', { crop: { size: 64 } }).names).toEqual(['translate']);
    expect(parseAugmentations('crop', { 'crop.size': 64 }).describe()).toEqual([{ name: 'crop', params: { size: 64 } }]);
  });

  it('chains output shapes and checks that each step fits', () => {
    expect(parseAugmentations('crop-translate').outputShape([100, 100, 9])).toEqual([108, 108, 9]);
    expect(parseAugmentations('crop', { crop: { size: 64 } }).outputShape([84, 84, 3])).toEqual([64, 64, 3]);
    expect(parseAugmentations('shift-grayscale').outputShape([84, 84, 9])).toEqual([84, 84, 9]);
    expect(parseAugmentations('none').outputShape([84, 84, 9])).toEqual([84, 84, 9]);
    expect(() => parseAugmentations('crop').outputShape([64, 64, 3])).toThrow(/crop: parameter size=84 does not fit in a 64x64 observation/);
    expect(() => parseAugmentations('rotate').outputShape([84, 90, 3])).toThrow(/square/);
    expect(() => parseAugmentations('crop').outputShape([100, 100, 4])).toThrow(/\[H, W, 3k\], got \[100,100,4\]/);
  });

  it('throws what a user wrote wrong (spec, parameters, a size that does not fit) as bad input: InputError, exit code 2 in rad', () => {
    const bad = [
      () => parseAugmentations('crop-blur'),
      () => parseAugmentations('crop', { crop: { size: 0 } }),
      () => parseAugmentations('cutout', { cutout: { maximum: 3 } }),
      () => parseAugmentations('crop', { blur: { sigma: 1 } }),
      () => parseAugmentations('crop', ['size'] as never),
      () => parseAugmentations('crop-amplitude_scale'),
      () => parseAugmentations('frequency', { frequency: { cutoff: 0.9 } }),
      () => parseAugmentations('overlay', { overlay: { backgrounds: 7 } }),
      () => parseAugmentations('crop').outputShape([64, 64, 3]),
      () => parseAugmentations('rotate').outputShape([84, 90, 3]),
    ];
    for (const call of bad) expect(call).toThrow(InputError);
  });
});

describe('Pipeline', () => {
  const every = Object.fromEntries(['grayscale', 'flip', 'rotate', 'frequency'].map((name) => [name, { p: 1 }]));
  const fullSpec = 'crop-cutout-cutout_color-grayscale-flip-rotate-rand_conv-color_jitter-frequency-overlay-shift-translate';

  it('gives the same batch for the same seed, another for another seed', () => {
    const input = randomBatch([3, 100, 100, 6]);
    const pipeline = parseAugmentations(fullSpec, { ...every, crop: { size: 40 }, translate: { size: 48 } });
    const first = pipeline.apply(input, new Random(1));
    expect(first.shape).toEqual([3, 48, 48, 6]);
    expect(sameBytes(first.data, pipeline.apply(input, new Random(1)).data)).toBe(true);
    expect(sameBytes(first.data, pipeline.apply(input, new Random(2)).data)).toBe(false);
    expect(sameBytes(input.data, randomBatch([3, 100, 100, 6]).data)).toBe(true); // the input is untouched
  });

  it('in evaluation centres crop and translate and applies nothing else', () => {
    const input = randomBatch([2, 100, 100, 9]);
    const output = parseAugmentations('crop-cutout-grayscale-rand_conv', every).apply(input, new Random(3), { eval: true });
    expect(windowMatches(input, output, 0, 8, 8) && windowMatches(input, output, 1, 8, 8)).toBe(true);
  });

  it('pairs: translate shares its offsets between obs and next_obs, crop draws afresh', () => {
    const input = randomBatch([8, 20, 20, 3]);
    const [a, b] = parseAugmentations('translate', { translate: { size: 28 } }).applyPair(input, input, new Random(4));
    expect(sameBytes(a.data, b.data)).toBe(true);
    const [c, d] = parseAugmentations('crop', { crop: { size: 12 } }).applyPair(input, input, new Random(4));
    const differing = [...Array(8).keys()].filter((n) => !sameBytes(sample(c, n), sample(d, n))).length;
    expect(differing).toBeGreaterThan(4);
    expect(() => parseAugmentations('crop').applyPair(input, randomBatch([8, 20, 20, 6]), new Random(4))).toThrow(/same shape/);
  });

  it('writes into a caller buffer when asked, with the same result', () => {
    const input = randomBatch([4, 100, 100, 9]);
    const pipeline = parseAugmentations('crop-grayscale');
    const out = zeros('uint8', [4, 84, 84, 9]);
    const written = pipeline.apply(input, new Random(5), { out });
    expect(written).toBe(out);
    expect(sameBytes(out.data, pipeline.apply(input, new Random(5)).data)).toBe(true);
  });

  it('rejects a batch of the wrong kind', () => {
    expect(() => parseAugmentations('crop').apply(zeros('float32', [2, 100, 100, 3]) as never, new Random(6))).toThrow(
      /pixels augmentations take a uint8 batch \[N, H, W, 3k\], got float32/,
    );
    expect(() => parseAugmentations('amplitude_scale').apply(zeros('uint8', [2, 5]) as never, new Random(6))).toThrow(/float32 batch \[N, D\], got uint8/);
    const identity = randomBatch([1, 4, 4, 3]);
    expect(parseAugmentations('none').apply(identity, new Random(6))).toBe(identity);
  });
});
