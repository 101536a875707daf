// 场景运行 playing a scenario against a running hub over its real protocols, as an administrator and real devices would:
// the admin API sets up the zones, the rules and the devices (each gets its own MQTT credential), the devices publish
// their scripted positions (batch topic) and telemetry with historical times in compressed time (QoS 1, waiting for
// every acknowledgement), then the candidates the hub raised are read back over HTTP and scored against the ground
// truth. Afterwards the rules and zones are removed again, the run's devices disabled and its candidates dismissed (by the runner's own
// acceptor account, `scenario-runner`), so several scenarios can run against one hub one after another: a pending
// candidate would otherwise absorb, by deduplication, the same class injected at the same place by the next run.
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { checkPlan, localHhmm, type Scenario, type ScenarioPlan, type SimDevice } from './core.js';
import { Jt808Link } from './jt808-link.js';
import { DEFAULT_TOLERANCE, scoreRun, type FoundCandidate, type ScenarioScore, type Tolerance } from './score.js';

export interface HubEndpoints {
  /** e.g. http://127.0.0.1:8080 */
  httpUrl: string;
  /** e.g. mqtt://127.0.0.1:1883 */
  mqttUrl: string;
  adminToken: string;
  /** The JT/T 808 gateway, for scenarios with terminals. */
  jt808?: { host: string; port: number };
}

export interface RunOptions {
  hub: HubEndpoints;
  /** Simulated start; default: scheduleStarts for this scenario alone (ends at least 2 minutes before now). */
  startMs?: number;
  /** Default Asia/Shanghai. */
  timeZone?: string;
  /** Default: scenario name's initials + a base-36 timestamp. */
  runId?: string;
  /** Overrides the scenario's playSeconds. */
  playSeconds?: number;
  /** Simulated time per lockstep step (default 60 s): at most this much skew between devices. */
  stepSimMs?: number;
  /** Leave the scenario's rules and zones in place (to look at them in the UI). */
  keep?: boolean;
  tolerance?: Tolerance;
  /** How long to wait for the hub to work through everything after the last message. Default 60 s. */
  settleTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface RunResult {
  scenario: string;
  runId: string;
  startMs: number;
  endMs: number;
  devices: number;
  /** Positions and telemetry messages' observations sent (all acknowledged). */
  observations: number;
  /** Refusals the hub sent back on devices/{id}/errors: the scenario's data did not all get in. */
  rejections: string[];
  candidates: FoundCandidate[];
  score: ScenarioScore;
  /** True when the score passed and nothing was refused. */
  passed: boolean;
  playedMs: number;
  settledMs: number;
}

/** An HTTP answer that was not what the set-up needed; the message says which call and what the hub said. */
export class HubRequestError extends Error {
  override readonly name = 'HubRequestError';
}

interface Api {
  (method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
}

function apiClient(httpUrl: string, token: string): Api {
  return async (method, path, body) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${httpUrl}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON: keep the text for the error message.
    }
    return { status: res.status, body: parsed };
  };
}

