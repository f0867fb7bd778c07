/**
 * A Control Suite task: what dm_control's `suite.base.Task` subclasses define
 * (initial-state distribution, observation dict, reward) plus what `suite.load`
 * passes to `control.Environment` (model file, control timestep, time limit).
 *
 * Each domain file `envs/dmc/tasks/<domain>.ts` exports
 * `tasks: Record<string, () => Task>`, e.g. cartpole's
 * `{balance, balance_sparse, swingup, swingup_sparse}`; a factory returns a fresh
 * task (tasks may keep per-episode state).
 *
 * Order of calls by `DmcEnv` (as in dm_control's `control.Environment`):
 * reset: `physics.reset()`, `initializeEpisode(physics, rng)`, `physics.afterReset()`,
 *        `getObservation`.
 * step:  `beforeStep(action, physics)` (default: set the controls), `physics.step(n)`,
 *        `afterStep?`, `getReward`, `getObservation`.
 */
import type { Random } from '../../common/random.ts';
import type { Physics } from './physics.ts';

export interface Task {
  /** Domain name as in dm_control, e.g. 'cartpole'. */
  readonly domain: string;
  /** Task name as in dm_control, e.g. 'swingup_sparse'. */
  readonly name: string;
  /** MJCF file, relative to envs/dmc/models/, e.g. 'cartpole.xml'. */
  readonly modelFile: string;
  /** Seconds between agent actions; the env takes round(controlTimestep / physics timestep) substeps. */
  readonly controlTimestep: number;
  /** Seconds per episode; the episode is truncated (never terminated) when reached. */
  readonly timeLimit: number;
  /**
   * Sets the initial state inside dm_control's `reset_context`: `physics.reset()`
   * has run before, `physics.afterReset()` (a forward pass) runs after.
   * Every random draw comes from `rng`.
   */
  initializeEpisode(physics: Physics, rng: Random): void;
  /** The observation dict, keys in dm_control's order. Values are copies. */
  getObservation(physics: Physics): Record<string, Float64Array>;
  /** Reward for the current state, in [0, 1] for every suite task. */
  getReward(physics: Physics): number;
  /** Applies the action; default `physics.setControl(action)`. */
  beforeStep?(action: ArrayLike<number>, physics: Physics): void;
  /** Runs after the physics step, before reward and observation. */
  afterStep?(physics: Physics): void;
}

export type TaskFactory = () => Task;

/** dm_control's `flatten_observation`: the dict's values concatenated in key (insertion) order. */
export function flattenObservation(observation: Record<string, Float64Array>): Float64Array {
  let size = 0;
  for (const value of Object.values(observation)) size += value.length;
  const flat = new Float64Array(size);
  let offset = 0;
  for (const value of Object.values(observation)) {
    flat.set(value, offset);
    offset += value.length;
  }
  return flat;
}

/** A Float64Array of the given numbers, for building observation dicts. */
export function vector(...values: number[]): Float64Array {
  return Float64Array.from(values);
}

/** Euclidean distance between two 3-vectors (dm_control's `np.linalg.norm(a - b)`). */
export function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return Math.sqrt(sum);
}
