/**
 * Frames per second of the in-process DeepMind Control Suite at 84x84, physics
 * included: per task, one control step (the task's physics substeps) with a
 * uniformly random action, then one rendered frame of camera 0, on this one
 * thread. Prints `env_fps_<task>=<frames/s>` (the env as configured by default,
 * edges antialiased), `env_fps_noaa_<task>` (the renderer's `antialias: false`)
 * and `render_fps_<task>` (the renderer alone, cycling through 64 recorded
 * states: a repeated state would cost next to nothing, as the renderer keeps
 * what did not change). Wall-clock
 * figures: on a shared machine they are noisy; `cpu_*` lines give the same rates
 * from this process's CPU time.
 *
 * Options: `--tasks=cartpole-swingup,walker-walk` (default: every task),
 * `--seconds=1` (time per task), `--size=84`.
 */
import { Random } from '../common/random.ts';
import { createRenderer } from '../envs/dmc/render/renderer.ts';
import { listDmcTasks, loadDmcEnv } from '../envs/dmc/suite.ts';

/** `--name=value` (the form `npm run bench -- envs --name=value` passes through). */
function option(name: string, fallback: string): string {
  const prefix = `--${name}=`;
  const found = process.argv.find((argument) => argument.startsWith(prefix));
  return found === undefined ? fallback : found.slice(prefix.length);
}

const tasks = option('tasks', listDmcTasks().join(',')).split(',');
const seconds = Number(option('seconds', '1'));
const size = Number(option('size', '84'));
if (!(seconds > 0)) throw new Error(`bench envs: --seconds must be a positive number, got ${option('seconds', '')}`);
if (!Number.isInteger(size) || size < 1) throw new Error(`bench envs: --size must be a positive integer, got ${option('size', '')}`);

function cpuMilliseconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Runs `body` repeatedly for about `seconds` after a warm-up; returns [wall frames/s, CPU frames/s]. */
async function rate(body: () => Promise<void>): Promise<[number, number]> {
  // Warm-up: the renderer's hot loops reach full speed only after about 200 frames (JIT).
  for (let i = 0; i < 300; i++) await body();
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

console.log(`envs_frame_size=${size}`);
for (const task of tasks) {
  const env = await loadDmcEnv(task, { width: size, height: size });
  const rng = Random.derive(0, `bench/envs/${task}`);
  try {
    await env.reset({ seed: 0 });
    const [envFps, envCpuFps] = await rate(async () => {
      const result = await env.step(env.actionSpace.sample(rng) as never);
      if (result.truncated) await env.reset();
      await env.render();
    });
    const states: [Float64Array, Float64Array][] = [];
    for (let i = 0; i < 64; i++) {
      const result = await env.step(env.actionSpace.sample(rng) as never);
      if (result.truncated) await env.reset();
      states.push([Float64Array.from(env.physics.qpos()), Float64Array.from(env.physics.qvel())]);
    }
    let next = 0;
    const [renderFps, renderCpuFps] = await rate(async () => {
      const [qpos, qvel] = states[next++ % states.length];
      env.physics.setState(qpos, qvel);
      await env.render();
    });
    const plain = createRenderer(env.physics.model, { width: size, height: size, camera: 0, antialias: false });
    const [plainFps, plainCpuFps] = await rate(async () => {
      const result = await env.step(env.actionSpace.sample(rng) as never);
      if (result.truncated) await env.reset();
      plain.render(env.physics.data);
    });
    plain.close();
    console.log(`env_fps_${task}=${envFps.toFixed(0)}`);
    console.log(`env_fps_noaa_${task}=${plainFps.toFixed(0)}`);
    console.log(`render_fps_${task}=${renderFps.toFixed(0)}`);
    console.log(`cpu_env_fps_${task}=${envCpuFps.toFixed(0)}`);
    console.log(`cpu_env_fps_noaa_${task}=${plainCpuFps.toFixed(0)}`);
    console.log(`cpu_render_fps_${task}=${renderCpuFps.toFixed(0)}`);
  } finally {
    await env.close();
  }
}
