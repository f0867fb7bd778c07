/**
 * One environment interface, with Gymnasium 1.x's meanings:
 * - `reset({seed, options})` returns `{obs, info}`; a seed reseeds the env's
 *   random stream, no seed continues it.
 * - `step(action)` returns `{obs, reward, terminated, truncated, info}`:
 *   `terminated` is an end of the MDP (no bootstrap), `truncated` a time limit
 *   or other cut (bootstrap from `obs`).
 * - Spaces are `Box`, `Discrete` and `Dict`. Box values are `NdArray`s of the
 *   space's dtype and shape; Discrete values are integers; Dict values are records.
 *
 * Every method is async so that in-process and remote envs share one interface.
 * Nothing here assumes continuous actions.
 */
import type { DType, NdArray } from '../common/ndarray.ts';
import { sizeOf, zeros } from '../common/ndarray.ts';
import type { Random } from '../common/random.ts';

export type Info = Record<string, unknown>;

export class Box {
  readonly kind = 'box' as const;
  readonly low: Float64Array;
  readonly high: Float64Array;
  readonly shape: number[];
  readonly dtype: DType;

  /** Bounds are a scalar for every element or one value per element. */
  constructor(low: number | ArrayLike<number>, high: number | ArrayLike<number>, shape: readonly number[], dtype: DType = 'float32') {
    this.shape = [...shape];
    this.dtype = dtype;
    const size = sizeOf(shape);
    const expand = (bound: number | ArrayLike<number>, name: string): Float64Array => {
      if (typeof bound === 'number') return new Float64Array(size).fill(bound);
      if (bound.length !== size) throw new Error(`Box: ${name} has ${bound.length} values, shape [${shape}] needs ${size}`);
      return Float64Array.from(bound);
    };
    this.low = expand(low, 'low');
    this.high = expand(high, 'high');
    for (let i = 0; i < size; i++) {
      if (!(this.low[i] <= this.high[i])) throw new Error(`Box: low[${i}]=${this.low[i]} exceeds high[${i}]=${this.high[i]}`);
    }
  }

  get size(): number {
    return this.low.length;
  }

  /** Why `value` is not in this space, or null if it is. */
  check(value: unknown): string | null {
    const array = value as NdArray;
    if (!array || typeof array !== 'object' || !('data' in array) || !('shape' in array)) return 'expected an NdArray';
    if (array.dtype !== this.dtype) return `expected dtype ${this.dtype}, got ${array.dtype}`;
    if (array.shape.length !== this.shape.length || array.shape.some((d, i) => d !== this.shape[i])) {
      return `expected shape [${this.shape}], got [${array.shape}]`;
    }
    for (let i = 0; i < this.size; i++) {
      const x = Number(array.data[i]);
      if (!(x >= this.low[i] && x <= this.high[i])) return `element ${i} = ${x} is outside [${this.low[i]}, ${this.high[i]}]`;
    }
    return null;
  }

  contains(value: unknown): boolean {
    return this.check(value) === null;
  }

  /** Uniform within finite bounds; a normal draw where a bound is infinite. */
  sample(rng: Random): NdArray {
    const out = zeros(this.dtype, this.shape);
    const integer = this.dtype !== 'float32' && this.dtype !== 'float64';
    for (let i = 0; i < this.size; i++) {
      const low = this.low[i];
      const high = this.high[i];
      let x: number;
      if (Number.isFinite(low) && Number.isFinite(high)) x = integer ? rng.int(low, high + 1) : rng.uniform(low, high);
      else if (Number.isFinite(low)) x = low - Math.log(1 - rng.uniform());
      else if (Number.isFinite(high)) x = high + Math.log(1 - rng.uniform());
      else x = rng.normal();
      out.data[i] = x;
    }
    return out;
  }

  toString(): string {
    const bound = (b: Float64Array) => (b.every((x) => x === b[0]) ? String(b[0]) : `[${Array.from(b).join(', ')}]`);
    return `Box(${bound(this.low)}, ${bound(this.high)}, [${this.shape}], ${this.dtype})`;
  }
}

