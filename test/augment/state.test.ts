import { describe, expect, it } from 'vitest';
import { zeros } from '../../common/ndarray.ts';
import { Random } from '../../common/random.ts';
import { amplitudeScale, gaussianNoise } from '../../augment/state.ts';
import { parseAugmentations } from '../../augment/pipeline.ts';

function states(count: number, dimension: number, seed: number) {
  const batch = zeros('float32', [count, dimension]);
  new Random(seed).fillNormal(batch.data);
  return batch;
}

describe('state augmentations (RAD)', () => {
  it('amplitude scaling keeps the direction of each state vector, scaled by z in [0.5, 1.5]', () => {
    const input = states(200, 7, 1);
    const output = amplitudeScale(input, new Random(2));
    const scales: number[] = [];
    for (let n = 0; n < 200; n++) {
      const a = input.data.subarray(n * 7, n * 7 + 7);
      const b = output.data.subarray(n * 7, n * 7 + 7);
      const dot = a.reduce((sum, value, i) => sum + value * b[i], 0);
      const norm = (v: Float32Array) => Math.sqrt(v.reduce((sum, value) => sum + value * value, 0));
      expect(dot / (norm(a) * norm(b))).toBeCloseTo(1, 5);
      const scale = norm(b) / norm(a);
      expect(scale).toBeGreaterThanOrEqual(0.5 - 1e-5);
      expect(scale).toBeLessThan(1.5 + 1e-5);
      scales.push(scale);
    }
    expect(Math.min(...scales)).toBeLessThan(0.6);
    expect(Math.max(...scales)).toBeGreaterThan(1.4);
  });

  it('scales each dimension separately with perDimension', () => {
    const input = zeros('float32', [50, 4]);
    input.data.fill(2);
    const output = amplitudeScale(input, new Random(3), { perDimension: true });
    let differing = 0;
    for (let n = 0; n < 50; n++) {
      const row = output.data.subarray(n * 4, n * 4 + 4);
      for (const value of row) expect(value / 2).toBeGreaterThanOrEqual(0.5 - 1e-6);
      if (new Set(row).size > 1) differing++;
    }
    expect(differing).toBe(50);
    expect(() => amplitudeScale(input, new Random(3), { low: 2, high: 1 })).toThrow(/high=1.*\[2, 1000000\]/);
    expect(() => amplitudeScale(input, new Random(3), { perDimension: 'yes' } as never)).toThrow(/perDimension="yes".*true or false/);
  });

  it('shares the scale between obs and next_obs in a pair; gaussian noise draws afresh', () => {
    const obs = states(30, 5, 4);
    const nextObs = { ...obs, data: obs.data.map((value) => value * 3) };
    const [a, b] = parseAugmentations('amplitude_scale').applyPair(obs, nextObs, new Random(5));
    for (let i = 0; i < obs.data.length; i++) expect(b.data[i]).toBeCloseTo(3 * a.data[i], 4);
    const [c, d] = parseAugmentations('gaussian_noise').applyPair(obs, obs, new Random(6));
    expect(c.data.some((value, i) => value !== d.data[i])).toBe(true);
  });

  it('gaussian noise adds N(0, std^2) noise', () => {
    const input = zeros('float32', [400, 25]);
    const output = gaussianNoise(input, new Random(7), { std: 0.5 });
    const mean = output.data.reduce((sum, value) => sum + value, 0) / output.data.length;
    const variance = output.data.reduce((sum, value) => sum + (value - mean) ** 2, 0) / output.data.length;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.sqrt(variance)).toBeCloseTo(0.5, 1);
    expect(() => gaussianNoise(zeros('uint8', [2, 3]) as never, new Random(7))).toThrow(/float32 NdArray \[N, D\], got dtype uint8/);
    expect(gaussianNoise(input, new Random(7), {}, { eval: true }).data).toEqual(input.data);
  });
});
