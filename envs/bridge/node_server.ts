/**
 * Serves any `Env` of this package over the bridge protocol (PROTOCOL.md), so
 * envs can step in other processes and use more cores:
 *
 *   const server = await serveEnvs({ bind: 'tcp://127.0.0.1:5556', makeEnv: (id) => makeDmcEnv(id), copies: 8 });
 *
 * `makeEnv` is a factory, so this file needs no registry; `rad serve` wires one.
 * Requests are handled one at a time; a bad request gets an error reply and the
 * server keeps serving.
 */
import { randomBytes } from 'node:crypto';
import { InputError } from '../../common/errors.ts';
import { Router } from 'zeromq';
import type { NdArray } from '../../common/ndarray.ts';
import { sizeOf, zeros } from '../../common/ndarray.ts';
import type { Env, Info, Space } from '../core.ts';
import { Box, Dict, Discrete } from '../core.ts';
import { COMMANDS, PROTOCOL_VERSION, decodeMessage, encodeMessage, encodeSpace, endpointProblem, errorReply, toWireDtype } from './protocol.ts';
import type { Header } from './protocol.ts';

export interface ServeOptions {
  /** tcp://127.0.0.1:5556, tcp://127.0.0.1:0 (a free port) or ipc:///path. */
  bind: string;
  /** Builds one copy of env `id` (the make request's env_id, or `defaultEnvId` when it is empty). */
  makeEnv: (id: string, kwargs: Record<string, unknown>) => Env | Promise<Env>;
  /** Copies per make request that does not say how many (default 1). */
  copies?: number;
  /** The env a make request with an empty env_id gets (`rad serve --env`). */
  defaultEnvId?: string;
  /** Called with each error reply's text (logging). */
  onError?: (message: string) => void;
}

export interface EnvServer {
  /** The bound endpoint (port 0 resolved). */
  endpoint: string;
  /** Requests answered so far. */
  readonly requests: number;
  close(): Promise<void>;
}

class RequestError extends Error {}

type Mode = 'next-step' | 'same-step' | 'disabled';
const MODES: Mode[] = ['next-step', 'same-step', 'disabled'];

/**
 * Per-copy values batched along a new leading axis, into `reuse` (a batch this
 * function returned before) where its shape and dtype still fit: a fresh 100 KB+
 * array costs more than filling it (8 frames of 84x84x3: about 40 us against 5).
 */
function stack(values: unknown[], space: Space, reuse?: unknown): unknown {
  if (space instanceof Dict) {
    const previous = reuse as Record<string, unknown> | undefined;
    return Object.fromEntries(
      Object.keys(space.spaces).map((key) => [key, stack(values.map((v) => (v as Record<string, unknown>)[key]), space.spaces[key], previous?.[key])]),
    );
  }
  if (space instanceof Discrete) return { dtype: 'int32', shape: [values.length], data: Int32Array.from(values as number[]) };
  const first = values[0] as NdArray;
  const old = reuse as NdArray | undefined;
  const fits = old !== undefined && old.dtype === first.dtype && old.shape[0] === values.length && old.shape.length === first.shape.length + 1 && first.shape.every((d, i) => old.shape[i + 1] === d);
  const out = fits ? old : zeros(first.dtype, [values.length, ...first.shape]);
  const size = sizeOf(first.shape);
  values.forEach((value, i) => (out.data as Uint8Array).set((value as NdArray).data as Uint8Array, i * size));
  return out;
}

/** N copies of one env with Gymnasium 1.x autoreset (see envs/core.ts AutoresetMode). */
class Copies {
  private needsReset: boolean[];
  /**
   * Two observation batches used in turn. A reply's batch may still be on its way
   * out (ZeroMQ sends large frames without copying them), but it is written again
   * only two replies later: by then the client, which waits for each reply before
   * its next request, has it.
   */
  private readonly batches: unknown[] = [undefined, undefined];
  private turn = 0;

  constructor(
    readonly envs: Env[],
    readonly mode: Mode,
  ) {
    this.needsReset = envs.map(() => false);
  }

  get observationSpace(): Space {
    return this.envs[0].observationSpace;
  }

  get actionSpace(): Space {
    return this.envs[0].actionSpace;
  }

  async reset(seeds: (number | null)[], options: Record<string, unknown> | undefined): Promise<Header> {
    const results = await Promise.all(this.envs.map((env, i) => env.reset({ seed: seeds[i] ?? undefined, options })));
    this.needsReset = this.envs.map(() => false);
    return { obs: this.batch(results.map((r) => r.obs)), infos: results.map((r) => r.info) };
  }

