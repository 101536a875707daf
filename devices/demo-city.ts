// 演示城市 the demo's city set-up, done through the admin API like a city's administrator would: the demo unit grid over
// Jinan's old town, the sample filing/closing standard, departments with responsibility rules (and the district
// government as the art.33 fallback), one user per role, and a few open cases in different stages — so a newcomer can
// log in and walk the case loop. Idempotent: a second run finds everything in place and only resets the passwords.
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';

export const DEMO_DISTRICT = '370102';

const DEPARTMENTS = [
  { id: 'lixia-gov', name: '历下区人民政府', kind: 'districtGovernment', districtCode: DEMO_DISTRICT },
  { id: 'water', name: '济南水务集团', kind: 'department' },
  { id: 'municipal', name: '市政工程管理处', kind: 'department' },
  { id: 'sanitation', name: '环境卫生管理处', kind: 'department' },
  { id: 'landscape', name: '园林绿化局', kind: 'department' },
  { id: 'enforcement', name: '城管执法大队', kind: 'department' },
] as const;

/** Which department handles which major class in the district; anything else falls back to the district government. */
const RULES = [
  { classPattern: '01', classKind: 'component', departmentId: 'water' },
  { classPattern: '02', classKind: 'component', departmentId: 'municipal' },
  { classPattern: '03', classKind: 'component', departmentId: 'sanitation' },
  { classPattern: '04', classKind: 'component', departmentId: 'landscape' },
  { classPattern: '01', classKind: 'event', departmentId: 'sanitation' },
  { classPattern: '04', classKind: 'event', departmentId: 'enforcement' },
] as const;

export const DEMO_USERS = [
  { username: 'collector', name: '监督员 张伟', roles: ['collector'] },
  { username: 'acceptor', name: '受理员 李娜', roles: ['acceptor'] },
  { username: 'shiftleader', name: '值班长 王强', roles: ['shiftLeader'] },
  { username: 'dispatcher', name: '派遣员 刘洋', roles: ['dispatcher'] },
  { username: 'water', name: '水务集团 陈静', roles: ['department'], departmentId: 'water' },
  { username: 'sanitation', name: '环卫处 赵磊', roles: ['department'], departmentId: 'sanitation' },
  { username: 'leader', name: '领导 孙明', roles: ['leader'] },
  { username: 'auditor', name: '审计员 周芳', roles: ['auditor'] },
] as const;

/** Reports the demo collector makes on first set-up (WGS-84, inside the demo grid). */
const REPORTS = [
  { classCode: 'component:0101', lon: 117.0213, lat: 36.6628, description: '泉城路上水井盖破损' },
  { classCode: 'event:0110', lon: 117.0148, lat: 36.6702, description: '大明湖南门暴露垃圾' },
  { classCode: 'component:0402', lon: 117.0301, lat: 36.6589, description: '历山路行道树倒伏' },
] as const;

interface Api {
  (method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: unknown }>;
}

function client(base: string, adminToken: string): Api {
  return async (method, path, body, token = adminToken) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (typeof body === 'string') headers['content-type'] = 'text/csv';
    else if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      body: typeof body === 'string' || body === undefined ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
  };
}

function expectOk(what: string, res: { status: number; body: unknown }, alsoOk: number[] = []): void {
  if (res.status >= 300 && !alsoOk.includes(res.status)) {
    throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  }
}

export interface DemoCity {
  /** The password of every demo user for this run. */
  password: string;
}

export async function setUpDemoCity(
  base: string,
  adminToken: string,
  password: string,
  log: Logger,
): Promise<DemoCity> {
  const api = client(base, adminToken);
  const first = REPORTS[0]!;
  if ((await api('GET', `/api/geo/locate?lon=${first.lon}&lat=${first.lat}`)).status === 404) {
    expectOk('importing the demo grid', await api('POST', '/api/geo/demo-grid'));
  }

  const standard = await readFile(
    new URL('../hub/catalogue/data/yuncheng-component-standards.csv', import.meta.url),
    'utf8',
  ).catch(() => null);
  const situations = (await api('GET', '/api/catalogue/classes/0101?kind=component')).body as {
    situations?: unknown[];
  } | null;
  if (standard && !situations?.situations?.length) {
    expectOk(
      'importing the sample standard',
      await api('POST', '/api/catalogue/standards/import?kind=component', standard),
    );
  }

  for (const d of DEPARTMENTS) expectOk(`creating department ${d.id}`, await api('POST', '/api/departments', d), [409]);
  const existing = (await api('GET', '/api/responsibility/rules')).body as Array<{
    classPattern: string;
    classKind: string | null;
  }>;
  for (const r of RULES) {
    if (existing.some((e) => e.classPattern === r.classPattern && e.classKind === r.classKind)) continue;
    expectOk(
      `adding the rule for ${r.classKind} ${r.classPattern}`,
      await api('POST', '/api/responsibility/rules', { ...r, areaLevel: 'district', areaCode: DEMO_DISTRICT }),
    );
  }

  for (const u of DEMO_USERS) {
    const created = await api('POST', '/api/users', { ...u, password });
    if (created.status === 409) {
      const found = (await api('GET', `/api/users?q=${u.username}`)).body as {
        items: Array<{ id: string; username: string }>;
      };
      const id = found.items.find((x) => x.username === u.username)?.id;
      if (!id) throw new Error(`user ${u.username} exists but was not found`);
      expectOk(`resetting ${u.username}'s password`, await api('POST', `/api/users/${id}/password`, { password }));
    } else {
      expectOk(`creating user ${u.username}`, created);
    }
  }

  const cases = (await api('GET', '/api/cases?limit=1')).body as { total: number };
  if (cases.total === 0) {
    const login = await api('POST', '/api/auth/login', { username: 'collector', password });
    expectOk('logging in as the demo collector', login);
    const token = (login.body as { token: string }).token;
    for (const r of REPORTS) {
      expectOk(`reporting ${r.description}`, await api('POST', '/api/cases', { ...r, source: 'collector' }, token));
    }
  }
  log.info(
    { users: DEMO_USERS.map((u) => u.username), password },
    `demo city ready: log in as ${DEMO_USERS.map((u) => u.username).join(', ')} with the password shown`,
  );
  return { password };
}
