/**
 * The training loop. A run is a function of its config: `train(config)` returns
 * a result record (a search launches many runs and reads `fitness` back).
 *
 * Per agent step: act (uniform random actions for the first `init_steps` env
 * steps), step the env (which repeats the action `action_repeat` times), store
 * the transition, update the agent `updates_per_step` times, log every
 * `log_every` env steps, evaluate every `eval_every` env steps (and at step 0),
 * checkpoint at the first episode end after each `checkpoint_every` env steps.
 * Step accounting: env_step = agent_step * action_repeat, both logged.
 *
 * Seeds: one run seed derives every stream by name (env resets, exploration,
 * replay sampling, eval resets; the agent derives init, augment and noise).
 * Checkpoints sit at episode ends, where the next reset seed is still undrawn,
 * so a resumed run continues exactly as the uninterrupted one would.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Random, type RandomState } from '../common/random.ts';
import { findOnPath, writeVideo } from '../common/video.ts';
import type { Env } from '../envs/core.ts';
import { makeEnv as registryMakeEnv } from '../envs/registry.ts';
import { setupBackend } from '../agents/tf/backend.ts';
import { writeFileAtomic } from './atomic.ts';
import { loadCheckpoint, readJson, saveCheckpoint, splitAgentState, type LoopState } from './checkpoint.ts';
import { makeAgent, makeReplay, type RunAgent, type RunReplay } from './components.ts';
import type { RunConfig } from './config/fields.ts';
import { InputError } from '../common/errors.ts';
import { eventLoopTurns } from '../common/event_loop.ts';
import { ConfigError } from './config/schema.ts';
import { configToYaml, readConfigFile } from './config/presets.ts';
import { evaluate } from './evaluate.ts';
import { CsvSink, truncateCsv } from './log/csv.ts';
import { JsonlSink, truncateJsonl } from './log/jsonl.ts';
import { ProgressSink } from './log/progress.ts';
import { MultiSink, type LogRecord, type Sink } from './log/sink.ts';
import { TensorBoardSink } from './log/tensorboard.ts';
import { plotRuns } from './plot.ts';
import { createRunDir, runFiles } from './run-dir.ts';

export interface TrainOptions {
  /** Continue the run in this directory from its latest checkpoint (its config.yaml is used). */
  resumeDir?: string;
  /** Builds envs; the registry's makeEnv by default. */
  makeEnv?: (id: string, options: Parameters<typeof registryMakeEnv>[1]) => Promise<Env>;
  /** Progress output; process.stdout by default. `null` silences it. */
  stdout?: ConstructorParameters<typeof ProgressSink>[0]['stream'] | null;
  /** Stops the run at the next agent step (Ctrl-C); the last checkpoint stands. */
  signal?: AbortSignal;
}

export interface EvalPoint {
  agentStep: number;
  envStep: number;
  mean: number;
  std: number;
}

export interface RunResult {
  runDir: string;
  config: RunConfig;
  backend: { name: string; package: string; threads: number };
  agentSteps: number;
  envSteps: number;
  evaluations: EvalPoint[];
  finalReturn: number | null;
  bestReturn: number | null;
  /** What a search maximises: the mean return of the last evaluation. */
  fitness: number | null;
  seconds: number;
  status: 'completed' | 'interrupted';
  /** Set when a resume found the run already complete: nothing ran, no file changed (the rest is its result.json). */
  alreadyComplete?: true;
}

interface Streams {
  env: Random;
  explore: Random;
}

function streamStates(streams: Streams, agent: RunAgent, replay: RunReplay): Record<string, RandomState> {
  const states: Record<string, RandomState> = { env: streams.env.getState(), explore: streams.explore.getState(), replay: replay.getRandomState() };
  for (const [name, state] of Object.entries(agent.getRandomState())) states[`agent/${name}`] = state;
  return states;
}

