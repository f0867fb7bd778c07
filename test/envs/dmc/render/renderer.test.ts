/**
 * The renderer on known scenes: where the camera geometry says the floor checker,
 * the sky gradient and an object's silhouette must appear, determinism, sizes,
 * cameras and bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../../common/errors.ts';
import { createRenderer } from '../../../../envs/dmc/render/renderer.ts';
import { loadXml, mujoco, type LoadedModel } from './scenes.ts';

// Lit by the headlight alone, along the view axis: a surface facing the camera
// shows ambient + diffuse = 1 times its colour, so expected bytes are exact.
const FLAT_LIGHT = '<visual><headlight ambient=".5 .5 .5" diffuse=".5 .5 .5" specular="0 0 0"/></visual>';

const CHECKER_SCENE = `<mujoco>${FLAT_LIGHT}
  <asset>
    <texture name="grid" type="2d" builtin="checker" rgb1=".2 .4 .6" rgb2=".6 .4 .2" width="64" height="64"/>
    <material name="grid" texture="grid" texrepeat="1 1" texuniform="true" specular="0"/>
  </asset>
  <worldbody>
    <geom name="floor" type="plane" size="0 0 1" material="grid"/>
    <camera name="down" pos="0 0 2" xyaxes="1 0 0 0 1 0" fovy="60"/>
  </worldbody>
</mujoco>`;

const SKY_SCENE = `<mujoco>
  <asset>
    <texture name="sky" type="skybox" builtin="gradient" rgb1=".9 .6 .3" rgb2=".1 .2 .3" width="200" height="200"/>
  </asset>
  <worldbody>
    <camera name="level" pos="0 0 1" xyaxes="1 0 0 0 0 1" fovy="45"/>
    <camera name="turned" pos="0 0 1" xyaxes="0 1 0 0 0 1" fovy="45"/>
  </worldbody>
</mujoco>`;

// No skybox (black background); the headlight's ambient alone lights the ball: pure red.
const BALL_SCENE = `<mujoco>
  <visual><headlight ambient="1 1 1" diffuse="0 0 0" specular="0 0 0"/></visual>
  <worldbody>
    <camera name="front" pos="0 0 1" xyaxes="1 0 0 0 0 1" fovy="45"/>
    <geom name="ball" type="sphere" pos=".5 4 1.3" size=".25" rgba="1 0 0 1"/>
    <geom name="stick" type="capsule" fromto="-1 5 0 -1 5 .5" size=".05" rgba="0 1 0 1"/>
  </worldbody>
</mujoco>`;

function pixel(frame: { data: Uint8Array; shape: number[] }, row: number, column: number): number[] {
  const i = 3 * (row * frame.shape[1] + column);
  return [frame.data[i], frame.data[i + 1], frame.data[i + 2]];
}

describe('floor checker', () => {
  let scene: LoadedModel;
  beforeAll(async () => {
    scene = await loadXml(CHECKER_SCENE);
  });
  afterAll(() => scene.free());

  it('draws 1 m squares aligned with the world axes where the camera projects them', () => {
    const size = 84;
    const frame = createRenderer(scene.model, { width: size, height: size }).render(scene.data);
    // Camera 2 m above the plane, fovy 60: the image spans +-2 tan(30 deg) m.
    const halfSpan = 2 * Math.tan(Math.PI / 6);
    const columnOf = (x: number) => Math.floor(((x / halfSpan + 1) / 2) * size);
    const rowOf = (y: number) => Math.floor(((1 - y / halfSpan) / 2) * size);
    const rgb1 = [51, 102, 153];
    const rgb2 = [153, 102, 51];
    // The texture's top-left quadrant (rgb1) maps to x in [0, 1), y in (-1, 0].
    expect(pixel(frame, rowOf(-0.5), columnOf(0.5))).toEqual(rgb1);
    expect(pixel(frame, rowOf(0.5), columnOf(-0.5))).toEqual(rgb1);
    expect(pixel(frame, rowOf(0.5), columnOf(0.5))).toEqual(rgb2);
    expect(pixel(frame, rowOf(-0.5), columnOf(-0.5))).toEqual(rgb2);
    // Along the row through y = -0.5, the colour changes exactly at x = -1, 0 and 1.
    const row = rowOf(-0.5);
    const changes: number[] = [];
    for (let column = 1; column < size; column++) {
      if (pixel(frame, row, column)[0] !== pixel(frame, row, column - 1)[0]) changes.push(column);
    }
    expect(changes.length).toBeGreaterThanOrEqual(3);
    const expected = [-1, 0, 1].map((x) => ((x / halfSpan + 1) / 2) * size);
    for (const boundary of expected) {
      expect(Math.min(...changes.map((column) => Math.abs(column - boundary)))).toBeLessThanOrEqual(1);
    }
  });
});

describe('sky gradient', () => {
  let scene: LoadedModel;
  beforeAll(async () => {
    scene = await loadXml(SKY_SCENE);
  });
  afterAll(() => scene.free());

  it('blends from rgb2 below to rgb1 above, half and half at the horizon, the same in every azimuth', () => {
    const size = 84;
    const level = createRenderer(scene.model, { width: size, height: size, camera: 'level' }).render(scene.data);
    const turned = createRenderer(scene.model, { width: size, height: size, camera: 'turned' }).render(scene.data);
    const column = size / 2;
    const reds = Array.from({ length: size }, (_, row) => pixel(level, row, column)[0]);
    // Red goes from 0.1 (below) to 0.9 (above): it falls strictly from the top row to the bottom row.
    for (let row = 1; row < size; row++) expect(reds[row]).toBeLessThanOrEqual(reds[row - 1]);
    expect(reds[0] - reds[size - 1]).toBeGreaterThan(60);
    // The horizon lies between rows 41 and 42: their mean is the middle of rgb1 and rgb2.
    const middle = [(0.9 + 0.1) / 2, (0.6 + 0.2) / 2, (0.3 + 0.3) / 2].map((value) => value * 255);
    const horizon = [0, 1, 2].map((c) => (pixel(level, 41, column)[c] + pixel(level, 42, column)[c]) / 2);
    horizon.forEach((value, c) => expect(Math.abs(value - middle[c])).toBeLessThan(6));
    // Rows at equal elevations above and below average to the middle too.
    expect(Math.abs((reds[10] + reds[size - 11]) / 2 - middle[0])).toBeLessThan(6);
    // The gradient depends on elevation only: a camera turned 90 degrees sees the same column.
    for (let row = 0; row < size; row += 7) expect(pixel(turned, row, column)).toEqual(pixel(level, row, column));
  });
});

describe('silhouettes', () => {
  let scene: LoadedModel;
  beforeAll(async () => {
    scene = await loadXml(BALL_SCENE);
  });
  afterAll(() => scene.free());

  it('puts a sphere where the pinhole projection says, with the projected area', () => {
    const width = 96;
    const height = 72;
    const frame = createRenderer(scene.model, { width, height, camera: 0 }).render(scene.data);
    expect(frame.shape).toEqual([72, 96, 3]);
    // Camera frame: the ball is 0.5 m right, 0.3 m up and 4 m ahead.
    const tanY = Math.tan((22.5 * Math.PI) / 180);
    const tanX = (tanY * width) / height;
    const expectedColumn = ((0.5 / 4 / tanX + 1) / 2) * width - 0.5;
    const expectedRow = ((1 - 0.3 / 4 / tanY) / 2) * height - 0.5;
    const distance = Math.hypot(0.5, 0.3, 4);
    const radius = (0.25 / Math.sqrt(distance ** 2 - 0.25 ** 2) / tanY) * (height / 2);
    let count = 0;
    let sumRow = 0;
    let sumColumn = 0;
    for (let row = 0; row < height; row++) {
      for (let column = 0; column < width; column++) {
        const [red, green, blue] = pixel(frame, row, column);
        if (red > 127 && green < 10 && blue < 10) {
          count++;
          sumRow += row;
          sumColumn += column;
        }
      }
    }
    expect(Math.abs(sumColumn / count - expectedColumn)).toBeLessThan(0.5);
    expect(Math.abs(sumRow / count - expectedRow)).toBeLessThan(0.5);
    expect(Math.abs(count - Math.PI * radius * radius) / (Math.PI * radius * radius)).toBeLessThan(0.1);
    // Inside: the ball's colour; well outside: the black background.
    expect(pixel(frame, Math.round(expectedRow), Math.round(expectedColumn))).toEqual([255, 0, 0]);
    expect(pixel(frame, Math.round(expectedRow), Math.round(expectedColumn + radius + 2))).toEqual([0, 0, 0]);
    // The green stick (x = -1, y = 5, z from 0 to 0.5) stands left of the centre, below the horizon.
    const stickColumn = Math.round(((-1 / 5 / tanX + 1) / 2) * width - 0.5);
    const stickRow = Math.round(((1 - -0.75 / 5 / tanY) / 2) * height - 0.5);
    expect(pixel(frame, stickRow, stickColumn)[1]).toBe(255);
  });

  it('gives the same bytes for the same state, from any renderer, and reuses `out`', () => {
    const first = createRenderer(scene.model, { width: 84, height: 84 });
    const second = createRenderer(scene.model, { width: 84, height: 84 });
    const a = first.render(scene.data);
    const b = first.render(scene.data);
    const c = second.render(scene.data, b);
    expect(c).toBe(b);
    expect(Buffer.from(a.data).equals(Buffer.from(c.data))).toBe(true);
  });

  it('gives the same bytes from frame caches as from a fresh renderer after objects move', async () => {
    const mj = await mujoco();
    const cached = createRenderer(scene.model, { width: 48, height: 48 });
    for (let frame = 0; frame < 3; frame++) cached.render(scene.data);
    const positions = scene.model.geom_pos as Float64Array;
    const saved = Float64Array.from(positions);
    try {
      // Move the ball over the stick's place and the stick aside.
      positions.set([-0.9, 4.5, 0.4], 0);
      positions[3] += 0.6;
      mj.mj_forward(scene.model, scene.data);
      const fresh = createRenderer(scene.model, { width: 48, height: 48 }).render(scene.data);
      const again = cached.render(scene.data);
      expect(Buffer.from(again.data).equals(Buffer.from(fresh.data))).toBe(true);
    } finally {
      positions.set(saved);
      mj.mj_forward(scene.model, scene.data);
    }
  });

  it('renders the usual sizes and the free camera', () => {
    for (const size of [84, 100, 108]) {
      const frame = createRenderer(scene.model, { width: size, height: size }).render(scene.data);
      expect(frame.shape).toEqual([size, size, 3]);
      expect(frame.data.some((value) => value > 0)).toBe(true);
    }
    const free = createRenderer(scene.model, { width: 32, height: 32, camera: -1 });
    expect(free.camera).toBe(-1);
    expect(free.render(scene.data).shape).toEqual([32, 32, 3]);
  });

  it('rejects bad sizes, cameras, data and outputs with messages naming them', () => {
    expect(() => createRenderer(scene.model, { width: 0, height: 84 })).toThrow(/width must be an integer/);
    expect(() => createRenderer(scene.model, { width: 84, height: 8.5 })).toThrow(/height must be an integer/);
    expect(() => createRenderer(scene.model, { width: 84, height: 84, camera: 3 })).toThrow(/camera must be -1 .* \[0, 0\]/);
    expect(() => createRenderer(scene.model, { width: 84, height: 84, camera: 'side' })).toThrow(/no camera named "side".*"front"/);
    // A camera comes from the user (--camera, camera in a config): bad input, exit code 2.
    expect(() => createRenderer(scene.model, { width: 84, height: 84, camera: 3 })).toThrow(InputError);
    expect(() => createRenderer({} as never, { width: 84, height: 84 })).toThrow(/model must be a mujoco-js MjModel/);
    const renderer = createRenderer(scene.model, { width: 16, height: 16 });
    expect(() => renderer.render({} as never)).toThrow(/data must be the mujoco-js MjData/);
    expect(() => renderer.render(scene.data, { dtype: 'uint8', shape: [16, 15, 3], data: new Uint8Array(720) })).toThrow(/out must be uint8 \[16, 16, 3\]/);
    renderer.close();
    expect(() => renderer.render(scene.data)).toThrow(/after close/);
  });
});
