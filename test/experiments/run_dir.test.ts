import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunConfig } from '../../experiments/config/fields.ts';
import { createRunDir } from '../../experiments/run-dir.ts';

const CHILD = join(import.meta.dirname, 'fixtures', 'make_run_dir.ts');

function child(runsDir: string, startAt: number, runName: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const process_ = spawn(process.execPath, ['--import', './bin/typescript.mjs', CHILD, runsDir, String(startAt), runName], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    process_.stdout.on('data', (chunk) => (out += chunk));
    process_.on('error', reject);
    process_.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`make_run_dir exited with ${code}`))));
  });
}

describe('createRunDir', () => {
  it('never hands out a directory twice: a taken name gets _2, _3, ...', () => {
    const runsDir = join(mkdtempSync(join(tmpdir(), 'rad-rundir-')), 'runs');
    const config = { runs_dir: runsDir, run_name: 'same' } as RunConfig;
    expect([createRunDir(config), createRunDir(config), createRunDir(config)]).toEqual(['same', 'same_2', 'same_3'].map((name) => join(runsDir, name)));
  });

  it('gives processes that start together distinct directories (a search launching its runs at once)', async () => {
    const runsDir = mkdtempSync(join(tmpdir(), 'rad-rundir-'));
    const copies = 6;
    const startAt = Date.now() + 4000; // after every child has loaded
    const dirs = await Promise.all(Array.from({ length: copies }, () => child(runsDir, startAt, 'same')));
    expect(new Set(dirs).size).toBe(copies);
    expect(readdirSync(runsDir)).toHaveLength(copies);
  }, 60_000);
});
