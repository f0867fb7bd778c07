/** Test helper: reads a GIF's frame count, size and first delay without decoding pixels. */

/** Image descriptors (0x2C) at the top level of a GIF stream: one per frame. */
export function gifFrames(bytes: Uint8Array): { width: number; height: number; count: number; delay: number } {
  const width = bytes[6] | (bytes[7] << 8);
  const height = bytes[8] | (bytes[9] << 8);
  let position = 13 + (bytes[10] & 0x80 ? 3 * 2 ** ((bytes[10] & 7) + 1) : 0);
  let count = 0;
  let delay = -1;
  while (position < bytes.length && bytes[position] !== 0x3b) {
    const block = bytes[position];
    if (block === 0x21) {
      if (bytes[position + 1] === 0xf9 && delay < 0) delay = bytes[position + 4] | (bytes[position + 5] << 8);
      position += 2;
      while (bytes[position] !== 0) position += bytes[position] + 1;
      position++;
    } else if (block === 0x2c) {
      count++;
      const packed = bytes[position + 9];
      position += 10 + (packed & 0x80 ? 3 * 2 ** ((packed & 7) + 1) : 0);
      position++; // LZW minimum code size
      while (bytes[position] !== 0) position += bytes[position] + 1;
      position++;
    } else throw new Error(`unexpected GIF block 0x${block.toString(16)} at ${position}`);
  }
  return { width, height, count, delay };
}
