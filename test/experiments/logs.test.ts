import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CsvSink, readCsv, truncateCsv } from '../../experiments/log/csv.ts';
import { JsonlSink, readJsonl, truncateJsonl } from '../../experiments/log/jsonl.ts';
import { ProgressSink } from '../../experiments/log/progress.ts';
import type { LogRecord } from '../../experiments/log/sink.ts';

const record = (kind: LogRecord['kind'], agentStep: number, scalars: Record<string, number>): LogRecord => ({ kind, agentStep, envStep: agentStep * 4, time: agentStep / 10, scalars });

describe('CSV and JSONL sinks', () => {
  it('train.csv and eval.csv carry agent_step and env_step; new metrics widen the header', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rad-logs-'));
    const sink = new CsvSink(dir);
    sink.write(record('train', 10, { 'train/episode_return': 1.5 }));
    sink.write(record('train', 20, { 'train/episode_return': 2, 'losses/critic': 0.5 }));
    sink.write(record('eval', 20, { 'eval/return_mean': 3, 'eval/return_std': 0.1 }));
    sink.write(record('event', 20, { ignored: 1 }));
    const train = readCsv(join(dir, 'train.csv'));
    expect(train.columns.slice(0, 3)).toEqual(['agent_step', 'env_step', 'time']);
    expect(train.columns).toContain('losses/critic');
    expect(train.rows).toEqual([
      { agent_step: 10, env_step: 40, time: 1, 'train/episode_return': 1.5, 'losses/critic': '' },
      { agent_step: 20, env_step: 80, time: 2, 'train/episode_return': 2, 'losses/critic': 0.5 },
    ]);
    const evaluation = readCsv(join(dir, 'eval.csv'));
    expect(evaluation.columns).toEqual(['agent_step', 'env_step', 'eval/return_mean', 'eval/return_std']);
    expect(evaluation.rows).toHaveLength(1);
  });

  it('truncation for resume drops rows past the checkpoint step and a torn last line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rad-logs-'));
    const sink = new CsvSink(dir);
    for (const step of [10, 20, 30, 40]) sink.write(record('train', step, { x: step }));
    appendFileSync(join(dir, 'train.csv'), '50,200,5,5'.slice(0, 6)); // a kill mid-write
    truncateCsv(join(dir, 'train.csv'), 80);
    expect(readCsv(join(dir, 'train.csv')).rows.map((row) => row.env_step)).toEqual([40, 80]);
    // appending continues cleanly
    new CsvSink(dir).write(record('train', 30, { x: 30 }));
    expect(readCsv(join(dir, 'train.csv')).rows.map((row) => row.env_step)).toEqual([40, 80, 120]);

    const jsonl = new JsonlSink(dir);
    for (const step of [10, 20, 30]) jsonl.write({ ...record('train', step, { x: step }), message: 'm' });
    appendFileSync(jsonl.path, '{"kind":"tra');
    truncateJsonl(jsonl.path, 80);
    expect(readJsonl(jsonl.path).map((line) => line.env_step)).toEqual([40, 80]);
    expect(readFileSync(jsonl.path, 'utf8').endsWith('\n')).toBe(true);
    // Resume drops a 'done' event (its end is redone); other records with the same message stay.
    jsonl.write({ ...record('event', 20, {}), message: 'checkpoint' });
    jsonl.write({ ...record('event', 20, {}), message: 'done' });
    jsonl.write({ ...record('train', 20, {}), message: 'done' });
    truncateJsonl(jsonl.path, 80, ['done']);
    expect(readJsonl(jsonl.path).map((line) => `${line.kind}:${line.message}`)).toEqual(['train:m', 'train:m', 'event:checkpoint', 'train:done']);
  });
});

describe('progress on stdout', () => {
  const capture = (tty: boolean) => {
    let text = '';
    const sink = new ProgressSink({ totalEnvSteps: 1000, stream: { write: (chunk: string) => (text += chunk), isTTY: tty, columns: 120 } });
    sink.write(record('train', 50, { 'train/episode_return': 12.5 }));
    sink.write(record('eval', 50, { 'eval/return_mean': 99.25, 'eval/return_std': 1 }));
    sink.write(record('train', 100, {}));
    // A failure is reported by whoever catches the run's error, not twice.
    sink.write({ ...record('event', 100, {}), message: 'failed', details: { error: 'boom' } });
    sink.close();
    return text;
  };

  it('prints plain lines when stdout is not a TTY', () => {
    const text = capture(false);
    expect(text).not.toContain('\r');
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^train env_step=200\/1000 agent_step=50 .*episode_return=12.5/);
    expect(lines[1]).toMatch(/^eval  env_step=200 agent_step=50 return=99.3 ± 1.0/);
    expect(lines[2]).toMatch(/sps=\d+(\.\d)? .*eta=\d/);
    expect(text).not.toContain('boom');
  });

  it('redraws one bar with env steps, SPS, last eval return and ETA on a TTY', () => {
    const text = capture(true);
    const frames = text.split('\r\x1b[2K').filter(Boolean);
    const last = frames.at(-1)!;
    expect(last).toMatch(/400\/1000 env steps \| \d+ SPS \| eval 99.3 \| ETA \d+s/);
    expect(text.endsWith('\n')).toBe(true);
  });
});
