import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../experiments/config/schema.ts';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { resolveConfig } from '../../../experiments/config/presets.ts';
import { decode, parseSearchFile, probePoints, readSearchFile } from '../../../experiments/search/space.ts';

const parse = (raw: unknown) => parseSearchFile(raw, 'search file s.yaml');
const error = (raw: unknown): string => {
  try {
    parse(raw);
  } catch (caught) {
    expect(caught).toBeInstanceOf(ConfigError);
    return (caught as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('search file', () => {
  const file = parse({
    preset: 'quick',
    base: { env: 'dmc:cartpole-swingup', env_steps: 8000 },
    space: { aug: ['crop', 'crop-cutout', 'crop-grayscale'], lr: { min: 1e-4, max: 1e-2, log: true }, batch_size: { min: 16, max: 64 } },
    particles: 6,
    iterations: 4,
  });

  it('reads the preset, the fixed keys, the dimensions and the settings', () => {
    expect(file.preset).toBe('quick');
    expect(file.base).toEqual({ env: 'dmc:cartpole-swingup', env_steps: 8000 });
    expect(file.settings).toEqual({ particles: 6, iterations: 4 });
    expect(file.dimensions.map((d) => [d.key, d.kind])).toEqual([['aug', 'choice'], ['lr', 'range'], ['batch_size', 'range']]);
  });

  it('decodes a point of the unit cube into config keys: a choice by thirds, a log range, whole numbers for an int key', () => {
    expect(decode(file.dimensions, [0, 0, 0])).toEqual({ aug: 'crop', lr: 1e-4, batch_size: 16 });
    expect(decode(file.dimensions, [1, 1, 1])).toEqual({ aug: 'crop-grayscale', lr: 1e-2, batch_size: 64 });
    const middle = decode(file.dimensions, [0.5, 0.5, 0.5]);
    expect(middle).toEqual({ aug: 'crop-cutout', lr: expect.closeTo(1e-3, 12), batch_size: 40 });
    expect(decode(file.dimensions, [0.34, 0, 0.51]).aug).toBe('crop-cutout');
    expect(decode(file.dimensions, [0.33, 0, 0.51]).aug).toBe('crop');
  });

  it('probes every choice and both ends of every range', () => {
    const probed = probePoints(file.dimensions).map((point) => decode(file.dimensions, point));
    expect(probed.map((keys) => keys.aug)).toEqual(expect.arrayContaining(['crop', 'crop-cutout', 'crop-grayscale']));
    expect(probed.map((keys) => keys.batch_size)).toEqual(expect.arrayContaining([16, 64]));
    expect(probed).toHaveLength(3 + 2 + 2);
  });

  it('refuses what it cannot search, naming the key and what is expected', () => {
    const space = { lr: { min: 1e-4, max: 1e-3 } };
    expect(error({ space: { lr: { min: 0, max: 1e-3, log: true } } })).toBe('search file s.yaml: space.lr: a log range needs min > 0, got 0');
    expect(error({ space: { lr: { min: 1e-3, max: 1e-4 } } })).toBe('search file s.yaml: space.lr: expected numbers min < max, got min 0.001, max 0.0001');
    expect(error({ space: { aug: { min: 1, max: 2 } } })).toBe('search file s.yaml: space.aug: aug is a string key; give its values as a list');
    expect(error({ space: { aug: ['crop'] } })).toMatch(/space.aug: a choice needs at least 2 values/);
    expect(error({ space: { lr: [1e-3, -1] } })).toMatch(/space.lr:[\s\S]*lr = -1 is not allowed/);
    expect(error({ space: { learning_rate: [1e-3, 1e-4] } })).toMatch(/space.learning_rate: "learning_rate" is not a run config key/);
    expect(error({ space: { seed: [1, 2] } })).toMatch(/seed belongs to the search \(run seeds are 1..seeds/);
    expect(error({ base: { runs_dir: 'x' }, space })).toMatch(/runs_dir belongs to the search/);
    expect(error({ base: { lr: 1e-3 }, space })).toBe('search file s.yaml: lr is both in base and in space; keep it in one');
    expect(error({ space, particle: 4 })).toMatch(/unknown key "particle"; expected preset, base, space, optimizer, particles, iterations, seeds, seed, workers/);
    expect(error({ space, particles: 0 })).toBe('search file s.yaml: particles = 0 is not allowed: expected an integer >= 1');
    expect(error({ space, optimizer: 'nelder-mead' })).toBe('search file s.yaml: optimizer = "nelder-mead" is not allowed: expected one of pso, cmaes');
    expect(parse({ space, optimizer: 'cmaes' }).settings).toEqual({ optimizer: 'cmaes' });
    expect(error({ base: { lr: 1e-3 } })).toMatch(/space must map config keys to the values to search/);
    expect(error([1, 2])).toMatch(/expected a mapping with a space/);
  });

  it('the example search files resolve into a run config at every choice and range end', () => {
    const examples = join(import.meta.dirname, '..', '..', '..', 'experiments', 'search', 'examples');
    for (const file of readdirSync(examples)) {
      const example = readSearchFile(join(examples, file));
      for (const point of probePoints(example.dimensions)) {
        const config = resolveConfig({ preset: example.preset, overrides: { ...example.base, ...decode(example.dimensions, point) } });
        expect(config.env, file).toBe('dmc:cartpole-swingup');
      }
    }
  });
});
