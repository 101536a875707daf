// 自动发现 detection on the live stream: the stored rules run in one engine fed every durable batch, and each draft
// they fire is raised as a deduplicated candidate (待受理候选). Configuration changes hot-swap the changed rules only, so
// a truck half-way through a no-stopping timer keeps its timer. Replays run the same rules over stored data in a fresh
// engine and store nothing. Nothing here ever throws into the ingest path: failures are logged with rule and device.
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Observation } from '../../ingest/observation.js';
import { CellCoverageRule, type CoverageRecord } from '../../ingest/rules/cell-coverage.js';
import { RuleEngine, type RuleStats } from '../../ingest/rules/engine.js';
import { configHash, createEngineRules } from '../../ingest/rules/registry.js';
import type { CandidateDraft, DeviceInfo, GridPlace, Rule, RuleContext, Zone } from '../../ingest/rules/types.js';
import { newCandidateOf, type CandidateQueue, type MergePolicy, type RaiseResult } from '../cases/candidates.js';
import type { Catalogue } from '../cases/ports.js';
import { RuleError, RuleStore, type RuleConfig, type RuleIssue } from './store.js';
import { deviceObservations, storedObservations } from './stored-observations.js';

export interface DetectionServiceOptions {
  pool: pg.Pool;
  candidates: CandidateQueue;
  /** The device registry's facts, from memory (called per observation). */
  deviceInfo: (deviceId: string) => DeviceInfo | null;
  /** The grid geocoder, from memory. */
  locate: (lon: number, lat: number) => GridPlace | null;
  /** The city's IANA time zone. */
  timeZone: string;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Checks the class and situation a rule names; without it only the rule's own schema and zones are checked. */
  catalogue?: Catalogue;
  /** How near drafts are merged (default: the candidate queue's 50 m, 1 day). */
  merge?: MergePolicy;
  /** After each stored draft (a new or merged candidate, evidence on a case): for the live queue and map. */
  onRaised?: (result: RaiseResult, draft: CandidateDraft) => void;
  /** Several hub processes: whether this one judges a device's absences (RuleContext.handles). Absent: always. */
  handles?: (deviceId: string) => boolean;
}

export interface ReplayRequest {
  fromMs: number;
  toMs: number;
  /** Only these stored rules (enabled or not); all enabled stored rules when left out. */
  ruleIds?: string[];
  /** Configurations to try instead of stored ones (validated like a PUT); `ruleIds` then picks among these. */
  rules?: unknown[];
}

export interface ReplayResult {
  drafts: CandidateDraft[];
  observations: number;
  ruleIds: string[];
  /** Rule failures during the replay, as the live engine would have logged them. */
  ruleErrors: number;
}

export interface DetectionStats {
  rules: number;
  zones: number;
  observations: number;
  drafts: number;
  created: number;
  merged: number;
  attached: number;
  repeated: number;
  /** Drafts the queue refused or could not store (logged). */
  raiseFailures: number;
  /** Exceptions from rules (logged; the rule keeps running on other devices). */
  ruleErrors: number;
  /** Drafts waiting to be written. */
  queued: number;
  /** 集群交接 devices handed over to this process whose rule state was rebuilt from their stored history. */
  handovers: number;
  /** Stored observations fed to rebuild it, and the drafts that history fired, dropped (raised where it was live). */
  historyObservations: number;
  historyDraftsDropped: number;
  /** The engine's counts and time spent per live rule. */
  perRule: RuleStats[];
}

interface LiveRule {
  /** The registry's hash of the configuration and the zones it names: the engine keeps the instance while it holds. */
  hash: string;
  rule: Rule;
}

const MAX_QUEUED_DRAFTS = 100_000;
/** A hand-over reads at most this much of a device's history (a rule asking more gets this)… */
const MAX_HISTORY_MS = 24 * 3600_000;
/** …and at most this many of its newest rows per kind (positions, telemetry, statuses). */
const MAX_HISTORY_ROWS = 20_000;

