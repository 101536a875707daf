// 案件闭环装配 the case loop's composition: reference data seeded on first start (catalogue, calendar), the grid
// geocoder, departments and responsibility rules, users and sessions, the case service with its candidates queue fed by
// the detection rules, collector report intake, complainant notifications, and their HTTP plugins (including Open311). Wiring only; each part lives in its module.
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Logger } from 'pino';
import { SessionService } from './auth/sessions.js';
import { UserStore } from './auth/users.js';
import { CatalogueStore, seedDefaultCatalogue } from './catalogue/catalogue.js';
import type { Numbering } from './catalogue/classes.js';
import { DepartmentStore } from './catalogue/departments.js';
import { ResponsibilityRules } from './catalogue/responsibility.js';
import { loadCalendar, seedDefaultCalendar } from './cases/calendar-store.js';
import { CandidateQueue, type RaiseResult } from './cases/candidates.js';
import { CaseService, type CaseChange } from './cases/case-service.js';
import { ReportIntake } from './cases/report-intake.js';
import { loadStepLimits } from './cases/step-limits.js';
import type { Cluster } from './cluster/cluster.js';
import type { Stop } from './cluster/leader.js';
import type { HubConfig } from './config.js';
import { detectFeatures } from './db/pool.js';
import { CoverageSink } from './evaluation/coverage-store.js';
import { ChromiumPdf } from './evaluation/pdf.js';
import { EvaluationScheduler } from './evaluation/scheduler.js';
import { EvaluationService } from './evaluation/service.js';
import { GridGeocoder } from './geo/geocoder.js';
import { ComponentInventory } from './geo/inventory.js';
import { authRoutes } from './http/auth.js';
import { calendarRoutes } from './http/calendar.js';
import { caseRoutes } from './http/cases.js';
import { catalogueRoutes } from './http/catalogue.js';
import { evaluationRoutes } from './http/evaluation.js';
import { collectorRoutes } from './http/collectors.js';
import { geoRoutes } from './http/geo.js';
import { notificationRoutes } from './http/notifications.js';
import { open311Routes } from './http/open311.js';
import { overviewRoutes } from './http/overview.js';
import { publicRoutes } from './http/public.js';
import { ruleRoutes } from './http/rules.js';
import { toLiveCandidate, toLiveCase } from './live/cases.js';
import type { LiveCandidateDto, LiveCaseDto } from './live/push.js';
import { DetectionService } from './rules/service.js';
import type { DeviceInfo } from '../ingest/rules/types.js';
import { NotificationSender } from './notifications/sender.js';

/**
 * The numbering of the shipped catalogue: GB/T 30428.2-2013, the current national standard (it replaced CJ/T 214-2007),
 * and the one the sample city standard (运城) is written in. The other numberings stay importable
 * (`POST /api/catalogue/import?numbering=`).
 */
export const SHIPPED_NUMBERING: Numbering = 'gbt30428_2_2013';

export interface CaseLoopOptions {
  pool: pg.Pool;
  http: FastifyInstance;
  config: HubConfig;
  adminToken: string;
  log: Logger;
  /** What the registry knows of a device, from memory (the detection rules ask for every observation). */
  deviceInfo(deviceId: string): DeviceInfo | null;
  /**
   * Several hub processes: timers run on the elected one, caches reload everywhere, logins are throttled in Redis.
   * Absent: this process alone runs everything.
   */
  cluster?: Cluster;
}

export interface CaseLoop {
  sessions: SessionService;
  service: CaseService;
  candidates: CandidateQueue;
  geocoder: GridGeocoder;
  /** 自动发现 the detection rules over the live stream (feed it every durable batch). */
  detection: DetectionService;
  /** Called with each candidate a rule raised or grew (for the live map and the acceptance queue). */
  onCandidate(listener: (candidate: LiveCandidateDto) => void): void;
  /** Other detectors (video) report what they raised, so it reaches the same listeners. */
  candidateRaised(result: RaiseResult): void;
  catalogue: CatalogueStore;
  /** The city's time zone (from the working calendar's settings). */
  timeZone: string;
  /** Registers the HTTP plugins (call before the server listens). */
  registerRoutes(): Promise<void>;
  /** Open cases for a live map snapshot. */
  openCases(): Promise<LiveCaseDto[]>;
  /** Pending candidates for a live map snapshot. */
  pendingCandidates(): Promise<LiveCandidateDto[]>;
  /** A committed case change as the live map shows it (with its traffic light). */
  liveCase(change: CaseChange): LiveCaseDto;
  /** Collector reports were stored: turn them into cases now. */
  reportsStored(): void;
  close(): Promise<void>;
}

