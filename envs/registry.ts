/**
 * Env ids, one string per environment, as a person types them on the CLI:
 *   dmc:cartpole-swingup                              in-process DeepMind Control
 *   games:maze?num_levels=200                         in-process ProcGen-style games
 *   remote:tcp://127.0.0.1:5555/procgen/coinrun?num_levels=200
 *                                                     any env behind the ZeroMQ bridge
 * A family is a prefix with a factory; tests and plug-ins add their own with
 * `registerEnvFamily`. `makeEnv` applies the standard stack of wrappers, so a
 * pixel agent sees the same observations whatever the family.
 */
import type { NdArray } from '../common/ndarray.ts';
import type { Env } from './core.ts';
import { ActionRepeat, DMC_ACTION_REPEAT } from './wrappers/action_repeat.ts';
import { EpisodeStatistics } from './wrappers/episode_statistics.ts';
import { FrameStack } from './wrappers/frame_stack.ts';
import { PixelObservation } from './wrappers/pixel_observation.ts';
import { InputError, showValue } from '../common/errors.ts';

export interface MakeEnvOptions {
  /** 'pixels' (rendered RGB frames, stacked) or 'states' (the env's state vector). */
  from?: 'pixels' | 'states';
  /** Square render size in pixels (RAD and CURL render 100 and crop 84; DrQ renders 84). */
  renderSize?: number;
  /** Frames stacked along the channel axis (pixels only; RAD/CURL/DrQ use 3). */
  frameStack?: number;
  /** Env steps per agent step; default: RAD/CURL's per-domain value for dmc, else 1. */
  actionRepeat?: number;
  /** Camera index or name to render from (dm_control's agents see camera 0). */
  camera?: number | string;
  /** DMControl-GB appearance mode: default (the env's own look), color_easy, color_hard, video_easy, video_hard. */
  appearance?: string;
  /** A folder of PNG frames for the video backgrounds. */
  appearanceFolder?: string;
}

export type ResolvedEnvOptions = Required<Omit<MakeEnvOptions, 'appearance' | 'appearanceFolder' | 'actionRepeat'>> &
  Pick<MakeEnvOptions, 'appearance' | 'appearanceFolder'> & { actionRepeat: number };

export interface EnvFamily {
  /** What a user reads in `rad envs` and in errors. */
  description: string;
  /** The raw env for `name` (the part of the id after `prefix:`), before the standard wrappers. */
  make(name: string, options: ResolvedEnvOptions): Promise<Env>;
  /** Default action repeat for `name`. */
  defaultActionRepeat?(name: string): number;
  /** Ids this family can enumerate (names after the prefix); remote families cannot. */
  list?(): Promise<string[]>;
  /** True when the raw env already returns pixel observations (no render wrapper needed). */
  pixelsNative?(name: string): boolean;
  /** True when `make` draws the DMControl-GB appearances (`options.appearance`). */
  appearances?: boolean;
  /** True when `make` renders from the camera `options.camera` names; other families take only the default, 0. */
  cameras?: boolean;
  /** Throws an InputError when `name` with `options` can never be made (no server is contacted). */
  check?(name: string, options: ResolvedEnvOptions): Promise<void>;
}

const families = new Map<string, EnvFamily>();

export function registerEnvFamily(prefix: string, family: EnvFamily): void {
  if (!/^[a-z][a-z0-9_-]*$/.test(prefix)) throw new Error(`registerEnvFamily: prefix must be lowercase letters, digits, - or _, got "${prefix}"`);
  families.set(prefix, family);
}

export function envFamilies(): ReadonlyMap<string, EnvFamily> {
  return families;
}

function splitId(id: string): [string, string, EnvFamily] {
  const colon = id.indexOf(':');
  const prefix = colon < 0 ? '' : id.slice(0, colon);
  const family = families.get(prefix);
  if (!family) {
    throw new InputError(`unknown env id "${id}": expected <family>:<name> with a family among ${[...families.keys()].join(', ')} (e.g. dmc:cartpole-swingup)`);
  }
  const name = id.slice(colon + 1);
  if (!name) throw new InputError(`env id "${id}" names no env after "${prefix}:"`);
  return [prefix, name, family];
}

/** The prefixes of the families that have `feature`, as "dmc:, other:". */
function familiesWith(feature: 'appearances' | 'cameras'): string {
  return [...families].filter(([, family]) => family[feature]).map(([prefix]) => `${prefix}:`).join(', ');
}

function positiveInteger(value: unknown, key: string): number {
  if (!Number.isInteger(value) || (value as number) < 1) throw new InputError(`makeEnv: ${key} must be a positive integer, got ${showValue(value)}`);
  return value as number;
}

/** The options a run uses, with every default filled in (recorded in the run's config). */
export function resolveEnvOptions(id: string, options: MakeEnvOptions = {}): ResolvedEnvOptions {
  return resolveEnv(id, options).resolved;
}

