/**
 * The bridge's message format (documented in envs/bridge/PROTOCOL.md), shared by
 * the client (`client.ts`) and the Node server (`node_server.ts`).
 *
 * A message is a ZeroMQ multipart message: frame 0 is a msgpack header, frames
 * 1..n are raw C-contiguous arrays. Wherever an array sits inside the header
 * (an observation, an info value) the header holds a msgpack extension of type 1
 * whose payload is the msgpack list `[frame index, dtype, shape]`: frame index 0
 * is the first frame after the header, dtype is numpy's (`|u1`, `<f4`).
 */
import { Decoder, Encoder, ExtensionCodec } from '@msgpack/msgpack';
import type { DType, NdArray, TypedArrayFor } from '../../common/ndarray.ts';
import { sizeOf } from '../../common/ndarray.ts';
import { Box, Dict, Discrete } from '../core.ts';
import type { Space } from '../core.ts';

export const PROTOCOL_VERSION = 1;

/**
 * What is wrong with a ZeroMQ endpoint (tcp://host:port, ipc:///path or
 * inproc://name), or null. A tcp port must be 0 to 65535 or *: libzmq itself
 * takes 99999 as 34463 (the port modulo 65536), a surprise for either side.
 */
export function endpointProblem(endpoint: string): string | null {
  const match = /^(tcp|ipc|inproc):\/\/(.+)$/.exec(endpoint);
  if (!match) return 'expected tcp://host:port (port 0: a free one when binding) or ipc:///path';
  if (match[1] !== 'tcp') return null;
  const colon = match[2].lastIndexOf(':');
  const port = match[2].slice(colon + 1);
  if (colon < 0 || !(port === '*' || (/^\d{1,5}$/.test(port) && Number(port) <= 65535))) return 'a tcp endpoint needs a port from 0 to 65535 (or *): tcp://host:port';
  return null;
}

/** A message that does not follow the protocol; its text names what was wrong. */
export class BridgeProtocolError extends Error {}

/** The msgpack extension type of an array reference. */
export const FRAME_EXTENSION = 1;

export const COMMANDS = ['hello', 'make', 'spaces', 'reset', 'step', 'render', 'close'] as const;
export type Command = (typeof COMMANDS)[number];

/** numpy's `dtype.str` for each dtype of this package (little-endian on the wire). */
const wireNames: Record<DType, string> = {
  uint8: '|u1',
  bool: '|b1',
  int32: '<i4',
  float32: '<f4',
  float64: '<f8',
};
const fromWireNames = new Map(Object.entries(wireNames).map(([dtype, wire]) => [wire, dtype as DType]));

export function toWireDtype(dtype: DType): string {
  const wire = wireNames[dtype];
  if (!wire) throw new Error(`bridge: dtype "${dtype}" has no wire name; expected one of ${Object.keys(wireNames).join(', ')}`);
  return wire;
}

/**
 * numpy int64 has no dtype here (common/ndarray.ts): an `<i8` array is received
 * as int32 when every value fits, as float64 otherwise.
 */
function fromInt64(bytes: Uint8Array, shape: number[]): NdArray {
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const wide = new BigInt64Array(aligned.buffer, aligned.byteOffset, sizeOf(shape));
  const fits = wide.every((x) => x >= -2147483648n && x <= 2147483647n);
  const data = fits ? new Int32Array(wide.length) : new Float64Array(wide.length);
  for (let i = 0; i < wide.length; i++) data[i] = Number(wide[i]);
  return { dtype: fits ? 'int32' : 'float64', shape: [...shape], data } as NdArray;
}

export function fromWireDtype(wire: unknown): DType {
  const dtype = fromWireNames.get(wire as string);
  if (!dtype) throw new BridgeProtocolError(`bridge: unknown wire dtype ${JSON.stringify(wire)}; expected one of ${[...fromWireNames.keys()].join(', ')}`);
  return dtype;
}

export type Header = Record<string, unknown>;

export interface Message {
  header: Header;
  frames: Uint8Array[];
}

const bytesPerElement: Record<DType, number> = { uint8: 1, bool: 1, int32: 4, float32: 4, float64: 8 };

function isNdArray(value: unknown): value is NdArray {
  return (
    typeof value === 'object' &&
    value !== null &&
    'dtype' in value &&
    'shape' in value &&
    'data' in value &&
    ArrayBuffer.isView((value as NdArray).data)
  );
}

/** While a header is encoded, each NdArray met becomes a frame. */
interface FrameContext {
  frames: Uint8Array[];
}

/** Plain codecs for the small `[index, dtype, shape]` references (one instance each: construction is the costly part). */
const referenceEncoder = new Encoder();
const referenceDecoder = new Decoder();

const encodeCodec = new ExtensionCodec<FrameContext>();
encodeCodec.register({
  type: FRAME_EXTENSION,
  encode: (input, { frames }) => {
    if (!isNdArray(input)) return null;
    const data = input.data;
    const reference = referenceEncoder.encode([frames.length, toWireDtype(input.dtype), input.shape]);
    frames.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return reference;
  },
  decode: () => null,
});

/** Typed array of `dtype` over `bytes`, copying only when the bytes are misaligned. */
function viewAs<D extends DType>(dtype: D, bytes: Uint8Array, length: number): TypedArrayFor<D> {
  const width = bytesPerElement[dtype];
  const buffer = bytes.byteOffset % width === 0 ? bytes : bytes.slice();
  const { byteOffset } = buffer;
  switch (dtype) {
    case 'uint8':
    case 'bool':
      return new Uint8Array(buffer.buffer, byteOffset, length) as TypedArrayFor<D>;
    case 'int32':
      return new Int32Array(buffer.buffer, byteOffset, length) as TypedArrayFor<D>;
    case 'float32':
      return new Float32Array(buffer.buffer, byteOffset, length) as TypedArrayFor<D>;
    default:
      return new Float64Array(buffer.buffer, byteOffset, length) as TypedArrayFor<D>;
  }
}

