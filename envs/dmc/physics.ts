/**
 * MuJoCo physics through the official WebAssembly build (npm `mujoco-js`).
 *
 * One module per process, loaded lazily (`mujocoModule()`); every `Physics` owns
 * one MjModel and one MjData inside it. Pitfalls this file guards against:
 * - Field views (`data.qpos`, `model.geom_pos`, ...) are typed arrays over the
 *   module's memory; they go stale when that memory grows (any allocation can
 *   grow it): the old buffer is detached and its views read as length 0. Making
 *   a view costs microseconds, so views are kept, but every use checks for
 *   detachment and takes a fresh one then (`dataField`, `modelField`).
 *   Accessors return copies.
 * - An MjData reserves `<size memory=.../>` bytes (13.6 MB by default, against a
 *   2 GB module), so the project's models state a small arena.
 * - Free with `delete()`, data before model.
 * - Compiling a suite model costs ~0.5 s (the 800x800 skybox texture), so each
 *   model file is compiled once and every `Physics` copies it (~12 MB each,
 *   mostly that texture; 100 envs take ~1.2 GB of the module's 2 GB).
 * - A malformed model throws an opaque C++ exception (mjXError for the XML,
 *   mjCError for compilation); `Physics.fromFile` wraps it in a message that
 *   names the model file.
 *
 * Stepping follows dm_control's `Physics.step` (legacy_step): after every step
 * the position- and velocity-dependent fields (xpos, xmat, site_xpos, sensors
 * of those stages) describe the new state, because observations read them.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import loadMujoco, { type MainModule, type MjData, type MjModel } from 'mujoco-js';

let modulePromise: Promise<MainModule> | null = null;

/** The process-wide MuJoCo module, loaded on first use. */
export function mujocoModule(): Promise<MainModule> {
  if (!modulePromise) modulePromise = loadMujoco();
  return modulePromise;
}

/** Bytes of linear memory the module holds now (it grows, it never shrinks). */
export function moduleMemoryBytes(mujoco: MainModule): number {
  // A throwaway one-element buffer gives a view over the current memory.
  const probe = new mujoco.DoubleBuffer(1);
  try {
    return (probe.GetView() as Float64Array).buffer.byteLength;
  } finally {
    probe.delete();
  }
}

/** Object kinds that can be looked up by name (mjtObj values). */
export type ObjectKind = 'body' | 'joint' | 'geom' | 'site' | 'camera' | 'light' | 'material' | 'tendon' | 'actuator' | 'sensor';

const OBJECT_TYPE: Record<ObjectKind, number> = {
  body: 1,
  joint: 3,
  geom: 5,
  site: 6,
  camera: 7,
  light: 8,
  material: 14,
  tendon: 18,
  actuator: 19,
  sensor: 20,
};

/** Model fields that tasks randomise or recolour, with their object kind and row width. */
export const MODEL_ROW_FIELDS = {
  geom_pos: { kind: 'geom', width: 3 },
  geom_quat: { kind: 'geom', width: 4 },
  geom_size: { kind: 'geom', width: 3 },
  geom_rgba: { kind: 'geom', width: 4 },
  site_pos: { kind: 'site', width: 3 },
  site_quat: { kind: 'site', width: 4 },
  site_size: { kind: 'site', width: 3 },
  site_rgba: { kind: 'site', width: 4 },
  body_pos: { kind: 'body', width: 3 },
  body_quat: { kind: 'body', width: 4 },
  body_mass: { kind: 'body', width: 1 },
  mat_rgba: { kind: 'material', width: 4 },
} as const satisfies Record<string, { kind: ObjectKind; width: number }>;

export type ModelRowField = keyof typeof MODEL_ROW_FIELDS;

