/**
 * DMControl-GB appearance modes: seeded draws within their ranges, and what the
 * renderer shows for each (colours on sky, floor and body; a moving background
 * on the sky, and on the floor for video_hard; frames from a folder).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../../common/errors.ts';
import { Random } from '../../../../common/random.ts';
import { DEFAULT_COLOURS, drawAppearance, EASY_COLOUR_SHIFT, type Rgb } from '../../../../envs/dmc/appearance.ts';
import { createRenderer } from '../../../../envs/dmc/render/renderer.ts';
import { loadXml, type LoadedModel } from './scenes.ts';

// dm_control's look in miniature: gradient sky, checker floor, a body of material "self".
const SCENE = `<mujoco>
  <asset>
    <texture name="skybox" type="skybox" builtin="gradient" rgb1=".4 .6 .8" rgb2="0 0 0" width="64" height="64"/>
    <texture name="grid" type="2d" builtin="checker" rgb1=".1 .2 .3" rgb2=".2 .3 .4" width="64" height="64" mark="edge" markrgb=".2 .3 .4"/>
    <material name="grid" texture="grid" texrepeat="1 1" texuniform="true"/>
    <material name="self" rgba=".7 .5 .3 1"/>
  </asset>
  <worldbody>
    <geom name="floor" type="plane" size="4 4 .2" material="grid"/>
    <camera name="fixed" pos="0 -4 1" zaxis="0 -1 0"/>
    <geom name="body" type="box" pos="0 0 1" size=".3 .3 .3" material="self"/>
  </worldbody>
</mujoco>`;

// Pixels (row, column) of a 48x48 frame: sky above the horizon, floor near the bottom, the body's centre.
const SKY = [3, 24];
const FLOOR = [45, 5];
const BODY = [24, 24];

function at(frame: { data: Uint8Array }, [row, column]: number[]): number[] {
  const i = 3 * (row * 48 + column);
  return [frame.data[i], frame.data[i + 1], frame.data[i + 2]];
}

describe('drawAppearance', () => {
  it('draws the same appearance from the same stream, another from another', () => {
    const a = drawAppearance('color_hard', Random.derive(1, 'appearance'));
    const b = drawAppearance('color_hard', Random.derive(1, 'appearance'));
    const c = drawAppearance('color_hard', Random.derive(2, 'appearance'));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('keeps color_easy within the shift of dm_control colours, color_hard in the RGB cube', () => {
    const rng = Random.derive(3, 'appearance');
    for (let draw = 0; draw < 50; draw++) {
      const easy = drawAppearance('color_easy', rng);
      const pairs: [Rgb, Rgb][] = [
        [easy.sky!.rgb1, DEFAULT_COLOURS.skyRgb1],
        [easy.floor!.rgb2, DEFAULT_COLOURS.floorRgb2],
        [easy.body!, DEFAULT_COLOURS.body],
      ];
      for (const [drawn, original] of pairs) drawn.forEach((value, c) => expect(Math.abs(value - original[c])).toBeLessThanOrEqual(EASY_COLOUR_SHIFT + 1e-12));
      const hard = drawAppearance('color_hard', rng);
      for (const value of [...hard.sky!.rgb1, ...hard.floor!.rgb1, ...hard.body!]) expect(value >= 0 && value <= 1).toBe(true);
    }
  });

  it('rejects an unknown mode or an unreadable video folder', () => {
    expect(() => drawAppearance('colour_hard' as never, Random.derive(0, 'a'))).toThrow(/mode must be one of default, color_easy, color_hard, video_easy, video_hard; got "colour_hard"/);
    expect(() => drawAppearance('video_easy', Random.derive(0, 'a'), { videoFolder: '/nonexistent/frames' })).toThrow(InputError);
    expect(() => drawAppearance('video_easy', Random.derive(0, 'a'), { videoFolder: '/nonexistent/frames' })).toThrow(
      /^appearanceFolder \/nonexistent\/frames is not a readable folder \(ENOENT[^)]*\); expected a folder of PNG frames for the video appearances$/,
    );
  });

  it('throws InputError naming the folder, the file and what is expected for a bad appearanceFolder or frame', () => {
    const base = mkdtempSync(join(tmpdir(), 'rad-bad-frames-'));
    try {
      const draw = (videoFolder: string) => drawAppearance('video_hard', Random.derive(0, 'a'), { videoFolder });
      writeFileSync(join(base, 'notes.txt'), 'not a folder');
      expect(() => draw(join(base, 'notes.txt'))).toThrow(InputError);
      expect(() => draw(join(base, 'notes.txt'))).toThrow(`appearanceFolder ${join(base, 'notes.txt')} is not a readable folder (ENOTDIR`);
      expect(() => draw(base)).toThrow(InputError); // a .txt file only
      expect(() => draw(base)).toThrow(`appearanceFolder ${base} holds no .png file; expected a folder of PNG frames for the video appearances`);
      // Frames are read when shown: each bad one is an InputError with one prefix over readPng's own message.
      const frames: [string, Buffer, string][] = [
        ['text.png', Buffer.from('hello'), 'is not a PNG image: expected a PNG file, and it does not start with the PNG signature'],
        ['cut.png', PNG.sync.write(new PNG({ width: 4, height: 4 })).subarray(0, 40), 'is a damaged PNG image: expected a complete PNG file ('],
        ['empty.png', PNG.sync.write(new PNG({ width: 0, height: 4 })), 'is 0x4 pixels: expected a PNG image of at least 1x1 pixels'],
      ];
      for (const [name, bytes, problem] of frames) {
        const folder = join(base, name.replace('.png', ''));
        mkdirSync(folder);
        writeFileSync(join(folder, name), bytes);
        const background = draw(folder).background!;
        expect(() => background.frame(0, 8, 8)).toThrow(InputError);
        expect(() => background.frame(0, 8, 8)).toThrow(`appearanceFolder ${folder}: image file ${join(folder, name)} ${problem}`);
      }
      mkdirSync(join(base, 'unreadable'));
      mkdirSync(join(base, 'unreadable', 'dir.png')); // a folder named like a frame
      expect(() => draw(join(base, 'unreadable')).background!.frame(0, 8, 8)).toThrow(
        new RegExp(`^appearanceFolder ${join(base, 'unreadable')}: image file ${join(base, 'unreadable', 'dir.png')} cannot be read \\(EISDIR[^)]*\\): expected a readable PNG file$`),
      );
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});

describe('appearance in the renderer', () => {
  let scene: LoadedModel;
  let folder: string;
  beforeAll(async () => {
    scene = await loadXml(SCENE);
    folder = mkdtempSync(join(tmpdir(), 'rad-frames-'));
    // Two solid frames: pure red, then pure blue.
    [[255, 0, 0], [0, 0, 255]].forEach((colour, index) => {
      const png = new PNG({ width: 8, height: 6 });
      for (let i = 0; i < 48; i++) png.data.set([...colour, 255], 4 * i);
      writeFileSync(join(folder, `frame${index}.png`), PNG.sync.write(png));
    });
  });
  afterAll(() => {
    scene.free();
    rmSync(folder, { recursive: true, force: true });
  });

  it('recolours sky, floor and body for a colour mode, and restores the model exactly', () => {
    const renderer = createRenderer(scene.model, { width: 48, height: 48 });
    const original = Uint8Array.from(renderer.render(scene.data).data);
    renderer.setAppearance({ mode: 'color_hard', sky: { rgb1: [1, 0, 0], rgb2: [1, 0, 0], markRgb: [1, 0, 0] }, floor: { rgb1: [0, 1, 0], rgb2: [0, 1, 0], markRgb: [0, 1, 0] }, body: [0, 0, 1] });
    const coloured = renderer.render(scene.data);
    expect(at(coloured, SKY)).toEqual([255, 0, 0]);
    // The texture scales the whole lit colour (OpenGL's modulate): a green checker shows only green.
    const floor = at(coloured, FLOOR);
    expect(floor[0]).toBe(0);
    expect(floor[2]).toBe(0);
    expect(floor[1]).toBeGreaterThan(10);
    const body = at(coloured, BODY);
    expect(body[2]).toBeGreaterThan(150);
    expect(body[0]).toBeLessThan(body[2] / 2);
    renderer.setAppearance(null);
    expect(Buffer.from(renderer.render(scene.data).data).equals(Buffer.from(original))).toBe(true);
  });

  it('moves a procedural background behind the sky (easy) and the floor too (hard), never over the body', () => {
    const renderer = createRenderer(scene.model, { width: 48, height: 48 });
    const original = renderer.render(scene.data);
    const bodyColour = at(original, BODY);
    const floorColour = at(original, FLOOR);
    renderer.setAppearance(drawAppearance('video_easy', Random.derive(4, 'appearance')));
    const first = Uint8Array.from(renderer.render(scene.data).data);
    const later = renderer.render(scene.data);
    for (let i = 0; i < 20; i++) renderer.render(scene.data);
    const much = renderer.render(scene.data);
    expect(Buffer.from(much.data).equals(Buffer.from(first))).toBe(false);
    expect(at(later, BODY)).toEqual(bodyColour);
    expect(at(later, FLOOR)).toEqual(floorColour);
    renderer.setAppearance(drawAppearance('video_hard', Random.derive(4, 'appearance')));
    const hard = renderer.render(scene.data);
    expect(at(hard, BODY)).toEqual(bodyColour);
    expect(at(hard, FLOOR)).not.toEqual(floorColour);
    // The same appearance replays the same frames from the episode's start.
    renderer.setAppearance(drawAppearance('video_easy', Random.derive(4, 'appearance')));
    expect(Buffer.from(renderer.render(scene.data).data).equals(Buffer.from(first))).toBe(true);
  });

  it('plays frames from a folder, resized and looped', () => {
    const renderer = createRenderer(scene.model, { width: 48, height: 48 });
    const appearance = drawAppearance('video_easy', Random.derive(5, 'appearance'), { videoFolder: folder });
    renderer.setAppearance(appearance);
    const skies = [0, 1, 2].map(() => at(renderer.render(scene.data), SKY));
    expect(skies[0]).not.toEqual(skies[1]);
    expect(skies[2]).toEqual(skies[0]);
    for (const sky of skies) expect([[255, 0, 0], [0, 0, 255]]).toContainEqual(sky);
  });
});
