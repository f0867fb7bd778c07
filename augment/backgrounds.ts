/**
 * Background images for the overlay augmentation. DMControl-GB blends with
 * Places365 photographs; this package downloads nothing, so it ships a
 * procedural bank instead: images generated from a seed (colour noise, stripes,
 * checkerboards, soft blobs), the same bank for the same seed and size. A user may
 * point to a folder of PNG files instead; each is resized to the frame size.
 */
import { join } from 'node:path';
import type { NdArray } from '../common/ndarray.ts';
import { zeros } from '../common/ndarray.ts';
import { pngFilesIn, readPng } from '../common/png.ts';
import { Random } from '../common/random.ts';

type Color = [number, number, number];

const randomColor = (rng: Random): Color => [rng.int(256), rng.int(256), rng.int(256)];

/** Smooth colour noise: a few octaves of bilinearly interpolated random lattices. */
function paintNoise(target: Float32Array, height: number, width: number, rng: Random): void {
  for (let octave = 0, cells = 2 + rng.int(3), weight = 1; octave < 4; octave++, cells *= 2, weight *= 0.5) {
    const lattice = new Float32Array((cells + 1) * (cells + 1) * 3);
    rng.fillUniform(lattice, -1, 1);
    for (let y = 0; y < height; y++) {
      const gy = (y / height) * cells;
      const y0 = Math.floor(gy);
      const ty = gy - y0;
      for (let x = 0; x < width; x++) {
        const gx = (x / width) * cells;
        const x0 = Math.floor(gx);
        const tx = gx - x0;
        const i00 = (y0 * (cells + 1) + x0) * 3;
        const i10 = i00 + (cells + 1) * 3;
        const out = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) {
          const top = lattice[i00 + c] * (1 - tx) + lattice[i00 + 3 + c] * tx;
          const bottom = lattice[i10 + c] * (1 - tx) + lattice[i10 + 3 + c] * tx;
          target[out + c] += weight * 90 * (top * (1 - ty) + bottom * ty);
        }
      }
    }
  }
  const base = randomColor(rng);
  for (let i = 0; i < target.length; i++) target[i] += base[i % 3];
}

/** Two-colour pattern from a function of position: stripes at any angle, or a (rotated) checkerboard. */
function paintPattern(target: Float32Array, height: number, width: number, rng: Random, checker: boolean): void {
  const [first, second] = [randomColor(rng), randomColor(rng)];
  const angle = rng.uniform(0, Math.PI);
  const period = rng.uniform(6, Math.max(8, width / 3));
  const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = Math.floor((x * cos + y * sin) / period);
      const v = Math.floor((-x * sin + y * cos) / period);
      const odd = checker ? (u + v) & 1 : u & 1;
      const color = odd ? first : second;
      for (let c = 0; c < 3; c++) target[(y * width + x) * 3 + c] = color[c];
    }
  }
}

/** Soft coloured discs over a vertical gradient. */
function paintBlobs(target: Float32Array, height: number, width: number, rng: Random): void {
  const [top, bottom] = [randomColor(rng), randomColor(rng)];
  for (let y = 0; y < height; y++) {
    const t = y / Math.max(1, height - 1);
    for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) target[(y * width + x) * 3 + c] = top[c] * (1 - t) + bottom[c] * t;
  }
  const blobs = 3 + rng.int(6);
  for (let b = 0; b < blobs; b++) {
    const [cy, cx] = [rng.uniform(0, height), rng.uniform(0, width)];
    const radius = rng.uniform(0.08, 0.3) * Math.max(height, width);
    const color = randomColor(rng);
    // Only the disc's bounding box can change.
    const [yFrom, yTo] = [Math.max(0, Math.floor(cy - radius)), Math.min(height - 1, Math.ceil(cy + radius))];
    const [xFrom, xTo] = [Math.max(0, Math.floor(cx - radius)), Math.min(width - 1, Math.ceil(cx + radius))];
    for (let y = yFrom; y <= yTo; y++) {
      for (let x = xFrom; x <= xTo; x++) {
        const squared = ((y - cy) ** 2 + (x - cx) ** 2) / (radius * radius);
        if (squared >= 1) continue;
        const weight = 1 - squared;
        for (let c = 0; c < 3; c++) {
          const i = (y * width + x) * 3 + c;
          target[i] = target[i] * (1 - weight) + color[c] * weight;
        }
      }
    }
  }
}

