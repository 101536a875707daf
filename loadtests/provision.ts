// Device provisioning for benchmarks (设备批量开通): creates bench devices through the hub's admin API, as an operator
// would, and collects their MQTT credentials. Contract: POST /api/devices/import, CSV body, `Authorization: Bearer
// <ADMIN_TOKEN>` → `{ created: [{ row, id, credential }], errors: [...] }`.
import { deviceId } from './generator-core.js';

/**
 * The CSV the import takes: a header, then one device per line. Ids are plain [A-Za-z0-9._:-], nothing to quote.
 * `kind` is every device's kind, or a function giving each one's (a mixed fleet of vehicles, collectors, sensors).
 */
export function provisioningCsv(ids: readonly string[], kind: string | ((id: string) => string) = 'vehicle'): string {
  const kindOf = typeof kind === 'string' ? () => kind : kind;
  return ['id,kind,name', ...ids.map((id) => `${id},${kindOf(id)},${id}`)].join('\n') + '\n';
}

/** `count` ids from `bench-00001` (with the default prefix). */
export function benchDeviceIds(prefix: string, start: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => deviceId(prefix, start + i));
}

export interface ImportResult {
  credentials: Map<string, string>;
  errors: unknown[];
}

export class ProvisioningError extends Error {}

/** Checks the shape of an import response and picks out id → credential. */
export function parseImportResponse(body: unknown): ImportResult {
  if (typeof body !== 'object' || body === null) throw new ProvisioningError('the import response is not an object');
  const { created, errors } = body as { created?: unknown; errors?: unknown };
  if (!Array.isArray(created)) throw new ProvisioningError('the import response has no "created" array');
  const credentials = new Map<string, string>();
  for (const item of created) {
    const { id, credential } = (item ?? {}) as { id?: unknown; credential?: unknown };
    if (typeof id !== 'string' || typeof credential !== 'string') {
      throw new ProvisioningError(`an entry of "created" lacks a string id or credential: ${JSON.stringify(item)}`);
    }
    credentials.set(id, credential);
  }
  return { credentials, errors: Array.isArray(errors) ? errors : [] };
}

/**
 * Imports the devices `ids` in requests of at most `batchSize` rows and returns every device's credential. Throws a
 * ProvisioningError naming what went wrong (no such API yet, wrong token, rows refused — e.g. devices that exist
 * already, whose credentials the hub does not hand out again).
 */
export async function provisionDevices(
  httpUrl: string,
  adminToken: string,
  ids: readonly string[],
  batchSize = 1000,
  kindOf: (id: string) => string = () => 'vehicle',
): Promise<Map<string, string>> {
  const url = new URL('/api/devices/import', httpUrl);
  const all = new Map<string, string>();
  for (let i = 0; i < ids.length; i += batchSize) {
    const chunk = ids.slice(i, i + batchSize);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'text/csv', authorization: `Bearer ${adminToken}` },
        body: provisioningCsv(chunk, kindOf),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (err) {
      throw new ProvisioningError(`POST ${url.href} failed: ${(err as Error).message}`);
    }
    const text = await response.text();
    if (response.status === 404) {
      throw new ProvisioningError(`the hub has no POST /api/devices/import (404); run without --provision`);
    }
    if (response.status === 401 || response.status === 403) {
      throw new ProvisioningError(`the hub refused the admin token (${response.status}): ${text.slice(0, 300)}`);
    }
    if (!response.ok && response.status !== 207) {
      throw new ProvisioningError(`POST ${url.href} answered ${response.status}: ${text.slice(0, 500)}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ProvisioningError(`the import answered ${response.status} with non-JSON: ${text.slice(0, 300)}`);
    }
    const result = parseImportResponse(body);
    for (const [id, credential] of result.credentials) all.set(id, credential);
    const missing = chunk.filter((id) => !result.credentials.has(id));
    if (missing.length > 0) {
      throw new ProvisioningError(
        `the hub did not create ${missing.length} of ${chunk.length} devices (first: ${missing[0]}); ` +
          `errors: ${JSON.stringify(result.errors.slice(0, 3))}. Devices that exist already keep their ` +
          `credentials: reuse that run's --credentials file, or pick a fresh --id-prefix`,
      );
    }
  }
  return all;
}
