// 综合评价基准 the evaluation benchmark: a month of N cases (default 1,000,000) generated straight into a scratch
// database with SQL (generate_series: cases, their audit log and approvals along seven timelines — on time, late,
// rework, returned, voided, rejected, overdue), the built hub started on it to derive the facts and build the daily
// aggregates, then the month's report timed over HTTP. Target: the monthly report over 1,000,000 cases in < 2 s.
// Like the other load tests it talks to the hub over HTTP only, and to PostgreSQL to generate the data and watch the
// hub's progress; it imports nothing of hub/.
//
//   npm run build:server
//   node --import tsx loadtests/bench-evaluation.ts --database-url "$(bash scripts/test-db.sh start)" [--cases 1000000]
//       [--month 2026-10] [--runs 5] [--keep]
//   node --import tsx loadtests/bench-evaluation.ts --database-url … --reuse bench_eval_1a2b3c4d [--month 2026-10]
//       measures again on a database an earlier run kept (--keep), without generating: the slow set-up can run
//       while the machine is busy, the timing when it is quiet.
//
// The database URL names a server (a TimescaleDB for real numbers) where the bench may create and drop a database.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { delay, spawnHub, stopAllChildren, stopChild } from './processes.js';

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    cases: { type: 'string', default: '1000000' },
    month: { type: 'string' },
    runs: { type: 'string', default: '5' },
    keep: { type: 'boolean', default: false },
    reuse: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help || !values['database-url']) {
  console.log(
    'Usage: node --import tsx loadtests/bench-evaluation.ts --database-url postgres://…@127.0.0.1:…/db ' +
      '[--cases 1000000] [--month YYYY-MM (default: last month)] [--runs 5] [--keep] [--reuse <kept database>]',
  );
  process.exit(values.help ? 0 : 2);
}
const serverUrl = new URL(values['database-url']);
if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(serverUrl.hostname)) {
  throw new Error('--database-url must be on the loopback interface (the bench creates and drops a database there)');
}
const cases = Number(values.cases);
const runs = Number(values.runs);
if (!(Number.isInteger(cases) && cases >= 100 && Number.isInteger(runs) && runs >= 1)) {
  throw new Error('--cases must be a whole number ≥ 100 and --runs ≥ 1');
}
/** Last month in China Standard Time, unless given. */
const month =
  values.month ??
  (() => {
    const local = new Date(Date.now() + 8 * 3_600_000);
    const m = local.getUTCMonth();
    return m === 0 ? `${local.getUTCFullYear() - 1}-12` : `${local.getUTCFullYear()}-${String(m).padStart(2, '0')}`;
  })();
if (!/^[0-9]{4}-(0[1-9]|1[0-2])$/.test(month)) throw new Error('--month must look like 2026-10');

const say = (s: string) => console.log(s);
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const ADMIN_TOKEN = `bench-${randomBytes(12).toString('hex')}`;
const reuse = values.reuse;
if (reuse !== undefined && !/^bench_eval_[0-9a-f]{8}$/.test(reuse)) {
  throw new Error('--reuse takes the name of a database an earlier run kept, e.g. bench_eval_1a2b3c4d');
}
const dbName = reuse ?? `bench_eval_${randomBytes(4).toString('hex')}`;
const dbUrl = new URL(serverUrl);
dbUrl.pathname = `/${dbName}`;

async function startHub(): Promise<{ child: ChildProcess; url: string }> {
  const hub = await spawnHub({
    databaseUrl: dbUrl.toString(),
    adminToken: ADMIN_TOKEN,
    dataPrefix: 'bench-eval-',
    jt808: true,
    healthTimeoutMs: 180_000,
    say,
    label: '[hub] starting dist/hub/main.js',
  });
  return { child: hub.child, url: hub.httpUrl };
}

async function get(url: string, what: string): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  const res = await fetch(url, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const body = await res.arrayBuffer();
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`${what}: ${res.status} ${Buffer.from(body).toString('utf8').slice(0, 300)}`);
  return { ms, bytes: body.byteLength };
}

