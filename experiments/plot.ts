/**
 * `rad plot <run dirs...>`: learning curves as SVG and PNG, mean ± std (or the
 * 95% confidence interval of the mean) over seeds, x in env steps. The PNG is
 * rasterized here (experiments/plot/raster.ts) and written through
 * common/png.ts; both files are written atomically because the training loop
 * refreshes them while a person may be looking.
 */
import { InputError } from '../common/errors.ts';
import { writeFileAtomic } from './atomic.ts';
import { encodePng } from '../common/png.ts';
import { aggregateCurves, formatTick, niceTicks, readRunCurve, type AggregateCurve, type Band } from './plot/curves.ts';
import { Canvas, type Rgb } from './plot/raster.ts';

const palette: Rgb[] = [
  [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189], [140, 86, 75], [227, 119, 194], [127, 127, 127],
];

interface Layout {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
  xTicks: number[];
  yTicks: number[];
  x(step: number): number;
  y(value: number): number;
}

/** The plot box's left and right margins, and where legend text starts right of the box's left edge (pixels). */
const LEFT = 70;
const RIGHT_MARGIN = 20;
const LEGEND_TEXT = 20;

function layout(curves: AggregateCurve[], width: number, height: number): Layout {
  const steps = curves.flatMap((curve) => curve.envSteps);
  const lows = curves.flatMap((curve) => curve.mean.map((m, i) => m - curve.band[i]));
  const highs = curves.flatMap((curve) => curve.mean.map((m, i) => m + curve.band[i]));
  let [xLow, xHigh] = [0, Math.max(1, ...steps)];
  let [yLow, yHigh] = [Math.min(0, ...lows), Math.max(...highs)];
  if (!(yHigh > yLow)) yHigh = yLow + 1;
  yHigh += 0.05 * (yHigh - yLow); // headroom: the best return does not touch the frame
  const xTicks = niceTicks(xLow, xHigh);
  const yTicks = niceTicks(yLow, yHigh);
  xHigh = Math.max(xHigh, xTicks[xTicks.length - 1]);
  yLow = Math.min(yLow, yTicks[0]);
  yHigh = Math.max(yHigh, yTicks[yTicks.length - 1]);
  const [left, right, top, bottom] = [LEFT, width - RIGHT_MARGIN, 40, height - 50 - 18 * curves.length];
  return {
    width, height, left, right, top, bottom, xTicks, yTicks,
    x: (step) => left + ((step - xLow) / (xHigh - xLow)) * (right - left),
    y: (value) => bottom - ((value - yLow) / (yHigh - yLow)) * (bottom - top),
  };
}

