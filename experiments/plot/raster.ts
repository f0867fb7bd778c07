/**
 * A small RGB canvas for learning curves: anti-aliased thick lines (coverage
 * from the distance to the segment), translucent vertical spans (the ± std
 * band), rectangles and a 3x5 bitmap font scaled up for labels. Output is an
 * (H, W, 3) uint8 NdArray for common/png.ts.
 */
import { zeros, type NdArray } from '../../common/ndarray.ts';

export type Rgb = [number, number, number];

// 3x5 glyphs, rows top to bottom, 1 = ink. Lower case prints as upper case.
const glyphRows: Record<string, string> = {
  '0': '111101101101111', '1': '010110010010111', '2': '111001111100111', '3': '111001111001111', '4': '101101111001001',
  '5': '111100111001111', '6': '111100111101111', '7': '111001001010010', '8': '111101111101111', '9': '111101111001111',
  A: '010101111101101', B: '110101110101110', C: '011100100100011', D: '110101101101110', E: '111100110100111',
  F: '111100110100100', G: '011100101101011', H: '101101111101101', I: '111010010010111', J: '001001001101010',
  K: '101101110101101', L: '100100100100111', M: '101111111101101', N: '110101101101101', O: '010101101101010',
  P: '110101110100100', Q: '010101101110011', R: '110101110101101', S: '011100010001110', T: '111010010010010',
  U: '101101101101111', V: '101101101101010', W: '101101111111101', X: '101101010101101', Y: '101101010010010',
  Z: '111001010100111', '.': '000000000000010', '-': '000000111000000', _: '000000000000111', ':': '000010000010000',
  '/': '001001010100100', '±': '010111010000111', '(': '001010010010001', ')': '100010010010100', '+': '000010111010000',
  '=': '000111000111000', ',': '000000000010100', ' ': '000000000000000', '#': '101111101111101', '%': '101001010100101',
};

export class Canvas {
  readonly image: NdArray<'uint8'>;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = [255, 255, 255],
  ) {
    this.image = zeros('uint8', [height, width, 3]);
    for (let i = 0; i < width * height; i++) this.image.data.set(background, i * 3);
  }

  /** Mixes `color` into pixel (x, y) with opacity `alpha` in [0, 1]. */
  blend(x: number, y: number, color: Rgb, alpha: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || alpha <= 0) return;
    const a = Math.min(1, alpha);
    const offset = (y * this.width + x) * 3;
    const data = this.image.data;
    for (let c = 0; c < 3; c++) data[offset + c] = Math.round(data[offset + c] * (1 - a) + color[c] * a);
  }

  fillRect(x0: number, y0: number, x1: number, y1: number, color: Rgb, alpha = 1): void {
    for (let y = Math.max(0, Math.floor(y0)); y < Math.min(this.height, Math.ceil(y1)); y++) {
      for (let x = Math.max(0, Math.floor(x0)); x < Math.min(this.width, Math.ceil(x1)); x++) this.blend(x, y, color, alpha);
    }
  }

  /** A segment of `thickness` px; each pixel's opacity is its coverage by the stroke. */
  line(x0: number, y0: number, x1: number, y1: number, color: Rgb, thickness = 2): void {
    const half = thickness / 2;
    const dx = x1 - x0;
    const dy = y1 - y0;
    const lengthSquared = dx * dx + dy * dy;
    const left = Math.floor(Math.min(x0, x1) - half - 1);
    const right = Math.ceil(Math.max(x0, x1) + half + 1);
    const top = Math.floor(Math.min(y0, y1) - half - 1);
    const bottom = Math.ceil(Math.max(y0, y1) + half + 1);
    for (let y = Math.max(0, top); y <= Math.min(this.height - 1, bottom); y++) {
      for (let x = Math.max(0, left); x <= Math.min(this.width - 1, right); x++) {
        const px = x + 0.5;
        const py = y + 0.5;
        const t = lengthSquared === 0 ? 0 : Math.max(0, Math.min(1, ((px - x0) * dx + (py - y0) * dy) / lengthSquared));
        const distance = Math.hypot(px - (x0 + t * dx), py - (y0 + t * dy));
        const coverage = Math.max(0, Math.min(1, half + 0.5 - distance));
        if (coverage > 0) this.blendMax(x, y, color, coverage);
      }
    }
  }

  // Consecutive segments of a polyline overlap at joints; drawing each pixel at
  // most at its own coverage keeps the joints from darkening.
  private drawn = new Map<number, number>();
  private blendMax(x: number, y: number, color: Rgb, coverage: number): void {
    const key = y * this.width + x;
    const previous = this.drawn.get(key) ?? 0;
    if (coverage <= previous) return;
    this.blend(x, y, color, (coverage - previous) / (1 - previous));
    this.drawn.set(key, coverage);
  }

  /** Ends a stroke group (a polyline); later strokes blend over it normally. */
  endStroke(): void {
    this.drawn.clear();
  }

  polyline(points: [number, number][], color: Rgb, thickness = 2): void {
    for (let i = 1; i < points.length; i++) this.line(points[i - 1][0], points[i - 1][1], points[i][0], points[i][1], color, thickness);
    if (points.length === 1) this.line(points[0][0], points[0][1], points[0][0], points[0][1], color, thickness * 1.5);
    this.endStroke();
  }

  /** Fills between two curves sampled at the same increasing x (the std band). */
  band(xs: number[], upper: number[], lower: number[], color: Rgb, alpha: number): void {
    for (let i = 1; i < xs.length; i++) {
      const [xa, xb] = [xs[i - 1], xs[i]];
      for (let x = Math.ceil(xa); x < Math.min(xb, this.width); x++) {
        const t = xb === xa ? 0 : (x + 0.5 - xa) / (xb - xa);
        const top = upper[i - 1] + t * (upper[i] - upper[i - 1]);
        const bottom = lower[i - 1] + t * (lower[i] - lower[i - 1]);
        for (let y = Math.max(0, Math.round(top)); y < Math.min(this.height, Math.round(bottom)); y++) this.blend(x, y, color, alpha);
      }
    }
  }

  /** Text at (x, y) = top-left, glyphs `scale` px per font pixel; returns the width drawn. */
  text(x: number, y: number, content: string, color: Rgb, scale = 2): number {
    let cursor = x;
    for (const char of content.toUpperCase()) {
      const rows = glyphRows[char] ?? glyphRows['#'];
      for (let row = 0; row < 5; row++) {
        for (let column = 0; column < 3; column++) {
          if (rows[row * 3 + column] === '1') this.fillRect(cursor + column * scale, y + row * scale, cursor + (column + 1) * scale, y + (row + 1) * scale, color);
        }
      }
      cursor += 4 * scale;
    }
    return cursor - x;
  }

  static textWidth(content: string, scale = 2): number {
    return content.length * 4 * scale;
  }
}
