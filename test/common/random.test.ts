import { describe, expect, it } from 'vitest';
import { Random } from '../../common/random.ts';

describe('Random', () => {
  it('gives the same stream for the same seed and name', () => {
    const a = Random.derive(7, 'env');
    const b = Random.derive(7, 'env');
    const draws = (r: Random) => Array.from({ length: 5 }, () => r.uniform());
    expect(draws(a)).toEqual(draws(b));
    expect(draws(Random.derive(7, 'env'))).not.toEqual(draws(Random.derive(7, 'augment')));
  });

  it('forks streams that do not depend on the parent draw count', () => {
    const a = new Random(1);
    const b = new Random(1);
    b.uniform();
    expect(a.fork('x').uniform()).toBe(b.fork('x').uniform());
  });

  it('restores a saved state', () => {
    const r = new Random(3);
    r.normal();
    const state = r.getState();
    const expected = [r.uniform(), r.int(10), r.normal()];
    r.setState(state);
    expect([r.uniform(), r.int(10), r.normal()]).toEqual(expected);
    expect(() => r.setState([0, 0, 0, 0])).toThrow(/all-zero/);
  });

  it('draws uniforms, integers and normals with the right moments', () => {
    const r = new Random(11);
    const n = 20000;
    let sum = 0;
    let sumSq = 0;
    const counts = new Array(5).fill(0);
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      sum += x;
      sumSq += x * x;
      counts[r.int(5)]++;
      const u = r.uniform(2, 3);
      expect(u >= 2 && u < 3).toBe(true);
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.03);
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(0.05);
    for (const c of counts) expect(Math.abs(c / n - 0.2)).toBeLessThan(0.02);
    expect(() => r.int(0)).toThrow(/range/);
  });
});
