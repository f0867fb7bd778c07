/**
 * What the renderer needs from a MuJoCo model, read once into plain typed arrays,
 * and the per-frame state (poses of geoms, sites, cameras and lights) copied from
 * an MjData on every frame.
 *
 * No view of the module's memory is kept: mujoco-js field views go stale when the
 * module's memory grows, so each read takes a fresh view and copies it.
 *
 * What is drawn follows dm_control's default scene options: geoms and sites of
 * groups 0, 1 and 2 (groups 3 to 5 are hidden), not fully transparent, and the
 * spatial tendons of those groups as capsules (tendons.ts).
 */
import type { MjData, MjModel } from 'mujoco-js';
import { readSky, type Sky } from './sky.ts';
import { readPlaneTextures, type PlaneTexture } from './texture.ts';
import { CATENARY_POINTS, drawnTendons, updateTendonSegments, type DrawnTendon } from './tendons.ts';

// mjtGeom
export const GEOM_PLANE = 0;
export const GEOM_SPHERE = 2;
export const GEOM_CAPSULE = 3;
export const GEOM_ELLIPSOID = 4;
export const GEOM_CYLINDER = 5;
export const GEOM_BOX = 6;
const DRAWN_TYPES = new Set([GEOM_PLANE, GEOM_SPHERE, GEOM_CAPSULE, GEOM_ELLIPSOID, GEOM_CYLINDER, GEOM_BOX]);
/** dm_control's default `mjvOption` shows groups 0-2 of geoms and sites. */
const VISIBLE_GROUPS = 3;
/** mjNTEXROLE: `mat_texid` holds one texture per role; role 1 is the RGB map. */
const TEXTURE_ROLES = 10;
const TEXTURE_ROLE_RGB = 1;
// mjtLightType
export const LIGHT_SPOT = 0;
export const LIGHT_DIRECTIONAL = 1;

export interface Light {
  index: number;
  directional: boolean;
  spot: boolean;
  castShadow: boolean;
  ambient: [number, number, number];
  diffuse: [number, number, number];
  specular: [number, number, number];
  attenuation: [number, number, number];
  cosCutoff: number;
  exponent: number;
}

export interface Headlight {
  active: boolean;
  ambient: [number, number, number];
  diffuse: [number, number, number];
  specular: [number, number, number];
}

/** MuJoCo's free camera as dm_control sets it up when a task names no camera. */
export interface FreeCamera {
  lookat: [number, number, number];
  distance: number;
  azimuthDegrees: number;
  elevationDegrees: number;
  fovyDegrees: number;
}

function triple(view: ArrayLike<number>, offset: number): [number, number, number] {
  return [view[offset], view[offset + 1], view[offset + 2]];
}

/** What a scene object is drawn from (`Scene.isSite`). */
export const FROM_GEOM = 0;
export const FROM_SITE = 1;
export const FROM_TENDON = 2;

/**
 * The drawable objects (visible geoms, then visible sites, then tendon segments) with their static
 * properties; sizes and colours are re-read per frame because tasks randomise
 * them at reset (`geom_size`, `geom_rgba`, `mat_rgba`).
 */
export class Scene {
  readonly count: number;
  /** Per object: FROM_GEOM, FROM_SITE or FROM_TENDON (a segment), and its index among those (`sourceIndex`). */
  readonly isSite: Uint8Array;
  readonly sourceIndex: Int32Array;
  readonly type: Int32Array;
  /** The objects that are planes, in order (types never change after loading). */
  readonly planes: Int32Array;
  readonly materialId: Int32Array;
  /** Index into `planeTextures`, or -1. */
  readonly textureId: Int32Array;
  readonly specular: Float64Array;
  readonly shininess: Float64Array;
  readonly reflectance: Float64Array;
  readonly emission: Float64Array;
  readonly texRepeat: Float64Array;
  readonly texUniform: Uint8Array;
  readonly planeTextures: PlaneTexture[];
  readonly lights: Light[];
  readonly headlight: Headlight;
  readonly sky: Sky | null;
  readonly cameraFovy: Float64Array;
  readonly freeCamera: FreeCamera;
  readonly ncam: number;

  /** The tendons drawn; their capsule slots are the objects from `firstTendonObject` on. */
  private readonly tendons: DrawnTendon[];
  private readonly firstTendonObject: number;
  private readonly stringPoints = new Float64Array(3 * CATENARY_POINTS);

  // Per frame.
  readonly size: Float64Array;
  readonly rgba: Float64Array;
  readonly position: Float64Array;
  readonly rotation: Float64Array;
  readonly cameraPosition: Float64Array;
  readonly cameraRotation: Float64Array;
  readonly lightPosition: Float64Array;
  readonly lightDirection: Float64Array;

