/**
 * A TensorBoard event-file reader written for the tests from the format's
 * description (TFRecord framing; event.proto / summary.proto field numbers),
 * independent of the writer: it checks both masked CRC32Cs of every record and
 * decodes the protobuf wire format generically.
 */
import { readFileSync } from 'node:fs';

// CRC-32C computed bit by bit (no table), so it shares nothing with the writer's.
function crc32cBitwise(bytes: Uint8Array): number {
  let crc = ~0 >>> 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

export function maskedCrc(bytes: Uint8Array): number {
  const crc = crc32cBitwise(bytes);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

export function crc32cOf(bytes: Uint8Array): number {
  return crc32cBitwise(bytes);
}

type Field = { number: number; wire: number; value: bigint | Uint8Array | number };

/** Decodes one protobuf message into its fields, in order. */
export function decodeFields(bytes: Uint8Array): Field[] {
  const fields: Field[] = [];
  let position = 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (position >= bytes.length) throw new Error('protobuf: varint runs past the end');
      const byte = bytes[position++];
      result |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return result;
      shift += 7n;
    }
  };
  while (position < bytes.length) {
    const key = Number(varint());
    const number = key >>> 3;
    const wire = key & 7;
    if (wire === 0) fields.push({ number, wire, value: varint() });
    else if (wire === 1) {
      fields.push({ number, wire, value: view.getFloat64(position, true) });
      position += 8;
    } else if (wire === 5) {
      fields.push({ number, wire, value: view.getFloat32(position, true) });
      position += 4;
    } else if (wire === 2) {
      const length = Number(varint());
      if (position + length > bytes.length) throw new Error('protobuf: length-delimited field runs past the end');
      fields.push({ number, wire, value: bytes.subarray(position, position + length) });
      position += length;
    } else throw new Error(`protobuf: unsupported wire type ${wire}`);
  }
  return fields;
}

export interface ReadEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  scalars: Record<string, number>;
  images: Record<string, { height: number; width: number; colorspace: number; png: Uint8Array }>;
  sessionStatus?: number;
}

/** Splits a file into TFRecord payloads; throws on a CRC mismatch or a torn record. */
export function readRecords(bytes: Uint8Array): Uint8Array[] {
  const records: Uint8Array[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let position = 0;
  while (position < bytes.length) {
    if (position + 12 > bytes.length) throw new Error(`record at ${position}: truncated header`);
    const lengthBytes = bytes.subarray(position, position + 8);
    if (view.getUint32(position + 8, true) !== maskedCrc(lengthBytes)) throw new Error(`record at ${position}: length CRC mismatch`);
    const length = Number(view.getBigUint64(position, true));
    const start = position + 12;
    if (start + length + 4 > bytes.length) throw new Error(`record at ${position}: truncated payload`);
    const payload = bytes.subarray(start, start + length);
    if (view.getUint32(start + length, true) !== maskedCrc(payload)) throw new Error(`record at ${position}: data CRC mismatch`);
    records.push(payload);
    position = start + length + 4;
  }
  return records;
}

const text = (value: Field['value']) => new TextDecoder().decode(value as Uint8Array);

export function decodeEvent(payload: Uint8Array): ReadEvent {
  const event: ReadEvent = { wallTime: 0, step: 0, scalars: {}, images: {} };
  for (const field of decodeFields(payload)) {
    if (field.number === 1) event.wallTime = field.value as number;
    else if (field.number === 2) event.step = Number(field.value as bigint);
    else if (field.number === 3) event.fileVersion = text(field.value);
    else if (field.number === 5) {
      for (const valueField of decodeFields(field.value as Uint8Array).filter((f) => f.number === 1)) {
        const parts = decodeFields(valueField.value as Uint8Array);
        const tag = text(parts.find((p) => p.number === 1)!.value);
        const simple = parts.find((p) => p.number === 2);
        const image = parts.find((p) => p.number === 4);
        if (simple) event.scalars[tag] = simple.value as number;
        if (image) {
          const imageFields = decodeFields(image.value as Uint8Array);
          const get = (n: number) => imageFields.find((f) => f.number === n)?.value;
          event.images[tag] = { height: Number(get(1)), width: Number(get(2)), colorspace: Number(get(3)), png: get(4) as Uint8Array };
        }
      }
    } else if (field.number === 6) {
      const status = decodeFields(field.value as Uint8Array).find((f) => f.number === 1);
      event.sessionStatus = Number(status?.value ?? 0);
    }
  }
  return event;
}

export function readEventFile(path: string): ReadEvent[] {
  return readRecords(new Uint8Array(readFileSync(path))).map(decodeEvent);
}
