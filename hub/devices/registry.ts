// 设备注册 device registry: the devices allowed on the hub (vehicles, collector handhelds, sensors, cameras) and the
// internal service accounts — CRUD, credentials and their verification for MQTT logins, last-seen tracking, and CSV
// bulk import.
import { createHash, timingSafeEqual } from 'node:crypto';
import type pg from 'pg';
import { DEVICE_ID_PATTERN } from '../../ingest/mqtt/topics.js';
import { generateCredential, hashCredential, verifyCredentialHash } from './credentials.js';
import { withTransaction } from '../db/pool.js';
import { CsvSyntaxError, parseCsv, type CsvRecord } from '../csv.js';

export { CsvSyntaxError, parseCsv, type CsvRecord } from '../csv.js';

export const DEVICE_KINDS = ['vehicle', 'collector', 'sensor', 'camera'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** MQTT usernames starting with this are service accounts (ingest/mqtt/connect.ts), so no device id may. */
export const RESERVED_ID_PREFIX = 'svc:';

export const GRID_CODE_PATTERN = /^\d{15}$/;
export const LIMITS = {
  name: 200,
  plate: 32,
  staffId: 64,
  department: 200,
  gridCodes: 1000,
  attributesBytes: 16 * 1024,
  /** 31 days: the longest heartbeat a registered device may promise. */
  expectedIntervalS: 31 * 86400,
  pageSize: 500,
  csvRows: 20_000,
  serviceDescription: 500,
  password: 1024,
} as const;

export interface Device {
  id: string;
  kind: DeviceKind;
  name: string;
  /** 车牌, vehicles. */
  plate: string | null;
  /** 工号, collectors. */
  staffId: string | null;
  department: string | null;
  /** Assigned unit grid cells (单元网格), 15-digit codes. */
  gridCodes: string[];
  attributes: Record<string, unknown>;
  expectedIntervalS: number | null;
  enabled: boolean;
  credentialRotatedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  lastSeenAt: Date | null;
  /** Has an expected interval and was never seen or not within it. */
  stale: boolean;
}

export interface NewDevice {
  id: string;
  kind: DeviceKind;
  name: string;
  plate?: string | null;
  staffId?: string | null;
  department?: string | null;
  gridCodes?: string[];
  attributes?: Record<string, unknown>;
  expectedIntervalS?: number | null;
  enabled?: boolean;
}

/** Fields left out (undefined) are kept; null clears a nullable field. */
export type DevicePatch = Partial<Omit<NewDevice, 'id'>>;

export interface DeviceFilter {
  kind?: DeviceKind;
  enabled?: boolean;
  department?: string;
  /** A grid code the device is assigned to. */
  grid?: string;
  /** Substring of id, name, plate or staff id, case-insensitive. */
  q?: string;
  stale?: boolean;
}

export interface PageRequest {
  /** 1–500, default 100. */
  limit?: number;
  offset?: number;
}

export interface DevicePage {
  items: Device[];
  total: number;
  limit: number;
  offset: number;
}

export interface ServiceAccount {
  name: string;
  description: string;
  enabled: boolean;
  createdAt: Date;
}

export type AuthResult<T> =
  { ok: true; principal: T } | { ok: false; reason: 'unknown' | 'bad_credentials' | 'disabled' };

export interface ImportReport {
  created: { row: number; id: string; credential: string }[];
  errors: ImportError[];
}

export interface ImportError {
  /** 1-based record number, the header being row 1. */
  row: number;
  id?: string;
  /** The CSV column at fault. */
  field?: string;
  message: string;
}

export interface Issue {
  field: string;
  message: string;
}

export type RegistryErrorCode =
  | 'DeviceNotFound'
  | 'DeviceExists'
  | 'InvalidDevice'
  | 'InvalidQuery'
  | 'InvalidCsv'
  | 'ServiceAccountExists'
  | 'InvalidServiceAccount';

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  constructor(
    readonly code: RegistryErrorCode,
    message: string,
    /** InvalidDevice: each field at fault; InvalidCsv: the file-level problems, with row numbers. */
    readonly issues: Issue[] = [],
    readonly csvErrors: ImportError[] = [],
  ) {
    super(message);
  }
}

