/**
 * Evaluation: `episodes` full episodes with the eval augmentation (a centre
 * crop for RAD/CURL) and the agent's mean action, or with `stochastic`, actions
 * sampled from its policy (as ProcGen's PPO evaluations act) with a stream of
 * their own forked off `rng`. Each episode is reset with its own seed from
 * `rng`, the same seeds either way, on an env kept apart from the training env
 * so that a training episode is never disturbed. Optionally keeps the frames of
 * the first episode for a video and for TensorBoard.
 */
import { eventLoopTurns } from '../common/event_loop.ts';
import type { NdArray } from '../common/ndarray.ts';
import { zeros } from '../common/ndarray.ts';
import type { Random } from '../common/random.ts';
import type { Env } from '../envs/core.ts';

export interface EvaluationResult {
  returns: number[];
  lengths: number[];
  mean: number;
  std: number;
  /** RGB frames (H, W, 3) of the first episode, when recorded. */
  frames: NdArray<'uint8'>[];
}

/** An RGB frame: the env's render, else the newest frame of a pixel observation. */
export async function frameOf(env: Env, observation: unknown): Promise<NdArray<'uint8'> | null> {
  if (env.render) {
    try {
      return await env.render();
    } catch {
      // this env cannot render (e.g. a remote env without frames); fall back to the observation
    }
  }
  const pixels = observation as NdArray;
  if (!pixels || pixels.dtype !== 'uint8' || pixels.shape.length !== 3 || pixels.shape[2] < 3) return null;
  const [height, width, channels] = pixels.shape;
  const frame = zeros('uint8', [height, width, 3]);
  for (let i = 0; i < height * width; i++) {
    for (let c = 0; c < 3; c++) frame.data[i * 3 + c] = pixels.data[i * channels + channels - 3 + c] as number;
  }
  return frame;
}

export interface Actor {
  act(observation: unknown, options: { eval: boolean; sample?: Random }): unknown;
}

export async function evaluate(env: Env, agent: Actor, options: { episodes: number; rng: Random; stochastic?: boolean; record?: boolean }): Promise<EvaluationResult> {
  // Forked, not drawn from: the reset seeds are the same with and without sampling.
  const actOptions = { eval: true, sample: options.stochastic === true ? options.rng.fork('actions') : undefined };
  const returns: number[] = [];
  const lengths: number[] = [];
  const frames: NdArray<'uint8'>[] = [];
  const turn = eventLoopTurns(); // a second Ctrl-C quits at once, even mid-evaluation
  for (let episode = 0; episode < options.episodes; episode++) {
    let { obs } = await env.reset({ seed: options.rng.int(2 ** 31) });
    const record = options.record === true && episode === 0;
    const keep = async () => {
      const frame = record ? await frameOf(env, obs) : null;
      if (frame) frames.push(frame);
    };
    await keep();
    let total = 0;
    let length = 0;
    for (;;) {
      await turn();
      const step = await env.step(agent.act(obs, actOptions));
      obs = step.obs;
      total += step.reward;
      length++;
      await keep();
      if (step.terminated || step.truncated) break;
    }
    returns.push(total);
    lengths.push(length);
  }
  const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
  const std = Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / returns.length);
  return { returns, lengths, mean, std, frames };
}
