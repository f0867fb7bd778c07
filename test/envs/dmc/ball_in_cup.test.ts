/**
 * Ball-in-cup catch: reward at hand-set states (ball in the cup gives 1),
 * dm_control's initial-state distribution, and MuJoCo 2's contact weight.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DmcEnv } from '../../../envs/dmc/env.ts';
import { tasks } from '../../../envs/dmc/tasks/ball_in_cup.ts';

let env: DmcEnv;
beforeAll(async () => {
  env = await DmcEnv.create(tasks.catch());
});
afterAll(async () => {
  await env.close();
});

/** Puts the cup at (cupX, cupZ) from its rest place and the ball at (ballX, ballZ) from its own, at rest. */
function place(cupX: number, cupZ: number, ballX: number, ballZ: number): void {
  env.physics.setState([cupX, cupZ, ballX, ballZ], [0, 0, 0, 0]);
}

describe('ball_in_cup-catch', () => {
  it('gives 1 with the ball resting in the cup, wherever the cup is', async () => {
    await env.reset({ seed: 0 });
    // The cup's target box is centred 5 cm below the cup's origin (0.6 m up); the ball's origin is 0.2 m up.
    place(0, 0, 0, 0.35);
    expect(env.task.getReward(env.physics)).toBe(1);
    place(0.1, -0.05, 0.1, 0.3);
    expect(env.task.getReward(env.physics)).toBe(1);
    // Inside by less than the ball's 2.5 cm radius in x: the ball pokes through the wall.
    place(0, 0, 0.024, 0.35);
    expect(env.task.getReward(env.physics)).toBe(1);
    place(0, 0, 0.026, 0.35);
    expect(env.task.getReward(env.physics)).toBe(0);
  });

  it('gives 0 with the ball hanging under the cup or beside it', async () => {
    await env.reset({ seed: 0 });
    place(0, 0, 0, 0.1);
    expect(env.task.getReward(env.physics)).toBe(0);
    place(0, 0, 0.2, 0.35);
    expect(env.task.getReward(env.physics)).toBe(0);
  });

  it('starts with the cup at rest and the ball anywhere in [-0.2, 0.2] x [0.2, 0.5], clear of the cup', async () => {
    const xs: number[] = [];
    for (let seed = 0; seed < 30; seed++) {
      const { info } = await env.reset({ seed });
      const observation = info.observation as Record<string, Float64Array>;
      const [cupX, cupZ, ballX, ballZ] = observation.position;
      expect([cupX, cupZ]).toEqual([0, 0]);
      expect(ballX).toBeGreaterThanOrEqual(-0.2);
      expect(ballX).toBeLessThanOrEqual(0.2);
      expect(ballZ).toBeGreaterThanOrEqual(0.2);
      expect(ballZ).toBeLessThanOrEqual(0.5);
      expect(Array.from(observation.velocity)).toEqual([0, 0, 0, 0]);
      expect(env.physics.data.ncon).toBe(0);
      xs.push(ballX);
    }
    expect(Math.min(...xs)).toBeLessThan(-0.1);
    expect(Math.max(...xs)).toBeGreaterThan(0.1);
  });

  it("weights the ball's contacts as MuJoCo 2 did: mean of J M^-1 J' over three axes, 2 / (3 mass)", async () => {
    await env.reset({ seed: 0 });
    const { physics } = env;
    const ball = physics.id('body', 'ball');
    const mass = (physics.model.body_mass as Float64Array)[ball];
    const invweight = (physics.model.body_invweight0 as Float64Array).slice(2 * ball, 2 * ball + 2);
    expect(invweight[0]).toBeCloseTo(2 / (3 * mass), 12);
    expect(invweight[1]).toBe(0);
  });
});