export interface RegistryOptions {
  /** Successful verifications remembered per device (LRU); default 10,000. */
  cacheMaxEntries?: number;
  /** How long a remembered verification holds before scrypt runs again; default 10 min. */
  cacheTtlMs?: number;
  /** Concurrent scrypt hashes during a CSV import; the rest of the libuv pool stays free for MQTT logins. Default 2. */
  importHashConcurrency?: number;
  /** Milliseconds clock for the cache; tests move it. */
  now?: () => number;
}

export interface VerificationStats {
  cacheHits: number;
  scryptRuns: number;
  cacheSize: number;
}

// The stale rule, shared by the computed column and the filter so a listed device's `stale` always agrees with it.
const STALE_SQL = `(expected_interval_s IS NOT NULL AND (last_seen_at IS NULL OR last_seen_at < now() - make_interval(secs => expected_interval_s)))`;
// Must stay identical to the indexed expression in migrations/003_devices.sql for the trigram index to be used; the
// separator keeps a search from matching across two fields.
const SEARCH_TEXT_SQL = `(id || E'\\x1f' || name || E'\\x1f' || coalesce(plate, '') || E'\\x1f' || coalesce(staff_id, ''))`;
const DEVICE_COLUMNS = `id, kind, name, plate, staff_id, department, grid_codes, attributes, expected_interval_s, enabled,
  credential_rotated_at, created_at, updated_at, last_seen_at, ${STALE_SQL} AS stale`;

interface DeviceRow {
  id: string;
  kind: DeviceKind;
  name: string;
  plate: string | null;
  staff_id: string | null;
  department: string | null;
  grid_codes: string[];
  attributes: Record<string, unknown>;
  expected_interval_s: number | null;
  enabled: boolean;
  credential_rotated_at: Date | null;
  created_at: Date;
  updated_at: Date;
  last_seen_at: Date | null;
  stale: boolean;
}

const toDevice = (r: DeviceRow): Device => ({
  id: r.id,
  kind: r.kind,
  name: r.name,
  plate: r.plate,
  staffId: r.staff_id,
  department: r.department,
  gridCodes: r.grid_codes,
  attributes: r.attributes,
  expectedIntervalS: r.expected_interval_s,
  enabled: r.enabled,
  credentialRotatedAt: r.credential_rotated_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  lastSeenAt: r.last_seen_at,
  stale: r.stale,
});

/** Device field → its column (also the CSV column name). */
const COLUMN_OF = {
  kind: 'kind',
  name: 'name',
  plate: 'plate',
  staffId: 'staff_id',
  department: 'department',
  gridCodes: 'grid_codes',
  attributes: 'attributes',
  expectedIntervalS: 'expected_interval_s',
  enabled: 'enabled',
} as const satisfies Record<keyof DevicePatch, string>;

type DeviceFields = {
  kind: DeviceKind;
  name: string;
  plate: string | null;
  staffId: string | null;
  department: string | null;
  gridCodes: string[];
  attributes: Record<string, unknown>;
  expectedIntervalS: number | null;
  enabled: boolean;
};

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

function checkId(id: unknown, issues: Issue[], field = 'id'): id is string {
  if (typeof id !== 'string' || !DEVICE_ID_PATTERN.test(id)) {
    issues.push({ field, message: `${field} must be 1–64 characters from A–Z a–z 0–9 . _ : -` });
    return false;
  }
  return true;
}

