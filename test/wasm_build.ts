/**
 * The project's WebAssembly kernels ship built, beside their C source and a
 * build.sh (agents/tf/simd, envs/dmc/render/kernels). Where clang-14 and lld-14
 * are installed (.ci/run installs them), a test checks that the committed module
 * is what its build script makes of the source.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const clang = spawnSync('clang-14', ['--version']).status === 0 && spawnSync('llvm-objdump-14', ['--version']).status === 0;

/** A test: `folder`/build.sh, run into a temporary file, makes `folder`/`module` byte for byte. */
export function itIsWhatBuildShMakes(folder: string, module: string): void {
  it.skipIf(!clang)(`${module} is what build.sh makes of its C sources (runs where clang-14 and lld-14 are installed)`, () => {
    const directory = mkdtempSync(join(tmpdir(), 'rad-wasm-build-'));
    try {
      const built = join(directory, module);
      execFileSync(join(folder, 'build.sh'), [built], { stdio: 'pipe' });
      expect(Buffer.compare(readFileSync(built), readFileSync(join(folder, module)))).toBe(0);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
}
