/**
 * `RemoteEnv` and `RemoteVectorEnv`: envs served by a bridge server (the Python
 * server for gymnasium, dm_control and procgen, or this package's Node server),
 * behind the interfaces of envs/core.ts.
 *
 *   const env = await RemoteEnv.connect({ endpoint: 'tcp://127.0.0.1:5555', envId: 'procgen/coinrun', kwargs: { num_levels: 200 } });
 *   const vector = await RemoteVectorEnv.connect({ endpoint, envId: 'dm_control/walker-walk', numEnvs: 8 });
 *
 * Observations arrive as NdArrays (Dict spaces as records of them, Discrete as
 * integers). Box actions are float32 NdArrays, Discrete actions integers.
 */
import type { NdArray } from '../../common/ndarray.ts';
import { sizeOf } from '../../common/ndarray.ts';
import type {
  AutoresetMode,
  Env,
  EnvMetadata,
  Info,
  ResetOptions,
  ResetResult,
  Space,
  StepResult,
  VectorEnv,
  VectorResetOptions,
  VectorStepResult,
} from '../core.ts';
import { Dict, Discrete, checkAction } from '../core.ts';
import { BridgeError, Connection } from './connection.ts';
import { decodeSpace } from './protocol.ts';
import type { Header } from './protocol.ts';

export interface RemoteOptions {
  /** tcp://host:port or ipc:///path of a running server. */
  endpoint: string;
  /** `<library>/<name>` for the Python server (gymnasium/…, dm_control/…, procgen/…, python/…), an env id for the Node server. */
  envId: string;
  /** Constructor arguments of the env (procgen's num_levels, dm_control's height). */
  kwargs?: Record<string, unknown>;
  /** Milliseconds before a request without a reply fails (default 30 s). */
  timeoutMs?: number;
  /** Milliseconds for `make` (building an env can be slow: dm_control compiles a model). Default 120 s. */
  makeTimeoutMs?: number;
}

export interface RemoteVectorOptions extends RemoteOptions {
  /** Copies stepped per request; omitted: the server's default. */
  numEnvs?: number;
  /** Omitted: the server's native mode (next-step, or same-step for procgen). */
  autoresetMode?: AutoresetMode;
}

interface Made {
  handle: number;
  /** The server process's random id: a handle means nothing to another process. */
  instance: unknown;
  numEnvs: number;
  autoresetMode: string;
  observationSpace: Space;
  actionSpace: Space;
  metadata: EnvMetadata;
}

/** Gymnasium's `render_fps` under this package's name, for video writers. */
function withRenderFps(metadata: EnvMetadata): EnvMetadata {
  if (metadata.renderFps === undefined && typeof metadata.render_fps === 'number') return { ...metadata, renderFps: metadata.render_fps };
  return metadata;
}

/** The env handle on the server, re-made after a reconnect. */
class Session {
  made!: Made;
  readonly connection: Connection;
  readonly name: string;

  constructor(
    readonly options: RemoteVectorOptions,
    private readonly request: { num_envs?: number; autoreset_mode?: string },
  ) {
    this.connection = new Connection(options.endpoint, { timeoutMs: options.timeoutMs });
    this.name = `remote env ${options.envId ? `"${options.envId}"` : "(the server's default)"} at ${options.endpoint}`;
  }

  async make(): Promise<void> {
    const reply = await this.call('make', { env_id: this.options.envId, kwargs: this.options.kwargs ?? {}, ...this.request }, this.options.makeTimeoutMs ?? 120_000);
    this.made = {
      handle: reply.env as number,
      instance: reply.instance,
      numEnvs: reply.num_envs as number,
      autoresetMode: reply.autoreset_mode as string,
      observationSpace: decodeSpace(reply.observation_space, 'observation_space'),
      actionSpace: decodeSpace(reply.action_space, 'action_space'),
      metadata: withRenderFps((reply.metadata ?? {}) as EnvMetadata),
    };
  }

  async call(command: string, fields: Header = {}, timeoutMs?: number): Promise<Header> {
    const env = command === 'make' || command === 'hello' ? {} : { env: this.made.handle };
    try {
      return await this.connection.request({ cmd: command, ...env, ...fields }, `${this.name}, command "${command}"`, timeoutMs);
    } catch (error) {
      // A restarted server does not know our handle: the next reset makes the env again.
      if (/unknown env handle/.test((error as Error).message)) this.connection.broken = true;
      throw error;
    }
  }

  /** Gymnasium users reset after a failure: start from a new socket and a new env handle. */
  async reconnectIfBroken(): Promise<void> {
    if (!this.connection.broken) return;
    const stale = this.made;
    this.connection.reconnect();
    await this.make();
    if (stale.instance === this.made.instance) this.call('close', { env: stale.handle }, 1000).catch(() => undefined); // the server only hung
  }

