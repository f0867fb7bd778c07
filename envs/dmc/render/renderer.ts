/**
 * `createRenderer(model, {width, height, camera})`: RGB frames of a MuJoCo model
 * on the CPU, deterministic (the same state gives the same bytes).
 *
 * dm_control renders camera 0 for the suite's tasks; `camera: -1` is MuJoCo's
 * free camera (what dm_control shows when a model has no camera). Model
 * constants are read once; each `render(data)` reads the poses of that frame.
 */
import type { MjData, MjModel } from 'mujoco-js';
import { InputError } from '../../../common/errors.ts';
import { ndarray, type NdArray } from '../../../common/ndarray.ts';
import type { Appearance } from '../appearance.ts';
import { RayCaster, type CameraPose, type SurfaceOverrides } from './raycaster.ts';
import { Scene } from './scene.ts';
import { defaultWeights, type Sky } from './sky.ts';
import { checkerTexture } from './texture.ts';

export interface RendererOptions {
  width: number;
  height: number;
  /** Camera index or name; -1 is the free camera. Default 0 (the free camera if the model has none). */
  camera?: number | string;
  /** Four extra samples on pixels at object edges, as MuJoCo's multisampled frames (default true); false is faster. */
  antialias?: boolean;
}

export interface Renderer {
  readonly width: number;
  readonly height: number;
  /** The camera index rendered (-1: free camera). */
  readonly camera: number;
  /** One frame of the state in `data` (after mj_forward or a step), as uint8 [height, width, 3]. */
  render(data: MjData, out?: NdArray<'uint8'>): NdArray<'uint8'>;
  /** Colours and backgrounds of an appearance mode (DMControl-GB); null restores the model's own. */
  setAppearance(appearance: Appearance | null): void;
  /** Pixels the last frame traced; the others it kept from the frame before (under a camera that held still). */
  tracedPixels(): number;
  close(): void;
}

const MAX_SIZE = 4096;
const OBJECT_CAMERA = 7;
const OBJECT_MATERIAL = 14;
/** dm_control's materials that DMControl-GB recolours as the agent's body (`self_rgb`). */
const BODY_MATERIALS = ['self', 'self_default'];

function checkDimension(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_SIZE) {
    throw new Error(`createRenderer: ${name} must be an integer in [1, ${MAX_SIZE}], got ${String(value)}`);
  }
  return value;
}

/** Names of objects of one kind, read from the model's name buffer. */
function objectNames(model: MjModel, addresses: Int32Array, count: number): string[] {
  const names = model.names as Uint8Array;
  const result: string[] = [];
  for (let i = 0; i < count; i++) {
    let end = addresses[i];
    while (end < names.length && names[end] !== 0) end++;
    result.push(new TextDecoder().decode(names.slice(addresses[i], end)));
  }
  return result;
}

/** The index of `camera` (an index, -1 for the free camera, or a name) in `model`; an InputError naming the model's cameras if it has none such. */
export function resolveCamera(model: MjModel, camera: number | string | undefined): number {
  const names = objectNames(model, model.name_camadr as Int32Array, model.ncam);
  if (camera === undefined) return model.ncam > 0 ? 0 : -1;
  if (typeof camera === 'string') {
    const index = names.indexOf(camera);
    if (index < 0) throw new InputError(`createRenderer: no camera named "${camera}"; the model's cameras are [${names.map((n) => `"${n}"`).join(', ')}] (or -1 for the free camera)`);
    return index;
  }
  if (!Number.isInteger(camera) || camera < -1 || camera >= model.ncam) {
    throw new InputError(`createRenderer: camera must be -1 (free camera) or an index in [0, ${model.ncam - 1}], or a camera name; got ${String(camera)}`);
  }
  return camera;
}

/** MuJoCo's free camera pose (mjv_updateCamera for mjCAMERA_FREE). */
function freeCameraPose(scene: Scene): CameraPose {
  const { lookat, distance, azimuthDegrees, elevationDegrees, fovyDegrees } = scene.freeCamera;
  const azimuth = (azimuthDegrees * Math.PI) / 180;
  const elevation = (elevationDegrees * Math.PI) / 180;
  const forward = [Math.cos(elevation) * Math.cos(azimuth), Math.cos(elevation) * Math.sin(azimuth), Math.sin(elevation)];
  const up = [-Math.sin(elevation) * Math.cos(azimuth), -Math.sin(elevation) * Math.sin(azimuth), Math.cos(elevation)];
  const right = [forward[1] * up[2] - forward[2] * up[1], forward[2] * up[0] - forward[0] * up[2], forward[0] * up[1] - forward[1] * up[0]];
  const rotation = new Float64Array(9);
  for (let i = 0; i < 3; i++) {
    rotation[3 * i] = right[i];
    rotation[3 * i + 1] = up[i];
    rotation[3 * i + 2] = -forward[i];
  }
  return { position: lookat.map((value, i) => value - distance * forward[i]), rotation, fovyDegrees };
}