function legend(curve: AggregateCurve): string {
  return `${curve.label} (${curve.seeds} run${curve.seeds === 1 ? '' : 's'}${curve.bandKind === 'ci95' ? ', 95% CI' : ''})`;
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const hex = (color: Rgb) => '#' + color.map((c) => c.toString(16).padStart(2, '0')).join('');

export function renderSvg(curves: AggregateCurve[], title: string, width = 800, height = 500): string {
  const box = layout(curves, width, height);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`, `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`];
  for (const tick of box.xTicks) {
    parts.push(`<line x1="${box.x(tick)}" y1="${box.top}" x2="${box.x(tick)}" y2="${box.bottom}" stroke="#e5e5e5"/>`,
      `<text x="${box.x(tick)}" y="${box.bottom + 16}" text-anchor="middle">${formatTick(tick)}</text>`);
  }
  for (const tick of box.yTicks) {
    parts.push(`<line x1="${box.left}" y1="${box.y(tick)}" x2="${box.right}" y2="${box.y(tick)}" stroke="#e5e5e5"/>`,
      `<text x="${box.left - 6}" y="${box.y(tick) + 4}" text-anchor="end">${formatTick(tick)}</text>`);
  }
  parts.push(`<rect x="${box.left}" y="${box.top}" width="${box.right - box.left}" height="${box.bottom - box.top}" fill="none" stroke="#444"/>`,
    `<text x="${(box.left + box.right) / 2}" y="${box.bottom + 34}" text-anchor="middle">env steps</text>`,
    `<text transform="translate(16 ${(box.top + box.bottom) / 2}) rotate(-90)" text-anchor="middle">eval return</text>`);
  curves.forEach((curve, index) => {
    const color = hex(palette[index % palette.length]);
    const upper = curve.envSteps.map((s, i) => `${box.x(s).toFixed(2)},${box.y(curve.mean[i] + curve.band[i]).toFixed(2)}`);
    const lower = curve.envSteps.map((s, i) => `${box.x(s).toFixed(2)},${box.y(curve.mean[i] - curve.band[i]).toFixed(2)}`).reverse();
    parts.push(`<polygon points="${[...upper, ...lower].join(' ')}" fill="${color}" fill-opacity="0.2" stroke="none"/>`,
      `<polyline points="${curve.envSteps.map((s, i) => `${box.x(s).toFixed(2)},${box.y(curve.mean[i]).toFixed(2)}`).join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`);
    const legendY = box.bottom + 50 + index * 18;
    parts.push(`<rect x="${box.left}" y="${legendY - 9}" width="14" height="10" fill="${color}"/>`,
      `<text x="${box.left + LEGEND_TEXT}" y="${legendY}">${escapeXml(legend(curve))}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

export function renderPng(curves: AggregateCurve[], title: string, width = 800, height = 500): Uint8Array {
  const box = layout(curves, width, height);
  const canvas = new Canvas(width, height);
  const ink: Rgb = [40, 40, 40];
  const grid: Rgb = [229, 229, 229];
  canvas.text((width - Canvas.textWidth(title)) / 2, 12, title, ink);
  for (const tick of box.xTicks) {
    canvas.fillRect(Math.round(box.x(tick)), box.top, Math.round(box.x(tick)) + 1, box.bottom, grid);
    const label = formatTick(tick);
    canvas.text(Math.round(box.x(tick) - Canvas.textWidth(label) / 2), box.bottom + 8, label, ink);
  }
  for (const tick of box.yTicks) {
    canvas.fillRect(box.left, Math.round(box.y(tick)), box.right, Math.round(box.y(tick)) + 1, grid);
    const label = formatTick(tick);
    canvas.text(box.left - 6 - Canvas.textWidth(label), Math.round(box.y(tick)) - 5, label, ink);
  }
  canvas.text((box.left + box.right - Canvas.textWidth('env steps')) / 2, box.bottom + 26, 'env steps', ink);
  canvas.text(6, box.top - 16, 'eval return', ink);
  curves.forEach((curve, index) => {
    const color = palette[index % palette.length];
    const xs = curve.envSteps.map(box.x);
    canvas.band(xs, curve.mean.map((m, i) => box.y(m + curve.band[i])), curve.mean.map((m, i) => box.y(m - curve.band[i])), color, 0.2);
    canvas.polyline(xs.map((x, i) => [x, box.y(curve.mean[i])]), color, 2);
    const legendY = box.bottom + 44 + index * 18;
    canvas.fillRect(box.left, legendY, box.left + 14, legendY + 10, color);
    canvas.text(box.left + LEGEND_TEXT, legendY, legend(curve), ink);
  });
  for (const [x0, y0, x1, y1] of [[box.left, box.top, box.right, box.top + 1], [box.left, box.bottom, box.right + 1, box.bottom + 1], [box.left, box.top, box.left + 1, box.bottom], [box.right, box.top, box.right + 1, box.bottom]]) {
    canvas.fillRect(x0, y0, x1, y1, [68, 68, 68]);
  }
  return encodePng(canvas.image);
}

/**
 * Plots the eval curves of `runDirs` to `<outBase>.svg` and `<outBase>.png`.
 * Returns the curves drawn.
 */
export function plotRuns(runDirs: string[], outBase: string, options: { title?: string; metric?: string; band?: Band } = {}): AggregateCurve[] {
  if (runDirs.length === 0) throw new InputError('plot: give at least one run directory');
  const curves = aggregateCurves(runDirs.map((dir) => readRunCurve(dir, options.metric)), options.band);
  const title = options.title ?? 'evaluation return';
  // Wide enough for the longest legend line (labels grow with the keys in which settings differ).
  const width = Math.max(800, LEFT + LEGEND_TEXT + Math.max(...curves.map((curve) => Canvas.textWidth(legend(curve)))) + RIGHT_MARGIN);
  writeFileAtomic(`${outBase}.svg`, renderSvg(curves, title, width));
  writeFileAtomic(`${outBase}.png`, renderPng(curves, title, width));
  return curves;
}
