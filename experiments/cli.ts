/**
 * `rad <command>`: train, eval, envs, render, augment, plot, serve. Commander
 * parses; each command's work lives in experiments/commands.ts and is imported
 * only when that command runs, so `rad envs --help` does not load tfjs.
 * Every run-config key is a `rad train` flag, generated from the field table.
 * Exit codes: 0 done, 1 failed, 2 bad input (config, flags), 130 interrupted (143 by SIGTERM).
 */
import { Command, Option } from 'commander';
import { fieldNames, fields, flagName, type FieldName } from './config/fields.ts';
import { InputError } from '../common/errors.ts';
import { allowedText } from './config/schema.ts';
import { defaultPreset, listPresets } from './config/presets.ts';
import { packageVersion } from './checkpoint.ts';
import type { EvalCommandOptions } from './eval-command.ts';

const program = new Command();
program
  .name('rad')
  .version(packageVersion())
  .description('Reinforcement learning from pixels with data augmentation (RAD, CURL, DrQ) on TensorFlow.js')
  .showSuggestionAfterError(true)
  .showHelpAfterError('(run with --help for usage)')
  // A usage error (an unknown flag, a missing argument) is bad input too: exit code 2, as for a bad value.
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
  .addHelpText('after', `
Examples:
  $ rad train                                        # the quick preset on the embedded cartpole
  $ rad train --preset curl --env dmc:cartpole-swingup --seed 1
  $ rad train --resume runs/dmc-cartpole-swingup__quick__1__20260101-120000
  $ rad eval runs/<run dir> --episodes 10 --video eval.gif
  $ rad plot runs/*cartpole* --out cartpole
  $ rad envs`);

async function run(action: () => Promise<number | void>): Promise<void> {
  let code = 0;
  try {
    code = (await action()) ?? 0;
  } catch (error) {
    const bad = error instanceof InputError;
    process.stderr.write(`rad: error: ${(error as Error).message}\n`);
    if (!bad && process.env.RAD_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    code = bad ? 2 : 1;
  }
  // tfjs worker threads and zeromq sockets may keep the loop alive after the work is done.
  process.exit(code);
}

const camel = (key: string) => key.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());

// --- train ---
const trainCommand = program
  .command('train')
  .description('train an agent; every preset key below can be overridden (flags win over --config, which wins over the preset)')
  .option('--preset <name>', `preset: ${listPresets().filter((name) => name !== 'base').join(', ')}`, defaultPreset)
  .option('--config <file>', 'a YAML file of config keys layered over the preset')
  .option('--resume <run dir>', "continue a run from its latest checkpoint (uses the run's config.yaml; no other flags)")
  .option('--print-config', 'print the resolved config as YAML and exit');
for (const key of fieldNames) {
  const spec = fields[key];
  if (spec.type === 'boolean') {
    trainCommand.addOption(new Option(flagName(key), spec.doc));
    trainCommand.addOption(new Option(`--no-${key.replace(/_/g, '-')}`, `turn ${key} off`).hideHelp());
  } else {
    trainCommand.addOption(new Option(`${flagName(key)} <value>`, `${spec.doc}; ${allowedText(spec)}`));
  }
}
trainCommand.addHelpText('after', `
Flags override the preset: --batch-size 256, --aug translate --image-size 108, --no-plot.
See what a preset resolves to: rad train --preset curl --env dmc:cheetah-run --print-config
Budgets count env steps (env_step = agent_step x action_repeat).

Examples:
  $ rad train                                          # preset quick: RAD on dmc:cartpole-swingup, ~15 min on 2 cores
  $ rad train --preset rad --env dmc:walker-walk --seed 3
  $ rad train --preset curl --env dmc:cheetah-run --batch-size 256 --video
  $ rad train --preset rad --aux byol-rotation --rotation-weight 0.1   # self-supervised losses (agents/aux)
  $ rad train --preset drq --env "remote:tcp://127.0.0.1:5555/dm_control/cartpole-swingup"
  $ rad train --preset quick --print-config > my.yaml && rad train --config my.yaml
  $ rad train --resume runs/dmc-cartpole-swingup__quick__1__20260101-120000`);
trainCommand.action((options: Record<string, unknown>, command: Command) =>
  run(async () => {
    const overrides: Record<string, unknown> = {};
    for (const key of fieldNames) {
      const value = command.getOptionValue(camel(key));
      if (value !== undefined) overrides[key] = value;
    }
    const { trainCommandAction } = await import('./commands.ts');
    return trainCommandAction({
      preset: options.preset as string,
      configFile: options.config as string | undefined,
      resume: options.resume as string | undefined,
      printConfig: Boolean(options.printConfig),
      overrides: overrides as Partial<Record<FieldName, string | boolean>>,
      presetGiven: command.getOptionValueSource('preset') === 'cli',
    });
  }),
);

