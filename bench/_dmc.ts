/** What the DeepMind Control benchmarks (envs.ts, render_ab.ts) share. Not a benchmark itself (the leading underscore). */
import type { Random } from '../common/random.ts';
import type { DmcEnv } from '../envs/dmc/env.ts';

/** `--name=value` (the form `npm run bench -- <name> --name=value` passes through). */
export function option(name: string, fallback: string): string {
  const prefix = `--${name}=`;
  const found = process.argv.find((argument) => argument.startsWith(prefix));
  return found === undefined ? fallback : found.slice(prefix.length);
}

/**
 * (qpos, qvel) after each of `count` control steps under uniformly random actions
 * from a seed-0 reset: states to render over and over (a repeated state would cost
 * the renderer next to nothing, as it keeps what did not change).
 */
export async function recordStates(env: DmcEnv, rng: Random, count = 64): Promise<[Float64Array, Float64Array][]> {
  await env.reset({ seed: 0 });
  const states: [Float64Array, Float64Array][] = [];
  for (let i = 0; i < count; i++) {
    const result = await env.step(env.actionSpace.sample(rng) as never);
    if (result.truncated) await env.reset();
    states.push([Float64Array.from(env.physics.qpos()), Float64Array.from(env.physics.qvel())]);
  }
  return states;
}
