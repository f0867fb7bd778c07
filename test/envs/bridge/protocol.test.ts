import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { NdArray } from '../../../common/ndarray.ts';
import { Box, Dict, Discrete } from '../../../envs/core.ts';
import { decodeMessage, decodeSpace, encodeMessage, encodeSpace } from '../../../envs/bridge/protocol.ts';
import { bridgePython } from './python.ts';
import { InputError } from '../../../common/errors.ts';
import { parseRemoteName } from '../../../envs/bridge/remote_id.ts';

describe('bridge messages', () => {
  it('carries arrays as raw frames after the header, and reads them back where they were', () => {
    const obs: NdArray = { dtype: 'uint8', shape: [2, 3], data: Uint8Array.from([1, 2, 3, 4, 5, 6]) };
    const position: NdArray = { dtype: 'float32', shape: [2], data: Float32Array.from([0.5, -1]) };
    const frames = encodeMessage({ cmd: 'step', obs, infos: [{ position }] });
    expect(frames).toHaveLength(3);
    expect(Array.from(frames[1])).toEqual([1, 2, 3, 4, 5, 6]);
    expect(frames[2].byteLength).toBe(8);
    const { header } = decodeMessage(frames);
    expect(header.cmd).toBe('step');
    expect(header.obs).toEqual(obs);
    expect((header.infos as { position: NdArray }[])[0].position).toEqual(position);
  });

  it('copies a frame whose bytes are not aligned for its dtype', () => {
    const values = Float32Array.from([1.5, 2.5]);
    const [header] = encodeMessage({ x: { dtype: 'float32', shape: [2], data: values } });
    const misaligned = new Uint8Array(9).subarray(1);
    misaligned.set(new Uint8Array(values.buffer));
    const { x } = decodeMessage([header, misaligned]).header as { x: NdArray };
    expect(Array.from(x.data)).toEqual([1.5, 2.5]);
  });

  it('reads numpy int64 as int32 when the values fit and as float64 otherwise', () => {
    const [header] = encodeMessage({ x: { dtype: 'float64', shape: [2], data: new Float64Array(2) } });
    // Rewrite the reference's dtype from <f8 to <i8 (same byte length).
    const text = Buffer.from(header);
    text.write('<i8', text.indexOf('<f8'));
    const small = new Uint8Array(new BigInt64Array([-3n, 7n]).buffer);
    expect((decodeMessage([text, small]).header.x as NdArray)).toEqual({ dtype: 'int32', shape: [2], data: Int32Array.from([-3, 7]) });
    const large = new Uint8Array(new BigInt64Array([2n ** 40n, 1n]).buffer);
    expect((decodeMessage([text, large]).header.x as NdArray).dtype).toBe('float64');
  });

  it('names what is wrong with a malformed message', () => {
    expect(() => decodeMessage([])).toThrow(/empty message/);
    expect(() => decodeMessage([Uint8Array.from([0xc1])])).toThrow(/not msgpack/);
    const [header] = encodeMessage({ x: { dtype: 'uint8', shape: [4], data: new Uint8Array(4) } });
    expect(() => decodeMessage([header])).toThrow(/frame 1, but the message has 0 array frames/);
    expect(() => decodeMessage([header, new Uint8Array(2)])).toThrow(/\|u1 \[4\] needs 4 bytes, frame 1 has 2/);
  });

  it('round-trips Box, Discrete and Dict spaces', () => {
    const spaces = [
      new Box(0, 255, [84, 84, 3], 'uint8'),
      new Box([-1, -2], [1, 2], [2], 'float32'),
      new Box(-Infinity, Infinity, [5], 'float64'),
      new Discrete(15),
      new Discrete(3, -1),
      new Dict({ pixels: new Box(0, 255, [4, 4, 3], 'uint8'), count: new Discrete(2) }),
    ];
    for (const space of spaces) {
      const { header } = decodeMessage(encodeMessage({ space: encodeSpace(space) }));
      expect(String(decodeSpace(header.space))).toBe(String(space));
    }
    expect(() => decodeSpace({ kind: 'tuple' })).toThrow(/unknown space kind "tuple"/);
  });
});

describe('parseRemoteName', () => {
  it('splits endpoint, env id and typed kwargs', () => {
    expect(parseRemoteName('tcp://127.0.0.1:5555/procgen/coinrun?num_levels=200&distribution_mode=easy&use_backgrounds=false')).toEqual({
      endpoint: 'tcp://127.0.0.1:5555',
      envId: 'procgen/coinrun',
      kwargs: { num_levels: 200, distribution_mode: 'easy', use_backgrounds: false },
    });
    expect(parseRemoteName('ipc:///tmp/rad.sock/dm_control/walker-walk')).toMatchObject({ endpoint: 'ipc:///tmp/rad.sock', envId: 'dm_control/walker-walk' });
    expect(parseRemoteName('tcp://127.0.0.1:5556/gymnasium/ALE/Pong-v5').envId).toBe('gymnasium/ALE/Pong-v5');
    expect(parseRemoteName('tcp://127.0.0.1:5556')).toMatchObject({ envId: '', kwargs: {} });
    expect(() => parseRemoteName('ipc:///tmp/rad/dm_control/walker-walk')).toThrow(/expected tcp:\/\/host:port\/<env id> or ipc:\/\/\/path.sock/);
    // libzmq would connect to port 99999 as 34463: refused as bad input (exit code 2) before any socket.
    expect(() => parseRemoteName('tcp://127.0.0.1:99999/x')).toThrow(InputError);
    expect(() => parseRemoteName('tcp://127.0.0.1:99999/x')).toThrow('endpoint "tcp://127.0.0.1:99999": a tcp endpoint needs a port from 0 to 65535');
  });
});

const { python, reason } = bridgePython();

describe.skipIf(!python)(`the Python server's built-in msgpack codec${python ? '' : ` (skipped: ${reason})`}`, () => {
  it('round-trips every size class and agrees with the msgpack package (wire_check.py)', () => {
    const script = fileURLToPath(new URL('./wire_check.py', import.meta.url));
    const result = spawnSync(python!, [script], { encoding: 'utf8', timeout: 30_000 });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('wire_check: ok');
    expect(result.status).toBe(0);
  });
});
