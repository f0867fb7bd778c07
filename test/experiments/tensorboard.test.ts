import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePng } from '../../common/png.ts';
import { zeros } from '../../common/ndarray.ts';
import { crc32c, maskedCrc32c } from '../../experiments/log/tfrecord.ts';
import { TensorBoardSink } from '../../experiments/log/tensorboard.ts';
import { crc32cOf, readEventFile, readRecords } from './tfevents-reader.ts';

describe('TensorBoard event files', () => {
  it('computes CRC-32C as the standard check value says', () => {
    const digits = new TextEncoder().encode('123456789');
    expect(crc32c(digits)).toBe(0xe3069283); // the published CRC-32C check value
    expect(crc32cOf(digits)).toBe(0xe3069283);
    const random = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) % 251);
    expect(crc32c(random)).toBe(crc32cOf(random));
    expect(maskedCrc32c(random)).not.toBe(crc32c(random));
  });

  it('reads back scalars, an image and a session start, every CRC checked', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rad-tb-'));
    const sink = new TensorBoardSink(dir, { resumeStep: 40 });
    const image = zeros('uint8', [6, 5, 3]);
    image.data[0] = 255;
    sink.write({ kind: 'train', agentStep: 10, envStep: 80, time: 1, scalars: { 'losses/critic': 0.25, 'charts/SPS': 123.5 } });
    sink.write({ kind: 'eval', agentStep: 12, envStep: 96, time: 2, scalars: { 'eval/return_mean': 512.75 }, images: { 'eval/first_frame': image } });
    sink.write({ kind: 'event', agentStep: 12, envStep: 96, time: 2, scalars: { ignored: 1 }, message: 'checkpoint' });
    sink.close();
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^events\.out\.tfevents\.\d+\./);
    const events = readEventFile(join(dir, files[0]));
    expect(events[0].fileVersion).toBe('brain.Event:2');
    expect(events[1]).toMatchObject({ step: 40, sessionStatus: 1 });
    expect(events[2].step).toBe(80);
    expect(events[2].scalars).toEqual({ 'losses/critic': 0.25, 'charts/SPS': 123.5, 'charts/agent_step': 10 });
    expect(events[2].wallTime).toBeGreaterThan(1.7e9);
    expect(events[3]).toMatchObject({ step: 96, scalars: { 'eval/return_mean': 512.75 } });
    const written = events[4].images['eval/first_frame'];
    expect(written).toMatchObject({ height: 6, width: 5, colorspace: 3 });
    expect(Array.from(decodePng(written.png).data)).toEqual(Array.from(image.data));
    expect(events).toHaveLength(5); // the event record is not a TensorBoard event
  });

  it('the reader rejects a flipped byte (the CRCs guard every record)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rad-tb-'));
    const sink = new TensorBoardSink(dir);
    sink.write({ kind: 'train', agentStep: 1, envStep: 2, time: 0, scalars: { x: 1 } });
    sink.close();
    const path = join(dir, readdirSync(dir)[0]);
    const bytes = new Uint8Array(readFileSync(path));
    expect(readRecords(bytes)).toHaveLength(2);
    const corrupted = Uint8Array.from(bytes);
    corrupted[corrupted.length - 8] ^= 0x01; // inside the last payload
    expect(() => readRecords(corrupted)).toThrow(/data CRC mismatch/);
    const badLength = Uint8Array.from(bytes);
    badLength[0] ^= 0x01;
    expect(() => readRecords(badLength)).toThrow(/length CRC mismatch/);
    writeFileSync(path, bytes.subarray(0, bytes.length - 3));
    expect(() => readEventFile(path)).toThrow(/truncated/);
  });
});