  constructor(model: MjModel) {
    const isSite: number[] = [];
    const sourceIndex: number[] = [];
    const geomType = model.geom_type as Int32Array;
    const geomGroup = model.geom_group as Int32Array;
    for (let i = 0; i < model.ngeom; i++) {
      if (geomGroup[i] < VISIBLE_GROUPS && DRAWN_TYPES.has(geomType[i])) {
        isSite.push(0);
        sourceIndex.push(i);
      }
    }
    const siteType = model.site_type as Int32Array;
    const siteGroup = model.site_group as Int32Array;
    for (let i = 0; i < model.nsite; i++) {
      if (siteGroup[i] < VISIBLE_GROUPS && DRAWN_TYPES.has(siteType[i]) && siteType[i] !== GEOM_PLANE) {
        isSite.push(1);
        sourceIndex.push(i);
      }
    }
    this.tendons = drawnTendons(model);
    this.firstTendonObject = isSite.length;
    for (const tendon of this.tendons) {
      for (let slot = 0; slot < tendon.slots; slot++) {
        isSite.push(FROM_TENDON);
        sourceIndex.push(tendon.index);
      }
    }
    const n = isSite.length;
    this.count = n;
    this.isSite = Uint8Array.from(isSite);
    this.sourceIndex = Int32Array.from(sourceIndex);
    this.type = new Int32Array(n);
    this.materialId = new Int32Array(n);
    this.textureId = new Int32Array(n).fill(-1);
    this.specular = new Float64Array(n);
    this.shininess = new Float64Array(n);
    this.reflectance = new Float64Array(n);
    this.emission = new Float64Array(n);
    this.texRepeat = new Float64Array(2 * n);
    this.texUniform = new Uint8Array(n);

    const geomMat = model.geom_matid as Int32Array;
    const siteMat = model.site_matid as Int32Array;
    const matTex = model.mat_texid as Int32Array;
    const matSpecular = model.mat_specular as Float32Array;
    const matShininess = model.mat_shininess as Float32Array;
    const matReflectance = model.mat_reflectance as Float32Array;
    const matEmission = model.mat_emission as Float32Array;
    const matRepeat = model.mat_texrepeat as Float32Array;
    const matUniform = model.mat_texuniform as Uint8Array;
    const texType = model.tex_type as Int32Array;
    const texturesById = new Map<number, number>();
    const planeTextureIds: number[] = [];
    const tendonMat = model.tendon_matid as Int32Array;
    for (let k = 0; k < n; k++) {
      const i = this.sourceIndex[k];
      const from = this.isSite[k];
      this.type[k] = from === FROM_TENDON ? GEOM_CAPSULE : from === FROM_SITE ? siteType[i] : geomType[i];
      const mat = from === FROM_TENDON ? tendonMat[i] : from === FROM_SITE ? siteMat[i] : geomMat[i];
      this.materialId[k] = mat;
      // Without a material MuJoCo's defaults apply (mjvGeom: specular .5, shininess .5).
      this.specular[k] = mat >= 0 ? matSpecular[mat] : 0.5;
      this.shininess[k] = mat >= 0 ? matShininess[mat] : 0.5;
      this.reflectance[k] = mat >= 0 ? matReflectance[mat] : 0;
      this.emission[k] = mat >= 0 ? matEmission[mat] : 0;
      if (mat >= 0) {
        this.texRepeat[2 * k] = matRepeat[2 * mat];
        this.texRepeat[2 * k + 1] = matRepeat[2 * mat + 1];
        this.texUniform[k] = matUniform[mat];
        const tex = matTex[mat * TEXTURE_ROLES + TEXTURE_ROLE_RGB];
        // Only 2-D textures on planes are drawn (the checker floor); others keep the material colour.
        if (tex >= 0 && texType[tex] === 0 && this.type[k] === GEOM_PLANE) {
          if (!texturesById.has(tex)) {
            texturesById.set(tex, planeTextureIds.length);
            planeTextureIds.push(tex);
          }
          this.textureId[k] = texturesById.get(tex)!;
        }
      }
    }
    this.planes = Int32Array.from(Array.from({ length: n }, (_, k) => k).filter((k) => this.type[k] === GEOM_PLANE));
    this.planeTextures = readPlaneTextures(model, planeTextureIds);
    this.sky = readSky(model);

    const lightType = model.light_type as Int32Array;
    const lightActive = model.light_active as Uint8Array;
    const lightCast = model.light_castshadow as Uint8Array;
    this.lights = [];
    for (let i = 0; i < model.nlight; i++) {
      if (!lightActive[i]) continue;
      this.lights.push({
        index: i,
        directional: lightType[i] === LIGHT_DIRECTIONAL,
        spot: lightType[i] === LIGHT_SPOT,
        castShadow: lightCast[i] === 1,
        ambient: triple(model.light_ambient as Float32Array, 3 * i),
        diffuse: triple(model.light_diffuse as Float32Array, 3 * i),
        specular: triple(model.light_specular as Float32Array, 3 * i),
        attenuation: triple(model.light_attenuation as Float32Array, 3 * i),
        cosCutoff: Math.cos(((model.light_cutoff as Float32Array)[i] * Math.PI) / 180),
        exponent: (model.light_exponent as Float32Array)[i],
      });
    }
    const head = model.vis.headlight;
    this.headlight = {
      active: head.active !== 0,
      ambient: triple(head.ambient as Float32Array, 0),
      diffuse: triple(head.diffuse as Float32Array, 0),
      specular: triple(head.specular as Float32Array, 0),
    };
    this.ncam = model.ncam;
    this.cameraFovy = Float64Array.from(model.cam_fovy as Float64Array);
    const global = model.vis.global;
    this.freeCamera = {
      lookat: triple(model.stat.center as Float64Array, 0),
      // mjv_defaultFreeCamera: 1.5 extents away, at the model's azimuth and elevation.
      distance: 1.5 * model.stat.extent,
      azimuthDegrees: global.azimuth,
      elevationDegrees: global.elevation,
      fovyDegrees: global.fovy,
    };

    this.size = new Float64Array(3 * n);
    this.rgba = new Float64Array(4 * n);
    this.position = new Float64Array(3 * n);
    this.rotation = new Float64Array(9 * n);
    this.cameraPosition = new Float64Array(3 * model.ncam);
    this.cameraRotation = new Float64Array(9 * model.ncam);
    this.lightPosition = new Float64Array(3 * this.lights.length);
    this.lightDirection = new Float64Array(3 * this.lights.length);
  }