function restoreStreams(states: Record<string, RandomState>, streams: Streams, agent: RunAgent, replay: RunReplay): void {
  const need = (name: string) => {
    if (!states[name]) throw new InputError(`checkpoint: missing RNG state "${name}"`);
    return states[name];
  };
  streams.env.setState(need('env'));
  streams.explore.setState(need('explore'));
  replay.setRandomState(need('replay'));
  const agentStates: Record<string, RandomState> = {};
  for (const [name, state] of Object.entries(states)) if (name.startsWith('agent/')) agentStates[name.slice(6)] = state;
  agent.setRandomState(agentStates);
}

/** The env options a run config asks for (also used by `rad eval`). */
export function envOptions(config: RunConfig) {
  return {
    from: config.from,
    renderSize: config.render_size,
    frameStack: config.from === 'pixels' ? config.frame_stack : 1,
    actionRepeat: config.action_repeat,
    camera: config.camera,
    appearance: config.appearance,
  };
}

export async function train(inputConfig: RunConfig | null, options: TrainOptions = {}): Promise<RunResult> {
  const resuming = options.resumeDir !== undefined;
  if (!resuming && !inputConfig) throw new Error('train: give a config or a run directory to resume');
  if (resuming && !existsSync(join(options.resumeDir!, runFiles.config))) throw new ConfigError(`--resume ${options.resumeDir}: no ${runFiles.config} there; is it a run directory?`);
  const config = resuming ? readConfigFile(join(options.resumeDir!, runFiles.config)) : inputConfig!;
  // result.json is written last (after the final checkpoint and the 'done' event), and only by a
  // completed run: resuming one has nothing to do, and going on would rewrite its final checkpoint
  // and log a second 'done'.
  if (resuming && existsSync(join(options.resumeDir!, runFiles.result))) {
    const saved = readJson(join(options.resumeDir!, runFiles.result)) as RunResult;
    return { ...saved, runDir: options.resumeDir!, config, alreadyComplete: true };
  }
  // An mp4 without ffmpeg would fail at the first evaluation; say so before training.
  if (config.video && config.video_format === 'mp4' && !findOnPath('ffmpeg')) {
    throw new ConfigError('video_format mp4 needs ffmpeg on PATH and none was found; install ffmpeg or use video_format gif');
  }

  const backend = await setupBackend(config.backend === 'auto' ? undefined : config.backend, config.threads > 0 ? { threads: config.threads } : {});
  const backendRecord = { name: backend.name, package: backend.package, threads: backend.threads };
  const makeEnv = options.makeEnv ?? registryMakeEnv;
  const env = await makeEnv(config.env, envOptions(config));
  const evalEnv = await makeEnv(config.env, envOptions(config));
  let agent: RunAgent;
  let replay: RunReplay;
  try {
    agent = makeAgent(config, env);
    replay = makeReplay(config, env);
  } catch (error) {
    await env.close();
    await evalEnv.close();
    throw error;
  }
  const streams: Streams = { env: Random.derive(config.seed, 'env'), explore: Random.derive(config.seed, 'explore') };
  // The run directory appears once everything it describes could be built.
  const runDir = resuming ? options.resumeDir! : createRunDir(config);
  if (!resuming) writeFileAtomic(join(runDir, runFiles.config), configToYaml(config));

  let state: LoopState = {
    agentStep: 0, envStep: 0, updateStep: 0, episode: 0, elapsedSeconds: 0, nextEvalAt: 0, bestEvalReturn: null,
    rng: {}, episodeReturn: 0, episodeLength: 0, extra: { evaluations: [] as EvalPoint[] },
  };
  const checkpointsDir = join(runDir, runFiles.checkpoints);
  const latestPointer = join(checkpointsDir, 'latest.json');
  if (resuming && existsSync(latestPointer)) {
    const checkpoint = loadCheckpoint(runDir);
    const manifest = checkpoint.manifest;
    agent.setState({ ...checkpoint.arrays('weights'), ...checkpoint.arrays('optimizer') } as Record<string, Float32Array>);
    if (!checkpoint.manifest.files.replay) throw new ConfigError(`--resume ${runDir}: the checkpoint holds no replay buffer (checkpoint_replay was false); an exact resume needs it`);
    await replay.load(checkpoint.file('replay'));
    const { format: _f, formatVersion: _v, packageVersion: _p, backend: savedBackend, createdAt: _c, files: _files, ...saved } = manifest;
    state = saved;
    restoreStreams(state.rng, streams, agent, replay);
    if (savedBackend.name !== backend.name) {
      process.stderr.write(`warning: the checkpoint was written on backend ${savedBackend.name}, resuming on ${backend.name}; the curve continues but is not bit-identical\n`);
    }
  } else if (resuming) {
    // Killed before its first checkpoint: start the run over in the same directory.
    for (const file of [runFiles.train, runFiles.eval, runFiles.events]) rmSync(join(runDir, file), { force: true });
    rmSync(join(runDir, runFiles.tensorboard), { recursive: true, force: true });
  }
  // No step is logged twice: rows written after the checkpoint by the killed process go.
  truncateCsv(join(runDir, runFiles.train), state.envStep);
  truncateCsv(join(runDir, runFiles.eval), state.envStep);
  // A 'done' without result.json was logged by a process killed while finishing (closing the envs):
  // the end is redone below and logs its own 'done'.
  truncateJsonl(join(runDir, runFiles.events), state.envStep, ['done']);

  const progress = options.stdout === null ? null : new ProgressSink({ totalEnvSteps: config.env_steps, stream: options.stdout });
  const sinks: Sink[] = [new CsvSink(runDir), new JsonlSink(runDir)];
  if (config.tensorboard) sinks.push(new TensorBoardSink(join(runDir, runFiles.tensorboard), resuming ? { resumeStep: state.envStep } : {}));
  if (progress) sinks.push(progress);
  const logger = new MultiSink(sinks);
  // Seconds of the earlier segments (resumed runs) plus this one.
  const segmentStart = performance.now();
  const earlierSeconds = state.elapsedSeconds;
  const now = () => earlierSeconds + (performance.now() - segmentStart) / 1000;
  const write = (record: Omit<LogRecord, 'agentStep' | 'envStep' | 'time'>) =>
    logger.write({ agentStep: state.agentStep, envStep: state.envStep, time: now(), ...record });

  write({ kind: 'event', message: resuming ? 'resume' : 'start', scalars: {}, details: { run_dir: runDir, backend: backendRecord, seed: config.seed, preset: config.preset } });
  progress?.message(`rad train: ${config.env}, preset ${config.preset}, seed ${config.seed}, backend ${backend.name} (${backend.package}, ${backend.threads} thread${backend.threads === 1 ? '' : 's'}) -> ${runDir}`);

  const evaluations = state.extra.evaluations as EvalPoint[];
  const runEvaluation = async () => {
    const result = await evaluate(evalEnv, agent, {
      episodes: config.eval_episodes,
      rng: Random.derive(config.seed, 'eval').fork(String(state.envStep)),
      stochastic: config.eval_policy === 'stochastic',
      record: config.video || config.tensorboard,
    });
    const point: EvalPoint = { agentStep: state.agentStep, envStep: state.envStep, mean: result.mean, std: result.std };
    evaluations.push(point);
    const images = config.tensorboard && result.frames.length ? { 'eval/first_frame': result.frames[0] } : undefined;
    write({ kind: 'eval', scalars: { 'eval/return_mean': result.mean, 'eval/return_std': result.std, 'eval/length_mean': result.lengths.reduce((a, b) => a + b, 0) / result.lengths.length, 'eval/episodes': result.returns.length }, images });
    if (config.video && result.frames.length) {
      mkdirSync(join(runDir, runFiles.videos), { recursive: true });
      // One frame per agent step; metadata.renderFps counts env steps (the ActionRepeat wrapper keeps the inner env's).
      const fps = Math.max(1, Number(env.metadata.renderFps ?? 30) / config.action_repeat);
      await writeVideo(join(runDir, runFiles.videos, `eval_${String(state.envStep).padStart(8, '0')}.${config.video_format}`), result.frames, fps);
    }
    if (state.bestEvalReturn === null || result.mean > state.bestEvalReturn) {
      state.bestEvalReturn = result.mean;
      // The best checkpoint is for evaluation: weights only.
      await saveCheckpoint(checkpointsDir, 'best', { state: { ...state, rng: {} }, backend: backendRecord, arrays: { weights: splitAgentState(agent.getState()).weights } });
    }
    if (config.plot) plotRuns([runDir], join(runDir, runFiles.plot), { title: `${config.preset} ${config.env}` });
  };

  const checkpoint = async () => {
    state.rng = streamStates(streams, agent, replay);
    state.extra.interval = { metricSums, metricCounts, episodeReturns, episodeLengths } satisfies Interval;
    state.elapsedSeconds = now();
    logger.flush();
    await saveCheckpoint(checkpointsDir, 'latest', {
      state,
      backend: backendRecord,
      arrays: splitAgentState(agent.getState()),
      files: config.checkpoint_replay ? { replay: { fileName: 'replay.bin', write: (path) => replay.save(path) } } : {},
    });
    write({ kind: 'event', message: 'checkpoint', scalars: {} });
  };

  // The interval's sums for the next train.csv row.
  // Restored on resume, so that a train.csv row straddling a checkpoint is the same as without the kill.
  type Interval = { metricSums: Record<string, number>; metricCounts: Record<string, number>; episodeReturns: number[]; episodeLengths: number[] };
  const saved = state.extra.interval as Interval | undefined;
  let metricSums: Record<string, number> = saved?.metricSums ?? {};
  let metricCounts: Record<string, number> = saved?.metricCounts ?? {};
  let episodeReturns: number[] = saved?.episodeReturns ?? [];
  let episodeLengths: number[] = saved?.episodeLengths ?? [];
  let intervalStart = { envStep: state.envStep, time: now() };
  let nextLogAt = (Math.floor(state.envStep / config.log_every) + 1) * config.log_every;
  let nextCheckpointAt = config.checkpoint_every > 0 ? (Math.floor(state.envStep / config.checkpoint_every) + 1) * config.checkpoint_every : Infinity;

  const logTrain = () => {
    const scalars: Record<string, number> = {};
    for (const [name, sum] of Object.entries(metricSums)) scalars[name] = sum / metricCounts[name];
    if (episodeReturns.length) {
      scalars['train/episode_return'] = episodeReturns.reduce((a, b) => a + b, 0) / episodeReturns.length;
      scalars['train/episode_length'] = episodeLengths.reduce((a, b) => a + b, 0) / episodeLengths.length;
    }
    const seconds = now() - intervalStart.time;
    scalars['charts/SPS'] = seconds > 0 ? (state.envStep - intervalStart.envStep) / seconds : 0;
    scalars['charts/episodes'] = state.episode;
    scalars['charts/replay_size'] = replay.size;
    write({ kind: 'train', scalars });
    metricSums = {};
    metricCounts = {};
    episodeReturns = [];
    episodeLengths = [];
    intervalStart = { envStep: state.envStep, time: now() };
  };

  let status: RunResult['status'] = 'completed';
  try {
    let { obs } = await env.reset({ seed: streams.env.int(2 ** 31) });
    replay.addFirst(obs);
    if (state.nextEvalAt <= state.envStep && state.envStep === 0) {
      await runEvaluation();
      state.nextEvalAt = config.eval_every;
    }
    const turn = eventLoopTurns(); // so that a Ctrl-C is seen at the next step
    while (state.envStep < config.env_steps) {
      await turn();
      if (options.signal?.aborted) {
        status = 'interrupted';
        break;
      }
      const action = state.envStep < config.init_steps ? env.actionSpace.sample(streams.explore) : agent.act(obs, { eval: false });
      const step = await env.step(action);
      // A NaN or infinite reward would poison every value estimate trained on it, silently.
      if (!Number.isFinite(step.reward)) throw new Error(`${config.env} gave the reward ${step.reward} at env step ${state.envStep + config.action_repeat}; rewards must be finite numbers`);
      replay.add(action, step.reward, step.obs, step.terminated, step.truncated);
      obs = step.obs;
      state.agentStep++;
      state.envStep = state.agentStep * config.action_repeat;
      state.episodeReturn += step.reward;
      state.episodeLength++;

      if (state.envStep >= config.init_steps) {
        for (let i = 0; i < config.updates_per_step; i++) {
          const metrics = agent.update(replay.sample(config.batch_size), state.updateStep++);
          for (const [name, value] of Object.entries(metrics)) {
            if (!Number.isFinite(value)) {
              throw new Error(`training diverged: update ${state.updateStep} (env step ${state.envStep}) gave ${name} = ${value}; the run stops here, its last checkpoint kept`);
            }
            metricSums[name] = (metricSums[name] ?? 0) + value;
            metricCounts[name] = (metricCounts[name] ?? 0) + 1;
          }
        }
      }
      const episodeEnded = step.terminated || step.truncated;
      if (episodeEnded) {
        episodeReturns.push(state.episodeReturn);
        episodeLengths.push(state.episodeLength);
        state.episode++;
        state.episodeReturn = 0;
        state.episodeLength = 0;
      }
      // Log and evaluate before a checkpoint at this step, so a resume never repeats them.
      if (state.envStep >= nextLogAt) {
        logTrain();
        nextLogAt = (Math.floor(state.envStep / config.log_every) + 1) * config.log_every;
      }
      if (state.envStep >= state.nextEvalAt) {
        await runEvaluation();
        state.nextEvalAt = (Math.floor(state.envStep / config.eval_every) + 1) * config.eval_every;
      }
      if (episodeEnded) {
        if (state.envStep >= nextCheckpointAt && state.envStep < config.env_steps) {
          await checkpoint();
          nextCheckpointAt = (Math.floor(state.envStep / config.checkpoint_every) + 1) * config.checkpoint_every;
        }
        obs = (await env.reset({ seed: streams.env.int(2 ** 31) })).obs;
        replay.addFirst(obs);
      }
    }
    if (status === 'completed') {
      if (evaluations.at(-1)?.envStep !== state.envStep) await runEvaluation();
      await checkpoint();
      write({ kind: 'event', message: 'done', scalars: { 'eval/return_mean': evaluations.at(-1)?.mean ?? NaN } });
    } else {
      write({ kind: 'event', message: 'interrupted', scalars: {} });
    }
  } catch (error) {
    // The run directory says why the run stopped (a search reads it, not the stderr).
    write({ kind: 'event', message: 'failed', scalars: {}, details: { error: error instanceof Error ? error.message : String(error) } });
    throw error;
  } finally {
    logger.close();
    agent.dispose();
    await env.close();
    await evalEnv.close();
  }

  const last = evaluations.at(-1);
  const result: RunResult = {
    runDir,
    config,
    backend: backendRecord,
    agentSteps: state.agentStep,
    envSteps: state.envStep,
    evaluations,
    finalReturn: last?.mean ?? null,
    bestReturn: state.bestEvalReturn,
    fitness: last?.mean ?? null,
    seconds: now(),
    status,
  };
  if (status === 'completed') {
    writeFileAtomic(join(runDir, runFiles.result), JSON.stringify({ ...result, config: undefined }, null, 2) + '\n');
  }
  return result;
}
