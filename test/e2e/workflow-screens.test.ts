// Browser end to end for the workflow screens (issue 8): the built hub with the demo city (grid, sample standard,
// departments and responsibility rules, one user per role); headless Chromium at 1920×1080 drives real cases through
// the acceptor's, shift leader's, dispatcher's and department's screens, each role doing its own steps through the
// buttons the workflow table offers, and checks every step in the hub's API. Also: lists follow changes live, a stale
// form is refused with an explanation and the case reloaded, a department sees only its own cases, a role opening
// another role's screen is refused, and the English switch changes the labels. A screenshot of each screen goes to
// test-artifacts/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from '../support/browser.js';
import { png, type E2eCity, type Json } from '../support/e2e-city.js';
import {
  attachPhoto,
  detail,
  offered,
  openCase,
  openScreen,
  openTab,
  openWorkflowScreen,
  row,
  startAction,
  submitAction,
  waitForThumbnails,
  startWorkflowCity,
} from '../support/workflow-page.js';

/** In the demo grid (Jinan old town); component 01xx there is the water company's (the demo's responsibility rules). */
const SPOT = { lon: 117.0213, lat: 36.6628 };
const NEAR_SPOT = { lon: 117.0213, lat: 36.66288 }; // ~9 m north: a duplicate
const ELSEWHERE = { lon: 117.0301, lat: 36.6589 };

let city: E2eCity;
let base: string;

const call: E2eCity['call'] = (...args) => city.call(...args);
const as: E2eCity['as'] = (...args) => city.as(...args);
const tokenOf = (username: string) => city.tokenOf(username);

const getCase = (id: string) => call('GET', `/api/cases/${id}`);
const doAct = (username: string, id: string, action: string, body: Record<string, unknown> = {}) =>
  as(username, 'POST', `/api/cases/${id}/actions/${action}`, body);

async function uploadPhoto(username: string, rgb: [number, number, number]): Promise<string> {
  return (await as(username, 'POST', '/api/media', new Uint8Array(png(80, 60, rgb)))).id as string;
}

/** A collector's report of a broken manhole cover (component 0101) at a point. */
async function report(description: string, at = SPOT, withPhoto = true): Promise<Json> {
  const attachments = withPhoto ? [await uploadPhoto('collector', [30, 110, 200])] : [];
  return as('collector', 'POST', '/api/cases', {
    source: 'collector',
    classCode: 'component:0101',
    ...at,
    description,
    address: '泉城路',
    attachments,
  });
}

let situationId = 0;
/** Carries a case along the table through the API, each step by its role (set-up for another screen's test). */
async function advance(id: string, steps: string[]): Promise<Json> {
  let c: Json = null;
  for (const step of steps) {
    if (step === 'accept') c = await doAct('acceptor', id, 'accept', { standardId: situationId });
    else if (step === 'file') c = await doAct('shiftleader', id, 'file');
    else if (step === 'dispatch') c = await doAct('dispatcher', id, 'dispatch');
    else if (step === 'start') c = await doAct('water', id, 'start');
    else if (step === 'handle') {
      c = await doAct('water', id, 'handle', {
        note: '已更换井盖',
        attachments: [await uploadPhoto('water', [40, 160, 60])],
      });
    } else throw new Error(`no set-up step ${step}`);
  }
  return c;
}

// ---- the cases this file carries through the screens

/** The main case: reported → verified → accepted → filed → dispatched → handled → re-inspected → closed. */
let main: Json;
let duplicate: Json;
let toReject: Json;
let conflict: Json;
let returning: Json;
let extending: Json;
let toVoid: Json;
let otherDepartment: Json;

beforeAll(async () => {
  ({ city, situationId } = await startWorkflowCity('workflow'));
  base = city.base;
}, 180_000);

afterAll(async () => {
  await city?.close();
});

