/**
 * Learning curves from run directories: each run's eval.csv, grouped across
 * seeds by the setting that defines the experiment (the run's config but for its
 * seed and what does not change what is learned: output, backend, budgets),
 * aggregated as mean ± std (population std, as numpy's default) at each env
 * step. x is always the env step. A curve is labelled by preset and env, and
 * where several settings share those, by the keys in which they differ.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import YAML from 'yaml';
import { InputError } from '../../common/errors.ts';
import { readCsv } from '../log/csv.ts';

/** Config keys that do not change what a run learns: runs differing only in these are seeds of one setting. */
const NOT_THE_SETTING = new Set([
  'seed', 'backend', 'threads', 'env_steps', 'eval_every', 'eval_episodes', 'checkpoint_every', 'log_every',
  'runs_dir', 'run_name', 'checkpoint_replay', 'video', 'video_format', 'plot', 'tensorboard',
]);

export interface RunCurve {
  dir: string;
  label: string;
  /** The config keys that define the experiment (all but NOT_THE_SETTING), empty without a config.yaml. */
  setting: Record<string, unknown>;
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
  const setting: Record<string, unknown> = {};
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
    for (const [key, value] of Object.entries(config)) if (!NOT_THE_SETTING.has(key)) setting[key] = value;
  }
  const rows = table.rows.filter((row) => typeof row.env_step === 'number' && typeof row[metric] === 'number');
  rows.sort((a, b) => (a.env_step as number) - (b.env_step as number));
  return { dir, label, setting, seed, envSteps: rows.map((row) => row.env_step as number), returns: rows.map((row) => row[metric] as number) };
}

/** Groups runs by setting; at each env step, mean and std over the seeds that reached it. */
export function aggregateCurves(runs: RunCurve[]): AggregateCurve[] {
  const groups = new Map<string, RunCurve[]>();
  for (const run of runs) {
    const key = JSON.stringify([run.label, run.setting]);
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  const labels = settingLabels([...groups.values()].map((members) => members[0]));
  return [...groups.values()].map((members, index) => {
    const label = labels[index];
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

/**
 * A label per setting (one run of each): its label, and where other settings
 * share that label, the keys in which they differ (`aug=crop lr=0.001`).
 */
function settingLabels(representatives: RunCurve[]): string[] {
  return representatives.map((run) => {
    const others = representatives.filter((other) => other.label === run.label);
    if (others.length === 1) return run.label;
    const keys = [...new Set(others.flatMap((other) => Object.keys(other.setting)))];
    const differing = keys.filter((key) => others.some((other) => JSON.stringify(other.setting[key]) !== JSON.stringify(run.setting[key])));
    return [run.label, ...differing.map((key) => `${key}=${run.setting[key] ?? '(unset)'}`)].join(' ');
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
