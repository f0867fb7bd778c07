/**
 * dm_control's soft indicator `tolerance` (dm_control/utils/rewards.py): 1 inside
 * `bounds`, falling off with the distance to the nearest bound along a sigmoid
 * that equals `valueAtMargin` at distance `margin`. Every Control Suite reward
 * is built from it, so the numbers here must match dm_control's to the last bit
 * that float64 allows.
 */

export type Sigmoid =
  | 'gaussian'
  | 'hyperbolic'
  | 'long_tail'
  | 'reciprocal'
  | 'cosine'
  | 'linear'
  | 'quadratic'
  | 'tanh_squared';

export const SIGMOIDS: readonly Sigmoid[] = [
  'gaussian',
  'hyperbolic',
  'long_tail',
  'reciprocal',
  'cosine',
  'linear',
  'quadratic',
  'tanh_squared',
];

/** dm_control's default value of `tolerance` at `margin` from the bounds. */
export const DEFAULT_VALUE_AT_MARGIN = 0.1;

export interface ToleranceOptions {
  /** Inclusive [lower, upper]; either may be infinite. Default [0, 0]. */
  bounds?: readonly [number, number];
  /** Distance over which the value falls to `valueAtMargin`; 0 makes a hard indicator. */
  margin?: number;
  sigmoid?: Sigmoid;
  /** The value at `margin` from the nearest bound, in (0, 1) ([0, 1) for cosine, linear, quadratic). */
  valueAtMargin?: number;
}

/**
 * A function equal to 1 at x = 0, `valueAt1` at |x| = 1 and falling towards 0
 * beyond (cosine, linear and quadratic reach 0 at a finite x).
 */
export function sigmoid(x: number, valueAt1: number, kind: Sigmoid): number {
  const zeroAllowed = kind === 'cosine' || kind === 'linear' || kind === 'quadratic';
  if (zeroAllowed ? !(valueAt1 >= 0 && valueAt1 < 1) : !(valueAt1 > 0 && valueAt1 < 1)) {
    const range = zeroAllowed ? '[0, 1)' : '(0, 1)';
    throw new Error(`tolerance: valueAtMargin must be in ${range} for the ${kind} sigmoid, got ${valueAt1}`);
  }
  switch (kind) {
    case 'gaussian': {
      const scale = Math.sqrt(-2 * Math.log(valueAt1));
      return Math.exp(-0.5 * (x * scale) ** 2);
    }
    case 'hyperbolic': {
      const scale = Math.acosh(1 / valueAt1);
      return 1 / Math.cosh(x * scale);
    }
    case 'long_tail': {
      const scale = Math.sqrt(1 / valueAt1 - 1);
      return 1 / ((x * scale) ** 2 + 1);
    }
    case 'reciprocal': {
      const scale = 1 / valueAt1 - 1;
      return 1 / (Math.abs(x) * scale + 1);
    }
    case 'cosine': {
      const scaled = (x * Math.acos(2 * valueAt1 - 1)) / Math.PI;
      return Math.abs(scaled) < 1 ? (1 + Math.cos(Math.PI * scaled)) / 2 : 0;
    }
    case 'linear': {
      const scaled = x * (1 - valueAt1);
      return Math.abs(scaled) < 1 ? 1 - scaled : 0;
    }
    case 'quadratic': {
      const scaled = x * Math.sqrt(1 - valueAt1);
      return Math.abs(scaled) < 1 ? 1 - scaled * scaled : 0;
    }
    case 'tanh_squared': {
      const scale = Math.atanh(Math.sqrt(1 - valueAt1));
      return 1 - Math.tanh(x * scale) ** 2;
    }
    default:
      throw new Error(`tolerance: unknown sigmoid "${String(kind)}", expected one of ${SIGMOIDS.join(', ')}`);
  }
}

/** 1 when `x` is within `bounds`, between 0 and 1 otherwise (see the file comment). */
export function tolerance(x: number, options: ToleranceOptions = {}): number {
  const [lower, upper] = options.bounds ?? [0, 0];
  const margin = options.margin ?? 0;
  const kind = options.sigmoid ?? 'gaussian';
  const valueAtMargin = options.valueAtMargin ?? DEFAULT_VALUE_AT_MARGIN;
  if (!(lower <= upper)) throw new Error(`tolerance: lower bound ${lower} must be <= upper bound ${upper}`);
  if (!(margin >= 0)) throw new Error(`tolerance: margin must be non-negative, got ${margin}`);
  if (!SIGMOIDS.includes(kind)) {
    throw new Error(`tolerance: unknown sigmoid "${String(kind)}", expected one of ${SIGMOIDS.join(', ')}`);
  }
  const inBounds = lower <= x && x <= upper;
  if (margin === 0) return inBounds ? 1 : 0;
  // dm_control evaluates the sigmoid everywhere, so a bad valueAtMargin fails even in bounds.
  const distance = x < lower ? (lower - x) / margin : (x - upper) / margin;
  const outside = sigmoid(inBounds ? 0 : distance, valueAtMargin, kind);
  return inBounds ? 1 : outside;
}
