import { describe, expect, it } from 'vitest';
import { Random } from '../../../common/random.ts';
import { ParticleSwarm } from '../../../experiments/search/pso.ts';

const target = [0.3, 0.7, 0.55];
const score = (position: number[]) => -position.reduce((sum, x, d) => sum + (x - target[d]) ** 2, 0);

function optimise(seed: number, iterations: number, fitness = score): { swarm: ParticleSwarm; asked: number[][][] } {
  const swarm = new ParticleSwarm(3, 10, Random.derive(seed, 'pso-test'));
  const asked: number[][][] = [];
  for (let i = 0; i < iterations; i++) {
    const positions = swarm.ask();
    asked.push(positions);
    swarm.tell(positions.map(fitness));
  }
  return { swarm, asked };
}

describe('particle swarm', () => {
  it('finds the maximum of a smooth function inside the unit cube', () => {
    const { swarm } = optimise(1, 60);
    const best = swarm.best!;
    best.position.forEach((x, d) => expect(Math.abs(x - target[d])).toBeLessThan(0.01));
    expect(best.fitness).toBeGreaterThan(-1e-4);
  });

  it('keeps every position in the cube, even when the best lies on a wall', () => {
    const corner = (position: number[]) => position.reduce((sum, x) => sum + x, 0);
    const { swarm, asked } = optimise(2, 30, corner);
    for (const positions of asked) for (const position of positions) for (const x of position) expect(x >= 0 && x <= 1).toBe(true);
    expect(swarm.best!.fitness).toBeGreaterThan(2.99);
  });

  it('is a function of its seed and the fitness told', () => {
    expect(optimise(3, 5).asked).toEqual(optimise(3, 5).asked);
    expect(optimise(4, 5).asked).not.toEqual(optimise(3, 5).asked);
  });

  it('never takes a failed evaluation (null or not finite) as a best', () => {
    const swarm = new ParticleSwarm(2, 3, Random.derive(5, 'pso-test'));
    swarm.ask();
    swarm.tell([null, null, Number.NaN]);
    expect(swarm.best).toBeNull();
    const positions = swarm.ask();
    swarm.tell([null, 4, null]);
    expect(swarm.best).toEqual({ position: positions[1], fitness: 4 });
  });

  it('checks its calls', () => {
    const swarm = new ParticleSwarm(2, 3, Random.derive(6, 'pso-test'));
    expect(() => swarm.tell([1, 2, 3])).toThrow('ParticleSwarm.tell: call ask() first');
    swarm.ask();
    expect(() => swarm.tell([1, 2])).toThrow('ParticleSwarm.tell: expected 3 fitness values, got 2');
    expect(() => new ParticleSwarm(0, 3, Random.derive(6, 'pso-test'))).toThrow('dimensions must be an integer >= 1, got 0');
  });
});
