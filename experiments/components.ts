/**
 * What the training loop needs from the agents package, behind two small
 * interfaces, built from a run config. The loop itself never looks at action
 * types: the agent's `act` gives a Box's vectors or a Discrete's integers, and
 * the replay stores either (a discrete action as one value).
 */
import { sizeOf, type NdArray } from '../common/ndarray.ts';
import { Random, type RandomState } from '../common/random.ts';
import type { Box, Env, Space } from '../envs/core.ts';
import type { ActionSpace } from '../agents/aux/actions.ts';
import type { AuxiliaryLoss } from '../agents/aux/plugin.ts';
import { AUXILIARY_LOSSES, type AuxiliaryName } from '../agents/aux/registry.ts';
import { SacAgent } from '../agents/sac/agent.ts';
import type { SacConfig } from '../agents/sac/config.ts';
import { ReplayBuffer } from '../agents/replay.ts';
import type { RunConfig } from './config/fields.ts';
import { InputError } from '../common/errors.ts';
import { agentAugmentation, ConfigError, runAuxiliary } from './config/schema.ts';

export interface RunAgent {
  /** `sample`: a stream to sample the action with (see SacAgent.act). */
  act(observation: unknown, options: { eval: boolean; sample?: Random }): unknown;
  update(batch: unknown, step: number): Record<string, number>;
  getState(): Record<string, Float32Array>;
  setState(state: Record<string, Float32Array>): void;
  getRandomState(): Record<string, RandomState>;
  setRandomState(state: Record<string, RandomState>): void;
  dispose(): void;
}

export interface RunReplay {
  readonly size: number;
  /** An episode's first observation (after reset). */
  addFirst(observation: unknown): void;
  /** One step: the action taken, its reward and the observation it led to. */
  add(action: unknown, reward: number, nextObservation: unknown, terminated: boolean, truncated: boolean): void;
  sample(batchSize: number): unknown;
  save(path: string): Promise<void> | void;
  load(path: string): Promise<void> | void;
  getRandomState(): RandomState;
  setRandomState(state: RandomState): void;
}

function boxOf(space: Space, what: string): Box {
  if (space.kind !== 'box') throw new ConfigError(`${what}: expected a Box observation space, got ${space}`);
  return space;
}

/**
 * Refuses observations other than the config says (bad input, exit code 2):
 * a remote env renders on its server, so its frames are the server's size, and
 * a run that trained on them while recording another render_size, or a pixel
 * network on what the config calls states, would not be the run its config
 * describes.
 */
function checkObservations(config: RunConfig, space: Box): void {
  const { shape, dtype } = space;
  if (config.from === 'states') {
    if (shape.length !== 1) throw new ConfigError(`${config.env}: from states expects a state vector (rank 1), got observations of shape [${shape}]; use from: pixels for frames`);
    return;
  }
  if (shape.length !== 3 || dtype !== 'uint8') {
    throw new ConfigError(`${config.env}: from pixels expects uint8 frames [height, width, channels], got ${dtype} observations of shape [${shape}]; use from: states for a state vector`);
  }
  const [height, width] = shape;
  if (height !== config.render_size || width !== config.render_size) {
    const fix = height === width ? `, or set render_size: ${height}` : '';
    throw new ConfigError(
      `${config.env}: its frames are ${height}x${width} but render_size is ${config.render_size}; have the env render ${config.render_size}x${config.render_size} (rad serve --render-size ${config.render_size}, or the server env's own size option)${fix}`,
    );
  }
}

/** The agent's config fields from a run config. */
export function sacConfigOf(config: RunConfig): Partial<SacConfig> {
  const drq = config.algo === 'drq';
  return {
    gamma: config.discount,
    criticLr: config.lr,
    actorLr: config.lr,
    alphaLr: config.alpha_lr,
    alphaBeta1: config.alpha_beta1,
    initialAlpha: config.init_temperature,
    criticTau: config.critic_tau,
    encoderTau: config.encoder_tau,
    targetUpdateEvery: config.target_update_every,
    actorUpdateEvery: config.actor_update_every,
    hiddenSize: config.hidden_dim,
    convFilters: config.num_filters,
    featureDim: config.feature_dim,
    augmentation: agentAugmentation(config),
    imageSize: config.from === 'pixels' ? config.image_size : 1,
    targetAugmentations: drq ? config.drq_k : 1,
    qAugmentations: drq ? config.drq_m : 1,
    discreteEntropyFraction: config.discrete_target_entropy,
    entropyReward: config.entropy_reward,
  };
}

