import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { createRenderer } from '../../../../envs/dmc/render/renderer.ts';
import { CATENARY_POINTS, hangingString } from '../../../../envs/dmc/render/tendons.ts';
import { REFERENCE_FOLDER, hasReference, loadReferenceTask } from './scenes.ts';

const GRAVITY = [0, 0, -9.81];

function polylineLength(points: Float64Array, count: number): number {
  let total = 0;
  for (let i = 1; i < count; i++) {
    total += Math.hypot(points[3 * i] - points[3 * i - 3], points[3 * i + 1] - points[3 * i - 2], points[3 * i + 2] - points[3 * i - 1]);
  }
  return total;
}

describe('hanging strings (ball_in_cup)', () => {
  const out = new Float64Array(3 * CATENARY_POINTS);

  it('is one straight segment when the ends are farther apart than its length', () => {
    expect(hangingString([0, 0, 0], [0.3, 0, 0.2], GRAVITY, 0.3, out)).toBe(2);
    expect(Array.from(out.subarray(0, 6))).toEqual([0, 0, 0, 0.3, 0, 0.2]);
  });

  it('hangs as a catenary of its length below both ends, in their vertical plane', () => {
    const x0 = [0.1, 0.2, 0.5];
    const x1 = [0.25, 0.2, 0.45];
    const count = hangingString(x0, x1, GRAVITY, 0.3, out);
    expect(count).toBe(CATENARY_POINTS);
    expect(Array.from(out.subarray(0, 3))).toEqual(x0);
    expect(Array.from(out.subarray(3 * (count - 1)))).toEqual(x1);
    // The sampled polyline is a little shorter than the curve (its last chord spans two samples).
    const length = polylineLength(out, count);
    expect(length).toBeLessThan(0.3);
    expect(length).toBeGreaterThan(0.29);
    let lowest = Infinity;
    for (let i = 0; i < count; i++) {
      expect(out[3 * i + 1]).toBeCloseTo(0.2, 12);
      lowest = Math.min(lowest, out[3 * i + 2]);
    }
    expect(lowest).toBeLessThan(0.45 - 0.05);
  });

  it('hangs through a bead when its ends are nearly one above the other', () => {
    const count = hangingString([0, 0, 0.6], [0.001, 0, 0.5], GRAVITY, 0.3, out);
    expect(count).toBe(3);
    // Down from the upper end and back up to the lower one: the string's whole length.
    expect(polylineLength(out, count)).toBeCloseTo(0.3, 9);
    expect(out[5]).toBeCloseTo(0.6 - (0.3 + 0.1) / 2, 3);
  });
});

describe.skipIf(!hasReference)('the string against dm_control', () => {
  it('ball_in_cup-catch: the string hangs below the cup where dm_control draws it', async () => {
    const scene = await loadReferenceTask('ball_in_cup-catch');
    try {
      const frame = createRenderer(scene.model, { width: 84, height: 84, camera: 0 }).render(scene.data);
      const reference = PNG.sync.read(readFileSync(join(REFERENCE_FOLDER, 'dmc_rollouts', 'ball_in_cup-catch.png')));
      const reddish = (data: ArrayLike<number>, i: number) => data[i] > data[i + 2] + 40;
      // The string is grey; the sky and floor are blue, the cup and ball orange.
      const grey = (data: ArrayLike<number>, i: number) => data[i] > 60 && Math.abs(data[i] - data[i + 1]) < 25 && Math.abs(data[i + 1] - data[i + 2]) < 30;
      // The cup and ball's box (sky marks elsewhere are greyish dots at random places).
      let cupBottom = 0;
      let left = 84;
      let right = 0;
      for (let i = 0; i < 84 * 84; i++) {
        if (!reddish(reference.data, 4 * i)) continue;
        cupBottom = Math.floor(i / 84);
        left = Math.min(left, i % 84);
        right = Math.max(right, i % 84);
      }
      let both = 0;
      let either = 0;
      // Clear of the cup's antialiased lower edge, and above the horizon (the floor's checker lines are grey too).
      for (let row = cupBottom + 2; row < 50; row++) {
        for (let column = left; column <= right; column++) {
          const i = row * 84 + column;
          const ours = grey(frame.data, 3 * i);
          const theirs = grey(reference.data, 4 * i);
          if (ours && theirs) both++;
          if (ours || theirs) either++;
        }
      }
      expect(either).toBeGreaterThan(3);
      expect(both / either).toBeGreaterThan(0.6);
    } finally {
      scene.free();
    }
  });
});
