/**
 * Walker stand, walk and run: rewards at hand-set states (standing upright at
 * full height gives stand reward 1) and dm_control's initial state (random joint
 * angles at the default height).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DmcEnv } from '../../../envs/dmc/env.ts';
import { tasks, torsoHeight } from '../../../envs/dmc/tasks/walker.ts';

const envs: Record<string, DmcEnv> = {};
beforeAll(async () => {
  for (const name of ['stand', 'walk', 'run']) envs[name] = await DmcEnv.create(tasks[name]());
});
afterAll(async () => {
  for (const env of Object.values(envs)) await env.close();
});

// qpos order: rootz, rootx, rooty, then right hip/knee/ankle, left hip/knee/ankle.
const ROOTZ = 0;
const ROOTX = 1;
const ROOTY = 2;

/** The reward of `env`'s task with the walker at `qpos` moving forward at `speed` (all joints otherwise still). */
function rewardAt(env: DmcEnv, qpos: number[], speed = 0): number {
  const velocity = new Array(9).fill(0);
  velocity[ROOTX] = speed;
  env.physics.setState(qpos, velocity);
  return env.task.getReward(env.physics);
}

const upright = (): number[] => new Array(9).fill(0);

describe('walker rewards', () => {
  it('stand: 1 upright at full height (torso 1.3 m up)', async () => {
    await envs.stand.reset({ seed: 0 });
    expect(rewardAt(envs.stand, upright())).toBe(1);
    expect(torsoHeight(envs.stand.physics)).toBeCloseTo(1.3, 12);
  });

  it('stand: 3/4 upside down at full height, and the gaussian height term when lying low', async () => {
    const env = envs.stand;
    await env.reset({ seed: 0 });
    const flipped = upright();
    flipped[ROOTY] = Math.PI;
    expect(rewardAt(env, flipped)).toBeCloseTo(0.75, 12);
    // Torso at 0.3 m: 0.9 m under the 1.2 m bound with a 0.6 m margin; the
    // gaussian with value 0.1 at the margin gives 0.1^(1.5^2).
    const low = upright();
    low[ROOTZ] = -1;
    expect(rewardAt(env, low)).toBeCloseTo((3 * 0.1 ** 2.25 + 1) / 4, 12);
  });

  it('walk: 1/6 standing still, 1 at 1 m/s, 7/12 at 0.75 m/s (linear, 0.5 at half a margin)', async () => {
    const env = envs.walk;
    await env.reset({ seed: 0 });
    expect(rewardAt(env, upright(), 0)).toBeCloseTo(1 / 6, 12);
    expect(rewardAt(env, upright(), 1)).toBeCloseTo(1, 12);
    expect(rewardAt(env, upright(), 3)).toBeCloseTo(1, 12);
    // 0.25 m/s short of 1 m/s with a 0.5 m/s margin: 1 - 0.5 * 0.5 = 0.75.
    expect(rewardAt(env, upright(), 0.75)).toBeCloseTo((5 * 0.75 + 1) / 6, 12);
  });

  it('run: 1 at 8 m/s, (5/2 + 1)/6 at 4 m/s, 1/6 at rest', async () => {
    const env = envs.run;
    await env.reset({ seed: 0 });
    expect(rewardAt(env, upright(), 8)).toBeCloseTo(1, 12);
    expect(rewardAt(env, upright(), 4)).toBeCloseTo((5 * 0.5 + 1) / 6, 12);
    // 7 m/s short with a 4 m/s margin: 1 - 1.75 * 0.5 = 0.125.
    expect(rewardAt(env, upright(), 1)).toBeCloseTo((5 * 0.125 + 1) / 6, 12);
    expect(rewardAt(env, upright(), 0)).toBeCloseTo(1 / 6, 12);
  });
});

describe('walker initial state and observation', () => {
  it('draws the root angle in [-pi, pi] and the other joints within their ranges, at rest at x = 0, z = 0', async () => {
    const env = envs.walk;
    const rootAngles: number[] = [];
    for (let seed = 0; seed < 20; seed++) {
      const { info } = await env.reset({ seed });
      const { physics } = env;
      const qpos = physics.qpos();
      expect([qpos[ROOTZ], qpos[ROOTX]]).toEqual([0, 0]);
      expect(Math.abs(qpos[ROOTY])).toBeLessThanOrEqual(Math.PI);
      for (const joint of ['right_hip', 'right_knee', 'right_ankle', 'left_hip', 'left_knee', 'left_ankle']) {
        const { low, high } = physics.jointRange(joint);
        const [angle] = physics.jointQpos(joint);
        expect(angle).toBeGreaterThanOrEqual(low);
        expect(angle).toBeLessThanOrEqual(high);
      }
      const observation = info.observation as Record<string, Float64Array>;
      expect(Array.from(observation.velocity)).toEqual(new Array(9).fill(0));
      expect(observation.height[0]).toBeCloseTo(1.3, 12);
      rootAngles.push(qpos[ROOTY]);
    }
    expect(Math.min(...rootAngles)).toBeLessThan(-Math.PI / 2);
    expect(Math.max(...rootAngles)).toBeGreaterThan(Math.PI / 2);
  });

  it("observes each body's planar orientation as (xx, xz) of its frame", async () => {
    const env = envs.stand;
    await env.reset({ seed: 4 });
    const tilted = upright();
    tilted[ROOTY] = 0.3;
    env.physics.setState(tilted, new Array(9).fill(0));
    const { orientations, height } = env.task.getObservation(env.physics);
    expect(orientations.length).toBe(14);
    // Every body turns with the torso: rotation about +y by 0.3 gives xx = cos, xz = sin.
    for (let body = 0; body < 7; body++) {
      expect(orientations[2 * body]).toBeCloseTo(Math.cos(0.3), 12);
      expect(orientations[2 * body + 1]).toBeCloseTo(Math.sin(0.3), 12);
    }
    expect(height[0]).toBeCloseTo(1.3, 12);
  });
});
