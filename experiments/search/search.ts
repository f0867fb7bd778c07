/**
 * `rad search`: a particle swarm (pso.ts), or CMA-ES (cmaes.ts), over the keys of a search file
 * (space.ts), each candidate scored by training runs launched as worker
 * processes (`rad train --config <its config>`), whose result.json gives the
 * fitness (the last evaluation's mean return). A candidate's fitness is the
 * mean over its seeds (1..seeds, the same for every candidate, so they are
 * compared on the same seeds); a run that fails scores nothing and says why.
 *
 * The search directory `searches/<file name>__<time>/` holds:
 *   search.yaml        the search file as resolved (settings included)
 *   evaluations.jsonl  one line per run: iteration, particle, seed, keys, run dir, fitness or error
 *   best.json          the best candidate so far (rewritten after each iteration)
 *   result.json        the search's result record, written last
 *   configs/ logs/     each run's config file and its output
 *   runs/              the run directories
 */
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { Random } from '../../common/random.ts';
import { checkEnv } from '../../envs/registry.ts';
import { writeFileAtomic } from '../atomic.ts';
import { configToYaml, resolveConfig } from '../config/presets.ts';
import { ConfigError } from '../config/schema.ts';
import { readJsonl } from '../log/jsonl.ts';
import { createUniqueDir, runFiles, safeName, timeStamp } from '../run-dir.ts';
import { envOptions } from '../train.ts';
import { CmaEs } from './cmaes.ts';
import { ParticleSwarm } from './pso.ts';
import { decode, probePoints, readSearchFile, setting, type SearchFile, type SearchSettings } from './space.ts';

const RAD = fileURLToPath(new URL('../../bin/rad.mjs', import.meta.url));

export const defaultSettings: SearchSettings = { optimizer: 'pso', particles: 8, iterations: 5, seeds: 1, seed: 1, workers: 1 };

export interface SearchOptions {
  /** The search file (space.ts); or `resumeDir`. */
  file?: string;
  /** Continue the search in this directory: its search.yaml, the runs evaluations.jsonl records kept, the others run (a run cut short resumes from its checkpoint). */
  resumeDir?: string;
  /** Settings over the file's (the flags of `rad search`). */
  settings?: Partial<SearchSettings>;
  /** The folder that holds search directories. */
  outDir?: string;
  /** Node's arguments for each run's process; by default this process's (so env families registered with --import carry over), less a debugger's. */
  execArgv?: string[];
  /** Stops the search: running runs get a SIGTERM (they stop at their next step), and no new run starts. */
  signal?: AbortSignal;
  /** A line per finished run and per iteration; silent by default. */
  log?: (line: string) => void;
}

/** One run of a candidate, as evaluations.jsonl records it. */
export interface RunRecord {
  iteration: number;
  particle: number;
  seed: number;
  keys: Record<string, unknown>;
  run_dir: string;
  fitness: number | null;
  error?: string;
}

export interface SearchBest {
  keys: Record<string, unknown>;
  /** The mean of its runs' fitness. */
  fitness: number;
  /** Where it was found, counted from 1 as in evaluations.jsonl. */
  iteration: number;
  particle: number;
}

export interface SearchResult {
  dir: string;
  status: 'completed' | 'interrupted';
  best: SearchBest | null;
  runs: number;
  seconds: number;
}

