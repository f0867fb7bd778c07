/**
 * End-to-end: the real CLI (`node bin/rad.mjs ...`) in child processes, on the
 * test pixel env `test:dot` (test/experiments/fixtures/dot-env.ts, registered
 * through `node --import`), with a tiny network and budget.
 * - two runs with one seed give identical eval.csv (determinism);
 * - a third run is killed with SIGKILL between checkpoints, resumed with
 *   --resume, and must end with the very curve of the uninterrupted run, no
 *   step logged twice;
 * - the run directory holds what the issue lists; eval, plot, render, augment
 *   and envs work on it; bad flags are clear errors.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodePng } from '../../common/png.ts';
import { readCsv } from '../../experiments/log/csv.ts';
import { readJsonl } from '../../experiments/log/jsonl.ts';
import { readEventFile } from './tfevents-reader.ts';

const root = join(import.meta.dirname, '..', '..');
const fixture = join(import.meta.dirname, 'fixtures', 'register-dot.mjs');
const runsDir = mkdtempSync(join(tmpdir(), 'rad-cli-'));

// 5 agent steps per episode (10 inner steps, action repeat 2); 40 agent steps in all.
const tiny = [
  '--env', 'test:dot', '--render-size', '24', '--image-size', '20', '--frame-stack', '2', '--action-repeat', '2',
  '--env-steps', '80', '--init-steps', '20', '--eval-every', '20', '--eval-episodes', '2', '--checkpoint-every', '40',
  '--log-every', '20', '--batch-size', '8', '--hidden-dim', '16', '--num-filters', '4', '--feature-dim', '8',
  '--replay-capacity', '300', '--backend', 'cpu', '--runs-dir', runsDir, '--seed', '3',
];

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function start(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<Finished> } {
  const child = spawn(process.execPath, ['--import', fixture, join(root, 'bin', 'rad.mjs'), ...args], { cwd: runsDir, env: { ...process.env, RAD_BACKEND: '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<Finished>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

const rad = (...args: string[]) => start(args).done;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let first: Finished;
let second: Finished;
let killed: Finished;
let resumed: Finished;
const dirA = join(runsDir, 'a');
const dirB = join(runsDir, 'b');
const dirC = join(runsDir, 'c');

beforeAll(async () => {
  const a = rad('train', ...tiny, '--run-name', 'a', '--video');
  const b = rad('train', ...tiny, '--run-name', 'b');
  // Run c is killed once a checkpoint exists and a later train row is on disk, so
  // that resume must both restore the checkpoint and drop the rows logged after it.
  const c = start(['train', ...tiny, '--run-name', 'c']);
  for (;;) {
    const exited = await Promise.race([c.done.then(() => true), sleep(20).then(() => false)]);
    if (exited) break;
    const pointer = join(dirC, 'checkpoints', 'latest.json');
    if (!existsSync(pointer) || !existsSync(join(dirC, 'train.csv'))) continue;
    const checkpointStep = JSON.parse(readFileSync(pointer, 'utf8')).envStep as number;
    const steps = readFileSync(join(dirC, 'train.csv'), 'utf8').trim().split('\n').slice(1).map((line) => Number(line.split(',')[1]));
    if (steps.some((step) => step > checkpointStep)) {
      c.child.kill('SIGKILL');
      break;
    }
  }
  killed = await c.done;
  resumed = await rad('train', '--resume', dirC);
  [first, second] = await Promise.all([a, b]);
}, 240_000);

describe('rad train end to end', () => {
  it('runs and fills the run directory', () => {
    expect(first.stderr).not.toMatch(/error/i);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/backend cpu \(@tensorflow\/tfjs-backend-cpu/); // the chosen backend is printed
    expect(first.stdout).toMatch(/^train env_step=\d+\/80 agent_step=\d+ sps=/m); // plain lines: stdout is a pipe
    expect(first.stdout).toMatch(/^completed: 80 env steps \(40 agent steps\)/m);
    const files = readdirSync(dirA);
    for (const name of ['config.yaml', 'train.csv', 'eval.csv', 'events.jsonl', 'tb', 'checkpoints', 'plot.png', 'plot.svg', 'result.json', 'videos']) expect(files).toContain(name);
    expect(readFileSync(join(dirA, 'config.yaml'), 'utf8')).toMatch(/^batch_size: 8$/m);

    const train = readCsv(join(dirA, 'train.csv'));
    const evaluation = readCsv(join(dirA, 'eval.csv'));
    for (const table of [train, evaluation]) {
      expect(table.columns.slice(0, 2)).toEqual(['agent_step', 'env_step']);
      for (const row of table.rows) expect(row.env_step).toBe((row.agent_step as number) * 2);
    }
    expect(evaluation.rows.map((row) => row.env_step)).toEqual([0, 20, 40, 60, 80]);
    expect(train.rows.map((row) => row.env_step)).toEqual([20, 40, 60, 80]);
    expect(train.columns).toEqual(expect.arrayContaining(['losses/critic', 'losses/actor', 'train/episode_return', 'charts/SPS']));

    const manifest = JSON.parse(readFileSync(join(dirA, 'checkpoints', readdirSync(join(dirA, 'checkpoints')).find((name) => name.startsWith('latest.step_'))!, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ format: 'rad-checkpoint', formatVersion: 1, packageVersion: '0.1.0', backend: { name: 'cpu' }, envStep: 80, agentStep: 40 });
    expect(Object.keys(manifest.rng)).toEqual(expect.arrayContaining(['env', 'explore', 'replay', 'agent/augment', 'agent/noise', 'agent/act']));
    expect(manifest.files).toEqual({ weights: 'weights.arrays', optimizer: 'optimizer.arrays', replay: 'replay.bin' });

    const result = JSON.parse(readFileSync(join(dirA, 'result.json'), 'utf8'));
    expect(result).toMatchObject({ status: 'completed', envSteps: 80, agentSteps: 40, backend: { name: 'cpu' } });
    expect(result.fitness).toBe(evaluation.rows.at(-1)!['eval/return_mean']);

    const tbFiles = readdirSync(join(dirA, 'tb'));
    const events = readEventFile(join(dirA, 'tb', tbFiles[0]));
    expect(events.filter((event) => 'eval/return_mean' in event.scalars).map((event) => event.step)).toEqual([0, 20, 40, 60, 80]);
    expect(events.some((event) => event.images['eval/first_frame']?.height === 24)).toBe(true);

    const gif = readFileSync(join(dirA, 'videos', 'eval_00000080.gif'));
    expect(gif.subarray(0, 6).toString('latin1')).toBe('GIF89a');
    expect(decodePng(readFileSync(join(dirA, 'plot.png'))).shape).toEqual([500, 800, 3]);
  });

  it('gives identical eval.csv for the same seed (determinism)', () => {
    expect(second.code).toBe(0);
    expect(readFileSync(join(dirB, 'eval.csv'), 'utf8')).toBe(readFileSync(join(dirA, 'eval.csv'), 'utf8'));
  });

  it('resumes after kill -9 on the same curve, with no step logged twice', () => {
    expect(killed.signal).toBe('SIGKILL');
    expect(resumed.stderr).not.toMatch(/error|warning/i);
    expect(resumed.code).toBe(0);
    const evalSteps = readCsv(join(dirC, 'eval.csv')).rows.map((row) => row.env_step);
    expect(evalSteps).toEqual([0, 20, 40, 60, 80]);
    expect(readCsv(join(dirC, 'train.csv')).rows.map((row) => row.env_step)).toEqual([20, 40, 60, 80]);
    // The resumed run continues exactly where the uninterrupted one went.
    expect(readFileSync(join(dirC, 'eval.csv'), 'utf8')).toBe(readFileSync(join(dirA, 'eval.csv'), 'utf8'));
    const lines = readJsonl(join(dirC, 'events.jsonl'));
    const messages = lines.filter((line) => line.kind === 'event').map((line) => line.message);
    expect(messages).toContain('resume');
    for (const kind of ['train', 'eval']) {
      const steps = lines.filter((line) => line.kind === kind).map((line) => line.env_step as number);
      expect(new Set(steps).size, kind).toBe(steps.length);
      expect([...steps].sort((x, y) => x - y), kind).toEqual(steps);
    }
    // TensorBoard: the resumed file starts with a session start at the checkpoint step.
    const tbFiles = readdirSync(join(dirC, 'tb')).sort();
    expect(tbFiles.length).toBe(2);
    const resumedEvents = tbFiles.map((file) => readEventFile(join(dirC, 'tb', file))).find((events) => events.some((event) => event.sessionStatus === 1))!;
    expect(resumedEvents[1].sessionStatus).toBe(1);
    expect(resumedEvents[1].step).toBe(40);
  });

  it('resuming a completed run does no work: it says so, exits 0 and changes no file', async () => {
    const files = (dir: string) =>
      Object.fromEntries(
        (readdirSync(dir, { recursive: true }) as string[])
          .filter((name) => statSync(join(dir, name)).isFile())
          .map((name) => [name, readFileSync(join(dir, name)).toString('base64')]),
      );
    const before = files(dirB);
    const again = await rad('train', '--resume', dirB);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(`rad train: the run in ${dirB} is already complete at 80 env steps (40 agent steps); nothing to resume\n`);
    expect(files(dirB)).toEqual(before);
  }, 60_000);

  it("resuming a run killed between its 'done' event and result.json finishes it with one 'done'", async () => {
    // The files such a kill leaves: everything of a completed run but result.json.
    const dirE = join(runsDir, 'e');
    cpSync(dirB, dirE, { recursive: true });
    rmSync(join(dirE, 'result.json'));
    const events = () => readJsonl(join(dirE, 'events.jsonl')).filter((line) => line.kind === 'event').map((line) => `${line.message}@${line.env_step}`);
    expect(events().slice(-2)).toEqual(['checkpoint@80', 'done@80']);
    const again = await rad('train', '--resume', dirE);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(events().slice(-4)).toEqual(['checkpoint@80', 'resume@80', 'checkpoint@80', 'done@80']);
    expect(events().filter((event) => event.startsWith('done'))).toHaveLength(1);
    expect(readFileSync(join(dirE, 'eval.csv'), 'utf8')).toBe(readFileSync(join(dirB, 'eval.csv'), 'utf8'));
    expect(readFileSync(join(dirE, 'train.csv'), 'utf8')).toBe(readFileSync(join(dirB, 'train.csv'), 'utf8'));
    const result = JSON.parse(readFileSync(join(dirE, 'result.json'), 'utf8'));
    const original = JSON.parse(readFileSync(join(dirB, 'result.json'), 'utf8'));
    expect({ ...result, runDir: undefined, seconds: undefined }).toEqual({ ...original, runDir: undefined, seconds: undefined });
  }, 60_000);
});

describe('Ctrl-C', () => {
  it('stops rad train at the next step with exit code 130 (143 for SIGTERM), and the run resumes from its last checkpoint', async () => {
    const dirD = join(runsDir, 'd');
    const run = start(['train', ...tiny, '--env-steps', '100000', '--run-name', 'd']);
    // Interrupt once training rows are being written (env steps and updates resolve as microtasks only).
    while (!existsSync(join(dirD, 'train.csv'))) await sleep(20);
    run.child.kill('SIGINT');
    const interrupted = await run.done;
    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toContain('rad: stopping at the next step');
    expect(interrupted.stdout).toMatch(/^interrupted: \d+ env steps/m);
    expect(readJsonl(join(dirD, 'events.jsonl')).some((line) => line.kind === 'event' && line.message === 'interrupted')).toBe(true);
    // A SIGTERM (a scheduler, a search stopping a worker) stops a run the same way, with 143.
    const resumed = start(['train', '--resume', dirD]);
    // Interrupted before its first checkpoint (a slow machine), the run starts over: its logs are
    // removed, then written again, so events.jsonl may be missing for a moment.
    const eventsFile = join(dirD, 'events.jsonl');
    const resumeLogged = () => existsSync(eventsFile) && readJsonl(eventsFile).some((line) => line.kind === 'event' && line.message === 'resume');
    while (!resumeLogged()) await sleep(20);
    resumed.child.kill('SIGTERM');
    const terminated = await resumed.done;
    expect(terminated.code).toBe(143);
    expect(terminated.stderr).toContain('rad: stopping at the next step (SIGTERM again to quit now)');
    expect(terminated.stdout).toMatch(/^interrupted: \d+ env steps/m);
  }, 120_000);
});

describe('the other commands on a finished run', () => {
  it('eval, plot, render, augment and envs; train on the embedded cartpole', async () => {
    const cartpoleDir = join(runsDir, 'cartpole');
    const [evaluation, stochastic, plot, plotCi, render, augment, envs, cartpole] = await Promise.all([
      rad('eval', dirA, '--episodes', '2', '--json', '--backend', 'cpu'),
      rad('eval', dirA, '--episodes', '2', '--eval-policy', 'stochastic', '--backend', 'cpu'),
      rad('plot', dirA, dirB, '--out', join(runsDir, 'both')),
      rad('plot', dirA, dirB, '--band', 'ci95', '--out', join(runsDir, 'both-ci')),
      rad('render', 'test:dot', '--out', join(runsDir, 'dot.png'), '--video', join(runsDir, 'dot.gif'), '--size', '32'),
      rad('augment', '--show', 'test:dot', '--aug', 'crop,translate', '--size', '100', '--out', join(runsDir, 'gallery.png')),
      rad('envs'),
      // A few hundred env steps on dmc:cartpole-swingup with the preset's action repeat (8).
      rad('train', '--preset', 'rad', '--env', 'dmc:cartpole-swingup', '--render-size', '24', '--image-size', '20', '--env-steps', '320', '--init-steps', '160',
        '--eval-every', '320', '--eval-episodes', '1', '--batch-size', '8', '--hidden-dim', '16', '--num-filters', '4', '--feature-dim', '8', '--replay-capacity', '100',
        '--backend', 'cpu', '--runs-dir', runsDir, '--run-name', 'cartpole'),
    ]);
    expect(cartpole.stderr).not.toMatch(/error/i);
    expect(cartpole.stdout).toMatch(/^completed: 320 env steps \(40 agent steps\)/m);
    const cartpoleEval = readCsv(join(cartpoleDir, 'eval.csv')).rows;
    expect(cartpoleEval.map((row) => [row.agent_step, row.env_step])).toEqual([[0, 0], [40, 320]]);
    expect(cartpoleEval[0]['eval/length_mean']).toBe(125); // 1000 env steps per episode, 8 per agent step
    expect(readFileSync(join(cartpoleDir, 'config.yaml'), 'utf8')).toMatch(/^action_repeat: 8$/m);
    expect(evaluation.stderr).not.toMatch(/error/i);
    const summary = JSON.parse(evaluation.stdout.trim().split('\n').at(-1)!);
    expect(summary).toMatchObject({ episodes: 2, backend: 'cpu', policy: 'deterministic' });
    expect(summary.returns).toHaveLength(2);
    expect(stochastic.stderr).not.toMatch(/error/i);
    expect(stochastic.stdout).toMatch(/appearance default, stochastic actions\n/);
    expect(plot.stdout).toMatch(/quick test:dot: 2 run\(s\), last eval at env step 80: -?\d+\.\d\d ± \d+\.\d\d\n/);
    expect(plotCi.stdout).toMatch(/quick test:dot: 2 run\(s\), last eval at env step 80: -?\d+\.\d\d ± \d+\.\d\d \(95% CI\)\n/);
    expect(decodePng(readFileSync(join(runsDir, 'both.png'))).shape).toEqual([500, 800, 3]);
    expect(render.code).toBe(0);
    expect(decodePng(readFileSync(join(runsDir, 'dot.png'))).shape).toEqual([32, 32, 3]);
    expect(readFileSync(join(runsDir, 'dot.gif')).subarray(0, 6).toString('latin1')).toBe('GIF89a');
    expect(augment.stderr).not.toMatch(/error/i);
    expect(decodePng(readFileSync(join(runsDir, 'gallery.png'))).shape[0]).toBeGreaterThan(3 * 84);
    expect(envs.stdout).toMatch(/^test:dot\s+obs Box\(0, 255, \[84,84,9\], uint8\)\s+action Box\(-1, 1, \[2\], float32\)$/m);
  }, 120_000);

  it('eval under another appearance or on another env with the same spaces (generalization); clear errors otherwise', async () => {
    const cartpoleDir = join(runsDir, 'cartpole');
    const [shifted, otherEnv, misfit, noAppearances, otherSize] = await Promise.all([
      rad('eval', cartpoleDir, '--appearance', 'video_hard', '--episodes', '1', '--json', '--backend', 'cpu'),
      rad('eval', dirA, '--env', 'test:dot-long', '--episodes', '1', '--json', '--backend', 'cpu'),
      rad('eval', dirA, '--env', 'dmc:cartpole-swingup', '--episodes', '1', '--backend', 'cpu'),
      rad('eval', dirA, '--appearance', 'color_hard', '--episodes', '1', '--backend', 'cpu'),
      rad('eval', dirA, '--env', 'test:dot-32', '--episodes', '1', '--backend', 'cpu'),
    ]);
    expect(shifted.stderr).not.toMatch(/error/i);
    expect(JSON.parse(shifted.stdout.trim().split('\n').at(-1)!)).toMatchObject({ env: 'dmc:cartpole-swingup', appearance: 'video_hard', episodes: 1 });
    expect(otherEnv.stderr).not.toMatch(/error/i);
    expect(JSON.parse(otherEnv.stdout.trim().split('\n').at(-1)!)).toMatchObject({ env: 'test:dot-long', appearance: 'default', episodes: 1 });
    expect(misfit.code).toBe(2);
    expect(misfit.stderr).toMatch(/dmc:cartpole-swingup \(obs Box\(0, 255, \[24,24,6\], uint8\), action Box\(-1, 1, \[1\], float32\)\) does not fit the checkpoint, trained on test:dot/);
    expect(noAppearances.code).toBe(2);
    expect(noAppearances.stderr).toContain('test:dot: appearance "color_hard" is drawn by dmc: envs only; "test:" envs have none');
    // An env that renders its own size (as a server does), named as the env evaluated on.
    expect(otherSize.code).toBe(2);
    expect(otherSize.stderr).toContain('test:dot-32: its frames are 32x32 but render_size is 24');
  }, 120_000);

  it('eval of several runs on several envs: one line per evaluation, then the generalization report against the training condition', async () => {
    const twoEnvs = ['--env', 'test:dot', '--env', 'test:dot-long', '--episodes', '2', '--backend', 'cpu'];
    // A copy of run b configured to evaluate with sampled actions.
    const dirC = join(runsDir, 'c');
    cpSync(dirB, dirC, { recursive: true });
    const configC = join(dirC, 'config.yaml');
    writeFileSync(configC, readFileSync(configC, 'utf8').replace(/^eval_policy: deterministic$/m, 'eval_policy: stochastic'));
    const [json, text, video, emptyAppearance, misfitLast, mixedPolicies, mixedGiven, badPolicy] = await Promise.all([
      rad('eval', dirA, dirB, ...twoEnvs, '--json'),
      rad('eval', dirA, dirB, ...twoEnvs),
      rad('eval', dirA, dirB, '--video', join(runsDir, 'two.gif'), '--backend', 'cpu'),
      rad('eval', dirA, '--appearance', 'default,', '--backend', 'cpu'),
      rad('eval', dirA, dirB, '--env', 'test:dot', '--env', 'dmc:cartpole-swingup', '--episodes', '1', '--backend', 'cpu'),
      rad('eval', dirA, dirC, '--episodes', '1', '--backend', 'cpu'),
      rad('eval', dirA, dirC, '--episodes', '1', '--eval-policy', 'stochastic', '--json', '--backend', 'cpu'),
      rad('eval', dirA, '--eval-policy', 'greedy', '--backend', 'cpu'),
    ]);
    expect(mixedPolicies.code).toBe(2);
    expect(mixedPolicies.stderr).toMatch(/the runs were configured to evaluate with different eval_policy values \(a: deterministic, c: stochastic\); give --eval-policy to evaluate them all one way/);
    expect(mixedGiven.stderr).not.toMatch(/error/i);
    expect(mixedGiven.stdout.trim().split('\n').slice(0, 2).map((line) => JSON.parse(line).policy)).toEqual(['stochastic', 'stochastic']);
    expect(badPolicy.code).toBe(2);
    expect(badPolicy.stderr).toContain('--eval-policy "greedy" is not allowed: expected deterministic or stochastic');
    expect(json.stderr).not.toMatch(/error/i);
    const lines = json.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines).toHaveLength(5);
    const evaluations = lines.slice(0, 4);
    expect(evaluations.map((line) => [line.checkpoint.startsWith(dirA) ? 'a' : 'b', line.env, line.episodes])).toEqual([
      ['a', 'test:dot', 2], ['a', 'test:dot-long', 2], ['b', 'test:dot', 2], ['b', 'test:dot-long', 2],
    ]);
    const meanOf = (env: string) => evaluations.filter((line) => line.env === env).reduce((sum, line) => sum + line.mean, 0) / 2;
    const { report } = lines[4];
    expect(report.map((row: { env: string; train: boolean; runs: number }) => [row.env, row.train, row.runs])).toEqual([['test:dot', true, 2], ['test:dot-long', false, 2]]);
    expect(report[0].mean).toBeCloseTo(meanOf('test:dot'), 10);
    expect(report[1].mean).toBeCloseTo(meanOf('test:dot-long'), 10);
    // Runs a and b share their seed: the same returns, so no spread over runs.
    expect(report[0].std).toBe(0);
    expect(text.stdout).toMatch(/^a on test:dot, appearance default: mean return -?\d+\.\d\d ± \d+\.\d\d over 2 episodes$/m);
    expect(text.stdout).toMatch(/^condition\s+mean return ± std over runs\s+runs\s+vs training condition$/m);
    expect(text.stdout).toMatch(/^test:dot, default\s+-?\d+\.\d\d ± 0\.00\s+2\s+trained here$/m);
    expect(text.stdout).toMatch(/^test:dot-long, default\s+-?\d+\.\d\d ± 0\.00\s+2\s+[+-]\d+\.\d\d/m);
    expect(video.code).toBe(2);
    expect(video.stderr).toContain('--video records one evaluation, and 2 are asked for; give one run, one env and one appearance');
    expect(emptyAppearance.code).toBe(2);
    expect(emptyAppearance.stderr).toContain('--appearance "default," is not allowed: expected appearance names separated by commas');
    // A condition that does not fit stops the command before its first episode.
    expect(misfitLast.code).toBe(2);
    expect(misfitLast.stderr).toContain('dmc:cartpole-swingup (obs Box(0, 255, [24,24,6], uint8), action Box(-1, 1, [1], float32)) does not fit the checkpoint');
    expect(misfitLast.stdout).toBe('');
  }, 120_000);
});

describe('bad input on the command line', () => {
  it('names the flag, the value and what is allowed, with exit code 2', async () => {
    // A run whose best checkpoint has one byte of its weights changed.
    const damagedRun = join(runsDir, 'damaged-run');
    cpSync(dirA, damagedRun, { recursive: true });
    const bestFolder = JSON.parse(readFileSync(join(damagedRun, 'checkpoints', 'best.json'), 'utf8')).folder;
    const weightsFile = join(damagedRun, 'checkpoints', bestFolder, 'weights.arrays');
    const weights = readFileSync(weightsFile);
    weights[weights.length - 1] ^= 0x40;
    writeFileSync(weightsFile, weights);
    const aFile = join(runsDir, 'a-file');
    writeFileSync(aFile, '');
    const notes = join(runsDir, 'notes.txt');
    writeFileSync(notes, 'not an image\n');
    const [value, unknown, resume, envId, printedEnvId, configFile, png, huge, video, mp4, damaged, folder, version, runsDirFile, notARun, notPng, band] = await Promise.all([
      rad('train', '--batch-size', 'many', '--print-config'),
      rad('train', '--batch-sise', '3'),
      rad('train', '--resume', dirA, '--seed', '4'),
      rad('train', '--env', 'dmc:walker-wlak', '--backend', 'cpu', '--runs-dir', runsDir),
      rad('train', '--env', 'dmc:walker-wlak', '--print-config'),
      rad('train', '--config', join(runsDir, 'missing.yaml')),
      rad('render', 'test:dot', '--out', join(runsDir, 'frame.txt')),
      rad('render', 'test:dot', '--out', join(runsDir, 'huge.png'), '--size', '100000'),
      rad('eval', dirA, '--video', join(runsDir, 'eval.avi'), '--backend', 'cpu'),
      start(['train', ...tiny, '--video', '--video-format', 'mp4'], { PATH: mkdtempSync(join(tmpdir(), 'rad-no-ffmpeg-')) }).done,
      rad('eval', damagedRun, '--backend', 'cpu'),
      rad('eval', dirA, '--video', join(runsDir, 'no-such-folder', 'eval.gif'), '--backend', 'cpu'),
      rad('--version'),
      rad('train', ...tiny, '--runs-dir', aFile),
      rad('train', '--resume', mkdtempSync(join(tmpdir(), 'rad-not-a-run-'))),
      rad('augment', '--show', notes, '--out', join(runsDir, 'notes-gallery.png')),
      rad('plot', dirA, '--band', 'sem', '--out', join(runsDir, 'band')),
    ]);
    expect(band.code).toBe(2);
    expect(band.stderr).toBe('rad: error: --band "sem" is not allowed: expected std or ci95\n');
    expect(notPng.code).toBe(2);
    expect(notPng.stderr).toBe(`rad: error: image file ${notes} is not a PNG image: expected a PNG file, and it does not start with the PNG signature\n`);
    expect(runsDirFile.code).toBe(2);
    expect(runsDirFile.stderr).toContain(`runs_dir ${aFile}: cannot create the run directory`);
    expect(notARun.code).toBe(2);
    expect(notARun.stderr).toMatch(/--resume .*rad-not-a-run-.*: no config\.yaml there; is it a run directory\?/);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain(`video file ${join(runsDir, 'no-such-folder', 'eval.gif')}: the folder ${join(runsDir, 'no-such-folder')} does not exist`);
    expect(folder.stdout).toBe(''); // refused before any episode ran
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
    expect(damaged.code).toBe(2);
    expect(damaged.stderr).toMatch(/weights\.arrays: its SHA-256 differs from the one manifest\.json recorded at save; the file is damaged/);
    expect(mp4.code).toBe(2);
    expect(mp4.stderr).toContain('video_format mp4 needs ffmpeg on PATH and none was found');
    expect(envId.code).toBe(2);
    expect(envId.stderr).toMatch(/unknown DeepMind Control task "walker-wlak": expected one of .*walker-walk/);
    // A config printed to be run later is checked as the run would check it.
    expect(printedEnvId.code).toBe(2);
    expect(printedEnvId.stderr).toBe(envId.stderr);
    expect(printedEnvId.stdout).toBe('');
    expect(configFile.code).toBe(2);
    expect(configFile.stderr).toMatch(/cannot read config file .*missing\.yaml/);
    // Output names are checked before any work, and nothing is written.
    expect(png.code).toBe(2);
    expect(png.stderr).toMatch(/frame\.txt: expected a name ending in \.png/);
    expect(existsSync(join(runsDir, 'frame.txt'))).toBe(false);
    expect(huge.code).toBe(2);
    expect(huge.stderr).toContain('--size "100000" is not allowed: expected an integer >= 1 and <= 1024');
    expect(video.code).toBe(2);
    expect(video.stderr).toContain('unknown extension ".avi"; expected .gif or .mp4');
    expect(video.stdout).toBe('');
    expect(value.code).toBe(2);
    expect(value.stderr).toContain('--batch-size "many" is not allowed: expected an integer >= 1 and <= 65536');
    expect(unknown.code).toBe(2); // a usage error is bad input too
    expect(unknown.stderr).toMatch(/unknown option '--batch-sise'[\s\S]*Did you mean --batch-size\?/);
    expect(resume.code).toBe(2);
    expect(resume.stderr).toContain('--resume continues a run with its saved config.yaml; drop --seed');
  }, 60_000);
});
