/**
 * `rad eval`: episodes of trained agents (their mean actions, or sampled ones
 * with `--eval-policy stochastic`), from run directories or checkpoint
 * folders, on the env and appearance they trained under or on others with the
 * same spaces. Several runs (seeds) and conditions (envs,
 * DMControl-GB appearances) make a generalization report: per condition, the
 * mean over runs of each run's mean return, beside the training condition's,
 * as DMControl-GB and ProcGen's train/test levels are reported.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Random } from '../common/random.ts';
import { checkVideoPath, writeVideo } from '../common/video.ts';
import type { Env } from '../envs/core.ts';
import { makeEnv, type MakeEnvOptions } from '../envs/registry.ts';
import type { RunAgent } from './components.ts';
import { fields, type RunConfig } from './config/fields.ts';
import { readConfigFile } from './config/presets.ts';
import { loadCheckpoint, type LoadedCheckpoint } from './checkpoint.ts';
import { checkAppearanceSeen, ConfigError } from './config/schema.ts';
import { integer } from './commands.ts';
import { evaluate } from './evaluate.ts';
import { runFiles } from './run-dir.ts';

export interface EvalCommandOptions {
  checkpoint?: string;
  episodes?: string;
  seed?: string;
  video?: string;
  backend?: string;
  /** Envs to evaluate on (the flag may be repeated); none: each run's own. */
  env?: string[];
  /** Comma-separated DMControl-GB appearances; none: each run's own. */
  appearance?: string;
  appearanceFolder?: string;
  /** deterministic or stochastic; none: each run's eval_policy. */
  evalPolicy?: string;
  json?: boolean;
}

type EvalPolicy = RunConfig['eval_policy'];

interface Checkpointed {
  runDir: string;
  checkpoint: LoadedCheckpoint;
  weights: ReturnType<LoadedCheckpoint['arrays']>;
  config: RunConfig;
}

/** One evaluation: a run's checkpoint on one env under one appearance. */
interface Evaluation {
  run: Checkpointed;
  env: string;
  appearance: string;
}

/** What `--json` prints per evaluation. */
interface EvaluationSummary {
  checkpoint: string;
  env: string;
  appearance: string;
  policy: EvalPolicy;
  env_step: number;
  agent_step: number;
  backend: string;
  episodes: number;
  returns: number[];
  mean: number;
  std: number;
}

/** A run's checkpoint from what a person typed (a run directory or a checkpoint folder), with the run's config; its weights are read (and checked) here, before any episode runs. */
function locateCheckpoint(path: string, name: string): Checkpointed {
  const absolute = resolve(path);
  if (!existsSync(absolute)) throw new ConfigError(`rad eval: ${path} does not exist`);
  const isFolder = existsSync(join(absolute, 'manifest.json'));
  if (!isFolder && !existsSync(join(absolute, runFiles.config))) {
    throw new ConfigError(`rad eval: ${path} is neither a run directory (no config.yaml) nor a checkpoint folder (no manifest.json)`);
  }
  const checkpoint = loadCheckpoint(absolute, name);
  const runDir = isFolder ? dirname(dirname(absolute)) : absolute;
  return { runDir, checkpoint, weights: checkpoint.arrays('weights'), config: readConfigFile(join(runDir, runFiles.config)) };
}

/**
 * How every evaluation acts: `--eval-policy`, else the runs' own eval_policy,
 * which must then agree (a report comparing sampled with mean actions would
 * mix two things).
 */
function evalPolicyOf(runs: Checkpointed[], given: string | undefined): EvalPolicy {
  const allowed = fields.eval_policy.values;
  if (given !== undefined) {
    if (!(allowed as readonly string[]).includes(given)) throw new ConfigError(`--eval-policy ${JSON.stringify(given)} is not allowed: expected ${allowed.join(' or ')}`);
    return given as EvalPolicy;
  }
  const policies = new Set(runs.map((run) => run.config.eval_policy));
  if (policies.size > 1) {
    const each = runs.map((run) => `${basename(run.runDir)}: ${run.config.eval_policy}`).join(', ');
    throw new ConfigError(`rad eval: the runs were configured to evaluate with different eval_policy values (${each}); give --eval-policy to evaluate them all one way`);
  }
  return runs[0].config.eval_policy;
}