// --- eval ---
program
  .command('eval')
  .description('evaluate trained agents: episodes from run directories or checkpoint folders; with several runs, envs or appearances, a generalization report')
  .argument('<paths...>', 'run directories (each uses its best checkpoint) or checkpoint folders: several runs (seeds) are reported together')
  .option('--checkpoint <name>', 'which checkpoint of a run directory: best or latest', 'best')
  .option('--episodes <n>', 'episodes per evaluation (default: the run config eval_episodes)')
  .option('--seed <n>', 'seed of the evaluation resets (the same under every env and appearance)', '0')
  .option('--video <file>', 'write the first episode as .gif or .mp4 (mp4 needs ffmpeg on PATH); one evaluation only')
  .option('--backend <name>', 'tfjs backend: auto, tensorflow, wasm, cpu', 'auto')
  .option('--env <id>', 'evaluate on this env instead of the run\'s (same observation and action spaces), e.g. unseen ProcGen levels; repeat for several', (id: string, ids: string[]) => [...ids, id], [] as string[])
  .option('--appearance <modes>', 'DMControl-GB appearances to evaluate under, separated by commas: default, color_easy, color_hard, video_easy, video_hard (default: the run\'s)')
  .option('--appearance-folder <dir>', 'a folder of PNG frames for the video appearances')
  .option('--eval-policy <name>', "deterministic (the policy's mean action, a Discrete's most likely one) or stochastic (actions sampled from the policy, as ProcGen's PPO evaluations act) (default: the runs' eval_policy)")
  .option('--json', 'print each evaluation as one JSON line (and the report as a last line)')
  .addHelpText('after', `
Examples:
  $ rad eval runs/dmc-cartpole-swingup__quick__1__20260101-120000
  $ rad eval runs/<run> --checkpoint latest --episodes 20 --video eval.gif
  $ rad eval runs/<run> --appearance video_hard --episodes 10      # DMControl-GB generalization
  $ rad eval runs/<run> --env "remote:tcp://127.0.0.1:5555/procgen/coinrun?start_level=100000&num_levels=0"
  $ rad eval runs/<run>/checkpoints/best.step_0000040000 --json
  $ rad eval runs/dmc-walker-walk__rad__* --appearance default,color_hard,video_easy,video_hard   # the report over seeds`)
  .action((paths: string[], options: EvalCommandOptions) => run(async () => (await import('./eval-command.ts')).evalCommandAction(paths, options)));

// --- search ---
program
  .command('search')
  .description('search run configs with a particle swarm or CMA-ES: each candidate is trained by runs in worker processes and scored by their last eval return')
  .argument('[file]', 'search file (YAML): preset, base (keys fixed for every run), space (keys to search) and settings')
  .option('--resume <dir>', 'continue a stopped search: the runs it recorded are kept, a run cut short resumes from its checkpoint')
  .option('--optimizer <name>', 'pso (a particle swarm) or cmaes (CMA-ES) (default: the file\'s, else pso)')
  .option('--particles <n>', 'candidates per iteration: particles, or CMA-ES\'s lambda (default: the file\'s, else 8)')
  .option('--iterations <n>', 'swarm moves (default: the file\'s, else 5)')
  .option('--seeds <n>', 'runs per candidate, seeds 1..n, fitness their mean (default: the file\'s, else 1)')
  .option('--seed <n>', 'seed of the swarm (default: the file\'s, else 1)')
  .option('--workers <n>', 'runs at once, each in its own process with its share of the cores (default: the file\'s, else 1)')
  .option('--out <dir>', 'folder that holds search directories', 'searches')
  .addHelpText('after', `
A search file:
  preset: quick
  base: {env: dmc:cartpole-swingup, env_steps: 8000}
  space:
    aug: [crop, crop-cutout, crop-grayscale]      # a choice
    lr: {min: 1.0e-4, max: 1.0e-3, log: true}    # a range; int keys take whole numbers
  particles: 6
  iterations: 4

Examples:
  $ rad search experiments/search/examples/cartpole-augmentations.yaml --workers 2
  $ rad search my-search.yaml --particles 4 --iterations 2 --seeds 2
  $ rad search --resume searches/cartpole-augmentations__20260101-120000`)
  .action((file: string | undefined, options: Record<string, string>) => run(async () => (await import('./search/search.ts')).searchCommandAction(file, options)));