/** MjData array fields that `dataField` serves. */
export type DataField =
  | 'qpos' | 'qvel' | 'qacc' | 'ctrl' | 'act' | 'xpos' | 'xmat' | 'xquat' | 'xipos' | 'ximat'
  | 'geom_xpos' | 'geom_xmat' | 'site_xpos' | 'site_xmat' | 'cam_xpos' | 'cam_xmat'
  | 'sensordata' | 'ten_length' | 'ten_velocity' | 'subtree_com' | 'cvel' | 'qfrc_actuator';

// mjtJoint: free, ball, slide, hinge.
const JOINT_QPOS_WIDTH = [7, 4, 1, 1];
const JOINT_QVEL_WIDTH = [6, 3, 1, 1];
const INTEGRATOR_RK4 = 1;
const DISABLE_ACTUATION = 2048;

/** Files an MJCF file includes (`<include file="..."/>`), resolved against its folder, recursively. */
function collectModelFiles(path: string, files: Map<string, string>): void {
  if (files.has(path)) return;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`MuJoCo model ${path}: cannot read the file (${(error as Error).message})`);
  }
  files.set(path, text);
  for (const match of text.matchAll(/<include\s+file\s*=\s*["']([^"']+)["']/g)) {
    collectModelFiles(resolve(dirname(path), match[1]), files);
  }
}

/** The compiled model of each file, with the contents it was compiled from; see `Physics.fromFile`. */
const templates = new Map<string, { contents: string; model: MjModel }>();

/** Frees the compiled templates (each holds ~12 MB, mostly the skybox texture). */
export function releaseModelTemplates(): void {
  for (const template of templates.values()) template.model.delete();
  templates.clear();
}

function compile(mujoco: MainModule, modelFile: string, files: Map<string, string>): MjModel {
  for (const [file, text] of files) {
    mujoco.FS.mkdirTree(dirname(file), 0o777);
    mujoco.FS.writeFile(file, text);
  }
  try {
    return mujoco.MjModel.loadFromXML(modelFile);
  } catch (error) {
    const kind = exceptionName(error);
    const stage = kind === 'mjXError' ? 'the XML does not parse as MJCF' : kind === 'mjCError' ? 'the model does not compile' : 'loading failed';
    throw new Error(
      `MuJoCo model ${modelFile} failed to load: ${stage} (${kind}); check element and attribute names, ` +
        `referenced materials/textures/classes and included files (${[...files.keys()].join(', ')})`,
    );
  } finally {
    for (const file of files.keys()) mujoco.FS.unlink(file);
  }
}

function exceptionName(error: unknown): string {
  const name = (error as { name?: string })?.name;
  return typeof name === 'string' && name ? name : String(error);
}

export class Physics {
  private readonly ids = new Map<string, number>();
  private readonly dataViews = new Map<string, Float64Array>();
  private readonly modelViews = new Map<string, Float64Array | Float32Array | Int32Array | Uint8Array>();
  private readonly jointSlots = new Map<string, { address: number; width: number }>();
  // Read once: every `model.opt` access makes a new binding object.
  private readonly rk4: boolean;

  private constructor(
    readonly mujoco: MainModule,
    readonly model: MjModel,
    readonly data: MjData,
    /** The file the model was loaded from, for messages. */
    readonly modelFile: string,
  ) {
    this.rk4 = model.opt.integrator === INTEGRATOR_RK4;
  }

  /**
   * Loads an MJCF file and the files it includes (read from disk, written into
   * the module's virtual file system at the same absolute paths).
   *
   * Compiling a suite model takes ~0.5 s, nearly all of it MuJoCo building the
   * 800x800 skybox texture, so each distinct file content is compiled once into
   * a template and every `Physics` gets its own copy of it (a few ms): tasks
   * change model fields per episode, so envs cannot share one model.
   */
  static async fromFile(path: string): Promise<Physics> {
    const mujoco = await mujocoModule();
    const modelFile = resolve(path);
    const files = new Map<string, string>();
    collectModelFiles(modelFile, files);
    const contents = [...files].map(([file, text]) => `${file}\0${text}`).join('\0');
    let template = templates.get(modelFile);
    if (template?.contents !== contents) {
      const compiled = compile(mujoco, modelFile, files);
      template?.model.delete(); // the file changed since: its old template is never used again
      template = { contents, model: compiled };
      templates.set(modelFile, template);
    }
    const model = new mujoco.MjModel(template.model);
    const data = new mujoco.MjData(model);
    const physics = new Physics(mujoco, model, data, modelFile);
    physics.forward();
    return physics;
  }

