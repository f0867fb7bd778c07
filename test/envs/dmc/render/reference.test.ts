/**
 * Against dm_control's own frames (../shared/reference/dmc_rollouts/<task>.png:
 * camera 0 at 84x84 from MuJoCo's OpenGL renderer after a recorded reset), where
 * that folder is present.
 *
 * Bounds, from what cannot match exactly: MuJoCo 2.2's OpenGL pipeline filters
 * textures with mipmaps, multisamples edges with its own pattern, and places the
 * sky's random marks with its own random numbers. Measured here: mean absolute
 * difference 1.8 to 3.7 per channel (of 255) on all 16 tasks (walker's three
 * the largest), and the agent's silhouette (reddish pixels) overlapping at 0.90 to
 * 0.97 intersection-over-union. The bounds leave about 10% headroom.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { createRenderer } from '../../../../envs/dmc/render/renderer.ts';
import { hasReference, loadReferenceTask, REFERENCE_FOLDER } from './scenes.ts';

const TASKS = [
  'cartpole-swingup',
  'walker-walk',
  'cheetah-run',
  'finger-spin',
  'reacher-easy',
  'ball_in_cup-catch',
  // Seen from straight above under a spot light: the per-pass clamp and MuJoCo's plane grid show here.
  'point_mass-easy',
  'pendulum-swingup',
];
const MEAN_ABSOLUTE_DIFFERENCE_BOUND = 4.1;
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
        expect(union).toBeGreaterThan(10); // point_mass: a 1 cm ball and its target, about 16 pixels
        expect(intersection / union).toBeGreaterThan(SILHOUETTE_IOU_BOUND);
      } finally {
        scene.free();
      }
    });
  }
});
