import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../common/errors.ts';
import { decodePng } from '../../common/png.ts';
import { aggregateCurves, readRunCurve, studentT975 } from '../../experiments/plot/curves.ts';
import { plotRuns } from '../../experiments/plot.ts';

/** A run directory: config.yaml (preset quick, `env`, `seed`, and the `more` YAML lines) and eval.csv. */
function fakeRun(root: string, seed: number, rows: [number, number][], more = '', name = `run-${seed}`, env = 'dmc:cartpole-swingup'): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.yaml'), `preset: quick\nenv: ${env}\nseed: ${seed}\n${more}`);
  writeFileSync(join(dir, 'eval.csv'), ['agent_step,env_step,eval/return_mean', ...rows.map(([step, value]) => `${step / 8},${step},${value}`)].join('\n') + '\n');
  return dir;
}

describe('learning curves', () => {
  it('averages seeds at each env step: mean ± population std', () => {
    const root = mkdtempSync(join(tmpdir(), 'rad-plot-'));
    const a = fakeRun(root, 1, [[0, 10], [1000, 100], [2000, 300]]);
    const b = fakeRun(root, 2, [[0, 20], [1000, 200]]);
    const [curve] = aggregateCurves([readRunCurve(a), readRunCurve(b)]);
    expect(curve.label).toBe('quick dmc:cartpole-swingup');
    expect(curve.seeds).toBe(2);
    expect(curve.envSteps).toEqual([0, 1000, 2000]);
    expect(curve.mean).toEqual([15, 150, 300]);
    expect(curve.std).toEqual([5, 50, 0]);
  });

  it('averages only runs of one setting: runs that differ in more than the seed (and output, backend, budgets) are curves of their own', () => {
    const root = mkdtempSync(join(tmpdir(), 'rad-plot-'));
    const runs = [
      fakeRun(root, 1, [[0, 10]], 'aug: crop\nlr: 0.001\nbackend: wasm\n', 'crop-1'),
      fakeRun(root, 2, [[0, 20]], 'aug: crop\nlr: 0.001\nbackend: cpu\nenv_steps: 5000\nrun_name: x\n', 'crop-2'),
      fakeRun(root, 1, [[0, 100]], 'aug: translate\nlr: 0.001\n', 'translate-1'),
      fakeRun(root, 1, [[0, 1000]], 'aug: translate\nlr: 0.0002\n', 'translate-slow-1'),
    ].map((dir) => readRunCurve(dir));
    const curves = aggregateCurves(runs);
    expect(curves.map((curve) => [curve.label, curve.seeds, curve.mean[0]])).toEqual([
      ['quick dmc:cartpole-swingup aug=crop lr=0.001', 2, 15],
      ['quick dmc:cartpole-swingup aug=translate lr=0.001', 1, 100],
      ['quick dmc:cartpole-swingup aug=translate lr=0.0002', 1, 1000],
    ]);
    // Another env is another label: its setting is not compared with these.
    const walker = readRunCurve(fakeRun(root, 1, [[0, 5]], 'aug: none\n', 'walker-1', 'dmc:walker-walk'));
    expect(aggregateCurves([walker, runs[0]]).map((curve) => curve.label)).toEqual(['quick dmc:walker-walk', 'quick dmc:cartpole-swingup']);
  });

  it("shows a search's numbers with the fewest digits that still tell them apart", () => {
    const root = mkdtempSync(join(tmpdir(), 'rad-plot-'));
    const runs = [
      fakeRun(root, 1, [[0, 10]], 'lr: 0.0009083771741813924\n', 'a'),
      fakeRun(root, 1, [[0, 20]], 'lr: 0.001080647157168213\n', 'b'),
      fakeRun(root, 1, [[0, 30]], 'lr: 0.0010835475550525684\n', 'c'),
    ].map((dir) => readRunCurve(dir));
    expect(aggregateCurves(runs).map((curve) => curve.label)).toEqual([
      'quick dmc:cartpole-swingup lr=0.0009084',
      'quick dmc:cartpole-swingup lr=0.001081',
      'quick dmc:cartpole-swingup lr=0.001084',
    ]);
    expect(aggregateCurves(runs.slice(0, 2)).map((curve) => curve.label)).toEqual(['quick dmc:cartpole-swingup lr=0.000908', 'quick dmc:cartpole-swingup lr=0.00108']);
  });

  it("draws the mean's 95% confidence interval on request (Student's t over the seeds that reached each step)", () => {
    const root = mkdtempSync(join(tmpdir(), 'rad-plot-'));
    const runs = [fakeRun(root, 1, [[0, 10], [1000, 5]]), fakeRun(root, 2, [[0, 20]]), fakeRun(root, 3, [[0, 30]])].map((dir) => readRunCurve(dir));
    const [curve] = aggregateCurves(runs, 'ci95');
    expect(curve.counts).toEqual([3, 1]);
    // At step 0: mean 20, sample std 10, t(2) = 4.303, so 4.303 * 10 / sqrt(3); one run at step 1000: no interval.
    expect(curve.band[0]).toBeCloseTo((4.303 * 10) / Math.sqrt(3), 10);
    expect(curve.band[1]).toBe(0);
    expect(curve.std[0]).toBeCloseTo(Math.sqrt(200 / 3), 10); // the population std is still there
    expect(aggregateCurves(runs)[0].band).toEqual(aggregateCurves(runs)[0].std);
    // The table's end and the expansion beyond it meet (t(30) = 2.042, t(31) = 2.040), and tend to z.
    expect(studentT975(1)).toBe(12.706);
    expect(studentT975(31)).toBeCloseTo(2.0395, 3);
    expect(studentT975(1000)).toBeCloseTo(1.9623, 3);
    const base = join(root, 'ci');
    plotRuns(runs.map((run) => run.dir), base, { band: 'ci95' });
    expect(readFileSync(`${base}.svg`, 'utf8')).toContain('quick dmc:cartpole-swingup (3 runs, 95% CI)');
  });

  it('widens the images to the longest legend line (labels grow with the keys in which settings differ)', () => {
    const root = mkdtempSync(join(tmpdir(), 'rad-plot-'));
    const spec = 'crop-cutout-cutout_color-grayscale-flip-rotate-color_jitter';
    const dirs = [fakeRun(root, 1, [[0, 1]], `aug: ${spec}\n`, 'long'), fakeRun(root, 1, [[0, 2]], 'aug: crop\n', 'short')];
    const base = join(root, 'wide');
    plotRuns(dirs, base);
    // Each character is 8 pixels wide in the PNG's font; the legend starts 90 pixels in, 20 spare at the end.
    const width = 90 + 8 * `quick dmc:cartpole-swingup aug=${spec} (1 run)`.length + 20;
    expect(width).toBeGreaterThan(800);
    expect(decodePng(readFileSync(`${base}.png`)).shape[1]).toBe(width);
    expect(readFileSync(`${base}.svg`, 'utf8')).toContain(`width="${width}"`);
  });

  it('writes an SVG and a PNG with the mean line and the std band', () => {
    const root = mkdtempSync(join(tmpdir(), 'rad-plot-'));
    const dirs = [fakeRun(root, 1, [[0, 0], [5000, 400], [10000, 800]]), fakeRun(root, 2, [[0, 0], [5000, 200], [10000, 600]])];
    const base = join(root, 'curves');
    plotRuns(dirs, base, { title: 'cartpole' });
    const svg = readFileSync(`${base}.svg`, 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('<polyline');
    expect(svg).toContain('fill-opacity="0.2"');
    expect(svg).toContain('quick dmc:cartpole-swingup (2 runs)');
    expect(svg).toContain('env steps');
    const image = decodePng(readFileSync(`${base}.png`));
    expect(image.shape).toEqual([500, 800, 3]);
    let line = 0;
    let band = 0;
    for (let i = 0; i < image.data.length; i += 3) {
      const [r, g, b] = [image.data[i], image.data[i + 1], image.data[i + 2]];
      if (r === 31 && g === 119 && b === 180) line++; // the first palette colour, opaque
      else if (r === 210 && g === 228 && b === 240) band++; // a light tint of it: the band at 20%
    }
    expect(line).toBeGreaterThan(500);
    expect(band).toBeGreaterThan(1000);
  });

  it('names a run without eval.csv, without the metric, or with a damaged config.yaml, as bad input (exit code 2)', () => {
    const root = mkdtempSync(join(tmpdir(), 'rad-plot-'));
    mkdirSync(join(root, 'empty'));
    expect(() => plotRuns([join(root, 'empty')], join(root, 'x'))).toThrow(/empty has no eval.csv/);
    expect(() => plotRuns([join(root, 'missing')], join(root, 'x'))).toThrow(/missing does not exist/);
    mkdirSync(join(root, 'torn'));
    writeFileSync(join(root, 'torn', 'eval.csv'), 'agent_step,env_step\n1,2\n');
    expect(() => plotRuns([join(root, 'torn')], join(root, 'x'))).toThrow(/torn\/eval\.csv has no column "eval\/return_mean"; columns: agent_step, env_step/);
    writeFileSync(join(root, 'torn', 'eval.csv'), 'env_step,eval/return_mean\n2,1.5\n');
    writeFileSync(join(root, 'torn', 'config.yaml'), 'seed: [');
    expect(() => plotRuns([join(root, 'torn')], join(root, 'x'))).toThrow(/torn\/config\.yaml is not valid YAML \(.*\); the file is damaged/);
    for (const dir of ['empty', 'missing', 'torn']) expect(() => plotRuns([join(root, dir)], join(root, 'x'))).toThrow(InputError);
    expect(() => plotRuns([], join(root, 'x'))).toThrow(InputError);
  });
});
