import { describe, expect, it } from 'vitest';
import { Random } from '../../../common/random.ts';
import { CmaEs } from '../../../experiments/search/cmaes.ts';

const target = [0.3, 0.7, 0.55];
// An ill-conditioned ellipsoid (axis scales 1 to 1000): what the covariance adaptation is for.
const ellipsoid = (position: number[]) => -position.reduce((sum, x, d) => sum + 1000 ** (d / 2) * (x - target[d]) ** 2, 0);

function optimise(seed: number, generations: number, fitness = ellipsoid): { es: CmaEs; asked: number[][][] } {
  const es = new CmaEs(3, 8, Random.derive(seed, 'cmaes-test'));
  const asked: number[][][] = [];
  for (let g = 0; g < generations; g++) {
    const samples = es.ask();
    asked.push(samples);
    es.tell(samples.map(fitness));
  }
  return { es, asked };
}

describe('CMA-ES', () => {
  it('finds the maximum of an ill-conditioned quadratic inside the unit cube', () => {
    const { es } = optimise(1, 120);
    es.best!.position.forEach((x, d) => expect(Math.abs(x - target[d])).toBeLessThan(1e-3));
  });

  it('keeps every sample in the cube, and finds a best on a corner', () => {
    const { es, asked } = optimise(2, 60, (position) => position.reduce((sum, x) => sum + x, 0));
    for (const samples of asked) for (const sample of samples) for (const x of sample) expect(x >= 0 && x <= 1).toBe(true);
    expect(es.best!.fitness).toBeGreaterThan(2.999);
  });

  it('is a function of its seed and the fitness told', () => {
    expect(optimise(3, 5).asked).toEqual(optimise(3, 5).asked);
    expect(optimise(4, 5).asked).not.toEqual(optimise(3, 5).asked);
  });

  it('ranks failed evaluations last and never takes one as the best', () => {
    const es = new CmaEs(2, 4, Random.derive(5, 'cmaes-test'));
    const samples = es.ask();
    es.tell([null, 2, Number.NaN, null]);
    expect(es.best).toEqual({ position: samples[1], fitness: 2 });
    expect(() => es.tell([1, 2, 3, 4])).toThrow('CmaEs.tell: call ask() first');
    es.ask();
    expect(() => es.tell([1])).toThrow('CmaEs.tell: expected 4 fitness values, got 1');
    expect(() => new CmaEs(2, 1, Random.derive(5, 'cmaes-test'))).toThrow('particles (lambda) must be an integer >= 2, got 1');
  });
});
