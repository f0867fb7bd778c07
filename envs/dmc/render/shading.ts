/**
 * The colour of a surface point: the object's colour (or its appearance
 * override), times its texture for textured planes, lit as MuJoCo does
 * (lighting.ts), with the shadow of each shadow-casting light on planes decided
 * by the ray caster.
 */
import type { Lighting } from './lighting.ts';
import type { SurfaceOverrides } from './raycaster.ts';
import { GEOM_PLANE, type Scene } from './scene.ts';
import type { PlaneTexture } from './texture.ts';

// Layout of the hit buffer: point, normal (any length), incoming direction.
export const HIT_POINT = 0;
export const HIT_NORMAL = 3;
export const HIT_DIRECTION = 6;
export const HIT_LENGTH = 9;

export interface Occluder {
  /** Whether something blocks light l from the point in the hit buffer on object k. */
  shadowed(k: number, l: number): boolean;
}

export class Shader {
  /** The shaded colour, RGB in [0, 1] (not clamped). */
  readonly colour = new Float64Array(3);
  /** Plane-frame x, y of the last plane point shaded (also read by shadow culling). */
  readonly local = new Float64Array(2);
  private readonly texel = new Float64Array(3);
  /**
   * The last colour in parts: [0..2] lit by unshadowed sources, then per model
   * light l, [3 + 3l ..] what that light adds (texture and colour included).
   */
  readonly parts: Float64Array;
  overrides: SurfaceOverrides;

  constructor(
    private readonly scene: Scene,
    private readonly lighting: Lighting,
    /** Shared with the ray caster: the surface point to shade (layout above). */
    private readonly hit: Float64Array,
    /** Shared with the ray caster: the camera (layout in culling.ts). */
    private readonly camera: Float64Array,
    private readonly occluder: Occluder,
    overrides: SurfaceOverrides,
  ) {
    this.overrides = overrides;
    this.parts = new Float64Array(3 + 3 * scene.lights.length);
  }

  /** Colour of object k at the surface point in `hit`, lit as MuJoCo does (lighting.ts). Result in `colour`. */
  shade(k: number, shadows: boolean): void {
    const { scene, hit, camera, lighting, local } = this;
    const hx = hit[HIT_POINT];
    const hy = hit[HIT_POINT + 1];
    const hz = hit[HIT_POINT + 2];
    let nx = hit[HIT_NORMAL];
    let ny = hit[HIT_NORMAL + 1];
    let nz = hit[HIT_NORMAL + 2];
    const length = Math.sqrt(nx * nx + ny * ny + nz * nz);
    nx /= length;
    ny /= length;
    nz /= length;
    const dx = hit[HIT_DIRECTION];
    const dy = hit[HIT_DIRECTION + 1];
    const dz = hit[HIT_DIRECTION + 2];
    if (nx * dx + ny * dy + nz * dz > 0) {
      nx = -nx;
      ny = -ny;
      nz = -nz;
    }
    let red: number;
    let green: number;
    let blue: number;
    const override = this.overrides.objectRgb;
    if (override[3 * k] === override[3 * k]) {
      red = override[3 * k];
      green = override[3 * k + 1];
      blue = override[3 * k + 2];
    } else {
      red = scene.rgba[4 * k];
      green = scene.rgba[4 * k + 1];
      blue = scene.rgba[4 * k + 2];
    }
    const input = lighting.input;
    input[0] = hx;
    input[1] = hy;
    input[2] = hz;
    input[3] = nx;
    input[4] = ny;
    input[5] = nz;
    // The viewer sits back along the incoming ray (the eye itself for primary rays).
    input[6] = hx - dx;
    input[7] = hy - dy;
    input[8] = hz - dz;
    input[9] = camera[9];
    input[10] = camera[10];
    input[11] = camera[11];
    let interpolated = 0;
    const plane = scene.type[k] === GEOM_PLANE;
    if (plane) {
      const p = 3 * k;
      const r = 9 * k;
      const rot = scene.rotation;
      const wx = hx - scene.position[p];
      const wy = hy - scene.position[p + 1];
      const wz = hz - scene.position[p + 2];
      local[0] = rot[r] * wx + rot[r + 3] * wy + rot[r + 6] * wz;
      local[1] = rot[r + 1] * wx + rot[r + 4] * wy + rot[r + 7] * wz;
      input[6] = camera[0];
      input[7] = camera[1];
      input[8] = camera[2];
      interpolated = lighting.interpolatePlane(k, local);
    }
    if (interpolated === 0) lighting.evaluate(k);
    const terms = lighting.terms;
    let textureRed = 1;
    let textureGreen = 1;
    let textureBlue = 1;
    const textureIndex = scene.textureId[k];
    if (textureIndex >= 0) {
      // OpenGL's modulate: the texture scales the whole lit colour.
      this.textureColour(k, this.overrides.planeTextures[textureIndex] ?? scene.planeTextures[textureIndex]);
      textureRed = this.texel[0];
      textureGreen = this.texel[1];
      textureBlue = this.texel[2];
    }
    const parts = this.parts;
    parts[0] = textureRed * (red * terms[0] + terms[3]);
    parts[1] = textureGreen * (green * terms[1] + terms[4]);
    parts[2] = textureBlue * (blue * terms[2] + terms[5]);
    let outRed = parts[0];
    let outGreen = parts[1];
    let outBlue = parts[2];
    const lights = scene.lights;
    for (let l = 0; l < lights.length; l++) {
      const slot = 6 + 6 * l;
      const at = 3 + 3 * l;
      parts[at] = 0;
      parts[at + 1] = 0;
      parts[at + 2] = 0;
      if (terms[slot] + terms[slot + 1] + terms[slot + 2] + terms[slot + 3] + terms[slot + 4] + terms[slot + 5] < 1e-4) continue;
      parts[at] = textureRed * (red * terms[slot] + terms[slot + 3]);
      parts[at + 1] = textureGreen * (green * terms[slot + 1] + terms[slot + 4]);
      parts[at + 2] = textureBlue * (blue * terms[slot + 2] + terms[slot + 5]);
      // Shadows are cast on planes (the floor), where they show; bodies are not self-shadowed.
      if (shadows && plane && lights[l].castShadow && this.occluder.shadowed(k, l)) continue;
      outRed += parts[at];
      outGreen += parts[at + 1];
      outBlue += parts[at + 2];
    }
    this.colour[0] = outRed;
    this.colour[1] = outGreen;
    this.colour[2] = outBlue;
  }

