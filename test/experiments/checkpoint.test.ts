import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../common/errors.ts';
import { Random } from '../../common/random.ts';
import { decodeArrays, encodeArrays, loadCheckpoint, packageVersion, saveCheckpoint, type LoopState } from '../../experiments/checkpoint.ts';

const state = (envStep: number): LoopState => ({
  agentStep: envStep / 2, envStep, updateStep: envStep / 2 - 5, episode: 3, elapsedSeconds: 12.5, nextEvalAt: 100, bestEvalReturn: 4.5,
  rng: { env: new Random(1).getState() }, episodeReturn: 0, episodeLength: 0, extra: { evaluations: [{ envStep: 0, mean: 1 }] },
});

describe('checkpoints', () => {
  it('round-trips named arrays of each dtype', () => {
    const arrays = { 'online/w': Float32Array.from([1.5, -2, 3]), counts: Int32Array.from([7]), bytes: Uint8Array.from([1, 2, 3, 4, 5]), wide: Float64Array.from([Math.PI]) };
    const decoded = decodeArrays(encodeArrays(arrays), 'test');
    expect(decoded).toEqual(arrays);
    expect(decoded['online/w']).toBeInstanceOf(Float32Array);
    const encoded = encodeArrays(arrays);
    expect(() => decodeArrays(encoded.subarray(0, encoded.length - 4), 'x.arrays')).toThrow(/x.arrays: entry wide runs past the end/);
    expect(() => decodeArrays(encoded.subarray(0, 60), 'x.arrays')).toThrow(/x.arrays: truncated header/);
    expect(() => decodeArrays(new Uint8Array(20), 'y.arrays')).toThrow(/bad magic/);
  });

  it('saves a versioned manifest with steps, RNG states and backend, and loads it back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rad-ckpt-'));
    const weights = { 'online/w': Float32Array.from([1, 2]) };
    await saveCheckpoint(dir, 'latest', {
      state: state(40),
      backend: { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', threads: 1 },
      arrays: { agent: weights },
      files: { replay: { fileName: 'replay.bin', write: (path) => writeFileSync(path, 'replay bytes') } },
    });
    const loaded = loadCheckpoint(dir);
    expect(loaded.manifest).toMatchObject({ format: 'rad-checkpoint', formatVersion: 1, packageVersion: packageVersion(), backend: { name: 'cpu' }, envStep: 40, agentStep: 20, rng: { env: new Random(1).getState() } });
    expect(loaded.arrays('agent')).toEqual(weights);
    expect(readFileSync(loaded.file('replay'), 'utf8')).toBe('replay bytes');
    expect(() => loaded.arrays('optimizer')).toThrow(/no "optimizer" entry; has agent, replay/);
  });

  it('a save that dies half-way leaves the previous checkpoint in force', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rad-ckpt-'));
    const backend = { name: 'cpu', package: 'p', threads: 1 };
    await saveCheckpoint(dir, 'latest', { state: state(40), backend, arrays: { agent: { w: Float32Array.from([1]) } } });
    // The next save fails while writing its files (a kill would stop it at the same point).
    await expect(
      saveCheckpoint(dir, 'latest', {
        state: state(80), backend, arrays: { agent: { w: Float32Array.from([2]) } },
        files: { replay: { fileName: 'replay.bin', write: () => { throw new Error('disk full'); } } },
      }),
    ).rejects.toThrow('disk full');
    expect(loadCheckpoint(dir).manifest.envStep).toBe(40);
    expect(loadCheckpoint(dir).arrays('agent').w[0]).toBe(1);
    // A later save replaces it and removes the older folder.
    await saveCheckpoint(dir, 'latest', { state: state(120), backend, arrays: { agent: { w: Float32Array.from([3]) } } });
    expect(loadCheckpoint(dir).manifest.envStep).toBe(120);
    expect(readdirSync(dir).filter((name) => name.startsWith('latest.step_') && !name.includes('.tmp-'))).toEqual(['latest.step_0000000120']);
  });

  it('refuses a checkpoint of another format version, naming both', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rad-ckpt-'));
    const folder = await saveCheckpoint(dir, 'latest', { state: state(40), backend: { name: 'cpu', package: 'p', threads: 1 }, arrays: {} });
    const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8'));
    writeFileSync(join(folder, 'manifest.json'), JSON.stringify({ ...manifest, formatVersion: 99, packageVersion: '9.9.9' }));
    expect(() => loadCheckpoint(dir)).toThrow(/format version 99 \(written by rad 9.9.9\); this rad .* reads version 1/);
    mkdirSync(join(dir, 'empty'));
    expect(() => loadCheckpoint(join(dir, 'empty'))).toThrow(/holds no "latest" checkpoint/);
  });

  it('refuses damaged files, naming them, as bad input (InputError: rad exits with 2): a changed byte in an arrays file, a manifest or pointer that is not JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rad-ckpt-'));
    const folder = await saveCheckpoint(dir, 'latest', { state: state(40), backend: { name: 'cpu', package: 'p', threads: 1 }, arrays: { weights: { w: Float32Array.from([1, 2, 3]) } } });
    const weightsFile = join(folder, 'weights.arrays');
    const bytes = readFileSync(weightsFile);
    bytes[bytes.length - 1] ^= 0x40; // in the data, past the header: decoding alone would not notice
    writeFileSync(weightsFile, bytes);
    expect(() => loadCheckpoint(dir).arrays('weights')).toThrow(/weights\.arrays: its SHA-256 differs from the one manifest\.json recorded at save; the file is damaged/);
    expect(() => loadCheckpoint(dir).arrays('weights')).toThrow(InputError);
    writeFileSync(join(folder, 'manifest.json'), '{"format": "rad-chec');
    expect(() => loadCheckpoint(dir)).toThrow(/manifest\.json: not valid JSON \(.*\); the file is damaged/);
    writeFileSync(join(dir, 'latest.json'), 'garbage');
    expect(() => loadCheckpoint(dir)).toThrow(/latest\.json: not valid JSON/);
    writeFileSync(join(dir, 'latest.json'), '{"folder": "latest.step_gone"}');
    expect(() => loadCheckpoint(dir)).toThrow(/latest\.step_gone is not a checkpoint folder/);
    expect(() => loadCheckpoint(dir)).toThrow(InputError);
    expect(() => decodeArrays(new Uint8Array(20), 'y.arrays')).toThrow(InputError);
  });
});
