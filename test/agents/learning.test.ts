/**
 * End to end: SAC from pixels (RAD crop, replay buffer, act, update) learns the
 * dot task of dot_task.ts within a few hundred updates, with a fixed seed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../common/random.ts';
import { Box } from '../../envs/core.ts';
import { ReplayBuffer } from '../../agents/replay.ts';
import { SacAgent } from '../../agents/sac/agent.ts';
import { DotTask, dotEpisodeLength, dotSide } from './dot_task.ts';
import { useTestBackend } from './fixtures.ts';

beforeAll(async () => {
  await useTestBackend();
});

describe('learning', () => {
  it('steers the dot to the centre: the deterministic return rises from ~5 to >= 8 in 800 steps', () => {
    const seed = 0;
    const agent = new SacAgent({
      observationShape: [dotSide, dotSide, 3],
      actionSpace: new Box(-1, 1, [1]),
      seed,
      // Small encoder and MLPs; RAD's crop (16 -> 14); a short horizon for 10-step episodes.
      config: { hiddenSize: 64, featureDim: 16, convLayers: 2, convFilters: 8, imageSize: 14, gamma: 0.9 },
    });
    const replay = new ReplayBuffer({ capacity: 5000, frameShape: [dotSide, dotSide, 3], actionSize: 1 });
    const task = new DotTask();
    const envRandom = Random.derive(seed, 'env');
    const sampling = Random.derive(seed, 'sample');
    const evaluate = () => {
      let total = 0;
      for (let episode = 0; episode < 10; episode++) {
        let obs = task.reset(envRandom, -0.9 + 0.2 * episode);
        for (let t = 0; t < dotEpisodeLength; t++) {
          const result = task.step(agent.act(obs, { eval: true }).data[0]);
          total += result.reward;
          obs = result.obs;
        }
      }
      return total / 10;
    };
    const initial = evaluate();
    const seedSteps = 200;
    let obs = task.reset(envRandom);
    replay.addFirst(obs);
    for (let step = 1; step <= 800; step++) {
      const action = step <= seedSteps ? envRandom.uniform(-1, 1) : agent.act(obs).data[0];
      const result = task.step(action);
      replay.add([action], result.reward, result.obs, false, result.truncated);
      obs = result.obs;
      if (result.truncated) {
        obs = task.reset(envRandom);
        replay.addFirst(obs);
      }
      if (step > seedSteps) agent.update(replay.sample(32, sampling), step);
    }
    const final = evaluate();
    agent.dispose();
    expect(initial).toBeLessThan(6);
    expect(final).toBeGreaterThanOrEqual(8);
    expect(final - initial).toBeGreaterThanOrEqual(2.5);
  });
});
