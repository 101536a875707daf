// 报表图表 the monthly report's charts as inline SVG, drawn on the server (no script, so the HTML and its PDF look the
// same): a daily line chart and grouped or stacked bar charts. Pure string building; every label is escaped.

export const PALETTE = ['#2563eb', '#16a34a', '#dc2626', '#d97706', '#7c3aed', '#0891b2'] as const;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

export interface Series {
  name: string;
  values: readonly number[];
  color?: string;
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/** A "nice" upper bound for an axis: 1, 2 or 5 × a power of ten, at least 1. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 5, 10]) if (m * power >= value) return m * power;
  return 10 * power;
}

function legend(series: readonly Series[], x: number, y: number): string {
  return series
    .map((s, i) => {
      const color = s.color ?? PALETTE[i % PALETTE.length];
      const lx = x + i * 130;
      return `<rect x="${lx}" y="${y - 9}" width="10" height="10" fill="${color}"/><text x="${lx + 14}" y="${y}" font-size="11">${escapeHtml(s.name)}</text>`;
    })
    .join('');
}

function frame(title: string, width: number, height: number, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeHtml(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="'Noto Sans CJK SC','Noto Serif CJK SC',sans-serif"><title>${escapeHtml(title)}</title>${body}</svg>`;
}

/** Lines over categories (days), with a y axis from 0 and every n-th category labelled. */
export function lineChart(
  title: string,
  labels: readonly string[],
  series: readonly Series[],
  width = 680,
  height = 240,
): string {
  const left = 40;
  const right = 10;
  const top = 24;
  const bottom = 36;
  const w = width - left - right;
  const h = height - top - bottom;
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const step = labels.length > 1 ? w / (labels.length - 1) : 0;
  const x = (i: number) => left + (labels.length > 1 ? i * step : w / 2);
  const y = (v: number) => top + h - (v / max) * h;
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const gy = top + h - f * h;
      return `<line x1="${left}" y1="${gy}" x2="${left + w}" y2="${gy}" stroke="#e5e7eb"/><text x="${left - 4}" y="${gy + 4}" font-size="10" text-anchor="end">${fmt(max * f)}</text>`;
    })
    .join('');
  const every = Math.max(1, Math.ceil(labels.length / 10));
  const ticks = labels
    .map((l, i) =>
      i % every === 0
        ? `<text x="${x(i)}" y="${top + h + 14}" font-size="10" text-anchor="middle">${escapeHtml(l)}</text>`
        : '',
    )
    .join('');
  const lines = series
    .map((s, si) => {
      const color = s.color ?? PALETTE[si % PALETTE.length];
      const pts = s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
      const dots = s.values
        .map((v, i) => `<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2" fill="${color}"/>`)
        .join('');
      return `<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="2"/>${dots}`;
    })
    .join('');
  return frame(title, width, height, `${grid}${ticks}${lines}${legend(series, left, height - 6)}`);
}

/**
 * Horizontal bars, one group per category: grouped (each series its own bar) or stacked (one bar per category).
 * Long category lists should be cut by the caller.
 */
export function barChart(
  title: string,
  labels: readonly string[],
  series: readonly Series[],
  options: { stacked?: boolean; width?: number } = {},
): string {
  const width = options.width ?? 680;
  const left = 150;
  const right = 40;
  const top = 10;
  const bar = 12;
  const gap = 10;
  const perGroup = options.stacked ? bar : bar * series.length;
  const h = labels.length * (perGroup + gap);
  const height = top + h + 34;
  const w = width - left - right;
  const totals = labels.map((_, i) =>
    options.stacked
      ? series.reduce((s, x) => s + (x.values[i] ?? 0), 0)
      : Math.max(0, ...series.map((x) => x.values[i] ?? 0)),
  );
  const max = niceMax(Math.max(0, ...totals));
  const scale = (v: number) => (v / max) * w;
  const rows = labels
    .map((label, i) => {
      const gy = top + i * (perGroup + gap);
      let offset = 0;
      const bars = series
        .map((s, si) => {
          const v = s.values[i] ?? 0;
          const color = s.color ?? PALETTE[si % PALETTE.length];
          const by = options.stacked ? gy : gy + si * bar;
          const bx = left + (options.stacked ? scale(offset) : 0);
          offset += v;
          const value =
            !options.stacked && v > 0
              ? `<text x="${bx + scale(v) + 3}" y="${by + bar - 2}" font-size="10">${fmt(v)}</text>`
              : '';
          return `<rect x="${bx.toFixed(1)}" y="${by}" width="${scale(v).toFixed(1)}" height="${bar - 1}" fill="${color}"/>${value}`;
        })
        .join('');
      const total = options.stacked
        ? `<text x="${left + scale(totals[i]!) + 3}" y="${gy + bar - 2}" font-size="10">${fmt(totals[i]!)}</text>`
        : '';
      return `<text x="${left - 6}" y="${gy + perGroup / 2 + 4}" font-size="11" text-anchor="end">${escapeHtml(label)}</text>${bars}${total}`;
    })
    .join('');
  const axis = `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + h}" stroke="#9ca3af"/><text x="${left + w}" y="${top + h + 12}" font-size="10" text-anchor="end">${fmt(max)}</text>`;
  return frame(title, width, height, `${axis}${rows}${legend(series, left, height - 6)}`);
}
