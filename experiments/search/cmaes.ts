/**
 * CMA-ES over the unit cube [0, 1]^D, maximising, with the swarm's ask/tell
 * interface (pso.ts): the (mu/mu_w, lambda)-CMA-ES of Hansen's tutorial ("The
 * CMA Evolution Strategy: A Tutorial", 2016), with its default weights and
 * learning rates, rank-one and rank-mu covariance updates and cumulative
 * step-size adaptation. The mean starts at the cube's centre with step size
 * 0.3. A sample leaving the cube is evaluated, and used in the update, at its
 * nearest point of the cube (clipping). The covariance's eigendecomposition
 * (mathjs `eigs`) gives the sampling transform and C^-1/2.
 */
import { eigs } from 'mathjs';
import type { Random } from '../../common/random.ts';
import type { Candidate } from './pso.ts';

const INITIAL_STEP = 0.3;

export class CmaEs {
  private readonly mu: number;
  private readonly weights: number[];
  private readonly muEff: number;
  private readonly cc: number;
  private readonly cs: number;
  private readonly c1: number;
  private readonly cmu: number;
  private readonly damps: number;
  /** E||N(0, I)||. */
  private readonly chiN: number;
  private mean: number[];
  private sigma = INITIAL_STEP;
  private pc: number[];
  private ps: number[];
  private covariance: number[][];
  /** Eigenvectors of the covariance (columns) and the square roots of its eigenvalues. */
  private basis: number[][];
  private scales: number[];
  private generation = 0;
  private asked: number[][] | null = null;
  private swarmBest: Candidate | null = null;

  constructor(
    readonly dimensions: number,
    /** Samples per generation (lambda). */
    readonly particles: number,
    private readonly rng: Random,
  ) {
    if (!Number.isInteger(dimensions) || dimensions < 1) throw new Error(`CmaEs: dimensions must be an integer >= 1, got ${dimensions}`);
    if (!Number.isInteger(particles) || particles < 2) throw new Error(`CmaEs: particles (lambda) must be an integer >= 2, got ${particles}`);
    const n = dimensions;
    this.mu = Math.floor(particles / 2);
    const raw = Array.from({ length: this.mu }, (_, i) => Math.log(this.mu + 0.5) - Math.log(i + 1));
    const total = raw.reduce((a, b) => a + b, 0);
    this.weights = raw.map((w) => w / total);
    this.muEff = 1 / this.weights.reduce((sum, w) => sum + w * w, 0);
    this.cc = (4 + this.muEff / n) / (n + 4 + (2 * this.muEff) / n);
    this.cs = (this.muEff + 2) / (n + this.muEff + 5);
    this.c1 = 2 / ((n + 1.3) ** 2 + this.muEff);
    this.cmu = Math.min(1 - this.c1, (2 * (this.muEff - 2 + 1 / this.muEff)) / ((n + 2) ** 2 + this.muEff));
    this.damps = 1 + 2 * Math.max(0, Math.sqrt((this.muEff - 1) / (n + 1)) - 1) + this.cs;
    this.chiN = Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
    this.mean = new Array(n).fill(0.5);
    this.pc = new Array(n).fill(0);
    this.ps = new Array(n).fill(0);
    this.covariance = identity(n);
    this.basis = identity(n);
    this.scales = new Array(n).fill(1);
  }

  /** This generation's samples, each inside the cube. */
  ask(): number[][] {
    const n = this.dimensions;
    this.asked = Array.from({ length: this.particles }, () => {
      const z = Array.from({ length: n }, () => this.rng.normal());
      return Array.from({ length: n }, (_, i) => {
        let y = 0;
        for (let j = 0; j < n; j++) y += this.basis[i][j] * this.scales[j] * z[j];
        return Math.min(1, Math.max(0, this.mean[i] + this.sigma * y));
      });
    });
    return this.asked.map((x) => [...x]);
  }

  /** The fitness of each sample `ask` gave (higher is better; null: the evaluation failed, ranked last), then one generation's update. */
  tell(fitness: readonly (number | null)[]): void {
    const samples = this.asked;
    if (samples === null) throw new Error('CmaEs.tell: call ask() first');
    if (fitness.length !== this.particles) throw new Error(`CmaEs.tell: expected ${this.particles} fitness values, got ${fitness.length}`);
    this.asked = null;
    const score = (i: number) => (fitness[i] !== null && Number.isFinite(fitness[i]) ? (fitness[i] as number) : -Infinity);
    fitness.forEach((_, i) => {
      if (score(i) > -Infinity && (!this.swarmBest || score(i) > this.swarmBest.fitness)) this.swarmBest = { position: [...samples[i]], fitness: score(i) };
    });
    // Stable order: among equal scores, the earlier sample first.
    const ranked = samples.map((_, i) => i).sort((a, b) => score(b) - score(a) || a - b).slice(0, this.mu);
    const n = this.dimensions;
    const old = this.mean;
    const steps = ranked.map((i) => samples[i].map((x, d) => (x - old[d]) / this.sigma));
    const yw = new Array(n).fill(0);
    steps.forEach((y, k) => y.forEach((value, d) => (yw[d] += this.weights[k] * value)));
    this.mean = old.map((m, d) => m + this.sigma * yw[d]);
    // C^-1/2 y_w = B D^-1 B^T y_w.
    const projected = this.basis[0].map((_, j) => this.basis.reduce((sum, row, i) => sum + row[j] * yw[i], 0) / this.scales[j]);
    const whitened = this.basis.map((row) => row.reduce((sum, b, j) => sum + b * projected[j], 0));
    const csFactor = Math.sqrt(this.cs * (2 - this.cs) * this.muEff);
    this.ps = this.ps.map((p, d) => (1 - this.cs) * p + csFactor * whitened[d]);
    this.generation++;
    const psNorm = Math.hypot(...this.ps);
    const hsig = psNorm / Math.sqrt(1 - (1 - this.cs) ** (2 * this.generation)) < (1.4 + 2 / (n + 1)) * this.chiN ? 1 : 0;
    const ccFactor = Math.sqrt(this.cc * (2 - this.cc) * this.muEff);
    this.pc = this.pc.map((p, d) => (1 - this.cc) * p + hsig * ccFactor * yw[d]);
    const keep = 1 - this.c1 - this.cmu + (1 - hsig) * this.c1 * this.cc * (2 - this.cc);
    this.covariance = this.covariance.map((row, i) =>
      row.map((c, j) => keep * c + this.c1 * this.pc[i] * this.pc[j] + this.cmu * steps.reduce((sum, y, k) => sum + this.weights[k] * y[i] * y[j], 0)),
    );
    this.sigma *= Math.exp((this.cs / this.damps) * (psNorm / this.chiN - 1));
    this.decompose();
  }

  /** The best sample told so far, or null before any evaluation succeeded. */
  get best(): Candidate | null {
    return this.swarmBest && { position: [...this.swarmBest.position], fitness: this.swarmBest.fitness };
  }

  private decompose(): void {
    const n = this.dimensions;
    // Symmetric by construction; rounding is evened out before the decomposition.
    const symmetric = this.covariance.map((row, i) => row.map((c, j) => (c + this.covariance[j][i]) / 2));
    const { eigenvectors } = eigs(symmetric);
    this.basis = Array.from({ length: n }, (_, i) => eigenvectors.map((pair) => Number((pair.vector as number[])[i])));
    this.scales = eigenvectors.map((pair) => Math.sqrt(Math.max(Number(pair.value), 1e-20)));
  }
}

function identity(n: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
}