/** The month's cases along seven timelines: offsets in minutes from the report, per step of the workflow. */
const PATHS: { name: string; share: number; state: string; steps: [string, number][] }[] = [
  {
    name: 'on time',
    share: 0.7,
    state: 'closed',
    steps: [
      ['accept', 5],
      ['file', 10],
      ['dispatch', 15],
      ['start', 30],
      ['handle', 120],
      ['assignReinspect', 125],
      ['reinspectPass', 180],
      ['close', 210],
    ],
  },
  {
    name: 'late',
    share: 0.08,
    state: 'closed',
    steps: [
      ['accept', 5],
      ['file', 10],
      ['dispatch', 15],
      ['start', 30],
      ['handle', 360],
      ['assignReinspect', 365],
      ['reinspectPass', 420],
      ['close', 450],
    ],
  },
  {
    name: 'rework',
    share: 0.05,
    state: 'closed',
    steps: [
      ['accept', 5],
      ['file', 10],
      ['dispatch', 15],
      ['start', 30],
      ['handle', 120],
      ['assignReinspect', 125],
      ['reinspectFail', 150],
      ['handle', 300],
      ['assignReinspect', 305],
      ['reinspectPass', 360],
      ['close', 390],
    ],
  },
  {
    name: 'returned',
    share: 0.03,
    state: 'closed',
    steps: [
      ['accept', 5],
      ['file', 10],
      ['dispatch', 15],
      ['requestReturn', 20],
      ['approveReturn', 30],
      ['dispatch2', 40],
      ['start', 50],
      ['handle', 180],
      ['assignReinspect', 185],
      ['reinspectPass', 240],
      ['close', 270],
    ],
  },
  {
    name: 'voided',
    share: 0.03,
    state: 'voided',
    steps: [
      ['accept', 5],
      ['file', 10],
      ['dispatch', 15],
      ['requestVoid', 20],
      ['approveVoid', 30],
    ],
  },
  { name: 'rejected', share: 0.03, state: 'rejected', steps: [['reject', 10]] },
  {
    name: 'overdue',
    share: 0.08,
    state: 'handling',
    steps: [
      ['accept', 5],
      ['file', 10],
      ['dispatch', 15],
      ['start', 30],
    ],
  },
];
const ROLE_OF: Record<string, string> = {
  accept: 'acceptor',
  reject: 'acceptor',
  file: 'shiftLeader',
  close: 'shiftLeader',
  assignReinspect: 'shiftLeader',
  approveVoid: 'shiftLeader',
  dispatch: 'dispatcher',
  dispatch2: 'dispatcher',
  approveReturn: 'dispatcher',
  start: 'department',
  handle: 'department',
  requestReturn: 'department',
  requestVoid: 'department',
  reinspectPass: 'collector',
  reinspectFail: 'collector',
};

