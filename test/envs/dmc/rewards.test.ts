import { describe, expect, it } from 'vitest';
import { SIGMOIDS, tolerance } from '../../../envs/dmc/rewards.ts';

describe('tolerance (dm_control utils/rewards.py)', () => {
  it('is 1 inside the bounds, including infinite bounds, for every sigmoid', () => {
    for (const sigmoid of SIGMOIDS) {
      expect(tolerance(0.3, { bounds: [0, 1], margin: 1, sigmoid })).toBe(1);
      expect(tolerance(-1e9, { bounds: [-Infinity, 0], margin: 2, sigmoid })).toBe(1);
      expect(tolerance(0, { margin: 1, sigmoid })).toBe(1);
    }
  });

  it('equals valueAtMargin at the margin on either side, for every sigmoid', () => {
    for (const sigmoid of SIGMOIDS) {
      for (const valueAtMargin of [0.1, 0.5, 0.9]) {
        const options = { bounds: [1, 2] as [number, number], margin: 0.5, sigmoid, valueAtMargin };
        expect(tolerance(0.5, options), `${sigmoid} below`).toBeCloseTo(valueAtMargin, 12);
        expect(tolerance(2.5, options), `${sigmoid} above`).toBeCloseTo(valueAtMargin, 12);
      }
    }
  });

  it('falls monotonically with the distance from the bounds', () => {
    for (const sigmoid of SIGMOIDS) {
      let previous = 1;
      for (let x = 0.05; x < 3; x += 0.05) {
        const value = tolerance(x, { margin: 1, sigmoid });
        expect(value, `${sigmoid} at ${x}`).toBeLessThanOrEqual(previous);
        expect(value).toBeGreaterThanOrEqual(0);
        previous = value;
      }
    }
  });

  it('has the closed forms of dm_control beyond the margin', () => {
    // gaussian: value_at_1 ** (d ** 2); long_tail: 1 / (d^2 (1/v - 1) + 1); reciprocal: 1 / (d (1/v - 1) + 1).
    expect(tolerance(2, { margin: 1, sigmoid: 'gaussian', valueAtMargin: 0.1 })).toBeCloseTo(1e-4, 15);
    expect(tolerance(3, { margin: 1, sigmoid: 'long_tail', valueAtMargin: 0.5 })).toBeCloseTo(1 / 10, 15);
    expect(tolerance(3, { margin: 1, sigmoid: 'reciprocal', valueAtMargin: 0.5 })).toBeCloseTo(1 / 4, 15);
    // linear, quadratic and cosine reach exactly 0 where their scaled distance reaches 1.
    expect(tolerance(1, { margin: 1, sigmoid: 'linear', valueAtMargin: 0 })).toBe(0);
    expect(tolerance(0.5, { margin: 1, sigmoid: 'linear', valueAtMargin: 0 })).toBeCloseTo(0.5, 15);
    expect(tolerance(0.5, { margin: 1, sigmoid: 'quadratic', valueAtMargin: 0 })).toBeCloseTo(0.75, 15);
    expect(tolerance(0.5, { margin: 1, sigmoid: 'cosine', valueAtMargin: 0 })).toBeCloseTo(0.5, 15);
    expect(tolerance(1.2, { margin: 1, sigmoid: 'cosine', valueAtMargin: 0 })).toBe(0);
  });

  it('is a hard indicator with zero margin', () => {
    expect(tolerance(1.0000001, { bounds: [0, 1] })).toBe(0);
    expect(tolerance(1, { bounds: [0, 1] })).toBe(1);
  });

  it('rejects bad arguments with dm_control checks', () => {
    expect(() => tolerance(0, { bounds: [1, 0] })).toThrow(/lower bound 1 must be <= upper bound 0/);
    expect(() => tolerance(0, { margin: -1 })).toThrow(/margin must be non-negative, got -1/);
    expect(() => tolerance(0, { margin: 1, sigmoid: 'gaussian', valueAtMargin: 0 })).toThrow(/valueAtMargin must be in \(0, 1\) for the gaussian sigmoid, got 0/);
    expect(() => tolerance(0, { margin: 1, sigmoid: 'linear', valueAtMargin: 1 })).toThrow(/\[0, 1\)/);
    expect(() => tolerance(0, { margin: 1, sigmoid: 'bogus' as never })).toThrow(/unknown sigmoid "bogus"/);
  });
});
