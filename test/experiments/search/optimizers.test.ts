/** The search's optimisers: the same ask/tell contract, each finding a maximum it should. */
import { describe, expect, it } from 'vitest';
import { Random } from '../../../common/random.ts';
import { CmaEs } from '../../../experiments/search/cmaes.ts';
import { ParticleSwarm } from '../../../experiments/search/pso.ts';

const target = [0.3, 0.7, 0.55];
const sphere = (position: number[]) => -position.reduce((sum, x, d) => sum + (x - target[d]) ** 2, 0);
// An ill-conditioned ellipsoid (axis scales 1 to 1000): what CMA-ES's covariance adaptation is for.
const ellipsoid = (position: number[]) => -position.reduce((sum, x, d) => sum + 1000 ** (d / 2) * (x - target[d]) ** 2, 0);
const corner = (position: number[]) => position.reduce((sum, x) => sum + x, 0);

const kinds = [
  { name: 'particle swarm', Optimizer: ParticleSwarm, fitness: sphere, iterations: 60, tolerance: 0.01 },
  { name: 'CMA-ES', Optimizer: CmaEs, fitness: ellipsoid, iterations: 120, tolerance: 1e-3 },
];

describe.each(kinds)('$name', ({ name, Optimizer, fitness, iterations, tolerance }) => {
  function optimise(seed: number, steps: number, score: (position: number[]) => number) {
    const optimizer = new Optimizer(3, 8, Random.derive(seed, 'optimizer-test'));
    const asked: number[][][] = [];
    for (let i = 0; i < steps; i++) {
      const positions = optimizer.ask();
      asked.push(positions);
      optimizer.tell(positions.map(score));
    }
    return { optimizer, asked };
  }

  it(`finds the maximum inside the unit cube to ${tolerance}`, () => {
    const { optimizer } = optimise(1, iterations, fitness);
    optimizer.best!.position.forEach((x, d) => expect(Math.abs(x - target[d])).toBeLessThan(tolerance));
  });

  it('keeps every position in the cube, and finds a best on a corner', () => {
    const { optimizer, asked } = optimise(2, 40, corner);
    for (const positions of asked) for (const position of positions) for (const x of position) expect(x >= 0 && x <= 1).toBe(true);
    expect(optimizer.best!.fitness).toBeGreaterThan(2.99);
  });

  it('is a function of its seed and the fitness told', () => {
    expect(optimise(3, 5, fitness).asked).toEqual(optimise(3, 5, fitness).asked);
    expect(optimise(4, 5, fitness).asked).not.toEqual(optimise(3, 5, fitness).asked);
  });

  it('never takes a failed evaluation (null or not finite) as a best, and checks its calls', () => {
    const optimizer = new Optimizer(2, 3, Random.derive(5, 'optimizer-test'));
    expect(() => optimizer.tell([1, 2, 3])).toThrow(`${name === 'CMA-ES' ? 'CmaEs' : 'ParticleSwarm'}.tell: call ask() first`);
    optimizer.ask();
    optimizer.tell([null, null, Number.NaN]);
    expect(optimizer.best).toBeNull();
    const positions = optimizer.ask();
    expect(() => optimizer.tell([1, 2])).toThrow('.tell: expected 3 fitness values, got 2');
    optimizer.tell([null, 4, null]);
    expect(optimizer.best).toEqual({ position: positions[1], fitness: 4 });
    expect(() => new Optimizer(0, 3, Random.derive(6, 'optimizer-test'))).toThrow('dimensions must be an integer >= 1, got 0');
  });
});

it('CMA-ES needs at least 2 samples per generation', () => {
  expect(() => new CmaEs(2, 1, Random.derive(5, 'optimizer-test'))).toThrow('particles (lambda) must be an integer >= 2, got 1');
});
