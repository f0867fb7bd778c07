/**
 * Checkpoints of a run: a versioned manifest (format version, package version,
 * backend, step counters, RNG states, loop state) beside the agent's weights,
 * its optimizer state and the replay buffer.
 *
 * Layout: `<run>/checkpoints/<name>/` with name `latest` or `best`. Each save
 * writes a complete new folder `<name>.step_<envStep>` and then points
 * `<name>.json` at it with an atomic rename, so a kill -9 at any instant leaves
 * the previous checkpoint intact and readable; older folders are removed after
 * the pointer moves.
 *
 * Arrays file (`*.arrays`): "RADARRAY" magic, u32 LE header length, a JSON
 * header {format, entries: [{name, dtype, shape, offset, length}]}, then the
 * raw little-endian data, each entry 8-byte aligned. The manifest holds each
 * arrays file's SHA-256, so a damaged file is refused rather than loaded as
 * wrong weights (the replay file, gigabytes at full size, checks its own lengths).
 * A file that cannot be read back (missing, damaged, another format version) is
 * an InputError: the user named it, and `rad` exits with code 2.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RandomState } from '../common/random.ts';
import { InputError } from '../common/errors.ts';
import { writeFileAtomic } from './atomic.ts';

export const checkpointFormatVersion = 1;
const arraysMagic = 'RADARRAY';

export type NamedArray = Float32Array | Float64Array | Int32Array | Uint8Array;
export type NamedArrays = Record<string, NamedArray>;

const dtypeOf = (array: NamedArray): string =>
  array instanceof Float32Array ? 'float32' : array instanceof Float64Array ? 'float64' : array instanceof Int32Array ? 'int32' : 'uint8';
const constructors = { float32: Float32Array, float64: Float64Array, int32: Int32Array, uint8: Uint8Array } as const;

export function encodeArrays(arrays: NamedArrays): Uint8Array {
  const entries: { name: string; dtype: string; offset: number; length: number }[] = [];
  let offset = 0;
  for (const [name, array] of Object.entries(arrays)) {
    entries.push({ name, dtype: dtypeOf(array), offset, length: array.length });
    offset += Math.ceil(array.byteLength / 8) * 8;
  }
  const header = new TextEncoder().encode(JSON.stringify({ format: checkpointFormatVersion, entries }));
  const dataStart = Math.ceil((8 + 4 + header.length) / 8) * 8;
  const out = new Uint8Array(dataStart + offset);
  out.set(new TextEncoder().encode(arraysMagic), 0);
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, 12);
  Object.values(arrays).forEach((array, i) => out.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), dataStart + entries[i].offset));
  return out;
}

export function decodeArrays(bytes: Uint8Array, source: string): NamedArrays {
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== arraysMagic) throw new InputError(`${source}: not a rad arrays file (bad magic)`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  if (12 + headerLength > bytes.length) throw new InputError(`${source}: truncated header (file cut short?)`);
  const header = parseJson(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength)), `${source} (header)`) as {
    format: number;
    entries: { name: string; dtype: keyof typeof constructors; offset: number; length: number }[];
  };
  if (header.format !== checkpointFormatVersion) throw new InputError(`${source}: arrays format ${header.format}, this version reads ${checkpointFormatVersion}`);
  const dataStart = Math.ceil((12 + headerLength) / 8) * 8;
  const out: NamedArrays = {};
  for (const entry of header.entries) {
    const Type = constructors[entry.dtype];
    if (!Type) throw new InputError(`${source}: entry ${entry.name} has unknown dtype ${entry.dtype}`);
    const start = dataStart + entry.offset;
    const end = start + entry.length * Type.BYTES_PER_ELEMENT;
    if (end > bytes.length) throw new InputError(`${source}: entry ${entry.name} runs past the end of the file (truncated?)`);
    out[entry.name] = new Type(bytes.slice(start, end).buffer);
  }
  return out;
}

/** JSON text to a value; a damaged file's error names it. */
function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(`${source}: not valid JSON (${(error as Error).message}); the file is damaged`);
  }
}

/** A JSON file's value; a damaged file's error names it (InputError). */
export const readJson = (path: string): unknown => parseJson(readFileSync(path, 'utf8'), path);

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * The agent's state split for storage: `weights` (networks, targets, auxiliary
 * parameters) and `optimizer` (Adam moments and step counts, the `optim/` entries).
 */
export function splitAgentState(state: Record<string, Float32Array>): { weights: NamedArrays; optimizer: NamedArrays } {
  const weights: NamedArrays = {};
  const optimizer: NamedArrays = {};
  for (const [name, value] of Object.entries(state)) (name.startsWith('optim/') ? optimizer : weights)[name] = value;
  return { weights, optimizer };
}