/** Resolves a reference `[index, dtype, shape]` against the frames after the header. */
function arrayFromReference(payload: Uint8Array, frames: Uint8Array[]): NdArray {
  const reference = referenceDecoder.decode(payload) as [number, string, number[]];
  if (!Array.isArray(reference) || reference.length !== 3) {
    throw new BridgeProtocolError(`an array reference must be [frame index, dtype, shape], got ${JSON.stringify(reference)}`);
  }
  const [index, wireDtype, shape] = reference;
  if (!Number.isInteger(index) || index < 0 || index >= frames.length) {
    throw new BridgeProtocolError(`array reference to frame ${index + 1}, but the message has ${frames.length} array frames`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new BridgeProtocolError(`array shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  const dtype = wireDtype === '<i8' ? 'int64' : fromWireDtype(wireDtype);
  const length = sizeOf(shape);
  const expected = length * (dtype === 'int64' ? 8 : bytesPerElement[dtype]);
  if (frames[index].byteLength !== expected) {
    throw new BridgeProtocolError(`array ${wireDtype} [${shape}] needs ${expected} bytes, frame ${index + 1} has ${frames[index].byteLength}`);
  }
  if (dtype === 'int64') return fromInt64(frames[index], shape);
  return { dtype, shape: [...shape], data: viewAs(dtype, frames[index], length) } as NdArray;
}

const decodeCodec = new ExtensionCodec<FrameContext>();
decodeCodec.register({
  type: FRAME_EXTENSION,
  encode: () => null,
  decode: (payload, _type, { frames }) => arrayFromReference(payload, frames),
});

// One encoder and decoder for the process (cheaper than one per message); the
// context object's frames are swapped in per call. Both are synchronous.
const encodeContext: FrameContext = { frames: [] };
const decodeContext: FrameContext = { frames: [] };
const encoder = new Encoder({ extensionCodec: encodeCodec, context: encodeContext });
const decoder = new Decoder({ extensionCodec: decodeCodec, context: decodeContext });

/** Header and arrays to frames: [msgpack header, array bytes...]. Arrays are not copied. */
export function encodeMessage(header: Header): Uint8Array[] {
  const frames: Uint8Array[] = [];
  encodeContext.frames = frames;
  try {
    return [encoder.encode(header), ...frames];
  } finally {
    encodeContext.frames = [];
  }
}

/** Frames to header, with every array reference replaced by its NdArray. */
export function decodeMessage(parts: Uint8Array[]): Message {
  if (parts.length === 0) throw new BridgeProtocolError('empty message: expected a msgpack header frame');
  const [headerBytes, ...frames] = parts;
  let header: unknown;
  decodeContext.frames = frames;
  try {
    header = decoder.decode(headerBytes);
  } catch (error) {
    if (error instanceof BridgeProtocolError) throw error;
    throw new BridgeProtocolError(`header frame is not msgpack (${(error as Error).message})`);
  } finally {
    decodeContext.frames = [];
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header) || ArrayBuffer.isView(header)) {
    throw new BridgeProtocolError(`header must be a msgpack map, got ${Array.isArray(header) ? 'a list' : typeof header}`);
  }
  return { header: header as Header, frames };
}

/** A space as the header carries it: Box bounds are a scalar when all elements share one. */
export function encodeSpace(space: Space): Header {
  if (space instanceof Box) {
    const bound = (values: Float64Array) => (values.every((x) => x === values[0]) ? values[0] : Array.from(values));
    return { kind: 'box', dtype: toWireDtype(space.dtype), shape: space.shape, low: bound(space.low), high: bound(space.high) };
  }
  if (space instanceof Discrete) return { kind: 'discrete', n: space.n, start: space.start };
  if (space instanceof Dict) {
    return { kind: 'dict', spaces: Object.fromEntries(Object.entries(space.spaces).map(([key, sub]) => [key, encodeSpace(sub)])) };
  }
  throw new Error(`bridge: cannot encode space ${String(space)}; expected Box, Discrete or Dict`);
}

export function decodeSpace(value: unknown, where = 'space'): Space {
  const record = value as Header;
  if (!record || typeof record !== 'object') throw new BridgeProtocolError(`${where}: expected a space record, got ${JSON.stringify(value)}`);
  if (record.kind === 'box') {
    const shape = record.shape as number[];
    const bound = (b: unknown) => (typeof b === 'number' ? b : (b as number[]));
    return new Box(bound(record.low), bound(record.high), shape, fromWireDtype(record.dtype));
  }
  if (record.kind === 'discrete') return new Discrete(record.n as number, (record.start as number) ?? 0);
  if (record.kind === 'dict') {
    const spaces = record.spaces as Record<string, unknown>;
    return new Dict(Object.fromEntries(Object.entries(spaces).map(([key, sub]) => [key, decodeSpace(sub, `${where}.${key}`)])));
  }
  throw new BridgeProtocolError(`${where}: unknown space kind ${JSON.stringify(record.kind)}; expected box, discrete or dict`);
}

/** The error a server sends back: the request keeps its id so the client can match it. */
export function errorReply(id: unknown, message: string, command?: unknown): Header {
  return { v: PROTOCOL_VERSION, id: id ?? null, ok: false, error: message, ...(command === undefined ? {} : { cmd: command }) };
}
