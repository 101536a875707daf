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
import { OPEN_STATES } from './cases/workflow.js';
import type { HubConfig } from './config.js';
import { GridGeocoder } from './geo/geocoder.js';
import { ComponentInventory } from './geo/inventory.js';
import { authRoutes } from './http/auth.js';
import { calendarRoutes } from './http/calendar.js';
import { caseRoutes } from './http/cases.js';
import { catalogueRoutes } from './http/catalogue.js';
import { geoRoutes } from './http/geo.js';
import { notificationRoutes } from './http/notifications.js';
import { open311Routes } from './http/open311.js';
import { ruleRoutes } from './http/rules.js';
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
  /** Collector reports were stored: turn them into cases now. */
  reportsStored(): void;
  close(): Promise<void>;
}

export function toLiveCase(change: CaseChange): LiveCaseDto {
  const c = change.record;
  return {
    id: c.id,
    number: c.number,
    state: c.state,
    classKind: c.classKind,
    classCode: c.classCode,
    lon: c.lon,
    lat: c.lat,
    departmentId: c.departmentId,
    supervised: c.supervised,
    action: change.action,
    updatedAt: c.updatedAt.toISOString(),
  };
}

export async function startCaseLoop(options: CaseLoopOptions): Promise<CaseLoop> {
  const { pool, http, config, log } = options;
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
  const inventory = new ComponentInventory(pool, { catalogue: catalogue.forKind('component'), geocoder });
  const users = new UserStore(pool);
  const sessions = new SessionService(pool, users, {
    adminToken: options.adminToken,
    idleTimeoutMs: config.sessionIdleHours * 3600_000,
    lifetimeMs: config.sessionMaxDays * 86_400_000,
    log: log.child({ part: 'auth' }),
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
    const c = result.candidate;
    const dto: LiveCandidateDto = {
      id: c.id,
      status: c.status,
      ruleId: c.ruleId,
      ruleKind: c.ruleKind,
      classKind: c.classKind,
      classCode: c.classCode,
      lon: c.lon,
      lat: c.lat,
      mergedCount: c.mergedCount,
      startAt: c.startAt.toISOString(),
      endAt: c.endAt.toISOString(),
    };
    for (const listener of candidateListeners) listener(dto);
  };
  const detection = new DetectionService({
    pool,
    candidates,
    deviceInfo: options.deviceInfo,
    locate: (lon, lat) => geocoder.locate(lon, lat),
    timeZone: calendar.settings.timeZone,
    catalogue,
    log: log.child({ part: 'rules' }),
    onRaised: (result) => candidateRaised(result),
  });
  await detection.load();
  const intake = new ReportIntake(pool, service, log.child({ part: 'report-intake' }));
  intake.start();

  let sender: NotificationSender | null = null;
  if (config.notifyWebhookUrl) {
    sender = new NotificationSender({
      pool,
      log: log.child({ part: 'notifications' }),
      webhookUrl: config.notifyWebhookUrl,
      secret: config.notifyWebhookSecret ?? null,
    });
    sender.start();
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
      await http.register(calendarRoutes, { pool, auth, onChange: (calendar) => service.setCalendar(calendar) });
      await http.register(caseRoutes, { service, candidates, auth });
      await http.register(notificationRoutes, { pool, auth });
      await http.register(ruleRoutes, { service: detection, auth });

      await http.register(open311Routes, {
        pool,
        catalogue,
        intake: service,
        apiKeys: config.open311ApiKeys,
        requireApiKey: config.open311RequireKey,
      });
    },
    async openCases() {
      const { rows } = await pool.query<{
        id: string;
        number: string;
        state: string;
        class_kind: string;
        class_code: string;
        lon: number;
        lat: number;
        department_id: string | null;
        supervised: boolean;
        updated_at: Date;
      }>(
        `SELECT id::text AS id, number, state, class_kind, class_code, lon, lat, department_id, supervised, updated_at
           FROM cases WHERE state = ANY($1) ORDER BY updated_at DESC LIMIT 5000`,
        [OPEN_STATES],
      );
      return rows.map((r) => ({
        id: r.id,
        number: r.number,
        state: r.state,
        classKind: r.class_kind,
        classCode: r.class_code,
        lon: r.lon,
        lat: r.lat,
        departmentId: r.department_id,
        supervised: r.supervised,
        updatedAt: r.updated_at.toISOString(),
      }));
    },
    reportsStored: () => intake.nudge(),
    async close() {
      await detection.drain();
      await intake.stop();
      await sender?.stop();
    },
  };
}
