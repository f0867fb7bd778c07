import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../common/errors.ts';
import { zeros } from '../../common/ndarray.ts';
import { decodePng, encodePng, readPng, writePng } from '../../common/png.ts';

function gradient(height: number, width: number, channels: number) {
  const image = zeros('uint8', [height, width, channels]);
  for (let i = 0; i < image.data.length; i++) image.data[i] = (i * 37 + (i >> 3)) & 255;
  return image;
}

const folder = mkdtempSync(join(tmpdir(), 'rad-png-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('png', () => {
  it('round-trips an RGB image exactly, as a valid PNG file', () => {
    const image = gradient(7, 5, 3);
    const bytes = encodePng(image);
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const decoded = decodePng(bytes);
    expect(decoded.shape).toEqual([7, 5, 3]);
    expect(decoded.dtype).toBe('uint8');
    expect(decoded.data).toEqual(image.data);
  });

  it('reads an RGBA image back as its RGB channels', () => {
    const image = gradient(3, 4, 4);
    const decoded = decodePng(encodePng(image));
    expect(decoded.shape).toEqual([3, 4, 3]);
    for (let pixel = 0; pixel < 12; pixel++) {
      expect([...decoded.data.subarray(pixel * 3, pixel * 3 + 3)]).toEqual([...image.data.subarray(pixel * 4, pixel * 4 + 3)]);
    }
  });

  it('writes and reads files', () => {
    const image = gradient(10, 12, 3);
    const path = join(folder, 'image.png');
    writePng(path, image);
    expect(readPng(path).data).toEqual(image.data);
  });

  it('rejects bad images and unreadable files with the reason', () => {
    expect(() => encodePng(zeros('uint8', [4, 4, 2]))).toThrow(/\[H, W, 3\] or \[H, W, 4\].*\[4,4,2\]/);
    expect(() => encodePng(zeros('float32', [4, 4, 3]) as never)).toThrow(/uint8.*float32/);
    expect(() => decodePng(Buffer.from('not a png at all'))).toThrow(/not a readable PNG/);
    expect(() => readPng(join(folder, 'missing.png'))).toThrow(InputError);
    expect(() => readPng(join(folder, 'missing.png'))).toThrow(/^image file .*missing\.png cannot be read \(ENOENT[^)]*\): expected a readable PNG file$/);
    writeFileSync(join(folder, 'text.png'), 'not a png');
    // A file of another kind is named as such, not in pngjs's words; a PNG cut short is named damaged.
    expect(() => readPng(join(folder, 'text.png'))).toThrow(InputError);
    expect(() => readPng(join(folder, 'text.png'))).toThrow(/^image file .*text\.png is not a PNG image: expected a PNG file, and it does not start with the PNG signature$/);
    writeFileSync(join(folder, 'cut.png'), encodePng(gradient(4, 4, 3)).subarray(0, 20));
    expect(() => readPng(join(folder, 'cut.png'))).toThrow(/^image file .*cut\.png is a damaged PNG image: expected a complete PNG file \(/);
    // pngjs decodes a zero width (which PNG forbids) into an image with no pixels.
    writeFileSync(join(folder, 'thin.png'), PNG.sync.write(new PNG({ width: 0, height: 3 })));
    expect(() => readPng(join(folder, 'thin.png'))).toThrow(/^image file .*thin\.png is 0x3 pixels: expected a PNG image of at least 1x1 pixels$/);
    expect(() => writePng(join(folder, 'frame.txt'), zeros('uint8', [2, 2, 3]))).toThrow(/frame\.txt: expected a name ending in \.png/);
    expect(existsSync(join(folder, 'frame.txt'))).toBe(false);
  });
});
