/**
 * Logging as stackable sinks over one `write(record)` (after Acme's loggers):
 * the training loop builds records, each sink renders them its own way (CSV,
 * JSONL, TensorBoard, progress on stdout). The agent never logs; it returns
 * metrics that the loop puts into records.
 */
import type { NdArray } from '../../common/ndarray.ts';

export type RecordKind = 'train' | 'eval' | 'event';

export interface LogRecord {
  kind: RecordKind;
  /** Agent decisions so far (one per action-repeated step). */
  agentStep: number;
  /** Simulator steps so far: agentStep * action_repeat. */
  envStep: number;
  /** Seconds since the run started (summed over resumed segments). */
  time: number;
  /** Namespaced scalars, e.g. `train/episode_return`, `losses/critic`, `eval/return_mean`. */
  scalars: Record<string, number>;
  /** RGB images (H, W, 3) uint8, for sinks that show them (TensorBoard). */
  images?: Record<string, NdArray<'uint8'>>;
  /** For events: what happened (`start`, `resume`, `checkpoint`, `done`). */
  message?: string;
  /** Free-form details of an event (backend, paths). */
  details?: Record<string, unknown>;
}

export interface Sink {
  write(record: LogRecord): void;
  /** Flushes buffered output (called at checkpoints). */
  flush?(): void;
  close?(): void;
}

/** Writes every record to every sink, in order. */
export class MultiSink implements Sink {
  constructor(readonly sinks: Sink[]) {}

  write(record: LogRecord): void {
    for (const sink of this.sinks) sink.write(record);
  }

  flush(): void {
    for (const sink of this.sinks) sink.flush?.();
  }

  close(): void {
    for (const sink of this.sinks) sink.close?.();
  }
}