/** `count` procedural backgrounds [count, H, W, 3], a pure function of (count, size, seed). */
export function proceduralBackgrounds(count: number, height: number, width: number, seed = 0): NdArray<'uint8'> {
  for (const [field, value] of [['count', count], ['height', height], ['width', width]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`proceduralBackgrounds: ${field} must be a positive integer, got ${value}`);
  }
  const bank = zeros('uint8', [count, height, width, 3]);
  const image = new Float32Array(height * width * 3);
  for (let n = 0; n < count; n++) {
    const rng = Random.derive(seed, `background/${n}`);
    image.fill(0);
    const kind = n % 4; // every kind present in a bank of four or more
    if (kind === 0) paintNoise(image, height, width, rng);
    else if (kind === 1) paintPattern(image, height, width, rng, false);
    else if (kind === 2) paintPattern(image, height, width, rng, true);
    else paintBlobs(image, height, width, rng);
    const offset = n * image.length;
    for (let i = 0; i < image.length; i++) bank.data[offset + i] = Math.max(0, Math.min(255, Math.round(image[i])));
  }
  return bank;
}

/** Bilinear resize of an RGB image [h, w, 3] to [height, width, 3] (pixel centres aligned). */
export function resizeImage(image: NdArray<'uint8'>, height: number, width: number): NdArray<'uint8'> {
  const [sourceHeight, sourceWidth] = image.shape;
  const out = zeros('uint8', [height, width, 3]);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(sourceHeight - 1, Math.max(0, ((y + 0.5) * sourceHeight) / height - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(sourceHeight - 1, y0 + 1);
    const ty = sy - y0;
    for (let x = 0; x < width; x++) {
      const sx = Math.min(sourceWidth - 1, Math.max(0, ((x + 0.5) * sourceWidth) / width - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(sourceWidth - 1, x0 + 1);
      const tx = sx - x0;
      for (let c = 0; c < 3; c++) {
        const at = (yy: number, xx: number) => image.data[(yy * sourceWidth + xx) * 3 + c];
        const value = (at(y0, x0) * (1 - tx) + at(y0, x1) * tx) * (1 - ty) + (at(y1, x0) * (1 - tx) + at(y1, x1) * tx) * ty;
        out.data[(y * width + x) * 3 + c] = Math.round(value);
      }
    }
  }
  return out;
}

/** Every PNG in `folder` (sorted by name, not recursive), resized to [H, W]: [count, H, W, 3]. */
export function folderBackgrounds(folder: string, height: number, width: number): NdArray<'uint8'> {
  const names = pngFilesIn(folder, `overlay: backgrounds=${JSON.stringify(folder)}`, "expected 'procedural' or a folder of PNG files");
  const bank = zeros('uint8', [names.length, height, width, 3]);
  names.forEach((name, n) => bank.data.set(resizeImage(readPng(join(folder, name)), height, width).data, n * height * width * 3));
  return bank;
}

const cache = new Map<string, NdArray<'uint8'>>();

/** The bank for a source ('procedural' or a folder), cached per source and size: it is built once per run. */
export function backgroundBank(source: string, height: number, width: number, count: number, seed: number): NdArray<'uint8'> {
  const key = `${source}|${height}|${width}|${count}|${seed}`;
  let bank = cache.get(key);
  if (!bank) {
    bank = source === 'procedural' ? proceduralBackgrounds(count, height, width, seed) : folderBackgrounds(source, height, width);
    if (cache.size > 16) cache.clear();
    cache.set(key, bank);
  }
  return bank;
}
