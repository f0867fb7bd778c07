/**
 * Against dm_control's own frames (../shared/reference/dmc_rollouts/<task>.png:
 * camera 0 at 84x84 from MuJoCo's OpenGL renderer after a recorded reset), where
 * that folder is present.
 *
 * Bounds, from what cannot match exactly: MuJoCo 2.2's OpenGL pipeline lights per
 * vertex and filters textures with mipmaps, multisamples edges with its own pattern,
 * and places the sky's random marks with its own random numbers. Measured here:
 * mean absolute difference 2.2 to 6.8 per channel (of 255) on 15 of the 16 tasks
 * (point_mass-easy: 15.3, its spot-lit floor), and the agent's silhouette (reddish
 * pixels) overlapping at 0.90 to 0.97 intersection-over-union. The bounds leave
 * about 10% headroom over the worst measured task in the list (reacher-easy, 6.7).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { createRenderer } from '../../../../envs/dmc/render/renderer.ts';
import { hasReference, loadReferenceTask, REFERENCE_FOLDER } from './scenes.ts';

const TASKS = ['cartpole-swingup', 'walker-walk', 'cheetah-run', 'finger-spin', 'reacher-easy', 'ball_in_cup-catch'];
const MEAN_ABSOLUTE_DIFFERENCE_BOUND = 7.5;
const SILHOUETTE_IOU_BOUND = 0.85;

describe.skipIf(!hasReference)('frames against dm_control', () => {
  for (const task of TASKS) {
    it(`${task}: close colours and the same silhouette`, async () => {
      const scene = await loadReferenceTask(task);
      try {
        const frame = createRenderer(scene.model, { width: 84, height: 84, camera: 0 }).render(scene.data);
        const reference = PNG.sync.read(readFileSync(join(REFERENCE_FOLDER, 'dmc_rollouts', `${task}.png`)));
        expect([reference.height, reference.width]).toEqual([84, 84]);
        let difference = 0;
        let intersection = 0;
        let union = 0;
        for (let i = 0; i < 84 * 84; i++) {
          for (let c = 0; c < 3; c++) difference += Math.abs(reference.data[4 * i + c] - frame.data[3 * i + c]);
          // The agent's materials are orange/red; the sky and floor are blue.
          const theirs = reference.data[4 * i] > reference.data[4 * i + 2] + 40;
          const ours = frame.data[3 * i] > frame.data[3 * i + 2] + 40;
          if (theirs && ours) intersection++;
          if (theirs || ours) union++;
        }
        expect(difference / (84 * 84 * 3)).toBeLessThan(MEAN_ABSOLUTE_DIFFERENCE_BOUND);
        expect(union).toBeGreaterThan(20);
        expect(intersection / union).toBeGreaterThan(SILHOUETTE_IOU_BOUND);
      } finally {
        scene.free();
      }
    });
  }
});
