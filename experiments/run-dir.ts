/**
 * Run directories: `runs/<env>__<preset>__<seed>__<time>/` (the env id made
 * safe for a file name), holding config.yaml, train.csv, eval.csv,
 * events.jsonl, tb/, checkpoints/, videos/, plot.png and plot.svg, result.json.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../common/errors.ts';
import type { RunConfig } from './config/fields.ts';

/** `dmc:cartpole-swingup` -> `dmc-cartpole-swingup`; anything unsafe in a path becomes '-'. */
export function safeName(text: string): string {
  return text.replace(/^[a-z]+:\/\//, '').replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'env';
}

export function timeStamp(date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
}

/**
 * Creates a new run directory for `config` and returns its path, never one that
 * exists (createUniqueDir).
 */
export function createRunDir(config: RunConfig): string {
  return createUniqueDir(config.runs_dir, config.run_name || `${safeName(config.env)}__${config.preset}__${config.seed}__${timeStamp()}`);
}

/**
 * Creates folder `root/name`, or `name_2`, `name_3`, ... when taken, and returns
 * its path (`what` names the root's option and the folder in an error). Each candidate is made by an exclusive mkdir, so processes that
 * start together (a search launching its runs, whose names differ only past the
 * second) each get their own.
 */
export function createUniqueDir(root: string, name: string, what = { option: 'runs_dir', noun: 'run directory' }): string {
  let dir = join(root, name);
  try {
    mkdirSync(root, { recursive: true });
    for (let i = 2; !makeNew(dir); i++) dir = join(root, `${name}_${i}`);
  } catch (error) {
    throw new InputError(`${what.option} ${root}: cannot create the ${what.noun} ${dir} (${(error as Error).message}); expected a folder this user can write`);
  }
  return dir;
}

/** Makes folder `dir`: true, or false when it exists already. */
function makeNew(dir: string): boolean {
  try {
    mkdirSync(dir);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

export const runFiles = {
  config: 'config.yaml',
  train: 'train.csv',
  eval: 'eval.csv',
  events: 'events.jsonl',
  tensorboard: 'tb',
  checkpoints: 'checkpoints',
  videos: 'videos',
  plot: 'plot',
  result: 'result.json',
} as const;
