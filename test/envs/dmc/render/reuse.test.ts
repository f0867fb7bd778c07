/**
 * What the renderer keeps from frame to frame (pixels no moving object reaches,
 * under a camera that holds still; ground pixels out of every shadow and
 * reflection) must not show: each frame of a moving episode is byte for byte
 * what a fresh renderer draws from the same state. And under a fixed camera it
 * does keep them (`tracedPixels`): that is where the fixed-camera tasks' speed
 * comes from.
 */
import { describe, expect, it } from 'vitest';
import { Random } from '../../../../common/random.ts';
import type { Appearance } from '../../../../envs/dmc/appearance.ts';
import { createRenderer } from '../../../../envs/dmc/render/renderer.ts';
import { loadDmcEnv } from '../../../../envs/dmc/suite.ts';
import { hasReference, loadReferenceTask, loadXml, mujoco, type LoadedModel } from './scenes.ts';

/**
 * Poses `scene` with `pose(frame, qpos)` for each frame, renders it with one
 * renderer kept across the frames, checks every frame against a fresh renderer's,
 * and returns how many frames differed from the one before.
 */
async function framesChanged(scene: LoadedModel, frames: number, pose: (frame: number, qpos: Float64Array) => void): Promise<number> {
  const mj = await mujoco();
  const kept = createRenderer(scene.model, { width: 48, height: 48 });
  const qpos = scene.data.qpos as Float64Array;
  let changed = 0;
  let previous: Uint8Array | null = null;
  for (let frame = 0; frame < frames; frame++) {
    pose(frame, qpos);
    mj.mj_forward(scene.model, scene.data);
    const again = kept.render(scene.data).data;
    const fresh = createRenderer(scene.model, { width: 48, height: 48 }).render(scene.data).data;
    expect(Buffer.from(again).equals(Buffer.from(fresh))).toBe(true);
    if (previous && !Buffer.from(previous).equals(Buffer.from(again))) changed++;
    previous = Uint8Array.from(again);
  }
  return changed;
}

describe.skipIf(!hasReference)('frames kept across states', () => {
  // cartpole: a fixed camera over a reflective, shadowed floor; walker: a tracking camera;
  // reacher and point_mass: walls (planes) that the floor mirrors and that take shadows.
  // Joint jumps (radians or metres) that keep the bodies in view.
  const jumps: Record<string, number> = { 'cartpole-swingup': 0.6, 'walker-walk': 0.6, 'reacher-easy': 0.6, 'point_mass-easy': 0.12 };
  for (const [task, jump] of Object.entries(jumps)) {
    it(`${task}: every frame equals a fresh renderer's`, async () => {
      const scene = await loadReferenceTask(task);
      try {
        const start = Float64Array.from(scene.data.qpos as Float64Array);
        // Jumps of every joint, back and forth: what a body covered last frame is uncovered now.
        const moved = await framesChanged(scene, 6, (frame, qpos) => {
          for (let i = 0; i < qpos.length; i++) qpos[i] = start[i] + (frame % 2 === 0 ? jump : -jump) * (1 + 0.1 * frame);
        });
        expect(moved).toBe(5);
      } finally {
        scene.free();
      }
    });
  }

  // A moving background (DMControl-GB's video modes) changes every frame: kept pixels showing it,
  // and edge pixels with samples on it, take the new one.
  for (const [task, coversFloor] of [['cartpole-swingup', false], ['reacher-easy', true]] as const) {
    it(`${task} over a moving background${coversFloor ? ' and floor' : ''}: every frame equals a fresh renderer's`, async () => {
      const mj = await mujoco();
      const scene = await loadReferenceTask(task);
      try {
        let shown = 0;
        const rng = new Random('reuse-background');
        const frames = Array.from({ length: 6 }, () => Uint8Array.from({ length: 48 * 48 * 3 }, () => rng.nextUint32() & 0xff));
        const appearance: Appearance = { mode: coversFloor ? 'video_hard' : 'video_easy', background: { coversFloor, frame: () => frames[shown] } };
        const kept = createRenderer(scene.model, { width: 48, height: 48 });
        kept.setAppearance(appearance);
        const qpos = scene.data.qpos as Float64Array;
        const start = Float64Array.from(qpos);
        for (let frame = 0; frame < 6; frame++) {
          shown = frame;
          // Only some frames move the bodies: the others keep every pixel but the background's.
          if (frame % 3 === 1) for (let i = 0; i < qpos.length; i++) qpos[i] = start[i] + 0.3 * frame;
          mj.mj_forward(scene.model, scene.data);
          const again = kept.render(scene.data).data;
          const fresh = createRenderer(scene.model, { width: 48, height: 48 });
          fresh.setAppearance(appearance);
          expect(Buffer.from(again).equals(Buffer.from(fresh.render(scene.data).data))).toBe(true);
        }
      } finally {
        scene.free();
      }
    });
  }
});

// A ball between a shadow-casting light and a wall, a plane that is not the ground
// (the culled floor; here there is none): the ball's shadow on the wall lies
// outside the ball's own screen rectangle.
const WALL_SCENE = `<mujoco>
  <worldbody>
    <light pos="0 -.6 .4" dir="0 1 0" castshadow="true"/>
    <geom name="wall" type="plane" pos="0 .5 .5" zaxis="0 -1 0" size=".6 .6 .1" rgba=".8 .8 .8 1"/>
    <camera name="front" pos=".9 -1.2 .45" xyaxes=".8 .6 0 0 0 1"/>
    <body pos="0 0 .4">
      <joint name="x" type="slide" axis="1 0 0"/>
      <geom name="ball" type="sphere" size=".08" rgba="1 0 0 1"/>
    </body>
  </worldbody>
</mujoco>`;

describe('frames kept across states, with a wall', () => {
  it("the ball's moving shadow on the wall is drawn again", async () => {
    const scene = await loadXml(WALL_SCENE);
    try {
      const changed = await framesChanged(scene, 5, (frame, qpos) => {
        qpos[0] = frame % 2 === 0 ? 0.25 : -0.25;
      });
      expect(changed).toBe(4);
    } finally {
      scene.free();
    }
  });
});

describe('what a fixed camera keeps', () => {
  // Reuse is most of these tasks' speed: a change that turned it off for scenes with
  // walls (reacher, point_mass) once made them 3 to 5 times slower, every frame still right.
  for (const task of ['cartpole-swingup', 'reacher-easy', 'point_mass-easy', 'finger-spin', 'ball_in_cup-catch', 'pendulum-swingup']) {
    it(`${task}: the same state again traces no pixel, a few steps trace some`, async () => {
      const env = await loadDmcEnv(task, { width: 48, height: 48 });
      try {
        await env.reset({ seed: 0 });
        const renderer = createRenderer(env.physics.model, { width: 48, height: 48 });
        renderer.render(env.physics.data);
        expect(renderer.tracedPixels()).toBe(48 * 48);
        renderer.render(env.physics.data);
        expect(renderer.tracedPixels()).toBe(0);
        const push = { dtype: 'float32', shape: env.actionSpace.shape, data: new Float32Array(env.actionSpace.shape.reduce((a, b) => a * b, 1)).fill(1) };
        for (let i = 0; i < 3; i++) await env.step(push as never);
        renderer.render(env.physics.data);
        expect(renderer.tracedPixels()).toBeGreaterThan(0);
        expect(renderer.tracedPixels()).toBeLessThan((48 * 48) / 2);
      } finally {
        await env.close();
      }
    });
  }
});