describe('the acceptor’s screen', () => {
  it('shows a new report live, sends it for verification, then accepts it under a situation', async () => {
    const page = await openWorkflowScreen(city, 'acceptor', '/acceptor');
    await page.waitForSelector('button[data-tab="reported"][aria-selected="true"]');

    // Reported after the page was opened: the list follows without a reload.
    main = await report('泉城路上水井盖破损，有安全隐患');
    await page.waitForSelector(row(main.id), { timeout: 10_000 });
    await openCase(page, main.id, 'reported');
    expect(await offered(page)).toEqual(['requestVerify', 'accept', 'reject', 'merge']);
    expect(await waitForThumbnails(page, `${detail(main.id)} section.photos`)).toBe(1);

    // 派发核实: to the demo collector, chosen from the collector directory.
    await startAction(page, 'requestVerify');
    const collector = (await as('acceptor', 'GET', '/api/collectors')).items[0];
    await page.selectOption('form.action-form select[name="collectorId"]', collector.id);
    await submitAction(page, 'requestVerify');
    await page.waitForSelector(detail(main.id, 'verifying'));
    expect((await getCase(main.id)).verifierId).toBe(collector.id);

    // The collector reports back (their phone app); the open case follows live.
    await doAct('collector', main.id, 'verify', { note: '现场核实：井盖确已破损' });
    await page.waitForSelector(detail(main.id, 'reported'), { timeout: 10_000 });
    await page.waitForSelector(`${detail(main.id)} li[data-action="verify"]`);

    // 受理 with the class picker: the situation shows its time limit.
    await startAction(page, 'accept');
    await page.waitForSelector('form.action-form [data-testid="chosen-class"]');
    expect(await page.textContent('form.action-form [data-testid="chosen-class"]')).toContain('0101');
    await page.waitForSelector('form.action-form input[name="standardId"]');
    const limits = await page.$$eval('form.action-form .limit', (els) => els.map((e) => e.textContent ?? ''));
    expect(limits.some((l) => /处置时限：\d/.test(l))).toBe(true);
    await page.check(`form.action-form input[name="standardId"][value="${situationId}"]`);
    await submitAction(page, 'accept');
    await page.waitForSelector(detail(main.id, 'accepted'));
    const accepted = await getCase(main.id);
    expect(accepted).toMatchObject({ state: 'accepted', standardId: situationId });
    expect(await page.textContent('[data-testid="case-notice"]')).toContain('已上报 → 已受理');
    // The timeline has every step, with who did it.
    await page.waitForSelector(`${detail(main.id)} .timeline li[data-action="accept"]`);
    const steps = await page.$$eval(`${detail(main.id)} .timeline li`, (els) =>
      els.map((e) => e.getAttribute('data-action')),
    );
    expect(steps).toEqual(['report', 'requestVerify', 'verify', 'accept']);
    expect(await page.textContent(`${detail(main.id)} .timeline li[data-action="accept"]`)).toContain('受理员 李娜');
  });

  it('offers the nearby open case as a duplicate and merges into it; rejects another report with a reason', async () => {
    const page = await openWorkflowScreen(city, 'acceptor', '/acceptor');
    duplicate = await report('泉城路井盖坏了（重复）', NEAR_SPOT, false);
    toReject = await report('井盖完好，误报', ELSEWHERE, false);
    await page.waitForSelector(row(duplicate.id), { timeout: 10_000 });
    await openCase(page, duplicate.id, 'reported');
    await page.waitForSelector(`[data-testid="duplicates"] li[data-duplicate-id="${main.id}"]`);
    await page.click(`[data-testid="duplicates"] li[data-duplicate-id="${main.id}"] button`);
    await page.waitForSelector('form.action-form[data-action="merge"]');
    expect(await page.inputValue('form.action-form input[name="duplicateOf"]')).toBe(main.id);
    await submitAction(page, 'merge');
    await page.waitForSelector(detail(duplicate.id, 'rejected'));
    expect(await getCase(duplicate.id)).toMatchObject({ state: 'rejected', duplicateOf: main.id });
    // Gone from the queue of reports to accept.
    await page.waitForSelector(row(duplicate.id), { state: 'detached' });

    await openCase(page, toReject.id, 'reported');
    await startAction(page, 'reject');
    await submitAction(page, 'reject');
    // Missing reason: the form says so and nothing is sent.
    expect(await page.textContent('[data-testid="action-error"]')).toContain('原因');
    expect((await getCase(toReject.id)).state).toBe('reported');
    await page.fill('form.action-form textarea[name="reason"]', '现场核实无问题');
    await submitAction(page, 'reject');
    await page.waitForSelector(detail(toReject.id, 'rejected'));
    expect((await getCase(toReject.id)).rejectReason).toBe('现场核实无问题');
  });

  it('accepts a detector candidate with its evidence photo as a case', async () => {
    const page = await openWorkflowScreen(city, 'acceptor', '/acceptor');
    const snapshot = (await call('POST', '/api/media', new Uint8Array(png(160, 90, [200, 80, 40])))).id;
    const candidate = await call('POST', '/api/candidates', {
      detectorId: 'cam-e2e',
      clientKey: 'e2e-1',
      classCode: 'component:0101',
      ...ELSEWHERE,
      observedAt: new Date().toISOString(),
      confidence: 0.87,
      description: '摄像头发现井盖缺失',
      evidence: { mediaIds: [snapshot] },
    });
    await openTab(page, 'candidates');
    await page.click(`button.candidate-row[data-candidate-id="${candidate.id}"]`);
    await page.waitForSelector(`article.candidate-detail[data-candidate-id="${candidate.id}"]`);
    expect(await waitForThumbnails(page, 'article.candidate-detail')).toBe(1);
    await screenshot(page, 'workflow-acceptor-candidate.png');

    await page.click('button[data-action="acceptCandidate"]');
    await page.waitForSelector('article.candidate-detail input[name="standardId"]');
    await page.check(`article.candidate-detail input[name="standardId"][value="${situationId}"]`);
    await page.click('article.candidate-detail [data-testid="submit-action"]');
    await page.waitForSelector('article.case-detail[data-state="accepted"]');
    const caseId = await page.getAttribute('article.case-detail', 'data-case-id');
    const made = await getCase(caseId!);
    expect(made).toMatchObject({ source: 'detector', state: 'accepted', attachments: [snapshot] });
    const queue = await call('GET', '/api/candidates?status=pending');
    expect(queue.items.map((c: Json) => c.id)).not.toContain(candidate.id);

    await openTab(page, 'accepted');
    await openCase(page, main.id, 'accepted');
    await screenshot(page, 'workflow-acceptor.png');
  });
});

