/**
 * Rewards at hand-set states, and the initial-state distributions, of
 * cartpole, pendulum, point_mass and reacher (dm_control's suite/*.py).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DmcEnv } from '../../../envs/dmc/env.ts';
import { loadDmcEnv } from '../../../envs/dmc/suite.ts';

const envs = new Map<string, DmcEnv>();
const IDS = ['cartpole-balance', 'cartpole-balance_sparse', 'cartpole-swingup', 'cartpole-swingup_sparse', 'pendulum-swingup', 'point_mass-easy', 'point_mass-hard', 'reacher-easy', 'reacher-hard'];

beforeAll(async () => {
  for (const id of IDS) {
    const env = await loadDmcEnv(id);
    await env.reset({ seed: 1 });
    envs.set(id, env);
  }
});
afterAll(async () => {
  for (const env of envs.values()) await env.close();
});

/** Sets the state and control of `id`'s env, runs a forward pass, returns its task reward. */
function rewardAt(id: string, qpos: number[], qvel: number[], ctrl?: number[]): number {
  const { physics, task } = envs.get(id)!;
  physics.setControl(ctrl ?? new Array(physics.model.nu).fill(0));
  physics.setState(qpos, qvel);
  return task.getReward(physics);
}

describe('cartpole', () => {
  it('gives 1 upright, centred and still, for all four tasks', () => {
    for (const id of IDS.filter((name) => name.startsWith('cartpole'))) expect(rewardAt(id, [0, 0], [0, 0]), id).toBeCloseTo(1, 12);
  });

  it('gives 0 hanging down (smooth: the upright term is 0; sparse: out of bounds)', () => {
    expect(rewardAt('cartpole-swingup', [0, Math.PI], [0, 0])).toBeCloseTo(0, 12);
    expect(rewardAt('cartpole-swingup_sparse', [0, Math.PI], [0, 0])).toBe(0);
  });

  it('discounts control, angular velocity and distance from the centre', () => {
    // Full control costs a fifth; the quadratic control term is 0 at |u| = 1.
    expect(rewardAt('cartpole-swingup', [0, 0], [0, 0], [1])).toBeCloseTo(0.8, 12);
    // An angular velocity of 5 rad/s (the margin) halves the gaussian term: (1 + 0.1) / 2.
    expect(rewardAt('cartpole-swingup', [0, 0], [0, 5])).toBeCloseTo(0.55, 12);
    // The sparse cart bound is 0.25 m.
    expect(rewardAt('cartpole-balance_sparse', [0.24, 0], [0, 0])).toBe(1);
    expect(rewardAt('cartpole-balance_sparse', [0.26, 0], [0, 0])).toBe(0);
  });

  it('observes [cart position, cos, sin of the pole angle] and both velocities', () => {
    const { physics, task } = envs.get('cartpole-swingup')!;
    physics.setState([0.3, 0.5], [0.1, -0.2]);
    const observation = task.getObservation(physics);
    expect(Object.keys(observation)).toEqual(['position', 'velocity']);
    expect(Array.from(observation.position)).toEqual([0.3, expect.closeTo(Math.cos(0.5), 12), expect.closeTo(Math.sin(0.5), 12)]);
    expect(Array.from(observation.velocity)).toEqual([0.1, -0.2]);
  });

  it('starts swing-up hanging down near the centre and balance near upright', async () => {
    const swingup = envs.get('cartpole-swingup')!;
    const balance = envs.get('cartpole-balance')!;
    for (let seed = 0; seed < 20; seed++) {
      await swingup.reset({ seed });
      const [cart, angle] = swingup.physics.qpos();
      expect(Math.abs(cart)).toBeLessThan(0.06);
      expect(Math.abs(angle - Math.PI)).toBeLessThan(0.06);
      await balance.reset({ seed });
      const [cart2, angle2] = balance.physics.qpos();
      expect(Math.abs(cart2)).toBeLessThanOrEqual(0.1);
      expect(Math.abs(angle2)).toBeLessThanOrEqual(0.034);
    }
  });
});