/** The live map's snapshot holds at most this many open cases and pending candidates (newest first). */
const LIVE_SNAPSHOT_MAX = 5000;
/** The map's traffic lights use the step limits as of at most this long ago (they change rarely, by an admin). */
const STEP_LIMITS_REFRESH_MS = 60_000;
/** Several processes: how often each stores the patrol coverage its own rules judged (one process alone: the scheduler). */
const COVERAGE_FLUSH_MS = 60_000;

export async function startCaseLoop(options: CaseLoopOptions): Promise<CaseLoop> {
  const { pool, http, config, log } = options;
  const caches = options.cluster?.caches ?? null;
  const ownership = options.cluster?.ownership ?? null;
  const clustered = options.cluster?.clustered ?? false;
  /** Work that must run on one process only (hub/cluster/leader.ts). */
  const runOnce = (name: string, start: () => Stop | Promise<Stop>) =>
    options.cluster ? options.cluster.singletons.run(name, start) : void start();
  const seeded = await seedDefaultCatalogue(pool, SHIPPED_NUMBERING);
  if (seeded) log.info({ ...seeded }, 'imported the shipped component and event catalogue');
  const calendarSeed = await seedDefaultCalendar(pool);
  if (calendarSeed.years.length) log.info(calendarSeed, 'imported the shipped working calendar');

  const catalogue = new CatalogueStore(pool);
  const departments = new DepartmentStore(pool);
  const responsibility = new ResponsibilityRules(pool);
  await responsibility.reload();
  const geocoder = new GridGeocoder(pool);
  const grid = await geocoder.reload();
  log.info(grid, 'unit grid loaded');
  // An import on one process reloads these in every process.
  await caches?.shareReload('responsibility', responsibility, 'reload');
  await caches?.shareReload('grid', geocoder, 'reload');
  const inventory = new ComponentInventory(pool, { catalogue: catalogue.forKind('component'), geocoder });
  const users = new UserStore(pool);
  const sessions = new SessionService(pool, users, {
    adminToken: options.adminToken,
    idleTimeoutMs: config.sessionIdleHours * 3600_000,
    lifetimeMs: config.sessionMaxDays * 86_400_000,
    log: log.child({ part: 'auth' }),
    ...(options.cluster?.loginAttempts ? { attempts: options.cluster.loginAttempts } : {}),
  });
  const calendar = await loadCalendar(pool);
  const service = new CaseService({
    pool,
    catalogue,
    geocoder,
    responsibility,
    calendar,
    timeZone: calendar.settings.timeZone,
    stepLimits: () => loadStepLimits(pool),
    onListenerError: (err) => log.error({ err }, 'a case change listener failed'),
  });
  const candidates = new CandidateQueue(pool, service);
  const candidateListeners = new Set<(c: LiveCandidateDto) => void>();
  const candidateRaised = (result: RaiseResult) => {
    if (!result.candidate) return;
    const dto = toLiveCandidate(result.candidate);
    for (const listener of candidateListeners) listener(dto);
  };
  // Raised by an outside detector over the API, accepted or dismissed: the map adds or takes it off.
  candidates.onChange((c) => {
    const dto = toLiveCandidate(c);
    for (const listener of candidateListeners) listener(dto);
  });
  // The live map colours every case change by its clock; loading the step limits per change would put a query on
  // every action's path, so they are kept here and refreshed now and then.
  let stepLimits = await loadStepLimits(pool);
  const stepLimitsTimer = setInterval(() => {
    loadStepLimits(pool).then(
      (limits) => (stepLimits = limits),
      (err: unknown) => log.warn({ err }, 'step limits not refreshed for the live map'),
    );
  }, STEP_LIMITS_REFRESH_MS);
  stepLimitsTimer.unref();
  const detection = new DetectionService({
    pool,
    candidates,
    deviceInfo: options.deviceInfo,
    locate: (lon, lat) => geocoder.locate(lon, lat),
    timeZone: calendar.settings.timeZone,
    catalogue,
    log: log.child({ part: 'rules' }),
    onRaised: (result) => candidateRaised(result),
    ...(ownership ? { handles: (deviceId: string) => ownership.handles(deviceId) } : {}),
  });
  await detection.load();
  await caches?.shareReload('rules', detection, 'load');
  const intake = new ReportIntake(pool, service, log.child({ part: 'report-intake' }));
  intake.start();
  // 综合评价: facts and daily aggregates kept up to date, patrol coverage stored, the monthly report stored on the 1st.
  const evaluation = new EvaluationService({ pool, features: await detectFeatures(pool) });
  await evaluation.start();
  const reportPdf = new ChromiumPdf(config.chromiumPath);
  const coverage = new CoverageSink(pool, () => detection.drainCoverage());
  const evaluationScheduler = new EvaluationScheduler({
    service: evaluation,
    pdf: reportPdf,
    // Several processes: each stores what its own rules judged (below); the scheduler runs on one.
    ...(clustered ? {} : { coverage }),
    log: log.child({ part: 'evaluation' }),
  });
  runOnce('evaluation', () => {
    evaluationScheduler.start();
    return () => evaluationScheduler.stop();
  });
  let coverageTimer: NodeJS.Timeout | null = null;
  if (clustered) {
    coverageTimer = setInterval(() => {
      coverage.flush().catch((err: unknown) => log.warn({ err }, 'patrol coverage not stored; retried'));
    }, COVERAGE_FLUSH_MS);
    coverageTimer.unref();
  }

  let sender: NotificationSender | null = null;
  if (config.notifyWebhookUrl) {
    sender = new NotificationSender({
      pool,
      log: log.child({ part: 'notifications' }),
      webhookUrl: config.notifyWebhookUrl,
      secret: config.notifyWebhookSecret ?? null,
    });
    const notifications = sender;
    runOnce('notifications', () => {
      notifications.start();
      return () => notifications.stop();
    });
  } else {
    log.warn('no NOTIFY_WEBHOOK_URL: complainant notifications wait in the outbox (GET /api/notifications)');
  }

  return {
    sessions,
    service,
    candidates,
    geocoder,
    detection,
    onCandidate: (listener) => void candidateListeners.add(listener),
    candidateRaised,
    catalogue,
    timeZone: calendar.settings.timeZone,
    async registerRoutes() {
      const auth = sessions;
      await http.register(authRoutes, { users, sessions, auth });
      await http.register(catalogueRoutes, { pool, auth, catalogue, departments, responsibility });
      await http.register(geoRoutes, { pool, geocoder, inventory, auth });
      await http.register(calendarRoutes, {
        pool,
        auth,
        onChange: (calendar) => {
          service.setCalendar(calendar);
          caches?.announce('calendar');
        },
      });
      await caches?.onChange('calendar', async () => service.setCalendar(await loadCalendar(pool)));
      await http.register(caseRoutes, { service, candidates, auth });
      await http.register(collectorRoutes, { pool, auth });
      await http.register(notificationRoutes, { pool, auth });
      await http.register(ruleRoutes, { service: detection, auth });
      await http.register(evaluationRoutes, { service: evaluation, pdf: reportPdf, auth });
      await http.register(overviewRoutes, { auth, evaluation });
      await http.register(publicRoutes, { pool });

      await http.register(open311Routes, {
        pool,
        catalogue,
        intake: service,
        apiKeys: config.open311ApiKeys,
        requireApiKey: config.open311RequireKey,
      });
    },
    async openCases() {
      const records = await service.openRecords(LIVE_SNAPSHOT_MAX);
      return records.map((r) => toLiveCase(r, service.mapLight(r, stepLimits)));
    },
    async pendingCandidates() {
      const out: LiveCandidateDto[] = [];
      for (let offset = 0; out.length < LIVE_SNAPSHOT_MAX; offset += 200) {
        const page = await candidates.list({ status: 'pending' }, { limit: 200, offset });
        out.push(...page.items.map(toLiveCandidate));
        if (page.items.length < 200) break;
      }
      return out;
    },
    liveCase: (change) => toLiveCase(change.record, service.mapLight(change.record, stepLimits), change.action),
    reportsStored: () => intake.nudge(),
    async close() {
      clearInterval(stepLimitsTimer);
      if (coverageTimer) clearInterval(coverageTimer);
      await detection.drain();
      await intake.stop();
      await evaluationScheduler.stop();
      await sender?.stop();
    },
  };
}