export async function search(options: SearchOptions): Promise<SearchResult> {
  const started = Date.now();
  const { resumeDir } = options;
  if ((resumeDir === undefined) === (options.file === undefined)) throw new ConfigError('rad search: give a search file, or --resume with a search directory (not both)');
  if (resumeDir !== undefined && !existsSync(join(resumeDir, 'search.yaml'))) throw new ConfigError(`--resume ${resumeDir}: no search.yaml there; is it a search directory?`);
  if (resumeDir !== undefined && Object.keys(options.settings ?? {}).length) {
    throw new ConfigError(`--resume continues a search with its saved search.yaml; drop ${Object.keys(options.settings!).map((key) => `--${key}`).join(', ')}`);
  }
  const source = resumeDir === undefined ? options.file! : join(resumeDir, 'search.yaml');
  const file = readSearchFile(source);
  const settings = { ...defaultSettings, ...file.settings, ...options.settings };
  const base = { ...file.base };
  // Workers share the cores: each run gets its share of threads, unless the file says.
  if (settings.workers > 1 && !('threads' in base) && !file.dimensions.some((d) => d.key === 'threads')) {
    base.threads = Math.max(1, Math.floor(cpus().length / settings.workers));
  }
  if (settings.optimizer === 'cmaes' && settings.particles < 2) throw new ConfigError(`${source}: optimizer cmaes needs particles (samples per iteration) >= 2, got ${settings.particles}`);
  await checkCandidates(file, base, source);
  const log = options.log ?? (() => {});
  let dir: string;
  const recorded = new Map<string, RunRecord>();
  if (resumeDir === undefined) {
    dir = createUniqueDir(options.outDir ?? 'searches', `${safeName(basename(source, extname(source)))}__${timeStamp()}`, { option: '--out', noun: 'search directory' });
    writeFileAtomic(join(dir, 'search.yaml'), YAML.stringify({ preset: file.preset, base, space: spaceOf(file), ...settings }));
    for (const folder of ['configs', 'logs', 'runs']) mkdirSync(join(dir, folder));
  } else {
    dir = resumeDir;
    const evaluations = join(dir, 'evaluations.jsonl');
    if (existsSync(evaluations)) for (const record of readJsonl(evaluations) as unknown as RunRecord[]) recorded.set(jobKey(record), record);
    log(`resuming ${dir}: ${recorded.size} runs recorded`);
  }
  const swarm = new (settings.optimizer === 'cmaes' ? CmaEs : ParticleSwarm)(file.dimensions.length, settings.particles, Random.derive(settings.seed, `search/${settings.optimizer}`));
  let best: SearchBest | null = null;
  let runs = 0;
  let status: SearchResult['status'] = 'completed';
  for (let iteration = 0; iteration < settings.iterations; iteration++) {
    const candidates = swarm.ask().map((position) => decode(file.dimensions, position));
    const jobs = candidates.flatMap((keys, particle) => Array.from({ length: settings.seeds }, (_, s) => ({ iteration, particle, seed: s + 1, keys })));
    const records = await pool(jobs, settings.workers, options.signal, async (job) => {
      // The swarm is a function of the fitness it was told: a resumed search asks for the same candidates.
      const previous = recorded.get(jobKey({ iteration: job.iteration + 1, particle: job.particle + 1, seed: job.seed }));
      if (previous && JSON.stringify(previous.keys) === JSON.stringify(job.keys)) {
        runs++;
        return previous;
      }
      if (previous) throw new ConfigError(`--resume ${dir}: evaluations.jsonl records ${describe(previous.keys)} for ${jobKey(previous)}, but search.yaml now asks for ${describe(job.keys)}; was search.yaml edited?`);
      const record = await runCandidate(dir, file, base, job, options);
      if (record === null) return null;
      appendFileSync(join(dir, 'evaluations.jsonl'), JSON.stringify(record) + '\n');
      runs++;
      log(`iteration ${iteration + 1} particle ${job.particle + 1} seed ${job.seed}: ${record.error ? `failed: ${record.error}` : `fitness ${record.fitness?.toFixed(2) ?? '-'}`} (${describe(job.keys)})`);
      return record;
    });
    if (options.signal?.aborted) {
      status = 'interrupted';
      break;
    }
    const fitness = candidates.map((_, particle) => meanFitness(records.filter((_, i) => jobs[i].particle === particle)));
    swarm.tell(fitness);
    for (const [particle, value] of fitness.entries()) {
      if (value !== null && (best === null || value > best.fitness)) best = { keys: candidates[particle], fitness: value, iteration: iteration + 1, particle: particle + 1 };
    }
    if (best) writeFileAtomic(join(dir, 'best.json'), JSON.stringify(best, null, 2) + '\n');
    log(`iteration ${iteration + 1}/${settings.iterations}: best so far ${best ? `${best.fitness.toFixed(2)} (${describe(best.keys)})` : '- (no run succeeded)'}`);
  }
  const result: SearchResult = { dir, status, best, runs, seconds: (Date.now() - started) / 1000 };
  writeFileAtomic(join(dir, runFiles.result), JSON.stringify(result, null, 2) + '\n');
  return result;
}

/** Every value of every dimension, resolved into a run config before anything runs, and the env checked: a typo fails now, not in the tenth run. */
async function checkCandidates(file: SearchFile, base: Record<string, unknown>, source: string): Promise<void> {
  // Each env once per options: checking a DeepMind Control appearance or camera makes the env.
  const checked = new Set<string>();
  for (const point of probePoints(file.dimensions)) {
    const keys = decode(file.dimensions, point);
    let config;
    try {
      config = resolveConfig({ preset: file.preset, overrides: { ...base, ...keys } });
    } catch (error) {
      throw new ConfigError(`search file ${source}: the candidate ${describe(keys)} is not a valid run config: ${(error as Error).message}`);
    }
    const options = envOptions(config);
    const key = JSON.stringify([config.env, options]);
    if (checked.has(key)) continue;
    checked.add(key);
    await checkEnv(config.env, options);
  }
}

