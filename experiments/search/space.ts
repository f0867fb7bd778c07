/**
 * A search file: the runs' fixed config and the keys to search, each a
 * dimension of the unit cube the optimiser moves in.
 *
 *   preset: quick                    # the preset every run starts from
 *   base:                            # keys fixed for every run
 *     env: dmc:cartpole-swingup
 *     env_steps: 8000
 *   space:                           # keys to search
 *     aug: [crop, crop-cutout, crop-grayscale]     # a choice: the coordinate picks one
 *     lr: {min: 1.0e-4, max: 1.0e-3, log: true}   # a range (log: uniform in log space)
 *     batch_size: {min: 16, max: 64}              # an int key's range takes whole numbers
 *   optimizer: pso                   # settings, each also a flag of `rad search`: pso or cmaes
 *   particles: 6
 *   iterations: 4
 *   seeds: 1
 *
 * Seeds and run directories belong to the search: `seed`, `runs_dir` and
 * `run_name` may not be set.
 */
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { showValue } from '../../common/errors.ts';
import { fieldNames, fields, type FieldName } from '../config/fields.ts';
import { ConfigError, validatePartial } from '../config/schema.ts';

export type Dimension =
  | { key: FieldName; kind: 'choice'; values: unknown[] }
  | { key: FieldName; kind: 'range'; min: number; max: number; log: boolean; integer: boolean };

export const optimizers = ['pso', 'cmaes'] as const;

export interface SearchSettings {
  /** pso: a particle swarm (pso.ts); cmaes: CMA-ES (cmaes.ts). */
  optimizer: (typeof optimizers)[number];
  /** Candidates per iteration: the swarm's particles, CMA-ES's lambda. */
  particles: number;
  iterations: number;
  seeds: number;
  /** Seeds the swarm; run seeds are 1..seeds, the same for every candidate (paired). */
  seed: number;
  workers: number;
}

export interface SearchFile {
  preset: string | undefined;
  base: Record<string, unknown>;
  dimensions: Dimension[];
  settings: Partial<SearchSettings>;
}

const SEARCH_OWNED = new Set(['seed', 'runs_dir', 'run_name']);
const SETTINGS = ['optimizer', 'particles', 'iterations', 'seeds', 'seed', 'workers'] as const;

export function readSearchFile(path: string): SearchFile {
  let raw: unknown;
  try {
    raw = YAML.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`search file ${path}: cannot read it as YAML (${(error as Error).message})`);
  }
  return parseSearchFile(raw, `search file ${path}`);
}

export function parseSearchFile(raw: unknown, source: string): SearchFile {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${source}: expected a mapping with a space (and optionally preset, base and settings), got ${showValue(raw)}`);
  const { preset, base = {}, space, ...rest } = raw as Record<string, unknown>;
  const settings: Partial<SearchSettings> = {};
  for (const [key, value] of Object.entries(rest)) {
    if (!(SETTINGS as readonly string[]).includes(key)) {
      throw new ConfigError(`${source}: unknown key "${key}"; expected preset, base, space, ${SETTINGS.join(', ')} (run config keys go under base or space)`);
    }
    Object.assign(settings, { [key]: setting(key, value, source) });
  }
  if (preset !== undefined && typeof preset !== 'string') throw new ConfigError(`${source}: preset must be a preset name, got ${showValue(preset)}`);
  const fixed = validatePartial(base, `${source}: base`) as Record<string, unknown>;
  if (space === null || typeof space !== 'object' || Array.isArray(space) || Object.keys(space).length === 0) {
    throw new ConfigError(`${source}: space must map config keys to the values to search (a list to choose from, or {min, max}), got ${showValue(space)}`);
  }
  for (const key of [...Object.keys(fixed), ...Object.keys(space)]) {
    if (SEARCH_OWNED.has(key)) throw new ConfigError(`${source}: ${key} belongs to the search (run seeds are 1..seeds, run directories under the search's); remove it`);
  }
  const dimensions = Object.entries(space).map(([key, value]) => dimension(key, value, `${source}: space.${key}`));
  for (const { key } of dimensions) {
    if (key in fixed) throw new ConfigError(`${source}: ${key} is both in base and in space; keep it in one`);
  }
  return { preset, base: fixed, dimensions, settings };
}

