// SVG line charts: ticks, scaling into the plot box, escaping, gaps, the reference line and empty plots.
import { describe, expect, it } from 'vitest';
import { escapeXml, linePlot, niceTicks, tickLabel } from './svg-plot.js';

const polylines = (svg: string) => [...svg.matchAll(/<polyline [^>]*points="([^"]*)"/g)].map((m) => m[1]!);
const pts = (attr: string) => attr.split(' ').map((p) => p.split(',').map(Number) as [number, number]);

describe('ticks', () => {
  it('are round numbers covering the range', () => {
    expect(niceTicks(0, 20_000)).toEqual([0, 5000, 10_000, 15_000, 20_000]);
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(3, 3)).toEqual([3]);
    expect(niceTicks(NaN, 1)).toEqual([]);
    expect(tickLabel(12_000)).toBe('12k');
    expect(tickLabel(2_500_000)).toBe('2.5M');
    expect(tickLabel(0.25)).toBe('0.25');
  });
});

describe('line plots', () => {
  const svg = linePlot({
    title: 'Rate <a & b>',
    xLabel: 'seconds',
    yLabel: 'msgs/s',
    width: 600,
    height: 300,
    series: [
      {
        name: 'acked',
        points: [
          [0, 0],
          [10, 100],
          [20, 50],
        ],
      },
      {
        name: 'committed',
        points: [
          [0, 10],
          [5, NaN],
          [20, 40],
        ],
      },
    ],
    reference: { y: 120, label: 'target' },
  });

  it('is a standalone SVG document with the title escaped', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('Rate &lt;a &amp; b&gt;');
    expect(svg).not.toContain('<a & b>');
    expect(escapeXml(`"it's"`)).toBe('&quot;it&apos;s&quot;');
  });

  it('draws one line per series inside the plot box, higher values higher up, gaps left out', () => {
    const lines = polylines(svg);
    expect(lines).toHaveLength(2);
    const acked = pts(lines[0]!);
    expect(acked).toHaveLength(3);
    for (const [x, y] of acked) {
      expect(x).toBeGreaterThanOrEqual(64);
      expect(x).toBeLessThanOrEqual(600 - 16);
      expect(y).toBeGreaterThanOrEqual(36);
      expect(y).toBeLessThanOrEqual(300 - 44);
    }
    expect(acked[1]![1]).toBeLessThan(acked[0]![1]); // 100 is drawn above 0
    expect(acked[0]![0]).toBe(64); // x = 0 on the left edge
    expect(acked[2]![0]).toBe(584); // x = 20 on the right edge
    expect(pts(lines[1]!)).toHaveLength(2); // the NaN point is a gap
  });

  it('draws the reference line, the legend and the axis labels', () => {
    expect(svg).toContain('stroke-dasharray');
    expect(svg).toContain('>target</text>');
    expect(svg).toContain('>acked</text>');
    expect(svg).toContain('>committed</text>');
    expect(svg).toContain('>msgs/s</text>');
  });

  it('says so when there is nothing to draw', () => {
    const empty = linePlot({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', points: [] }] });
    expect(polylines(empty)).toHaveLength(0);
    expect(empty).toContain('no data');
  });
});
