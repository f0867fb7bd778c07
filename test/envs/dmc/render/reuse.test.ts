/**
 * What the renderer keeps from frame to frame (pixels no moving object reaches,
 * under a camera that holds still; ground pixels out of every shadow and
 * reflection) must not show: each frame of a moving episode is byte for byte
 * what a fresh renderer draws from the same state.
 */
import { describe, expect, it } from 'vitest';
import { createRenderer } from '../../../../envs/dmc/render/renderer.ts';
import { hasReference, loadReferenceTask, mujoco } from './scenes.ts';

describe.skipIf(!hasReference)('frames kept across states', () => {
  // cartpole: a fixed camera over a reflective, shadowed floor; walker: a tracking camera.
  for (const task of ['cartpole-swingup', 'walker-walk']) {
    it(`${task}: every frame equals a fresh renderer's`, async () => {
      const mj = await mujoco();
      const scene = await loadReferenceTask(task);
      try {
        const kept = createRenderer(scene.model, { width: 48, height: 48 });
        const qpos = scene.data.qpos as Float64Array;
        const start = Float64Array.from(qpos);
        let moved = 0;
        let previous: Uint8Array | null = null;
        for (let frame = 0; frame < 6; frame++) {
          // Jumps of every joint, back and forth: what a body covered last frame is uncovered now.
          for (let i = 0; i < qpos.length; i++) qpos[i] = start[i] + (frame % 2 === 0 ? 0.6 : -0.6) * (1 + 0.1 * frame);
          mj.mj_forward(scene.model, scene.data);
          const again = kept.render(scene.data).data;
          const fresh = createRenderer(scene.model, { width: 48, height: 48 }).render(scene.data).data;
          expect(Buffer.from(again).equals(Buffer.from(fresh))).toBe(true);
          if (previous && !Buffer.from(previous).equals(Buffer.from(again))) moved++;
          previous = Uint8Array.from(again);
        }
        expect(moved).toBe(5);
      } finally {
        scene.free();
      }
    });
  }
});
