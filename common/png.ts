/**
 * PNG files to and from `NdArray<'uint8'>` images of shape [H, W, 3] (RGB) or
 * [H, W, 4] (RGBA), through pngjs. Small on purpose: the renderer, the CLI
 * (`rad augment --show`) and the augmentation gallery all go through here.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { PNG } from 'pngjs';
import { InputError } from './errors.ts';
import { checkOutputFolder } from './output.ts';
import type { NdArray } from './ndarray.ts';
import { zeros } from './ndarray.ts';

function checkImage(image: NdArray<'uint8'>): [number, number, number] {
  if (!image || image.dtype !== 'uint8') {
    throw new Error(`encodePng: image must be a uint8 NdArray, got dtype ${image?.dtype}`);
  }
  const [height, width, channels] = image.shape;
  if (image.shape.length !== 3 || !(channels === 3 || channels === 4) || height < 1 || width < 1) {
    throw new Error(`encodePng: image shape must be [H, W, 3] or [H, W, 4] with H, W >= 1, got [${image.shape}]`);
  }
  return [height, width, channels];
}

/** PNG bytes of an RGB or RGBA image (RGB input is written as an RGB PNG, colour type 2). */
export function encodePng(image: NdArray<'uint8'>): Buffer {
  const [height, width, channels] = checkImage(image);
  const png = new PNG({ width, height });
  const source = image.data;
  const target = png.data;
  if (channels === 4) {
    target.set(source);
  } else {
    for (let i = 0, j = 0; i < source.length; i += 3, j += 4) {
      target[j] = source[i];
      target[j + 1] = source[i + 1];
      target[j + 2] = source[i + 2];
      target[j + 3] = 255;
    }
  }
  return PNG.sync.write(png, { colorType: channels === 4 ? 6 : 2 });
}

/**
 * The RGB pixels of a PNG, [H, W, 3]. Any PNG colour type and bit depth is
 * accepted (pngjs normalises to 8-bit RGBA); the alpha channel is dropped,
 * not composited, so a transparent pixel keeps its stored colour.
 */
export function decodePng(buffer: Buffer | Uint8Array): NdArray<'uint8'> {
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.isBuffer(buffer) ? buffer : Buffer.from(buffer));
  } catch (error) {
    throw new Error(`decodePng: not a readable PNG (${(error as Error).message})`);
  }
  const image = zeros('uint8', [png.height, png.width, 3]);
  const source = png.data;
  const target = image.data;
  for (let i = 0, j = 0; j < target.length; i += 4, j += 3) {
    target[j] = source[i];
    target[j + 1] = source[i + 1];
    target[j + 2] = source[i + 2];
  }
  return image;
}

/** Throws an InputError unless `path` names a .png file in a writable folder (commands check before rendering). */
export function checkPngPath(path: string): void {
  if (extname(path).toLowerCase() !== '.png') throw new InputError(`image file ${path}: expected a name ending in .png (the file is PNG)`);
  checkOutputFolder(path, 'image file');
}

export function writePng(path: string, image: NdArray<'uint8'>): void {
  checkPngPath(path);
  writeFileSync(path, encodePng(image));
}

/** The 8 bytes every PNG file starts with. */
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function readPng(path: string): NdArray<'uint8'> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new InputError(`image file ${path} cannot be read (${(error as Error).message}): expected a readable PNG file`);
  }
  // pngjs's own words for a file of another kind ("There are some read requests waitng on
  // finished stream") say nothing to a person; the signature says which case it is.
  if (!bytes.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE)) {
    throw new InputError(`image file ${path} is not a PNG image: expected a PNG file, and it does not start with the PNG signature`);
  }
  let image: NdArray<'uint8'>;
  try {
    image = decodePng(bytes);
  } catch (error) {
    throw new InputError(`image file ${path} is a damaged PNG image: expected a complete PNG file (${(error as Error).message})`);
  }
  // pngjs decodes a header of zero width or height (which PNG forbids) into an image with no pixels.
  const [height, width] = image.shape;
  if (height < 1 || width < 1) throw new InputError(`image file ${path} is ${width}x${height} pixels: expected a PNG image of at least 1x1 pixels`);
  return image;
}

/**
 * The names of the .png files in `folder`, sorted (not recursive): the frames or
 * backgrounds a user points to. `what` names the folder in errors (e.g.
 * "appearanceFolder /x") and `expected` says what it should hold; a folder that
 * cannot be read, or holds no PNG, is an InputError.
 */
export function pngFilesIn(folder: string, what: string, expected: string): string[] {
  let names: string[];
  try {
    names = readdirSync(folder).filter((name) => name.toLowerCase().endsWith('.png')).sort();
  } catch (error) {
    throw new InputError(`${what} is not a readable folder (${(error as Error).message}); ${expected}`);
  }
  if (names.length === 0) throw new InputError(`${what} holds no .png file; ${expected}`);
  return names;
}
