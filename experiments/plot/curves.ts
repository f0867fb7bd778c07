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
import { fieldNames, fields } from '../config/fields.ts';
import { readCsv } from '../log/csv.ts';

/**
 * Config keys that do not change what a run learns: runs differing only in these are seeds of one setting.
 * Every output key, and of the others the seed, the compute backend and the budgets but init_steps (its random start).
 */
const NOT_THE_SETTING = new Set<string>([
  ...fieldNames.filter((key) => fields[key].group === 'output'),
  'seed', 'backend', 'threads', 'env_steps', 'eval_every', 'eval_episodes', 'checkpoint_every', 'log_every',
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

/** What the band around the mean shows: ± the population std over seeds, or the 95% confidence interval of the mean (Student's t). */
export type Band = 'std' | 'ci95';
export const BANDS: readonly Band[] = ['std', 'ci95'];

export interface AggregateCurve {
  label: string;
  seeds: number;
  envSteps: number[];
  mean: number[];
  std: number[];
  /** The band's half-width at each step (`std`, or the confidence interval's; 0 where one seed reached the step). */
  band: number[];
  /** The runs that reached each step. */
  counts: number[];
  bandKind: Band;
}

/**
 * Student's t at 0.975 for `df` degrees of freedom: the table for 1-30, and
 * above it the Cornish-Fisher expansion around z = 1.959964 (within 1e-3 there).
 */
export function studentT975(df: number): number {
  const table = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
    2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];
  if (df <= table.length) return table[df - 1];
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2);
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

/** Groups runs by setting; at each env step, mean, std and the band over the seeds that reached it. */
export function aggregateCurves(runs: RunCurve[], bandKind: Band = 'std'): AggregateCurve[] {
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
    const band: number[] = [];
    const counts: number[] = [];
    for (const step of steps) {
      const values = members.map((run) => run.returns[run.envSteps.indexOf(step)]).filter((value) => value !== undefined);
      const n = values.length;
      const average = values.reduce((sum, value) => sum + value, 0) / n;
      const squares = values.reduce((sum, value) => sum + (value - average) ** 2, 0);
      counts.push(n);
      mean.push(average);
      std.push(Math.sqrt(squares / n));
      // The confidence interval of the mean uses the sample std (n - 1); one seed gives none.
      band.push(bandKind === 'std' ? std[std.length - 1] : n < 2 ? 0 : (studentT975(n - 1) * Math.sqrt(squares / (n - 1))) / Math.sqrt(n));
    }
    return { label, seeds: members.length, envSteps: steps, mean, std, band, counts, bandKind };
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
    return [run.label, ...differing.map((key) => `${key}=${shortValue(run.setting[key], others.map((other) => other.setting[key]))}`)].join(' ');
  });
}

/**
 * A value as a label shows it: a number with the fewest significant digits (3
 * at least) that still tell apart the values it is compared with (a search's
 * learning rates: 0.000908, not 0.0009083771741813924).
 */
function shortValue(value: unknown, among: unknown[]): string {
  if (value === undefined) return '(unset)';
  if (typeof value !== 'number' || Number.isInteger(value)) return String(value);
  const numbers = [...new Set(among.filter((other): other is number => typeof other === 'number'))];
  for (let digits = 3; digits < 17; digits++) {
    const shown = (x: number) => Number(x.toPrecision(digits));
    if (new Set(numbers.map(shown)).size === numbers.length) return String(shown(value));
  }
  return String(value);
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