export class DetectionService {
  readonly store: RuleStore;
  readonly pool: pg.Pool;
  private readonly context: RuleContext;
  private readonly engine: RuleEngine;
  private live = new Map<string, LiveRule>();
  private zoneCount = 0;
  /** Drafts are raised one after another, in the order they fired: deduplication depends on it. */
  private raising: Promise<void> = Promise.resolve();
  private queued = 0;
  private reloading: Promise<unknown> = Promise.resolve();
  private readonly counters = {
    observations: 0,
    drafts: 0,
    created: 0,
    merged: 0,
    attached: 0,
    repeated: 0,
    raiseFailures: 0,
    ruleErrors: 0,
    handovers: 0,
    historyObservations: 0,
    historyDraftsDropped: 0,
  };
  /** Devices whose history is being fed after a hand-over, with their live observations held until it is in. */
  private readonly warming = new Map<string, Observation[]>();

  constructor(private readonly options: DetectionServiceOptions) {
    this.pool = options.pool;
    this.store = new RuleStore(options.pool, { catalogue: options.catalogue });
    this.context = {
      device: options.deviceInfo,
      locate: options.locate,
      timeZone: options.timeZone,
      ...(options.handles ? { handles: options.handles } : {}),
    };
    this.engine = this.newEngine(() => {
      this.counters.ruleErrors += 1;
    });
  }

  private newEngine(onError: () => void): RuleEngine {
    return new RuleEngine({
      ctx: this.context,
      onError: (err, { ruleId, kind, deviceId }) => {
        onError();
        this.options.log.error({ err, ruleId, ruleKind: kind, deviceId }, 'a detection rule failed');
      },
    });
  }

  /** Builds rules from configurations, one at a time so one bad stored rule cannot take the others down. */
  private build(configs: readonly RuleConfig[], zones: ReadonlyMap<string, Zone>, reuse: Map<string, LiveRule>) {
    const next = new Map<string, LiveRule>();
    for (const config of configs) {
      try {
        const hash = configHash(config, zones);
        const kept = reuse.get(config.id);
        if (kept && kept.hash === hash) {
          next.set(config.id, kept);
          continue;
        }
        const [built] = createEngineRules([config], zones);
        if (built) next.set(config.id, { hash: built.hash, rule: built.rule });
      } catch (err) {
        this.options.log.error({ err, ruleId: config.id }, 'a stored detection rule could not be built; it is skipped');
      }
    }
    return next;
  }

  /**
   * (Re)loads the stored rules and zones into the live engine. Rules whose configuration and zones did not change keep
   * their instance and with it their per-device state. Safe to call after every configuration change.
   */
  async load(): Promise<{ rules: number; zones: number }> {
    const run = this.reloading.then(async () => {
      const [records, zones] = await Promise.all([this.store.rules(), this.store.zoneMap()]);
      const configs = records.filter((r) => r.enabled).map((r) => r.config);
      this.live = this.build(configs, zones, this.live);
      this.zoneCount = zones.size;
      this.engine.replaceRules([...this.live.values()].map((l) => ({ rule: l.rule, hash: l.hash })));
      return { rules: this.live.size, zones: zones.size };
    });
    this.reloading = run.catch(() => undefined);
    return run;
  }

  /**
   * 巡查覆盖 the coverage records the live cell-coverage rules judged since the last call, taken out of the rules, for
   * the evaluation to store (hub/evaluation/coverage-store.ts). A rule rebuilt by a configuration change loses the
   * records it had not handed over yet.
   */
  drainCoverage(): { ruleId: string; record: CoverageRecord }[] {
    const out: { ruleId: string; record: CoverageRecord }[] = [];
    for (const [ruleId, live] of this.live) {
      if (live.rule instanceof CellCoverageRule) {
        for (const record of live.rule.drainCoverage()) out.push({ ruleId, record });
      }
    }
    return out;
  }