  async close(): Promise<void> {
    try {
      if (!this.connection.broken) await this.call('close', {}, Math.min(this.options.timeoutMs ?? 30_000, 5000));
    } catch {
      // closing a dead server's env: nothing to release
    } finally {
      this.connection.close();
    }
  }
}

/**
 * How long `connect` waits for the server's hello: a live server answers at
 * once, so nothing listening fails here in seconds rather than after the long
 * `make` timeout (ZeroMQ's connect itself never fails, it keeps retrying).
 */
const HELLO_TIMEOUT_MS = 10_000;

async function openSession(options: RemoteVectorOptions, request: { num_envs?: number; autoreset_mode?: string }): Promise<Session> {
  const session = new Session(options, request);
  try {
    await session.call('hello', {}, Math.min(options.timeoutMs ?? HELLO_TIMEOUT_MS, HELLO_TIMEOUT_MS));
    await session.make();
  } catch (error) {
    session.connection.close();
    throw error;
  }
  return session;
}

/** Copy `index` of a batched observation (a view, no copy). */
function unbatch(value: unknown, space: Space, index: number): unknown {
  if (space instanceof Dict) {
    const record = value as Record<string, unknown>;
    return Object.fromEntries(Object.entries(space.spaces).map(([key, sub]) => [key, unbatch(record[key], sub, index)]));
  }
  const array = value as NdArray;
  if (space instanceof Discrete) return Number(array.data[index]);
  const shape = array.shape.slice(1);
  const size = sizeOf(shape);
  return { dtype: array.dtype, shape, data: array.data.subarray(index * size, (index + 1) * size) };
}

function flags(values: unknown, count: number, field: string, what: string): Uint8Array {
  if (!Array.isArray(values) || values.length !== count) throw new BridgeError(`${what}: reply field "${field}" must list ${count} values`);
  const out = new Uint8Array(count); // a plain loop: Uint8Array.from with a mapper costs about 0.5 us a call
  for (let i = 0; i < count; i++) out[i] = values[i] ? 1 : 0;
  return out;
}

/** Actions to the wire: Box batches as NdArrays of shape [N, ...], Discrete as int32 [N]. */
function discreteBatch(actions: ArrayLike<number>, count: number): NdArray {
  if (actions.length !== count) throw new Error(`expected ${count} Discrete actions (one per copy), got ${actions.length}`);
  const data = Int32Array.from(actions);
  return { dtype: 'int32', shape: [count], data };
}

export class RemoteEnv<Obs = unknown, Act = unknown> implements Env<Obs, Act> {
  private constructor(private readonly session: Session) {}

  /** Makes the env on the server; fails with the server's message (a missing Python package, an unknown id). */
  static async connect<Obs = unknown, Act = unknown>(options: RemoteOptions): Promise<RemoteEnv<Obs, Act>> {
    return new RemoteEnv<Obs, Act>(await openSession(options, { num_envs: 1, autoreset_mode: 'disabled' }));
  }

  get observationSpace(): Space {
    return this.session.made.observationSpace;
  }

  get actionSpace(): Space {
    return this.session.made.actionSpace;
  }

  get metadata(): EnvMetadata {
    return this.session.made.metadata;
  }

  async reset(options: ResetOptions = {}): Promise<ResetResult<Obs>> {
    await this.session.reconnectIfBroken();
    const reply = await this.session.call('reset', { seeds: options.seed === undefined ? null : [options.seed], options: options.options ?? null });
    return { obs: unbatch(reply.obs, this.observationSpace, 0) as Obs, info: (reply.infos as Info[])[0] ?? {} };
  }

  async step(action: Act): Promise<StepResult<Obs>> {
    checkAction(this, action, this.session.name);
    const space = this.actionSpace;
    let actions: NdArray;
    if (space instanceof Discrete) actions = discreteBatch([action as number], 1);
    else {
      const single = action as NdArray;
      actions = { dtype: single.dtype, shape: [1, ...single.shape], data: single.data } as NdArray;
    }
    const reply = await this.session.call('step', { actions });
    const what = `${this.session.name}, command "step"`;
    return {
      obs: unbatch(reply.obs, this.observationSpace, 0) as Obs,
      reward: (reply.rewards as number[])[0],
      terminated: flags(reply.terminated, 1, 'terminated', what)[0] === 1,
      truncated: flags(reply.truncated, 1, 'truncated', what)[0] === 1,
      info: (reply.infos as Info[])[0] ?? {},
    };
  }

  async render(): Promise<NdArray<'uint8'>> {
    const reply = await this.session.call('render', { index: 0 });
    return reply.frame as NdArray<'uint8'>;
  }

  close(): Promise<void> {
    return this.session.close();
  }
}

export class RemoteVectorEnv<Obs = unknown, Act = unknown> implements VectorEnv<Obs, Act> {
  private constructor(private readonly session: Session) {}

