/**
 * A Control Suite task as a Gymnasium-style `Env`, with dm_control's
 * `control.Environment` semantics:
 * - a control step applies the action, then takes round(controlTimestep /
 *   physics timestep) physics steps;
 * - the episode ends by truncation when timeLimit / (physics timestep x
 *   substeps) control steps have run (1000 for every benchmark task), never by
 *   termination (dm_control's discount stays 1); `step` after that needs a `reset`;
 * - `reset({seed})` reseeds the task's random stream (initial states, target
 *   positions); a reset without a seed continues the stream.
 *
 * Observations: by default dm_control's observation dict flattened in its key
 * order into a float32 Box, with the dict itself (float64) in `info.observation`;
 * `{observation: 'dict'}` returns the dict as the observation (a `Dict` space).
 * Actions: a float32 Box from the actuators' control ranges.
 * `render()` draws camera `camera` (default 0, what dm_control's agents see)
 * through the project's renderer (envs/dmc/render), created at the first frame;
 * `appearance` draws a DMControl-GB appearance (colours, video background) per
 * episode from a stream forked off the task's seed, so it never shifts the
 * task's draws.
 */
import { randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { NdArray } from '../../common/ndarray.ts';
import { ndarray } from '../../common/ndarray.ts';
import { Random } from '../../common/random.ts';
import { InputError } from '../../common/errors.ts';
import { Box, Dict, type Env, type EnvMetadata, type ResetOptions, type ResetResult, type StepResult } from '../core.ts';
import { APPEARANCE_MODES, drawAppearance, type Appearance, type AppearanceMode } from './appearance.ts';
import { Physics } from './physics.ts';
import { createRenderer, resolveCamera, type Renderer } from './render/renderer.ts';
import { flattenObservation, type Task } from './task.ts';

export const MODELS_FOLDER = fileURLToPath(new URL('./models/', import.meta.url));

export interface DmcEnvOptions {
  /** 'flat' (default): a float32 vector; 'dict': dm_control's observation dict. */
  observation?: 'flat' | 'dict';
  /** Rendered frame size in pixels; default 84 x 84. */
  width?: number;
  height?: number;
  /** Camera index or name for `render()`; default 0. */
  camera?: number | string;
  /** DMControl-GB appearance mode drawn per episode (color_easy, color_hard, video_easy, video_hard). */
  appearance?: string;
  /** A folder of frames for the video appearance modes. */
  appearanceFolder?: string;
  /** Overrides the task's time limit, in seconds (Infinity for endless episodes). */
  timeLimit?: number;
  /** Loads the model from this file instead of envs/dmc/models/<task.modelFile>. */
  modelPath?: string;
}

export type DmcObservation = NdArray<'float32'> | Record<string, NdArray<'float64'>>;

/** Physics steps per control step (dm_control's `compute_n_steps`, same tolerance). */
export function substepsPerControlStep(controlTimestep: number, physicsTimestep: number, what: string): number {
  const ratio = controlTimestep / physicsTimestep;
  const steps = Math.round(ratio);
  if (!(controlTimestep >= physicsTimestep) || Math.abs(ratio - steps) > 1e-8) {
    throw new Error(`${what}: control timestep ${controlTimestep} s is not a positive multiple of the physics timestep ${physicsTimestep} s`);
  }
  return steps;
}

function positiveInteger(value: number, key: string): number {
  if (!Number.isInteger(value) || value < 1) throw new InputError(`DmcEnv: ${key} must be a positive integer, got ${value}`);
  return value;
}

export class DmcEnv implements Env<DmcObservation, NdArray<'float32'> | ArrayLike<number>> {
  readonly observationSpace: Box | Dict;
  readonly actionSpace: Box;
  readonly metadata: EnvMetadata;
  /** Physics steps per control step. */
  readonly substeps: number;
  /** Control steps per episode (may be fractional or infinite, as in dm_control). */
  readonly stepLimit: number;
  readonly id: string;

  private rng: Random;
  private appearanceRng: Random;
  private stepCount = 0;
  private needsReset = true;
  private closed = false;
  private renderer: Renderer | null = null;
  private appearance: Appearance | null = null;
  private readonly observationKeys: { key: string; size: number }[];

  private constructor(
    readonly task: Task,
    readonly physics: Physics,
    readonly options: DmcEnvOptions,
  ) {
    this.id = `${task.domain}-${task.name}`;
    const seed = randomInt(2 ** 31);
    this.rng = Random.derive(seed, `dmc/${this.id}`);
    this.appearanceRng = this.rng.fork('appearance');
    this.substeps = substepsPerControlStep(task.controlTimestep, physics.timestep, this.id);
    const timeLimit = options.timeLimit ?? task.timeLimit;
    if (!(timeLimit > 0)) throw new InputError(`DmcEnv ${this.id}: timeLimit must be positive seconds, got ${timeLimit}`);
    // dm_control divides by the physics time of a control step, not by the nominal control timestep.
    this.stepLimit = timeLimit / (physics.timestep * this.substeps);
    const { low, high } = physics.actuatorCtrlRange();
    this.actionSpace = new Box(low, high, [physics.model.nu], 'float32');
    // One observation at qpos0 fixes the keys and sizes.
    const sample = task.getObservation(physics);
    this.observationKeys = Object.entries(sample).map(([key, value]) => ({ key, size: value.length }));
    if (options.observation === 'dict') {
      this.observationSpace = new Dict(
        Object.fromEntries(this.observationKeys.map(({ key, size }) => [key, new Box(-Infinity, Infinity, [size], 'float64')])),
      );
    } else {
      const size = this.observationKeys.reduce((sum, { size: n }) => sum + n, 0);
      this.observationSpace = new Box(-Infinity, Infinity, [size], 'float32');
    }
    this.metadata = { renderFps: Math.round(1 / task.controlTimestep), controlTimestep: task.controlTimestep };
  }

  /** Loads the task's model and wraps it; `close()` frees the physics. */
  static async create(task: Task, options: DmcEnvOptions = {}): Promise<DmcEnv> {
    if (options.observation !== undefined && options.observation !== 'flat' && options.observation !== 'dict') {
      throw new InputError(`DmcEnv: observation must be 'flat' or 'dict', got ${JSON.stringify(options.observation)}`);
    }
    if (options.appearance !== undefined && !(APPEARANCE_MODES as readonly string[]).includes(options.appearance)) {
      throw new InputError(`DmcEnv: appearance must be one of ${APPEARANCE_MODES.join(', ')}, got ${JSON.stringify(options.appearance)}`);
    }
    if (options.width !== undefined) positiveInteger(options.width, 'width');
    if (options.height !== undefined) positiveInteger(options.height, 'height');
    const physics = await Physics.fromFile(options.modelPath ?? MODELS_FOLDER + task.modelFile);
    try {
      // The renderer comes at the first frame (see render); a camera the model lacks is refused now, before any work.
      resolveCamera(physics.model, options.camera);
      return new DmcEnv(task, physics, options);
    } catch (error) {
      physics.delete();
      throw error;
    }
  }

  async reset(options: ResetOptions = {}): Promise<ResetResult<DmcObservation>> {
    this.assertOpen();
    if (options.seed !== undefined) {
      if (!Number.isInteger(options.seed)) throw new Error(`DmcEnv ${this.id}: reset seed must be an integer, got ${options.seed}`);
      this.rng = Random.derive(options.seed, `dmc/${this.id}`);
      this.appearanceRng = this.rng.fork('appearance');
    }
    const { physics, task } = this;
    // dm_control's reset_context: reset, let the task set the state, forward without actuation.
    physics.reset();
    task.initializeEpisode(physics, this.rng);
    physics.afterReset();
    this.stepCount = 0;
    this.needsReset = false;
    if (this.options.appearance) this.drawAppearance();
    const observation = task.getObservation(physics);
    return { obs: this.encode(observation), info: this.info(observation, null) };
  }

  async step(action: NdArray<'float32'> | ArrayLike<number>): Promise<StepResult<DmcObservation>> {
    this.assertOpen();
    if (this.needsReset) throw new Error(`DmcEnv ${this.id}: call reset() before step() (at the start and after an episode ends)`);
    const values = this.checkedAction(action);
    const { physics, task } = this;
    if (task.beforeStep) task.beforeStep(values, physics);
    else physics.setControl(values);
    physics.step(this.substeps);
    task.afterStep?.(physics);
    const reward = task.getReward(physics);
    const observation = task.getObservation(physics);
    this.stepCount += 1;
    const truncated = this.stepCount >= this.stepLimit;
    if (truncated) this.needsReset = true;
    return { obs: this.encode(observation), reward, terminated: false, truncated, info: this.info(observation, 1) };
  }

  /** An RGB frame [height, width, 3] of the current state from the configured camera. */
  async render(): Promise<NdArray<'uint8'>> {
    this.assertOpen();
    if (!this.renderer) {
      // Created at the first frame, after a reset: the renderer reads the model's
      // constants once, and tasks set some (reacher's target size) at reset.
      this.renderer = createRenderer(this.physics.model, {
        width: this.options.width ?? 84,
        height: this.options.height ?? 84,
        camera: this.options.camera ?? 0,
      });
      if (this.appearance) this.renderer.setAppearance(this.appearance);
    }
    return this.renderer.render(this.physics.data);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.renderer?.close();
    this.renderer = null;
    this.physics.delete();
  }

  /** Control steps taken in the current episode. */
  get elapsedSteps(): number {
    return this.stepCount;
  }

  /** The appearance drawn for the current episode (null without an `appearance` option). */
  get currentAppearance(): Appearance | null {
    return this.appearance;
  }

  /** One DMControl-GB appearance per episode, from the appearance stream (separate from the task's). */
  private drawAppearance(): void {
    this.appearance = drawAppearance(this.options.appearance as AppearanceMode, this.appearanceRng, { videoFolder: this.options.appearanceFolder });
    this.renderer?.setAppearance(this.appearance);
  }

  private checkedAction(action: NdArray<'float32'> | ArrayLike<number>): ArrayLike<number> {
    const values: ArrayLike<number> = action && typeof action === 'object' && 'data' in action && 'shape' in action ? (action.data as Float32Array) : (action as ArrayLike<number>);
    const size = this.actionSpace.size;
    if (!values || typeof values.length !== 'number' || values.length !== size) {
      throw new Error(`DmcEnv ${this.id}: action must hold ${size} numbers (one per actuator), got ${values?.length ?? String(action)}`);
    }
    for (let i = 0; i < size; i++) {
      const x = Number(values[i]);
      if (!(x >= this.actionSpace.low[i] && x <= this.actionSpace.high[i])) {
        throw new Error(`DmcEnv ${this.id}: action[${i}] = ${x} is outside [${this.actionSpace.low[i]}, ${this.actionSpace.high[i]}]`);
      }
    }
    return values;
  }

  private encode(observation: Record<string, Float64Array>): DmcObservation {
    if (this.options.observation === 'dict') {
      return Object.fromEntries(Object.entries(observation).map(([key, value]) => [key, ndarray('float64', [value.length], value)]));
    }
    const flat = flattenObservation(observation);
    return ndarray('float32', [flat.length], Float32Array.from(flat));
  }

  private info(observation: Record<string, Float64Array>, discount: number | null): Record<string, unknown> {
    return { observation, discount, time: this.physics.time, steps: this.stepCount };
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`DmcEnv ${this.id}: the env is closed`);
  }
}