describe('the shift leader files, the dispatcher dispatches', () => {
  it('the shift leader files the accepted case', async () => {
    const page = await openWorkflowScreen(city, 'shiftleader', '/shift-leader');
    await page.waitForSelector(row(main.id));
    await openCase(page, main.id, 'accepted');
    expect(await offered(page)).toContain('file');
    await startAction(page, 'file');
    await submitAction(page, 'file');
    await page.waitForSelector(detail(main.id, 'filed'));
    expect((await getCase(main.id)).filedAt).not.toBeNull();
    // The queue of cases to file no longer holds it.
    await page.waitForSelector(row(main.id), { state: 'detached' });
  });

  it('the dispatcher dispatches it to the suggested department', async () => {
    const page = await openWorkflowScreen(city, 'dispatcher', '/dispatcher');
    await page.waitForSelector(row(main.id));
    await openCase(page, main.id, 'filed');
    await startAction(page, 'dispatch');
    await page.waitForSelector('[data-testid="suggested-department"][data-department-id="water"]');
    expect(await page.textContent('[data-testid="suggested-department"]')).toContain('济南水务集团');
    expect(await page.inputValue('form.action-form select[name="departmentId"]')).toBe('water');
    await submitAction(page, 'dispatch');
    await page.waitForSelector(detail(main.id, 'dispatched'));
    const dispatched = await getCase(main.id);
    expect(dispatched).toMatchObject({ departmentId: 'water', state: 'dispatched' });
    expect(dispatched.clock.light).toBe('green');
    expect(await page.getAttribute(`${detail(main.id)} .clocks .light`, 'data-light')).toBe('green');
    // Dispatched by the rules, not overridden by hand.
    const history = await call('GET', `/api/cases/${main.id}/history`);
    expect(history.events.at(-1).data).toMatchObject({ departmentId: 'water', overridden: false });
  });

  it('a form on a case someone else changed meanwhile is refused with an explanation, and the case reloaded', async () => {
    conflict = await report('井盖松动', ELSEWHERE, false);
    await advance(conflict.id, ['accept', 'file']);
    const page = await openWorkflowScreen(city, 'dispatcher', '/dispatcher');
    await openCase(page, conflict.id, 'filed');
    const seen = Number(await page.getAttribute(detail(conflict.id), 'data-version'));
    await startAction(page, 'dispatch');
    // Meanwhile the acceptor asks to void it (the case stays filed, its version moves on).
    await doAct('acceptor', conflict.id, 'requestVoid', { reason: '重复录入' });
    await page.waitForSelector('[data-testid="case-stale"]', { timeout: 10_000 });
    await submitAction(page, 'dispatch');
    await page.waitForSelector('[data-testid="case-notice"][role="alert"]');
    expect(await page.textContent('[data-testid="case-notice"]')).toContain('案件已被他人更新');
    await page.waitForSelector(`${detail(conflict.id)}[data-version="${seen + 1}"]`);
    await page.waitForSelector('[data-testid="pending-approval"][data-kind="void"]');
    expect((await getCase(conflict.id)).state).toBe('filed');
    await screenshot(page, 'workflow-dispatcher.png');
  });
});

