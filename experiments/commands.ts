/**
 * The work behind each `rad` command (experiments/cli.ts parses the flags).
 * Each returns the process exit code.
 */
import { existsSync } from 'node:fs';
import type { NdArray } from '../common/ndarray.ts';
import { checkOutputFolder } from '../common/output.ts';
import { checkPngPath, readPng, writePng } from '../common/png.ts';
import { Random } from '../common/random.ts';
import { checkVideoPath, writeVideo } from '../common/video.ts';
import type { Env } from '../envs/core.ts';
import { checkEnv, envFamilies, listEnvIds, makeEnv, type MakeEnvOptions } from '../envs/registry.ts';
import { fields, type FieldName } from './config/fields.ts';
import { configToYaml, resolveConfig } from './config/presets.ts';
import { ConfigError, parseFlagValue } from './config/schema.ts';
import { frameOf } from './evaluate.ts';

/** A flag's integer value, or bad input naming the flag and the range. */
export function integer(text: string | undefined, flag: string, min = 0, max = Infinity): number {
  const value = Number(text);
  if (text === undefined || !Number.isInteger(value) || value < min || value > max) {
    const range = Number.isFinite(max) ? `>= ${min} and <= ${max}` : `>= ${min}`;
    throw new ConfigError(`${flag} ${JSON.stringify(text)} is not allowed: expected an integer ${range}`);
  }
  return value;
}

/** A frame size flag: the bounds of the config's render_size. */
const frameSize = (text: string | undefined) => integer(text, '--size', 1, fields.render_size.max);

export interface TrainCommandOptions {
  preset: string;
  configFile?: string;
  resume?: string;
  printConfig: boolean;
  overrides: Partial<Record<FieldName, string | boolean>>;
  presetGiven: boolean;
}

export async function trainCommandAction(options: TrainCommandOptions): Promise<number> {
  const given = Object.keys(options.overrides);
  if (options.resume !== undefined && (given.length || options.configFile || options.presetGiven)) {
    const flags = [...given.map((key) => `--${key.replace(/_/g, '-')}`), ...(options.configFile ? ['--config'] : []), ...(options.presetGiven ? ['--preset'] : [])];
    throw new ConfigError(`--resume continues a run with its saved config.yaml; drop ${flags.join(', ')}`);
  }
  const { train, envOptions } = await import('./train.ts');
  const interrupt = stopOnSignals('resume with --resume from the last checkpoint');
  const report = (result: Awaited<ReturnType<typeof train>>) => reportRun(result, interrupt.code());
  if (options.resume !== undefined) {
    const result = await train(null, { resumeDir: options.resume, signal: interrupt.signal });
    return report(result);
  }
  const overrides: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options.overrides)) {
    overrides[key] = typeof value === 'string' ? parseFlagValue(key as FieldName, value) : value;
  }
  // Without --preset, a config file may name its own (a printed config does); else the default.
  const config = resolveConfig({ preset: options.presetGiven ? options.preset : undefined, configFile: options.configFile, overrides });
  if (options.printConfig) {
    // A config printed to be run later should be one that can run.
    await checkEnv(config.env, envOptions(config));
    process.stdout.write(configToYaml(config));
    return 0;
  }
  return report(await train(config, { signal: interrupt.signal }));
}

/**
 * Ctrl-C, or a SIGTERM (a scheduler, a search stopping a worker), aborts
 * `signal`: the work stops at its next step. The same signal again quits at
 * once. `code()` is the exit code a shell reports for the signal: 130, 143.
 */