/** Runs one seed of one candidate in its own process; null when the search stopped it. */
async function runCandidate(
  dir: string,
  file: SearchFile,
  base: Record<string, unknown>,
  job: { iteration: number; particle: number; seed: number; keys: Record<string, unknown> },
  options: SearchOptions,
): Promise<RunRecord | null> {
  const name = `i${job.iteration + 1}_p${job.particle + 1}_s${job.seed}`;
  const runDir = join(dir, 'runs', name);
  const record: RunRecord = { iteration: job.iteration + 1, particle: job.particle + 1, seed: job.seed, keys: job.keys, run_dir: runDir, fitness: null };
  // What a stopped search left: a run that finished unrecorded is read back.
  const resultFile = join(runDir, runFiles.result);
  if (existsSync(resultFile)) return { ...record, fitness: fitnessOf(resultFile) };
  let config;
  try {
    config = resolveConfig({ preset: file.preset, overrides: { ...base, ...job.keys, seed: job.seed, runs_dir: join(dir, 'runs'), run_name: name } });
  } catch (error) {
    // Some combinations do not fit together (a crop with a translate): the candidate scores nothing.
    return { ...record, error: (error as Error).message };
  }
  const configFile = join(dir, 'configs', `${name}.yaml`);
  writeFileAtomic(configFile, configToYaml(config));
  const logFile = join(dir, 'logs', `${name}.log`);
  // A run a stopped search cut short continues from its last checkpoint where that holds the
  // replay (an exact resume), else starts over.
  const resume = existsSync(join(runDir, runFiles.config)) && config.checkpoint_replay;
  if (!resume) rmSync(runDir, { recursive: true, force: true });
  const output = openSync(logFile, resume ? 'a' : 'w');
  const command = resume ? ['train', '--resume', runDir] : ['train', '--config', configFile];
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [...(options.execArgv ?? runArgv()), RAD, ...command], { stdio: ['ignore', output, output] });
    const stop = () => child.kill('SIGTERM');
    options.signal?.addEventListener('abort', stop, { once: true });
    child.on('error', () => resolve(null));
    child.on('close', (exitCode) => {
      options.signal?.removeEventListener('abort', stop);
      resolve(exitCode);
    });
  });
  closeSync(output);
  if (options.signal?.aborted) return null;
  if (code === 0 && existsSync(resultFile)) return { ...record, fitness: fitnessOf(resultFile) };
  const lastLine = readFileSync(logFile, 'utf8').trim().split('\n').at(-1) ?? '';
  return { ...record, error: `rad train exited with ${code}: ${lastLine.replace(/^rad: error: /, '')} (log: ${logFile})` };
}

/** Runs `work` over `jobs`, at most `workers` at once, in order of start; results in the jobs' order. Stops starting jobs once `signal` aborts. */
async function pool<J, R>(jobs: J[], workers: number, signal: AbortSignal | undefined, work: (job: J) => Promise<R>): Promise<(R | undefined)[]> {
  const results: (R | undefined)[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length && !signal?.aborted) {
      const index = next++;
      results[index] = await work(jobs[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, jobs.length) }, worker));
  return results;
}

/** This process's Node arguments for a run's process, without a debugger's (runs started together would contend for its port). */
function runArgv(): string[] {
  return process.execArgv.filter((argument) => !/^--(inspect|debug)/.test(argument));
}

/** A finished run's fitness, from its result.json. */
function fitnessOf(resultFile: string): number | null {
  return (JSON.parse(readFileSync(resultFile, 'utf8')) as { fitness: number | null }).fitness;
}

function jobKey(job: { iteration: number; particle: number; seed: number }): string {
  return `iteration ${job.iteration} particle ${job.particle} seed ${job.seed}`;
}

/** A candidate's fitness: the mean over its seeds, or null when any seed failed or gave none. */
function meanFitness(records: (RunRecord | null | undefined)[]): number | null {
  const values = records.map((record) => record?.fitness ?? null);
  if (values.length === 0 || values.some((value) => value === null)) return null;
  return (values as number[]).reduce((a, b) => a + b, 0) / values.length;
}

function describe(keys: Record<string, unknown>): string {
  return Object.entries(keys)
    .map(([key, value]) => `${key}=${typeof value === 'number' && !Number.isInteger(value) ? Number(value.toPrecision(3)) : value}`)
    .join(' ');
}

function spaceOf(file: SearchFile): Record<string, unknown> {
  return Object.fromEntries(
    file.dimensions.map((dimension) => [dimension.key, dimension.kind === 'choice' ? dimension.values : { min: dimension.min, max: dimension.max, log: dimension.log }]),
  );
}

/** `rad search <file>`: flags over the file's settings; a line per run and per iteration; exit code 130/143 when stopped by a signal. */
export async function searchCommandAction(path: string | undefined, flags: Partial<Record<keyof SearchSettings, string>> & { out?: string; resume?: string }): Promise<number> {
  const settings: Partial<SearchSettings> = {};
  for (const key of Object.keys(defaultSettings) as (keyof SearchSettings)[]) {
    const value = flags[key];
    if (value !== undefined) Object.assign(settings, { [key]: setting(key, key === 'optimizer' ? value : Number(value), `--${key} ${JSON.stringify(value)}`) });
  }
  const { stopOnSignals } = await import('../commands.ts');
  const interrupt = stopOnSignals('continue with rad search --resume <search dir>');
  const result = await search({ file: path, resumeDir: flags.resume, settings, outDir: flags.out, signal: interrupt.signal, log: (line) => process.stdout.write(line + '\n') });
  const best = result.best ? `best fitness ${result.best.fitness.toFixed(2)} with ${describe(result.best.keys)} (iteration ${result.best.iteration}, particle ${result.best.particle})` : 'no run succeeded';
  process.stdout.write(`${result.status}: ${result.runs} runs in ${result.seconds.toFixed(0)} s; ${best}; search dir ${result.dir}\n`);
  return result.status === 'interrupted' ? interrupt.code() : 0;
}
