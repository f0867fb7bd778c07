/**
 * A deterministic ray caster over a `Scene`: one primary ray per pixel through
 * the camera's pinhole, analytic intersections in each object's frame
 * (visibility.ts), each ray testing only the objects whose screen capsule can
 * reach its 4x4 tile and its own image point (tiles.ts); then MuJoCo's
 * fixed-function lighting (headlight + model lights, Lambert + Blinn-Phong
 * specular, OpenGL spot cones and attenuation), shadow rays toward
 * shadow-casting lights, a mirror ray for reflective planes (the checker floor),
 * and 4 extra samples on pixels at the silhouettes of bodies (MuJoCo renders
 * offscreen with multisampling; a sample that sees what a nearby pixel centre
 * sees takes that centre's colour). Secondary rays are culled too (culling.ts,
 * and per pixel in reuse.ts), what stays the same from frame to frame is kept
 * (pixels.ts), and under a still camera only pixels that moving objects reach
 * are traced again (reuse.ts; kept pixels showing a moving background image
 * take this frame's). Rays in tiles where only planes are listed (the
 * sky and the floor around a tracking camera's subject) skip the general
 * search, and the ground under a moving camera is shaded by a shorter way
 * (shading.ts); both give the same colours.
 *
 * Hot paths pass numbers through Float64Arrays, not arguments: V8 boxes every
 * double argument and return value of a call it does not inline. The geometry
 * (intersections, the nearest object along a ray) and the passes over every
 * pixel (the sky and planes-only tiles first, bytes and edges last) run as
 * WebAssembly (kernels.ts).
 */
import { Lighting } from './lighting.ts';
import { SecondaryRays } from './secondary.ts';
import { HIT_DIRECTION, HIT_LENGTH, Shader } from './shading.ts';
import { CAMERA_LENGTH, Culling } from './culling.ts';
import { GEOM_PLANE, type Scene } from './scene.ts';
import { PixelCache, PlaneCache, slotsPerPixel } from './pixels.ts';
import { DirtyPixels } from './reuse.ts';
import { RayKernels } from './kernels.ts';
import { TileLists, tileLayout } from './tiles.ts';
import { Visibility } from './visibility.ts';
import { skyColor, type Sky } from './sky.ts';
import type { PlaneTexture } from './texture.ts';

/** Sub-pixel offsets of the extra samples on edges (a rotated grid, in pixels). */
const EDGE_SAMPLES = new Float64Array([-0.125, -0.375, 0.375, -0.125, 0.125, 0.375, -0.375, 0.125]);

export interface CameraPose {
  position: ArrayLike<number>;
  /** Camera axes as the columns of a row-major 3x3 matrix (MuJoCo's `cam_xmat`): x right, y up, z backward. */
  rotation: ArrayLike<number>;
  fovyDegrees: number;
}

/** Per-render overrides that appearance modes set. */
export interface SurfaceOverrides {
  sky: Sky | null;
  /** Replacement texture per plane texture index (null keeps the model's). */
  planeTextures: (PlaneTexture | null)[];
  /** Replacement RGB per object (NaN keeps the model's). */
  objectRgb: Float64Array;
  /** Background image (H x W x 3) shown where the sky would be, and on textured planes if `coversFloor`. */
  background: Uint8Array | null;
  coversFloor: boolean;
}

