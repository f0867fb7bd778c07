/**
 * RAD's augmentations of state vectors (Laskin et al. 2020, section 4.3), over
 * float32 batches [N, D]:
 * - random amplitude scaling: s' = s * z, z ~ Uniform[low, high] (paper: [0.5, 1.5]),
 *   one z per sample (every dimension scaled alike, so the vector keeps its
 *   direction) or, with `perDimension`, one z per dimension;
 * - gaussian noise: s' = s + z, z ~ N(0, std^2 I) (paper: std 1).
 * In a pair, amplitude scaling uses the same z for obs and next_obs (see pipeline.ts).
 */
import type { NdArray } from '../common/ndarray.ts';
import type { Random } from '../common/random.ts';
import { checkBoolean, checkNumber, checkStates, withDefaults } from './check.ts';
import type { ApplyOptions } from './geometric.ts';

export interface AmplitudeScaleParams {
  /** Lower bound of the scale (paper: 0.5). */
  low: number;
  /** Upper bound of the scale (paper: 1.5). */
  high: number;
  /** One scale per dimension instead of one per sample. */
  perDimension: boolean;
}

export function amplitudeScaleParams(given?: Partial<AmplitudeScaleParams>): AmplitudeScaleParams {
  const params = withDefaults('amplitude_scale', { low: 0.5, high: 1.5, perDimension: false }, given);
  checkNumber('amplitude_scale', 'low', params.low, -1e6, 1e6);
  checkNumber('amplitude_scale', 'high', params.high, params.low, 1e6);
  checkBoolean('amplitude_scale', 'perDimension', params.perDimension);
  return params;
}

export function amplitudeScale(
  batch: NdArray<'float32'>,
  rng: Random,
  params?: Partial<AmplitudeScaleParams>,
  options: ApplyOptions = {},
): NdArray<'float32'> {
  const { count, dimension } = checkStates('amplitude_scale', batch);
  const { low, high, perDimension } = amplitudeScaleParams(params);
  const data = batch.data.slice();
  if (options.eval) return { dtype: 'float32', shape: [...batch.shape], data };
  for (let n = 0; n < count; n++) {
    let scale = rng.uniform(low, high);
    for (let d = 0; d < dimension; d++) {
      if (perDimension && d > 0) scale = rng.uniform(low, high);
      data[n * dimension + d] *= scale;
    }
  }
  return { dtype: 'float32', shape: [...batch.shape], data };
}

export interface GaussianNoiseParams {
  /** Standard deviation of the added noise (paper: 1). */
  std: number;
}

export function gaussianNoiseParams(given?: Partial<GaussianNoiseParams>): GaussianNoiseParams {
  const params = withDefaults('gaussian_noise', { std: 1 }, given);
  checkNumber('gaussian_noise', 'std', params.std, 0, 1e6);
  return params;
}

export function gaussianNoise(
  batch: NdArray<'float32'>,
  rng: Random,
  params?: Partial<GaussianNoiseParams>,
  options: ApplyOptions = {},
): NdArray<'float32'> {
  checkStates('gaussian_noise', batch);
  const { std } = gaussianNoiseParams(params);
  const data = batch.data.slice();
  if (options.eval) return { dtype: 'float32', shape: [...batch.shape], data };
  for (let i = 0; i < data.length; i++) data[i] += rng.normal(0, std);
  return { dtype: 'float32', shape: [...batch.shape], data };
}
