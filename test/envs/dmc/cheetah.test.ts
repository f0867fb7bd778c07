/**
 * Cheetah run: reward at hand-set speeds (linear from 0 at rest to 1 at 10 m/s)
 * and dm_control's initial state (random leg joints, then 200 settling steps).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DmcEnv } from '../../../envs/dmc/env.ts';
import { cheetahSpeed, tasks } from '../../../envs/dmc/tasks/cheetah.ts';

let env: DmcEnv;
beforeAll(async () => {
  env = await DmcEnv.create(tasks.run());
});
afterAll(async () => {
  await env.close();
});

describe('cheetah-run', () => {
  it('rewards forward speed linearly: 0 at rest or backwards, 0.5 at 5 m/s, 1 from 10 m/s', async () => {
    await env.reset({ seed: 0 });
    const { physics, task } = env;
    const still = new Float64Array(physics.model.nv);
    const cases: [number, number][] = [[-3, 0], [0, 0], [2.5, 0.25], [5, 0.5], [10, 1], [15, 1]];
    for (const [speed, reward] of cases) {
      // Sliding the whole cheetah along x moves its centre of mass at exactly that speed.
      const velocity = still.slice();
      velocity[0] = speed;
      physics.setState(physics.qpos(), velocity);
      expect(cheetahSpeed(physics)).toBeCloseTo(speed, 12);
      expect(task.getReward(physics), `speed ${speed}`).toBeCloseTo(reward, 12);
    }
  });

  it('starts settled on the ground at time 0, from leg joints drawn within their limits', async () => {
    const poses: number[][] = [];
    for (let seed = 0; seed < 5; seed++) {
      const { info } = await env.reset({ seed });
      const { physics } = env;
      expect(physics.time).toBe(0);
      const observation = info.observation as Record<string, Float64Array>;
      // Position leaves out rootx: rootz, rooty and the six leg joints.
      expect(observation.position.length).toBe(8);
      expect(Array.from(observation.position)).toEqual(Array.from(physics.qpos().slice(1)));
      // After 2 s of falling and settling it rests (slowly) on its feet or back.
      expect(Math.max(...Array.from(observation.velocity, Math.abs))).toBeLessThan(0.5);
      expect(physics.data.ncon).toBeGreaterThan(0);
      for (const joint of ['bthigh', 'bshin', 'bfoot', 'fthigh', 'fshin', 'ffoot']) {
        const { low, high } = physics.jointRange(joint);
        const [angle] = physics.jointQpos(joint);
        // Soft limits: a settled joint may rest slightly past its range.
        expect(angle).toBeGreaterThan(low - 0.1);
        expect(angle).toBeLessThan(high + 0.1);
      }
      poses.push(Array.from(physics.qpos()));
    }
    // Different seeds give different poses.
    expect(new Set(poses.map((pose) => pose.join())).size).toBe(poses.length);
  });
});
