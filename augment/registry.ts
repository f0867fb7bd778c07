/**
 * The table of augmentations a spec may name: what each is, its parameters'
 * validation, how it changes the shape, and how it draws for an (obs, next_obs)
 * pair. Names follow RAD's `--data_augs` (`crop`, `cutout_color`, `rand_conv`, ...).
 */
import type { NdArray } from '../common/ndarray.ts';
import type { Random } from '../common/random.ts';
import { colorJitter, colorJitterParams, grayscale, grayscaleParams, randomConv, randomConvParams } from './color.ts';
import { frequency, frequencyParams } from './frequency.ts';
import type { ApplyOptions } from './geometric.ts';
import {
  crop,
  cropParams,
  cutout,
  cutoutColor,
  cutoutParams,
  flip,
  flipParams,
  rotate,
  rotateParams,
  shift,
  shiftParams,
  translate,
  translateParams,
} from './geometric.ts';
import { overlay, overlayParams } from './overlay.ts';
import { amplitudeScale, amplitudeScaleParams, gaussianNoise, gaussianNoiseParams } from './state.ts';
import { InputError } from '../common/errors.ts';

export type Kind = 'pixels' | 'state';

/**
 * How an (obs, next_obs) pair draws: 'independent' draws afresh for next_obs,
 * 'shared' gives next_obs the very draws of obs.
 */
export type PairRule = 'independent' | 'shared';

export interface Augmentation {
  name: string;
  kind: Kind;
  summary: string;
  pair: PairRule;
  /** Whether `options.out` is honoured (the row-copying ones). */
  writesOut: boolean;
  /** Defaults merged with the given parameters, checked; throws naming a bad one. */
  params(given: Record<string, unknown> | undefined): Record<string, unknown>;
  /** Per-sample shape ([H, W, C] or [D]) after this augmentation; throws if it does not fit. */
  outputShape(shape: number[], params: Record<string, unknown>): number[];
  apply(batch: NdArray, rng: Random, params: Record<string, unknown>, options: ApplyOptions): NdArray;
}

type Fn<D extends 'uint8' | 'float32'> = (batch: NdArray<D>, rng: Random, params: never, options: ApplyOptions) => NdArray<D>;

function checkPixelShape(name: string, shape: number[]): [number, number, number] {
  if (shape.length !== 3 || shape.some((dim) => !Number.isInteger(dim) || dim < 1) || shape[2] % 3 !== 0) {
    throw new InputError(`${name}: a pixel observation must have shape [H, W, 3k], got [${shape}]`);
  }
  return shape as [number, number, number];
}

function pixels(
  name: string,
  summary: string,
  pair: PairRule,
  fn: Fn<'uint8'>,
  params: (given: never) => object,
  outputShape?: (shape: [number, number, number], params: never) => number[],
): Augmentation {
  return {
    name,
    kind: 'pixels',
    summary,
    pair,
    writesOut: name === 'crop' || name === 'translate' || name === 'shift',
    params: (given) => params(given as never) as Record<string, unknown>,
    outputShape: (shape, merged) => {
      const checked = checkPixelShape(name, shape);
      return outputShape ? outputShape(checked, merged as never) : [...checked];
    },
    apply: (batch, rng, merged, options) => fn(batch as NdArray<'uint8'>, rng, merged as never, options),
  };
}

function states(name: string, summary: string, pair: PairRule, fn: Fn<'float32'>, params: (given: never) => object): Augmentation {
  return {
    name,
    kind: 'state',
    summary,
    pair,
    writesOut: false,
    params: (given) => params(given as never) as Record<string, unknown>,
    outputShape: (shape) => {
      if (shape.length !== 1 || !Number.isInteger(shape[0]) || shape[0] < 1) {
        throw new InputError(`${name}: a state observation must have shape [D], got [${shape}]`);
      }
      return [...shape];
    },
    apply: (batch, rng, merged, options) => fn(batch as NdArray<'float32'>, rng, merged as never, options),
  };
}

const fitsSquare = (name: string, size: number, shape: number[], relation: 'within' | 'around'): void => {
  const [height, width] = shape;
  if (relation === 'within' && size > Math.min(height, width)) {
    throw new InputError(`${name}: parameter size=${size} does not fit in a ${height}x${width} observation; expected at most ${Math.min(height, width)}`);
  }
  if (relation === 'around' && size < Math.max(height, width)) {
    throw new InputError(`${name}: parameter size=${size} cannot hold a ${height}x${width} observation; expected at least ${Math.max(height, width)}`);
  }
};

