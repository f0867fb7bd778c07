/**
 * The per-tile object lists and screen capsules (envs/dmc/render/tiles.ts) only
 * ever skip objects a ray cannot meet: for rays through random image points of
 * walker and cheetah in random poses, every object the ray (or its mirror ray
 * off the floor) meets by brute force is listed for the point's tile, and its
 * screen capsule holds the point.
 */
import { describe, expect, it } from 'vitest';
import { Random } from '../../../../common/random.ts';
import { CAMERA_LENGTH, Culling } from '../../../../envs/dmc/render/culling.ts';
import { RayKernels } from '../../../../envs/dmc/render/kernels.ts';
import { GEOM_PLANE, Scene } from '../../../../envs/dmc/render/scene.ts';
import { TileLists, tileLayout } from '../../../../envs/dmc/render/tiles.ts';
import { loadDmcEnv } from '../../../../envs/dmc/suite.ts';

const SIZE = 48;

/** Camera buffer (layout in culling.ts) of camera 0 in the scene's current state. */
function cameraBuffer(scene: Scene): Float64Array {
  const camera = new Float64Array(CAMERA_LENGTH);
  for (let i = 0; i < 3; i++) {
    camera[i] = scene.cameraPosition[i];
    camera[3 + i] = scene.cameraRotation[3 * i];
    camera[6 + i] = scene.cameraRotation[3 * i + 1];
    camera[9 + i] = scene.cameraRotation[3 * i + 2];
  }
  camera[13] = Math.tan((scene.cameraFovy[0] * Math.PI) / 360);
  camera[12] = camera[13];
  return camera;
}

/** Distance along the world ray (origin o, direction d) to object k, or Infinity. */
function distanceTo(kernels: RayKernels, scene: Scene, k: number, o: number[], d: number[]): number {
  const ray = new Float64Array(11);
  const r = 9 * k;
  const rot = scene.rotation;
  const w = [0, 1, 2].map((i) => o[i] - scene.position[3 * k + i]);
  for (let i = 0; i < 3; i++) {
    ray[i] = rot[r + i] * w[0] + rot[r + 3 + i] * w[1] + rot[r + 6 + i] * w[2];
    ray[3 + i] = rot[r + i] * d[0] + rot[r + 3 + i] * d[1] + rot[r + 6 + i] * d[2];
    ray[8 + i] = scene.size[3 * k + i];
  }
  ray[6] = 1e-6;
  ray[7] = Infinity;
  return kernels.intersect(scene.type[k], ray);
}

describe('tile lists', () => {
  for (const task of ['walker-walk', 'cheetah-run']) {
    it(`${task}: every object a ray or its mirror ray meets is listed and reached`, async () => {
      const env = await loadDmcEnv(task, { width: SIZE, height: SIZE });
      try {
        const rng = Random.derive(4, `tiles/${task}`);
        const scene = new Scene(env.physics.model);
        const { columns, rows } = tileLayout(SIZE, SIZE);
        const kernels = new RayKernels(scene, columns * rows, SIZE, SIZE, 1);
        const culling = new Culling(scene, kernels);
        const tiles = new TileLists(scene, culling, SIZE, SIZE, kernels);
        const reaches = (capsules: Float64Array, k: number, x: number, y: number) => kernels.reaches(capsules, k, x, y);
        expect(culling.ground).toBeGreaterThanOrEqual(0);
        let direct = 0;
        let mirrored = 0;
        let skipped = 0;
        for (let state = 0; state < 3; state++) {
          await env.reset({ seed: state });
          for (let step = 0; step < 20 + 40 * state; step++) await env.step(env.actionSpace.sample(rng) as never);
          scene.update(env.physics.model, env.physics.data);
          const camera = cameraBuffer(scene);
          culling.prepare(camera, SIZE, SIZE);
          tiles.build(camera);
          for (let sample = 0; sample < 2500; sample++) {
            const x = rng.uniform(0, SIZE);
            const y = rng.uniform(0, SIZE);
            const tile = tiles.tile(Math.floor(x), Math.floor(y));
            const sx = ((2 * x) / SIZE - 1) * camera[12];
            const sy = (1 - (2 * y) / SIZE) * camera[13];
            const d = [0, 1, 2].map((i) => sx * camera[3 + i] + sy * camera[6 + i] - camera[9 + i]);
            const eye = [camera[0], camera[1], camera[2]];
            const listed = Array.from(tiles.direct.subarray(tile * scene.count, tile * scene.count + tiles.directCount[tile]));
            const mirrorListed = Array.from(tiles.mirrored.subarray(tile * scene.count, tile * scene.count + tiles.mirroredCount[tile]));
            for (let k = 0; k < scene.count; k++) {
              if (scene.type[k] === GEOM_PLANE || scene.rgba[4 * k + 3] === 0) continue;
              if (distanceTo(kernels, scene, k, eye, d) < Infinity) {
                direct++;
                expect(listed).toContain(k);
                expect(reaches(tiles.capsule, k, x, y)).toBe(true);
              } else if (!listed.includes(k) || !reaches(tiles.capsule, k, x, y)) skipped++;
            }
            // The mirror ray off the ground, where the ray meets the ground from above.
            const g = culling.ground;
            const t = distanceTo(kernels, scene, g, eye, d);
            if (t === Infinity) continue;
            const point = eye.map((value, i) => value + t * d[i]);
            const normal = [scene.rotation[9 * g + 2], scene.rotation[9 * g + 5], scene.rotation[9 * g + 8]];
            const dot = 2 * (d[0] * normal[0] + d[1] * normal[1] + d[2] * normal[2]);
            const reflected = d.map((value, i) => value - dot * normal[i]);
            for (let k = 0; k < scene.count; k++) {
              if (scene.type[k] === GEOM_PLANE || scene.rgba[4 * k + 3] === 0) continue;
              if (distanceTo(kernels, scene, k, point, reflected) === Infinity) continue;
              mirrored++;
              expect(mirrorListed).toContain(k);
              expect(reaches(tiles.mirroredCapsule, k, x, y)).toBe(true);
            }
          }
        }
        // The test saw objects hit directly and in the mirror, and the lists left many out.
        expect(direct).toBeGreaterThan(100);
        expect(mirrored).toBeGreaterThan(20);
        expect(skipped).toBeGreaterThan(direct);
      } finally {
        await env.close();
      }
    });
  }
});
