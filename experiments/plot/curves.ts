/**
 * Learning curves from run directories: each run's eval.csv, grouped by
 * (env, preset) across seeds, aggregated as mean ± std (population std, as
 * numpy's default) at each env step. x is always the env step.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import YAML from 'yaml';
import { InputError } from '../../common/errors.ts';
import { readCsv } from '../log/csv.ts';

export interface RunCurve {
  dir: string;
  label: string;
  seed: number | null;
  envSteps: number[];
  returns: number[];
}

export interface AggregateCurve {
  label: string;
  seeds: number;
  envSteps: number[];
  mean: number[];
  std: number[];
}

export function readRunCurve(dir: string, metric = 'eval/return_mean'): RunCurve {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError(`plot: run directory ${dir} does not exist`);
  const csvPath = join(dir, 'eval.csv');
  if (!existsSync(csvPath)) throw new InputError(`plot: ${dir} has no eval.csv (has the run reached its first evaluation?)`);
  const table = readCsv(csvPath);
  if (!table.columns.includes(metric)) throw new InputError(`plot: ${csvPath} has no column "${metric}"; columns: ${table.columns.join(', ')}`);
  let label = basename(dir);
  let seed: number | null = null;
  const configPath = join(dir, 'config.yaml');
  if (existsSync(configPath)) {
    let config: Record<string, unknown>;
    try {
      config = (YAML.parse(readFileSync(configPath, 'utf8')) ?? {}) as Record<string, unknown>;
    } catch (error) {
      throw new InputError(`plot: ${configPath} is not valid YAML (${(error as Error).message.split('\n')[0]}); the file is damaged`);
    }
    label = `${config.preset} ${config.env}`;
    seed = typeof config.seed === 'number' ? config.seed : null;
  }
  const rows = table.rows.filter((row) => typeof row.env_step === 'number' && typeof row[metric] === 'number');
  rows.sort((a, b) => (a.env_step as number) - (b.env_step as number));
  return { dir, label, seed, envSteps: rows.map((row) => row.env_step as number), returns: rows.map((row) => row[metric] as number) };
}

/** Groups runs by label; at each env step, mean and std over the seeds that reached it. */
export function aggregateCurves(runs: RunCurve[]): AggregateCurve[] {
  const groups = new Map<string, RunCurve[]>();
  for (const run of runs) groups.set(run.label, [...(groups.get(run.label) ?? []), run]);
  return [...groups.entries()].map(([label, members]) => {
    const steps = [...new Set(members.flatMap((run) => run.envSteps))].sort((a, b) => a - b);
    const mean: number[] = [];
    const std: number[] = [];
    for (const step of steps) {
      const values = members.map((run) => run.returns[run.envSteps.indexOf(step)]).filter((value) => value !== undefined);
      const average = values.reduce((sum, value) => sum + value, 0) / values.length;
      mean.push(average);
      std.push(Math.sqrt(values.reduce((sum, value) => sum + (value - average) ** 2, 0) / values.length));
    }
    return { label, seeds: members.length, envSteps: steps, mean, std };
  });
}

/** About `count` round tick values covering [low, high]. */
export function niceTicks(low: number, high: number, count = 5): number[] {
  if (!(high > low)) return [low];
  const raw = (high - low) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let value = Math.ceil(low / step) * step; value <= high + step * 1e-9; value += step) ticks.push(Number(value.toPrecision(12)));
  return ticks;
}

export function formatTick(value: number): string {
  const absolute = Math.abs(value);
  if (absolute >= 1e6) return `${Number((value / 1e6).toPrecision(3))}M`;
  if (absolute >= 1e3) return `${Number((value / 1e3).toPrecision(3))}k`;
  return String(Number(value.toPrecision(3)));
}