describe('the department’s screen', () => {
  it('shows only the department’s own cases', async () => {
    otherDepartment = await report('环卫：井盖旁垃圾', ELSEWHERE, false);
    await advance(otherDepartment.id, ['accept', 'file']);
    await doAct('dispatcher', otherDepartment.id, 'dispatch', { departmentId: 'sanitation' });
    const page = await openWorkflowScreen(city, 'water', '/department');
    await openTab(page, 'all');
    await page.waitForSelector(row(main.id));
    const ids = await page.$$eval('tr.case-row', (els) => els.map((e) => e.getAttribute('data-case-id')));
    expect(ids).not.toContain(otherDepartment.id);
    const listed = await as('water', 'GET', '/api/cases?limit=200');
    expect(listed.items.every((c: Json) => c.departmentId === 'water')).toBe(true);
    // Not even by its address.
    await page.goto(`${base}/department?case=${otherDepartment.id}`);
    await page.waitForSelector(`${detail(otherDepartment.id)} .error`);
    expect(await page.textContent(detail(otherDepartment.id))).toContain(`there is no case ${otherDepartment.id}`);
  });

  it('takes the case, handles it with a photo uploaded from the form, and feeds back', async () => {
    const page = await openWorkflowScreen(city, 'water', '/department');
    await page.waitForSelector(row(main.id));
    expect(await page.getAttribute(`${row(main.id)} .light`, 'data-light')).toBe('green');
    await openCase(page, main.id, 'dispatched');
    await startAction(page, 'start');
    await submitAction(page, 'start');
    await page.waitForSelector(detail(main.id, 'handling'));
    // The step first, then the requests (in table order).
    expect(await offered(page)).toEqual([
      'handle',
      'requestReturn',
      'requestVoid',
      'requestExtension',
      'requestPostpone',
      'requestPark',
    ]);

    await startAction(page, 'handle');
    await page.fill('form.action-form textarea[name="note"]', '已更换新井盖');
    await attachPhoto(page, 'after.png', png(120, 90, [40, 160, 60]));
    await submitAction(page, 'handle');
    await page.waitForSelector(detail(main.id, 'handled'));
    const last = (await call('GET', `/api/cases/${main.id}/history`)).events.at(-1);
    expect(last).toMatchObject({ action: 'handle', note: '已更换新井盖', actorRole: 'department' });
    expect(last.attachments).toHaveLength(1);
    // The handling photo is in the timeline.
    await waitForThumbnails(page, `${detail(main.id)} .timeline li[data-action="handle"]`);
    await screenshot(page, 'workflow-department.png');
  });

  it('asks for a return and an extension', async () => {
    returning = await report('井盖归属不清', ELSEWHERE, false);
    await advance(returning.id, ['accept', 'file', 'dispatch']);
    extending = await report('井盖需定制', ELSEWHERE, false);
    await advance(extending.id, ['accept', 'file', 'dispatch', 'start']);
    const page = await openWorkflowScreen(city, 'water', '/department');

    await page.waitForSelector(row(returning.id));
    await openCase(page, returning.id, 'dispatched');
    await startAction(page, 'requestReturn');
    await page.fill('form.action-form textarea[name="reason"]', '该井盖属燃气公司');
    await submitAction(page, 'requestReturn');
    await page.waitForSelector('[data-testid="pending-approval"][data-kind="return"]');

    await openCase(page, extending.id, 'handling');
    await startAction(page, 'requestExtension');
    await page.fill('form.action-form textarea[name="reason"]', '需定制井盖，采购中');
    await page.fill('form.action-form input[name="limitValue"]', '2');
    await page.selectOption('form.action-form select[name="limitUnit"]', 'workDays');
    await submitAction(page, 'requestExtension');
    await page.waitForSelector('[data-testid="pending-approval"][data-kind="extend"]');
    const asked = await getCase(extending.id);
    expect(asked.pendingApproval).toMatchObject({ kind: 'extend', requestedLimit: { value: 2, unit: 'workDays' } });

    await openTab(page, 'requests');
    await page.waitForSelector(row(returning.id));
    await page.waitForSelector(row(extending.id));
    expect(await page.textContent(`${row(extending.id)} [data-mark="pending"]`)).toContain('延期');
  });
});