  /** The physics timestep in seconds. */
  get timestep(): number {
    return this.model.opt.timestep;
  }

  /** Simulated time in seconds since the last reset. */
  get time(): number {
    return this.data.time;
  }

  /** Advances `nSubsteps` physics steps with the current control (dm_control's legacy step). */
  step(nSubsteps = 1): void {
    const { mujoco, model, data } = this;
    if (!this.rk4) {
      // mj_step1 already ran for this state (after the last step or forward).
      mujoco.mj_step2(model, data);
      for (let i = 1; i < nSubsteps; i++) mujoco.mj_step(model, data);
    } else {
      for (let i = 0; i < nSubsteps; i++) mujoco.mj_step(model, data);
    }
    mujoco.mj_step1(model, data);
    this.checkFinite();
  }

  /** Recomputes all derived quantities for the current state, without advancing time. */
  forward(): void {
    this.mujoco.mj_forward(this.model, this.data);
  }

  /** Back to the model's default state (qpos0, zero velocity, zero control, time 0). */
  reset(): void {
    this.mujoco.mj_resetData(this.model, this.data);
  }

  /** dm_control's `after_reset`: forward with actuation disabled (no meaningful control yet). */
  afterReset(): void {
    const option = this.model.opt;
    const flags = option.disableflags;
    option.disableflags = flags | DISABLE_ACTUATION;
    try {
      this.forward();
    } finally {
      option.disableflags = flags;
    }
  }

  qpos(): Float64Array {
    return Float64Array.from(this.dataField('qpos'));
  }

  qvel(): Float64Array {
    return Float64Array.from(this.dataField('qvel'));
  }

  ctrl(): Float64Array {
    return Float64Array.from(this.dataField('ctrl'));
  }

  /** Sets the whole state and recomputes derived quantities. */
  setState(qpos: ArrayLike<number>, qvel: ArrayLike<number>): void {
    this.copyInto(this.dataField('qpos'), qpos, 'qpos');
    this.copyInto(this.dataField('qvel'), qvel, 'qvel');
    this.forward();
  }

  setQpos(qpos: ArrayLike<number>): void {
    this.copyInto(this.dataField('qpos'), qpos, 'qpos');
  }

  setQvel(qvel: ArrayLike<number>): void {
    this.copyInto(this.dataField('qvel'), qvel, 'qvel');
  }

  /** Sets the actuators' controls, one value per actuator in model order. */
  setControl(action: ArrayLike<number>): void {
    this.copyInto(this.dataField('ctrl'), action, 'ctrl');
  }

  /** Each actuator's [low, high] control range (rows of 2), unbounded where not ctrllimited. */
  actuatorCtrlRange(): { low: Float64Array; high: Float64Array } {
    const nu = this.model.nu;
    const range = this.modelField('actuator_ctrlrange') as Float64Array;
    const limited = this.modelField('actuator_ctrllimited') as Uint8Array;
    const low = new Float64Array(nu);
    const high = new Float64Array(nu);
    for (let i = 0; i < nu; i++) {
      low[i] = limited[i] ? range[2 * i] : -Infinity;
      high[i] = limited[i] ? range[2 * i + 1] : Infinity;
    }
    return { low, high };
  }