/** Checks and normalizes the fields present in `input` (trimmed text, "" → null, unique grid codes). */
function normalizeFields(input: DevicePatch, required: boolean): { fields: Partial<DeviceFields>; issues: Issue[] } {
  const issues: Issue[] = [];
  const fields: Partial<DeviceFields> = {};
  const bad = (field: keyof DevicePatch, message: string) => issues.push({ field, message });

  if (input.kind !== undefined || required) {
    if (!(DEVICE_KINDS as readonly unknown[]).includes(input.kind)) {
      bad('kind', `kind must be one of ${DEVICE_KINDS.join(', ')}`);
    } else fields.kind = input.kind;
  }
  if (input.name !== undefined || required) {
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (!name) bad('name', 'name is required');
    else if (name.length > LIMITS.name) bad('name', `name must be at most ${LIMITS.name} characters`);
    else if (CONTROL_CHARS.test(name)) bad('name', 'name must not contain control characters');
    else fields.name = name;
  }
  for (const key of ['plate', 'staffId', 'department'] as const) {
    const value = input[key];
    if (value === undefined) continue;
    if (value !== null && typeof value !== 'string') {
      bad(key, `${key} must be a string or null`);
      continue;
    }
    const text = value?.trim() || null;
    if (text && text.length > LIMITS[key]) bad(key, `${key} must be at most ${LIMITS[key]} characters`);
    else if (text && CONTROL_CHARS.test(text)) bad(key, `${key} must not contain control characters`);
    else fields[key] = text;
  }
  if (input.gridCodes !== undefined) {
    if (!Array.isArray(input.gridCodes)) bad('gridCodes', 'gridCodes must be a list of 15-digit grid codes');
    else {
      const wrong = input.gridCodes.filter((c) => typeof c !== 'string' || !GRID_CODE_PATTERN.test(c));
      const codes = [...new Set(input.gridCodes)];
      if (wrong.length) bad('gridCodes', `grid codes must be 15 digits: ${wrong.slice(0, 5).map(String).join(', ')}`);
      else if (codes.length > LIMITS.gridCodes) bad('gridCodes', `at most ${LIMITS.gridCodes} grid codes`);
      else fields.gridCodes = codes;
    }
  }
  if (input.attributes !== undefined) {
    const a = input.attributes as unknown;
    if (typeof a !== 'object' || a === null || Array.isArray(a)) bad('attributes', 'attributes must be a JSON object');
    else {
      const json = JSON.stringify(a);
      if (Buffer.byteLength(json) > LIMITS.attributesBytes) {
        bad('attributes', `attributes must be at most ${LIMITS.attributesBytes} bytes as JSON`);
      } else if (json.includes('\\u0000')) {
        // PostgreSQL's jsonb cannot hold a NUL character.
        bad('attributes', 'attributes must not contain NUL characters');
      } else fields.attributes = a as Record<string, unknown>;
    }
  }
  if (input.expectedIntervalS !== undefined) {
    const s = input.expectedIntervalS;
    if (s !== null && !(Number.isInteger(s) && s >= 1 && s <= LIMITS.expectedIntervalS)) {
      bad('expectedIntervalS', `expectedIntervalS must be a whole number of seconds, 1–${LIMITS.expectedIntervalS}`);
    } else fields.expectedIntervalS = s;
  }
  if (input.enabled !== undefined) {
    if (typeof input.enabled !== 'boolean') bad('enabled', 'enabled must be true or false');
    else fields.enabled = input.enabled;
  }
  return { fields, issues };
}

function validateNewDevice(input: NewDevice): { id: string; fields: DeviceFields; issues: Issue[] } {
  const issues: Issue[] = [];
  const idOk = checkId(input.id, issues);
  if (idOk && input.id.toLowerCase().startsWith(RESERVED_ID_PREFIX)) {
    issues.push({ field: 'id', message: `id must not start with "${RESERVED_ID_PREFIX}" (service accounts' logins)` });
  }
  const { fields, issues: fieldIssues } = normalizeFields(input, true);
  issues.push(...fieldIssues);
  return {
    id: input.id,
    fields: {
      plate: null,
      staffId: null,
      department: null,
      gridCodes: [],
      attributes: {},
      expectedIntervalS: null,
      enabled: true,
      ...(fields as Pick<DeviceFields, 'kind' | 'name'>),
    },
    issues,
  };
}

const invalid = (issues: Issue[]) =>
  new RegistryError('InvalidDevice', issues.map((i) => i.message).join('; '), issues);

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505';

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/**
 * Successful verifications, so a reconnect storm does not re-run scrypt for every login. An entry is bound to the
 * credential hash it was checked against, and every verification reads the device row, so a rotation by any hub
 * process makes the entry useless at once; the TTL bounds how long a secret is trusted without scrypt all the same.
 */
