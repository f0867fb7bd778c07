/**
 * DMControl Generalization Benchmark appearance modes (Hansen & Wang 2021, "Generalization
 * in Reinforcement Learning by Soft Data Augmentation", SODA; DMControl-GB):
 *
 * - `color_easy` / `color_hard`: per episode, new colours for the skybox
 *   (`skybox_rgb`, `skybox_rgb2`, `skybox_markrgb`), the checker floor
 *   (`grid_rgb1`, `grid_rgb2`, `grid_markrgb`) and the agent's body (`self_rgb`).
 *   DMControl-GB draws them from shipped colour sets (color_easy.pt,
 *   color_hard.pt); here they come from a seeded distribution with the same
 *   intent: easy stays near dm_control's colours (each channel moved by at most
 *   +-0.2), hard is uniform over the RGB cube.
 * - `video_easy` / `video_hard`: a moving background where the sky is (easy),
 *   and on the floor too (hard), as DMControl-GB's green screen does. The frames
 *   are procedural (smooth moving colour waves; finer and faster for hard), or
 *   PNG frames from a folder (`videoFolder`), played from a random start and looped.
 *
 * The env draws one appearance per episode from its own seeded stream and hands
 * it to the renderer (`renderer.setAppearance`); training and evaluation keep
 * separate streams, so they see different draws.
 */
import { join } from 'node:path';
import { InputError } from '../../common/errors.ts';
import type { NdArray } from '../../common/ndarray.ts';
import { pngFilesIn, readPng } from '../../common/png.ts';
import type { Random } from '../../common/random.ts';

export type Rgb = [number, number, number];

/** `default`: dm_control's own look (the training condition of DMControl-GB). */
export const APPEARANCE_MODES = ['default', 'color_easy', 'color_hard', 'video_easy', 'video_hard'] as const;
export type AppearanceMode = (typeof APPEARANCE_MODES)[number];

export interface Background {
  /** True when the background also replaces textured planes (the floor). */
  coversFloor: boolean;
  /** Frame `index` of the episode (0 at reset), RGB bytes, [height, width, 3]. */
  frame(index: number, width: number, height: number): Uint8Array;
}

export interface Appearance {
  mode: AppearanceMode;
  sky?: { rgb1: Rgb; rgb2: Rgb; markRgb: Rgb };
  floor?: { rgb1: Rgb; rgb2: Rgb; markRgb: Rgb };
  /** Colour of the agent's body (dm_control's `self` material). */
  body?: Rgb;
  background?: Background;
}

export interface AppearanceOptions {
  /** A folder of PNG frames used as the video background instead of procedural ones. */
  videoFolder?: string;
}

/** dm_control's own colours (suite/common/skybox.xml and materials.xml). */
export const DEFAULT_COLOURS = {
  skyRgb1: [0.4, 0.6, 0.8] as Rgb,
  skyRgb2: [0, 0, 0] as Rgb,
  skyMarkRgb: [1, 1, 1] as Rgb,
  floorRgb1: [0.1, 0.2, 0.3] as Rgb,
  floorRgb2: [0.2, 0.3, 0.4] as Rgb,
  floorMarkRgb: [0.2, 0.3, 0.4] as Rgb,
  body: [0.7, 0.5, 0.3] as Rgb,
};

/** The largest move of a colour channel in `color_easy`. */
export const EASY_COLOUR_SHIFT = 0.2;

function clamp01(value: number): number {
  return value < 0 ? 0 : value > 1 ? 1 : value;
}

function nearColour(rng: Random, colour: Rgb): Rgb {
  return colour.map((channel) => clamp01(channel + rng.uniform(-EASY_COLOUR_SHIFT, EASY_COLOUR_SHIFT))) as Rgb;
}

function anyColour(rng: Random): Rgb {
  return [rng.uniform(), rng.uniform(), rng.uniform()];
}

/** One episode's appearance for `mode`, drawn from `rng`. */
export function drawAppearance(mode: AppearanceMode, rng: Random, options: AppearanceOptions = {}): Appearance {
  if (!(APPEARANCE_MODES as readonly string[]).includes(mode)) {
    throw new InputError(`appearance: mode must be one of ${APPEARANCE_MODES.join(', ')}; got ${JSON.stringify(mode)}`);
  }
  switch (mode) {
    case 'default':
      return { mode };
    case 'color_easy':
    case 'color_hard': {
      const draw = mode === 'color_easy' ? (colour: Rgb) => nearColour(rng, colour) : () => anyColour(rng);
      const c = DEFAULT_COLOURS;
      return {
        mode,
        sky: { rgb1: draw(c.skyRgb1), rgb2: draw(c.skyRgb2), markRgb: draw(c.skyMarkRgb) },
        floor: { rgb1: draw(c.floorRgb1), rgb2: draw(c.floorRgb2), markRgb: draw(c.floorMarkRgb) },
        body: draw(c.body),
      };
    }
    default: {
      const hard = mode === 'video_hard';
      const background = options.videoFolder !== undefined ? folderBackground(options.videoFolder, hard, rng) : proceduralBackground(hard, rng);
      return { mode, background };
    }
  }
}

/** One travelling wave of a colour channel: amplitude * sin(kx x + ky y + omega t + phase). */
interface Wave {
  kx: number;
  ky: number;
  omega: number;
  phase: number;
  amplitude: number;
}

/**
 * A moving background made of travelling sine waves per channel. Each wave is
 * evaluated separably, sin(a + b) = sin a cos b + cos a sin b, over per-column
 * and per-row tables made once per frame size; the rows' tables move with time
 * by the same identity (rotating them by the wave's omega * index), so a frame
 * costs a few multiply-adds per pixel and a few sines per wave.
 */
