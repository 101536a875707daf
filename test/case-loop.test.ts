// 案件闭环 through the hub as users run it (`node dist/hub/main.js`): the shipped catalogue and calendar seeded on first
// start, the admin API setting up departments, users, the grid and a responsibility rule, a complainant's Open311
// request carried through the workflow by logged-in staff, its result published back over Open311, the complainant
// told through the signed notification webhook, and every change pushed live to the map over socket.io.
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as ioClient, type Socket } from 'socket.io-client';
import { MAIN_LOOP_STATES } from './support/case-city.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { connectDevice, provisionDevice } from './support/devices.js';
import { startTestHub, type TestHub } from './support/test-hub.js';
import { waitFor } from './support/wait.js';

const ADMIN_TOKEN = 'case-loop-admin-token-0123456789';
const WEBHOOK_SECRET = 'case-loop-webhook-secret-0123';
const HOTLINE_KEY = 'hotline-key-0123456789abcdef';
const PASSWORD = 'a long enough password';
// In the demo grid (Jinan old town, district 370102), near Quancheng Road.
const SPOT = { lon: 117.0235, lat: 36.6625 };

let db: TestDatabase;
let hub: TestHub;
let base: string;
let mqttUrl: string;
let webhook: http.Server;
const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
let live: Socket;
const liveCases: Array<{ number: string; state: string; action?: string }> = [];

async function call(
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of many shapes, checked by the assertions
): Promise<{ status: number; body: any; text: string; type: string }> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  let payload: string | undefined;
  if (typeof body === 'string') {
    headers['content-type'] = path.includes('standards') ? 'text/csv' : 'application/x-www-form-urlencoded';
    payload = body;
  } else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(`${base}${path}`, { method, headers, body: payload });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, text, type, body: type.includes('json') && text ? JSON.parse(text) : null };
}

async function login(username: string): Promise<string> {
  const res = await call('POST', '/api/auth/login', null, { username, password: PASSWORD });
  expect(res.status, res.text).toBe(200);
  return res.body.token as string;
}

beforeAll(async () => {
  db = await createTestDatabase();
  webhook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  const webhookPort = (webhook.address() as { port: number }).port;
  hub = await startTestHub({
    name: 'case-loop',
    adminToken: ADMIN_TOKEN,
    db,
    env: {
      LIVE_PUSH_INTERVAL_MS: '100',
      NOTIFY_WEBHOOK_URL: `http://127.0.0.1:${webhookPort}/sms`,
      NOTIFY_WEBHOOK_SECRET: WEBHOOK_SECRET,
      OPEN311_API_KEYS: `hotline-12319:${HOTLINE_KEY}`,
    },
  });
  base = hub.base;
  mqttUrl = hub.mqttUrl;
  live = ioClient(`${base}/live`, { transports: ['websocket'] });
  live.on('cases', (m: { cases: typeof liveCases }) => liveCases.push(...m.cases));
  await new Promise<void>((resolve) => live.on('connect', () => resolve()));
  await new Promise((resolve) => live.emit('subscribe', { layers: ['cases'] }, resolve));
}, 180_000);

afterAll(async () => {
  live?.close();
  expect(await hub?.stop()).toBe(0);
  webhook?.close();
});