  /**
   * The colour of a plane point from its parts (as left in `parts` by `shade`):
   * the unshadowed part plus each light's part where no object blocks that light.
   */
  recombine(k: number): void {
    const { parts, scene } = this;
    let outRed = parts[0];
    let outGreen = parts[1];
    let outBlue = parts[2];
    const lights = scene.lights;
    for (let l = 0; l < lights.length; l++) {
      const at = 3 + 3 * l;
      if (parts[at] + parts[at + 1] + parts[at + 2] === 0) continue;
      if (lights[l].castShadow && this.occluder.shadowed(k, l)) continue;
      outRed += parts[at];
      outGreen += parts[at + 1];
      outBlue += parts[at + 2];
    }
    this.colour[0] = outRed;
    this.colour[1] = outGreen;
    this.colour[2] = outBlue;
  }

  /** Nearest texel of plane k's texture at the local point in `local`, into `texel`. */
  private textureColour(k: number, texture: PlaneTexture): void {
    const { scene, local } = this;
    const p = 3 * k;
    // texuniform: texrepeat repetitions per 2 length units (matches dm_control's frames); otherwise per plane.
    const scaleX = scene.texUniform[k] ? scene.texRepeat[2 * k] / 2 : scene.texRepeat[2 * k] / (2 * scene.size[p]);
    const scaleY = scene.texUniform[k] ? scene.texRepeat[2 * k + 1] / 2 : scene.texRepeat[2 * k + 1] / (2 * scene.size[p + 1]);
    let u = local[0] * scaleX;
    let v = -local[1] * scaleY;
    u -= Math.floor(u);
    v -= Math.floor(v);
    const column = Math.min(texture.width - 1, Math.floor(u * texture.width));
    const row = Math.min(texture.height - 1, Math.floor(v * texture.height));
    const i = 3 * (row * texture.width + column);
    this.texel[0] = texture.data[i];
    this.texel[1] = texture.data[i + 1];
    this.texel[2] = texture.data[i + 2];
  }
}