export function createRenderer(model: MjModel, options: RendererOptions): Renderer {
  if (!model || typeof model !== 'object' || typeof (model as { ngeom?: unknown }).ngeom !== 'number') {
    throw new Error('createRenderer: model must be a mujoco-js MjModel');
  }
  const width = checkDimension('width', options?.width);
  const height = checkDimension('height', options?.height);
  const camera = resolveCamera(model, options.camera);
  const scene = new Scene(model);
  const materialNames = objectNames(model, model.name_matadr as Int32Array, model.nmat);
  const bodyMaterials = new Set(BODY_MATERIALS.map((name) => materialNames.indexOf(name)).filter((index) => index >= 0));
  const modelOverrides = (): SurfaceOverrides => ({
    sky: scene.sky,
    planeTextures: scene.planeTextures.map(() => null),
    objectRgb: new Float64Array(3 * scene.count).fill(NaN),
    background: null,
    coversFloor: false,
  });
  let overrides = modelOverrides();
  if (options.antialias !== undefined && typeof options.antialias !== 'boolean') {
    throw new Error(`createRenderer: antialias must be true or false, got ${String(options.antialias)}`);
  }
  const caster = new RayCaster(scene, width, height, overrides, options.antialias ?? true);
  let appearance: Appearance | null = null;
  let frameIndex = 0;
  let closed = false;
  const cameraPose: CameraPose = { position: new Float64Array(3), rotation: new Float64Array(9), fovyDegrees: 45 };

  return {
    width,
    height,
    camera,
    render(data: MjData, out?: NdArray<'uint8'>): NdArray<'uint8'> {
      if (closed) throw new Error('renderer: render() after close()');
      if (!data || typeof data !== 'object' || (data as { geom_xpos?: unknown }).geom_xpos === undefined) {
        throw new Error('renderer.render: data must be the mujoco-js MjData of the renderer\'s model');
      }
      const frame = out ?? ndarray('uint8', [height, width, 3], new Uint8Array(height * width * 3));
      if (frame.dtype !== 'uint8' || frame.shape.length !== 3 || frame.shape[0] !== height || frame.shape[1] !== width || frame.shape[2] !== 3) {
        throw new Error(`renderer.render: out must be uint8 [${height}, ${width}, 3], got ${frame.dtype} [${frame.shape}]`);
      }
      scene.update(model, data);
      let pose: CameraPose;
      if (camera >= 0) {
        (cameraPose.position as Float64Array).set(scene.cameraPosition.subarray(3 * camera, 3 * camera + 3));
        (cameraPose.rotation as Float64Array).set(scene.cameraRotation.subarray(9 * camera, 9 * camera + 9));
        cameraPose.fovyDegrees = scene.cameraFovy[camera];
        pose = cameraPose;
      } else {
        pose = freeCameraPose(scene);
      }
      if (appearance?.background) {
        overrides.background = appearance.background.frame(frameIndex, width, height);
        if (overrides.background.length !== width * height * 3) {
          throw new Error(`renderer: the appearance's background frame has ${overrides.background.length} bytes; expected ${height}x${width}x3`);
        }
      }
      frameIndex++;
      caster.render(pose, frame.data);
      return frame;
    },
    setAppearance(next: Appearance | null): void {
      appearance = next;
      frameIndex = 0;
      overrides = modelOverrides();
      if (next) {
        if (next.sky) {
          const base: Sky = scene.sky ?? { rgb1: [0, 0, 0], rgb2: [0, 0, 0], markRgb: [1, 1, 1], markProbability: 0, faceWidth: 800, weights: defaultWeights() };
          overrides.sky = { ...base, rgb1: next.sky.rgb1, rgb2: next.sky.rgb2, markRgb: next.sky.markRgb };
        }
        if (next.floor) {
          const floor = next.floor;
          overrides.planeTextures = scene.planeTextures.map((texture) => checkerTexture(texture.width, texture.height, floor.rgb1, floor.rgb2, floor.markRgb));
        }
        if (next.body) {
          for (let k = 0; k < scene.count; k++) {
            if (bodyMaterials.has(scene.materialId[k])) overrides.objectRgb.set(next.body, 3 * k);
          }
        }
        overrides.coversFloor = next.background?.coversFloor ?? false;
      }
      caster.setOverrides(overrides);
    },
    tracedPixels(): number {
      return caster.tracedPixels();
    },
    close(): void {
      closed = true;
    },
  };
}