describe('approvals and the overview', () => {
  it('the dispatcher approves the return (filed again without a department) and the extension', async () => {
    const page = await openWorkflowScreen(city, 'dispatcher', '/dispatcher');
    await openTab(page, 'approvals');
    await page.waitForSelector(row(returning.id));
    // A dispatcher decides returns, extensions and postponements (the table): both requests are in this queue.
    await page.waitForSelector(row(extending.id));
    await openCase(page, returning.id, 'dispatched');
    expect(await offered(page)).toContain('approveReturn');
    await startAction(page, 'approveReturn');
    await submitAction(page, 'approveReturn');
    await page.waitForSelector(detail(returning.id, 'filed'));
    expect(await getCase(returning.id)).toMatchObject({ state: 'filed', departmentId: null, returnCount: 1 });

    const before = (await getCase(extending.id)).handlingDeadline;
    await openCase(page, extending.id, 'handling');
    expect(await offered(page)).toEqual(['approveExtension', 'denyExtension']);
    await startAction(page, 'approveExtension');
    await page.fill('form.action-form textarea[name="note"]', '同意延期');
    await submitAction(page, 'approveExtension');
    await page.waitForSelector(`${detail(extending.id)} [data-approval-status="approved"]`);
    const extended = await getCase(extending.id);
    expect(extended.pendingApproval).toBeNull();
    expect(Date.parse(extended.handlingDeadline)).toBeGreaterThan(Date.parse(before));
  });

  it('the shift leader approves a void, sends the handled case to re-inspection and closes it', async () => {
    toVoid = await report('重复录入的案件', ELSEWHERE, false);
    await advance(toVoid.id, ['accept']);
    await doAct('acceptor', toVoid.id, 'requestVoid', { reason: '重复录入' });
    const page = await openWorkflowScreen(city, 'shiftleader', '/shift-leader');

    await openTab(page, 'approvals');
    await page.waitForSelector(row(toVoid.id));
    await openCase(page, toVoid.id, 'accepted');
    await startAction(page, 'approveVoid');
    await submitAction(page, 'approveVoid');
    await page.waitForSelector(detail(toVoid.id, 'voided'));

    // The handled main case: to a re-inspector (by default the collector who reported it).
    await openTab(page, 'handled');
    await openCase(page, main.id, 'handled');
    await startAction(page, 'assignReinspect');
    await submitAction(page, 'assignReinspect');
    await page.waitForSelector(detail(main.id, 'reinspecting'));
    await doAct('collector', main.id, 'reinspectPass', { note: '复查通过' });
    await page.waitForSelector(detail(main.id, 'reinspected'), { timeout: 10_000 });
    await startAction(page, 'close');
    await submitAction(page, 'close');
    await page.waitForSelector(detail(main.id, 'closed'));
    const closed = await getCase(main.id);
    expect(closed.closedAt).not.toBeNull();
    const actions = (await call('GET', `/api/cases/${main.id}/history`)).events.map((e: Json) => e.action);
    expect(actions).toEqual([
      'report',
      'requestVerify',
      'verify',
      'accept',
      'file',
      'dispatch',
      'start',
      'handle',
      'assignReinspect',
      'reinspectPass',
      'close',
    ]);
  });

  it('the overview shows the overdue and the supervised cases with their marks', async () => {
    // The extended case's clock has run out (its dispatch moved back in the database, standing for the days passing);
    // the leader flags it 督办.
    await city.db.pool.query(
      `UPDATE cases SET dispatched_at = now() - interval '20 days', handling_deadline = now() - interval '1 hour'
        WHERE id = $1`,
      [extending.id],
    );
    await doAct('leader', extending.id, 'supervise', { supervised: true });
    const page = await openWorkflowScreen(city, 'shiftleader', '/shift-leader');
    await page.waitForSelector('button[data-tab="overdue"] .count[data-count="1"]');
    await page.waitForSelector('button[data-tab="supervised"] .count[data-count="1"]');
    await openTab(page, 'overdue');
    await page.waitForSelector(row(extending.id));
    expect(await page.getAttribute(`${row(extending.id)} .light`, 'data-light')).toBe('red');
    expect(await page.$(`${row(extending.id)} [data-mark="overdue"]`)).not.toBeNull();
    expect(await page.$(`${row(extending.id)} [data-mark="supervised"]`)).not.toBeNull();
    await openCase(page, extending.id, 'handling');
    await screenshot(page, 'workflow-shift-leader.png');
  });
});

