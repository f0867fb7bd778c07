/**
 * The colour of a surface point: the object's colour (or its appearance
 * override), times its texture for textured planes, lit as MuJoCo does
 * (lighting.ts), with the shadow of each shadow-casting light on planes decided
 * by the ray caster.
 */
import { cellFraction, gridCell, inCell, type Lighting, type PlaneGrid } from './lighting.ts';
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
  /** The same parts before the texture. */
  private readonly lit: Float64Array;
  /** Per object, this frame's texture (null: none) and its scale across and down (see `nextFrame`). */
  private readonly textures: (PlaneTexture | null)[];
  private readonly textureScale: Float64Array;
  overrides: SurfaceOverrides;
  /** Counts frames (`nextFrame`), so that the ground's per-frame values are looked up once. */
  private frame = 0;
  /** The plane and frame `shadeGround` last prepared for, and what it looked up (see `prepareGround`). */
  private groundPlane = -1;
  private groundFrame = -1;
  private groundGrid: PlaneGrid | null = null;
  /** The grid quad (its first vertex) whose vertices are lit this frame. */
  private groundQuad = -1;
  /** The grid cell of the last ground point (the next one mostly lies in it). */
  private groundColumn = 0;
  private groundRow = 0;
  private groundRed = 0;
  private groundGreen = 0;
  private groundBlue = 0;
  private groundTexture: PlaneTexture | null = null;
  private groundScaleX = 0;
  private groundScaleY = 0;

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
    this.lit = new Float64Array(3 + 3 * scene.lights.length);
    this.textures = Array.from({ length: scene.count }, () => null);
    this.textureScale = new Float64Array(2 * scene.count);
  }

  /**
   * Colour of object k at the surface point in `hit`, lit as MuJoCo does
   * (lighting.ts). Result in `colour`. `tint` scales the object's colour before
   * lighting, as MuJoCo scales a mirrored object's by the mirror's reflectance
   * (its specular highlights keep their strength).
   */
  shade(k: number, shadows: boolean, tint = 1): void {
    const { scene, hit, camera, lighting, local } = this;
    const hx = hit[HIT_POINT];
    const hy = hit[HIT_POINT + 1];
    const hz = hit[HIT_POINT + 2];
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
    red *= tint;
    green *= tint;
    blue *= tint;
    const input = lighting.input;
    input[9] = camera[9];
    input[10] = camera[10];
    input[11] = camera[11];
    let interpolated = 0;
    const plane = scene.type[k] === GEOM_PLANE;
    // A plane's grid keeps its colour at full strength: tinted, it is lit per pixel.
    if (plane && tint === 1) {
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
      lighting.surface[0] = red;
      lighting.surface[1] = green;
      lighting.surface[2] = blue;
      interpolated = lighting.interpolatePlane(k, local, this.lit);
    }
    const lit = this.lit;
    if (interpolated === 0) {
      // Lit here (the interpolated grid needs neither the point nor the normal).
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
      input[0] = hx;
      input[1] = hy;
      input[2] = hz;
      input[3] = nx;
      input[4] = ny;
      input[5] = nz;
      // The viewer sits back along the incoming ray (the eye itself for primary rays,
      // and for planes seen directly, as on their grid; a mirrored plane's is in the mirror).
      const eye = plane && tint === 1;
      input[6] = eye ? camera[0] : hx - dx;
      input[7] = eye ? camera[1] : hy - dy;
      input[8] = eye ? camera[2] : hz - dz;
      lighting.evaluate(k);
      lighting.litParts(red, green, blue, lighting.terms, lit, 0);
    }
    this.modulation(k);
    const textureRed = this.texel[0];
    const textureGreen = this.texel[1];
    const textureBlue = this.texel[2];
    const parts = this.parts;
    parts[0] = textureRed * lit[0];
    parts[1] = textureGreen * lit[1];
    parts[2] = textureBlue * lit[2];
    for (let l = 0; l < scene.lights.length; l++) {
      const at = 3 + 3 * l;
      // A light that adds nothing here casts no shadow worth a ray: its part is 0.
      const negligible = lit[at] + lit[at + 1] + lit[at + 2] < 1e-4;
      parts[at] = negligible ? 0 : textureRed * lit[at];
      parts[at + 1] = negligible ? 0 : textureGreen * lit[at + 1];
      parts[at + 2] = negligible ? 0 : textureBlue * lit[at + 2];
    }
    // Shadows are cast on planes (the floor), where they show; bodies are not self-shadowed.
    this.recombine(k, shadows && plane);
  }

  /**
   * `shade(k, true)` for a point of plane k (in the hit buffer) when the plane is
   * lit on its grid (the floors under tracking cameras): the same colour with
   * fewer steps. Returns 0, writing nothing, when the plane has no grid (`shade`
   * is then the way); `parts` is left as it was (the plane cache is not filled).
   * What is the same for every pixel of the frame (colour, texture, grid) is
   * looked up once (`prepareGround`), and the interpolated parts stay in locals;
   * the arithmetic is `shade`'s, in the same order, so the bytes are the same.
   */
  shadeGround(k: number): number {
    if (k !== this.groundPlane || this.groundFrame !== this.frame) this.prepareGround(k);
    const grid = this.groundGrid;
    if (grid === null || grid.columns === 0) return 0;
    const { scene, hit, local } = this;
    const p = 3 * k;
    const r = 9 * k;
    const rot = scene.rotation;
    const wx = hit[HIT_POINT] - scene.position[p];
    const wy = hit[HIT_POINT + 1] - scene.position[p + 1];
    const wz = hit[HIT_POINT + 2] - scene.position[p + 2];
    const x = rot[r] * wx + rot[r + 3] * wy + rot[r + 6] * wz;
    const y = rot[r + 1] * wx + rot[r + 4] * wy + rot[r + 7] * wz;
    // Shadow culling reads the plane point.
    local[0] = x;
    local[1] = y;
    const column = inCell(grid.xs, this.groundColumn, x) ? this.groundColumn : gridCell(grid.xs, x);
    const row = inCell(grid.ys, this.groundRow, y) ? this.groundRow : gridCell(grid.ys, y);
    this.groundColumn = column;
    this.groundRow = row;
    const fu = cellFraction(grid.xs, column, x);
    const fv = cellFraction(grid.ys, row, y);
    const stride = grid.columns + 1;
    const v00 = row * stride + column;
    // Neighbouring pixels mostly fall in the same quad: its vertices are lit already.
    if (v00 !== this.groundQuad) this.lightQuad(k, grid, v00, column, row);
    // Lighting.interpolatePlane's split of the quad into two triangles.
    const lower = fu + fv <= 1;
    const w00 = lower ? 1 - fu - fv : 0;
    const w01 = lower ? fu : 1 - fv;
    const w10 = lower ? fv : 1 - fu;
    const w11 = lower ? 0 : fu + fv - 1;
    let textureRed = 1;
    let textureGreen = 1;
    let textureBlue = 1;
    const texture = this.groundTexture;
    if (texture !== null) {
      const i = texelOffset(texture, x * this.groundScaleX, -y * this.groundScaleY);
      const data = texture.data;
      textureRed = data[i];
      textureGreen = data[i + 1];
      textureBlue = data[i + 2];
    }
    const values = grid.parts;
    const count = this.lighting.partCount;
    const b00 = v00 * count;
    const b01 = b00 + count;
    const b10 = (v00 + stride) * count;
    const b11 = b10 + count;
    let outRed = textureRed * (w00 * values[b00] + w01 * values[b01] + w10 * values[b10] + w11 * values[b11]);
    let outGreen = textureGreen * (w00 * values[b00 + 1] + w01 * values[b01 + 1] + w10 * values[b10 + 1] + w11 * values[b11 + 1]);
    let outBlue = textureBlue * (w00 * values[b00 + 2] + w01 * values[b01 + 2] + w10 * values[b10 + 2] + w11 * values[b11 + 2]);
    const lights = scene.lights;
    for (let l = 0; l < lights.length; l++) {
      const at = 3 + 3 * l;
      const red = w00 * values[b00 + at] + w01 * values[b01 + at] + w10 * values[b10 + at] + w11 * values[b11 + at];
      const green = w00 * values[b00 + at + 1] + w01 * values[b01 + at + 1] + w10 * values[b10 + at + 1] + w11 * values[b11 + at + 1];
      const blue = w00 * values[b00 + at + 2] + w01 * values[b01 + at + 2] + w10 * values[b10 + at + 2] + w11 * values[b11 + at + 2];
      if (red + green + blue < 1e-4) continue;
      if (lights[l].castShadow && this.occluder.shadowed(k, l)) continue;
      outRed += textureRed * red;
      outGreen += textureGreen * green;
      outBlue += textureBlue * blue;
    }
    this.colour[0] = outRed;
    this.colour[1] = outGreen;
    this.colour[2] = outBlue;
    return 1;
  }

  /** This frame's grid, colour and texture of plane k, for `shadeGround`. */
  private prepareGround(k: number): void {
    this.groundPlane = k;
    this.groundFrame = this.frame;
    this.groundGrid = this.lighting.planeGrid(k);
    this.groundQuad = -1;
    const override = this.overrides.objectRgb;
    const own = override[3 * k] === override[3 * k];
    this.groundRed = own ? override[3 * k] : this.scene.rgba[4 * k];
    this.groundGreen = own ? override[3 * k + 1] : this.scene.rgba[4 * k + 1];
    this.groundBlue = own ? override[3 * k + 2] : this.scene.rgba[4 * k + 2];
    this.groundTexture = this.textures[k];
    this.groundScaleX = this.textureScale[2 * k];
    this.groundScaleY = this.textureScale[2 * k + 1];
  }

  /** Lights the vertices of the ground quad at v00 with the eye, headlight and colour `shade` would give them. */
  private lightQuad(k: number, grid: PlaneGrid, v00: number, column: number, row: number): void {
    const { lighting, camera } = this;
    const input = lighting.input;
    input[6] = camera[0];
    input[7] = camera[1];
    input[8] = camera[2];
    input[9] = camera[9];
    input[10] = camera[10];
    input[11] = camera[11];
    lighting.surface[0] = this.groundRed;
    lighting.surface[1] = this.groundGreen;
    lighting.surface[2] = this.groundBlue;
    lighting.ensureQuad(k, grid, v00, column, row);
    this.groundQuad = v00;
  }

  /**
   * The colour of a point from its parts (as left in `parts` by `shade`): the
   * unlit part plus each light's part, where no object blocks that light when
   * `shadows` (only planes receive shadows).
   */
  recombine(k: number, shadows = true): void {
    const { parts, scene } = this;
    let outRed = parts[0];
    let outGreen = parts[1];
    let outBlue = parts[2];
    const lights = scene.lights;
    for (let l = 0; l < lights.length; l++) {
      const at = 3 + 3 * l;
      if (parts[at] + parts[at + 1] + parts[at + 2] === 0) continue;
      if (shadows && lights[l].castShadow && this.occluder.shadowed(k, l)) continue;
      outRed += parts[at];
      outGreen += parts[at + 1];
      outBlue += parts[at + 2];
    }
    this.colour[0] = outRed;
    this.colour[1] = outGreen;
    this.colour[2] = outBlue;
  }

  /**
   * Starts a frame, after the scene's update and with this frame's overrides:
   * each textured plane's texture and its scale (texels per length unit
   * depend on the plane's sizes), worked out here once rather than per pixel.
   */
  nextFrame(): void {
    this.frame = (this.frame + 1) | 0;
    const { scene, textureScale } = this;
    for (let k = 0; k < scene.count; k++) {
      const textureIndex = scene.textureId[k];
      if (textureIndex < 0) continue;
      this.textures[k] = this.overrides.planeTextures[textureIndex] ?? scene.planeTextures[textureIndex];
      const p = 3 * k;
      // texuniform: texrepeat repetitions per 2 length units (matches dm_control's frames); otherwise per plane.
      textureScale[2 * k] = scene.texUniform[k] ? scene.texRepeat[2 * k] / 2 : scene.texRepeat[2 * k] / (2 * scene.size[p]);
      textureScale[2 * k + 1] = scene.texUniform[k] ? scene.texRepeat[2 * k + 1] / 2 : scene.texRepeat[2 * k + 1] / (2 * scene.size[p + 1]);
    }
  }

  /** OpenGL's modulate: the colour that scales object k's whole lit colour, into `texel`: its texture's at the hit (`local`), white without a texture. */
  private modulation(k: number): void {
    const texture = this.textures[k];
    if (texture === null) {
      // Three stores: a fill call per shaded point costs more.
      this.texel[0] = 1;
      this.texel[1] = 1;
      this.texel[2] = 1;
      return;
    }
    this.textureColour(k, texture);
  }

  /** Nearest texel of plane k's texture at the local point in `local`, into `texel`. */
  private textureColour(k: number, texture: PlaneTexture): void {
    const { local, textureScale } = this;
    const i = texelOffset(texture, local[0] * textureScale[2 * k], -local[1] * textureScale[2 * k + 1]);
    this.texel[0] = texture.data[i];
    this.texel[1] = texture.data[i + 1];
    this.texel[2] = texture.data[i + 2];
  }
}

/** Offset (in `texture.data`) of the texel nearest texture coordinates (u, v), the texture repeating. */
function texelOffset(texture: PlaneTexture, u: number, v: number): number {
  u -= Math.floor(u);
  v -= Math.floor(v);
  let column = Math.floor(u * texture.width);
  let row = Math.floor(v * texture.height);
  if (column > texture.width - 1) column = texture.width - 1;
  if (row > texture.height - 1) row = texture.height - 1;
  return 3 * (row * texture.width + column);
}
