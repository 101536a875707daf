// Live map push (实时推送): durable observations go to browsers over socket.io as batched deltas — one message per
// tick carrying each device's newest fix and state — instead of one message per position. A browser chooses layers
// (kinds of device, and cases) and optionally a bounding box; on subscribing it gets a snapshot, then deltas. Case
// changes (案件动态), candidates and camera status (视频监控点在线状态) ride the same channel and the same tick. People's
// positions (collectors') go only to sockets whose session may see them (hub/live/viewers.ts). A viewer that does not read
// its connection is sent nothing more until it does, then the newest state of what it missed (hub/live/backlog.ts).
import type { Namespace, Socket } from 'socket.io';
import type { DeviceStatus, Observation, Position } from '../../ingest/observation.js';
import {
  isPersonalCandidate,
  isPersonalKind,
  maySee,
  personalScope,
  type PositionViewer,
} from '../positions/access.js';
import { LiveBacklogs, type LiveBacklogMetrics } from './backlog.js';
import { newestOf, type ViewerDeltas } from './held-deltas.js';
import { nextFlight } from './next-flight.js';
import { LiveViewers, type ViewerSource } from './viewers.js';

export interface LivePositionDto {
  deviceId: string;
  kind: string | null;
  /** A vehicle's kind from the registry (`attributes.vehicleKind`: muck, sanitation, patrol…), null when not given. */
  vehicleKind?: string | null;
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
  /** False once the case has left the loop (closed, evaluated, rejected, voided): the map takes it off. */
  open: boolean;
  classKind: string;
  classCode: string;
  lon: number;
  lat: number;
  departmentId: string | null;
  supervised: boolean;
  /** The action that made this change (absent in snapshots). */
  action?: string;
  updatedAt: string;
  /** Increases with every change: a browser keeps the highest it has seen (a snapshot may be older than a delta). */
  version: number;
  /** 红绿灯 of the clock running now (handling, or the current step); null before any clock starts. */
  light: 'green' | 'yellow' | 'red' | null;
  /** When a running clock turns yellow and red; null while it stands still, so the browser recolours on time. */
  yellowAt: string | null;
  redAt: string | null;
}