  /** Copies sizes, colours and poses for one frame. */
  update(model: MjModel, data: MjData): void {
    const geomSize = model.geom_size as Float64Array;
    const siteSize = model.site_size as Float64Array;
    const geomRgba = model.geom_rgba as Float32Array;
    const siteRgba = model.site_rgba as Float32Array;
    const matRgba = model.mat_rgba as Float32Array;
    const geomPos = data.geom_xpos as Float64Array;
    const geomMat = data.geom_xmat as Float64Array;
    const sitePos = data.site_xpos as Float64Array;
    const siteMat = data.site_xmat as Float64Array;
    const tendonRgba = model.tendon_rgba as Float32Array;
    for (let k = this.firstTendonObject; k < this.count; k++) this.copyColour(k, 4 * this.sourceIndex[k], tendonRgba, matRgba);
    updateTendonSegments(model, data, this.tendons, this.firstTendonObject, this.stringPoints, this.position, this.rotation, this.size);
    for (let k = 0; k < this.firstTendonObject; k++) {
      const i = this.sourceIndex[k];
      const site = this.isSite[k] === FROM_SITE;
      const size = site ? siteSize : geomSize;
      const pos = site ? sitePos : geomPos;
      const mat = site ? siteMat : geomMat;
      const rgba = site ? siteRgba : geomRgba;
      for (let j = 0; j < 3; j++) {
        this.size[3 * k + j] = size[3 * i + j];
        this.position[3 * k + j] = pos[3 * i + j];
      }
      for (let j = 0; j < 9; j++) this.rotation[9 * k + j] = mat[9 * i + j];
      this.copyColour(k, 4 * i, rgba, matRgba);
    }
    const camPos = data.cam_xpos as Float64Array;
    const camMat = data.cam_xmat as Float64Array;
    this.cameraPosition.set(camPos.subarray(0, 3 * this.ncam));
    this.cameraRotation.set(camMat.subarray(0, 9 * this.ncam));
    const lightPos = data.light_xpos as Float64Array;
    const lightDir = data.light_xdir as Float64Array;
    for (let l = 0; l < this.lights.length; l++) {
      const i = this.lights[l].index;
      for (let j = 0; j < 3; j++) {
        this.lightPosition[3 * l + j] = lightPos[3 * i + j];
        this.lightDirection[3 * l + j] = lightDir[3 * i + j];
      }
    }
  }

  /** MuJoCo's rule: the material's colour, unless the object's own rgba (at `own`) differs from the default grey. */
  private copyColour(k: number, own: number, rgba: Float32Array, matRgba: Float32Array): void {
    const m = this.materialId[k];
    const isDefault = rgba[own] === 0.5 && rgba[own + 1] === 0.5 && rgba[own + 2] === 0.5 && rgba[own + 3] === 1;
    const source = m >= 0 && isDefault ? matRgba : rgba;
    const offset = m >= 0 && isDefault ? 4 * m : own;
    for (let j = 0; j < 4; j++) this.rgba[4 * k + j] = source[offset + j];
  }
}

/** Radius of a sphere around the object's centre that contains it (Infinity for an infinite plane). */
export function boundingRadius(type: number, sx: number, sy: number, sz: number): number {
  switch (type) {
    case GEOM_PLANE:
      // A plane's size 0 along x or y means infinite that way (MuJoCo).
      return sx > 0 && sy > 0 ? Math.hypot(sx, sy) : Infinity;
    case GEOM_SPHERE:
      return sx;
    case GEOM_CAPSULE:
      return sx + sy;
    case GEOM_ELLIPSOID:
      return Math.max(sx, sy, sz);
    case GEOM_CYLINDER:
      return Math.hypot(sx, sy);
    case GEOM_BOX:
      return Math.hypot(sx, sy, sz);
    default:
      return Infinity;
  }
}
