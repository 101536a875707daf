// SVG line charts for benchmark reports (压测报告图表): rate and latency over time, drawn as plain SVG text so a report
// folder opens in any browser or Markdown viewer with no plotting library. Pure; svg-plot.test.ts covers it.

export interface Series {
  name: string;
  /** [x, y] points; non-finite ones are left out (a gap, not a zero). */
  points: readonly (readonly [number, number])[];
}

export interface PlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  width?: number;
  height?: number;
  /** A horizontal line, e.g. the target. */
  reference?: { y: number; label: string };
  /** Start the y axis at 0 (default), or at the data's minimum. */
  yFromZero?: boolean;
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#17becf'];

/** Text for SVG: &, <, > and quotes escaped. */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

/** About `count` round tick values (1, 2, 2.5 or 5 × a power of ten) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max === min) return [min];
  const raw = (max - min) / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  // k × step, trimmed to 12 significant digits: 3 × 0.2 is 0.6000000000000001 in binary floating point.
  for (let k = Math.ceil(min / step - 1e-9); k * step <= max + step * 1e-9; k++) {
    ticks.push(Number((k * step).toPrecision(12)));
  }
  return ticks;
}

/** A tick label: 12,000 → "12k", 0.5 → "0.5". */
export function tickLabel(v: number): string {
  const abs = Math.abs(v);
  if (abs >= 1e6) return `${+(v / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `${+(v / 1e3).toFixed(1)}k`;
  return String(+v.toFixed(2));
}

const fmt = (x: number) => (Math.round(x * 10) / 10).toString();

/** A line chart with axes, ticks, a legend and an optional reference line, as a standalone SVG document. */
export function linePlot(options: PlotOptions): string {
  const width = options.width ?? 720;
  const height = options.height ?? 320;
  const m = { left: 64, right: 16, top: 36, bottom: 44 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const series = options.series.map((s) => ({
    name: s.name,
    points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)),
  }));
  const all = series.flatMap((s) => s.points);
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y);
  if (options.reference) ys.push(options.reference.y);
  let [xMin, xMax] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  let [yMin, yMax] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  if (options.yFromZero !== false) yMin = Math.min(0, yMin);
  if (xMax === xMin) xMax = xMin + 1;
  if (yMax === yMin) yMax = yMin + 1;
  // Round the y range out to ticks, so the top line is labelled.
  const yTicks = niceTicks(yMin, yMax);
  const step = yTicks.length > 1 ? yTicks[1]! - yTicks[0]! : 0;
  if (step > 0 && yTicks[yTicks.length - 1]! < yMax) yTicks.push(yTicks[yTicks.length - 1]! + step);
  if (yTicks.length) [yMin, yMax] = [Math.min(yMin, yTicks[0]!), Math.max(yMax, yTicks[yTicks.length - 1]!)];
  const xTicks = niceTicks(xMin, xMax, 8);
  xMin = Math.min(xMin, xTicks[0] ?? xMin);
  const sx = (x: number) => m.left + ((x - xMin) / (xMax - xMin)) * w;
  const sy = (y: number) => m.top + h - ((y - yMin) / (yMax - yMin)) * h;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="sans-serif" font-size="11">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(options.title)}</text>`,
  ];
  for (const t of yTicks) {
    parts.push(
      `<line x1="${m.left}" x2="${m.left + w}" y1="${fmt(sy(t))}" y2="${fmt(sy(t))}" stroke="#e5e5e5"/>`,
      `<text x="${m.left - 6}" y="${fmt(sy(t) + 4)}" text-anchor="end">${escapeXml(tickLabel(t))}</text>`,
    );
  }
  for (const t of xTicks) {
    if (t < xMin || t > xMax) continue;
    parts.push(
      `<line x1="${fmt(sx(t))}" x2="${fmt(sx(t))}" y1="${m.top + h}" y2="${m.top + h + 4}" stroke="#333"/>`,
      `<text x="${fmt(sx(t))}" y="${m.top + h + 16}" text-anchor="middle">${escapeXml(tickLabel(t))}</text>`,
    );
  }
  parts.push(
    `<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + h}" stroke="#333"/>`,
    `<line x1="${m.left}" x2="${m.left + w}" y1="${m.top + h}" y2="${m.top + h}" stroke="#333"/>`,
    `<text x="${m.left + w / 2}" y="${height - 8}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
    `<text transform="translate(14 ${m.top + h / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`,
  );
  if (options.reference) {
    const y = fmt(sy(options.reference.y));
    parts.push(
      `<line x1="${m.left}" x2="${m.left + w}" y1="${y}" y2="${y}" stroke="#888" stroke-dasharray="6 4"/>`,
      `<text x="${m.left + w - 4}" y="${fmt(sy(options.reference.y) - 4)}" text-anchor="end" fill="#555">` +
        `${escapeXml(options.reference.label)}</text>`,
    );
  }
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    if (s.points.length > 0) {
      const d = s.points.map(([x, y]) => `${fmt(sx(x))},${fmt(sy(y))}`).join(' ');
      parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="1.8" points="${d}"/>`);
      // Few points: mark each, so a single sample still shows.
      if (s.points.length <= 60) {
        for (const [x, y] of s.points) {
          parts.push(`<circle cx="${fmt(sx(x))}" cy="${fmt(sy(y))}" r="2.5" fill="${colour}"/>`);
        }
      }
    }
    const ly = m.top + 4 + i * 14;
    parts.push(
      `<line x1="${m.left + 8}" x2="${m.left + 24}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`,
      `<text x="${m.left + 28}" y="${ly + 4}">${escapeXml(s.name)}</text>`,
    );
  });
  if (all.length === 0) {
    parts.push(`<text x="${m.left + w / 2}" y="${m.top + h / 2}" text-anchor="middle" fill="#888">no data</text>`);
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