export function stopOnSignals(afterwards: string): { signal: AbortSignal; code: () => number } {
  const controller = new AbortController();
  let interruptedCode: number | null = null;
  const stop = (signal: 'SIGINT' | 'SIGTERM') => {
    const code = signal === 'SIGINT' ? 130 : 143;
    if (interruptedCode !== null) process.exit(code);
    interruptedCode = code;
    const again = signal === 'SIGINT' ? 'Ctrl-C again' : 'SIGTERM again';
    process.stderr.write(`\nrad: stopping at the next step (${again} to quit now); ${afterwards}\n`);
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return { signal: controller.signal, code: () => interruptedCode ?? 130 };
}

/** Prints a run's outcome; its exit code: 0, or `interruptedCode` for a run stopped by a signal. */
function reportRun(result: Awaited<ReturnType<typeof import('./train.ts').train>>, interruptedCode: number): number {
  if (result.alreadyComplete) {
    process.stdout.write(`rad train: the run in ${result.runDir} is already complete at ${result.envSteps} env steps (${result.agentSteps} agent steps); nothing to resume\n`);
    return 0;
  }
  const final = result.finalReturn === null ? '-' : result.finalReturn.toFixed(2);
  const best = result.bestReturn === null ? '-' : result.bestReturn.toFixed(2);
  process.stdout.write(`${result.status}: ${result.envSteps} env steps (${result.agentSteps} agent steps) in ${result.seconds.toFixed(0)} s; final eval return ${final}, best ${best}; run dir ${result.runDir}\n`);
  return result.status === 'interrupted' ? interruptedCode : 0;
}

function spaceText(env: Env): string {
  return `obs ${env.observationSpace}  action ${env.actionSpace}`;
}

export async function envsCommandAction(options: { spaces: boolean; renderSize: string }): Promise<number> {
  const renderSize = integer(options.renderSize, '--render-size', 1);
  const ids = await listEnvIds();
  for (const id of ids) {
    if (!options.spaces) {
      process.stdout.write(`${id}\n`);
      continue;
    }
    try {
      const env = await makeEnv(id, { renderSize });
      process.stdout.write(`${id.padEnd(32)} ${spaceText(env)}\n`);
      await env.close();
    } catch (error) {
      process.stdout.write(`${id.padEnd(32)} (cannot build: ${(error as Error).message.split('\n')[0]})\n`);
    }
  }
  for (const [prefix, family] of envFamilies()) {
    if (!family.list) process.stdout.write(`${prefix}:...`.padEnd(33) + `${family.description}\n`);
  }
  return 0;
}

async function firstFrame(id: string, options: MakeEnvOptions, seed: number): Promise<{ env: Env; frame: NdArray<'uint8'>; obs: unknown }> {
  const env = await makeEnv(id, options);
  const { obs } = await env.reset({ seed });
  const frame = await frameOf(env, obs);
  if (!frame) {
    await env.close();
    throw new ConfigError(`${id}: gives no RGB frame (it neither renders nor observes pixels)`);
  }
  return { env, frame, obs };
}

export async function renderCommandAction(id: string, options: Record<string, string | undefined>): Promise<number> {
  const size = frameSize(options.size);
  const seed = integer(options.seed, '--seed');
  const steps = integer(options.steps, '--steps', 1);
  const camera = integer(options.camera, '--camera', fields.camera.min, fields.camera.max); // the config's bounds (-1: the free camera)
  checkPngPath(options.out!);
  if (options.video) checkVideoPath(options.video);
  const { env, frame } = await firstFrame(id, { from: 'pixels', renderSize: size, frameStack: 1, actionRepeat: 1, camera, appearance: options.appearance }, seed);
  try {
    writePng(options.out!, frame);
    process.stdout.write(`wrote ${options.out} (${frame.shape[1]}x${frame.shape[0]})\n`);
    if (options.video) {
      const rng = Random.derive(seed, 'render');
      const frames = [frame];
      for (let i = 0; i < steps; i++) {
        const step = await env.step(env.actionSpace.sample(rng));
        const next = await frameOf(env, step.obs);
        if (next) frames.push(next);
        if (step.terminated || step.truncated) break;
      }
      await writeVideo(options.video, frames, Number(env.metadata.renderFps ?? 30));
      process.stdout.write(`wrote ${options.video} (${frames.length} frames)\n`);
    }
  } finally {
    await env.close();
  }
  return 0;
}

export async function augmentCommandAction(options: Record<string, string | undefined>): Promise<number> {
  const { augmentationGallery } = await import('../augment/gallery.ts');
  const { AUGMENTATIONS } = await import('../augment/registry.ts');
  const source = options.show!;
  const seed = integer(options.seed, '--seed');
  const samples = integer(options.samples, '--samples', 1);
  checkPngPath(options.out!);
  let image: NdArray<'uint8'>;
  if (source.toLowerCase().endsWith('.png') || existsSync(source)) {
    image = readPng(source);
  } else {
    const size = frameSize(options.size);
    const { env, frame } = await firstFrame(source, { from: 'pixels', renderSize: size, frameStack: 1, actionRepeat: 1 }, seed);
    await env.close();
    image = frame;
  }
  const names = options.aug ? options.aug.split(',').map((name) => name.trim()).filter(Boolean) : AUGMENTATIONS.filter((a) => a.kind === 'pixels').map((a) => a.name);
  const gallery = augmentationGallery(image, names, Random.derive(seed, 'gallery'), samples);
  writePng(options.out!, gallery);
  process.stdout.write(`wrote ${options.out}: ${names.length + 1} rows (original, ${names.join(', ')})\n`);
  return 0;
}

export async function plotCommandAction(dirs: string[], options: Record<string, string | undefined>): Promise<number> {
  const { plotRuns } = await import('./plot.ts');
  const { BANDS } = await import('./plot/curves.ts');
  const band = (options.band ?? 'std') as (typeof BANDS)[number];
  if (!BANDS.includes(band)) throw new ConfigError(`--band ${JSON.stringify(options.band)} is not allowed: expected ${BANDS.join(' or ')}`);
  const base = (options.out ?? 'plot').replace(/\.(png|svg)$/i, '');
  checkOutputFolder(`${base}.svg`, 'plot');
  const curves = plotRuns(dirs, base, { title: options.title, metric: options.metric, band });
  for (const curve of curves) {
    const last = curve.envSteps.length - 1;
    const spread = band === 'std' ? `± ${curve.band[last].toFixed(2)}` : curve.counts[last] < 2 ? '(one run there: no CI)' : `± ${curve.band[last].toFixed(2)} (95% CI)`;
    process.stdout.write(`${curve.label}: ${curve.seeds} run(s), last eval at env step ${curve.envSteps[last]}: ${curve.mean[last].toFixed(2)} ${spread}\n`);
  }
  process.stdout.write(`wrote ${base}.svg and ${base}.png\n`);
  return 0;
}

export async function serveCommandAction(options: Record<string, string | undefined>): Promise<number> {
  const { serveEnvs } = await import('../envs/bridge/node_server.ts');
  const copies = integer(options.copies, '--copies', 1);
  if (options.from !== 'pixels' && options.from !== 'states') throw new ConfigError(`--from ${JSON.stringify(options.from)} is not allowed: expected pixels or states`);
  const defaults: MakeEnvOptions = {
    from: options.from,
    renderSize: integer(options.renderSize, '--render-size', 1),
    frameStack: integer(options.frameStack, '--frame-stack', 1),
    actionRepeat: integer(options.actionRepeat, '--action-repeat', 1),
  };
  const known = new Set(['from', 'renderSize', 'frameStack', 'actionRepeat', 'camera', 'appearance', 'appearanceFolder']);
  await makeEnv(options.env!, defaults).then((env) => env.close()); // fail now, not at the first request
  const server = await serveEnvs({
    bind: options.bind!,
    copies,
    defaultEnvId: options.env,
    makeEnv: (id, kwargs) => {
      const unknown = Object.keys(kwargs).filter((key) => !known.has(key));
      if (unknown.length) throw new Error(`unknown make options ${unknown.join(', ')}; expected ${[...known].join(', ')}`);
      return makeEnv(id, { ...defaults, ...(kwargs as MakeEnvOptions) });
    },
    onError: (message) => process.stderr.write(`rad serve: ${message}\n`),
  });
  process.stdout.write(`rad serve: ${options.env} x ${copies} at ${server.endpoint} (Ctrl-C to stop)\n`);
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await server.close();
  process.stdout.write(`rad serve: stopped after ${server.requests} requests\n`);
  return 0;
}

