/**
 * Finger tasks: rewards at hand-set states and dm_control's initial-state
 * distribution (collision-free random joints, the turn target on the circle
 * swept by the spinner's tip).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DmcEnv } from '../../../envs/dmc/env.ts';
import { distanceToTarget, tasks } from '../../../envs/dmc/tasks/finger.ts';

/** Distance from the spinner's hinge to its tip site: cap1's radius plus half-length. */
const TIP_RADIUS = 0.13;

const envs: Record<string, DmcEnv> = {};
beforeAll(async () => {
  for (const name of ['spin', 'turn_easy', 'turn_hard']) envs[name] = await DmcEnv.create(tasks[name](), { observation: 'dict' });
});
afterAll(async () => {
  for (const env of Object.values(envs)) await env.close();
});

/** Turns the spinner so that its tip sits at `angle` (radians, 0 = straight up, positive towards +x) from its hinge. */
function pointTipAt(env: DmcEnv, angle: number): void {
  // The hinge turns about -y: hinge angle q puts the tip at (-sin q, cos q) * radius.
  env.physics.setJointQpos('hinge', -angle);
  env.physics.setJointQvel('hinge', 0);
  env.physics.forward();
}

function targetAngle(env: DmcEnv): number {
  const [x, z] = env.task.getObservation(env.physics).target_position;
  return Math.atan2(x, z);
}

describe('finger-spin', () => {
  it('gives 1 while the spinner turns clockwise at 15 rad/s or faster, 0 otherwise', async () => {
    const env = envs.spin;
    await env.reset({ seed: 1 });
    const cases: [number, number][] = [[-20, 1], [-15, 1], [-14.9, 0], [0, 0], [20, 0]];
    for (const [velocity, reward] of cases) {
      env.physics.setJointQvel('hinge', velocity);
      env.physics.forward();
      expect(env.task.getReward(env.physics), `hinge velocity ${velocity}`).toBe(reward);
      expect(env.task.getObservation(env.physics).velocity[2]).toBeCloseTo(velocity, 12);
    }
  });

  it('hides the target, lowers the spinner damping to 0.03 and starts collision-free within the finger limits', async () => {
    const env = envs.spin;
    for (let seed = 0; seed < 10; seed++) {
      await env.reset({ seed });
      const { physics } = env;
      expect(physics.data.ncon).toBe(0);
      for (const joint of ['proximal', 'distal']) {
        const { low, high } = physics.jointRange(joint);
        const [angle] = physics.jointQpos(joint);
        expect(angle).toBeGreaterThanOrEqual(low);
        expect(angle).toBeLessThanOrEqual(high);
      }
      expect(Array.from(physics.qvel())).toEqual([0, 0, 0]);
    }
    expect(env.physics.modelRow('site_rgba', 'target')[3]).toBe(0);
    expect(env.physics.modelRow('site_rgba', 'tip')[3]).toBe(0);
    const hingeDof = (env.physics.model.jnt_dofadr as Int32Array)[env.physics.id('joint', 'hinge')];
    expect((env.physics.model.dof_damping as Float64Array)[hingeDof]).toBe(0.03);
  });
});

describe('finger-turn', () => {
  for (const [name, radius] of [['turn_easy', 0.07], ['turn_hard', 0.03]] as const) {
    it(`${name}: gives 1 with the tip on the target (${radius} m sphere), 0 on the far side`, async () => {
      const env = envs[name];
      await env.reset({ seed: 2 });
      const angle = targetAngle(env);
      pointTipAt(env, angle);
      expect(env.task.getReward(env.physics)).toBe(1);
      expect(env.task.getObservation(env.physics).dist_to_target[0]).toBeCloseTo(-radius, 10);
      pointTipAt(env, angle + Math.PI);
      expect(env.task.getReward(env.physics)).toBe(0);
      expect(distanceToTarget(env.physics)).toBeCloseTo(2 * TIP_RADIUS - radius, 10);
    });
  }

  it('tells easy from hard: a tip 5 cm from the target centre is inside 7 cm, outside 3 cm', async () => {
    // A turn of 2 asin(0.05 / 0.26) moves the tip 5 cm along the chord.
    const offset = 2 * Math.asin(0.05 / (2 * TIP_RADIUS));
    for (const [name, reward] of [['turn_easy', 1], ['turn_hard', 0]] as const) {
      const env = envs[name];
      await env.reset({ seed: 3 });
      pointTipAt(env, targetAngle(env) + offset);
      expect(env.task.getReward(env.physics), name).toBe(reward);
    }
  });

  it('draws the target angle uniformly on the circle of the tip, and a collision-free start', async () => {
    const env = envs.turn_hard;
    const angles: number[] = [];
    for (let seed = 0; seed < 40; seed++) {
      const { obs } = await env.reset({ seed });
      const observation = obs as Record<string, { data: Float64Array }>;
      const [x, z] = observation.target_position.data;
      expect(Math.hypot(x, z)).toBeCloseTo(TIP_RADIUS, 12);
      expect(env.physics.modelRow('site_size', 'target')[0]).toBe(0.03);
      expect(env.physics.data.ncon).toBe(0);
      // dist_to_target is the tip-target distance less the target radius.
      const [tipX, tipZ] = observation.position.data.slice(2);
      expect(observation.dist_to_target.data[0]).toBeCloseTo(Math.hypot(x - tipX, z - tipZ) - 0.03, 12);
      angles.push(Math.atan2(x, z));
    }
    // All four quadrants of (-pi, pi] are reached.
    const quadrants = new Set(angles.map((angle) => Math.floor((angle + Math.PI) / (Math.PI / 2))));
    expect(quadrants.size).toBe(4);
  });
});
