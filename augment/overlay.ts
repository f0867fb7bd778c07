/**
 * Background overlay, DMControl-GB's `random_overlay` (Hansen & Wang 2021, SODA;
 * Hansen et al. 2021, SVEA): x' = (1 - alpha) x + alpha b, alpha = 0.5, with b a
 * background image drawn per sample and repeated over the sample's stacked
 * frames, as DMControl-GB repeats one image over the stack. The result is rounded
 * to uint8.
 *
 * Differs from DMControl-GB: its backgrounds are Places365 photographs with a
 * random resized crop and flip; here they come from the procedural bank of
 * backgrounds.ts (or a user's folder of PNGs, resized whole to the frame size).
 */
import type { NdArray } from '../common/ndarray.ts';
import type { Random } from '../common/random.ts';
import { backgroundBank } from './backgrounds.ts';
import { checkNumber, checkPixels, withDefaults } from './check.ts';
import type { ApplyOptions } from './geometric.ts';
import { InputError } from '../common/errors.ts';

export interface OverlayParams {
  /** Weight of the background (DMControl-GB: 0.5). */
  alpha: number;
  /** 'procedural' (generated, shipped with the package) or a folder of PNG images. */
  backgrounds: string;
  /** Size of the procedural bank. */
  count: number;
  /** Seed of the procedural bank. */
  seed: number;
}

export function overlayParams(given?: Partial<OverlayParams>): OverlayParams {
  const params = withDefaults('overlay', { alpha: 0.5, backgrounds: 'procedural', count: 64, seed: 0 }, given);
  checkNumber('overlay', 'alpha', params.alpha, 0, 1);
  if (typeof params.backgrounds !== 'string' || params.backgrounds.length === 0) {
    throw new InputError(`overlay: parameter backgrounds=${JSON.stringify(params.backgrounds)} is not allowed; expected 'procedural' or a folder path`);
  }
  checkNumber('overlay', 'count', params.count, 1, 10_000, true);
  checkNumber('overlay', 'seed', params.seed, 0, 2 ** 32, true);
  return params;
}

export function overlay(batch: NdArray<'uint8'>, rng: Random, params?: Partial<OverlayParams>, options: ApplyOptions = {}): NdArray<'uint8'> {
  const { count, height, width, channels } = checkPixels('overlay', batch);
  const settings = overlayParams(params);
  const data = batch.data.slice();
  if (options.eval) return { dtype: 'uint8', shape: [...batch.shape], data };
  const bank = backgroundBank(settings.backgrounds, height, width, settings.count, settings.seed);
  const backgroundCount = bank.shape[0];
  const pixels = height * width;
  const alpha = settings.alpha;
  for (let n = 0; n < count; n++) {
    const background = rng.int(backgroundCount) * pixels * 3;
    const base = n * pixels * channels;
    for (let pixel = 0; pixel < pixels; pixel++) {
      const from = background + pixel * 3;
      for (let c = 0; c < channels; c++) {
        const at = base + pixel * channels + c;
        data[at] = Math.round((1 - alpha) * data[at] + alpha * bank.data[from + (c % 3)]);
      }
    }
  }
  return { dtype: 'uint8', shape: [...batch.shape], data };
}
