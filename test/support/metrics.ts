// Reading the hub's Prometheus metrics (GET /metrics) in tests.

/** The sample `name{labels}` (labels given as an exact match of the ones listed) summed over matching series; 0 if none. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const series = new Map<string, string>();
    for (const pair of (m[3] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      series.set(pair[1]!, pair[2]!);
    }
    if (Object.entries(labels).every(([k, v]) => series.get(k) === v)) total += Number(m[4]);
  }
  return total;
}

export async function fetchMetrics(httpPort: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}