  /** The id of the named object; throws naming the model and the kind when absent. */
  id(kind: ObjectKind, name: string): number {
    const key = `${kind}:${name}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.mujoco.mj_name2id(this.model, OBJECT_TYPE[kind], name);
      if (id < 0) throw new Error(`${this.modelFile}: no ${kind} named "${name}"`);
      this.ids.set(key, id);
    }
    return id;
  }

  /** The name of object `id` of `kind` ("" when unnamed). */
  name(kind: ObjectKind, id: number): string {
    return this.mujoco.mj_id2name(this.model, OBJECT_TYPE[kind], id) ?? '';
  }

  /** The names of every object of `kind`, in id order. */
  names(kind: ObjectKind): string[] {
    const counts: Record<ObjectKind, number> = {
      body: this.model.nbody,
      joint: this.model.njnt,
      geom: this.model.ngeom,
      site: this.model.nsite,
      camera: this.model.ncam,
      light: this.model.nlight,
      material: this.model.nmat,
      tendon: this.model.ntendon,
      actuator: this.model.nu,
      sensor: this.model.nsensor,
    };
    return Array.from({ length: counts[kind] }, (_, id) => this.name(kind, id));
  }

  jointQpos(name: string): Float64Array {
    const { address, width } = this.jointSlot(name, 'qpos');
    return (this.dataField('qpos')).slice(address, address + width);
  }

  jointQvel(name: string): Float64Array {
    const { address, width } = this.jointSlot(name, 'qvel');
    return (this.dataField('qvel')).slice(address, address + width);
  }

  setJointQpos(name: string, values: number | ArrayLike<number>): void {
    const { address, width } = this.jointSlot(name, 'qpos');
    this.writeSlot(this.dataField('qpos'), address, width, values, `qpos of joint "${name}"`);
  }

  setJointQvel(name: string, values: number | ArrayLike<number>): void {
    const { address, width } = this.jointSlot(name, 'qvel');
    this.writeSlot(this.dataField('qvel'), address, width, values, `qvel of joint "${name}"`);
  }

  /** A joint's [low, high] range, and whether it is limited. */
  jointRange(name: string): { limited: boolean; low: number; high: number } {
    const id = this.id('joint', name);
    const range = this.modelField('jnt_range') as Float64Array;
    return { limited: (this.modelField('jnt_limited') as Uint8Array)[id] !== 0, low: range[2 * id], high: range[2 * id + 1] };
  }

  bodyXpos(name: string): Float64Array {
    return this.row(this.dataField('xpos'), this.id('body', name), 3);
  }

  bodyXmat(name: string): Float64Array {
    return this.row(this.dataField('xmat'), this.id('body', name), 9);
  }

  bodyXquat(name: string): Float64Array {
    return this.row(this.dataField('xquat'), this.id('body', name), 4);
  }

  geomXpos(name: string): Float64Array {
    return this.row(this.dataField('geom_xpos'), this.id('geom', name), 3);
  }

  geomXmat(name: string): Float64Array {
    return this.row(this.dataField('geom_xmat'), this.id('geom', name), 9);
  }

  siteXpos(name: string): Float64Array {
    return this.row(this.dataField('site_xpos'), this.id('site', name), 3);
  }

  siteXmat(name: string): Float64Array {
    return this.row(this.dataField('site_xmat'), this.id('site', name), 9);
  }

  /** The readings of the named sensor. */
  sensor(name: string): Float64Array {
    const id = this.id('sensor', name);
    const address = (this.modelField('sensor_adr') as Int32Array)[id];
    const dim = (this.modelField('sensor_dim') as Int32Array)[id];
    return (this.dataField('sensordata')).slice(address, address + dim);
  }

  /** A tendon's current length. */
  tendonLength(name: string): number {
    return this.dataField('ten_length')[this.id('tendon', name)];
  }

  /** One row of a randomisable model field, e.g. `modelRow('geom_size', 'target')`. */
  modelRow(field: ModelRowField, name: string): Float64Array {
    const { kind, width } = MODEL_ROW_FIELDS[field];
    const start = this.id(kind, name) * width;
    return Float64Array.from(this.modelField(field).subarray(start, start + width));
  }

  /** Writes one row of a model field; takes effect at the next forward or step. */
  setModelRow(field: ModelRowField, name: string, values: number | ArrayLike<number>): void {
    const { kind, width } = MODEL_ROW_FIELDS[field];
    this.writeSlot(this.modelField(field) as Float64Array | Float32Array, this.id(kind, name) * width, width, values, `${field} of ${kind} "${name}"`);
  }

  /** Frees the MjData, then the MjModel. The object is unusable afterwards. */
  delete(): void {
    if (!this.data.isDeleted()) this.data.delete();
    if (!this.model.isDeleted()) this.model.delete();
  }

  get isDeleted(): boolean {
    return this.model.isDeleted();
  }

  /** A live view of an MjData array field (see the file comment on stale views). */
  dataField(field: DataField): Float64Array {
    const cached = this.dataViews.get(field);
    if (cached && cached.length !== 0) return cached;
    const view = (this.data as unknown as Record<string, Float64Array | undefined>)[field];
    if (!view) throw new Error(`${this.modelFile}: the MuJoCo module has no data field ${field}`);
    this.dataViews.set(field, view);
    return view;
  }

  /** A live view of an MjModel array field, e.g. 'geom_size' or 'jnt_range'. */
  modelField(field: string): Float64Array | Float32Array | Int32Array | Uint8Array {
    const cached = this.modelViews.get(field);
    if (cached && cached.length !== 0) return cached;
    const view = (this.model as unknown as Record<string, Float64Array | Float32Array | Int32Array | Uint8Array | undefined>)[field];
    if (!view || typeof view !== 'object' || !('length' in view)) throw new Error(`${this.modelFile}: the MuJoCo module has no model array field ${field}`);
    this.modelViews.set(field, view);
    return view;
  }

  private jointSlot(name: string, kind: 'qpos' | 'qvel'): { address: number; width: number } {
    const key = `${kind}:${name}`;
    let slot = this.jointSlots.get(key);
    if (!slot) {
      slot = this.findJointSlot(name, kind);
      this.jointSlots.set(key, slot);
    }
    return slot;
  }

  private findJointSlot(name: string, kind: 'qpos' | 'qvel'): { address: number; width: number } {
    const id = this.id('joint', name);
    const type = (this.modelField('jnt_type') as Int32Array)[id];
    if (kind === 'qpos') return { address: (this.modelField('jnt_qposadr') as Int32Array)[id], width: JOINT_QPOS_WIDTH[type] };
    return { address: (this.modelField('jnt_dofadr') as Int32Array)[id], width: JOINT_QVEL_WIDTH[type] };
  }

  private row(view: Float64Array, id: number, width: number): Float64Array {
    return view.slice(id * width, (id + 1) * width);
  }

  private writeSlot(view: Float64Array | Float32Array, address: number, width: number, values: number | ArrayLike<number>, what: string): void {
    if (typeof values === 'number') {
      if (width !== 1) throw new Error(`${this.modelFile}: ${what} needs ${width} values, got one number`);
      view[address] = values;
      return;
    }
    if (values.length !== width) throw new Error(`${this.modelFile}: ${what} needs ${width} values, got ${values.length}`);
    for (let i = 0; i < width; i++) view[address + i] = values[i];
  }

  private copyInto(view: Float64Array, values: ArrayLike<number>, what: string): void {
    if (values.length !== view.length) throw new Error(`${this.modelFile}: ${what} needs ${view.length} values, got ${values.length}`);
    view.set(values);
  }

  /** dm_control raises PhysicsError on a divergent state; so does this. */
  private checkFinite(): void {
    const qpos = this.dataField('qpos');
    const qvel = this.dataField('qvel');
    for (let i = 0; i < qpos.length; i++) if (!Number.isFinite(qpos[i])) throw new Error(`${this.modelFile}: physics diverged (qpos[${i}] = ${qpos[i]})`);
    for (let i = 0; i < qvel.length; i++) if (!Number.isFinite(qvel[i])) throw new Error(`${this.modelFile}: physics diverged (qvel[${i}] = ${qvel[i]})`);
  }
}
