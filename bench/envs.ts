/**
 * Frames per second of the in-process DeepMind Control Suite at 84x84, physics
 * included: per task, one control step (the task's physics substeps) with a
 * uniformly random action, then one rendered frame of camera 0, on this one
 * thread. Prints `env_fps_<task>=<frames/s>` (the env as configured by default,
 * edges antialiased), `env_fps_noaa_<task>` (the renderer's `antialias: false`)
 * and `render_fps_<task>` (the renderer alone, cycling through 64 recorded
 * states: a repeated state would cost next to nothing, as the renderer keeps
 * what did not change). Each figure is the median of `--rounds` measurements
 * taken in rounds over every task (a `#` line gives their range): this machine's
 * speed drifts by tens of percent over minutes, and rounds spread a slow spell
 * over all tasks instead of landing on one. `cpu_*` lines give the same rates
 * from this process's CPU time.
 *
 * Options: `--tasks=cartpole-swingup,walker-walk` (default: every task),
 * `--seconds=1` (per measurement), `--rounds=3`, `--size=84`.
 */
import { Random } from '../common/random.ts';
import { option, recordStates } from './_dmc.ts';
import { createRenderer } from '../envs/dmc/render/renderer.ts';
import { listDmcTasks, loadDmcEnv } from '../envs/dmc/suite.ts';

const tasks = option('tasks', listDmcTasks().join(',')).split(',');
const seconds = Number(option('seconds', '1'));
const rounds = Number(option('rounds', '3'));
const size = Number(option('size', '84'));
if (!(seconds > 0)) throw new Error(`bench envs: --seconds must be a positive number, got ${option('seconds', '')}`);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`bench envs: --rounds must be a positive integer, got ${option('rounds', '')}`);
if (!Number.isInteger(size) || size < 1) throw new Error(`bench envs: --size must be a positive integer, got ${option('size', '')}`);

function cpuMilliseconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Frames/s of `body` over about `seconds`: [wall-clock, process CPU time]. */
async function rate(body: () => Promise<void>): Promise<[number, number]> {
  let frames = 0;
  const wallStart = performance.now();
  const cpuStart = cpuMilliseconds();
  while (performance.now() - wallStart < seconds * 1000) {
    for (let i = 0; i < 10; i++) await body();
    frames += 10;
  }
  const wall = performance.now() - wallStart;
  const cpu = cpuMilliseconds() - cpuStart;
  return [(1000 * frames) / wall, (1000 * frames) / cpu];
}

/** What one task measures: the env as configured, the renderer alone, the env with `antialias: false`. */
async function bodiesOf(task: string): Promise<{ bodies: Record<string, () => Promise<void>>; close: () => Promise<void> }> {
  const env = await loadDmcEnv(task, { width: size, height: size });
  const rng = Random.derive(0, `bench/envs/${task}`);
  const states = await recordStates(env, rng);
  let next = 0;
  const plain = createRenderer(env.physics.model, { width: size, height: size, camera: 0, antialias: false });
  const step = async () => {
    const result = await env.step(env.actionSpace.sample(rng) as never);
    if (result.truncated) await env.reset();
  };
  const bodies = {
    env: async () => {
      await step();
      await env.render();
    },
    render: async () => {
      const [qpos, qvel] = states[next++ % states.length];
      env.physics.setState(qpos, qvel);
      await env.render();
    },
    noaa: async () => {
      await step();
      plain.render(env.physics.data);
    },
  };
  return { bodies, close: async () => (plain.close(), await env.close()) };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

console.log(`envs_frame_size=${size} rounds=${rounds}`);
const measured = await Promise.all(tasks.map(bodiesOf));
const rates = new Map<string, [number, number][]>();
try {
  // Warm-up: the renderer's hot loops reach full speed only after about 200 frames (JIT).
  for (const { bodies } of measured) for (const body of Object.values(bodies)) for (let i = 0; i < 300; i++) await body();
  // Rounds over every task, so that a slow spell of the machine touches each task alike.
  for (let round = 0; round < rounds; round++) {
    for (const [index, { bodies }] of measured.entries()) {
      for (const [kind, body] of Object.entries(bodies)) {
        const key = `${kind}/${tasks[index]}`;
        rates.set(key, [...(rates.get(key) ?? []), await rate(body)]);
      }
    }
  }
} finally {
  for (const { close } of measured) await close();
}
const names: Record<string, string> = { env: 'env_fps', noaa: 'env_fps_noaa', render: 'render_fps' };
for (const task of tasks) {
  for (const [kind, name] of Object.entries(names)) {
    const runs = rates.get(`${kind}/${task}`)!;
    const wall = runs.map(([w]) => w);
    console.log(`${name}_${task}=${median(wall).toFixed(0)}`);
    console.log(`cpu_${name}_${task}=${median(runs.map(([, c]) => c)).toFixed(0)}`);
    console.log(`# ${name}_${task} over ${rounds} rounds: ${Math.min(...wall).toFixed(0)}-${Math.max(...wall).toFixed(0)}`);
  }
}
