// 视频监控点 camera registry: the cameras the hub takes video from — place and view on the map, source (RTMP push with a
// signed key, or an RTSP URL to pull), sampling interval, image zones — with their live status (online/offline, last
// frame). Keeps the cameras allowed to publish, with the version of publish key they accept, in memory, because the
// media server must decide synchronously; tells listeners whenever what the live map shows of a camera changes.
import type pg from 'pg';
import type { Catalogue } from '../cases/ports.js';
import { geometryProblem, type PolygonGeometry } from '../geo/geometry.js';
import { CAMERA_STREAM_ID_PATTERN } from '../../ingest/video/media-server.js';
import type { CameraSpec, VideoZone } from '../../ingest/video/types.js';
import { normaliseZones, zoneIssues, type ZoneIssue } from './zones.js';
import type { Serialized } from '../serialized.js';

export const CAMERA_SOURCES = ['rtmp', 'rtsp'] as const;
export type CameraSource = (typeof CAMERA_SOURCES)[number];
export type CameraStatus = 'online' | 'offline';

export const CAMERA_LIMITS = {
  name: 200,
  rtspUrl: 2000,
  minSampleIntervalMs: 200,
  maxSampleIntervalMs: 3_600_000,
  defaultSampleIntervalMs: 2000,
} as const;

export interface Camera {
  id: string;
  name: string;
  lon: number;
  lat: number;
  /** Degrees clockwise from north. */
  headingDeg: number | null;
  /** The field of view on the map. */
  view: PolygonGeometry | null;
  source: CameraSource;
  /** With the camera's password, if it has one: for the puller only; the API shows `redactRtspUrl`. */
  rtspUrl: string | null;
  sampleIntervalMs: number;
  zones: VideoZone[];
  enabled: boolean;
  status: CameraStatus;
  statusChangedAt: Date | null;
  lastFrameAt: Date | null;
  /** Publish keys of this version only are accepted; raised by `revokePublishKeys`. */
  publishKeyVersion: number;
  createdAt: Date;
  updatedAt: Date;
}

/** A camera as GET /api/cameras answers it (hub/http/cameras.ts), and the web's admin screen reads it: as JSON, the
 * RTSP URL without its password (`redactRtspUrl`), with the HTTP-FLV path of its stream. */
export type CameraDto = Serialized<Camera> & { playPath: string };

/**
 * What the live map shows of a camera: its state, when its registry entry last changed (a map holding an older copy of
 * the list fetches it again), and its place (to filter by the map's bounding box).
 */
export type CameraLiveState = Pick<
  Camera,
  'id' | 'status' | 'statusChangedAt' | 'lastFrameAt' | 'enabled' | 'updatedAt' | 'lon' | 'lat'
>;

export interface NewCamera {
  id: string;
  name: string;
  lon: number;
  lat: number;
  headingDeg?: number | null;
  view?: PolygonGeometry | null;
  source: CameraSource;
  rtspUrl?: string | null;
  sampleIntervalMs?: number;
  zones?: unknown[];
  enabled?: boolean;
}

/** Fields left out are kept; null clears a nullable one. Switching to `rtmp` drops the RTSP URL. */
export type CameraPatch = Partial<Omit<NewCamera, 'id'>>;

export type CameraErrorCode = 'CameraNotFound' | 'CameraExists' | 'InvalidCamera';

export class CameraError extends Error {
  override readonly name = 'CameraError';
  constructor(
    readonly code: CameraErrorCode,
    message: string,
    readonly issues: ZoneIssue[] = [],
  ) {
    super(message);
  }
}

export interface CameraStatusChange {
  cameraId: string;
  status: CameraStatus;
  atMs: number;
}

export interface CameraRegistryOptions {
  /** Checks each zone's classRef and standardId against the catalogue when given. */
  catalogue?: Catalogue;
  /** The detector's class names (models/manifest.json `classes`); zone `classes` must be among them when given. */
  detectorClasses?: readonly string[];
}

