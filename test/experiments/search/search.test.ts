/**
 * `rad search` end to end: the real CLI in a child process, its runs in worker
 * processes on the test pixel env (test/experiments/fixtures/dot-env.ts,
 * registered with --import, which each run's process inherits), with a tiny
 * network and budget.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { readConfigFile } from '../../../experiments/config/presets.ts';
import { readJsonl } from '../../../experiments/log/jsonl.ts';
import type { RunRecord } from '../../../experiments/search/search.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const fixture = join(import.meta.dirname, '..', 'fixtures', 'register-dot.mjs');
const dir = mkdtempSync(join(tmpdir(), 'rad-search-'));

function rad(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', fixture, join(root, 'bin', 'rad.mjs'), ...args], { cwd: dir, env: { ...process.env, RAD_BACKEND: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const searchFile = join(dir, 'dot.yaml');
writeFileSync(
  searchFile,
  YAML.stringify({
    preset: 'quick',
    base: {
      render_size: 24, image_size: 20, frame_stack: 2, action_repeat: 2, env_steps: 40, init_steps: 20, eval_every: 20, eval_episodes: 2,
      checkpoint_every: 40, log_every: 20, batch_size: 8, hidden_dim: 16, num_filters: 4, feature_dim: 8, replay_capacity: 300, backend: 'cpu',
    },
    // test:dot-32 renders 32x32 whatever render_size says: its runs fail (bad input), and the search goes on.
    space: { lr: { min: 1e-4, max: 1e-2, log: true }, env: ['test:dot', 'test:dot-32'] },
    particles: 3,
    iterations: 2,
  }),
);

type Evaluation = RunRecord;

const searchDirOf = (stdout: string) => stdout.match(/search dir (.+)\n$/)![1];
const outcome = (list: Evaluation[]) =>
  list.map(({ iteration, particle, keys, fitness }) => ({ iteration, particle, keys, fitness })).sort((a, b) => a.iteration - b.iteration || a.particle - b.particle);

describe('rad search', () => {
  it('moves a particle swarm over the space, each candidate scored by its runs; the same file gives the same search', async () => {
    const [first, second] = await Promise.all([rad('search', searchFile, '--workers', '2', '--out', join(dir, 'one')), rad('search', searchFile, '--workers', '2', '--out', join(dir, 'two'))]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^completed: 6 runs in \d+ s; best fitness -?\d+\.\d\d with lr=[\d.e-]+ env=test:dot \(iteration \d, particle \d\); search dir .+$/m);
    const searchDir = searchDirOf(first.stdout);
    const evaluations = readJsonl(join(searchDir, 'evaluations.jsonl')) as unknown as Evaluation[];
    expect(evaluations).toHaveLength(6);
    for (const evaluation of evaluations) {
      if (evaluation.keys.env === 'test:dot-32') {
        expect(evaluation.fitness).toBeNull();
        expect(evaluation.error).toMatch(/rad train exited with 2: test:dot-32: its frames are 32x32 but render_size is 24/);
      } else {
        // The fitness read back is the run's own result record.
        const result = JSON.parse(readFileSync(join(evaluation.run_dir, 'result.json'), 'utf8'));
        expect(evaluation.fitness).toBe(result.fitness);
        expect(readConfigFile(join(evaluation.run_dir, 'config.yaml'))).toMatchObject({ ...evaluation.keys, seed: 1 });
      }
    }
    const scored = evaluations.filter((evaluation) => evaluation.fitness !== null);
    const best = JSON.parse(readFileSync(join(searchDir, 'best.json'), 'utf8'));
    const top = scored.reduce((a, b) => (b.fitness! > a.fitness! ? b : a));
    expect(best).toEqual({ keys: top.keys, fitness: top.fitness, iteration: top.iteration, particle: top.particle });
    expect(JSON.parse(readFileSync(join(searchDir, 'result.json'), 'utf8'))).toMatchObject({ status: 'completed', runs: 6, best });
    // A run refused as bad input makes no run directory.
    expect(readdirSync(join(searchDir, 'runs')).sort()).toEqual(scored.map((evaluation) => `i${evaluation.iteration}_p${evaluation.particle}_s1`).sort());
    // Its runs finish in another order, and the search is the same.
    expect(second.code).toBe(0);
    const again = readJsonl(join(searchDirOf(second.stdout), 'evaluations.jsonl')) as unknown as Evaluation[];
    expect(outcome(again)).toEqual(outcome(evaluations));

    // A search stopped after three runs (as if killed): the second iteration's runs unrecorded, one of
    // them never started, another finished but not recorded. --resume keeps the recorded runs and ends
    // as the whole search did.
    const stopped = join(dir, 'stopped');
    cpSync(searchDir, stopped, { recursive: true });
    const kept = evaluations.filter((evaluation) => evaluation.iteration === 1);
    writeFileSync(join(stopped, 'evaluations.jsonl'), kept.map((evaluation) => JSON.stringify({ ...evaluation, run_dir: evaluation.run_dir.replace(searchDir, stopped) }) + '\n').join(''));
    rmSync(join(stopped, 'best.json'));
    rmSync(join(stopped, 'result.json'));
    const secondIteration = scored.filter((evaluation) => evaluation.iteration === 2).map((evaluation) => evaluation.run_dir.replace(searchDir, stopped));
    if (secondIteration.length) rmSync(secondIteration[0], { recursive: true });
    const resumed = await rad('search', '--resume', stopped);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/^resuming .*stopped: 3 runs recorded$/m);
    expect(resumed.stdout).toMatch(/^completed: 6 runs in \d+ s; best fitness/m);
    expect(outcome(readJsonl(join(stopped, 'evaluations.jsonl')) as unknown as Evaluation[])).toEqual(outcome(evaluations));
    expect(JSON.parse(readFileSync(join(stopped, 'best.json'), 'utf8'))).toEqual(best);
    // A run that had finished is read back, not trained again: its log is as it was.
    for (const runDir of secondIteration.slice(1)) {
      const log = `logs/${basename(runDir)}.log`;
      expect(readFileSync(join(stopped, log), 'utf8')).toBe(readFileSync(join(searchDir, log), 'utf8'));
    }
  }, 180_000);

  it('searches with CMA-ES on request: its samples are candidates as the particles are', async () => {
    const result = await rad('search', searchFile, '--optimizer', 'cmaes', '--particles', '2', '--workers', '2', '--out', join(dir, 'cmaes'));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^completed: 4 runs in \d+ s; /m);
    const searchDir = searchDirOf(result.stdout);
    expect(YAML.parse(readFileSync(join(searchDir, 'search.yaml'), 'utf8'))).toMatchObject({ optimizer: 'cmaes', particles: 2, iterations: 2 });
    const evaluations = readJsonl(join(searchDir, 'evaluations.jsonl')) as unknown as Evaluation[];
    expect(outcome(evaluations).map(({ iteration, particle }) => [iteration, particle])).toEqual([[1, 1], [1, 2], [2, 1], [2, 2]]);
  }, 120_000);

  it('refuses a bad search file or flag before any run, with exit code 2', async () => {
    const typo = join(dir, 'typo.yaml');
    writeFileSync(typo, YAML.stringify({ preset: 'quick', base: { env: 'test:dot' }, space: { aug: ['crop', 'crop-blur'] } }));
    const [missing, badValue, badFlag, notASearch, both, optimizer, lonely] = await Promise.all([
      rad('search', join(dir, 'missing.yaml')),
      rad('search', typo, '--out', join(dir, 'typo')),
      rad('search', searchFile, '--particles', '0'),
      rad('search', '--resume', dir),
      rad('search', searchFile, '--resume', dir),
      rad('search', searchFile, '--optimizer', 'bfgs'),
      rad('search', searchFile, '--optimizer', 'cmaes', '--particles', '1'),
    ]);
    expect(optimizer.code).toBe(2);
    expect(optimizer.stderr).toBe('rad: error: --optimizer "bfgs": optimizer = "bfgs" is not allowed: expected one of pso, cmaes\n');
    expect(lonely.code).toBe(2);
    expect(lonely.stderr).toContain('optimizer cmaes needs particles (samples per iteration) >= 2, got 1');
    expect(notASearch.code).toBe(2);
    expect(notASearch.stderr).toBe(`rad: error: --resume ${dir}: no search.yaml there; is it a search directory?\n`);
    expect(both.code).toBe(2);
    expect(both.stderr).toBe('rad: error: rad search: give a search file, or --resume with a search directory (not both)\n');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/search file .*missing\.yaml: cannot read it as YAML \(ENOENT/);
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toMatch(/the candidate aug=crop-blur is not a valid run config: .*unknown augmentation "blur"/);
    expect(existsSync(join(dir, 'typo'))).toBe(false);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toBe('rad: error: --particles "0": particles = 0 is not allowed: expected an integer >= 1\n');
  }, 60_000);
});