export class RayCaster {
  readonly width: number;
  readonly height: number;
  private readonly scene: Scene;
  private readonly n: number;
  private readonly culling: Culling;
  private readonly tiles: TileLists;
  private readonly visibility: Visibility;
  private readonly secondary: SecondaryRays;
  // Camera: layout in culling.ts.
  private readonly camera = new Float64Array(CAMERA_LENGTH);
  private cellsPerFace = 1;
  /** The surface point being shaded (layout in shading.ts) and the image point (pixels) of the ray traced, in the kernels' memory. */
  private readonly hit: Float64Array;
  private readonly sample: Float64Array;
  private readonly kernels: RayKernels;
  /** The traced colour: the shader's output buffer, also written for sky and background. */
  private readonly colour: Float64Array;
  private readonly local: Float64Array;
  private readonly lighting: Lighting;
  private readonly shader: Shader;
  private hitObject = -1;
  private readonly ids: Int16Array;
  /** 1 for objects other than planes, indexed by object id + 1 (index 0: the sky). */
  private readonly isBody: Uint8Array;
  /** The colour of each pixel's centre sample; `bytes` is the output, edges refined (kept: reuse.ts refreshes only some pixels). */
  private readonly centre: Float32Array;
  private readonly bytes: Uint8Array;
  /**
   * Per pixel, 1 when its centre sample shows the background image (which
   * changes every frame), and 1 when its output does (the centre, or an edge
   * sample): kept pixels are refreshed from this frame's background.
   */
  private readonly centreOnBackground: Uint8Array;
  private readonly outputOnBackground: Uint8Array;
  /** The pixels at edges the last pixel pass found (kernels.ts `finish_pixels`). */
  private readonly edges: Int32Array;
  /** The pixels the centre pass left to trace here, with the plane it met (-1: none) and its distance (rays.c `sky_pass`). */
  private readonly work: Int32Array;
  private readonly workPlane: Int32Array;
  private readonly workDistance: Float64Array;
  /** Set when the sample being traced took its colour from the background image. */
  private sawBackground = false;
  private overrides: SurfaceOverrides;
  private pixelIndex = 0;
  /** The cache slot of the sample being traced (see pixels.ts), or -1 for an uncached sample. */
  private slot = -1;
  private readonly pixels: PixelCache;
  private readonly planes: PlaneCache;
  private readonly dirty: DirtyPixels;

  /** Extra samples on object edges (MuJoCo's frames are multisampled); off trades edge quality for speed. */
  private readonly antialias: boolean;

  constructor(scene: Scene, width: number, height: number, overrides: SurfaceOverrides, antialias = true) {
    this.scene = scene;
    this.antialias = antialias;
    this.width = width;
    this.height = height;
    this.n = scene.count;
    const { columns, rows } = tileLayout(width, height);
    this.kernels = new RayKernels(scene, columns * rows, width, height, slotsPerPixel(width, height, EDGE_SAMPLES.length / 2));
    this.hit = this.kernels.floats(HIT_LENGTH, 'hit');
    this.sample = this.kernels.floats(3, 'sample');
    this.culling = new Culling(scene, this.kernels);
    this.tiles = new TileLists(scene, this.culling, width, height, this.kernels);
    this.visibility = new Visibility(scene, this.kernels);
    this.ids = this.kernels.shorts(width * height, 'ids');
    this.isBody = this.kernels.bytes(this.n + 1, 'isBody');
    for (let k = 0; k < this.n; k++) this.isBody[k + 1] = scene.type[k] === GEOM_PLANE ? 0 : 1;
    this.bytes = this.kernels.bytes(width * height * 3, 'bytes');
    this.centre = this.kernels.singles(width * height * 3, 'centre');
    this.centreOnBackground = this.kernels.bytes(width * height, 'centreOnBackground');
    this.outputOnBackground = this.kernels.bytes(width * height, 'outputOnBackground');
    this.edges = this.kernels.ints(width * height, 'edges');
    this.work = this.kernels.ints(width * height, 'work');
    this.workPlane = this.kernels.ints(width * height, 'workPlane');
    this.workDistance = this.kernels.floats(width * height, 'workDistance');
    this.lighting = new Lighting(scene);
    this.secondary = new SecondaryRays(scene, this.culling, this.tiles, this.hit, this.kernels);
    this.shader = new Shader(scene, this.lighting, this.hit, this.camera, this.secondary, overrides);
    this.secondary.shader = this.shader;
    this.local = this.shader.local;
    this.colour = this.shader.colour;
    this.pixels = new PixelCache(width, height, EDGE_SAMPLES, this.kernels);
    this.planes = new PlaneCache(scene, this.pixels.slots, this.kernels);
    this.dirty = new DirtyPixels(scene, this.culling, width, height, this.kernels);
    this.secondary.mirrorMask = this.dirty.mirrorMask;
    this.secondary.shadowMask = this.dirty.shadowMask;
    this.overrides = overrides;
    this.kernels.checkComplete();
  }

  setOverrides(overrides: SurfaceOverrides): void {
    this.overrides = overrides;
    this.shader.overrides = overrides;
  }