const COLUMNS = `id, name, lon, lat, heading_deg, view, source, rtsp_url, sample_interval_ms, zones, enabled, status,
  status_changed_at, last_frame_at, publish_key_version, created_at, updated_at`;
const LIVE_COLUMNS = 'id, status, status_changed_at, last_frame_at, enabled, updated_at, lon, lat';

interface CameraRow {
  id: string;
  name: string;
  lon: number;
  lat: number;
  heading_deg: number | null;
  view: PolygonGeometry | null;
  source: CameraSource;
  rtsp_url: string | null;
  sample_interval_ms: number;
  zones: VideoZone[];
  enabled: boolean;
  status: CameraStatus;
  status_changed_at: Date | null;
  last_frame_at: Date | null;
  publish_key_version: number;
  created_at: Date;
  updated_at: Date;
}

type LiveRow = Pick<
  CameraRow,
  'id' | 'status' | 'status_changed_at' | 'last_frame_at' | 'enabled' | 'updated_at' | 'lon' | 'lat'
>;

const toLiveState = (r: LiveRow): CameraLiveState => ({
  id: r.id,
  status: r.status,
  statusChangedAt: r.status_changed_at,
  lastFrameAt: r.last_frame_at,
  enabled: r.enabled,
  updatedAt: r.updated_at,
  lon: r.lon,
  lat: r.lat,
});

