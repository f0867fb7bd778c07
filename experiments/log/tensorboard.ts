/**
 * TensorBoard sink: an event file `events.out.tfevents.<seconds>.<host>` in
 * `<run>/tb/`. Fields of tensorflow/core/util/event.proto and
 * framework/summary.proto that are written:
 *   Event { double wall_time = 1; int64 step = 2; string file_version = 3;
 *           Summary summary = 5; SessionLog session_log = 6; }
 *   Summary { repeated Value value = 1; }
 *   Value { string tag = 1; float simple_value = 2; Image image = 4; }
 *   Image { int32 height = 1; int32 width = 2; int32 colorspace = 3; bytes encoded_image_string = 4; }
 *   SessionLog { SessionStatus status = 1; } with START = 1
 * The step written is the env step, so curves line up with the papers'.
 * On resume, a SessionLog START at the checkpoint step tells TensorBoard to
 * purge the events a killed segment wrote past it.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { NdArray } from '../../common/ndarray.ts';
import { encodePng } from '../../common/png.ts';
import type { LogRecord, Sink } from './sink.ts';
import { frameRecord, ProtoWriter } from './tfrecord.ts';

export class TensorBoardWriter {
  readonly path: string;
  private handle: number;

  constructor(dir: string, wallTime = Date.now() / 1000) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, `events.out.tfevents.${Math.floor(wallTime)}.${hostname()}.${process.pid}`);
    this.handle = openSync(this.path, 'a');
    this.writeEvent(new ProtoWriter().double(1, wallTime).int(2, 0).bytes(3, 'brain.Event:2'));
  }

  private writeEvent(event: ProtoWriter): void {
    const record = frameRecord(event.finish());
    writeSync(this.handle, record);
  }

  private event(step: number, wallTime: number): ProtoWriter {
    return new ProtoWriter().double(1, wallTime).int(2, step);
  }

  scalars(step: number, values: Record<string, number>, wallTime = Date.now() / 1000): void {
    const summary = new ProtoWriter();
    for (const [tag, value] of Object.entries(values)) {
      if (!Number.isFinite(value)) continue;
      summary.bytes(1, new ProtoWriter().bytes(1, tag).float(2, value));
    }
    this.writeEvent(this.event(step, wallTime).bytes(5, summary));
  }

  image(step: number, tag: string, image: NdArray<'uint8'>, wallTime = Date.now() / 1000): void {
    const [height, width] = image.shape;
    const encoded = new ProtoWriter().int(1, height).int(2, width).int(3, 3).bytes(4, encodePng(image));
    const summary = new ProtoWriter().bytes(1, new ProtoWriter().bytes(1, tag).bytes(4, encoded));
    this.writeEvent(this.event(step, wallTime).bytes(5, summary));
  }

  /** SessionLog START at `step`: TensorBoard drops older events with a larger step. */
  sessionStart(step: number, wallTime = Date.now() / 1000): void {
    this.writeEvent(this.event(step, wallTime).bytes(6, new ProtoWriter().int(1, 1)));
  }

  flush(): void {
    fsyncSync(this.handle);
  }

  close(): void {
    closeSync(this.handle);
  }
}

export class TensorBoardSink implements Sink {
  readonly writer: TensorBoardWriter;

  constructor(dir: string, options: { resumeStep?: number } = {}) {
    this.writer = new TensorBoardWriter(dir);
    if (options.resumeStep !== undefined) this.writer.sessionStart(options.resumeStep);
  }

  write(record: LogRecord): void {
    if (record.kind === 'event') return;
    const wallTime = Date.now() / 1000;
    const scalars: Record<string, number> = { ...record.scalars };
    if (record.kind === 'train') scalars['charts/agent_step'] = record.agentStep;
    this.writer.scalars(record.envStep, scalars, wallTime);
    for (const [tag, image] of Object.entries(record.images ?? {})) this.writer.image(record.envStep, tag, image, wallTime);
  }

  flush(): void {
    this.writer.flush();
  }

  close(): void {
    this.writer.close();
  }
}
