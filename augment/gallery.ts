/**
 * A picture of what each augmentation does: one row per augmentation, the
 * original image first, `samplesPerRow` random samples in each other row. Rows
 * whose outputs differ in size (crop 84, translate 108) are padded on the right to
 * the widest row; tiles sit on a gray field with a gap between them.
 * `rad augment --show` writes this with common/png.ts.
 */
import type { NdArray } from '../common/ndarray.ts';
import { zeros } from '../common/ndarray.ts';
import type { Random } from '../common/random.ts';
import { InputError } from '../common/errors.ts';
import { parseAugmentations } from './pipeline.ts';
import { PIXEL_AUGMENTATION_NAMES } from './registry.ts';

/** Pixels between tiles and around the picture. */
const GAP = 4;
/** The field's gray, apart from black (cutout, translate canvas) and white. */
const FIELD = 128;

/**
 * Probability-driven augmentations fire on every sample in the picture, so a row
 * shows what the augmentation does rather than mostly unchanged copies.
 */
const SHOW_EVERY_SAMPLE: Record<string, Record<string, unknown>> = {
  grayscale: { p: 1 },
  flip: { p: 1 },
  rotate: { p: 1 },
  frequency: { p: 1 },
};

/**
 * `image` is one RGB frame [H, W, 3]; each name is a spec (`crop`, or a chain
 * such as `crop-grayscale`). `params` (keyed by augmentation name, as for
 * `parseAugmentations`) override the defaults, and p = 1 for grayscale, flip,
 * rotate and frequency. Default sizes expect a 100x100 render (crop 84).
 */
export function augmentationGallery(
  image: NdArray<'uint8'>,
  names: string[],
  rng: Random,
  samplesPerRow = 4,
  params: Record<string, Record<string, unknown>> = {},
): NdArray<'uint8'> {
  if (image?.dtype !== 'uint8' || image.shape.length !== 3 || image.shape[2] !== 3) {
    throw new Error(`augmentationGallery: image must be a uint8 NdArray [H, W, 3], got ${image?.dtype} [${image?.shape}]`);
  }
  if (!Number.isInteger(samplesPerRow) || samplesPerRow < 1) {
    throw new Error(`augmentationGallery: samplesPerRow must be a positive integer, got ${samplesPerRow}`);
  }
  if (!Array.isArray(names)) throw new Error(`augmentationGallery: names must be an array of specs, got ${JSON.stringify(names)}`);
  const [height, width] = image.shape;
  const batch = zeros('uint8', [samplesPerRow, height, width, 3]);
  for (let n = 0; n < samplesPerRow; n++) batch.data.set(image.data, n * image.data.length);

  // Each row: its tiles, all of one size.
  const rows: { tiles: NdArray<'uint8'>; count: number }[] = [{ tiles: { dtype: 'uint8', shape: [1, height, width, 3], data: image.data }, count: 1 }];
  for (const name of names) {
    const pipeline = parseAugmentations(name, {});
    if (pipeline.kind === 'state') throw new InputError(`augmentationGallery: "${name}" augments state vectors, not images; expected pixel augmentations: ${PIXEL_AUGMENTATION_NAMES.join(', ')}`);
    const own: Record<string, unknown> = {};
    for (const key of pipeline.names) own[key] = { ...SHOW_EVERY_SAMPLE[key], ...params[key] };
    const configured = parseAugmentations(name, own);
    const tiles = configured.apply(batch, rng.fork(`gallery/${name}`));
    rows.push({ tiles, count: samplesPerRow });
  }

  const rowWidth = (row: (typeof rows)[number]) => row.count * (row.tiles.shape[2] + GAP) + GAP;
  const pictureWidth = Math.max(...rows.map(rowWidth));
  const pictureHeight = rows.reduce((sum, row) => sum + row.tiles.shape[1] + GAP, GAP);
  const picture = zeros('uint8', [pictureHeight, pictureWidth, 3]);
  picture.data.fill(FIELD);
  let top = GAP;
  for (const row of rows) {
    const [, tileHeight, tileWidth] = row.tiles.shape;
    for (let n = 0; n < row.count; n++) {
      const left = GAP + n * (tileWidth + GAP);
      for (let y = 0; y < tileHeight; y++) {
        const from = (n * tileHeight + y) * tileWidth * 3;
        picture.data.set(row.tiles.data.subarray(from, from + tileWidth * 3), ((top + y) * pictureWidth + left) * 3);
      }
    }
    top += tileHeight + GAP;
  }
  return picture;
}
