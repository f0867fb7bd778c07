/**
 * Test helpers that speak to a bridge server below the client: raw frames
 * (malformed headers), requests the client would refuse to send (bad actions),
 * and the bad-input checks both servers must pass.
 */
import { Dealer } from 'zeromq';
import { expect } from 'vitest';
import { Connection } from '../../../envs/bridge/connection.ts';
import { decodeMessage, encodeMessage } from '../../../envs/bridge/protocol.ts';
import type { Header } from '../../../envs/bridge/protocol.ts';
import type { NdArray } from '../../../common/ndarray.ts';

/** Sends raw frames on a fresh DEALER and returns the decoded reply header. */
export async function rawExchange(endpoint: string, frames: Uint8Array[], timeoutMs = 3000): Promise<Header> {
  const socket = new Dealer({ linger: 0, receiveTimeout: timeoutMs, sendTimeout: timeoutMs });
  socket.connect(endpoint);
  try {
    await socket.send(frames);
    return decodeMessage(await socket.receive()).header;
  } finally {
    socket.close();
  }
}

export const float32 = (...values: number[]): NdArray => ({ dtype: 'float32', shape: [values.length], data: Float32Array.from(values) });

/**
 * The list of bad input, each answered with an error reply naming what
 * was wrong, and the server still serving a good request afterwards. `box`
 * names a Box(-1, 1, [2]) float32 env, `discrete` a Discrete(5) one.
 */
export async function checkBadInput(endpoint: string, box: { envId: string; kwargs: Header }, discrete: { envId: string; kwargs: Header }): Promise<void> {
  const connection = new Connection(endpoint, { timeoutMs: 5000 });
  try {
    const made = await connection.request({ cmd: 'make', env_id: box.envId, kwargs: box.kwargs, num_envs: 2 }, 'make');
    const env = made.env as number;
    const spaces = await connection.request({ cmd: 'spaces', env }, 'spaces');
    expect(spaces).toMatchObject({ num_envs: 2, autoreset_mode: 'next-step', action_space: { kind: 'box', dtype: '<f4', shape: [2], low: -1, high: 1 } });
    expect(spaces.observation_space).toEqual(made.observation_space);
    await connection.request({ cmd: 'reset', env, seeds: [1, 2] }, 'reset');
    const good = { dtype: 'float32', shape: [2, 2], data: new Float32Array([0.5, -0.5, 0, 1]) };
    const stepOk = async () => {
      const reply = await connection.request({ cmd: 'step', env, actions: good }, 'step');
      expect((reply.obs as NdArray).shape[0]).toBe(2);
    };
    const refused = (header: Header) => connection.request(header, 'probe');

    await expect(refused({ cmd: 'jump', env })).rejects.toThrow(/unknown command ["']?jump["']?.*expected one of/);
    await stepOk();
    const asFloat64 = { dtype: 'float64', shape: [2, 2], data: new Float64Array([0, 0, 0, 0]) };
    await expect(refused({ cmd: 'step', env, actions: asFloat64 })).rejects.toThrow(/dtype <f8.*expected <f4/);
    const wrongShape = { dtype: 'float32', shape: [2, 3], data: new Float32Array(6) };
    await expect(refused({ cmd: 'step', env, actions: wrongShape })).rejects.toThrow(/shape \[2, ?3\].*expected \[2, ?2\]/);
    const outside = { dtype: 'float32', shape: [2, 2], data: new Float32Array([0, 0, 0, 2.5]) };
    await expect(refused({ cmd: 'step', env, actions: outside })).rejects.toThrow(/copy 1.*2\.5.*outside/);
    const notANumber = { dtype: 'float32', shape: [2, 2], data: new Float32Array([NaN, 0, 0, 0]) };
    await expect(refused({ cmd: 'step', env, actions: notANumber })).rejects.toThrow(/copy 0.*NaN.*outside/i);
    await expect(refused({ cmd: 'step', env: 999 })).rejects.toThrow(/unknown env handle 999/);
    // A handle of another type never reaches an env, even one equal to a handle (true == 1 in Python).
    await expect(refused({ cmd: 'step', env: true, actions: good })).rejects.toThrow(/field "env" must be (int|an integer)/);
    await expect(refused({ cmd: 'step', env: String(env), actions: good })).rejects.toThrow(/field "env" must be (int|an integer)/);
    await stepOk();

    const discreteEnv = (await connection.request({ cmd: 'make', env_id: discrete.envId, kwargs: discrete.kwargs, num_envs: 2 }, 'make')).env as number;
    await connection.request({ cmd: 'reset', env: discreteEnv }, 'reset');
    const ints = (a: number, b: number) => ({ dtype: 'int32', shape: [2], data: Int32Array.from([a, b]) });
    await expect(refused({ cmd: 'step', env: discreteEnv, actions: ints(1, 7) })).rejects.toThrow(/copy 1.*7.*outside/);
    await expect(refused({ cmd: 'step', env: discreteEnv, actions: good })).rejects.toThrow(/dtype <f4.*Discrete actions must be <i4 or <i8/);
    await connection.request({ cmd: 'step', env: discreteEnv, actions: ints(1, 4) }, 'step');

    // A header that is not msgpack (0xc1 is the one byte msgpack never uses), and not a map.
    const garbage = await rawExchange(endpoint, [Uint8Array.from([0xc1, 0x00])]);
    expect(garbage).toMatchObject({ ok: false, id: null });
    expect(garbage.error).toMatch(/not msgpack/);
    const list = await rawExchange(endpoint, encodeMessage({}).map(() => Uint8Array.from([0x92, 0x01, 0x02])));
    expect(list.error).toMatch(/must be a msgpack map/);
    // A frame that does not hold the bytes its reference promises.
    const [header] = encodeMessage({ v: 1, id: 5, cmd: 'step', env, actions: good });
    const short = await rawExchange(endpoint, [header, new Uint8Array(3)]);
    expect(short.error).toMatch(/needs 16 bytes.*has 3/);
    // A peer speaking another protocol version.
    const future = await rawExchange(endpoint, encodeMessage({ v: 2, id: 9, cmd: 'hello' }));
    expect(future).toMatchObject({ ok: false, id: 9 });
    expect(future.error).toMatch(/protocol version 2.*speaks version 1/);

    await stepOk();
    await connection.request({ cmd: 'close', env }, 'close');
    await connection.request({ cmd: 'close', env: discreteEnv }, 'close');
  } finally {
    connection.close();
  }
}