  /** The live rule instance of `id` (tests check that a reload kept it). */
  liveRule(id: string): Rule | null {
    return this.live.get(id)?.rule ?? null;
  }

  /**
   * Runs the live rules over a durable batch and queues the drafts for raising. Returns at once; `drain()` waits for
   * the drafts to be stored. Never throws.
   */
  process(observations: readonly Observation[]): void {
    if (this.warming.size > 0) {
      const live: Observation[] = [];
      for (const o of observations) {
        const held = this.warming.get(o.deviceId);
        if (held) held.push(o);
        else live.push(o);
      }
      observations = live;
    }
    let drafts: CandidateDraft[];
    try {
      this.counters.observations += observations.length;
      drafts = this.engine.process(observations);
    } catch (err) {
      // The engine isolates rules; reaching here is a bug in the engine itself, which must not stop ingest.
      this.options.log.error({ err }, 'the detection engine failed on a batch');
      return;
    }
    this.enqueue(drafts);
  }

  /**
   * 集群交接 The device is handled by another hub process now (it connected there): the rules forget it here, so this
   * process never judges it on a history that stopped (a silence, a stop, a shift's coverage).
   */
  forgetDevice(deviceId: string): void {
    this.warming.delete(deviceId);
    this.engine.forgetDevice(deviceId);
  }

  /**
   * 集群交接 The device was handed over to this process (it connected here, and was handled elsewhere or not at all
   * since this process started): its rules' state is rebuilt from its stored history, as far back as the rules ask.
   * What that history fires is dropped, since the process that saw it live raised it then; the device's live
   * observations wait until the history is in, then run as usual. Never throws (a failure is logged: the device then
   * starts afresh, as after a restart).
   */
  async adoptDevice(deviceId: string, prepare?: () => Promise<unknown>, nowMs = Date.now()): Promise<void> {
    if (this.warming.has(deviceId)) return;
    const held: Observation[] = [];
    this.warming.set(deviceId, held);
    try {
      // E.g. the registry's facts about the device, which the rules ask for while the history runs.
      await prepare?.();
      this.engine.forgetDevice(deviceId);
      const historyMs = Math.min(this.engine.historyMs(deviceId, nowMs), MAX_HISTORY_MS);
      if (historyMs <= 0) return;
      const history = await deviceObservations(this.pool, deviceId, nowMs - historyMs, nowMs, MAX_HISTORY_ROWS);
      // Forgotten meanwhile (it moved on again), or already fed live: not history.
      if (this.warming.get(deviceId) !== held) return;
      const firstLiveMs = held.reduce((min, o) => Math.min(min, o.timeMs), Infinity);
      const fed = history.filter((o) => o.timeMs < firstLiveMs);
      const dropped = this.engine.warm(fed);
      this.counters.handovers += 1;
      this.counters.historyObservations += fed.length;
      this.counters.historyDraftsDropped += dropped.length;
    } catch (err) {
      this.options.log.warn({ err, deviceId }, 'detection state of a handed-over device not rebuilt; it starts afresh');
    } finally {
      if (this.warming.get(deviceId) === held) {
        this.warming.delete(deviceId);
        if (held.length > 0) this.process(held);
      }
    }
  }

  /**
   * Moves stream time on without an observation, for rules about absence (a silent sensor) when every device is quiet:
   * call it with the wall clock now and then (e.g. every 30 s). Never throws.
   */
  tick(watermarkMs: number): void {
    let drafts: CandidateDraft[];
    try {
      drafts = this.engine.tick(watermarkMs);
    } catch (err) {
      this.options.log.error({ err }, 'the detection engine failed on a tick');
      return;
    }
    this.enqueue(drafts);
  }

  private enqueue(drafts: CandidateDraft[]): void {
    if (drafts.length === 0) return;
    this.counters.drafts += drafts.length;
    if (this.queued + drafts.length > MAX_QUEUED_DRAFTS) {
      this.counters.raiseFailures += drafts.length;
      this.options.log.error({ dropped: drafts.length }, 'too many detection drafts waiting for the database; dropped');
      return;
    }
    this.queued += drafts.length;
    this.raising = this.raising.then(async () => {
      for (const d of drafts) {
        await this.raise(d);
        this.queued -= 1;
      }
    });
  }