/** A detector's candidate case (待受理候选) as the map and the acceptance queue show it. */
export interface LiveCandidateDto {
  id: string;
  /** pending; accepted or dismissed take it off the map. */
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

/**
 * A registered camera's state as the map shows it (视频监控点): online or offline and the newest frame. No name and no
 * place: this channel needs no login, and where the cameras are is for logged-in users (GET /api/cameras).
 */
export interface LiveCameraDto {
  id: string;
  status: 'online' | 'offline';
  statusChangedAt: string | null;
  lastFrameAt: string | null;
  enabled: boolean;
  /** When the camera's registry entry last changed: a map holding an older camera list fetches it again. */
  updatedAt: string;
}

/** A camera state with the camera's place, used only to filter by a subscriber's bounding box, never sent. */
export interface LiveCameraChange {
  camera: LiveCameraDto;
  lon: number;
  lat: number;
}

/** From the registry's live state (hub/cameras/registry.ts CameraLiveState). */
export function toLiveCamera(c: {
  id: string;
  status: 'online' | 'offline';
  statusChangedAt: Date | null;
  lastFrameAt: Date | null;
  enabled: boolean;
  updatedAt: Date;
  lon: number;
  lat: number;
}): LiveCameraChange {
  return {
    camera: {
      id: c.id,
      status: c.status,
      statusChangedAt: c.statusChangedAt?.toISOString() ?? null,
      lastFrameAt: c.lastFrameAt?.toISOString() ?? null,
      enabled: c.enabled,
      updatedAt: c.updatedAt.toISOString(),
    },
    lon: c.lon,
    lat: c.lat,
  };
}

export const LIVE_NAMESPACE = '/live';
export const POSITIONS_EVENT = 'positions';
export const STATUS_EVENT = 'status';
export const SNAPSHOT_EVENT = 'snapshot';
export const SUBSCRIBE_EVENT = 'subscribe';
export const CASES_EVENT = 'cases';
export const CANDIDATES_EVENT = 'candidates';
export const CAMERAS_EVENT = 'cameras';
/** Between hub processes (socket.io serverSideEmit through the Redis adapter), never sent to a browser. */
export const PROCESS_BATCH_EVENT = 'cityhub:live-batch';

/** One tick's deltas of one hub process, handed to the others so their browsers see them too. */
export interface LiveBatch {
  positions: LivePositionDto[];
  statuses: LiveStatusDto[];
  cases: LiveCaseDto[];
  candidates: LiveCandidateDto[];
  cameras: LiveCameraChange[];
}

/**
 * Map layers a browser can subscribe to: one per kind of device, the cases and candidates. `cameras` carries both
 * devices of kind camera and the registered video cameras' status.
 */
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
  /** Pending candidates for the snapshot of the candidates layer. */
  candidateSnapshot?(): Promise<LiveCandidateDto[]>;
  /** A vehicle's kind (registry `attributes.vehicleKind`), null when unknown. */
  vehicleKindOf?(deviceId: string): string | null;
  /** Every registered camera's state, for the snapshot of the cameras layer. */
  cameraSnapshot?(): Promise<LiveCameraChange[]>;
  /**
   * Several hub processes (socket.io with the Redis adapter): each tick's deltas go to the other processes, and theirs
   * reach this process's browsers on its next tick, so a browser on any process sees every device.
   */
  acrossProcesses?: boolean;
  /**
   * Who may see people (collectors' positions, states and candidates; hub/positions/access.ts), asked with the session
   * token a socket sends in its handshake (`auth: { token }`). Unset: no socket sees people.
   */
  access?: ViewerSource;
  /** How often a socket's session is asked again (default 5 s): a logged-out session stops seeing people by then. */
  accessRecheckMs?: number;
  /** Counts of backed-up viewers and of the deltas they were not sent because newer ones replaced them. */
  backlogMetrics?: LiveBacklogMetrics;
  log?: { warn(obj: object, msg: string): void; info?(obj: object, msg: string): void };
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

/** A device's fix or state goes to a viewer who may see that device (people only to those who may see them). */
const deviceFor = (viewer: PositionViewer) => (x: { deviceId: string; kind: string | null }) =>
  maySee(viewer, x.deviceId, x.kind);
/** A candidate raised by a collector rule places a person: only for viewers who see every collector. */
const candidateFor = (viewer: PositionViewer) => (c: LiveCandidateDto) => viewer.allDevices || !isPersonalCandidate(c);

function inBbox(sub: Subscription, point?: { lat: number; lon: number }): boolean {
  if (!sub.bbox || !point) return true;
  const [w, s, e, n] = sub.bbox;
  return point.lon >= w && point.lon <= e && point.lat >= s && point.lat <= n;
}

/** One event per kind of delta, none for an empty kind. */
function emitDeltas(socket: Socket, d: ViewerDeltas): void {
  if (d.positions.length > 0) socket.emit(POSITIONS_EVENT, { positions: d.positions });
  if (d.statuses.length > 0) socket.emit(STATUS_EVENT, { statuses: d.statuses });
  if (d.cases.length > 0) socket.emit(CASES_EVENT, { cases: d.cases });
  if (d.candidates.length > 0) socket.emit(CANDIDATES_EVENT, { candidates: d.candidates });
  if (d.cameras.length > 0) socket.emit(CAMERAS_EVENT, { cameras: d.cameras });
}

/** Deltas held for a backed-up viewer, filtered again by what it may see of people now (its session may have ended). */
function inSight(viewer: PositionViewer, d: ViewerDeltas): ViewerDeltas {
  const device = deviceFor(viewer);
  return {
    ...d,
    positions: d.positions.filter(device),
    statuses: d.statuses.filter(device),
    candidates: d.candidates.filter(candidateFor(viewer)),
  };
}

export class LivePush {
  private pendingPositions = new Map<string, Position>();
  private pendingStatus = new Map<string, DeviceStatus>();
  private pendingCases = new Map<string, LiveCaseDto>();
  private pendingCandidates = new Map<string, LiveCandidateDto>();
  private pendingCameras = new Map<string, LiveCameraChange>();
  /** Newest time sent per device: a late fix (a re-send after a coverage gap) never moves a marker back. */
  private sentTimeMs = new Map<string, number>();
  private readonly subscriptions = new WeakMap<Socket, Subscription>();
  private readonly timer: NodeJS.Timeout;
  private readonly viewers: LiveViewers;
  private readonly backlogs: LiveBacklogs;
  /** Deltas other hub processes sent since the last tick, merged (the newest per device, case, candidate, camera). */
  private readonly fromOthers = {
    positions: newestOf.positions(),
    statuses: newestOf.statuses(),
    cases: newestOf.cases(),
    candidates: newestOf.candidates(),
    cameras: newestOf.cameraChanges(),
  };