async function generate(db: pg.Client): Promise<void> {
  const q = (sql: string, params: unknown[] = []) => db.query(sql, params);
  // People and departments.
  await q(`INSERT INTO departments (id, name, kind) SELECT 'dept' || lpad(i::text, 2, '0'), '部门 ' || i, 'department'
           FROM generate_series(1, 30) i`);
  await q(`INSERT INTO users (id, username, name, roles, department_id, staff_id, password_hash)
    SELECT 'bc' || lpad(i::text, 3, '0'), 'bc' || lpad(i::text, 3, '0'), '监督员 ' || i, ARRAY['collector'], NULL, 'S' || i, 'x'
      FROM generate_series(1, 200) i
    UNION ALL SELECT r || lpad(i::text, 2, '0'), r || lpad(i::text, 2, '0'), r || ' ' || i,
                     ARRAY[CASE r WHEN 'ba' THEN 'acceptor' WHEN 'bs' THEN 'shiftLeader' ELSE 'dispatcher' END], NULL, NULL, 'x'
      FROM generate_series(1, 10) i, unnest(ARRAY['ba', 'bs', 'bd']) r
    UNION ALL SELECT 'bu' || lpad(i::text, 2, '0'), 'bu' || lpad(i::text, 2, '0'), '部门人员 ' || i, ARRAY['department'],
                     'dept' || lpad(i::text, 2, '0'), NULL, 'x'
      FROM generate_series(1, 30) i`);
  // Each collector's handheld gets every 200th cell.
  await q(`INSERT INTO devices (id, kind, name, staff_id, grid_codes, credential_hash)
    SELECT 'hh' || i, 'collector', '手持 ' || i, 'S' || i,
           ARRAY(SELECT code FROM (SELECT code, row_number() OVER (ORDER BY code) AS k FROM areas WHERE level = 'cell') c
                  WHERE c.k % 200 = i - 1), 'x'
      FROM generate_series(1, 200) i`);
  await q(`CREATE TEMP TABLE bench_cells AS SELECT row_number() OVER (ORDER BY code) - 1 AS k, code, left(code, 12) AS community,
             left(code, 9) AS street, left(code, 6) AS district FROM areas WHERE level = 'cell'`);
  await q(`CREATE TEMP TABLE bench_classes AS SELECT row_number() OVER (ORDER BY kind, code) - 1 AS k, kind, code
             FROM catalogue_classes`);
  const cuts: number[] = [];
  let acc = 0;
  for (const p of PATHS) cuts.push((acc += p.share));
  const pathCase = `CASE ${cuts.map((c, i) => `WHEN r < ${c} THEN ${i}`).join(' ')} ELSE ${PATHS.length - 1} END`;
  // The plan: a report time in the month (CST), a timeline, a place, a class and the people.
  await q(
    `CREATE TEMP TABLE bench_plan AS
     SELECT g AS n,
            ($1 || '-01')::timestamp AT TIME ZONE 'Asia/Shanghai'
              + random() * (((($1 || '-01')::date + interval '1 month') - ($1 || '-01')::date) - interval '8 hours') AS t0,
            ${pathCase} AS path, src, (random() * 1e9)::bigint AS h
       FROM (SELECT g, random() AS r, random() AS src FROM generate_series(1, $2) g) x`,
    [month, cases],
  );
  const { rows: counts } = await q(
    `SELECT (SELECT count(*) FROM bench_cells) AS cells, (SELECT count(*) FROM bench_classes) AS classes`,
  );
  const cells = Number(counts[0].cells);
  const classes = Number(counts[0].classes);
  if (cells === 0 || classes === 0) throw new Error('no grid or no catalogue in the scratch database');
  /** The minute of a timeline's first (or last) step `action`, as a CASE on the path; NULL where it has none. */
  const minute = (action: string, which: 'first' | 'last' = 'first') => {
    const arms = PATHS.flatMap((p, i) => {
      const hits = p.steps.filter(([a]) => a === action);
      const hit = which === 'first' ? hits[0] : hits.at(-1);
      return hit ? [`WHEN ${i} THEN ${hit[1]}`] : [];
    });
    return arms.length ? `(CASE b.path ${arms.join(' ')} END)` : 'NULL::int';
  };
  const at = (action: string, which: 'first' | 'last' = 'first') =>
    `b.t0 + ${minute(action, which)} * interval '1 minute'`;
  const states = `CASE b.path ${PATHS.map((p, i) => `WHEN ${i} THEN '${p.state}'`).join(' ')} END`;
  await q(`CREATE TEMP TABLE bench_cases AS
    SELECT b.*, 'B' || b.n AS number,
           CASE WHEN b.src < 0.75 THEN 'collector' WHEN b.src < 0.9 THEN 'hotline' ELSE 'public' END AS source,
           c.code AS cell, c.community, c.street, c.district, k.kind AS class_kind, k.code AS class_code,
           'bc' || lpad((1 + b.h % 200)::text, 3, '0') AS collector, 'ba' || lpad((1 + b.h % 10)::text, 2, '0') AS acceptor,
           'bs' || lpad((1 + (b.h / 10) % 10)::text, 2, '0') AS shift, 'bd' || lpad((1 + (b.h / 100) % 10)::text, 2, '0') AS dispatcher,
           1 + (b.h / 1000) % 30 AS dept, 1 + (b.h / 1000 + 7) % 30 AS dept2,
           ${states} AS state
      FROM bench_plan b JOIN bench_cells c ON c.k = b.h % ${cells} JOIN bench_classes k ON k.k = (b.h / 7) % ${classes}`);
  const dept = (col: string) => `'dept' || lpad(b.${col}::text, 2, '0')`;
  const lastDispatch = `COALESCE(${at('dispatch2')}, ${at('dispatch')})`;
  await q(`INSERT INTO cases (number, state, source, class_kind, class_code, lon, lat, cell_code, community_code, street_code,
                              district_code, reporter_id, reported_at, accepted_at, filed_at, dispatched_at, handled_at,
                              closed_at, handling_deadline, limit_value, limit_unit, department_id, reinspector_id,
                              rework_count, return_count, updated_at)
    SELECT b.number, b.state, b.source, b.class_kind, b.class_code, 117.02, 36.66, b.cell, b.community, b.street, b.district,
           CASE WHEN b.source = 'collector' THEN b.collector ELSE b.acceptor END, b.t0, ${at('accept')}, ${at('file')},
           CASE WHEN b.state = 'voided' THEN NULL ELSE ${lastDispatch} END,
           ${at('handle', 'last')}, ${at('close')},
           CASE WHEN b.state IN ('voided', 'rejected') THEN NULL ELSE ${lastDispatch} + interval '4 hours' END,
           CASE WHEN b.state = 'rejected' THEN NULL ELSE 4 END,
           CASE WHEN b.state = 'rejected' THEN NULL ELSE 'urgentHours' END,
           CASE WHEN b.state = 'rejected' THEN NULL WHEN b.path = 3 THEN ${dept('dept2')} ELSE ${dept('dept')} END,
           CASE WHEN ${minute('assignReinspect')} IS NULL THEN NULL ELSE b.collector END,
           CASE WHEN b.path = 2 THEN 1 ELSE 0 END, CASE WHEN b.path = 3 THEN 1 ELSE 0 END, b.t0
      FROM bench_cases b ORDER BY b.n`);
  await q(`CREATE TEMP TABLE bench_ids AS SELECT c.id, b.* FROM bench_cases b JOIN cases c ON c.number = b.number`);
  // Approvals of the returned and voided timelines.
  await q(`INSERT INTO case_approvals (case_id, kind, status, requested_by, requested_by_name, requested_at, reason,
                                      decided_by, decided_by_name, decided_at)
    SELECT b.id, CASE b.path WHEN 3 THEN 'return' ELSE 'void' END, 'approved', 'bu' || lpad(b.dept::text, 2, '0'), 'bench',
           b.t0 + interval '20 minutes', 'bench', 'bench', 'bench', b.t0 + interval '30 minutes'
      FROM bench_ids b WHERE b.path IN (3, 4)`);
  // The audit log: the report, then each step of the timeline, by the person of the step's role.
  const stepRows = PATHS.flatMap((p, i) =>
    [['report', 0] as [string, number], ...p.steps].map(
      ([action, m], seq) => `(${i}, ${seq + 1}, '${action}', ${m}, '${ROLE_OF[action] ?? 'reporter'}')`,
    ),
  ).join(', ');
  await q(`INSERT INTO case_events (case_id, seq, at, actor_id, actor_name, actor_role, action, from_state, to_state, data)
    SELECT b.id, s.seq, b.t0 + s.m * interval '1 minute',
           CASE s.role WHEN 'acceptor' THEN b.acceptor WHEN 'shiftLeader' THEN b.shift WHEN 'dispatcher' THEN b.dispatcher
             WHEN 'department' THEN 'bu' || lpad((CASE WHEN b.path = 3 AND s.seq > 6 THEN b.dept2 ELSE b.dept END)::text, 2, '0')
             WHEN 'collector' THEN b.collector
             ELSE CASE WHEN b.source = 'collector' THEN b.collector ELSE b.acceptor END END,
           'bench',
           CASE WHEN s.role = 'reporter' THEN CASE WHEN b.source = 'collector' THEN 'collector' ELSE 'acceptor' END
                ELSE s.role END,
           CASE s.action WHEN 'dispatch2' THEN 'dispatch' ELSE s.action END, NULL, b.state,
           CASE s.action
             WHEN 'dispatch' THEN jsonb_build_object('departmentId', 'dept' || lpad(b.dept::text, 2, '0'),
                                                     'deadline', b.t0 + (s.m + 240) * interval '1 minute')
             WHEN 'dispatch2' THEN jsonb_build_object('departmentId', 'dept' || lpad(b.dept2::text, 2, '0'),
                                                      'deadline', b.t0 + (s.m + 240) * interval '1 minute')
             WHEN 'assignReinspect' THEN jsonb_build_object('collectorId', b.collector)
             WHEN 'requestReturn' THEN jsonb_build_object('approvalId', a.id::text)
             WHEN 'requestVoid' THEN jsonb_build_object('approvalId', a.id::text)
             ELSE '{}'::jsonb END
      FROM bench_ids b
      JOIN (VALUES ${stepRows}) AS s(p, seq, action, m, role) ON s.p = b.path
      LEFT JOIN case_approvals a ON a.case_id = b.id AND b.path IN (3, 4)`);
}

