/**
 * JSONL sink: events.jsonl holds every record (train, eval and events such as
 * start, resume, checkpoint), one JSON object a line, images left out.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic.ts';
import type { LogRecord, Sink } from './sink.ts';

export class JsonlSink implements Sink {
  readonly path: string;

  constructor(dir: string) {
    this.path = join(dir, 'events.jsonl');
  }

  write(record: LogRecord): void {
    const { images: _images, ...rest } = record;
    const line = {
      kind: rest.kind,
      agent_step: rest.agentStep,
      env_step: rest.envStep,
      time: Number(rest.time.toFixed(3)),
      ...(rest.message ? { message: rest.message } : {}),
      ...(Object.keys(rest.scalars).length ? { scalars: rest.scalars } : {}),
      ...(rest.details ? { details: rest.details } : {}),
    };
    appendFileSync(this.path, JSON.stringify(line) + '\n');
  }
}

/** Keeps the complete lines logged at or before `maxEnvStep` (resume), except events whose message is in `dropEvents`. */
export function truncateJsonl(path: string, maxEnvStep: number, dropEvents: readonly string[] = []): void {
  if (!existsSync(path)) return;
  const kept: string[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      const parsed = JSON.parse(line) as { env_step?: number; kind?: string; message?: string };
      const dropped = parsed.kind === 'event' && dropEvents.includes(parsed.message ?? '');
      if ((parsed.env_step ?? 0) <= maxEnvStep && !dropped) kept.push(line);
    } catch {
      // a line torn by a kill
    }
  }
  writeFileAtomic(path, kept.length ? kept.join('\n') + '\n' : '');
}

export function readJsonl(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
