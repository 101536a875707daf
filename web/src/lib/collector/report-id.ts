// 上报编号 the id a phone gives each report (a version 4 UUID): the hub makes one case per id and reporter, so a report
// resent after a lost answer never becomes two cases. `crypto.randomUUID` exists only on HTTPS pages (and localhost);
// a hub reached over plain HTTP on the city's network still gets a random UUID from `getRandomValues`.
export function newReportId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