describe('pendulum', () => {
  it('gives 1 within 8 degrees of upright and 0 beyond', () => {
    const degree = Math.PI / 180;
    expect(rewardAt('pendulum-swingup', [0], [0])).toBe(1);
    expect(rewardAt('pendulum-swingup', [7.9 * degree], [3])).toBe(1);
    expect(rewardAt('pendulum-swingup', [-8.1 * degree], [0])).toBe(0);
    expect(rewardAt('pendulum-swingup', [Math.PI], [0])).toBe(0);
  });

  it('starts at an angle uniform in [-pi, pi)', async () => {
    const env = envs.get('pendulum-swingup')!;
    const angles: number[] = [];
    for (let seed = 0; seed < 50; seed++) {
      await env.reset({ seed });
      angles.push(env.physics.qpos()[0]);
    }
    expect(Math.min(...angles)).toBeGreaterThanOrEqual(-Math.PI);
    expect(Math.max(...angles)).toBeLessThan(Math.PI);
    expect(angles.filter((angle) => angle > 0).length).toBeGreaterThan(10);
    expect(angles.filter((angle) => angle < 0).length).toBeGreaterThan(10);
  });
});

describe('point_mass', () => {
  it('gives 1 on the target without control, 0.8 with full control', () => {
    expect(rewardAt('point_mass-easy', [0, 0], [0, 0])).toBe(1);
    expect(rewardAt('point_mass-easy', [0, 0], [0, 0], [1, -1])).toBeCloseTo(0.8, 12);
  });

  it('falls to 0.1 one target radius outside the target and near 0 far away', () => {
    // The target's radius is 0.015: in bounds up to 0.015, margin 0.015.
    expect(rewardAt('point_mass-easy', [0.03, 0], [0, 0])).toBeCloseTo(0.1, 12);
    expect(rewardAt('point_mass-easy', [0.25, 0.25], [0, 0])).toBeLessThan(1e-10);
  });

  it('hard draws two unit, not-too-parallel actuation directions per episode', async () => {
    const env = envs.get('point_mass-hard')!;
    await env.reset({ seed: 4 });
    const coefficients = Array.from(env.physics.model.wrap_prm as Float64Array).slice(0, 4);
    expect(Math.hypot(coefficients[0], coefficients[1])).toBeCloseTo(1, 12);
    expect(Math.hypot(coefficients[2], coefficients[3])).toBeCloseTo(1, 12);
    expect(Math.abs(coefficients[0] * coefficients[2] + coefficients[1] * coefficients[3])).toBeLessThanOrEqual(0.9);
    expect(coefficients).not.toEqual([1, 0, 0, 1]);
  });
});

describe('reacher', () => {
  it('gives 1 with the fingertip on the target and 0 far from it', () => {
    for (const id of ['reacher-easy', 'reacher-hard']) {
      const { physics, task } = envs.get(id)!;
      physics.setState([0.4, -0.7], [0, 0]);
      const finger = physics.geomXpos('finger');
      physics.setModelRow('geom_pos', 'target', [finger[0], finger[1], 0.01]);
      physics.forward();
      expect(task.getReward(physics), id).toBe(1);
      const observation = task.getObservation(physics);
      expect(Math.hypot(...observation.to_target)).toBeLessThan(1e-12);
      physics.setModelRow('geom_pos', 'target', [-finger[0], -finger[1], 0.01]);
      physics.forward();
      expect(task.getReward(physics), id).toBe(0);
    }
  });

  it('sets the target size per task and places the target 5 to 20 cm from the centre', async () => {
    for (const [id, size] of [['reacher-easy', 0.05], ['reacher-hard', 0.015]] as const) {
      const env = envs.get(id)!;
      for (let seed = 0; seed < 10; seed++) {
        await env.reset({ seed });
        expect(env.physics.modelRow('geom_size', 'target')[0]).toBe(size);
        const [x, y] = env.physics.modelRow('geom_pos', 'target');
        expect(Math.hypot(x, y)).toBeGreaterThanOrEqual(0.05);
        expect(Math.hypot(x, y)).toBeLessThan(0.2);
        const [, wrist] = env.physics.qpos();
        expect(Math.abs(wrist)).toBeLessThanOrEqual((160 * Math.PI) / 180);
      }
    }
  });
});
