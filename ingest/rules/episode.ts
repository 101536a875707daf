// 违规时段 violation episodes: turns a per-fix condition (inside a zone, too fast, stopped) into one episode per
// violation, so a truck staying in a zone for an hour is one candidate and flapping at a zone edge is not a burst.
// An episode starts at the first fix where the condition holds, fires once it has lasted `minDurationMs`, and ends
// only after the condition has been false for `minGapMs` (shorter gaps are the same episode) or the device stopped
// reporting for longer than STALE_FIX_GAP_MS (we cannot say what happened in between, so a later fix starts afresh).
// A fired episode becomes a draft the same way in every rule built on it (restricted zone, overspeed, no stopping, off
// route): only the wording and the measurements are the rule's own.
import type { Position } from '../observation.js';
import { draftHead, HISTORY_MARGIN_MS } from './config-base.js';
import type { TrackBuffer } from './track.js';
import type { CandidateDraft, RuleConfigBase, RuleContext } from './types.js';

/** Longer than this without a fix of the device, an open episode is closed. */
export const STALE_FIX_GAP_MS = 15 * 60_000;

export interface Episode {
  startMs: number;
  /** Time of the last fix where the condition held. */
  lastTrueMs: number;
  /** Time of the last fix seen for this episode. */
  lastSeenMs: number;
  /** When the condition became false (null while it holds). */
  falseSinceMs: number | null;
  fired: boolean;
  /** Where the episode started. */
  lon: number;
  lat: number;
  /** Rule-specific measure, e.g. the highest speed. */
  peak: number;
}

const NO_SUBJECTS: readonly string[] = Object.freeze([]);

/** Open episodes per device and subject (a zone id, an alarm name; '' for rules with one subject per device). */
export class EpisodeTracker {
  private readonly devices = new Map<string, Map<string, Episode>>();

  constructor(
    private readonly minDurationMs: number,
    private readonly minGapMs: number,
  ) {}

  /** Drops the device's open episodes (it is handed over to another process). */
  forget(deviceId: string): void {
    this.devices.delete(deviceId);
  }

  /**
   * History that rebuilds an episode after a hand-over: one lasting the minimum duration plus the gap that would end it.
   * An episode older than that has fired already, and fires again on the replayed history, where drafts are dropped.
   */
  get historyMs(): number {
    return this.minDurationMs + this.minGapMs;
  }

  get(deviceId: string, subject = ''): Episode | undefined {
    return this.devices.get(deviceId)?.get(subject);
  }

  /** Subjects with an open episode for the device, so a rule can feed "not any more" to the zones a fix is not in. */
  openSubjects(deviceId: string): readonly string[] {
    const m = this.devices.get(deviceId);
    return m && m.size > 0 ? [...m.keys()] : NO_SUBJECTS;
  }

  /**
   * Feeds "the condition does not hold" to the device's open episodes whose subject is none of `judged` (the zones the
   * fix was judged in), so a device that left a zone ends its episode there.
   */
  falseExcept(deviceId: string, judged: readonly { id: string }[], timeMs: number, lon: number, lat: number): void {
    for (const subject of this.openSubjects(deviceId)) {
      if (!judged.some((z) => z.id === subject)) this.update(deviceId, subject, timeMs, false, lon, lat);
    }
  }

  /**
   * Feeds one fix of the device: `holds` is the condition at the fix, `measure` a value whose maximum is kept as the
   * episode's peak (e.g. the speed). Returns the episode when it reaches its minimum duration at this fix, else null.
   */
  update(
    deviceId: string,
    subject: string,
    timeMs: number,
    holds: boolean,
    lon: number,
    lat: number,
    measure = 0,
  ): Episode | null {
    let m = this.devices.get(deviceId);
    let e = m?.get(subject);
    if (e && timeMs < e.lastSeenMs) return null; // out of order for this device: the episode already saw later fixes
    if (
      e &&
      (timeMs - e.lastSeenMs > STALE_FIX_GAP_MS ||
        (e.falseSinceMs !== null && timeMs - e.falseSinceMs >= this.minGapMs))
    ) {
      m!.delete(subject);
      e = undefined;
    }
    if (!holds) {
      if (e) {
        if (e.falseSinceMs === null) e.falseSinceMs = timeMs;
        e.lastSeenMs = timeMs;
      }
      return null;
    }
    if (!e) {
      e = {
        startMs: timeMs,
        lastTrueMs: timeMs,
        lastSeenMs: timeMs,
        falseSinceMs: null,
        fired: false,
        lon,
        lat,
        peak: measure,
      };
      if (!m) this.devices.set(deviceId, (m = new Map()));
      m.set(subject, e);
    }
    e.lastTrueMs = timeMs;
    e.lastSeenMs = timeMs;
    e.falseSinceMs = null;
    if (measure > e.peak) e.peak = measure;
    if (!e.fired && timeMs - e.startMs >= this.minDurationMs) {
      e.fired = true;
      return e;
    }
    return null;
  }
}

/** What a rule says about an episode that fired; the rest of the draft is the same for every episode rule. */
export interface EpisodeFinding {
  /** The episode's subject (a zone id) for the key; absent for rules with one subject per device. */
  subject?: string;
  confidence: number;
  description: string;
  /** How much track before the episode's start the evidence shows. */
  leadMs: number;
  measured: Record<string, unknown>;
}

/**
 * The draft of episode `e` that fired at fix `o`: placed where the episode started, spanning its start to the fix, with
 * the device's track from `leadMs` before the start as evidence.
 */
export function episodeDraft(
  config: RuleConfigBase,
  o: Position,
  e: Episode,
  ctx: RuleContext,
  tracks: TrackBuffer,
  finding: EpisodeFinding,
): CandidateDraft {
  const subject = finding.subject === undefined ? '' : `${finding.subject}:`;
  return {
    ...draftHead(config),
    deviceId: o.deviceId,
    lon: e.lon,
    lat: e.lat,
    cell: ctx.locate(e.lon, e.lat)?.cell ?? null,
    startMs: e.startMs,
    endMs: o.timeMs,
    confidence: finding.confidence,
    description: finding.description,
    evidence: {
      track: tracks.snippet(o.deviceId, e.startMs - finding.leadMs, o.timeMs),
      measured: finding.measured,
    },
    key: `${config.id}:${o.deviceId}:${subject}${e.startMs}`,
  };
}

/** The hand-over methods of a rule whose per-device state is its episodes and evidence tracks. */
export function episodeHandover(
  episodes: EpisodeTracker,
  tracks: TrackBuffer,
): { forgetDevice(deviceId: string): void; historyMs(): number } {
  return {
    forgetDevice(deviceId) {
      episodes.forget(deviceId);
      tracks.forget(deviceId);
    },
    historyMs: () => episodes.historyMs + HISTORY_MARGIN_MS,
  };
}