class VerificationCache {
  private readonly entries = new Map<string, { credentialHash: string; digest: Buffer; expiresAt: number }>();
  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  matches(key: string, credentialHash: string, digest: Buffer): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    if (entry.expiresAt <= this.now() || entry.credentialHash !== credentialHash) {
      this.entries.delete(key);
      return false;
    }
    if (!timingSafeEqual(entry.digest, digest)) return false;
    // Map keeps insertion order: re-inserting makes this the most recently used.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return true;
  }

  remember(key: string, credentialHash: string, digest: Buffer): void {
    this.entries.delete(key);
    this.entries.set(key, { credentialHash, digest, expiresAt: this.now() + this.ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }

  forget(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

export class DeviceRegistry {
  private readonly deviceCache: VerificationCache;
  private readonly serviceCache: VerificationCache;
  private readonly importHashConcurrency: number;
  private readonly stats = { cacheHits: 0, scryptRuns: 0 };

  constructor(
    private readonly pool: pg.Pool,
    options: RegistryOptions = {},
  ) {
    const now = options.now ?? Date.now;
    const ttl = options.cacheTtlMs ?? 10 * 60_000;
    this.deviceCache = new VerificationCache(options.cacheMaxEntries ?? 10_000, ttl, now);
    this.serviceCache = new VerificationCache(100, ttl, now);
    this.importHashConcurrency = options.importHashConcurrency ?? 2;
  }

  /** Registers a device; its credential is returned here only (and by `rotateCredential`): show it once. */
  async create(input: NewDevice): Promise<{ device: Device; credential: string }> {
    const { id, fields, issues } = validateNewDevice(input);
    if (issues.length) throw invalid(issues);
    const credential = generateCredential();
    const hash = await hashCredential(credential);
    try {
      const { rows } = await this.pool.query<DeviceRow>(
        `INSERT INTO devices (id, kind, name, plate, staff_id, department, grid_codes, attributes, expected_interval_s,
           enabled, credential_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         RETURNING ${DEVICE_COLUMNS}`,
        [
          id,
          fields.kind,
          fields.name,
          fields.plate,
          fields.staffId,
          fields.department,
          fields.gridCodes,
          fields.attributes,
          fields.expectedIntervalS,
          fields.enabled,
          hash,
        ],
      );
      return { device: toDevice(rows[0]!), credential };
    } catch (err) {
      if (isUniqueViolation(err)) throw new RegistryError('DeviceExists', `a device with id "${id}" already exists`);
      throw err;
    }
  }

  async get(id: string): Promise<Device> {
    const { rows } = await this.pool.query<DeviceRow>(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE id = $1`, [id]);
    if (!rows[0]) throw notFound(id);
    return toDevice(rows[0]);
  }

  /** Every device's kind, attributes and assigned cells: what the live map and the detection rules keep in memory. */
  async facts(): Promise<Array<Pick<Device, 'id' | 'kind' | 'attributes' | 'gridCodes'>>> {
    const { rows } = await this.pool.query<Pick<DeviceRow, 'id' | 'kind' | 'attributes' | 'grid_codes'>>(
      'SELECT id, kind, attributes, grid_codes FROM devices',
    );
    return rows.map((r) => ({ id: r.id, kind: r.kind, attributes: r.attributes, gridCodes: r.grid_codes }));
  }

  /** Devices matching every given filter, ordered by id. */
  async list(filter: DeviceFilter = {}, page: PageRequest = {}): Promise<DevicePage> {
    const limit = page.limit ?? 100;
    const offset = page.offset ?? 0;
    if (!Number.isInteger(limit) || limit < 1 || limit > LIMITS.pageSize) {
      throw new RegistryError('InvalidQuery', `limit must be 1–${LIMITS.pageSize}`);
    }
    if (!Number.isInteger(offset) || offset < 0) throw new RegistryError('InvalidQuery', 'offset must be 0 or more');

    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    if (filter.kind !== undefined) where.push(`kind = ${param(filter.kind)}`);
    // Literal, not a parameter: `NOT enabled` is what lets the planner use the partial index of disabled devices.
    if (filter.enabled !== undefined) where.push(filter.enabled ? 'enabled' : 'NOT enabled');
    if (filter.department !== undefined) where.push(`department = ${param(filter.department)}`);
    if (filter.grid !== undefined) where.push(`grid_codes @> ARRAY[${param(filter.grid)}::text]`);
    // eslint-disable-next-line no-control-regex
    const q = filter.q?.replace(/[\u0000-\u001f]/g, '').trim();
    if (q) where.push(`${SEARCH_TEXT_SQL} ILIKE ${param(`%${q.replace(/[\\%_]/g, '\\$&')}%`)}`);
    if (filter.stale !== undefined) where.push(filter.stale ? STALE_SQL : `NOT ${STALE_SQL}`);
    const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';

    const { rows } = await this.pool.query<DeviceRow & { total: number }>(
      `SELECT ${DEVICE_COLUMNS}, count(*) OVER ()::int AS total FROM devices ${whereSql}
       ORDER BY id LIMIT ${param(limit)} OFFSET ${param(offset)}`,
      params,
    );
    let total = rows[0]?.total ?? 0;
    if (!rows.length && offset > 0) {
      // Past the last page the window count has no row to ride on.
      const counted = await this.pool.query<{ total: number }>(
        `SELECT count(*)::int AS total FROM devices ${whereSql}`,
        params.slice(0, -2),
      );
      total = counted.rows[0]?.total ?? 0;
    }
    return { items: rows.map(toDevice), total, limit, offset };
  }

  /** Changes the given fields (everything but the id and the credential). */
  async update(id: string, patch: DevicePatch): Promise<Device> {
    const { fields, issues } = normalizeFields(patch, false);
    if (issues.length) throw invalid(issues);
    const keys = Object.keys(fields) as (keyof DeviceFields)[];
    if (!keys.length) return this.get(id);
    const params: unknown[] = [id];
    const sets = keys.map((k) => `${COLUMN_OF[k]} = $${params.push(fields[k])}`);
    const { rows } = await this.pool.query<DeviceRow>(
      `UPDATE devices SET ${sets.join(', ')}, updated_at = now() WHERE id = $1 RETURNING ${DEVICE_COLUMNS}`,
      params,
    );
    this.deviceCache.forget(id);
    if (!rows[0]) throw notFound(id);
    return toDevice(rows[0]);
  }

  setEnabled(id: string, enabled: boolean): Promise<Device> {
    return this.update(id, { enabled });
  }

  /** A new credential for the device; the old one stops working at once. Returned here only: show it once. */
  async rotateCredential(id: string): Promise<string> {
    const credential = generateCredential();
    const hash = await hashCredential(credential);
    const { rowCount } = await this.pool.query(
      `UPDATE devices SET credential_hash = $2, credential_rotated_at = now(), updated_at = now() WHERE id = $1`,
      [id, hash],
    );
    this.deviceCache.forget(id);
    if (!rowCount) throw notFound(id);
    return credential;
  }

  /** The device, when it exists, is enabled and `password` is its credential; otherwise null. */
  async verifyCredential(id: string, password: string): Promise<Device | null> {
    const result = await this.authenticateDevice(id, password);
    return result.ok ? result.principal : null;
  }

  /**
   * Like `verifyCredential`, with the reason for a refusal (for MQTT CONNACK codes and logs). `disabled` is only
   * told to a caller that knows the credential, so it reveals nothing to someone guessing.
   */
  async authenticateDevice(id: string, password: string): Promise<AuthResult<Device>> {
    // Device ids are not secret (they are in topics and on the map), so an unknown one is refused without spending
    // scrypt to hide that it is unknown.
    if (typeof id !== 'string' || !DEVICE_ID_PATTERN.test(id)) return { ok: false, reason: 'unknown' };
    const { rows } = await this.pool.query<DeviceRow & { credential_hash: string }>(
      `SELECT ${DEVICE_COLUMNS}, credential_hash FROM devices WHERE id = $1`,
      [id],
    );
    const row = rows[0];
    if (!row) return { ok: false, reason: 'unknown' };
    if (!(await this.checkSecret(this.deviceCache, id, row.credential_hash, password))) {
      return { ok: false, reason: 'bad_credentials' };
    }
    return row.enabled ? { ok: true, principal: toDevice(row) } : { ok: false, reason: 'disabled' };
  }

  /**
   * Records that devices were heard from at `at`, in one statement for the whole batch. Never moves a device's
   * last-seen time backwards (a late re-send is older than what was already seen). Unknown ids are ignored.
   */
  async touchLastSeen(ids: readonly string[], at: Date): Promise<number> {
    const unique = [...new Set(ids)];
    if (!unique.length) return 0;
    // Rows are locked in id order so two hub processes touching overlapping batches cannot deadlock.
    const { rowCount } = await this.pool.query(
      `UPDATE devices d SET last_seen_at = $2
       FROM (SELECT id FROM devices WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE) locked
       WHERE d.id = locked.id AND (d.last_seen_at IS NULL OR d.last_seen_at < $2)`,
      [unique, at],
    );
    return rowCount ?? 0;
  }

  /** A service account for an internal MQTT service; its credential is returned here only. */
  async createServiceAccount(name: string, description = ''): Promise<string> {
    const issues: Issue[] = [];
    checkId(name, issues, 'name');
    if (typeof description !== 'string' || description.length > LIMITS.serviceDescription) {
      issues.push({
        field: 'description',
        message: `description must be at most ${LIMITS.serviceDescription} characters`,
      });
    }
    if (issues.length) {
      throw new RegistryError('InvalidServiceAccount', issues.map((i) => i.message).join('; '), issues);
    }
    const credential = generateCredential();
    const hash = await hashCredential(credential);
    try {
      await this.pool.query('INSERT INTO service_accounts (name, credential_hash, description) VALUES ($1, $2, $3)', [
        name,
        hash,
        description.trim(),
      ]);
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new RegistryError('ServiceAccountExists', `a service account named "${name}" already exists`);
      }
      throw err;
    }
    this.serviceCache.forget(name);
    return credential;
  }

  async verifyServiceAccount(name: string, password: string): Promise<ServiceAccount | null> {
    const result = await this.authenticateServiceAccount(name, password);
    return result.ok ? result.principal : null;
  }

  async authenticateServiceAccount(name: string, password: string): Promise<AuthResult<ServiceAccount>> {
    if (typeof name !== 'string' || !DEVICE_ID_PATTERN.test(name)) return { ok: false, reason: 'unknown' };
    const { rows } = await this.pool.query<{
      name: string;
      description: string;
      enabled: boolean;
      created_at: Date;
      credential_hash: string;
    }>('SELECT name, description, enabled, created_at, credential_hash FROM service_accounts WHERE name = $1', [name]);
    const row = rows[0];
    if (!row) return { ok: false, reason: 'unknown' };
    if (!(await this.checkSecret(this.serviceCache, name, row.credential_hash, password))) {
      return { ok: false, reason: 'bad_credentials' };
    }
    if (!row.enabled) return { ok: false, reason: 'disabled' };
    return {
      ok: true,
      principal: { name: row.name, description: row.description, enabled: row.enabled, createdAt: row.created_at },
    };
  }

  /** Counters for metrics and tests. */
  verificationStats(): VerificationStats {
    return { ...this.stats, cacheSize: this.deviceCache.size };
  }

  private async checkSecret(cache: VerificationCache, key: string, credentialHash: string, password: string) {
    if (typeof password !== 'string' || !password || password.length > LIMITS.password) return false;
    const digest = sha256(password);
    if (cache.matches(key, credentialHash, digest)) {
      this.stats.cacheHits++;
      return true;
    }
    this.stats.scryptRuns++;
    if (!(await verifyCredentialHash(password, credentialHash))) return false;
    cache.remember(key, credentialHash, digest);
    return true;
  }

  /**
   * Registers every valid row of a CSV file in one transaction and reports each row that was not: a bad row does not
   * stop the others. Throws `InvalidCsv` for problems with the whole file (no header, unknown or missing columns, a
   * quote never closed, more than 20,000 rows).
   */
  async importCsv(text: string): Promise<ImportReport> {
    const { candidates, errors } = parseImport(text);

    // Skip scrypt for ids already registered: re-sending a file after fixing its bad rows is the usual case.
    const existing = new Set<string>();
    if (candidates.length) {
      const { rows } = await this.pool.query<{ id: string }>('SELECT id FROM devices WHERE id = ANY($1::text[])', [
        candidates.map((c) => c.id),
      ]);
      for (const r of rows) existing.add(r.id);
    }
    const alreadyThere = (c: ImportCandidate): ImportError => ({
      row: c.row,
      id: c.id,
      field: 'id',
      message: `a device with id "${c.id}" already exists`,
    });
    const fresh = candidates.filter((c) => (existing.has(c.id) ? (errors.push(alreadyThere(c)), false) : true));

    // Hash before the transaction opens: thousands of scrypt runs take minutes, a transaction should not.
    const credentials = await mapLimit(fresh, this.importHashConcurrency, async () => {
      const credential = generateCredential();
      return { credential, hash: await hashCredential(credential) };
    });

    const created: ImportReport['created'] = [];
    await withTransaction(this.pool, async (client) => {
      const CHUNK = 1000;
      for (let start = 0; start < fresh.length; start += CHUNK) {
        const chunk = fresh.slice(start, start + CHUNK);
        const records = chunk.map((c, i) => ({
          id: c.id,
          kind: c.fields.kind,
          name: c.fields.name,
          plate: c.fields.plate,
          staff_id: c.fields.staffId,
          department: c.fields.department,
          grid_codes: c.fields.gridCodes,
          attributes: c.fields.attributes,
          expected_interval_s: c.fields.expectedIntervalS,
          enabled: c.fields.enabled,
          credential_hash: credentials[start + i]!.hash,
        }));
        // A device created meanwhile by someone else is a row error, not a failed import.
        const { rows } = await client.query<{ id: string }>(
          `INSERT INTO devices (id, kind, name, plate, staff_id, department, grid_codes, attributes,
           expected_interval_s, enabled, credential_hash)
         SELECT id, kind, name, plate, staff_id, department, grid_codes, attributes, expected_interval_s, enabled,
           credential_hash
         FROM jsonb_to_recordset($1::jsonb) AS r(id text, kind text, name text, plate text, staff_id text,
           department text, grid_codes text[], attributes jsonb, expected_interval_s integer, enabled boolean,
           credential_hash text)
         ON CONFLICT (id) DO NOTHING
         RETURNING id`,
          [JSON.stringify(records)],
        );
        const inserted = new Set(rows.map((r) => r.id));
        chunk.forEach((c, i) => {
          if (inserted.has(c.id))
            created.push({ row: c.row, id: c.id, credential: credentials[start + i]!.credential });
          else errors.push(alreadyThere(c));
        });
      }
    });
    errors.sort((a, b) => a.row - b.row);
    return { created, errors };
  }
}

const notFound = (id: string) => new RegistryError('DeviceNotFound', `no device with id "${id}"`);

// ---------------------------------------------------------------------------------------------------------------------
// CSV

export const CSV_COLUMNS = [
  'id',
  'kind',
  'name',
  'plate',
  'staff_id',
  'department',
  'grid_codes',
  'expected_interval_s',
  'attributes',
] as const;
type CsvColumn = (typeof CSV_COLUMNS)[number];
const REQUIRED_COLUMNS: readonly CsvColumn[] = ['id', 'kind', 'name'];

interface ImportCandidate {
  row: number;
  id: string;
  fields: DeviceFields;
}

const fileError = (row: number, message: string) =>
  new RegistryError('InvalidCsv', `row ${row}: ${message}`, [], [{ row, message }]);

/** Splits a CSV file into valid device rows and per-row errors; throws `InvalidCsv` for whole-file problems. */
function parseImport(text: string): { candidates: ImportCandidate[]; errors: ImportError[] } {
  let records: CsvRecord[];
  try {
    records = parseCsv(text);
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw fileError(err.row, err.message.replace(/^row \d+: /, ''));
    throw err;
  }
  const blank = (r: CsvRecord) => r.fields.every((f) => f.trim() === '');
  const nonBlank = records.filter((r) => !blank(r));
  const header = nonBlank[0];
  if (!header) {
    throw fileError(1, `the file is empty: the first row must be a header with the columns ${CSV_COLUMNS.join(',')}`);
  }
  const names = header.fields.map((f) => f.trim().toLowerCase());
  const unknown = names
    .map((n, i) => (n === '' ? `an unnamed column (column ${i + 1})` : `"${n}"`))
    .filter((_, i) => !(CSV_COLUMNS as readonly string[]).includes(names[i]!));
  if (unknown.length) {
    throw fileError(
      header.row,
      `unknown column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} in the header; ` +
        `the columns are ${CSV_COLUMNS.join(',')}`,
    );
  }
  const repeated = names.filter((n, i) => names.indexOf(n) !== i);
  if (repeated.length) throw fileError(header.row, `column "${repeated[0]}" appears twice in the header`);
  const missing = REQUIRED_COLUMNS.filter((c) => !names.includes(c));
  if (missing.length) {
    throw fileError(
      header.row,
      `the header lacks the required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
    );
  }
  const data = nonBlank.slice(1);
  const excess = data[LIMITS.csvRows];
  if (excess) {
    throw fileError(excess.row, `the file has ${data.length} rows, more than ${LIMITS.csvRows}; split it`);
  }

  const columns = names as CsvColumn[];
  const candidates: ImportCandidate[] = [];
  const errors: ImportError[] = [];
  const firstRowOf = new Map<string, number>();
  for (const record of data) {
    const cell = (c: CsvColumn) => {
      const i = columns.indexOf(c);
      return i < 0 ? '' : (record.fields[i] ?? '').trim();
    };
    const rawId = cell('id');
    const rowErrors: ImportError[] = [];
    const fail = (field: string | undefined, message: string) =>
      rowErrors.push({ row: record.row, ...(rawId ? { id: rawId } : {}), ...(field ? { field } : {}), message });

    if (record.fields.length !== columns.length) {
      fail(undefined, `${record.fields.length} fields where the header has ${columns.length}`);
      errors.push(...rowErrors);
      continue;
    }
    const input: NewDevice = { id: rawId, kind: cell('kind') as DeviceKind, name: cell('name') };
    const plate = cell('plate');
    const staffId = cell('staff_id');
    const department = cell('department');
    if (plate) input.plate = plate;
    if (staffId) input.staffId = staffId;
    if (department) input.department = department;
    input.gridCodes = cell('grid_codes')
      .split(';')
      .map((g) => g.trim())
      .filter(Boolean);
    const interval = cell('expected_interval_s');
    if (interval) {
      if (/^\d{1,9}$/.test(interval)) input.expectedIntervalS = Number(interval);
      else fail('expected_interval_s', `expected_interval_s must be a whole number of seconds, got "${interval}"`);
    }
    const attributes = cell('attributes');
    if (attributes) {
      try {
        input.attributes = JSON.parse(attributes) as Record<string, unknown>;
      } catch (err) {
        fail('attributes', `attributes is not valid JSON: ${(err as Error).message}`);
      }
    }
    const { id, fields, issues } = validateNewDevice(input);
    for (const issue of issues) {
      const column = issue.field === 'id' ? 'id' : COLUMN_OF[issue.field as keyof typeof COLUMN_OF];
      fail(column, issue.message.replace(issue.field, column));
    }
    if (DEVICE_ID_PATTERN.test(rawId)) {
      const first = firstRowOf.get(rawId);
      if (first !== undefined) fail('id', `id "${rawId}" is already used in row ${first} of this file`);
      else firstRowOf.set(rawId, record.row);
    }
    if (rowErrors.length) errors.push(...rowErrors);
    else candidates.push({ row: record.row, id, fields });
  }
  return { candidates, errors };
}
