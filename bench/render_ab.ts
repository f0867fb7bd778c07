/**
 * This working tree's renderer against the one at a git revision: whether their
 * frames are the same, byte for byte, and how much faster this one renders.
 * Both run in this one process, alternating over the same recorded states in
 * short rounds, and each round gives a ratio: on this VM, whose speed swings up
 * to 3x within minutes, runs in separate processes compared the same code at
 * 0.90-1.56x, while two identical copies alternated here stay within 1-2%.
 * The base's render folder is checked out beside the live one
 * (envs/dmc/.render-ab-<pid>, removed afterwards), so its relative imports
 * resolve to this tree's scene loading and suite.
 *
 * Prints, per task, `render_ab_identical_<task>=true|false` (antialiased frames
 * at 84x84 over the recorded states) and `render_ab_ratio_<task>=<median of
 * new/base over rounds>`, with the quartiles and each renderer's frames/s on a
 * `#` line.
 *
 * Options: `--base=HEAD` (a git revision), `--tasks=walker-walk,cheetah-run,cartpole-swingup`,
 * `--rounds=80`, `--ms=100` (per renderer per round).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Random } from '../common/random.ts';
import { option, recordStates } from './_dmc.ts';
import { createRenderer } from '../envs/dmc/render/renderer.ts';
import { loadDmcEnv } from '../envs/dmc/suite.ts';

const base = option('base', 'HEAD');
const tasks = option('tasks', 'walker-walk,cheetah-run,cartpole-swingup').split(',');
const rounds = Number(option('rounds', '80'));
const milliseconds = Number(option('ms', '100'));
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`bench render_ab: --rounds must be a positive integer, got ${option('rounds', '')}`);
if (!(milliseconds > 0)) throw new Error(`bench render_ab: --ms must be a positive number, got ${option('ms', '')}`);

const root = fileURLToPath(new URL('..', import.meta.url));
const folder = join(root, 'envs', 'dmc', `.render-ab-${process.pid}`);
const extracted = mkdtempSync(join(tmpdir(), 'rad-render-ab-'));
const cleanUp = () => {
  rmSync(folder, { recursive: true, force: true });
  rmSync(extracted, { recursive: true, force: true });
};
process.on('exit', cleanUp);
process.on('SIGINT', () => process.exit(130));

try {
  const archive = execFileSync('git', ['archive', base, 'envs/dmc/render'], { cwd: root, maxBuffer: 1 << 28 });
  execFileSync('tar', ['-x', '-C', extracted], { input: archive });
} catch (error) {
  throw new Error(`bench render_ab: could not check out envs/dmc/render at --base=${base} (expected a git revision of this repository): ${(error as Error).message.split('\n')[0]}`);
}
if (!existsSync(join(extracted, 'envs/dmc/render/renderer.ts'))) throw new Error(`bench render_ab: ${base} has no envs/dmc/render/renderer.ts`);
renameSync(join(extracted, 'envs/dmc/render'), folder);
const baseModule = (await import(pathToFileURL(join(folder, 'renderer.ts')).href)) as { createRenderer: typeof createRenderer };

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];
console.log(`render_ab_base=${base} rounds=${rounds} ms=${milliseconds}`);
for (const task of tasks) {
  const env = await loadDmcEnv(task, { width: 84, height: 84 });
  try {
    const rng = Random.derive(0, `bench/render_ab/${task}`);
    const states = await recordStates(env, rng);
    const renderers = { base: baseModule.createRenderer(env.physics.model, { width: 84, height: 84, camera: 0 }), new: createRenderer(env.physics.model, { width: 84, height: 84, camera: 0 }) };
    let identical = true;
    for (const [qpos, qvel] of states) {
      env.physics.setState(qpos, qvel);
      const a = renderers.base.render(env.physics.data).data;
      const b = renderers.new.render(env.physics.data).data;
      for (let i = 0; i < a.length && identical; i++) if (a[i] !== b[i]) identical = false;
    }
    const rates: Record<'base' | 'new', number[]> = { base: [], new: [] };
    for (let round = 0; round < rounds; round++) {
      // Alternate which goes first, so that neither always follows the other.
      for (const name of round % 2 === 0 ? (['new', 'base'] as const) : (['base', 'new'] as const)) {
        let frames = 0;
        const start = performance.now();
        while (performance.now() - start < milliseconds) {
          const [qpos, qvel] = states[frames++ % states.length];
          env.physics.setState(qpos, qvel);
          renderers[name].render(env.physics.data);
        }
        rates[name].push((1000 * frames) / (performance.now() - start));
      }
    }
    const ratios = rates.new.map((rate, i) => rate / rates.base[i]).sort((a, b) => a - b);
    console.log(`render_ab_identical_${task}=${identical}`);
    console.log(`render_ab_ratio_${task}=${median(ratios).toFixed(3)}`);
    console.log(`# ${task}: quartiles ${ratios[ratios.length >> 2].toFixed(3)}-${ratios[(3 * ratios.length) >> 2].toFixed(3)}; frames/s base ${median(rates.base).toFixed(0)}, new ${median(rates.new).toFixed(0)}`);
  } finally {
    await env.close();
  }
}