/** Env `id`'s name after its prefix, its family, and `options` checked and with every default filled in. */
function resolveEnv(id: string, options: MakeEnvOptions): { name: string; family: EnvFamily; resolved: ResolvedEnvOptions } {
  const [prefix, name, family] = splitId(id);
  const from = options.from ?? 'pixels';
  if (from !== 'pixels' && from !== 'states') throw new InputError(`makeEnv: from must be 'pixels' or 'states', got ${showValue(from)}`);
  // 'default' is every env's own look: no appearance to draw.
  const appearance = options.appearance === 'default' ? undefined : options.appearance;
  if (appearance !== undefined && !family.appearances) {
    throw new InputError(`${id}: appearance "${appearance}" is drawn by ${familiesWith('appearances')} envs only; "${prefix}:" envs have none`);
  }
  const camera = options.camera ?? 0;
  if (camera !== 0 && !family.cameras) {
    throw new InputError(`${id}: camera ${showValue(camera)} is chosen by ${familiesWith('cameras')} envs only; "${prefix}:" envs render their own view (a remote env's camera goes in its id's kwargs: ?camera_id=N for dm_control/, ?camera=N for an env of rad serve)`);
  }
  const resolved = {
    from,
    renderSize: positiveInteger(options.renderSize ?? 84, 'renderSize'),
    frameStack: positiveInteger(options.frameStack ?? (from === 'pixels' ? 3 : 1), 'frameStack'),
    actionRepeat: positiveInteger(options.actionRepeat ?? family.defaultActionRepeat?.(name) ?? 1, 'actionRepeat'),
    camera,
    appearance,
    appearanceFolder: options.appearanceFolder,
  };
  return { name, family, resolved };
}

/**
 * Builds the env `id` with the standard wrappers, innermost first: action
 * repeat, pixel observation (rendered once per agent step), frame stack,
 * episode statistics (lengths in agent steps).
 */
export async function makeEnv(id: string, options: MakeEnvOptions = {}): Promise<Env> {
  const { name, family, resolved } = resolveEnv(id, options);
  let env: Env = await family.make(name, resolved);
  try {
    if (resolved.actionRepeat > 1) env = new ActionRepeat(env, resolved.actionRepeat);
    if (resolved.from === 'pixels') {
      if (!family.pixelsNative?.(name)) {
        env = new PixelObservation(env, { height: resolved.renderSize, width: resolved.renderSize }) as Env;
      }
      if (resolved.frameStack > 1) env = new FrameStack(env as Env<NdArray>, resolved.frameStack) as Env;
    }
    return new EpisodeStatistics(env);
  } catch (error) {
    await env.close();
    throw error;
  }
}

/**
 * Throws an InputError when `makeEnv(id, options)` is bound to fail on its input,
 * checked without contacting a server: an unknown family, a name its family
 * refuses (an unknown DeepMind Control task, camera or appearance, a remote id that is not
 * a bridge address), or a bad option. What only a server can tell (that it is
 * down) is left to `makeEnv`.
 */
export async function checkEnv(id: string, options: MakeEnvOptions = {}): Promise<void> {
  const { name, family, resolved } = resolveEnv(id, options);
  await family.check?.(name, resolved);
}

/** Every id a family can enumerate, sorted. */
export async function listEnvIds(): Promise<string[]> {
  const ids: string[] = [];
  for (const [prefix, family] of families) {
    for (const name of (await family.list?.()) ?? []) ids.push(`${prefix}:${name}`);
  }
  return ids.sort();
}

registerEnvFamily('dmc', {
  description: 'DeepMind Control Suite tasks, in-process (MuJoCo WebAssembly and the TypeScript renderer)',
  async make(name, options) {
    const { loadDmcEnv } = await import('./dmc/suite.ts');
    return loadDmcEnv(name, {
      width: options.renderSize,
      height: options.renderSize,
      camera: options.camera,
      appearance: options.appearance,
      appearanceFolder: options.appearanceFolder,
    }) as Promise<Env>;
  },
  defaultActionRepeat: (name) => DMC_ACTION_REPEAT[name.split('-')[0]] ?? 4,
  appearances: true,
  cameras: true,
  async list() {
    const { listDmcTasks } = await import('./dmc/suite.ts');
    return listDmcTasks();
  },
  async check(name, options) {
    const { dmcTask, loadDmcEnv } = await import('./dmc/suite.ts');
    dmcTask(name);
    // Every task has camera 0 and its own look; another camera or an appearance is checked by making the env.
    if (options.camera !== 0 || options.appearance !== undefined) {
      const { camera, appearance, appearanceFolder } = options;
      await (await loadDmcEnv(name, { width: 8, height: 8, camera, appearance, appearanceFolder })).close();
    }
  },
});

registerEnvFamily('games', {
  description: 'procedurally generated games in-process, ProcGen-style levels: games:maze?num_levels=200&start_level=0',
  async make(name, options) {
    const { makeGame } = await import('./games/games.ts');
    return makeGame(name, options.renderSize) as Env;
  },
  async list() {
    const { GAMES } = await import('./games/games.ts');
    return [...GAMES];
  },
  async check(name) {
    const { parseGameId } = await import('./games/games.ts');
    parseGameId(name);
  },
});

registerEnvFamily('remote', {
  description: 'any env behind the ZeroMQ bridge: remote:tcp://host:port/<server env id>?<kwargs>',
  async make(name) {
    const { parseRemoteName } = await import('./bridge/remote_id.ts');
    const { RemoteEnv } = await import('./bridge/client.ts');
    return RemoteEnv.connect(parseRemoteName(name)) as Promise<Env>;
  },
  // The server renders: its observations are already what the agent sees.
  pixelsNative: () => true,
  async check(name) {
    const { parseRemoteName } = await import('./bridge/remote_id.ts');
    parseRemoteName(name);
  },
});
