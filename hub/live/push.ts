// Live map push (实时推送): durable observations go to browsers over socket.io as batched deltas — one message per
// tick carrying each device's newest fix and state — instead of one message per position. A browser chooses layers
// (kinds of device, and cases) and optionally a bounding box; on subscribing it gets a snapshot, then deltas. Case
// changes (案件动态) ride the same channel and the same tick.
import type { Namespace, Socket } from 'socket.io';
import type { DeviceStatus, Observation, Position } from '../../ingest/observation.js';

export interface LivePositionDto {
  deviceId: string;
  kind: string | null;
  time: string;
  lat: number;
  lon: number;
  speedKmh: number | null;
  course: number | null;
}

export interface LiveStatusDto {
  deviceId: string;
  kind: string | null;
  state: DeviceStatus['state'];
  time: string;
}

/** A case as the map draws it: no complainant, nothing a passer-by could not see on the street. */
export interface LiveCaseDto {
  id: string;
  number: string;
  state: string;
  classKind: string;
  classCode: string;
  lon: number;
  lat: number;
  departmentId: string | null;
  supervised: boolean;
  /** The action that made this change (absent in snapshots). */
  action?: string;
  updatedAt: string;
}

/** A detector's candidate case (待受理候选) as the map and the acceptance queue show it. */
export interface LiveCandidateDto {
  id: string;
  status: string;
  ruleId: string | null;
  ruleKind: string | null;
  classKind: string | null;
  classCode: string;
  lon: number;
  lat: number;
  mergedCount: number;
  startAt: string;
  endAt: string;
}

export const LIVE_NAMESPACE = '/live';
export const POSITIONS_EVENT = 'positions';
export const STATUS_EVENT = 'status';
export const SNAPSHOT_EVENT = 'snapshot';
export const SUBSCRIBE_EVENT = 'subscribe';
export const CASES_EVENT = 'cases';
export const CANDIDATES_EVENT = 'candidates';

/** Map layers a browser can subscribe to: one per kind of device, and the cases. */
export const LAYERS = ['vehicles', 'collectors', 'sensors', 'cameras', 'cases', 'candidates'] as const;
export type Layer = (typeof LAYERS)[number];
const LAYER_OF_KIND: Record<string, Layer> = {
  vehicle: 'vehicles',
  collector: 'collectors',
  sensor: 'sensors',
  camera: 'cameras',
};

type Bbox = [west: number, south: number, east: number, north: number];

interface Subscription {
  layers: Set<Layer>;
  bbox: Bbox | null;
}

export interface LiveDeps {
  /** The kind of a device (vehicle, collector…), null when unknown. */
  kindOf(deviceId: string): string | null;
  snapshot(): Promise<{ positions: LivePositionDto[]; statuses: LiveStatusDto[] }>;
  /** Open cases for the snapshot of the cases layer. */
  caseSnapshot?(): Promise<LiveCaseDto[]>;
}

const ALL: Subscription = { layers: new Set(LAYERS), bbox: null };

function parseSubscription(raw: unknown): Subscription | string {
  if (typeof raw !== 'object' || raw === null) return 'subscribe takes { layers?: string[], bbox?: [w, s, e, n] }';
  const { layers, bbox } = raw as { layers?: unknown; bbox?: unknown };
  const chosen = new Set<Layer>();
  if (layers !== undefined) {
    if (!Array.isArray(layers)) return 'layers must be an array';
    for (const l of layers) {
      if (!(LAYERS as readonly unknown[]).includes(l))
        return `unknown layer ${String(l)}; layers: ${LAYERS.join(', ')}`;
      chosen.add(l as Layer);
    }
  }
  if (bbox !== undefined && bbox !== null) {
    const ok =
      Array.isArray(bbox) &&
      bbox.length === 4 &&
      bbox.every((n) => typeof n === 'number' && Number.isFinite(n)) &&
      (bbox[0] as number) <= (bbox[2] as number) &&
      (bbox[1] as number) <= (bbox[3] as number);
    if (!ok) return 'bbox must be [west, south, east, north] in degrees';
  }
  return { layers: layers === undefined ? new Set(LAYERS) : chosen, bbox: (bbox as Bbox | undefined) ?? null };
}

function wants(sub: Subscription, kind: string | null, point?: { lat: number; lon: number }): boolean {
  const layer = kind ? LAYER_OF_KIND[kind] : undefined;
  // Devices of unknown kind are shown with the vehicles (where the map draws generic trackers).
  if (!sub.layers.has(layer ?? 'vehicles')) return false;
  return inBbox(sub, point);
}

function inBbox(sub: Subscription, point?: { lat: number; lon: number }): boolean {
  if (!sub.bbox || !point) return true;
  const [w, s, e, n] = sub.bbox;
  return point.lon >= w && point.lon <= e && point.lat >= s && point.lat <= n;
}

