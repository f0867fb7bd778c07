/**
 * The ray kernels (envs/dmc/render/kernels.ts, kernels/rays.c): each shape's
 * intersection against distances worked out by hand, the screen capsule test,
 * the kernels' memory holding every image size the renderer takes, and the
 * committed rays.wasm being what kernels/build.sh makes of rays.c.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RayKernels } from '../../../../envs/dmc/render/kernels.ts';
import { createRenderer } from '../../../../envs/dmc/render/renderer.ts';
import { GEOM_BOX, GEOM_CAPSULE, GEOM_CYLINDER, GEOM_ELLIPSOID, GEOM_PLANE, GEOM_SPHERE, Scene } from '../../../../envs/dmc/render/scene.ts';
import { itIsWhatBuildShMakes } from '../../../wasm_build.ts';
import { loadXml, type LoadedModel } from './scenes.ts';

const SCENE = `<mujoco>
  <worldbody>
    <light pos="0 0 3"/>
    <camera name="front" pos="0 -3 1" xyaxes="1 0 0 0 0 1" fovy="45"/>
    <geom type="plane" size="2 2 .1"/>
    <geom type="sphere" pos="0 0 1" size=".3"/>
    <geom type="capsule" fromto="1 0 .2 1 0 1" size=".1"/>
  </worldbody>
</mujoco>`;

/** A ray in a shape's own frame: origin, direction, tMin, tMax, sizes (rays.c's layout). */
const ray = (origin: number[], direction: number[], sizes: number[], tMax = Infinity) => [...origin, ...direction, 1e-6, tMax, ...sizes];

describe('ray kernels', () => {
  let scene: LoadedModel;
  let kernels: RayKernels;
  beforeAll(async () => {
    scene = await loadXml(SCENE);
    kernels = new RayKernels(new Scene(scene.model), 4, 8, 8, 1);
  });
  afterAll(() => scene.free());

  it('meet each shape where its geometry says, from outside and from inside, and miss it beside or beyond tMax', () => {
    // A sphere of radius 1 from 3 units out, and from its centre (the far side).
    expect(kernels.intersect(GEOM_SPHERE, ray([0, 0, -3], [0, 0, 1], [1, 0, 0]))).toBe(2);
    expect(kernels.intersect(GEOM_SPHERE, ray([0, 0, 0], [0, 0, 1], [1, 0, 0]))).toBe(1);
    expect(kernels.intersect(GEOM_SPHERE, ray([0, 1.01, -3], [0, 0, 1], [1, 0, 0]))).toBe(Infinity);
    expect(kernels.intersect(GEOM_SPHERE, ray([0, 0, -3], [0, 0, 1], [1, 0, 0], 1.5))).toBe(Infinity);
    // A capsule (radius 0.5, half-length 1 along z): its side, then its cap along the axis.
    expect(kernels.intersect(GEOM_CAPSULE, ray([-2, 0, 0.5], [1, 0, 0], [0.5, 1, 0]))).toBe(1.5);
    expect(kernels.intersect(GEOM_CAPSULE, ray([0, 0, 3], [0, 0, -1], [0.5, 1, 0]))).toBe(1.5);
    // A cylinder of the same size: its flat end along the axis; beside its rim it is missed.
    expect(kernels.intersect(GEOM_CYLINDER, ray([0, 0, 3], [0, 0, -1], [0.5, 1, 0]))).toBe(2);
    expect(kernels.intersect(GEOM_CYLINDER, ray([0.6, 0, 3], [0, 0, -1], [0.5, 1, 0]))).toBe(Infinity);
    // An ellipsoid with semi-axes 1, 2, 3, along each axis.
    expect(kernels.intersect(GEOM_ELLIPSOID, ray([-5, 0, 0], [1, 0, 0], [1, 2, 3]))).toBeCloseTo(4, 12);
    expect(kernels.intersect(GEOM_ELLIPSOID, ray([0, -5, 0], [0, 1, 0], [1, 2, 3]))).toBeCloseTo(3, 12);
    expect(kernels.intersect(GEOM_ELLIPSOID, ray([0, 0, 5], [0, 0, -1], [1, 2, 3]))).toBeCloseTo(2, 12);
    // A box of half-sizes 1, 2, 3: each face; a direction of any length gives distances in its units.
    expect(kernels.intersect(GEOM_BOX, ray([-4, 0, 0], [1, 0, 0], [1, 2, 3]))).toBe(3);
    expect(kernels.intersect(GEOM_BOX, ray([0, 0, 7], [0, 0, -2], [1, 2, 3]))).toBe(2);
    expect(kernels.intersect(GEOM_BOX, ray([0, 2.5, 7], [0, 0, -1], [1, 2, 3]))).toBe(Infinity);
    // A plane (half-sizes 2, 2) is seen from above only, and within its extent; size 0 is infinite.
    expect(kernels.intersect(GEOM_PLANE, ray([0, 0, 2], [0, 0, -1], [2, 2, 0]))).toBe(2);
    expect(kernels.intersect(GEOM_PLANE, ray([0, 0, -2], [0, 0, 1], [2, 2, 0]))).toBe(Infinity);
    expect(kernels.intersect(GEOM_PLANE, ray([3, 0, 2], [0, 0, -1], [2, 2, 0]))).toBe(Infinity);
    expect(kernels.intersect(GEOM_PLANE, ray([3, 0, 2], [0, 0, -1], [0, 0, 0]))).toBe(2);
  });

  it('hold an image point within a screen capsule up to its reach from the segment, and every point when the reach is Infinity', () => {
    // Object 0: segment from pixel (10, 10) to (20, 10), reach 2; object 1: unbounded. Image points sit 0.5 past
    // pixel coordinates (a pixel centre). The test scene leaves most of the kernels' one page free for these.
    const capsules = kernels.floats(10);
    capsules.set([10, 10, 20, 10, 2, 0, 0, 0, 0, Infinity]);
    expect(kernels.reaches(capsules, 0, 15.5, 12.5)).toBe(true);
    expect(kernels.reaches(capsules, 0, 15.5, 12.6)).toBe(false);
    expect(kernels.reaches(capsules, 0, 22.5, 10.5)).toBe(true);
    expect(kernels.reaches(capsules, 0, 22.6, 10.5)).toBe(false);
    expect(kernels.reaches(capsules, 1, 1e6, -1e6)).toBe(true);
  });

  it('has room for every image size: 1x1, a strip, a square, the largest tiles', () => {
    for (const [width, height] of [[1, 1], [300, 7], [84, 84], [1024, 1024]]) {
      const frame = createRenderer(scene.model, { width, height, camera: 'front' }).render(scene.data);
      expect(frame.shape).toEqual([height, width, 3]);
    }
  });
});

describe('rays.wasm', () => {
  itIsWhatBuildShMakes(fileURLToPath(new URL('../../../../envs/dmc/render/kernels/', import.meta.url)), 'rays.wasm');
});