  /** Resolves when every draft fired so far is stored (or its failure logged). */
  async drain(): Promise<void> {
    let current: Promise<void>;
    do {
      current = this.raising;
      await current;
    } while (current !== this.raising);
  }

  private async raise(d: CandidateDraft): Promise<RaiseResult | null> {
    try {
      // The queue fills what the policy leaves unset with its defaults.
      const result = await this.options.candidates.raise(newCandidateOf(d), this.options.merge ?? {});
      this.counters[result.outcome] += 1;
      if (result.outcome !== 'repeated') {
        try {
          this.options.onRaised?.(result, d);
        } catch (err) {
          this.options.log.error({ err, ruleId: d.ruleId, deviceId: d.deviceId }, 'a candidate listener failed');
        }
      }
      return result;
    } catch (err) {
      this.counters.raiseFailures += 1;
      this.options.log.error(
        { err, ruleId: d.ruleId, deviceId: d.deviceId, key: d.key },
        'a detection draft could not be raised as a candidate',
      );
      return null;
    }
  }

  /**
   * Runs rules over the stored positions, telemetry and statuses of [fromMs, toMs) in a fresh engine, in stream time,
   * and returns what they would have raised. Stores nothing. Stream time is ticked to `toMs` at the end, so rules about
   * absence (silence, coverage by a deadline) report what fell due within the range.
   */
  async replay(request: ReplayRequest): Promise<ReplayResult> {
    if (!(Number.isFinite(request.fromMs) && Number.isFinite(request.toMs) && request.fromMs < request.toMs)) {
      throw new RuleError('InvalidRule', 'a replay needs a time range with from before to');
    }
    const zones = await this.store.zoneMap();
    let configs: RuleConfig[];
    if (request.rules) {
      const issues: RuleIssue[] = [];
      for (const [i, config] of request.rules.entries()) {
        for (const issue of await this.store.check(config, zones)) {
          issues.push({ ...issue, message: `rules[${i}]: ${issue.message}` });
        }
      }
      if (issues.length) throw new RuleError('InvalidRule', 'the rules to replay are not valid', issues);
      configs = request.rules as RuleConfig[];
    } else {
      configs = (await this.store.rules()).map((r) => r.config);
      if (!request.ruleIds) configs = configs.filter((c) => c.enabled);
    }
    if (request.ruleIds) {
      const wanted = new Set(request.ruleIds);
      const missing = request.ruleIds.filter((id) => !configs.some((c) => c.id === id));
      if (missing.length) {
        throw new RuleError('RuleNotFound', `no rule ${missing.join(', ')} to replay`);
      }
      configs = configs.filter((c) => wanted.has(c.id));
    }
    let ruleErrors = 0;
    const engine = this.newEngine(() => {
      ruleErrors += 1;
    });
    // Replayed rules run as if enabled: that is what trying a rule out means.
    const replayed = this.build(
      configs.map((c) => ({ ...c, enabled: true })),
      zones,
      new Map(),
    );
    engine.replaceRules([...replayed.values()].map((l) => ({ rule: l.rule, hash: l.hash })));
    const drafts: CandidateDraft[] = [];
    let observations = 0;
    for await (const page of storedObservations(this.options.pool, request.fromMs, request.toMs)) {
      observations += page.length;
      drafts.push(...engine.process(page));
    }
    drafts.push(...engine.tick(request.toMs));
    return { drafts, observations, ruleIds: configs.map((c) => c.id), ruleErrors };
  }

  stats(): DetectionStats {
    return {
      rules: this.live.size,
      zones: this.zoneCount,
      ...this.counters,
      queued: this.queued,
      perRule: this.engine.stats(),
    };
  }
}