async function main(): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl.toString(), application_name: 'bench-evaluation' });
  await admin.connect();
  if (reuse === undefined) await admin.query(`CREATE DATABASE ${dbName}`);
  say(`[db] ${reuse ? 'kept' : 'scratch'} database ${dbName}; month ${month}`);
  let hub = reuse ? null : await startHub();
  const db = new pg.Client({ connectionString: dbUrl.toString(), application_name: 'bench-evaluation' });
  await db.connect();
  try {
    let t0 = performance.now();
    if (hub) {
      const grid = await fetch(`${hub.url}/api/geo/demo-grid`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      if (!grid.ok) throw new Error(`demo grid: ${grid.status} ${await grid.text()}`);
      await stopChild(hub.child);
      t0 = performance.now();
      await generate(db);
      // Statistics for the planner, as autovacuum would gather them on a live database after such growth.
      await db.query('ANALYZE');
    }
    const { rows: sizes } = await db.query(
      `SELECT (SELECT count(*) FROM cases) AS cases, (SELECT count(*) FROM case_events) AS events,
              (SELECT count(*) FROM evaluation_stale_cases) AS stale`,
    );
    say(
      `[${reuse ? 'kept' : 'generate'}] ${Number(sizes[0].cases).toLocaleString('en')} cases, ` +
        `${Number(sizes[0].events).toLocaleString('en')} audit events` +
        (reuse ? '' : ` in ${secs(performance.now() - t0)} (SQL, generate_series)`),
    );

    // The hub derives the facts at start (its evaluation scheduler) and computes the daily aggregates.
    t0 = performance.now();
    const running = await startHub();
    hub = running;
    let derivedAt = 0;
    for (;;) {
      const { rows } = await db.query(
        `SELECT (SELECT count(*) FROM evaluation_stale_cases) AS stale,
                (SELECT count(*) FROM evaluation_dirty_days WHERE day < (now() AT TIME ZONE 'Asia/Shanghai')::date) AS dirty`,
      );
      const stale = Number(rows[0].stale);
      const dirty = Number(rows[0].dirty);
      if (stale === 0 && !derivedAt) {
        derivedAt = performance.now();
        const { rows: f } = await db.query('SELECT count(*) AS n FROM evaluation_facts');
        const s = (derivedAt - t0) / 1000;
        say(
          reuse
            ? `[facts] ${Number(f[0].n).toLocaleString('en')} facts, derived by the run that kept the database`
            : `[facts] ${Number(f[0].n).toLocaleString('en')} facts of ${cases.toLocaleString('en')} cases derived ` +
                `${s.toFixed(1)} s after the hub started (${Math.round(cases / s).toLocaleString('en')} cases/s)`,
        );
      }
      if (stale === 0 && dirty === 0) break;
      await delay(1000);
    }
    const { rows: agg } = await db.query('SELECT count(*) AS n FROM evaluation_daily');
    say(
      `[aggregates] ${Number(agg[0].n).toLocaleString('en')} daily rows in ${secs(performance.now() - derivedAt)} ` +
        `(rollup table or continuous aggregates, as the licence allows)`,
    );

    const measure = async (what: string, url: string) => {
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < runs; i++) {
        const r = await get(`${running.url}${url}`, what);
        times.push(r.ms);
        bytes = r.bytes;
      }
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)]!;
      say(
        `[time] ${what.padEnd(44)} min ${secs(times[0]!)}  median ${secs(median)}  max ${secs(times.at(-1)!)}  ` +
          `(${(bytes / 1024).toFixed(0)} KiB)`,
      );
      return median;
    };
    const report = await measure(`monthly report ${month}.html`, `/api/evaluation/reports/monthly/${month}.html`);
    await measure('city indicators', `/api/evaluation/city?period=${month}`);
    await measure('departments', `/api/evaluation/department?period=${month}`);
    await measure('collectors', `/api/evaluation/collector?period=${month}`);
    await measure('every unit grid cell', `/api/evaluation/cell?period=${month}`);
    await measure('exceptions ledger', `/api/evaluation/exceptions?period=${month}`);
    await measure('city straight from the facts (no aggregates)', `/api/evaluation/city?period=${month}&source=facts`);
    say(
      `[result] the month's report over ${cases.toLocaleString('en')} cases: median ${secs(report)} — target < 2 s: ` +
        `${report < 2000 ? 'met' : 'NOT met'}`,
    );
  } finally {
    if (hub) await stopChild(hub.child).catch(() => undefined);
    await db.end().catch(() => undefined);
    if (values.keep || reuse) say(`[db] kept ${dbUrl.toString()} (measure again: --reuse ${dbName})`);
    else await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  }
}

process.on('SIGINT', () => void stopAllChildren().then(() => process.exit(130)));
main().catch(async (err: unknown) => {
  console.error(`bench-evaluation: ${(err as Error).stack ?? String(err)}`);
  await stopAllChildren();
  process.exit(1);
});