describe('who may open which screen, and the language', () => {
  it('a dispatcher opening the acceptor’s screen gets the forbidden screen', async () => {
    const page = await openScreen(city, 'dispatcher', '/acceptor');
    await page.waitForSelector('[data-testid="forbidden"]');
    expect(await page.$('.workflow-screen')).toBeNull();
    // And the hub refuses the acceptor's actions anyway.
    const refused = await fetch(`${base}/api/cases/${conflict.id}/actions/accept`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await tokenOf('dispatcher')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ standardId: situationId }),
    });
    expect(refused.status).toBe(403);
  });

  it('the English switch changes the labels; Chinese comes back', async () => {
    const page = await openWorkflowScreen(city, 'dispatcher', '/dispatcher');
    expect(await page.textContent('button[data-tab="to-dispatch"]')).toContain('待派遣');
    await openCase(page, returning.id, 'filed');
    const text = async (selector: string) => (await page.textContent(selector))?.trim();
    expect(await text('[data-testid="case-state"]')).toBe('已立案');
    expect(await text('.action-panel button[data-action="dispatch"]')).toBe('派遣');

    await page.click('[data-testid="locale-switch"]');
    await page.waitForSelector('html[lang="en"]');
    expect(await text('.workflow-screen h1')).toBe('Dispatch desk');
    expect(await page.textContent('button[data-tab="to-dispatch"]')).toContain('To dispatch');
    expect(await text('[data-testid="case-state"]')).toBe('Filed');
    expect(await text('.action-panel button[data-action="dispatch"]')).toBe('Dispatch');
    expect(await page.textContent(`${detail(returning.id)} .timeline li[data-action="approveReturn"]`)).toContain(
      'Approve return',
    );
    await screenshot(page, 'workflow-dispatcher-en.png');

    await page.click('[data-testid="locale-switch"]');
    await page.waitForSelector('html[lang="zh-CN"]');
    expect(await page.textContent('button[data-tab="to-dispatch"]')).toContain('待派遣');
  });

  it('raised no error in any page', () => {
    expect(city.pageErrors).toEqual([]);
  });
});