const toCamera = (r: CameraRow): Camera => ({
  id: r.id,
  name: r.name,
  lon: r.lon,
  lat: r.lat,
  headingDeg: r.heading_deg,
  view: r.view,
  source: r.source,
  rtspUrl: r.rtsp_url,
  sampleIntervalMs: r.sample_interval_ms,
  zones: r.zones,
  enabled: r.enabled,
  status: r.status,
  statusChangedAt: r.status_changed_at,
  lastFrameAt: r.last_frame_at,
  publishKeyVersion: r.publish_key_version,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** The RTSP URL without its password (`rtsp://admin:***@10.0.0.5/stream1`), for anything a person reads. */
export function redactRtspUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}

/** What the video pipeline needs of a camera. */
export const toSpec = (c: Camera): CameraSpec => ({
  id: c.id,
  name: c.name,
  lon: c.lon,
  lat: c.lat,
  sampleIntervalMs: c.sampleIntervalMs,
  zones: c.zones,
});

const isFiniteIn = (v: unknown, min: number, max: number) =>
  typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;

export class CameraRegistry {
  /** Enabled cameras → the publish key version they accept. */
  private publishable = new Map<string, number>();
  private statusListeners: Array<(change: CameraStatusChange) => void> = [];
  private liveListeners: Array<(state: CameraLiveState) => void> = [];

  constructor(
    readonly pool: pg.Pool,
    private readonly options: CameraRegistryOptions = {},
  ) {}

  async create(input: NewCamera): Promise<Camera> {
    const c = await this.validated({
      id: input.id,
      name: input.name,
      lon: input.lon,
      lat: input.lat,
      headingDeg: input.headingDeg ?? null,
      view: input.view ?? null,
      source: input.source,
      rtspUrl: input.rtspUrl ?? null,
      sampleIntervalMs: input.sampleIntervalMs ?? CAMERA_LIMITS.defaultSampleIntervalMs,
      zones: input.zones ?? [],
      enabled: input.enabled ?? true,
    });
    try {
      const { rows } = await this.pool.query<CameraRow>(
        `INSERT INTO cameras (id, name, lon, lat, heading_deg, view, source, rtsp_url, sample_interval_ms, zones, enabled)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${COLUMNS}`,
        [
          c.id,
          c.name,
          c.lon,
          c.lat,
          c.headingDeg,
          json(c.view),
          c.source,
          c.rtspUrl,
          c.sampleIntervalMs,
          JSON.stringify(c.zones),
          c.enabled,
        ],
      );
      const camera = toCamera(rows[0]!);
      this.remember(camera);
      this.tellLive(camera);
      return camera;
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        throw new CameraError(
          'CameraExists',
          `camera ${c.id} is already registered; PATCH /api/cameras/${c.id} to change it`,
        );
      }
      throw err;
    }
  }

  async get(id: string): Promise<Camera> {
    const { rows } = await this.pool.query<CameraRow>(`SELECT ${COLUMNS} FROM cameras WHERE id = $1`, [id]);
    if (!rows[0]) throw new CameraError('CameraNotFound', `no camera ${id}`);
    return toCamera(rows[0]);
  }

  async list(filter: { enabled?: boolean; status?: CameraStatus; source?: CameraSource } = {}): Promise<Camera[]> {
    const { rows } = await this.pool.query<CameraRow>(
      `SELECT ${COLUMNS} FROM cameras
        WHERE ($1::boolean IS NULL OR enabled = $1) AND ($2::text IS NULL OR status = $2)
          AND ($3::text IS NULL OR source = $3)
        ORDER BY id`,
      [filter.enabled ?? null, filter.status ?? null, filter.source ?? null],
    );
    return rows.map(toCamera);
  }

  /** Applies a patch, validating the camera as it would be; one row lock, so two admins' edits don't interleave. */
  async update(id: string, patch: CameraPatch): Promise<Camera> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<CameraRow>(`SELECT ${COLUMNS} FROM cameras WHERE id = $1 FOR UPDATE`, [id]);
      if (!rows[0]) throw new CameraError('CameraNotFound', `no camera ${id}`);
      const old = toCamera(rows[0]);
      const source = patch.source ?? old.source;
      const merged = await this.validated({
        id,
        name: patch.name ?? old.name,
        lon: patch.lon ?? old.lon,
        lat: patch.lat ?? old.lat,
        headingDeg: patch.headingDeg !== undefined ? patch.headingDeg : old.headingDeg,
        view: patch.view !== undefined ? patch.view : old.view,
        source,
        rtspUrl: patch.rtspUrl !== undefined ? patch.rtspUrl : source === 'rtmp' ? null : old.rtspUrl,
        sampleIntervalMs: patch.sampleIntervalMs ?? old.sampleIntervalMs,
        zones: patch.zones ?? old.zones,
        enabled: patch.enabled ?? old.enabled,
      });
      const updated = await client.query<CameraRow>(
        `UPDATE cameras SET name = $2, lon = $3, lat = $4, heading_deg = $5, view = $6, source = $7, rtsp_url = $8,
                sample_interval_ms = $9, zones = $10, enabled = $11, updated_at = now()
          WHERE id = $1 RETURNING ${COLUMNS}`,
        [
          id,
          merged.name,
          merged.lon,
          merged.lat,
          merged.headingDeg,
          json(merged.view),
          merged.source,
          merged.rtspUrl,
          merged.sampleIntervalMs,
          JSON.stringify(merged.zones),
          merged.enabled,
        ],
      );
      await client.query('COMMIT');
      const camera = toCamera(updated.rows[0]!);
      this.remember(camera);
      this.tellLive(camera);
      return camera;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /**
   * Raises the camera's publish key version: every key issued before is refused from now on (the caller cuts a
   * publisher that is streaming with one). Returns the camera with its new version.
   */
  async revokePublishKeys(id: string): Promise<Camera> {
    const { rows } = await this.pool.query<CameraRow>(
      `UPDATE cameras SET publish_key_version = publish_key_version + 1, updated_at = now()
        WHERE id = $1 RETURNING ${COLUMNS}`,
      [id],
    );
    if (!rows[0]) throw new CameraError('CameraNotFound', `no camera ${id}`);
    const camera = toCamera(rows[0]);
    this.remember(camera);
    return camera;
  }

  /** Online/offline from the media server; listeners hear only real changes. Unknown cameras are ignored (false). */
  async setStatus(id: string, status: CameraStatus, atMs = Date.now()): Promise<boolean> {
    const { rows } = await this.pool.query<LiveRow>(
      `UPDATE cameras SET status = $2, status_changed_at = $3,
              last_frame_at = CASE WHEN $2 = 'online' THEN greatest(last_frame_at, $3) ELSE last_frame_at END
        WHERE id = $1 AND status <> $2 RETURNING ${LIVE_COLUMNS}`,
      [id, status, new Date(atMs)],
    );
    if (!rows[0]) return false;
    for (const listener of this.statusListeners) listener({ cameraId: id, status, atMs });
    this.tellLive(toLiveState(rows[0]));
    return true;
  }

  /** The sampler got a frame at `atMs` (never moves back; live listeners hear the new time). */
  async recordFrame(id: string, atMs: number): Promise<void> {
    const { rows } = await this.pool.query<LiveRow>(
      `UPDATE cameras SET last_frame_at = $2 WHERE id = $1 AND (last_frame_at IS NULL OR last_frame_at < $2)
        RETURNING ${LIVE_COLUMNS}`,
      [id, new Date(atMs)],
    );
    if (rows[0]) this.tellLive(toLiveState(rows[0]));
  }

  /** Every camera's status to `offline` (the hub starts: nothing publishes yet). */
  async markAllOffline(atMs = Date.now()): Promise<number> {
    const { rowCount } = await this.pool.query(
      `UPDATE cameras SET status = 'offline', status_changed_at = $1 WHERE status <> 'offline'`,
      [new Date(atMs)],
    );
    return rowCount ?? 0;
  }

  onStatus(listener: (change: CameraStatusChange) => void): () => void {
    this.statusListeners.push(listener);
    return () => {
      this.statusListeners = this.statusListeners.filter((l) => l !== listener);
    };
  }

  /**
   * Every change of what the live map shows — status, last frame time, the registry entry — after it is stored: a
   * camera created or edited, going online or offline, a newer frame recorded.
   */
  onLiveChange(listener: (state: CameraLiveState) => void): () => void {
    this.liveListeners.push(listener);
    return () => {
      this.liveListeners = this.liveListeners.filter((l) => l !== listener);
    };
  }

  /** Every camera's live state (the live map's snapshot). */
  async liveStates(): Promise<CameraLiveState[]> {
    const { rows } = await this.pool.query<LiveRow>(`SELECT ${LIVE_COLUMNS} FROM cameras ORDER BY id`);
    return rows.map(toLiveState);
  }

  /** Loads the publish cache; call once at start-up (writes through this registry keep it current). */
  async loadPublishable(): Promise<void> {
    const { rows } = await this.pool.query<{ id: string; publish_key_version: number }>(
      `SELECT id, publish_key_version FROM cameras WHERE enabled`,
    );
    this.publishable = new Map(rows.map((r) => [r.id, r.publish_key_version]));
  }

  /** A registered, enabled camera (RTSP cameras publish through the puller). */
  mayPublish(id: string): boolean {
    return this.publishable.has(id);
  }

  /**
   * The media server's `publishKeyVersion`: the key version an enabled camera accepts (and new keys are signed with),
   * null for a disabled or unknown camera.
   */
  publishKeyVersion(id: string): number | null {
    return this.publishable.get(id) ?? null;
  }

  /** The enabled cameras as the video pipeline sees them. */
  async specs(): Promise<CameraSpec[]> {
    return (await this.list({ enabled: true })).map(toSpec);
  }

  private remember(camera: Camera): void {
    if (camera.enabled) this.publishable.set(camera.id, camera.publishKeyVersion);
    else this.publishable.delete(camera.id);
  }

  /** Listeners run after the write and must not throw (the live push only queues). */
  private tellLive(state: CameraLiveState): void {
    const { id, status, statusChangedAt, lastFrameAt, enabled, updatedAt, lon, lat } = state;
    const live = { id, status, statusChangedAt, lastFrameAt, enabled, updatedAt, lon, lat };
    for (const listener of this.liveListeners) listener(live);
  }

  private async validated(c: Required<Omit<NewCamera, 'zones'>> & { zones: unknown[] }) {
    const issues: ZoneIssue[] = [];
    const bad = (field: string, message: string) => issues.push({ field, message });
    if (typeof c.id !== 'string' || !CAMERA_STREAM_ID_PATTERN.test(c.id)) {
      bad('id', 'must be 1–64 characters from A–Z a–z 0–9 _ - (it is also the stream name)');
    }
    if (typeof c.name !== 'string' || c.name.trim() === '' || c.name.length > CAMERA_LIMITS.name) {
      bad('name', `must be a non-blank text of at most ${CAMERA_LIMITS.name} characters`);
    }
    if (!isFiniteIn(c.lon, -180, 180)) bad('lon', 'must be a WGS-84 longitude from -180 to 180');
    if (!isFiniteIn(c.lat, -90, 90)) bad('lat', 'must be a WGS-84 latitude from -90 to 90');
    if (c.headingDeg !== null && !(isFiniteIn(c.headingDeg, 0, 360) && c.headingDeg < 360)) {
      bad('headingDeg', 'must be degrees clockwise from north, 0 ≤ heading < 360, or null');
    }
    if (c.view !== null) {
      const problem =
        (c.view as { type?: unknown }).type === 'Polygon'
          ? geometryProblem(c.view)
          : 'view must be a GeoJSON Polygon (the field of view on the map)';
      if (problem) bad('view', problem);
    }
    if (!(CAMERA_SOURCES as readonly string[]).includes(c.source)) bad('source', 'must be rtmp or rtsp');
    if (c.source === 'rtsp') {
      if (c.rtspUrl === null) bad('rtspUrl', 'an rtsp camera needs the URL to pull, rtsp://host[:port]/path');
      else if (!/^rtsps?:\/\/[^\s/]+/.test(c.rtspUrl) || c.rtspUrl.length > CAMERA_LIMITS.rtspUrl) {
        bad('rtspUrl', 'must be rtsp://[user:password@]host[:port]/path');
      }
    } else if (c.rtspUrl !== null) {
      bad('rtspUrl', 'only an rtsp camera has one: an rtmp camera pushes to the hub');
    }
    if (
      !Number.isInteger(c.sampleIntervalMs) ||
      c.sampleIntervalMs < CAMERA_LIMITS.minSampleIntervalMs ||
      c.sampleIntervalMs > CAMERA_LIMITS.maxSampleIntervalMs
    ) {
      bad(
        'sampleIntervalMs',
        `must be a whole number of ms from ${CAMERA_LIMITS.minSampleIntervalMs} to ${CAMERA_LIMITS.maxSampleIntervalMs}`,
      );
    }
    const zoneProblems = zoneIssues(c.zones, this.options.detectorClasses);
    issues.push(...zoneProblems);
    if (!zoneProblems.length && this.options.catalogue) await this.checkCatalogue(c.zones as VideoZone[], issues);
    if (issues.length) {
      throw new CameraError(
        'InvalidCamera',
        `camera ${c.id}: ${issues.map((i) => `${i.field} ${i.message}`).join('; ')}`,
        issues,
      );
    }
    return { ...c, name: c.name.trim(), zones: normaliseZones(c.zones) };
  }

  private async checkCatalogue(zones: VideoZone[], issues: ZoneIssue[]): Promise<void> {
    const catalogue = this.options.catalogue!;
    for (const [i, z] of zones.entries()) {
      let cls;
      try {
        cls = await catalogue.classByCode(z.classRef);
      } catch (err) {
        issues.push({ field: `zones[${i}].classRef`, message: (err as Error).message });
        continue;
      }
      if (!cls) {
        issues.push({ field: `zones[${i}].classRef`, message: `the catalogue has no class ${z.classRef}` });
        continue;
      }
      if (z.standardId !== undefined && z.standardId !== null) {
        const standard = await catalogue.standardById(z.standardId);
        if (!standard || standard.classCode !== cls.code) {
          issues.push({
            field: `zones[${i}].standardId`,
            message: `situation ${z.standardId} is not one of class ${z.classRef}`,
          });
        }
      }
    }
  }
}

const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));
