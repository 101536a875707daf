// Open311 GeoReport v2 XML (the spec's second format): lists of flat records, e.g.
// <service_requests><request><status>open</status>…</request></service_requests>. Pure.

const escape = (s: string) =>
  s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

function field(name: string, value: unknown): string {
  if (value === null || value === undefined) return `<${name}></${name}>`;
  if (Array.isArray(value)) return `<${name}>${value.map((v) => field(name.replace(/s$/, ''), v)).join('')}</${name}>`;
  if (typeof value === 'object') {
    const inner = Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => field(k, v))
      .join('');
    return `<${name}>${inner}</${name}>`;
  }
  return `<${name}>${escape(String(value))}</${name}>`;
}

/** `<root><item>…</item>…</root>` with the XML declaration. */
export function toXml(root: string, item: string, records: ReadonlyArray<Record<string, unknown>>): string {
  return `<?xml version="1.0" encoding="utf-8"?>\n<${root}>${records.map((r) => field(item, r)).join('')}</${root}>`;
}

/** One record as the document root, e.g. `<service_definition>…</service_definition>`. */
export function toXmlDocument(root: string, record: Record<string, unknown>): string {
  return `<?xml version="1.0" encoding="utf-8"?>\n${field(root, record)}`;
}