  /** Renders the scene's current state (after `scene.update`) into `out` (H*W*3 bytes). */
  render(pose: CameraPose, out: Uint8Array): void {
    this.setCamera(pose);
    this.kernels.copyScene(this.scene);
    this.visibility.prepare(this.camera);
    this.culling.prepare(this.camera, this.width, this.height);
    this.tiles.build(this.camera);
    this.pixels.update(this.camera, this.overrides.sky);
    this.planes.update(this.camera, this.overrides);
    this.dirty.update(this.camera, this.planes.stable);
    this.lighting.nextFrame();
    this.shader.nextFrame();
    // Separate methods, so that V8 optimises each loop with its own type feedback.
    this.traceCentres();
    if (this.overrides.background) this.keptCentresOnBackground(this.overrides.background);
    this.refineEdges();
    out.set(this.bytes);
  }

  /** Pixels whose centre the last frame traced (reuse.ts keeps the others). */
  tracedPixels(): number {
    let count = 0;
    for (const value of this.dirty.trace) count += value;
    return count;
  }

  /**
   * The centre sample of each pixel to trace. Most rays of tracking cameras see
   * only the sky or the floor: where only planes are listed, the kernels find the
   * plane hit directly and give the sky's known colour (rays.c `sky_pass`); the
   * pixels left are traced here, those that met a plane shaded at once, the
   * others through the general search.
   */
  private traceCentres(): void {
    const { width, ids, centre, sample, colour, tiles, pixels, hit, work, workPlane, workDistance } = this;
    const rotation = this.scene.rotation;
    const count = this.kernels.exports.sky_pass(this.kernels.frame, this.overrides.background === null ? 0 : 1, this.planes.object.length);
    for (let i = 0; i < count; i++) {
      const pixel = work[i];
      const row = (pixel / width) | 0;
      const column = pixel - row * width;
      const tile = tiles.tile(column, row);
      const slot = pixels.slot(pixel, 0);
      this.pixelIndex = pixel;
      this.visibility.tile = tile;
      this.secondary.tile = tile;
      this.secondary.pixel = pixel;
      this.slot = slot;
      sample[0] = column + 0.5;
      sample[1] = row + 0.5;
      const plane = workPlane[i];
      if (plane >= 0) {
        // What the kernels' plane search leaves: the ray's direction, the distance, the plane's z axis as normal.
        const direction = this.visibility.direction;
        direction[0] = pixels.directions[3 * slot];
        direction[1] = pixels.directions[3 * slot + 1];
        direction[2] = pixels.directions[3 * slot + 2];
        this.visibility.nearestDistance = workDistance[i];
        hit[3] = rotation[9 * plane + 2];
        hit[4] = rotation[9 * plane + 5];
        hit[5] = rotation[9 * plane + 8];
        this.hitObject = plane;
        this.shadeHit(plane);
        this.centreOnBackground[pixel] = 0;
      } else {
        this.sawBackground = false;
        this.trace();
        this.centreOnBackground[pixel] = this.sawBackground ? 1 : 0;
      }
      ids[pixel] = this.hitObject;
      centre[3 * pixel] = colour[0];
      centre[3 * pixel + 1] = colour[1];
      centre[3 * pixel + 2] = colour[2];
    }
    this.slot = -1;
  }

  /** Kept pixels (not traced this frame) whose centre shows the background take this frame's. */
  private keptCentresOnBackground(background: Uint8Array): void {
    const { trace } = this.dirty;
    const { centre, centreOnBackground } = this;
    for (let pixel = 0; pixel < trace.length; pixel++) {
      if (trace[pixel] === 1 || centreOnBackground[pixel] === 0) continue;
      centre[3 * pixel] = background[3 * pixel] / 255;
      centre[3 * pixel + 1] = background[3 * pixel + 1] / 255;
      centre[3 * pixel + 2] = background[3 * pixel + 2] / 255;
    }
  }

  /**
   * The output colour of each pixel to refresh: its centre's, and with
   * antialiasing, where a neighbour sees another object and one of the two is a
   * body (not a plane or the sky), 4 more samples averaged in. The horizon and
   * plane borders are left as they are: they cost many samples and show little.
   * The pass over every pixel runs in the kernels (rays.c `finish_pixels`),
   * which list the edges; refining one reads only centres, so they are refined
   * after it, in its order.
   */
  private refineEdges(): void {
    // Pixels showing the background change with it every frame, kept or not.
    const background = this.overrides.background !== null ? 1 : 0;
    const count = this.kernels.exports.finish_pixels(this.kernels.frame, background, this.antialias ? 1 : 0);
    const { edges, width } = this;
    for (let i = 0; i < count; i++) {
      const pixel = edges[i];
      const row = (pixel / width) | 0;
      this.refinePixel(row, pixel - row * width);
    }
  }