/** The evaluations asked for: every run on every env and appearance given (each run's own where none is). */
function plan(runs: Checkpointed[], options: EvalCommandOptions): Evaluation[] {
  const appearances = options.appearance?.split(',').map((name) => name.trim());
  if (appearances?.some((name) => name === '')) {
    throw new ConfigError(`--appearance ${JSON.stringify(options.appearance)} is not allowed: expected appearance names separated by commas, e.g. default,color_hard`);
  }
  const evaluations: Evaluation[] = [];
  for (const run of runs) {
    for (const env of options.env?.length ? options.env : [run.config.env]) {
      for (const appearance of appearances ?? [run.config.appearance]) {
        checkAppearanceSeen(run.config.from, appearance, `rad eval ${basename(run.runDir)}`);
        evaluations.push({ run, env, appearance });
      }
    }
  }
  return evaluations;
}

export async function evalCommandAction(paths: string[], options: EvalCommandOptions): Promise<number> {
  const checkpointName = options.checkpoint ?? 'best';
  if (checkpointName !== 'best' && checkpointName !== 'latest') throw new ConfigError(`--checkpoint ${JSON.stringify(checkpointName)} is not allowed: expected best or latest`);
  const runs = paths.map((path) => locateCheckpoint(path, checkpointName));
  const seed = integer(options.seed ?? '0', '--seed', 0);
  const episodes = options.episodes === undefined ? null : integer(options.episodes, '--episodes', 1);
  const evaluations = plan(runs, options);
  const policy = evalPolicyOf(runs, options.evalPolicy);
  if (options.video !== undefined) {
    if (evaluations.length > 1) throw new ConfigError(`--video records one evaluation, and ${evaluations.length} are asked for; give one run, one env and one appearance`);
    checkVideoPath(options.video);
  }
  const backendName = options.backend ?? 'auto';
  if (!['auto', 'tensorflow', 'wasm', 'cpu'].includes(backendName)) throw new ConfigError(`--backend ${JSON.stringify(backendName)} is not allowed: expected auto, tensorflow, wasm or cpu`);
  const { envOptions } = await import('./train.ts');
  const envOptionsOf = (evaluation: Evaluation) => ({ ...envOptions(evaluation.run.config), appearance: evaluation.appearance, appearanceFolder: options.appearanceFolder });
  const { setupBackend } = await import('../agents/tf/backend.ts');
  const backend = await setupBackend(backendName === 'auto' ? undefined : (backendName as 'cpu'));
  // Every env, appearance and checkpoint is checked before the first episode runs.
  if (evaluations.length > 1) for (const evaluation of evaluations) await withAgent(evaluation, envOptionsOf(evaluation), async () => {});
  const summaries: EvaluationSummary[] = [];
  for (const evaluation of evaluations) {
    const summary = await withAgent(evaluation, envOptionsOf(evaluation), (env, agent) =>
      evaluateOne(evaluation, env, agent, { episodes: episodes ?? evaluation.run.config.eval_episodes, seed, policy, backend: backend.name, video: options.video }),
    );
    summaries.push(summary);
    if (options.json) process.stdout.write(JSON.stringify(summary) + '\n');
    else if (evaluations.length === 1) {
      process.stdout.write(`checkpoint ${summary.checkpoint} (env step ${summary.env_step}, backend ${summary.backend}) on ${summary.env}, appearance ${summary.appearance}, ${summary.policy} actions\n`);
      summary.returns.forEach((value, i) => process.stdout.write(`episode ${i + 1}: return ${value.toFixed(2)}\n`));
      process.stdout.write(`mean return ${summary.mean.toFixed(2)} ± ${summary.std.toFixed(2)} over ${summary.episodes} episodes\n`);
    } else {
      process.stdout.write(`${basename(evaluation.run.runDir)} on ${summary.env}, appearance ${summary.appearance}: mean return ${summary.mean.toFixed(2)} ± ${summary.std.toFixed(2)} over ${summary.episodes} episodes\n`);
    }
  }
  if (evaluations.length > 1) {
    const report = generalizationReport(evaluations, summaries);
    process.stdout.write(options.json ? JSON.stringify({ report }) + '\n' : reportText(report));
  }
  return 0;
}