describe('reference data on first start', () => {
  it('seeds the national catalogue (GB/T 30428.2 numbering) and the 2026 working calendar', async () => {
    const classes = await call('GET', '/api/catalogue/classes?kind=component&limit=5', ADMIN_TOKEN);
    expect(classes.status).toBe(200);
    expect(classes.body.total).toBeGreaterThan(50);
    expect(classes.body.items[0]).toMatchObject({ kind: 'component', code: '0101' });
    const year = await call('GET', '/api/calendar/2026', ADMIN_TOKEN);
    expect(year.status).toBe(200);
    // National Day 2026 is a public holiday.
    expect(year.body.days).toContainEqual(expect.objectContaining({ date: '2026-10-01', kind: 'holiday' }));
  });

  it('imports the sample city standard (运城) through the admin API with its report', async () => {
    const csv = await readFile(
      new URL('../hub/catalogue/data/yuncheng-component-standards.csv', import.meta.url),
      'utf8',
    );
    const imported = await call('POST', '/api/catalogue/standards/import?kind=component', ADMIN_TOKEN, csv);
    expect(imported.status, imported.text).toBe(200);
    // 66 classes, 279 situations, one limit (种植季节15工作日) stored unparsed and reported (counted with python's csv).
    expect(imported.body).toMatchObject({ classes: 66, situations: 279, errors: [] });
    expect(imported.body.warnings).toContainEqual(expect.objectContaining({ text: '种植季节15工作日' }));
  });

  it('serves the API documentation at /docs', async () => {
    const res = await fetch(`${base}/docs/`, { redirect: 'follow' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('swagger-ui');
    const spec = await call('GET', '/openapi.json', null);
    for (const path of ['/api/cases', '/open311/v2/requests.json', '/api/notifications', '/api/auth/login']) {
      expect(Object.keys(spec.body.paths)).toContain(path);
    }
  });
});

describe('a complainant report through the whole loop', () => {
  const tokens: Record<string, string> = {};
  let requestId: string;
  let caseId: string;

  it('sets up the city: grid, departments, a rule, staff', async () => {
    expect((await call('POST', '/api/geo/demo-grid', ADMIN_TOKEN)).status).toBe(200);
    const located = await call('GET', `/api/geo/locate?lon=${SPOT.lon}&lat=${SPOT.lat}`, ADMIN_TOKEN);
    expect(located.status, located.text).toBe(200);
    expect(located.body.district ?? located.body.codes?.district).toBe('370102');
    for (const d of [
      { id: 'water', name: '济南水务集团', kind: 'department' },
      { id: 'lixia', name: '历下区人民政府', kind: 'districtGovernment', districtCode: '370102' },
    ]) {
      expect((await call('POST', '/api/departments', ADMIN_TOKEN, d)).status).toBe(201);
    }
    const rule = await call('POST', '/api/responsibility/rules', ADMIN_TOKEN, {
      classPattern: '01',
      classKind: 'component',
      areaLevel: 'district',
      areaCode: '370102',
      departmentId: 'water',
    });
    expect(rule.status, rule.text).toBe(201);
    const staff = [
      { username: 'acceptor1', roles: ['acceptor'] },
      { username: 'leader1', roles: ['shiftLeader'] },
      { username: 'dispatcher1', roles: ['dispatcher'] },
      { username: 'water1', roles: ['department'], departmentId: 'water' },
      { username: 'collector1', roles: ['collector'] },
    ];
    for (const u of staff) {
      const created = await call('POST', '/api/users', ADMIN_TOKEN, { ...u, name: u.username, password: PASSWORD });
      expect(created.status, created.text).toBe(201);
      tokens[u.username] = await login(u.username);
    }
  });

  it('takes an Open311 request (form-encoded, as the spec posts it) and shows it open', async () => {
    const form = new URLSearchParams({
      service_code: 'component-0101',
      lat: String(SPOT.lat),
      long: String(SPOT.lon),
      description: '泉城路上水井盖缺失',
      phone: '13812345678',
      first_name: '先生',
      last_name: '王',
    });
    const created = await call('POST', '/open311/v2/requests.json', null, form.toString());
    expect(created.status, created.text).toBe(201);
    requestId = created.body[0].service_request_id;
    expect(requestId).toMatch(/^\d{8}-\d{4}$/);

    const shown = await call('GET', `/open311/v2/requests/${requestId}.json`, null);
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual([
      expect.objectContaining({
        service_request_id: requestId,
        status: 'open',
        service_code: 'component-0101',
        lat: SPOT.lat,
        long: SPOT.lon,
        description: '泉城路上水井盖缺失',
      }),
    ]);
    // The complainant's phone and name are never public.
    expect(shown.text).not.toContain('13812345678');
    expect(shown.text).not.toContain('王');
    const xml = await call('GET', `/open311/v2/requests/${requestId}.xml`, null);
    expect(xml.type).toContain('text/xml');
    expect(xml.text).toContain(`<service_request_id>${requestId}</service_request_id><status>open</status>`);

    const list = await call('GET', '/api/cases?state=reported', tokens.acceptor1!);
    const found = list.body.items.find((c: { number: string }) => c.number === requestId);
    expect(found).toMatchObject({ source: 'public', classKind: 'component', classCode: '0101' });
    expect(found.area.district).toBe('370102');
    caseId = found.id;
  });

  it('refuses bad Open311 requests with the spec’s error list and stores nothing', async () => {
    const before = (await call('GET', '/api/cases', tokens.acceptor1!)).body.total;
    const cases: Array<{ body: Record<string, string>; status: number; text: string }> = [
      { body: { lat: '36.66', long: '117.02' }, status: 400, text: 'service_code is required' },
      { body: { service_code: 'component-9999', lat: '36.66', long: '117.02' }, status: 404, text: 'no service' },
      { body: { service_code: 'component-0101', lat: '136', long: '117' }, status: 400, text: 'lat must be' },
      { body: { service_code: 'component-0101', address_string: '泉城路' }, status: 400, text: 'geocode' },
      {
        body: { service_code: 'component-0101', lat: '36.66', long: '117.02', api_key: 'wrong' },
        status: 403,
        text: 'api_key',
      },
    ];
    for (const c of cases) {
      const res = await call('POST', '/open311/v2/requests.json', null, new URLSearchParams(c.body).toString());
      expect(res.status).toBe(c.status);
      expect(res.body).toEqual([{ code: c.status, description: expect.stringContaining(c.text) }]);
    }
    expect((await call('GET', '/api/cases', tokens.acceptor1!)).body.total).toBe(before);
  });

  it('records a request with the hotline key as a hotline report', async () => {
    const res = await call(
      'POST',
      '/open311/v2/requests.json',
      null,
      new URLSearchParams({
        service_code: 'component-0102',
        lat: String(SPOT.lat),
        long: String(SPOT.lon),
        api_key: HOTLINE_KEY,
      }).toString(),
    );
    expect(res.status, res.text).toBe(201);
    const list = await call('GET', '/api/cases?source=hotline', tokens.acceptor1!);
    expect(list.body.items.map((c: { number: string }) => c.number)).toContain(res.body[0].service_request_id);
  });

  it('runs accept → file → dispatch → handle → re-inspect → close, and publishes the result', async () => {
    const act = async (who: string, action: string, body: Record<string, unknown> = {}) => {
      const res = await call('POST', `/api/cases/${caseId}/actions/${action}`, tokens[who]!, body);
      expect(res.status, `${who} ${action}: ${res.text}`).toBe(200);
      return res.body;
    };
    const situations = await call('GET', '/api/catalogue/classes/0101?kind=component', tokens.acceptor1!);
    const standardId = situations.body.situations[0].id as number;
    await act('acceptor1', 'accept', { standardId });
    // A department user may not file: 403, and the case stays accepted.
    expect((await call('POST', `/api/cases/${caseId}/actions/file`, tokens.water1!, {})).status).toBe(403);
    await act('leader1', 'file');
    const dispatched = await act('dispatcher1', 'dispatch');
    // The responsibility rule chose the water company; the 运城 standard's first situation is 2 urgent hours.
    expect(dispatched).toMatchObject({
      state: 'dispatched',
      departmentId: 'water',
      limit: { value: 2, unit: 'urgentHours' },
    });
    await act('water1', 'start');
    // The handling photo, uploaded with the department user's session.
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(64, 1)]);
    const upload = await fetch(`${base}/api/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.water1}`, 'content-type': 'image/png' },
      body: png,
    });
    expect(upload.status, await upload.clone().text()).toBe(201);
    const photo = ((await upload.json()) as { id: string }).id;
    await act('water1', 'handle', { note: '已补装井盖', attachments: [photo] });
    const history = await call('GET', `/api/cases/${caseId}/history`, tokens.leader1!);
    expect(history.body.events.find((e: { action: string }) => e.action === 'handle').attachments).toEqual([photo]);
    const collector = (await call('GET', '/api/users?role=collector', ADMIN_TOKEN)).body.items[0].id;
    await act('leader1', 'assignReinspect', { collectorId: collector });
    await act('collector1', 'reinspectPass', { note: '现场已恢复' });
    await act('leader1', 'close', { note: '井盖已补装，验收合格' });

    const shown = await call('GET', `/open311/v2/requests/${requestId}.json`, null);
    expect(shown.body[0]).toMatchObject({
      status: 'closed',
      status_notes: '井盖已补装，验收合格',
      agency_responsible: '济南水务集团',
    });
    const closedList = await call('GET', '/open311/v2/requests.json?status=closed', null);
    expect(closedList.body.map((r: { service_request_id: string }) => r.service_request_id)).toEqual([requestId]);
  });

  it('tells the complainant through the signed webhook, once', async () => {
    const sms = await waitFor(
      'the closing notification',
      () => received.find((r) => r.body.includes(requestId)),
      20_000,
    );
    const payload = JSON.parse(sms.body);
    expect(payload).toMatchObject({ channel: 'sms', recipient: '13812345678', caseNumber: requestId });
    expect(payload.body).toContain('已处理完毕并结案');
    const signature = 'sha256=' + createHmac('sha256', WEBHOOK_SECRET).update(sms.body).digest('hex');
    expect(sms.headers['x-cityhub-signature']).toBe(signature);
    const outbox = await call('GET', `/api/notifications?case=${requestId}`, tokens.acceptor1!);
    expect(outbox.body.items).toEqual([expect.objectContaining({ status: 'sent', recipient: '13812345678' })]);
    // Only the roles that talk to complainants see the outbox.
    expect((await call('GET', '/api/notifications', tokens.water1!)).status).toBe(403);
    // Further sender rounds do not send it again.
    await new Promise((r) => setTimeout(r, 2500));
    expect(received.filter((r) => r.body.includes(requestId))).toHaveLength(1);
  });

  it('pushed every change to the live map, without the complainant', async () => {
    await waitFor('the closed case on the live channel', () =>
      liveCases.some((c) => c.number === requestId && c.state === 'closed'),
    );
    // Changes within one push tick collapse to the latest, so the map sees the states in order, some perhaps skipped.
    const order: readonly string[] = MAIN_LOOP_STATES;
    const seen = liveCases.filter((c) => c.number === requestId).map((c) => order.indexOf(c.state));
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.at(-1)).toBe(order.indexOf('closed'));
    expect(JSON.stringify(liveCases)).not.toContain('13812345678');
  });

  it('turns a handheld report sent over MQTT into a case reported by its collector, once', async () => {
    const collector = (await call('GET', '/api/users?role=collector', ADMIN_TOKEN)).body.items[0];
    expect((await call('PATCH', `/api/users/${collector.id}`, ADMIN_TOKEN, { staffId: 'JN-0042' })).status).toBe(200);
    const handheld = await provisionDevice(base, ADMIN_TOKEN, {
      id: 'handheld-42',
      kind: 'collector',
      staffId: 'JN-0042',
    });
    const client = await connectDevice(mqttUrl, handheld);
    const report = {
      reportId: 'rpt-0000-0001',
      time: new Date().toISOString(),
      lat: SPOT.lat,
      lon: SPOT.lon,
      categoryCode: 'component:0102',
      description: '污水井盖缺失',
    };
    try {
      await client.publishAsync('devices/handheld-42/reports', JSON.stringify(report), { qos: 1 });
      // Sent again (the handheld did not see the PUBACK): still one case.
      await client.publishAsync('devices/handheld-42/reports', JSON.stringify(report), { qos: 1 });
      // A bare 0101 is both a component and an event: stored, refused as a case with the reason.
      await client.publishAsync(
        'devices/handheld-42/reports',
        JSON.stringify({ ...report, reportId: 'rpt-0000-0002', categoryCode: '0101' }),
        { qos: 1 },
      );
    } finally {
      await client.endAsync();
    }
    const made = await waitFor('the case from the handheld', async () => {
      const list = await call('GET', '/api/cases?source=collector', tokens.acceptor1!);
      return list.body.items.find((c: { description: string }) => c.description === '污水井盖缺失');
    });
    expect(made).toMatchObject({
      classKind: 'component',
      classCode: '0102',
      reporterId: collector.id,
      state: 'reported',
    });
    const refused = await waitFor('the refused report', async () => {
      const { rows } = await db.pool.query<{ error: string | null }>(
        `SELECT error FROM collector_report_cases WHERE report_id = 'rpt-0000-0002'`,
      );
      return rows[0];
    });
    expect(refused.error).toContain('component:0101 or event:0101');
    const { rows } = await db.pool.query(
      `SELECT count(*)::int AS n FROM collector_report_cases WHERE case_id IS NOT NULL`,
    );
    expect(rows).toEqual([{ n: 1 }]);
  });
});