  /**
   * Averages 4 more samples into an edge pixel. Each sample first finds only the
   * object it sees; when that is what this pixel's centre, or a neighbour's
   * centre on the sample's side, sees, it takes that centre's colour (shading
   * varies little within a pixel, the silhouette is what the samples are for);
   * only samples seeing something no nearby centre saw are shaded.
   */
  private refinePixel(row: number, column: number): void {
    const { bytes, centre, sample, colour, ids, width, height } = this;
    const pixel = row * width + column;
    this.pixelIndex = pixel;
    const tile = this.tiles.tile(column, row);
    this.visibility.tile = tile;
    this.secondary.tile = tile;
    this.secondary.pixel = pixel;
    const own = ids[pixel];
    let red = centre[3 * pixel];
    let green = centre[3 * pixel + 1];
    let blue = centre[3 * pixel + 2];
    for (let s = 0; s < 4; s++) {
      const offsetX = EDGE_SAMPLES[2 * s];
      const offsetY = EDGE_SAMPLES[2 * s + 1];
      const slot = this.pixels.slot(pixel, s + 1);
      sample[0] = column + 0.5 + offsetX;
      sample[1] = row + 0.5 + offsetY;
      const direction = this.visibility.direction;
      if (slot >= 0) {
        direction[0] = this.pixels.directions[3 * slot];
        direction[1] = this.pixels.directions[3 * slot + 1];
        direction[2] = this.pixels.directions[3 * slot + 2];
      } else {
        this.cameraRay();
      }
      const seen = this.visibility.nearestObject();
      let source = -1;
      if (seen === own) source = pixel;
      else {
        const side = offsetX < 0 ? (column > 0 ? -1 : 0) : column < width - 1 ? 1 : 0;
        const across = offsetY < 0 ? (row > 0 ? -width : 0) : row < height - 1 ? width : 0;
        if (side !== 0 && ids[pixel + side] === seen) source = pixel + side;
        else if (across !== 0 && ids[pixel + across] === seen) source = pixel + across;
        else if (side !== 0 && across !== 0 && ids[pixel + side + across] === seen) source = pixel + side + across;
      }
      if (source >= 0) {
        red += centre[3 * source];
        green += centre[3 * source + 1];
        blue += centre[3 * source + 2];
        this.outputOnBackground[pixel] |= this.centreOnBackground[source];
        continue;
      }
      this.slot = slot;
      this.sawBackground = false;
      this.trace();
      if (this.sawBackground) this.outputOnBackground[pixel] = 1;
      red += colour[0];
      green += colour[1];
      blue += colour[2];
    }
    // Rounded to single precision first, as the colours of unrefined pixels are.
    bytes[3 * pixel] = toByte(Math.fround(red / 5));
    bytes[3 * pixel + 1] = toByte(Math.fround(green / 5));
    bytes[3 * pixel + 2] = toByte(Math.fround(blue / 5));
    this.slot = -1;
  }

  /** The unit direction of the camera ray through image point `sample` (pixels), into visibility.direction. */
  private cameraRay(): void {
    const { camera } = this;
    const rayDirection = this.visibility.direction;
    const x = this.sample[0];
    const y = this.sample[1];
    const sx = ((2 * x) / this.width - 1) * camera[12];
    const sy = (1 - (2 * y) / this.height) * camera[13];
    const dx = sx * camera[3] + sy * camera[6] - camera[9];
    const dy = sx * camera[4] + sy * camera[7] - camera[10];
    const dz = sx * camera[5] + sy * camera[8] - camera[11];
    const length = Math.sqrt(dx * dx + dy * dy + dz * dz);
    rayDirection[0] = dx / length;
    rayDirection[1] = dy / length;
    rayDirection[2] = dz / length;
  }

  private setCamera(pose: CameraPose): void {
    const m = pose.rotation;
    const camera = this.camera;
    for (let i = 0; i < 3; i++) {
      camera[i] = pose.position[i];
      camera[3 + i] = m[3 * i];
      camera[6 + i] = m[3 * i + 1];
      camera[9 + i] = m[3 * i + 2];
    }
    camera[13] = Math.tan((pose.fovyDegrees * Math.PI) / 360);
    camera[12] = (camera[13] * this.width) / this.height;
    // About one mark cell of the sky per output pixel: a 90-degree face spans this many pixels.
    this.cellsPerFace = Math.max(1, Math.round(this.height / camera[13])) | 0;
  }

