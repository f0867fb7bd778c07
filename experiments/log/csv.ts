/**
 * CSV sink: train.csv and eval.csv, each with `agent_step` and `env_step` as
 * its first columns so the two are never confused. Columns are the scalars
 * seen so far; when a new one appears (losses start after the random phase)
 * the file is rewritten atomically with the wider header.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic.ts';
import type { LogRecord, RecordKind, Sink } from './sink.ts';

// eval.csv carries no wall time, so that two runs with one seed give identical files.
const fixedColumns: Record<'train' | 'eval', string[]> = { train: ['agent_step', 'env_step', 'time'], eval: ['agent_step', 'env_step'] };

function formatCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : String(value)) : String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Splits one CSV line (quotes handled). */
export function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') (cell += '"'), i++;
      else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') cells.push(cell), (cell = '');
    else cell += char;
  }
  cells.push(cell);
  return cells;
}

export interface CsvTable {
  columns: string[];
  rows: Record<string, number | string>[];
}

/** Reads a CSV written by this sink; numeric cells become numbers. */
export function readCsv(path: string): CsvTable {
  const lines = readFileSync(path, 'utf8').split('\n').filter((line) => line.length > 0);
  if (lines.length === 0) return { columns: [], rows: [] };
  const columns = splitCsvLine(lines[0]);
  const rows = lines.slice(1).map((line) => {
    const cells = splitCsvLine(line);
    return Object.fromEntries(columns.map((column, i) => [column, cells[i] === undefined || cells[i] === '' || Number.isNaN(Number(cells[i])) ? (cells[i] ?? '') : Number(cells[i])]));
  });
  return { columns, rows };
}

/**
 * Drops the rows logged after `maxEnvStep` (and a torn last line from a kill),
 * so that a resumed run appends from its checkpoint and no step appears twice.
 */
export function truncateCsv(path: string, maxEnvStep: number): void {
  if (!existsSync(path)) return;
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const complete = text.endsWith('\n') ? lines.slice(0, -1) : lines.slice(0, -1); // the last piece is '' or torn
  if (complete.length === 0) return writeFileAtomic(path, '');
  const columns = splitCsvLine(complete[0]);
  const envColumn = columns.indexOf('env_step');
  const kept = [complete[0]];
  for (const line of complete.slice(1)) {
    const cells = splitCsvLine(line);
    if (cells.length !== columns.length) continue;
    if (envColumn >= 0 && Number(cells[envColumn]) > maxEnvStep) continue;
    kept.push(line);
  }
  writeFileAtomic(path, kept.join('\n') + '\n');
}

class CsvFile {
  columns: string[] = [];

  constructor(
    readonly path: string,
    private readonly fixed: string[],
  ) {
    if (existsSync(path)) this.columns = readCsv(path).columns;
  }

  append(record: LogRecord): void {
    const keys = Object.keys(record.scalars);
    const added = keys.filter((key) => !this.columns.includes(key));
    if (this.columns.length === 0) {
      this.columns = [...this.fixed, ...keys.sort()];
      writeFileAtomic(this.path, this.columns.join(',') + '\n');
    } else if (added.length > 0) {
      const old = readCsv(this.path);
      this.columns = [...this.columns, ...added.sort()];
      const body = old.rows.map((row) => this.columns.map((column) => formatCell(row[column])).join(','));
      writeFileAtomic(this.path, [this.columns.join(','), ...body].join('\n') + '\n');
    }
    const values: Record<string, unknown> = { ...record.scalars, agent_step: record.agentStep, env_step: record.envStep, time: Number(record.time.toFixed(3)) };
    appendFileSync(this.path, this.columns.map((column) => formatCell(values[column])).join(',') + '\n');
  }
}

/** Writes `train` records to train.csv and `eval` records to eval.csv in `dir`. */
export class CsvSink implements Sink {
  private files = new Map<RecordKind, CsvFile>();

  constructor(readonly dir: string) {}

  write(record: LogRecord): void {
    if (record.kind === 'event') return;
    let file = this.files.get(record.kind);
    if (!file) {
      file = new CsvFile(join(this.dir, `${record.kind}.csv`), fixedColumns[record.kind]);
      this.files.set(record.kind, file);
    }
    file.append(record);
  }
}