  constructor(
    private readonly namespace: Namespace,
    intervalMs: number,
    private readonly deps: LiveDeps,
  ) {
    this.viewers = new LiveViewers(namespace, deps.access ?? null, { recheckMs: deps.accessRecheckMs, log: deps.log });
    this.backlogs = new LiveBacklogs({ metrics: deps.backlogMetrics, log: deps.log });
    // Many subscribers at once (a control room opening, every browser back after a restart) share loads.
    const positionsNow = nextFlight(() => deps.snapshot());
    const casesNow = deps.caseSnapshot ? nextFlight(deps.caseSnapshot) : () => Promise.resolve([]);
    const camerasNow = deps.cameraSnapshot ? nextFlight(deps.cameraSnapshot) : () => Promise.resolve([]);
    const candidatesNow = deps.candidateSnapshot ? nextFlight(deps.candidateSnapshot) : () => Promise.resolve([]);
    namespace.on('connection', (socket) => {
      this.backlogs.watch(socket);
      socket.on(SUBSCRIBE_EVENT, (raw: unknown, ack?: (reply: unknown) => void) => {
        const sub = parseSubscription(raw);
        if (typeof sub === 'string') return ack?.({ error: sub });
        this.subscriptions.set(socket, sub);
        this.backlogs.reset(socket);
        const cases = sub.layers.has('cases') ? casesNow() : Promise.resolve([]);
        const cameras = sub.layers.has('cameras') ? camerasNow() : Promise.resolve([]);
        const candidates = sub.layers.has('candidates') ? candidatesNow() : Promise.resolve([]);
        Promise.all([positionsNow(), cases, cameras, candidates, this.viewers.current(socket)]).then(
          ([snap, open, cams, pending, viewer]) => {
            const device = deviceFor(viewer);
            const positions = snap.positions
              .filter((p) => wants(sub, p.kind, p) && device(p))
              .map((p) => ({ ...p, vehicleKind: deps.vehicleKindOf?.(p.deviceId) ?? null }));
            const statuses = snap.statuses.filter((s) => wants(sub, s.kind) && device(s));
            const caseList = open.filter((c) => inBbox(sub, c));
            const cameraList = cams.filter((c) => inBbox(sub, c)).map((c) => c.camera);
            const candidateList = pending.filter((c) => inBbox(sub, c) && candidateFor(viewer)(c));
            socket.emit(SNAPSHOT_EVENT, {
              positions,
              statuses,
              cases: caseList,
              cameras: cameraList,
              candidates: candidateList,
            });
            ack?.({ ok: true, layers: [...sub.layers], bbox: sub.bbox, personal: personalScope(viewer) });
          },
          (err: unknown) => {
            deps.log?.warn({ err: err instanceof Error ? err.message : String(err) }, 'live: snapshot failed');
            ack?.({ error: 'snapshot unavailable; retry' });
          },
        );
      });
    });
    if (deps.acrossProcesses) namespace.on(PROCESS_BATCH_EVENT, (batch: LiveBatch) => this.receive(batch));
    this.timer = setInterval(() => this.flush(), intervalMs);
    this.timer.unref();
  }

  /** Another hub process's tick: held for this process's next one. */
  private receive(batch: LiveBatch): void {
    const o = this.fromOthers;
    o.positions.add(batch.positions ?? []);
    o.statuses.add(batch.statuses ?? []);
    o.cases.add(batch.cases ?? []);
    o.candidates.add(batch.candidates ?? []);
    o.cameras.add(batch.cameras ?? []);
  }