export class LivePush {
  private pendingPositions = new Map<string, Position>();
  private pendingStatus = new Map<string, DeviceStatus>();
  private pendingCases = new Map<string, LiveCaseDto>();
  private pendingCandidates = new Map<string, LiveCandidateDto>();
  /** Newest time sent per device: a late fix (a re-send after a coverage gap) never moves a marker back. */
  private sentTimeMs = new Map<string, number>();
  private readonly subscriptions = new WeakMap<Socket, Subscription>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly namespace: Namespace,
    intervalMs: number,
    private readonly deps: LiveDeps,
  ) {
    namespace.on('connection', (socket) => {
      socket.on(SUBSCRIBE_EVENT, (raw: unknown, ack?: (reply: unknown) => void) => {
        const sub = parseSubscription(raw);
        if (typeof sub === 'string') return ack?.({ error: sub });
        this.subscriptions.set(socket, sub);
        const cases = sub.layers.has('cases') && deps.caseSnapshot ? deps.caseSnapshot() : Promise.resolve([]);
        Promise.all([deps.snapshot(), cases]).then(
          ([snap, open]) => {
            const positions = snap.positions.filter((p) => wants(sub, p.kind, p));
            const statuses = snap.statuses.filter((s) => wants(sub, s.kind));
            const caseList = open.filter((c) => inBbox(sub, c));
            socket.emit(SNAPSHOT_EVENT, { positions, statuses, cases: caseList });
            ack?.({ ok: true, layers: [...sub.layers], bbox: sub.bbox });
          },
          () => ack?.({ error: 'snapshot unavailable; retry' }),
        );
      });
    });
    this.timer = setInterval(() => this.flush(), intervalMs);
    this.timer.unref();
  }

  /** Observations that are now durable. */
  push(observations: readonly Observation[]): void {
    for (const o of observations) {
      if (o.type === 'position') {
        if (o.flags?.length) continue;
        const sent = this.sentTimeMs.get(o.deviceId);
        if (sent !== undefined && o.timeMs <= sent) continue;
        const queued = this.pendingPositions.get(o.deviceId);
        if (!queued || o.timeMs > queued.timeMs) this.pendingPositions.set(o.deviceId, o);
      } else if (o.type === 'status') {
        const queued = this.pendingStatus.get(o.deviceId);
        if (!queued || o.timeMs >= queued.timeMs) this.pendingStatus.set(o.deviceId, o);
      }
    }
  }

  /** A committed case change; several changes of one case within a tick send only the last. */
  pushCase(change: LiveCaseDto): void {
    this.pendingCases.set(change.id, change);
  }

  /** A candidate raised or grown by a rule; several changes of one within a tick send only the last. */
  pushCandidate(candidate: LiveCandidateDto): void {
    this.pendingCandidates.set(candidate.id, candidate);
  }

  flush(): void {
    const idle =
      this.pendingPositions.size === 0 &&
      this.pendingStatus.size === 0 &&
      this.pendingCases.size === 0 &&
      this.pendingCandidates.size === 0;
    if (idle) return;
    const positions: LivePositionDto[] = [];
    for (const p of this.pendingPositions.values()) {
      this.sentTimeMs.set(p.deviceId, p.timeMs);
      positions.push({
        deviceId: p.deviceId,
        kind: this.deps.kindOf(p.deviceId),
        time: new Date(p.timeMs).toISOString(),
        lat: p.lat,
        lon: p.lon,
        speedKmh: p.speedKmh,
        course: p.course,
      });
    }
    const statuses: LiveStatusDto[] = [...this.pendingStatus.values()].map((s) => ({
      deviceId: s.deviceId,
      kind: this.deps.kindOf(s.deviceId),
      state: s.state,
      time: new Date(s.timeMs).toISOString(),
    }));
    const cases = [...this.pendingCases.values()];
    const candidates = [...this.pendingCandidates.values()];
    this.pendingPositions.clear();
    this.pendingStatus.clear();
    this.pendingCases.clear();
    this.pendingCandidates.clear();
    for (const socket of this.namespace.sockets.values()) {
      const sub = this.subscriptions.get(socket) ?? ALL;
      const p = sub === ALL ? positions : positions.filter((x) => wants(sub, x.kind, x));
      const s = sub === ALL ? statuses : statuses.filter((x) => wants(sub, x.kind));
      if (p.length > 0) socket.emit(POSITIONS_EVENT, { positions: p });
      if (s.length > 0) socket.emit(STATUS_EVENT, { statuses: s });
      if (cases.length > 0 && sub.layers.has('cases')) {
        const c = sub.bbox ? cases.filter((x) => inBbox(sub, x)) : cases;
        if (c.length > 0) socket.emit(CASES_EVENT, { cases: c });
      }
      if (candidates.length > 0 && sub.layers.has('candidates')) {
        const c = sub.bbox ? candidates.filter((x) => inBbox(sub, x)) : candidates;
        if (c.length > 0) socket.emit(CANDIDATES_EVENT, { candidates: c });
      }
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