export function proceduralBackground(hard: boolean, rng: Random): Background {
  const wavesPerChannel = hard ? 5 : 3;
  // Spatial frequency in cycles per image, temporal in radians per frame.
  const maxCycles = hard ? 6 : 1.5;
  const maxOmega = hard ? 0.25 : 0.05;
  const contrast = hard ? 0.5 : 0.3;
  const means: number[] = [];
  const waves: Wave[] = []; // wavesPerChannel per channel, channel after channel
  for (let c = 0; c < 3; c++) {
    for (let w = 0; w < wavesPerChannel; w++) {
      const angle = rng.uniform(0, 2 * Math.PI);
      const cycles = rng.uniform(0.3, maxCycles);
      waves.push({
        kx: 2 * Math.PI * cycles * Math.cos(angle),
        ky: 2 * Math.PI * cycles * Math.sin(angle),
        omega: rng.uniform(-maxOmega, maxOmega),
        phase: rng.uniform(0, 2 * Math.PI),
        amplitude: rng.uniform(0.5, 1) / Math.sqrt(wavesPerChannel),
      });
    }
    means.push(rng.uniform(0.25, 0.75));
  }
  // Per wave, for the last frame size: sin and cos of its column term, and of its row term at index 0 (scaled).
  let tables: { width: number; height: number; sinX: Float64Array[]; cosX: Float64Array[]; sinY: Float64Array[]; cosY: Float64Array[] } | null = null;
  const tablesFor = (width: number, height: number) => {
    if (tables && tables.width === width && tables.height === height) return tables;
    const column = (wave: Wave, f: (a: number) => number) => Float64Array.from({ length: width }, (_, x) => f((wave.kx * (x + 0.5)) / width));
    const row = (wave: Wave, f: (a: number) => number) =>
      Float64Array.from({ length: height }, (_, y) => wave.amplitude * contrast * f((wave.ky * (y + 0.5)) / height + wave.phase));
    tables = {
      width,
      height,
      sinX: waves.map((wave) => column(wave, Math.sin)),
      cosX: waves.map((wave) => column(wave, Math.cos)),
      sinY: waves.map((wave) => row(wave, Math.sin)),
      cosY: waves.map((wave) => row(wave, Math.cos)),
    };
    return tables;
  };
  // This frame's field of one channel, and the row tables moved to its time.
  let field = new Float64Array(0);
  let sinY = new Float64Array(0);
  let cosY = new Float64Array(0);
  return {
    coversFloor: hard,
    frame(index: number, width: number, height: number): Uint8Array {
      const t = tablesFor(width, height);
      if (field.length !== width * height) field = new Float64Array(width * height);
      if (sinY.length !== height) {
        sinY = new Float64Array(height);
        cosY = new Float64Array(height);
      }
      const out = new Uint8Array(width * height * 3);
      for (let c = 0; c < 3; c++) {
        field.fill(means[c]);
        for (let w = c * wavesPerChannel; w < (c + 1) * wavesPerChannel; w++) {
          const shift = waves[w].omega * index;
          const sinShift = Math.sin(shift);
          const cosShift = Math.cos(shift);
          const sinY0 = t.sinY[w];
          const cosY0 = t.cosY[w];
          for (let y = 0; y < height; y++) {
            sinY[y] = sinY0[y] * cosShift + cosY0[y] * sinShift;
            cosY[y] = cosY0[y] * cosShift - sinY0[y] * sinShift;
          }
          const sinX = t.sinX[w];
          const cosX = t.cosX[w];
          for (let y = 0; y < height; y++) {
            const row = y * width;
            const sy = sinY[y];
            const cy = cosY[y];
            for (let x = 0; x < width; x++) field[row + x] += sinX[x] * cy + cosX[x] * sy;
          }
        }
        for (let i = 0; i < width * height; i++) out[3 * i + c] = Math.round(255 * clamp01(field[i]));
      }
      return out;
    },
  };
}

/** Background frames from a folder of PNG files (sorted by name), resized to the render size, looped. */
export function folderBackground(folder: string, coversFloor: boolean, rng: Random): Background {
  const files = pngFilesIn(folder, `appearanceFolder ${folder}`, 'expected a folder of PNG frames for the video appearances');
  const start = rng.int(files.length);
  const cache = new Map<string, Uint8Array>();
  return {
    coversFloor,
    frame(index: number, width: number, height: number): Uint8Array {
      const file = files[(start + index) % files.length];
      const key = `${file}:${width}x${height}`;
      const cached = cache.get(key);
      if (cached) return cached;
      let image: NdArray<'uint8'>;
      try {
        image = readPng(join(folder, file));
      } catch (error) {
        // readPng's message names the file, what is wrong with it and what was expected.
        throw new InputError(`appearanceFolder ${folder}: ${(error as Error).message}`);
      }
      const [sourceHeight, sourceWidth] = image.shape;
      const out = new Uint8Array(width * height * 3);
      // Nearest-neighbour resize to the render size.
      for (let y = 0; y < height; y++) {
        const sourceRow = Math.min(sourceHeight - 1, Math.floor(((y + 0.5) * sourceHeight) / height));
        for (let x = 0; x < width; x++) {
          const sourceColumn = Math.min(sourceWidth - 1, Math.floor(((x + 0.5) * sourceWidth) / width));
          const source = 3 * (sourceRow * sourceWidth + sourceColumn);
          const target = 3 * (y * width + x);
          out[target] = image.data[source];
          out[target + 1] = image.data[source + 1];
          out[target + 2] = image.data[source + 2];
        }
      }
      if (cache.size > 512) cache.clear();
      cache.set(key, out);
      return out;
    },
  };
}
