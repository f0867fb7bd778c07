/**
 * MuJoCo 2.2's way of lighting planes, which dm_control's frames show: the render
 * grid it draws a plane with, and OpenGL's clamp of a pass's lit colour to 1
 * before the texture modulates it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gridLines } from '../../../../envs/dmc/render/lighting.ts';
import { createRenderer } from '../../../../envs/dmc/render/renderer.ts';
import { loadXml, type LoadedModel } from './scenes.ts';

describe('plane render grid (MuJoCo makePlane)', () => {
  const lines = (size: number, spacing: number) => Array.from(gridLines(size, spacing), (x) => Math.round(x * 1e9) / 1e9);

  it('centres an even number of cells twice the spacing wide, padded at both ends', () => {
    // point_mass's floor: half-size 0.3, spacing 0.1.
    expect(lines(0.3, 0.1)).toEqual([-0.3, -0.2, 0, 0.2, 0.3]);
    // A spacing that divides the size leaves padding cells of no width.
    expect(lines(0.8, 0.2)).toEqual([-0.8, -0.8, -0.4, 0, 0.4, 0.8, 0.8]);
  });

  it('keeps a vertex at the centre when the spacing exceeds the plane (reacher: 0.3, spacing 10)', () => {
    expect(lines(0.3, 10)).toEqual([-0.3, 0, 0.3]);
  });

  it('caps a long plane at 198 inner cells (walker: 250 m, spacing 0.2)', () => {
    const walker = gridLines(250, 0.2);
    expect(walker.length).toBe(201);
    expect(walker[0]).toBe(-250);
    expect(walker[200]).toBe(250);
  });

  it('gives an infinite plane (size 0) no grid', () => {
    expect(gridLines(0, 1).length).toBe(0);
  });
});

// Headlight ambient 0.6 + diffuse 0.8 on a surface facing the camera: 1.4, which
// OpenGL clamps to 1 before the checker texture modulates it.
const BRIGHT_FLOOR = (size: string) => `<mujoco>
  <visual><headlight ambient=".6 .6 .6" diffuse=".8 .8 .8" specular="0 0 0"/></visual>
  <asset>
    <texture name="grid" type="2d" builtin="checker" rgb1=".2 .4 .6" rgb2=".2 .4 .6" width="64" height="64"/>
    <material name="grid" texture="grid" texrepeat="1 1" texuniform="true" specular="0"/>
  </asset>
  <worldbody>
    <geom name="floor" type="plane" size="${size}" material="grid"/>
    <camera name="down" pos="0 0 2" xyaxes="1 0 0 0 1 0" fovy="60"/>
  </worldbody>
</mujoco>`;

describe('lit colour clamped per pass', () => {
  for (const [name, size] of [['lit per pixel (infinite plane)', '0 0 1'], ['lit on its grid (finite plane)', '5 5 .5']]) {
    describe(name, () => {
      let scene: LoadedModel;
      beforeAll(async () => {
        scene = await loadXml(BRIGHT_FLOOR(size));
      });
      afterAll(() => scene.free());

      it('shows the texture times 1, not times 1.4', () => {
        const frame = createRenderer(scene.model, { width: 16, height: 16 }).render(scene.data);
        const i = 3 * (8 * 16 + 8);
        expect(Array.from(frame.data.subarray(i, i + 3))).toEqual([51, 102, 153]);
      });
    });
  }
});