// --- envs ---
program
  .command('envs')
  .description('list every registered env id with its observation and action spaces')
  .option('--no-spaces', 'list the ids only (does not build each env)')
  .option('--render-size <n>', 'render size used to show pixel spaces', '84')
  .addHelpText('after', `
Examples:
  $ rad envs
  $ rad envs --no-spaces`)
  .action((options: { spaces: boolean; renderSize: string }) => run(async () => (await import('./commands.ts')).envsCommandAction(options)));

// --- render ---
program
  .command('render')
  .description('write one frame of an env as PNG, and optionally a video of an episode under a random policy')
  .argument('<env>', 'env id, e.g. dmc:walker-walk')
  .requiredOption('--out <file>', 'PNG file for the first frame')
  .option('--video <file>', 'also write an episode under uniformly random actions (.gif or .mp4)')
  .option('--size <n>', 'render size in pixels', '100')
  .option('--camera <n>', "camera index (-1: MuJoCo's free camera)", '0')
  .option('--seed <n>', 'reset seed', '0')
  .option('--steps <n>', 'at most this many steps in the video', '1000')
  .option('--appearance <mode>', 'DMControl-GB appearance: color_easy, color_hard, video_easy, video_hard')
  .addHelpText('after', `
Examples:
  $ rad render dmc:walker-walk --out walker.png
  $ rad render dmc:cartpole-swingup --out cartpole.png --video cartpole.gif --size 84`)
  .action((env: string, options: Record<string, string | undefined>) => run(async () => (await import('./commands.ts')).renderCommandAction(env, options)));

// --- augment ---
program
  .command('augment')
  .description('show what each augmentation does: a PNG grid, one row per augmentation, the original first')
  .requiredOption('--show <env id or PNG>', 'an env id (its first frame) or a PNG file')
  .requiredOption('--out <file>', 'PNG file to write')
  .option('--aug <names>', 'comma-separated specs (default: every pixel augmentation)')
  .option('--samples <n>', 'samples per row', '4')
  .option('--size <n>', 'render size when --show is an env id', '100')
  .option('--seed <n>', 'seed of the random draws', '0')
  .addHelpText('after', `
Examples:
  $ rad augment --show dmc:cartpole-swingup --out gallery.png
  $ rad augment --show frame.png --aug crop,translate,cutout --out gallery.png`)
  .action((options: Record<string, string | undefined>) => run(async () => (await import('./commands.ts')).augmentCommandAction(options)));

// --- plot ---
program
  .command('plot')
  .description('learning curves of runs as SVG and PNG: mean ± std over seeds, x in env steps')
  .argument('<run dirs...>', 'run directories (runs whose configs differ only in the seed, output, backend or budgets are averaged; other settings are curves of their own)')
  .option('--out <base>', 'output path without extension: writes <base>.svg and <base>.png', 'plot')
  .option('--metric <column>', 'eval.csv column to plot', 'eval/return_mean')
  .option('--title <text>', 'plot title')
  .option('--band <kind>', "the band around the mean: std (± the std over seeds) or ci95 (the mean's 95% confidence interval, Student's t)", 'std')
  .addHelpText('after', `
Examples:
  $ rad plot runs/dmc-cartpole-swingup__quick__* --out cartpole
  $ rad plot runs/a runs/b --title "RAD vs CURL"
  $ rad plot runs/*__rad__* --band ci95                 # seeds of each setting: mean and its 95% CI`)
  .action((dirs: string[], options: Record<string, string | undefined>) => run(async () => (await import('./commands.ts')).plotCommandAction(dirs, options)));

// --- serve ---
program
  .command('serve')
  .description('serve envs of this package over the ZeroMQ bridge, so they can step in another process')
  .requiredOption('--env <id>', 'env id served to make requests that name none')
  .option('--copies <n>', 'copies per make request', '1')
  .option('--bind <address>', 'ZeroMQ endpoint: tcp://host:port or ipc:///path', 'tcp://127.0.0.1:5555')
  .option('--from <kind>', 'pixels or states', 'pixels')
  .option('--render-size <n>', 'render size', '84')
  .option('--frame-stack <n>', 'stacked frames (1: the training side stacks)', '1')
  .option('--action-repeat <n>', 'action repeat (1: the training side repeats)', '1')
  .addHelpText('after', `
Examples:
  $ rad serve --env dmc:walker-walk --copies 8 --render-size 100 --bind tcp://127.0.0.1:5555
  $ rad train --preset rad --env remote:tcp://127.0.0.1:5555/dmc:walker-walk    # the preset renders 100 too`)
  .action((options: Record<string, string | undefined>) => run(async () => (await import('./commands.ts')).serveCommandAction(options)));

await program.parseAsync(process.argv);