  /** Traces the primary ray through image point `sample` (pixels) into `colour` and `hitObject`. */
  private trace(): void {
    // Directions pass through arrays: V8 boxes doubles passed to calls it does not inline.
    const direction = this.visibility.direction;
    const slot = this.slot;
    if (slot >= 0) {
      if (this.fromPlaneCache()) return;
      const i = 3 * slot;
      direction[0] = this.pixels.directions[i];
      direction[1] = this.pixels.directions[i + 1];
      direction[2] = this.pixels.directions[i + 2];
    } else {
      this.cameraRay();
    }
    const nearest = this.visibility.nearestObject();
    this.hitObject = nearest;
    this.shadeHit(nearest);
  }

  /**
   * The colour (into `colour`) of what the primary ray with the unit direction in
   * visibility.direction meets: object `nearest` at the distance visibility.ts found (its world normal
   * in the hit buffer), or the sky or background when `nearest` is -1.
   */
  private shadeHit(nearest: number): void {
    const { scene, camera, hit, colour } = this;
    const direction = this.visibility.direction;
    const dx = direction[0];
    const dy = direction[1];
    const dz = direction[2];
    const slot = this.slot;
    const best = this.visibility.nearestDistance;
    const background = this.overrides.background;
    if (nearest < 0) {
      if (background) this.backgroundColour(background);
      else {
        hit[6] = dx;
        hit[7] = dy;
        hit[8] = dz;
        if (slot >= 0 && this.pixels.skyAt(slot, colour)) return;
        const sky = this.overrides.sky;
        if (sky) skyColor(sky, hit, HIT_DIRECTION, this.cellsPerFace, colour);
        else colour.fill(0);
        if (slot >= 0) this.pixels.storeSky(slot, colour);
      }
      return;
    }
    if (background && this.overrides.coversFloor && scene.textureId[nearest] >= 0) {
      this.backgroundColour(background);
      return;
    }
    const hx = camera[0] + best * dx;
    const hy = camera[1] + best * dy;
    const hz = camera[2] + best * dz;
    hit[0] = hx;
    hit[1] = hy;
    hit[2] = hz;
    hit[6] = dx;
    hit[7] = dy;
    hit[8] = dz;
    // The ground under a moving camera (the plane cache off) has a shorter way.
    if (nearest === this.culling.ground && !this.planes.stable && this.shader.shadeGround(nearest) === 1) {
      this.secondary.reflect(nearest);
      return;
    }
    this.shader.shade(nearest, true);
    if (slot >= 0 && this.planes.stable && scene.type[nearest] === GEOM_PLANE && this.overrides.background === null) {
      this.planes.store(slot, nearest, hit, this.local, this.shader.parts);
    }
    this.secondary.reflect(nearest);
  }

  /**
   * The pixel's plane colour from the plane cache, when the camera, planes and
   * lights are as when it was stored and no other object can be in the way.
   * Sets `colour` and `hitObject`, and returns true on success.
   */
  private fromPlaneCache(): boolean {
    const slot = this.slot;
    if (slot >= this.planes.object.length) return false;
    const k = this.planes.object[slot];
    if (k < 0 || this.overrides.background !== null) return false;
    const { scene, tiles } = this;
    const tile = this.visibility.tile;
    const first = tile * this.n;
    for (let a = first; a < first + tiles.directCount[tile]; a++) {
      if (scene.type[tiles.direct[a]] !== GEOM_PLANE) return false;
    }
    this.planes.restore(slot, this.hit, this.local, this.shader.parts);
    this.hitObject = k;
    this.shader.recombine(k);
    this.secondary.reflect(k);
    return true;
  }

  private backgroundColour(background: Uint8Array): void {
    this.sawBackground = true;
    const i = 3 * this.pixelIndex;
    this.colour[0] = background[i] / 255;
    this.colour[1] = background[i + 1] / 255;
    this.colour[2] = background[i + 2] / 255;
  }
}

/** A colour channel in [0, 1] to a byte, rounded to nearest (as rays.c `to_byte` does for the other pixels). */
function toByte(value: number): number {
  return value <= 0 ? 0 : value >= 1 ? 255 : (value * 255 + 0.5) | 0;
}