const cutoutShape = (name: string) => (shape: [number, number, number], params: { max: number }) => {
  if (params.max > Math.min(shape[0], shape[1])) {
    throw new InputError(`${name}: parameter max=${params.max} exceeds the ${shape[0]}x${shape[1]} observation; expected at most ${Math.min(shape[0], shape[1])}`);
  }
  return [...shape];
};

// Pair rules follow the papers' code. RAD's `sample_rad` calls crop, cutout and every
// colour/flip/rotate function separately on obs and on next_obs (independent draws),
// but translates next_obs with the offsets drawn for obs (shared). DrQ augments obs and
// next_obs independently. RAD's state scaling uses one z for both (shared).
export const AUGMENTATIONS: readonly Augmentation[] = [
  pixels('crop', 'random size x size window (RAD; eval: centre)', 'independent', crop, cropParams, (shape, params: { size: number }) => {
    fitsSquare('crop', params.size, shape, 'within');
    return [params.size, params.size, shape[2]];
  }),
  pixels('translate', 'image at a random offset in a size x size black canvas (RAD; eval: centred)', 'shared', translate, translateParams, (shape, params: { size: number }) => {
    fitsSquare('translate', params.size, shape, 'around');
    return [params.size, params.size, shape[2]];
  }),
  pixels('shift', 'replicate-pad by pad, random crop back (DrQ, DrQ-v2)', 'independent', shift, shiftParams),
  pixels('cutout', 'black box of side min..max at a random place (RAD)', 'independent', cutout, (given) => cutoutParams(given, 'cutout'), cutoutShape('cutout')),
  pixels('cutout_color', 'random-colour box of side min..max (RAD)', 'independent', cutoutColor, (given) => cutoutParams(given, 'cutout_color'), cutoutShape('cutout_color')),
  pixels('grayscale', 'luma to R, G, B with probability p (RAD)', 'independent', grayscale, grayscaleParams),
  pixels('flip', 'horizontal mirror with probability p (RAD)', 'independent', flip, flipParams),
  pixels('rotate', 'turn by 90, 180 or 270 degrees with probability p (RAD)', 'independent', rotate, rotateParams, (shape) => {
    if (shape[0] !== shape[1]) throw new InputError(`rotate: needs square observations, got ${shape[0]}x${shape[1]}`);
    return [...shape];
  }),
  pixels('rand_conv', 'random 3x3 conv, 3 to 3 channels, per sample (RAD)', 'independent', randomConv, randomConvParams),
  pixels('color_jitter', 'brightness, contrast, saturation, hue (RAD)', 'independent', colorJitter, colorJitterParams),
  pixels('frequency', 'remove spatial frequencies below cutoff with probability p (FreqAug)', 'independent', frequency, frequencyParams),
  pixels('overlay', 'blend alpha with a background image (DMControl-GB)', 'independent', overlay, overlayParams),
  states('amplitude_scale', 'states times z ~ U[low, high] (RAD)', 'shared', amplitudeScale, amplitudeScaleParams),
  states('gaussian_noise', 'states plus N(0, std^2) noise (RAD)', 'independent', gaussianNoise, gaussianNoiseParams),
];

/** Other spellings users of RAD and DrQ type; each maps to a name above. */
export const ALIASES: Readonly<Record<string, string>> = {
  random_crop: 'crop',
  random_translate: 'translate',
  random_shift: 'shift',
  random_conv: 'rand_conv',
  random_cutout: 'cutout',
  random_grayscale: 'grayscale',
  random_flip: 'flip',
  random_rotation: 'rotate',
  freq: 'frequency',
  random_overlay: 'overlay',
  random_amplitude_scaling: 'amplitude_scale',
};

export function findAugmentation(name: string): Augmentation | undefined {
  const canonical = ALIASES[name] ?? name;
  return AUGMENTATIONS.find((augmentation) => augmentation.name === canonical);
}

export const AUGMENTATION_NAMES: readonly string[] = AUGMENTATIONS.map((augmentation) => augmentation.name);

/** The augmentations of images, in table order (the default rows of `rad augment --show`). */
export const PIXEL_AUGMENTATION_NAMES: readonly string[] = AUGMENTATIONS.filter((a) => a.kind === 'pixels').map((a) => a.name);
