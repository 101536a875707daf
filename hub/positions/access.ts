// 个人位置权限 who may see people's positions: a collector's handheld (监督员终端) follows a person through the city, so its
// positions, states and tracks are personal data, served only to the supervision centre's roles — and to the collector
// it belongs to. Vehicles, sensors and cameras are equipment: anyone reaching the hub sees them (the public live map).
// The HTTP routes (hub/http/positions.ts) and the live push (hub/live/push.ts) both ask here.
import type pg from 'pg';
import type { Actor, Role } from '../cases/ports.js';
import type { Authenticator } from '../http/guard.js';

/** Roles that supervise collectors' work and so see every collector's position and track. */
export const PERSONAL_POSITION_ROLES = [
  'acceptor',
  'shiftLeader',
  'dispatcher',
  'leader',
  'admin',
  'auditor',
] as const satisfies readonly Role[];

/**
 * Kinds of device whose positions are nobody's personal data. Anything else — collectors, and a device whose kind is
 * not known yet (registered a moment ago, or gone from the registry) — is shown only to those who may see people.
 */
const PUBLIC_KINDS: ReadonlySet<string> = new Set(['vehicle', 'sensor', 'camera']);

/** Detection rules whose candidates stand where a collector stood (idle, outside the assigned cells). */
const PERSONAL_RULE_KIND_PREFIX = 'collector-';

export interface PositionViewer {
  /** Who is looking; null: nobody logged in (or a token that is not, or no longer, a session). */
  actor: Actor | null;
  /** Sees every device, collectors included. */
  allDevices: boolean;
  /** Personal devices this viewer sees without `allDevices`: a collector's own handheld. */
  ownDeviceIds: ReadonlySet<string>;
}

export const ANONYMOUS_VIEWER: PositionViewer = Object.freeze({
  actor: null,
  allDevices: false,
  ownDeviceIds: new Set<string>(),
});

/** What a viewer sees of people, as the live feed tells the browser: every collector, only their own, or none. */
export type PersonalScope = 'all' | 'own' | 'none';

export function personalScope(viewer: PositionViewer): PersonalScope {
  if (viewer.allDevices) return 'all';
  return viewer.ownDeviceIds.size > 0 ? 'own' : 'none';
}

/** Whether two answers let a viewer see the same devices (a re-check that changes nothing needs no new snapshot). */
export function sameSight(a: PositionViewer, b: PositionViewer): boolean {
  if (a.allDevices !== b.allDevices) return false;
  if (a.allDevices) return true;
  if (a.ownDeviceIds.size !== b.ownDeviceIds.size) return false;
  for (const id of a.ownDeviceIds) if (!b.ownDeviceIds.has(id)) return false;
  return true;
}

export const isPersonalKind = (kind: string | null): boolean => kind === null || !PUBLIC_KINDS.has(kind);

/** Whether `viewer` may see this device's position, state and track. */
export function maySee(viewer: PositionViewer, deviceId: string, kind: string | null): boolean {
  return !isPersonalKind(kind) || viewer.allDevices || viewer.ownDeviceIds.has(deviceId);
}

/** A detector's candidate raised by a collector rule places a person: only those who see every collector get it. */
export function isPersonalCandidate(candidate: { ruleKind: string | null }): boolean {
  return candidate.ruleKind?.startsWith(PERSONAL_RULE_KIND_PREFIX) ?? false;
}

export type TrackAccess = 'allowed' | 'unauthenticated' | 'forbidden';

type Queryable = Pick<pg.Pool, 'query'>;

export class PositionAccess {
  constructor(
    private readonly auth: Authenticator,
    private readonly db: Queryable,
  ) {}

  /** The viewer behind an Authorization header; a missing or dead token is the anonymous viewer. */
  async viewerFor(authorization: string | undefined): Promise<PositionViewer> {
    const actor = authorization ? await this.auth.actorFor(authorization) : null;
    if (!actor) return ANONYMOUS_VIEWER;
    if (actor.roles.some((r) => (PERSONAL_POSITION_ROLES as readonly Role[]).includes(r))) {
      return { actor, allDevices: true, ownDeviceIds: new Set() };
    }
    if (!actor.roles.includes('collector')) return { actor, allDevices: false, ownDeviceIds: new Set() };
    return { actor, allDevices: false, ownDeviceIds: await this.ownDevices(actor.userId) };
  }

  /**
   * May the caller read this device's track? The registry says what the device is (not a cache: a track reaches back
   * a month); a device the registry no longer knows is treated as a person's, since its stored fixes may be one's.
   */
  async track(authorization: string | undefined, deviceId: string): Promise<TrackAccess> {
    const { rows } = await this.db.query<{ kind: string }>('SELECT kind FROM devices WHERE id = $1', [deviceId]);
    const kind = rows[0]?.kind ?? null;
    if (!isPersonalKind(kind)) return 'allowed';
    const viewer = await this.viewerFor(authorization);
    if (maySee(viewer, deviceId, kind)) return 'allowed';
    return viewer.actor ? 'forbidden' : 'unauthenticated';
  }

  /**
   * A collector's own handhelds: the registry links a collector device to a person by staff number (工号), the same
   * link the evaluation and the collectors' reports use.
   */
  private async ownDevices(userId: string): Promise<ReadonlySet<string>> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT d.id FROM devices d JOIN users u ON u.staff_id = d.staff_id
        WHERE u.id = $1 AND 'collector' = ANY (u.roles) AND d.kind = 'collector'`,
      [userId],
    );
    return new Set(rows.map((r) => r.id));
  }
}