export class Discrete {
  readonly kind = 'discrete' as const;
  constructor(
    readonly n: number,
    readonly start = 0,
  ) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`Discrete: n must be a positive integer, got ${n}`);
    if (!Number.isInteger(start)) throw new Error(`Discrete: start must be an integer, got ${start}`);
  }

  check(value: unknown): string | null {
    if (typeof value !== 'number' || !Number.isInteger(value)) return `expected an integer, got ${String(value)}`;
    if (value < this.start || value >= this.start + this.n) return `${value} is outside [${this.start}, ${this.start + this.n})`;
    return null;
  }

  contains(value: unknown): boolean {
    return this.check(value) === null;
  }

  sample(rng: Random): number {
    return this.start + rng.int(this.n);
  }

  toString(): string {
    return this.start === 0 ? `Discrete(${this.n})` : `Discrete(${this.n}, start=${this.start})`;
  }
}

export class Dict {
  readonly kind = 'dict' as const;
  constructor(readonly spaces: Record<string, Space>) {}

  check(value: unknown): string | null {
    if (!value || typeof value !== 'object') return 'expected a record';
    for (const [key, space] of Object.entries(this.spaces)) {
      if (!(key in (value as object))) return `missing key "${key}"`;
      const problem = space.check((value as Record<string, unknown>)[key]);
      if (problem) return `${key}: ${problem}`;
    }
    return null;
  }

  contains(value: unknown): boolean {
    return this.check(value) === null;
  }

  sample(rng: Random): Record<string, unknown> {
    return Object.fromEntries(Object.entries(this.spaces).map(([key, space]) => [key, space.sample(rng)]));
  }

  toString(): string {
    return `Dict(${Object.entries(this.spaces)
      .map(([key, space]) => `${key}: ${space}`)
      .join(', ')})`;
  }
}

export type Space = Box | Discrete | Dict;

export interface ResetOptions {
  seed?: number;
  options?: Record<string, unknown>;
}

export interface ResetResult<Obs> {
  obs: Obs;
  info: Info;
}

export interface StepResult<Obs> {
  obs: Obs;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: Info;
}

export interface EnvMetadata {
  /** Frames per second of a rendered episode (for videos). */
  renderFps?: number;
  [key: string]: unknown;
}

export interface Env<Obs = unknown, Act = unknown> {
  readonly observationSpace: Space;
  readonly actionSpace: Space;
  readonly metadata: EnvMetadata;
  reset(options?: ResetOptions): Promise<ResetResult<Obs>>;
  step(action: Act): Promise<StepResult<Obs>>;
  /** An RGB frame (H, W, 3) uint8 of the current state, where the env can render. */
  render?(): Promise<NdArray<'uint8'>>;
  close(): Promise<void>;
}

/**
 * `next-step` (Gymnasium 1.x default): the step after an episode ended returns
 * the reset observation with reward 0 and ignores the action.
 * `same-step`: the step that ends an episode returns the reset observation, and
 * the final observation sits in `infos[i].final_obs` (with `final_info`).
 */
export type AutoresetMode = 'next-step' | 'same-step';

export interface VectorResetOptions {
  seed?: number | number[];
  options?: Record<string, unknown>;
}

export interface VectorStepResult<Obs> {
  /** Observations of all copies, batched along a new leading axis. */
  obs: Obs;
  rewards: Float64Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  infos: Info[];
}

export interface VectorEnv<Obs = unknown, Act = unknown> {
  readonly numEnvs: number;
  readonly autoresetMode: AutoresetMode;
  readonly singleObservationSpace: Space;
  readonly singleActionSpace: Space;
  readonly metadata: EnvMetadata;
  reset(options?: VectorResetOptions): Promise<{ obs: Obs; infos: Info[] }>;
  step(actions: Act): Promise<VectorStepResult<Obs>>;
  close(): Promise<void>;
}

/** Throws a clear error naming the env when `action` is not in its action space. */
export function checkAction(env: { actionSpace: Space }, action: unknown, envName: string): void {
  const problem = env.actionSpace.check(action);
  if (problem) throw new Error(`${envName}: action not in ${env.actionSpace}: ${problem}`);
}