/** Runs `body` with the env of `evaluation` and the run's agent on it, its weights from the checkpoint; closes both after. */
async function withAgent<T>(evaluation: Evaluation, envOptions: MakeEnvOptions, body: (env: Env, agent: RunAgent) => Promise<T>): Promise<T> {
  const { makeAgent } = await import('./components.ts');
  const { run, env: envId } = evaluation;
  const env = await makeEnv(envId, envOptions);
  let agent: RunAgent;
  try {
    // Named by the env evaluated on, which may not be the run's.
    agent = makeAgent({ ...run.config, env: envId }, env);
  } catch (error) {
    await env.close();
    throw error;
  }
  try {
    // Weights from the checkpoint over a fresh state: evaluation needs no optimizer moments.
    const fresh = agent.getState();
    for (const [name, values] of Object.entries(run.weights)) {
      if (fresh[name]?.length !== values.length) {
        throw new ConfigError(
          `rad eval: ${envId} (obs ${env.observationSpace}, action ${env.actionSpace}) does not fit the checkpoint, trained on ${run.config.env}: ` +
            `weight "${name}" holds ${values.length} values there and ${fresh[name]?.length ?? 'none'} here; evaluate on an env with the same observation and action spaces`,
        );
      }
    }
    agent.setState({ ...fresh, ...run.weights } as Record<string, Float32Array>);
    return await body(env, agent);
  } finally {
    agent.dispose();
    await env.close();
  }
}

async function evaluateOne(
  evaluation: Evaluation,
  env: Env,
  agent: RunAgent,
  options: { episodes: number; seed: number; policy: EvalPolicy; backend: string; video?: string },
): Promise<EvaluationSummary> {
  const { checkpoint, config } = evaluation.run;
  // The same reset seeds under every condition: the comparison is paired.
  const result = await evaluate(env, agent, {
    episodes: options.episodes,
    rng: Random.derive(options.seed, 'eval-command'),
    stochastic: options.policy === 'stochastic',
    record: options.video !== undefined,
  });
  if (options.video !== undefined) await writeVideo(options.video, result.frames, Math.max(1, Number(env.metadata.renderFps ?? 30) / config.action_repeat));
  return {
    checkpoint: checkpoint.folder,
    env: evaluation.env,
    appearance: evaluation.appearance,
    policy: options.policy,
    env_step: checkpoint.manifest.envStep,
    agent_step: checkpoint.manifest.agentStep,
    backend: options.backend,
    episodes: options.episodes,
    returns: result.returns,
    mean: result.mean,
    std: result.std,
  };
}

/** One condition of the report: the runs' mean returns there, their mean and (population) std. */
export interface ConditionReport {
  env: string;
  appearance: string;
  /** Whether every run trained under this condition. */
  train: boolean;
  runs: number;
  mean: number;
  std: number;
}

/** Per condition (env and appearance, in the order first asked), over the runs evaluated there. */
export function generalizationReport(evaluations: Evaluation[], summaries: EvaluationSummary[]): ConditionReport[] {
  const groups = new Map<string, { env: string; appearance: string; train: boolean; means: number[] }>();
  evaluations.forEach((evaluation, i) => {
    const key = JSON.stringify([evaluation.env, evaluation.appearance]);
    const trained = evaluation.run.config.env === evaluation.env && evaluation.run.config.appearance === evaluation.appearance;
    const group = groups.get(key) ?? { env: evaluation.env, appearance: evaluation.appearance, train: true, means: [] };
    group.train &&= trained;
    group.means.push(summaries[i].mean);
    groups.set(key, group);
  });
  return [...groups.values()].map(({ env, appearance, train, means }) => {
    const mean = means.reduce((a, b) => a + b, 0) / means.length;
    const std = Math.sqrt(means.reduce((a, b) => a + (b - mean) ** 2, 0) / means.length);
    return { env, appearance, train, runs: means.length, mean, std };
  });
}

/** The report as a table; conditions other than the training one show their change from it. */
function reportText(report: ConditionReport[]): string {
  const trained = report.find((condition) => condition.train);
  const rows = report.map((condition) => {
    let change = condition.train ? 'trained here' : '';
    if (!condition.train && trained) {
      const difference = condition.mean - trained.mean;
      const percent = trained.mean > 0 ? ` (${difference >= 0 ? '+' : ''}${((100 * difference) / trained.mean).toFixed(0)}%)` : '';
      change = `${difference >= 0 ? '+' : ''}${difference.toFixed(2)}${percent}`;
    }
    return [`${condition.env}, ${condition.appearance}`, `${condition.mean.toFixed(2)} ± ${condition.std.toFixed(2)}`, String(condition.runs), change];
  });
  const header = ['condition', 'mean return ± std over runs', 'runs', 'vs training condition'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd() + '\n';
  return '\ngeneralization (each run\'s mean return, then their mean ± std per condition):\n' + [header, ...rows].map(line).join('');
}
