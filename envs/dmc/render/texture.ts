/**
 * 2-D textures drawn on planes: the model's own texels (dm_control's checker
 * grid floor), or a checker built with new colours for DMControl-GB's colour modes.
 */
import type { MjModel } from 'mujoco-js';
import type { Rgb } from './sky.ts';

export interface PlaneTexture {
  width: number;
  height: number;
  /** RGB in [0, 1], row-major, 3 values per texel. */
  data: Float32Array;
}

export function readPlaneTextures(model: MjModel, textureIds: number[]): PlaneTexture[] {
  const widths = model.tex_width as Int32Array;
  const heights = model.tex_height as Int32Array;
  const channels = model.tex_nchannel as Int32Array;
  const addresses = model.tex_adr as Int32Array;
  const texels = model.tex_data as Uint8Array;
  return textureIds.map((id) => {
    const width = widths[id];
    const height = heights[id];
    const nchannel = channels[id];
    if (nchannel < 3) throw new Error(`renderer: texture ${id} has ${nchannel} channels; expected RGB (3) or RGBA (4)`);
    const data = new Float32Array(width * height * 3);
    const base = addresses[id];
    for (let i = 0; i < width * height; i++) {
      for (let c = 0; c < 3; c++) data[3 * i + c] = texels[base + nchannel * i + c] / 255;
    }
    return { width, height, data };
  });
}

/**
 * MuJoCo's builtin checker (`builtin="checker" mark="edge"`): rgb1 in the
 * top-left and bottom-right quadrants, rgb2 in the others, a one-texel border in markRgb.
 */
export function checkerTexture(width: number, height: number, rgb1: Rgb, rgb2: Rgb, markRgb: Rgb): PlaneTexture {
  const data = new Float32Array(width * height * 3);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const edge = r === 0 || c === 0 || r === height - 1 || c === width - 1;
      const colour = edge ? markRgb : r < height / 2 === c < width / 2 ? rgb1 : rgb2;
      data.set(colour, 3 * (r * width + c));
    }
  }
  return { width, height, data };
}
