import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AUGMENTATION_NAMES } from '../../augment/registry.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('bench/augment.ts', () => {
  it('prints one aug_ms_<name>=<number> line per augmentation and the encoder forward time', () => {
    const result = spawnSync(process.execPath, ['--import', pathToFileURL(join(root, 'bin', 'typescript.mjs')).href, join(root, 'bench', 'augment.ts'), '--batch=2'], {
      cwd: root,
      env: { ...process.env, RAD_THREADS: '1' }, // no SIMD worker threads to start for a smoke run
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status, result.stderr).toBe(0);
    const figures = new Map(
      result.stdout
        .split('\n')
        .filter((line) => /^[a-z_0-9]+=/.test(line))
        .map((line) => line.split('=') as [string, string]),
    );
    for (const name of AUGMENTATION_NAMES) expect(Number(figures.get(`aug_ms_${name}`))).toBeGreaterThanOrEqual(0);
    expect(Number(figures.get('encoder_forward_ms'))).toBeGreaterThan(0);
  });
});