  static async connect<Obs = unknown, Act = unknown>(options: RemoteVectorOptions): Promise<RemoteVectorEnv<Obs, Act>> {
    if (options.numEnvs !== undefined && !(Number.isInteger(options.numEnvs) && options.numEnvs >= 1)) {
      throw new Error(`RemoteVectorEnv: numEnvs must be a positive integer, got ${options.numEnvs}`);
    }
    const session = await openSession(options, { num_envs: options.numEnvs, autoreset_mode: options.autoresetMode });
    const mode = session.made.autoresetMode;
    if (mode !== 'next-step' && mode !== 'same-step') {
      await session.close();
      throw new Error(`${session.name}: the server states autoreset mode "${mode}"; a vector env needs next-step or same-step`);
    }
    return new RemoteVectorEnv<Obs, Act>(session);
  }

  get numEnvs(): number {
    return this.session.made.numEnvs;
  }

  get autoresetMode(): AutoresetMode {
    return this.session.made.autoresetMode as AutoresetMode;
  }

  get singleObservationSpace(): Space {
    return this.session.made.observationSpace;
  }

  get singleActionSpace(): Space {
    return this.session.made.actionSpace;
  }

  get metadata(): EnvMetadata {
    return this.session.made.metadata;
  }

  /** A number seeds copy i with seed + i (as Gymnasium does); a list gives one seed per copy. */
  async reset(options: VectorResetOptions = {}): Promise<{ obs: Obs; infos: Info[] }> {
    await this.session.reconnectIfBroken();
    const { seed } = options;
    let seeds: number[] | null = null;
    if (typeof seed === 'number') seeds = Array.from({ length: this.numEnvs }, (_, i) => seed + i);
    else if (Array.isArray(seed)) {
      if (seed.length !== this.numEnvs) throw new Error(`${this.session.name}: reset got ${seed.length} seeds for ${this.numEnvs} copies`);
      seeds = seed;
    }
    const reply = await this.session.call('reset', { seeds, options: options.options ?? null });
    return { obs: reply.obs as Obs, infos: reply.infos as Info[] };
  }

  /** Box: a float32 NdArray of shape [numEnvs, ...action shape]. Discrete: numEnvs integers (array or NdArray). */
  async step(actions: Act): Promise<VectorStepResult<Obs>> {
    const space = this.singleActionSpace;
    const n = this.numEnvs;
    let batch: NdArray;
    if (space instanceof Discrete) {
      const values = (ArrayBuffer.isView((actions as NdArray)?.data) ? (actions as NdArray).data : actions) as ArrayLike<number>;
      if (!values || typeof values.length !== 'number') throw new Error(`${this.session.name}: expected ${n} Discrete actions, got ${String(actions)}`);
      for (let i = 0; i < Math.min(n, values.length); i++) checkAction(this.asSingle(), values[i], `${this.session.name}, copy ${i}`);
      batch = discreteBatch(values, n);
    } else {
      batch = actions as NdArray;
      const problem = checkBatch(batch, space, n);
      if (problem) throw new Error(`${this.session.name}: actions not in ${n} x ${space}: ${problem}`);
    }
    const reply = await this.session.call('step', { actions: batch });
    const what = `${this.session.name}, command "step"`;
    if (!Array.isArray(reply.rewards) || reply.rewards.length !== n) throw new BridgeError(`${what}: reply field "rewards" must list ${n} values`);
    return {
      obs: reply.obs as Obs,
      rewards: Float64Array.from(reply.rewards as number[]),
      terminated: flags(reply.terminated, n, 'terminated', what),
      truncated: flags(reply.truncated, n, 'truncated', what),
      infos: reply.infos as Info[],
    };
  }

  /** The frame of copy `index`. */
  async render(index = 0): Promise<NdArray<'uint8'>> {
    const reply = await this.session.call('render', { index });
    return reply.frame as NdArray<'uint8'>;
  }

  close(): Promise<void> {
    return this.session.close();
  }

  private asSingle(): { actionSpace: Space } {
    return { actionSpace: this.singleActionSpace };
  }
}

/** Why a batch of Box actions is not `count` members of `space`, or null. */
function checkBatch(batch: NdArray, space: Space, count: number): string | null {
  if (!batch || typeof batch !== 'object' || !ArrayBuffer.isView(batch.data)) return 'expected an NdArray';
  const single = batch.shape.slice(1);
  const size = sizeOf(single);
  if (batch.shape[0] !== count) return `expected a leading axis of ${count} copies, got shape [${batch.shape}]`;
  for (let i = 0; i < count; i++) {
    const problem = space.check({ dtype: batch.dtype, shape: single, data: batch.data.subarray(i * size, (i + 1) * size) });
    if (problem) return `copy ${i}: ${problem}`;
  }
  return null;
}