/** A setting's value: the optimizer's name, or a whole number, at least 1 (the swarm's seed at least 0). */
export function setting(key: string, value: unknown, source: string): number | SearchSettings['optimizer'] {
  if (key === 'optimizer') {
    if (!(optimizers as readonly unknown[]).includes(value)) throw new ConfigError(`${source}: optimizer = ${showValue(value)} is not allowed: expected one of ${optimizers.join(', ')}`);
    return value as SearchSettings['optimizer'];
  }
  const min = key === 'seed' ? 0 : 1;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ConfigError(`${source}: ${key} = ${showValue(value)} is not allowed: expected an integer >= ${min}`);
  }
  return value;
}

function dimension(key: string, value: unknown, source: string): Dimension {
  if (!(fieldNames as readonly string[]).includes(key)) throw new ConfigError(`${source}: "${key}" is not a run config key (see rad train --help)`);
  const name = key as FieldName;
  const spec = fields[name];
  if (Array.isArray(value)) {
    if (value.length < 2) throw new ConfigError(`${source}: a choice needs at least 2 values, got ${showValue(value)}`);
    for (const choice of value) validatePartial({ [name]: choice }, source);
    return { key: name, kind: 'choice', values: value };
  }
  if (value === null || typeof value !== 'object') throw new ConfigError(`${source}: expected a list of values or {min, max}, got ${showValue(value)}`);
  const { min, max, log = false, ...extra } = value as Record<string, unknown>;
  if (Object.keys(extra).length) throw new ConfigError(`${source}: unknown key "${Object.keys(extra)[0]}"; a range takes min, max and log`);
  if (spec.type !== 'int' && spec.type !== 'number') throw new ConfigError(`${source}: ${name} is a ${spec.type} key; give its values as a list`);
  if (typeof min !== 'number' || typeof max !== 'number' || !(min < max)) throw new ConfigError(`${source}: expected numbers min < max, got min ${showValue(min)}, max ${showValue(max)}`);
  if (typeof log !== 'boolean') throw new ConfigError(`${source}: log must be true or false, got ${showValue(log)}`);
  if (log && min <= 0) throw new ConfigError(`${source}: a log range needs min > 0, got ${min}`);
  validatePartial({ [name]: min }, source);
  validatePartial({ [name]: max }, source);
  return { key: name, kind: 'range', min, max, log, integer: spec.type === 'int' };
}

/** The config keys at a point of the unit cube (one coordinate per dimension). */
export function decode(dimensions: readonly Dimension[], position: readonly number[]): Record<string, unknown> {
  const overrides: Record<string, unknown> = {};
  dimensions.forEach((dimension, d) => {
    const u = Math.min(1, Math.max(0, position[d]));
    if (dimension.kind === 'choice') {
      overrides[dimension.key] = dimension.values[Math.min(dimension.values.length - 1, Math.floor(u * dimension.values.length))];
      return;
    }
    const { min, max } = dimension;
    // The ends exactly (they are what checkCandidates probes).
    const inside = dimension.log ? Math.exp(Math.log(min) + u * (Math.log(max) - Math.log(min))) : min + u * (max - min);
    const value = u === 0 ? min : u === 1 ? max : inside;
    overrides[dimension.key] = dimension.integer ? Math.round(value) : value;
  });
  return overrides;
}

/** Points that reach every value of every dimension (each dimension's choices or ends, the others at the centre): what to check before running. */
export function probePoints(dimensions: readonly Dimension[]): number[][] {
  const centre = dimensions.map(() => 0.5);
  const points: number[][] = [];
  dimensions.forEach((dimension, d) => {
    const count = dimension.kind === 'choice' ? dimension.values.length : 2;
    for (let i = 0; i < count; i++) {
      const point = [...centre];
      point[d] = dimension.kind === 'choice' ? (i + 0.5) / count : i;
      points.push(point);
    }
  });
  return points;
}
