#!/usr/bin/env node
// `npm run bench -- <name>...` runs bench/<name>.ts; no name runs them all.
// Benchmarks print `key=value` lines; they never fail on time.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const available = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();
const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
for (const name of names) {
  if (!available.includes(name)) {
    console.error(`unknown benchmark "${name}"; expected one of: ${available.join(', ')}`);
    process.exit(2);
  }
}
for (const name of names.length ? names : available) {
  console.log(`# bench ${name}`);
  const typescript = pathToFileURL(join(root, 'bin', 'typescript.mjs')).href;
  const result = spawnSync(process.execPath, ['--import', typescript, join(root, 'bench', `${name}.ts`), ...flags], {
    stdio: 'inherit',
    cwd: root,
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
