// 实时推送的查看者 who is behind each `/live` socket: a browser may hand its session token in the handshake
// (`auth: { token }`); the answer — which people's positions it may see (hub/positions/access.ts) — is kept per socket and
// asked again every few seconds while the socket lives, so a session that is logged out, revoked or expires stops
// receiving collectors within that time. A socket without a token (or with a dead one) is anonymous: the public map.
import type { Namespace, Socket } from 'socket.io';
import { ANONYMOUS_VIEWER, personalScope, sameSight, type PositionViewer } from '../positions/access.js';

/** Told to a socket whose sight changed after a re-check, `{ personal: 'all' | 'own' | 'none' }`: subscribe again. */
export const ACCESS_EVENT = 'access';

export interface ViewerSource {
  viewerFor(authorization: string | undefined): Promise<PositionViewer>;
}

export interface LiveViewersOptions {
  /** How long an answer is used before the session is asked again; default 5 s. */
  recheckMs?: number;
  /** Milliseconds clock; tests move it. */
  now?: () => number;
  log?: { warn(obj: object, msg: string): void };
}

interface Entry {
  authorization: string;
  viewer: PositionViewer;
  checkedAtMs: number;
  checking: Promise<PositionViewer> | null;
}

const MAX_TOKEN_LENGTH = 512;
/** Answers that could not be renewed for this many re-check periods (database away) no longer count. */
const STALE_PERIODS = 3;

export class LiveViewers {
  private readonly entries = new WeakMap<Socket, Entry>();
  private readonly recheckMs: number;
  private readonly now: () => number;
  private readonly log: LiveViewersOptions['log'];

  constructor(
    private readonly namespace: Namespace,
    private readonly source: ViewerSource | null,
    options: LiveViewersOptions = {},
  ) {
    this.recheckMs = options.recheckMs ?? 5_000;
    this.now = options.now ?? Date.now;
    this.log = options.log;
    namespace.use((socket, next) => {
      const token: unknown = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      if (token === undefined || token === null || token === '') return next();
      if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) {
        return next(new Error('auth.token must be the session token (a string from POST /api/auth/login)'));
      }
      // Without a source of answers nobody sees people (a LivePush wired without one, in tests of other layers).
      if (!this.source) return next();
      const entry: Entry = {
        authorization: `Bearer ${token}`,
        viewer: ANONYMOUS_VIEWER,
        checkedAtMs: Number.NEGATIVE_INFINITY,
        checking: null,
      };
      this.entries.set(socket, entry);
      // The first answer before the connection is accepted, so the first snapshot is already the right one. If the
      // database does not answer, the socket starts anonymous and the next tick asks again.
      this.check(socket, entry, false).then(
        () => next(),
        (err: unknown) => {
          this.log?.warn({ err }, 'live: session check failed; the socket starts anonymous');
          next();
        },
      );
    });
  }

  /** The socket's viewer now, for a batch; starts a re-check when the answer is old, without waiting for it. */
  viewerOf(socket: Socket): PositionViewer {
    const entry = this.entries.get(socket);
    if (!entry) return ANONYMOUS_VIEWER;
    const ageMs = this.now() - entry.checkedAtMs;
    if (ageMs >= this.recheckMs) {
      this.check(socket, entry, true).catch((err: unknown) => this.log?.warn({ err }, 'live: session re-check failed'));
    }
    return ageMs < this.recheckMs * STALE_PERIODS ? entry.viewer : ANONYMOUS_VIEWER;
  }

  /** The socket's viewer for a snapshot: an old answer is renewed first. */
  async current(socket: Socket): Promise<PositionViewer> {
    const entry = this.entries.get(socket);
    if (!entry) return ANONYMOUS_VIEWER;
    if (this.now() - entry.checkedAtMs < this.recheckMs) return entry.viewer;
    try {
      return await this.check(socket, entry, false);
    } catch (err) {
      this.log?.warn({ err }, 'live: session check failed; snapshot without people');
      return ANONYMOUS_VIEWER;
    }
  }

  /** Starts the re-checks that are due, so an idle map also learns that its session ended. */
  recheckDue(): void {
    for (const socket of this.namespace.sockets.values()) {
      const entry = this.entries.get(socket);
      if (entry) this.viewerOf(socket);
    }
  }

  private check(socket: Socket, entry: Entry, notify: boolean): Promise<PositionViewer> {
    entry.checking ??= this.source!.viewerFor(entry.authorization)
      .then((viewer) => {
        const before = entry.viewer;
        entry.viewer = viewer;
        entry.checkedAtMs = this.now();
        // A session never comes back once it has ended: stop asking about it.
        if (!viewer.actor) this.entries.delete(socket);
        if (notify && !sameSight(before, viewer) && socket.connected) {
          socket.emit(ACCESS_EVENT, { personal: personalScope(viewer) });
        }
        return viewer;
      })
      .finally(() => {
        entry.checking = null;
      });
    return entry.checking;
  }
}