  async step(actions: unknown[]): Promise<Header> {
    const n = this.envs.length;
    const rewards = new Array<number>(n).fill(0);
    const terminated = new Array<boolean>(n).fill(false);
    const truncated = new Array<boolean>(n).fill(false);
    const results = await Promise.all(
      this.envs.map(async (env, i): Promise<[unknown, Info]> => {
        if (this.needsReset[i]) {
          // next-step: this step only resets the copy and ignores its action.
          this.needsReset[i] = false;
          const { obs, info } = await env.reset();
          return [obs, info];
        }
        const result = await env.step(actions[i]);
        rewards[i] = result.reward;
        terminated[i] = result.terminated;
        truncated[i] = result.truncated;
        if (!(result.terminated || result.truncated)) return [result.obs, result.info];
        if (this.mode === 'same-step') {
          const reset = await env.reset();
          return [reset.obs, { ...reset.info, final_obs: result.obs, final_info: result.info }];
        }
        if (this.mode === 'next-step') this.needsReset[i] = true;
        return [result.obs, result.info];
      }),
    );
    return { obs: this.batch(results.map((r) => r[0])), rewards, terminated, truncated, infos: results.map((r) => r[1]) };
  }

  private batch(observations: unknown[]): unknown {
    const out = stack(observations, this.observationSpace, this.batches[this.turn]);
    this.batches[this.turn] = out;
    this.turn ^= 1;
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.envs.map((env) => env.close()));
  }
}

/** The batch of actions as one action per copy, or an error naming what is wrong. */
function splitActions(value: unknown, space: Space, count: number): unknown[] {
  const batch = value as NdArray;
  if (!batch || typeof batch !== 'object' || !ArrayBuffer.isView(batch.data)) {
    throw new RequestError(`field "actions" must be an array of ${count} actions, got ${typeof value}`);
  }
  const wire = toWireDtype(batch.dtype);
  if (space instanceof Discrete) {
    if (batch.dtype !== 'int32') throw new RequestError(`actions have dtype ${wire}; Discrete actions must be <i4 or <i8`);
    if (batch.shape.length !== 1 || batch.shape[0] !== count) {
      throw new RequestError(`actions have shape [${batch.shape}]; expected [${count}] (one integer per copy)`);
    }
  } else if (space instanceof Box) {
    if (batch.dtype !== space.dtype) throw new RequestError(`actions have dtype ${wire}; expected ${toWireDtype(space.dtype)}`);
    const expected = [count, ...space.shape];
    if (batch.shape.length !== expected.length || batch.shape.some((d, i) => d !== expected[i])) {
      throw new RequestError(`actions have shape [${batch.shape}]; expected [${expected}]`);
    }
  } else {
    throw new RequestError(`the env's action space ${space} is not Box or Discrete`);
  }
  const size = space instanceof Box ? space.size : 1;
  return Array.from({ length: count }, (_, i) => {
    const action =
      space instanceof Discrete
        ? batch.data[i]
        : { dtype: batch.dtype, shape: [...(space as Box).shape], data: (batch.data as Float32Array).slice(i * size, (i + 1) * size) };
    const problem = space.check(action);
    if (problem) throw new RequestError(`action of copy ${i} is outside ${space}: ${problem}`);
    return action;
  });
}

function integerField(header: Header, name: string, fallback?: number): number {
  const value = header[name] ?? fallback;
  if (!Number.isInteger(value)) throw new RequestError(`field "${name}" must be an integer, got ${JSON.stringify(header[name])}`);
  return value as number;
}

