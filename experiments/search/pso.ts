/**
 * Particle swarm optimisation over the unit cube [0, 1]^D, maximising, with an
 * ask/tell interface so that a search can evaluate a whole swarm in parallel
 * (each fitness is a training run) and another optimiser can take its place.
 *
 * Global-best PSO with Clerc and Kennedy's constriction (2002): per dimension,
 *   v <- chi * (v + c1 r1 (personal best - x) + c2 r2 (swarm best - x)), x <- x + v,
 * chi = 0.7298, c1 = c2 = 2.05 (so chi c = 1.49618), r1, r2 ~ U(0, 1). A
 * coordinate leaving the cube is put back on its wall with that velocity
 * component zeroed. The ELo search (Li et al. 2022, "Does Self-supervised
 * Learning Really Improve Reinforcement Learning from Pixels?") searched loss
 * and augmentation combinations with a particle swarm.
 *
 * The swarm is synchronous: every position of an iteration is told before any
 * particle moves, so the search is the same whatever order the runs finish in.
 */
import type { Random } from '../../common/random.ts';

const CHI = 0.7298;
const ACCELERATION = 2.05;

export interface Candidate {
  position: number[];
  fitness: number;
}

export class ParticleSwarm {
  private readonly positions: number[][];
  private readonly velocities: number[][];
  private readonly personalBest: (Candidate | null)[];
  private swarmBest: Candidate | null = null;
  private told = true;

  constructor(
    readonly dimensions: number,
    readonly particles: number,
    private readonly rng: Random,
  ) {
    if (!Number.isInteger(dimensions) || dimensions < 1) throw new Error(`ParticleSwarm: dimensions must be an integer >= 1, got ${dimensions}`);
    if (!Number.isInteger(particles) || particles < 1) throw new Error(`ParticleSwarm: particles must be an integer >= 1, got ${particles}`);
    this.positions = Array.from({ length: particles }, () => Array.from({ length: dimensions }, () => rng.uniform()));
    // Half the way to another uniform point (SPSO 2011's initial velocity).
    this.velocities = this.positions.map((position) => position.map((x) => (rng.uniform() - x) / 2));
    this.personalBest = Array.from({ length: particles }, () => null);
  }

  /** The positions to evaluate next, one per particle. */
  ask(): number[][] {
    this.told = false;
    return this.positions.map((position) => [...position]);
  }

  /** The fitness of each position `ask` gave (higher is better; null: the evaluation failed), then one move of the swarm. */
  tell(fitness: readonly (number | null)[]): void {
    if (this.told) throw new Error('ParticleSwarm.tell: call ask() first');
    if (fitness.length !== this.particles) throw new Error(`ParticleSwarm.tell: expected ${this.particles} fitness values, got ${fitness.length}`);
    this.told = true;
    fitness.forEach((value, i) => {
      if (value === null || !Number.isFinite(value)) return;
      const candidate = { position: [...this.positions[i]], fitness: value };
      if (!this.personalBest[i] || value > this.personalBest[i]!.fitness) this.personalBest[i] = candidate;
      if (!this.swarmBest || value > this.swarmBest.fitness) this.swarmBest = candidate;
    });
    for (let i = 0; i < this.particles; i++) {
      const x = this.positions[i];
      const v = this.velocities[i];
      const own = this.personalBest[i]?.position;
      const swarm = this.swarmBest?.position;
      for (let d = 0; d < this.dimensions; d++) {
        const cognitive = own ? ACCELERATION * this.rng.uniform() * (own[d] - x[d]) : 0;
        const social = swarm ? ACCELERATION * this.rng.uniform() * (swarm[d] - x[d]) : 0;
        v[d] = CHI * (v[d] + cognitive + social);
        x[d] += v[d];
        if (x[d] < 0 || x[d] > 1) {
          x[d] = x[d] < 0 ? 0 : 1;
          v[d] = 0;
        }
      }
    }
  }

  /** The best position told so far, or null before any evaluation succeeded. */
  get best(): Candidate | null {
    return this.swarmBest && { position: [...this.swarmBest.position], fitness: this.swarmBest.fitness };
  }
}