export function packageVersion(): string {
  const path = join(dirname(fileURLToPath(import.meta.url)), '..', 'package.json');
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

/** Everything the loop needs to continue exactly where it stopped. */
export interface LoopState {
  agentStep: number;
  envStep: number;
  updateStep: number;
  episode: number;
  /** Wall seconds of training before this checkpoint (summed over segments). */
  elapsedSeconds: number;
  /** Env step of the next evaluation. */
  nextEvalAt: number;
  bestEvalReturn: number | null;
  /** RNG states by stream name. */
  rng: Record<string, RandomState>;
  /** The observation the loop was about to act on, and the episode's running return. */
  episodeReturn: number;
  episodeLength: number;
  /** Extra loop values (the last eval return, the train metric sums). */
  extra: Record<string, unknown>;
}

export interface Manifest extends LoopState {
  format: 'rad-checkpoint';
  formatVersion: number;
  packageVersion: string;
  backend: { name: string; package?: string; threads?: number };
  createdAt: string;
  /** Files in the folder, by role. */
  files: Record<string, string>;
  /** SHA-256 (hex) of each arrays file, by file name (absent in checkpoints of rad <= 0.1.0 that predate it). */
  sha256?: Record<string, string>;
}

export interface CheckpointContents {
  state: LoopState;
  backend: Manifest['backend'];
  /** Named arrays files: weights, optimizer, and the current observation. */
  arrays: Record<string, NamedArrays>;
  /** Writers of other files (the replay buffer saves itself): role -> (path) => Promise. */
  files?: Record<string, { fileName: string; write(path: string): Promise<void> | void }>;
}

function pointerPath(checkpointsDir: string, name: string): string {
  return join(checkpointsDir, `${name}.json`);
}

/** Writes the checkpoint `name` (latest, best) and returns its folder. */
export async function saveCheckpoint(checkpointsDir: string, name: string, contents: CheckpointContents): Promise<string> {
  mkdirSync(checkpointsDir, { recursive: true });
  const folderName = `${name}.step_${String(contents.state.envStep).padStart(10, '0')}`;
  const folder = join(checkpointsDir, folderName);
  const building = `${folder}.tmp-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  const files: Record<string, string> = {};
  const checksums: Record<string, string> = {};
  for (const [role, arrays] of Object.entries(contents.arrays)) {
    files[role] = `${role}.arrays`;
    const bytes = encodeArrays(arrays);
    checksums[files[role]] = sha256(bytes);
    writeFileAtomic(join(building, files[role]), bytes);
  }
  for (const [role, writer] of Object.entries(contents.files ?? {})) {
    files[role] = writer.fileName;
    await writer.write(join(building, writer.fileName));
  }
  const manifest: Manifest = {
    format: 'rad-checkpoint',
    formatVersion: checkpointFormatVersion,
    packageVersion: packageVersion(),
    backend: contents.backend,
    createdAt: new Date().toISOString(),
    ...contents.state,
    files,
    sha256: checksums,
  };
  writeFileAtomic(join(building, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  rmSync(folder, { recursive: true, force: true });
  renameSync(building, folder);
  writeFileAtomic(pointerPath(checkpointsDir, name), JSON.stringify({ folder: folderName, envStep: contents.state.envStep }) + '\n');
  // Older folders of this name are no longer pointed at.
  for (const entry of readdirSync(checkpointsDir)) {
    if (entry.startsWith(`${name}.step_`) && entry !== folderName) rmSync(join(checkpointsDir, entry), { recursive: true, force: true });
  }
  return folder;
}

export interface LoadedCheckpoint {
  folder: string;
  manifest: Manifest;
  arrays(role: string): NamedArrays;
  file(role: string): string;
}

export function readManifest(folder: string): Manifest {
  const path = join(folder, 'manifest.json');
  if (!existsSync(path)) throw new InputError(`checkpoint ${folder}: no manifest.json`);
  const manifest = readJson(path) as Manifest;
  if (manifest.format !== 'rad-checkpoint') throw new InputError(`checkpoint ${folder}: manifest format is "${manifest.format}", expected "rad-checkpoint"`);
  if (manifest.formatVersion !== checkpointFormatVersion) {
    throw new InputError(`checkpoint ${folder}: format version ${manifest.formatVersion} (written by rad ${manifest.packageVersion}); this rad ${packageVersion()} reads version ${checkpointFormatVersion}`);
  }
  return manifest;
}

/**
 * Opens a checkpoint: a checkpoint folder, a run directory (its `latest`, or
 * `name`), or a run's `checkpoints/` folder.
 */
export function loadCheckpoint(path: string, name = 'latest'): LoadedCheckpoint {
  if (!existsSync(path)) throw new InputError(`checkpoint: ${path} does not exist`);
  let folder = path;
  if (!existsSync(join(path, 'manifest.json'))) {
    const checkpointsDir = existsSync(join(path, 'checkpoints')) ? join(path, 'checkpoints') : path;
    const pointer = pointerPath(checkpointsDir, name);
    if (!existsSync(pointer)) throw new InputError(`checkpoint: ${path} holds no "${name}" checkpoint (no ${pointer}); the run may have stopped before its first checkpoint`);
    const target = (readJson(pointer) as { folder?: unknown }).folder;
    if (typeof target !== 'string') throw new InputError(`${pointer}: names no checkpoint folder; the file is damaged`);
    folder = join(checkpointsDir, target);
  }
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new InputError(`checkpoint: ${folder} is not a checkpoint folder (the pointer file names a folder that is gone?)`);
  const manifest = readManifest(folder);
  return {
    folder,
    manifest,
    arrays(role) {
      const file = manifest.files[role];
      if (!file) throw new InputError(`checkpoint ${folder}: no "${role}" entry; has ${Object.keys(manifest.files).join(', ')}`);
      const path = join(folder, file);
      const bytes = new Uint8Array(readFileSync(path));
      const expected = manifest.sha256?.[file];
      if (expected !== undefined && sha256(bytes) !== expected) {
        throw new InputError(`${path}: its SHA-256 differs from the one manifest.json recorded at save; the file is damaged`);
      }
      return decodeArrays(bytes, path);
    },
    file(role) {
      const file = manifest.files[role];
      if (!file) throw new InputError(`checkpoint ${folder}: no "${role}" entry; has ${Object.keys(manifest.files).join(', ')}`);
      return join(folder, file);
    },
  };
}