/** The run's auxiliary losses (algo curl's, then those `aux` names), each with its `<name>_weight`. */
export function auxiliaryLosses(config: RunConfig, actionSpace: ActionSpace): AuxiliaryLoss[] {
  const weights: Record<AuxiliaryName, number> = { curl: config.curl_weight, byol: config.byol_weight, rotation: config.rotation_weight, inverse: config.inverse_weight, forward: config.forward_weight };
  return runAuxiliary(config).map((name) =>
    AUXILIARY_LOSSES[name]({ featureDim: config.feature_dim, hiddenSize: config.hidden_dim, actionSpace, weight: weights[name], seed: config.seed }),
  );
}

export function makeAgent(config: RunConfig, env: Env): RunAgent {
  const actionSpace = env.actionSpace;
  if (actionSpace.kind === 'dict' || (actionSpace.kind === 'box' && actionSpace.shape.length !== 1)) {
    throw new ConfigError(`algo ${config.algo}: SAC needs a 1-D Box or a Discrete action space; ${config.env} has ${actionSpace}`);
  }
  const observationSpace = boxOf(env.observationSpace, config.env);
  checkObservations(config, observationSpace);
  const observationShape = observationSpace.shape;
  const auxiliary = auxiliaryLosses(config, actionSpace);
  const agent = new SacAgent({ observationShape, actionSpace, config: sacConfigOf(config), auxiliary, seed: config.seed });
  return {
    act: (observation, options) => {
      const action = agent.act(observation as NdArray, options);
      // One discrete action goes to the env as the number a Discrete space holds.
      return action.dtype === 'int32' && action.shape.length === 0 ? action.data[0] : action;
    },
    update: (batch, step) => agent.update(batch as Parameters<SacAgent['update']>[0], step),
    getState: () => agent.getState(),
    setState: (state) => agent.setState(state),
    getRandomState: () => agent.getRandomState(),
    setRandomState: (state) => agent.setRandomState(state),
    dispose: () => agent.dispose(),
  };
}

/** State vectors may come as float64; the replay and the agent take float32. */
function asStored(observation: unknown): NdArray {
  const array = observation as NdArray;
  if (array && array.dtype === 'float64') return { dtype: 'float32', shape: array.shape, data: Float32Array.from(array.data as Float64Array) };
  return array;
}

export function makeReplay(config: RunConfig, env: Env): RunReplay {
  const observationSpace = boxOf(env.observationSpace, config.env);
  const observationShape = observationSpace.shape;
  const pixels = config.from === 'pixels' && observationSpace.dtype === 'uint8';
  const frameStack = pixels ? config.frame_stack : 1;
  const frameShape = [...observationShape];
  if (pixels) {
    if (frameShape[frameShape.length - 1] % frameStack !== 0) throw new ConfigError(`${config.env}: observation shape [${observationShape}] is not ${frameStack} stacked frames`);
    frameShape[frameShape.length - 1] /= frameStack;
  }
  const actionSize = env.actionSpace.kind === 'box' ? sizeOf(env.actionSpace.shape) : 1;
  const options = { capacity: config.replay_capacity, frameShape, frameDtype: pixels ? ('uint8' as const) : ('float32' as const), frameStack, actionSize };
  let replay = new ReplayBuffer(options);
  const rng = Random.derive(config.seed, 'replay');
  return {
    get size() {
      return replay.size;
    },
    addFirst: (observation) => replay.addFirst(asStored(observation)),
    add: (action, reward, nextObservation, terminated, truncated) =>
      replay.add(action as NdArray | number, reward, asStored(nextObservation), terminated, truncated),
    sample: (batchSize) => replay.sample(batchSize, rng, { steps: config.n_step, gamma: config.discount }),
    save: (path) => replay.save(path),
    load: (path) => {
      const loaded = ReplayBuffer.load(path);
      if (loaded.capacity !== options.capacity || loaded.frameStack !== frameStack || loaded.frameShape.join() !== frameShape.join()) {
        throw new InputError(`replay ${path}: holds capacity ${loaded.capacity}, frames [${loaded.frameShape}] x ${loaded.frameStack}; this run needs ${options.capacity}, [${frameShape}] x ${frameStack}`);
      }
      replay = loaded;
    },
    getRandomState: () => rng.getState(),
    setRandomState: (state) => rng.setState(state),
  };
}