  /** Merges what other processes sent into this tick's lists, and clears it. */
  private mergeFromOthers(
    positions: LivePositionDto[],
    statuses: LiveStatusDto[],
    cases: LiveCaseDto[],
    candidates: LiveCandidateDto[],
    cameras: LiveCameraChange[],
  ): void {
    const o = this.fromOthers;
    const local = new Set(positions.map((p) => p.deviceId));
    for (const p of o.positions.take()) {
      const timeMs = Date.parse(p.time);
      const sent = this.sentTimeMs.get(p.deviceId);
      // A late fix never moves a marker back, whichever process it came through.
      if ((sent !== undefined && timeMs <= sent) || local.has(p.deviceId)) continue;
      this.sentTimeMs.set(p.deviceId, timeMs);
      positions.push(p);
    }
    const localStatuses = new Set(statuses.map((s) => s.deviceId));
    for (const s of o.statuses.take()) if (!localStatuses.has(s.deviceId)) statuses.push(s);
    const localCases = new Set(cases.map((c) => c.id));
    for (const c of o.cases.take()) if (!localCases.has(c.id)) cases.push(c);
    const localCandidates = new Set(candidates.map((c) => c.id));
    for (const c of o.candidates.take()) if (!localCandidates.has(c.id)) candidates.push(c);
    const localCameras = new Set(cameras.map((c) => c.camera.id));
    for (const c of o.cameras.take()) if (!localCameras.has(c.camera.id)) cameras.push(c);
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

  /** A camera's status, last frame or registry entry changed; several changes of one within a tick send only the last. */
  pushCamera(change: LiveCameraChange): void {
    this.pendingCameras.set(change.camera.id, change);
  }

  flush(): void {
    this.viewers.recheckDue();
    const idle =
      this.pendingPositions.size === 0 &&
      this.pendingStatus.size === 0 &&
      this.pendingCases.size === 0 &&
      this.pendingCandidates.size === 0 &&
      this.pendingCameras.size === 0 &&
      Object.values(this.fromOthers).every((m) => m.size === 0) &&
      this.backlogs.backedUp === 0;
    if (idle) return;
    const positions: LivePositionDto[] = [];
    for (const p of this.pendingPositions.values()) {
      this.sentTimeMs.set(p.deviceId, p.timeMs);
      positions.push({
        deviceId: p.deviceId,
        kind: this.deps.kindOf(p.deviceId),
        vehicleKind: this.deps.vehicleKindOf?.(p.deviceId) ?? null,
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
    const cameras = [...this.pendingCameras.values()];
    this.pendingPositions.clear();
    this.pendingStatus.clear();
    this.pendingCases.clear();
    this.pendingCandidates.clear();
    this.pendingCameras.clear();
    if (this.deps.acrossProcesses) {
      const batch: LiveBatch = { positions, statuses, cases, candidates, cameras };
      const some = positions.length + statuses.length + cases.length + candidates.length + cameras.length > 0;
      if (some) this.namespace.serverSideEmit(PROCESS_BATCH_EVENT, batch);
      // After sending: the others' deltas are theirs to send, not this process's.
      this.mergeFromOthers(positions, statuses, cases, candidates, cameras);
    }
    // People in this tick: each socket gets them only if its session may see them (checked each tick, cached briefly).
    const personalDevices =
      positions.some((x) => isPersonalKind(x.kind)) || statuses.some((x) => isPersonalKind(x.kind));
    const personalCandidates = candidates.some(isPersonalCandidate);
    for (const socket of this.namespace.sockets.values()) {
      const sub = this.subscriptions.get(socket) ?? ALL;
      const viewer = this.viewers.viewerOf(socket);
      let p = sub === ALL ? positions : positions.filter((x) => wants(sub, x.kind, x));
      let s = sub === ALL ? statuses : statuses.filter((x) => wants(sub, x.kind));
      if (personalDevices && !viewer.allDevices) {
        p = p.filter(deviceFor(viewer));
        s = s.filter(deviceFor(viewer));
      }
      const tick: ViewerDeltas = { positions: p, statuses: s, cases: [], candidates: [], cameras: [] };
      if (cases.length > 0 && sub.layers.has('cases')) {
        tick.cases = sub.bbox ? cases.filter((x) => inBbox(sub, x)) : cases;
      }
      if (candidates.length > 0 && sub.layers.has('candidates')) {
        let c = sub.bbox ? candidates.filter((x) => inBbox(sub, x)) : candidates;
        if (personalCandidates && !viewer.allDevices) c = c.filter(candidateFor(viewer));
        tick.candidates = c;
      }
      if (cameras.length > 0 && sub.layers.has('cameras')) {
        tick.cameras = (sub.bbox ? cameras.filter((x) => inBbox(sub, x)) : cameras).map((x) => x.camera);
      }
      this.backlogs.deliver(socket, viewer, tick, (deltas, withHeld) =>
        emitDeltas(socket, withHeld && !viewer.allDevices ? inSight(viewer, deltas) : deltas),
      );
    }
  }

  /** Whether this socket's deltas are being held because it does not read its connection (diagnostics, tests). */
  isBackedUp(socket: Socket): boolean {
    return this.backlogs.isBackedUp(socket);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
