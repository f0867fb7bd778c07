import { describe, expect, it } from 'vitest';
import { Random } from '../../common/random.ts';
import { evaluate, type Actor } from '../../experiments/evaluate.ts';
import { CounterEnv } from '../envs/counter_env.ts';

/** A CounterEnv that records the seed of every reset. */
class SeededCounter extends CounterEnv {
  seeds: (number | undefined)[] = [];
  override async reset(options?: { seed?: number }) {
    this.seeds.push(options?.seed);
    return super.reset();
  }
}

/** An actor that records what it was asked and acts 1 when given a sample stream (drawing from it), 0 otherwise. */
function recordingActor() {
  const calls: { eval: boolean; sample?: Random }[] = [];
  const draws: number[] = [];
  const actor: Actor = {
    act(_observation, options) {
      calls.push(options);
      if (!options.sample) return 0;
      draws.push(options.sample.uniform());
      return 1;
    },
  };
  return { actor, calls, draws };
}

describe('evaluate', () => {
  it('acts with the mean action by default, and with actions sampled from a stream of its own with stochastic; the reset seeds are the same either way', async () => {
    const deterministicEnv = new SeededCounter(3);
    const deterministic = recordingActor();
    const mean = await evaluate(deterministicEnv, deterministic.actor, { episodes: 2, rng: Random.derive(5, 'eval') });
    expect(deterministic.calls).toHaveLength(6);
    expect(deterministic.calls.every((call) => call.eval === true && call.sample === undefined)).toBe(true);
    expect(mean.returns).toEqual([3, 3]);

    const stochasticEnv = new SeededCounter(3);
    const stochastic = recordingActor();
    const sampled = await evaluate(stochasticEnv, stochastic.actor, { episodes: 2, rng: Random.derive(5, 'eval'), stochastic: true });
    expect(sampled.returns).toEqual([6, 6]);
    expect(stochastic.calls.every((call) => call.eval === true)).toBe(true);
    // One stream for the whole evaluation, forked off the evaluation's: its draws are the fork's.
    expect(new Set(stochastic.calls.map((call) => call.sample)).size).toBe(1);
    const fork = Random.derive(5, 'eval').fork('actions');
    expect(stochastic.draws).toEqual(stochastic.draws.map(() => fork.uniform()));
    // Paired: the same episodes (reset seeds) under both policies.
    expect(stochasticEnv.seeds).toEqual(deterministicEnv.seeds);
    expect(new Set(deterministicEnv.seeds).size).toBe(2);
  });
});
