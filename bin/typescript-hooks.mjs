// Module hooks (node:module `register`) that load .ts files through esbuild's
// transform; see typescript.mjs. Imports name their .ts files in full, so Node's
// own resolution finds them; only loading needs a hook.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';

const options = {
  loader: 'ts',
  format: 'esm',
  target: `node${process.versions.node}`,
  sourcemap: 'inline',
  // As tsconfig.json's target ES2022 means for tsc: class fields are defined, not assigned.
  tsconfigRaw: { compilerOptions: { useDefineForClassFields: true } },
};

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const path = fileURLToPath(url);
  const { code } = transformSync(readFileSync(path, 'utf8'), { ...options, sourcefile: path });
  return { format: 'module', source: code, shortCircuit: true };
}