export async function serveEnvs(options: ServeOptions): Promise<EnvServer> {
  const copies = options.copies ?? 1;
  if (!Number.isInteger(copies) || copies < 1) throw new Error(`serveEnvs: copies must be a positive integer, got ${copies}`);
  const problem = endpointProblem(options.bind);
  if (problem) throw new InputError(`serveEnvs: bind endpoint "${options.bind}": ${problem}`);
  const router = new Router({ linger: 0 });
  try {
    await router.bind(options.bind);
  } catch (error) {
    router.close();
    throw new Error(`serveEnvs: cannot bind ${options.bind}: ${(error as Error).message}`);
  }
  const endpoint = router.lastEndpoint ?? options.bind;
  const vectors = new Map<number, { copies: Copies; spaces: Header }>();
  let nextHandle = 1;
  // Tells a reconnecting client whether its old env handles belong to this process.
  const instance = randomBytes(8).toString('hex');
  let requests = 0;

  const vectorOf = (header: Header) => {
    const handle = integerField(header, 'env');
    const entry = vectors.get(handle);
    if (!entry) throw new RequestError(`unknown env handle ${handle}; it was closed or made by an earlier server (make it again)`);
    return entry;
  };

  const commands: Record<string, (header: Header) => Promise<Header>> = {
    hello: async () => ({ server: 'node', protocol: PROTOCOL_VERSION, instance, default_env: options.defaultEnvId ?? null, copies }),
    make: async (header) => {
      const requested = typeof header.env_id === 'string' ? header.env_id : '';
      const id = requested || options.defaultEnvId;
      if (!id) throw new RequestError('field "env_id" is empty and this server has no default env');
      const count = integerField(header, 'num_envs', copies);
      if (count < 1) throw new RequestError(`field "num_envs" must be a positive integer, got ${count}`);
      const mode = (header.autoreset_mode ?? 'next-step') as Mode;
      if (!MODES.includes(mode)) throw new RequestError(`field "autoreset_mode" must be one of ${MODES.join(', ')}, got ${JSON.stringify(mode)}`);
      if (mode === 'disabled' && count !== 1) throw new RequestError(`autoreset_mode "disabled" serves one env, got num_envs=${count}`);
      const kwargs = (header.kwargs ?? {}) as Record<string, unknown>;
      const envs: Env[] = [];
      try {
        for (let i = 0; i < count; i++) envs.push(await options.makeEnv(id, kwargs));
      } catch (error) {
        await Promise.all(envs.map((env) => env.close()));
        throw error;
      }
      const vector = new Copies(envs, mode);
      const metadata = Object.fromEntries(Object.entries(envs[0].metadata ?? {}).filter(([, v]) => ['number', 'string', 'boolean'].includes(typeof v)));
      const spaces = {
        num_envs: count,
        autoreset_mode: mode,
        observation_space: encodeSpace(vector.observationSpace),
        action_space: encodeSpace(vector.actionSpace),
        metadata,
      };
      const handle = nextHandle++;
      vectors.set(handle, { copies: vector, spaces });
      return { ...spaces, env: handle, instance };
    },
    spaces: async (header) => ({ ...vectorOf(header).spaces }),
    reset: async (header) => {
      const { copies: vector } = vectorOf(header);
      const n = vector.envs.length;
      const seeds = header.seeds ?? new Array(n).fill(null);
      if (!Array.isArray(seeds) || seeds.length !== n || !seeds.every((s) => s === null || (Number.isInteger(s) && s >= 0))) {
        throw new RequestError(`field "seeds" must be a list of ${n} non-negative integers (or null), got ${JSON.stringify(seeds)}`);
      }
      return vector.reset(seeds, (header.options ?? undefined) as Record<string, unknown> | undefined);
    },
    step: async (header) => {
      const { copies: vector } = vectorOf(header);
      return vector.step(splitActions(header.actions, vector.actionSpace, vector.envs.length));
    },
    render: async (header) => {
      const { copies: vector } = vectorOf(header);
      const index = integerField(header, 'index', 0);
      if (index < 0 || index >= vector.envs.length) throw new RequestError(`field "index" must be in [0, ${vector.envs.length}), got ${index}`);
      const env = vector.envs[index];
      if (!env.render) throw new RequestError('this env cannot render');
      return { frame: await env.render() };
    },
    close: async (header) => {
      const handle = integerField(header, 'env');
      const entry = vectors.get(handle);
      vectors.delete(handle);
      await entry?.copies.close();
      return {};
    },
  };

  const handle = async (parts: Buffer[]): Promise<Header> => {
    let id: unknown = null;
    let command: unknown;
    try {
      const { header } = decodeMessage(parts);
      id = header.id ?? null;
      command = header.cmd;
      if (header.v !== PROTOCOL_VERSION) {
        throw new RequestError(`protocol version ${JSON.stringify(header.v)} is not spoken here; this server speaks version ${PROTOCOL_VERSION}`);
      }
      if (typeof command !== 'string' || !(COMMANDS as readonly string[]).includes(command)) {
        throw new RequestError(`unknown command ${JSON.stringify(command)}; expected one of ${COMMANDS.join(', ')}`);
      }
      const reply = await commands[command](header);
      return { ...reply, v: PROTOCOL_VERSION, id, ok: true };
    } catch (error) {
      const message = error instanceof RequestError ? error.message : `${(error as Error).name}: ${(error as Error).message}`;
      options.onError?.(message);
      return errorReply(typeof id === 'number' || typeof id === 'string' ? id : null, message, command);
    }
  };

  const loop = (async () => {
    for await (const [identity, ...parts] of router) {
      const reply = await handle(parts);
      let frames: Uint8Array[];
      try {
        frames = encodeMessage(reply);
      } catch (error) {
        frames = encodeMessage(errorReply(reply.id, `cannot encode the reply: ${(error as Error).message}`, reply.cmd));
      }
      requests++;
      await router.send([identity, ...frames]);
    }
  })().catch((error) => {
    // The socket closed under the loop (close()) ends it; anything else is reported.
    if (!router.closed) console.error(`bridge node server at ${endpoint} stopped:`, error);
  });

  return {
    endpoint,
    get requests() {
      return requests;
    },
    async close() {
      router.close();
      await loop.catch(() => undefined);
      await Promise.all([...vectors.values()].map((entry) => entry.copies.close()));
      vectors.clear();
    },
  };
}
