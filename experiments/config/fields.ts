/**
 * Every key of a run config, with its type, bounds, default and one doc line.
 * This table is the single source: the zod schema, the `rad train` flags and
 * their help text are all generated from it, so a key can never exist in one
 * place and not another.
 *
 * Step accounting is explicit: every budget key counts ENV steps (simulator
 * steps); the agent acts once per `action_repeat` env steps, so
 * env_step = agent_step * action_repeat.
 */

export type FieldType = 'int' | 'number' | 'string' | 'boolean' | 'enum';

export interface FieldSpec {
  type: FieldType;
  doc: string;
  default: number | string | boolean;
  /** Allowed values of an enum. */
  values?: readonly string[];
  /** Inclusive bounds of a number. */
  min?: number;
  max?: number;
  /** Exclusive lower bound (for learning rates and the like). */
  positive?: boolean;
  group: 'run' | 'env' | 'budget' | 'output' | 'agent';
}

export const algorithms = ['rad', 'curl', 'drq', 'sac'] as const;
export const backends = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;

export const fields = {
  // --- run ---
  env: { type: 'string', group: 'run', default: 'dmc:cartpole-swingup', doc: 'environment id, e.g. dmc:cartpole-swingup or remote:tcp://host:port/dm_control/walker-walk (see `rad envs`)' },
  algo: { type: 'enum', group: 'run', values: algorithms, default: 'rad', doc: 'agent: rad (SAC + augmentation), curl (SAC + CURL loss), drq (SAC + shift, K/M averaging), sac (no augmentation)' },
  seed: { type: 'int', group: 'run', min: 0, max: 2 ** 31 - 1, default: 1, doc: 'run seed; derives every random stream (env, init, augment, replay, act)' },
  backend: { type: 'enum', group: 'run', values: backends, default: 'auto', doc: 'tfjs backend: auto picks tensorflow > wasm > cpu (RAD_BACKEND also sets it)' },
  threads: { type: 'int', group: 'run', min: 0, max: 256, default: 0, doc: 'compute threads for the backend; 0 = the backend default' },

  // --- env ---
  from: { type: 'enum', group: 'env', values: ['pixels', 'states'], default: 'pixels', doc: 'observations: stacked RGB frames or the state vector' },
  render_size: { type: 'int', group: 'env', min: 8, max: 1024, default: 100, doc: 'rendered frame size in pixels (RAD/CURL render 100, then crop to image_size)' },
  image_size: { type: 'int', group: 'env', min: 8, max: 1024, default: 84, doc: 'frame size the encoder sees: crop cuts the render to it (RAD: 100 -> 84), translate places the render in a canvas of it (RAD: 100 in 108); without either it must equal render_size' },
  frame_stack: { type: 'int', group: 'env', min: 1, max: 16, default: 3, doc: 'number of consecutive frames stacked into one observation' },
  action_repeat: { type: 'int', group: 'env', min: 1, max: 100, default: 4, doc: 'env steps per agent action (PlaNet benchmark: 8 cartpole, 2 finger and walker, 4 the rest)' },
  camera: { type: 'int', group: 'env', min: -1, max: 64, default: 0, doc: "camera index to render (dm_control renders camera 0; -1: MuJoCo's free camera)" },
  appearance: { type: 'string', group: 'env', default: 'default', doc: 'training appearance: default, or a DMControl-GB mode such as color_easy, color_hard, video_easy, video_hard' },

  // --- budget (all in env steps) ---
  env_steps: { type: 'int', group: 'budget', min: 1, default: 500_000, doc: 'training budget in env steps' },
  init_steps: { type: 'int', group: 'budget', min: 0, default: 1000, doc: 'env steps of uniformly random actions before the agent acts and learns' },
  eval_every: { type: 'int', group: 'budget', min: 1, default: 10_000, doc: 'env steps between evaluations' },
  eval_episodes: { type: 'int', group: 'budget', min: 1, max: 1000, default: 10, doc: 'episodes per evaluation (centre crop; actions as eval_policy says)' },
  eval_policy: { type: 'enum', group: 'budget', values: ['deterministic', 'stochastic'], default: 'deterministic', doc: "evaluation actions: the policy's mean (a Discrete's most likely action), or sampled from the policy, as ProcGen's PPO evaluations act (from the evaluation's own stream: training is not disturbed)" },
  checkpoint_every: { type: 'int', group: 'budget', min: 0, default: 10_000, doc: 'env steps between checkpoints, taken at the next episode end (0: only at the end of the run)' },
  log_every: { type: 'int', group: 'budget', min: 1, default: 1000, doc: 'env steps between rows of train.csv (metrics averaged over the interval)' },

  // --- output ---
  runs_dir: { type: 'string', group: 'output', default: 'runs', doc: 'folder that holds run directories' },
  run_name: { type: 'string', group: 'output', default: '', doc: 'run directory name; empty = <env>__<preset>__<seed>__<time>' },
  checkpoint_replay: { type: 'boolean', group: 'output', default: true, doc: 'store the replay buffer in checkpoints (needed for an exact resume)' },
  video: { type: 'boolean', group: 'output', default: false, doc: 'record the first episode of each evaluation as a video' },
  video_format: { type: 'enum', group: 'output', values: ['gif', 'mp4'], default: 'gif', doc: 'video container: gif (built in) or mp4 (needs ffmpeg on PATH)' },
  plot: { type: 'boolean', group: 'output', default: true, doc: 'refresh plot.png and plot.svg in the run directory at each evaluation' },
  tensorboard: { type: 'boolean', group: 'output', default: true, doc: 'write TensorBoard event files (scalars; eval frames as images)' },

  // --- agent: SAC as RAD/CURL publish it ---
  batch_size: { type: 'int', group: 'agent', min: 1, max: 65536, default: 128, doc: 'transitions per update' },
  lr: { type: 'number', group: 'agent', positive: true, max: 1, default: 1e-3, doc: 'Adam learning rate of actor, critic and encoder (2e-4 for cheetah in RAD/CURL)' },
  alpha_lr: { type: 'number', group: 'agent', positive: true, max: 1, default: 1e-4, doc: 'Adam learning rate of the entropy temperature alpha' },
  alpha_beta1: { type: 'number', group: 'agent', min: 0, max: 0.999999, default: 0.5, doc: "Adam beta1 of alpha's optimizer" },
  init_temperature: { type: 'number', group: 'agent', positive: true, default: 0.1, doc: 'initial entropy temperature alpha' },
  discount: { type: 'number', group: 'agent', min: 0, max: 1, default: 0.99, doc: 'discount gamma' },
  n_step: { type: 'int', group: 'agent', min: 1, max: 100, default: 1, doc: "transitions per return in the critic's target: sum of n discounted rewards, then gamma^n times the bootstrapped value (DrQ-v2: 3; Rainbow: 3; 1: SAC's one-step target)" },
  critic_tau: { type: 'number', group: 'agent', min: 0, max: 1, default: 0.01, doc: 'EMA rate tau of the target Q heads' },
  encoder_tau: { type: 'number', group: 'agent', min: 0, max: 1, default: 0.05, doc: 'EMA rate tau of the target encoder' },
  actor_update_every: { type: 'int', group: 'agent', min: 1, default: 2, doc: 'agent steps between actor and alpha updates' },
  target_update_every: { type: 'int', group: 'agent', min: 1, default: 2, doc: 'agent steps between target network updates' },
  hidden_dim: { type: 'int', group: 'agent', min: 1, default: 1024, doc: 'units of each hidden layer of the actor and critic MLPs' },
  feature_dim: { type: 'int', group: 'agent', min: 1, default: 50, doc: "encoder output size (the latent that actor and critic read)" },
  num_filters: { type: 'int', group: 'agent', min: 1, default: 32, doc: 'filters of each encoder conv layer' },
  replay_capacity: { type: 'int', group: 'agent', min: 1, default: 100_000, doc: 'transitions kept in the replay buffer' },
  updates_per_step: { type: 'int', group: 'agent', min: 0, max: 100, default: 1, doc: 'gradient updates per agent step once init_steps have passed' },
  aug: { type: 'string', group: 'agent', default: 'crop', doc: "augmentation spec applied to replay batches, e.g. crop, translate, crop-cutout, shift, or 'none'" },
  aux: { type: 'string', group: 'agent', default: 'none', doc: "self-supervised auxiliary losses joined by '-': curl, byol, rotation, inverse, forward (e.g. curl-rotation), or none; algo curl always has curl" },
  curl_weight: { type: 'number', group: 'agent', min: 0, default: 1, doc: 'weight of the CURL contrastive loss (algo curl, or aux with curl)' },
  byol_weight: { type: 'number', group: 'agent', min: 0, default: 1, doc: 'weight of the BYOL loss (aux with byol)' },
  rotation_weight: { type: 'number', group: 'agent', min: 0, default: 1, doc: 'weight of the rotation prediction loss (aux with rotation)' },
  inverse_weight: { type: 'number', group: 'agent', min: 0, default: 1, doc: 'weight of the inverse dynamics loss (aux with inverse)' },
  forward_weight: { type: 'number', group: 'agent', min: 0, default: 1, doc: 'weight of the forward dynamics loss (aux with forward)' },
  discrete_target_entropy: { type: 'number', group: 'agent', min: 0, max: 1, default: 0.98, doc: "SAC-Discrete's target entropy as a fraction of the uniform policy's, log |A| (Christodoulou 2019: 0.98); discrete actions only" },
  entropy_reward: { type: 'boolean', group: 'agent', default: true, doc: "add the entropy reward -alpha log pi to the critic's target (SAC); false: entropy only in the policy's loss (SACLite, Yu et al. 2022), for games whose episodes end on their reward" },
  drq_k: { type: 'int', group: 'agent', min: 1, max: 16, default: 2, doc: 'DrQ K: augmented copies averaged in the target (algo drq)' },
  drq_m: { type: 'int', group: 'agent', min: 1, max: 16, default: 2, doc: 'DrQ M: augmented copies averaged in the Q loss (algo drq)' },
} as const satisfies Record<string, FieldSpec>;

export type FieldName = keyof typeof fields;
export const fieldNames = Object.keys(fields) as FieldName[];

/** The resolved config of one run: a value for every field, plus the preset name. */
export type RunConfig = {
  [K in FieldName]: (typeof fields)[K]['type'] extends 'int' | 'number'
    ? number
    : (typeof fields)[K]['type'] extends 'boolean'
      ? boolean
      : (typeof fields)[K] extends { values: readonly (infer V)[] }
        ? V
        : string;
} & { preset: string };

/** `batch_size` -> `--batch-size`. */
export function flagName(key: string): string {
  return `--${key.replace(/_/g, '-')}`;
}