function must(what: string, res: { status: number; body: unknown }, ok: number[] = [200, 201, 204]) {
  if (!ok.includes(res.status)) {
    throw new HubRequestError(`${what}: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 2000)}`);
  }
  return res.body;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` over `items` with at most `limit` at a time. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(workers);
  return out;
}

function defaultRunId(name: string): string {
  const initials = name
    .split('-')
    .map((w) => w[0])
    .join('');
  return `${initials}${Date.now().toString(36).slice(-6)}`;
}

const FIVE_MIN_MS = 5 * 60_000;

/** The last local midnight at or before `ms` in the zone. */
export function localMidnightBefore(ms: number, timeZone: string): number {
  const [h, m] = localHhmm(ms, timeZone).split(':').map(Number) as [number, number];
  return Math.floor(ms / 60_000) * 60_000 - (h * 60 + m) * 60_000;
}

/**
 * Start instants for scenarios run one after another against one hub: back to back in simulated time (5 minutes
 * apart, so stream time only moves forward from one to the next), whole 5 minutes, the last one ending at least 2
 * minutes before `nowMs`, and all within one local day (rules with deadlines and shifts count local days).
 */
export function scheduleStarts(
  scenarios: readonly Pick<Scenario, 'durationMs'>[],
  nowMs: number,
  timeZone: string,
): number[] {
  const total = scenarios.reduce(
    (sum, s) => sum + Math.ceil(s.durationMs / FIVE_MIN_MS) * FIVE_MIN_MS + FIVE_MIN_MS,
    0,
  );
  let endMs = Math.floor((nowMs - 2 * 60_000) / FIVE_MIN_MS) * FIVE_MIN_MS;
  const midnight = localMidnightBefore(endMs, timeZone);
  if (endMs - total < midnight + FIVE_MIN_MS) endMs = midnight - FIVE_MIN_MS;
  const starts: number[] = [];
  let at = endMs - total + FIVE_MIN_MS;
  for (const s of scenarios) {
    starts.push(at);
    at += Math.ceil(s.durationMs / FIVE_MIN_MS) * FIVE_MIN_MS + FIVE_MIN_MS;
  }
  return starts;
}

/** The wire format of a fix: 6 decimals (~0.1 m), speed and course to 0.1. */
function positionJson(f: { timeMs: number; lon: number; lat: number; speedKmh: number; course: number }) {
  const course = Math.round(f.course * 10) / 10;
  return {
    time: new Date(f.timeMs).toISOString(),
    lat: Math.round(f.lat * 1e6) / 1e6,
    lon: Math.round(f.lon * 1e6) / 1e6,
    speedKmh: Math.round(Math.max(0, f.speedKmh) * 10) / 10,
    course: course >= 360 ? 0 : course,
  };
}

/** A device's connection, whatever the protocol: sends what falls into one step of simulated time. */
interface Link {
  device: SimDevice;
  send(fromMs: number, toMs: number, last: boolean): Promise<number>;
  close(): Promise<void>;
}

const MAX_BATCH = 500;

function mqttLink(device: SimDevice, client: mqtt.MqttClient): Link {
  let fi = 0;
  let ri = 0;
  return {
    device,
    async send(fromMs, toMs, last) {
      const inStep = (t: number) => t >= fromMs && (t < toMs || (last && t <= toMs));
      let sent = 0;
      const fixes = [];
      while (fi < device.fixes.length && inStep(device.fixes[fi]!.timeMs)) fixes.push(device.fixes[fi++]!);
      const readings = [];
      while (ri < device.readings.length && inStep(device.readings[ri]!.timeMs)) readings.push(device.readings[ri++]!);
      // Interleave by time so a device's positions and telemetry reach the hub in the order they were taken.
      let pi = 0;
      for (const r of [...readings, null]) {
        const upTo = r ? r.timeMs : Infinity;
        const batch = [];
        while (pi < fixes.length && fixes[pi]!.timeMs <= upTo) batch.push(fixes[pi++]!);
        for (let i = 0; i < batch.length; i += MAX_BATCH) {
          const positions = batch.slice(i, i + MAX_BATCH).map(positionJson);
          await client.publishAsync(`devices/${device.id}/positions`, JSON.stringify({ positions }), { qos: 1 });
          sent += positions.length;
        }
        if (r) {
          await client.publishAsync(
            `devices/${device.id}/telemetry`,
            JSON.stringify({ time: new Date(r.timeMs).toISOString(), metrics: r.metrics }),
            { qos: 1 },
          );
          sent += 1;
        }
      }
      return sent;
    },
    async close() {
      await client.endAsync().catch(() => undefined);
    },
  };
}

function jt808Link(device: SimDevice, link: Jt808Link): Link {
  let fi = 0;
  return {
    device,
    async send(fromMs, toMs, last) {
      const fixes = [];
      while (
        fi < device.fixes.length &&
        device.fixes[fi]!.timeMs >= fromMs &&
        (device.fixes[fi]!.timeMs < toMs || (last && device.fixes[fi]!.timeMs <= toMs))
      ) {
        fixes.push(device.fixes[fi++]!);
      }
      if (fixes.length) await link.sendFixes(fixes);
      return fixes.length;
    },
    async close() {
      link.close();
    },
  };
}

async function liveObservations(api: Api): Promise<{ observations: number; queued: number } | null> {
  const res = await api('GET', '/api/rules/stats');
  if (res.status !== 200) return null;
  const live = (res.body as { live?: { observations?: number; queued?: number } }).live;
  return live && typeof live.observations === 'number'
    ? { observations: live.observations, queued: live.queued ?? 0 }
    : null;
}

async function candidatesOf(api: Api, runId: string): Promise<FoundCandidate[]> {
  const out: FoundCandidate[] = [];
  for (let offset = 0; ; offset += 200) {
    const page = must('reading the candidates', await api('GET', `/api/candidates?limit=200&offset=${offset}`)) as {
      items: FoundCandidate[];
      total: number;
    };
    out.push(...page.items);
    if (page.items.length < 200 || offset + 200 >= page.total) break;
  }
  return out.filter((c) => c.ruleId?.startsWith(`${runId}-`));
}

const RUNNER_USER = 'scenario-runner';

/**
 * A session of the scenario runner's own acceptor (受理员) account, created on first use (or its password reset), so it
 * can dismiss the candidates a run raised: left pending they would swallow, by deduplication, the same problems
 * injected at the same places by the next run within a day.
 */
async function acceptorSession(api: Api, httpUrl: string): Promise<Api> {
  const password = `scenario-${randomBytes(12).toString('hex')}`;
  const created = await api('POST', '/api/users', {
    username: RUNNER_USER,
    name: '场景验证 scenario runner',
    roles: ['acceptor'],
    password,
  });
  if (created.status === 409) {
    const found = must('finding the scenario runner user', await api('GET', `/api/users?q=${RUNNER_USER}`)) as {
      items: Array<{ id: string; username: string }>;
    };
    const id = found.items.find((u) => u.username === RUNNER_USER)?.id;
    if (!id) throw new HubRequestError(`user ${RUNNER_USER} exists but was not found`);
    must('resetting the scenario runner password', await api('POST', `/api/users/${id}/password`, { password }));
  } else {
    must('creating the scenario runner user', created);
  }
  const login = must(
    'logging in as the scenario runner',
    await api('POST', '/api/auth/login', { username: RUNNER_USER, password }),
  ) as { token: string };
  return apiClient(httpUrl, login.token);
}

/** Plays one scenario against the hub and scores what it found. Throws when the set-up fails. */
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<RunResult> {
  const log = options.log ?? (() => undefined);
  const { hub } = options;
  const api = apiClient(hub.httpUrl, hub.adminToken);
  const timeZone = options.timeZone ?? 'Asia/Shanghai';
  const runId = options.runId ?? defaultRunId(scenario.name);
  const startMs = options.startMs ?? scheduleStarts([scenario], Date.now(), timeZone)[0]!;
  const plan: ScenarioPlan = scenario.build({ runId, startMs, timeZone });
  const problems = checkPlan(plan);
  if (problems.length) throw new Error(`scenario ${scenario.name} is inconsistent: ${problems.slice(0, 5).join('; ')}`);
  log(
    `${scenario.name} [${runId}]: ${plan.devices.length} devices, ${plan.violations.length} injected violations, ` +
      `${new Date(plan.startMs).toISOString()} – ${new Date(plan.endMs).toISOString()}`,
  );

  // The unit grid: the collectors' assigned cells and every candidate's cell come from it.
  const probe = plan.devices.flatMap((d) => d.assignCellsAt ?? [])[0] ?? ([117.02, 36.665] as const);
  const located = await api('GET', `/api/geo/locate?lon=${probe[0]}&lat=${probe[1]}`);
  if (located.status === 404) must('importing the demo grid', await api('POST', '/api/geo/demo-grid'));

  const gridCodes = new Map<string, string[]>();
  for (const d of plan.devices) {
    if (!d.assignCellsAt) continue;
    const points = [...new Map(d.assignCellsAt.map((p) => [`${p[0].toFixed(6)},${p[1].toFixed(6)}`, p])).values()];
    const cells = await pool(points, 16, async (p) => {
      const body = must(
        `locating ${p[0]},${p[1]} for ${d.id}`,
        await api('GET', `/api/geo/locate?lon=${p[0].toFixed(6)}&lat=${p[1].toFixed(6)}`),
      ) as { cell: string };
      return body.cell;
    });
    gridCodes.set(d.id, [...new Set(cells)].sort());
  }

  const myZoneIds = new Set(plan.zones.map((z) => z.properties.id));
  const putZones = async (withMine: boolean) => {
    const current = must('reading the zones', await api('GET', '/api/rules/zones')) as { features: unknown[] };
    const others = current.features.filter((f) => !myZoneIds.has((f as { properties: { id: string } }).properties.id));
    must(
      'storing the zones',
      await api('PUT', '/api/rules/zones', {
        type: 'FeatureCollection',
        features: withMine ? [...others, ...plan.zones] : others,
      }),
    );
  };
  if (plan.zones.length) await putZones(true);
  for (const rule of plan.rules) must(`storing rule ${rule.id}`, await api('PUT', `/api/rules/${rule.id}`, rule));

  const links: Link[] = [];
  const registered: string[] = [];
  const rejections: string[] = [];
  const teardown = async () => {
    // Rules go before the devices disconnect: the broker's offline statuses then meet no scenario rule.
    if (!options.keep) {
      for (const rule of plan.rules) await api('DELETE', `/api/rules/${rule.id}`);
      if (plan.zones.length) await putZones(false).catch((err: unknown) => log(`zones not removed: ${String(err)}`));
      // The run's candidates are test data: out of the acceptance queue, with the reason saying so.
      try {
        const pending = (await candidatesOf(api, runId)).filter((c) => c.status === 'pending');
        if (pending.length) {
          const acceptor = await acceptorSession(api, hub.httpUrl);
          for (const c of pending) {
            await acceptor('POST', `/api/candidates/${c.id}/dismiss`, { reason: `场景验证 scenario run ${runId}` });
          }
        }
      } catch (err) {
        log(`the run's candidates were not dismissed: ${(err as Error).message}`);
      }
    }
    await Promise.all(links.map((l) => l.close()));
    // The registry keeps the run's devices (there is no delete), disabled: they can no longer log in.
    if (!options.keep && registered.length) {
      await pool(registered, 16, (id) => api('PATCH', `/api/devices/${id}`, { enabled: false })).catch((err: unknown) =>
        log(`the run's devices were not disabled: ${(err as Error).message}`),
      );
    }
  };

  try {
    const credentials = await pool(plan.devices, 8, async (d) => {
      const body = must(
        `registering device ${d.id}`,
        await api('POST', '/api/devices', {
          id: d.id,
          kind: d.kind,
          name: d.id,
          attributes: d.attributes,
          ...(gridCodes.has(d.id) ? { gridCodes: gridCodes.get(d.id) } : {}),
        }),
      ) as { credential: string };
      registered.push(d.id);
      return body.credential;
    });
    let terminalNo = 0;
    await pool(plan.devices, 25, async (d, i) => {
      if (d.protocol === 'jt808') {
        if (!hub.jt808)
          throw new HubRequestError(`${d.id} is a JT/T 808 terminal: give the gateway (--jt808 host:port)`);
        const phone = String(d.attributes.jt808Phone);
        links.push(jt808Link(d, await Jt808Link.open(hub.jt808.host, hub.jt808.port, phone, ++terminalNo)));
        return;
      }
      const client = await mqtt.connectAsync(hub.mqttUrl, {
        clientId: d.id,
        username: d.id,
        password: credentials[i]!,
        reconnectPeriod: 0,
        clean: true,
      });
      client.on('message', (topic, payload) => rejections.push(`${topic}: ${payload.toString('utf8').slice(0, 300)}`));
      await client.subscribeAsync(`devices/${d.id}/errors`, { qos: 0 });
      links.push(mqttLink(d, client));
    });

    // The broker's online statuses of the connections just made are counted before the baseline is read.
    await delay(300);
    const before = await liveObservations(api);
    // Devices move through simulated time together, one step at a time, each step acknowledged before the next: no
    // device runs more than a step ahead of the others, so the hub's stream time stays close to every device's.
    const stepSimMs = options.stepSimMs ?? 60_000;
    const steps = Math.max(1, Math.ceil((plan.endMs - plan.startMs) / stepSimMs));
    const stepRealMs = ((options.playSeconds ?? scenario.playSeconds) * 1000) / steps;
    const playStart = Date.now();
    let observations = 0;
    for (let k = 0; k < steps; k++) {
      const fromMs = plan.startMs + k * stepSimMs;
      const toMs = Math.min(plan.endMs, fromMs + stepSimMs);
      const last = k === steps - 1;
      const counts = await Promise.all(links.map((l) => l.send(fromMs, toMs, last)));
      observations += counts.reduce((a, b) => a + b, 0);
      const due = playStart + (k + 1) * stepRealMs;
      if (Date.now() < due) await delay(due - Date.now());
    }
    const playedMs = Date.now() - playStart;
    log(`${scenario.name}: played ${observations} observations in ${(playedMs / 1000).toFixed(1)} s`);

    // Settle: the hub has run every observation through the rules and stored every draft, and the queue is quiet.
    const settleStart = Date.now();
    const settleTimeoutMs = options.settleTimeoutMs ?? 60_000;
    if (before) {
      for (;;) {
        const now = await liveObservations(api);
        if (now && now.observations >= before.observations + observations && now.queued === 0) break;
        if (Date.now() - settleStart > settleTimeoutMs) {
          log(`${scenario.name}: the hub did not report all ${observations} observations processed; scoring anyway`);
          break;
        }
        await delay(100);
      }
    }
    let candidates = await candidatesOf(api, runId);
    let stableSince = Date.now();
    const quietMs = before ? 600 : 3000;
    while (Date.now() - stableSince < quietMs && Date.now() - settleStart < settleTimeoutMs) {
      await delay(200);
      const again = await candidatesOf(api, runId);
      if (
        JSON.stringify(again.map((c) => [c.id, c.mergedCount])) !==
        JSON.stringify(candidates.map((c) => [c.id, c.mergedCount]))
      ) {
        candidates = again;
        stableSince = Date.now();
      }
    }
    const settledMs = Date.now() - settleStart;

    const score = scoreRun(plan.violations, candidates, options.tolerance ?? DEFAULT_TOLERANCE);
    return {
      scenario: scenario.name,
      runId,
      startMs: plan.startMs,
      endMs: plan.endMs,
      devices: plan.devices.length,
      observations,
      rejections,
      candidates,
      score,
      passed: score.passed && rejections.length === 0,
      playedMs,
      settledMs,
    };
  } finally {
    await teardown();
  }
}
