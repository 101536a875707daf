// 案件闭环全流程 one case through the whole loop in the browser (issue 8): the built hub with the demo city; a supervision
// map opened first (1920×1080, the leader, a browser context of its own, never reloaded); then each step by the role
// that owns it on its own screen — the collector reports a problem with a photo from a 390×844 phone, the acceptor
// accepts it under a situation, the shift leader files it, the dispatcher dispatches it to the department the
// responsibility rules suggest, the department takes it and handles it with a photo, the shift leader sends it to the
// reporting collector for re-inspection, the collector passes it from the phone's task list with a photo, and the shift
// leader closes it. After every step the map draws the case in its new state (taking it off when closed), each change
// pushed over its one websocket, no list fetched again. The hub's API only sets the city up and checks; the history
// shows every step by its role. A screenshot of every screen at its step goes to test-artifacts/full-loop-*.png.
import type { Page, WebSocket } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordPageErrors } from '../support/browser.js';
import { MAIN_LOOP_STATES } from '../support/case-city.js';
import { png, type E2eCity, type Json } from '../support/e2e-city.js';
import { renderedFeatures, waitRendered } from '../support/map-page.js';
import { answerTask, fillReport, logInOnPhone, openPhone, openTask } from '../support/phone-page.js';
import { waitFor } from '../support/wait.js';
import {
  attachPhoto,
  detail,
  OFFICE_SCREEN,
  openCase,
  openTab,
  openWorkflowScreen,
  row,
  startAction,
  submitAction,
  waitForThumbnails,
  startWorkflowCity,
} from '../support/workflow-page.js';

/** Where the collector stands: inside the demo grid, in the map's first view, apart from the demo city's cases. */
const PHONE_FIX = { latitude: 36.6672, longitude: 117.0245, accuracy: 8 };
const DESCRIPTION = '府前街人行道雨水井盖缺失，行人易踩空';
const HANDLED_NOTE = '已补装新井盖并加固井座';
const REINSPECTED_NOTE = '现场复查：井盖已补装，踩踏平稳';
/** The cases layer's green (web/src/lib/map/styles.ts LIGHT_COLORS) as MapLibre evaluates it. */
const GREEN = 'rgba(47,158,68,1)';

let city: E2eCity;
let situationId = 0;
/** The supervision map, the collector's phone and the shift leader's screen stay open from their first step on. */
let map: Page;
let phone: Page;
let shiftLeader: Page;
let caseId = '';
let caseNumber = '';
let collectorId = '';
let openCasesBefore = 0;

// ---- what the map page does: its HTTP requests, its socket.io connections and what they push

const mapRequests: string[] = [];
const mapSockets: { url: string; upgraded: boolean }[] = [];
/** Every case state pushed to the map in a `cases` delta, in order of arrival. */
const pushedCases: { id: string; state: string }[] = [];
let mapLoads = 0;
/** How much traffic the map had when its first load was over (logged in, snapshot drawn, link on a websocket). */
const settled = { requests: 0, sockets: 0 };

/** A socket.io event of the hub's `/live` namespace in a websocket frame: `42/live,["event",payload]`. */
function liveEvent(frame: string | Buffer): { event: string; payload: unknown } | null {
  if (typeof frame !== 'string') return null;
  const packet = /^42\/live,\d*(\[[\s\S]*\])$/.exec(frame);
  if (!packet) return null;
  const [event, payload] = JSON.parse(packet[1]!) as [string, unknown];
  return { event, payload };
}

function followMapSocket(ws: WebSocket): void {
  // A websocket without an engine.io session id was opened as one; with it, it is an upgrade from long polling that
  // counts once engine.io sends its upgrade packet (`5`) — from then on nothing is polled.
  const socket = { url: ws.url(), upgraded: !new URL(ws.url()).searchParams.has('sid') };
  mapSockets.push(socket);
  ws.on('framesent', ({ payload }) => {
    if (payload === '5') socket.upgraded = true;
  });
  ws.on('framereceived', ({ payload }) => {
    const live = liveEvent(payload);
    if (live?.event !== 'cases') return;
    for (const c of (live.payload as { cases: { id: string; state: string }[] }).cases) {
      pushedCases.push({ id: c.id, state: c.state });
    }
  });
}

/**
 * Waits (bounded) until the map draws the loop's case in `state`. Its light is green all along: whichever clock runs —
 * the shipped step limits (verify-and-file 1 working hour, dispatch 0.5, re-inspection 1 working day) before and after
 * the department, the situation's handling limit from the dispatch — has most of its time left in a test's minute.
 */
async function mapShows(state: string): Promise<void> {
  const drawn = await waitRendered(
    map,
    `the case ${state} on the map`,
    ['cases'],
    (f) => f.properties.id === caseId && f.properties.state === state,
    15_000,
  );
  expect(drawn.properties).toMatchObject({ number: caseNumber, light: 'green' });
  expect(drawn.color).toBe(GREEN);
}

/** The ids of the cases the map draws now. */
async function drawnCaseIds(): Promise<Set<unknown>> {
  return new Set((await renderedFeatures(map, ['cases'])).map((f) => f.properties.id));
}

const mapCaseCount = async () => Number(await map.textContent('[data-testid="case-count"]'));

beforeAll(async () => {
  ({ city, situationId } = await startWorkflowCity('full-loop'));
}, 180_000);

afterAll(async () => {
  await city?.close();
});

describe('one case through the whole loop, each step on its role’s screen, followed live on the map', () => {
  it('opens the supervision map first, logged in as the leader', async () => {
    const context = await city.browser.newContext({ viewport: OFFICE_SCREEN });
    map = await context.newPage();
    recordPageErrors(map, city.pageErrors, 'map');
    map.on('request', (r) => mapRequests.push(r.url()));
    map.on('websocket', followMapSocket);
    map.on('load', () => mapLoads++);
    await map.goto(city.base);
    await map.waitForSelector('body[data-map-ready="true"]', { timeout: 30_000 });

    const socketsBeforeLogin = mapSockets.length;
    await map.click('.login-button');
    await city.logIn(map, 'leader');
    await map.waitForSelector('[data-testid="current-user"]', { timeout: 15_000 });
    // The link reconnects with the session (and gets the session's snapshot); its traffic from here on is the test's.
    await waitFor(
      'the map’s link to reconnect over a websocket',
      () => mapSockets.length > socketsBeforeLogin && mapSockets.at(-1)!.upgraded,
      15_000,
    );
    // The demo city's open cases, all in view: each drawn once.
    openCasesBefore = await waitFor('the demo city’s open cases on the map', async () => {
      const count = await mapCaseCount();
      return count > 0 && (await drawnCaseIds()).size === count ? count : null;
    });
    settled.requests = mapRequests.length;
    settled.sockets = mapSockets.length;
    await city.screenshot(map, 'full-loop-map-start.png');
  }, 90_000);

  it('the collector reports the problem with a photo from the phone', async () => {
    ({ page: phone } = await openPhone(city, PHONE_FIX, city.pageErrors, 'collector'));
    await logInOnPhone(city, phone, 'collector');
    await fillReport(phone, DESCRIPTION, png(640, 480, [70, 70, 160]));
    await city.screenshot(phone, 'full-loop-collector-report.png');
    await phone.locator('[data-testid="submit-report"]').click();
    await phone.locator('[data-testid="tab-outbox"]').click();
    const sent = phone.locator('[data-testid="sent-item"]');
    await sent.waitFor({ timeout: 20_000 });
    caseId = (await sent.getAttribute('data-case-id'))!;

    const reported = await city.call('GET', `/api/cases/${caseId}`);
    expect(reported).toMatchObject({
      state: 'reported',
      source: 'collector',
      classKind: 'component',
      classCode: '0101',
      description: DESCRIPTION,
      outsideGrid: false,
    });
    expect(reported.attachments).toHaveLength(1);
    caseNumber = reported.number;
    collectorId = reported.reporterId;
    expect(await sent.textContent()).toContain(caseNumber);
    await city.screenshot(phone, 'full-loop-collector-sent.png');

    await mapShows('reported');
    await waitFor('the map to count the new case', async () => (await mapCaseCount()) === openCasesBefore + 1);
    await city.screenshot(map, 'full-loop-map-reported.png');
  });

  it('the acceptor accepts it under a situation of its class', async () => {
    const page = await openWorkflowScreen(city, 'acceptor', '/acceptor');
    await page.waitForSelector(row(caseId));
    await openCase(page, caseId, 'reported');
    // The phone's photo came with the report.
    expect(await waitForThumbnails(page, `${detail(caseId)} section.photos`)).toBe(1);
    await startAction(page, 'accept');
    expect(await page.textContent('form.action-form [data-testid="chosen-class"]')).toContain('0101');
    await page.check(`form.action-form input[name="standardId"][value="${situationId}"]`);
    await city.screenshot(page, 'full-loop-acceptor.png');
    await submitAction(page, 'accept');
    await page.waitForSelector(detail(caseId, 'accepted'));
    await mapShows('accepted');
  });

  it('the shift leader files it', async () => {
    shiftLeader = await openWorkflowScreen(city, 'shiftleader', '/shift-leader');
    await shiftLeader.waitForSelector(row(caseId));
    await openCase(shiftLeader, caseId, 'accepted');
    await startAction(shiftLeader, 'file');
    await city.screenshot(shiftLeader, 'full-loop-shift-leader-file.png');
    await submitAction(shiftLeader, 'file');
    await shiftLeader.waitForSelector(detail(caseId, 'filed'));
    await mapShows('filed');
  });

  it('the dispatcher dispatches it to the department the responsibility rules suggest', async () => {
    const desk = await openWorkflowScreen(city, 'dispatcher', '/dispatcher');
    await desk.waitForSelector(row(caseId));
    await openCase(desk, caseId, 'filed');
    await startAction(desk, 'dispatch');
    // The demo's rules: components 01xx are the water company's.
    await desk.waitForSelector('[data-testid="suggested-department"][data-department-id="water"]');
    expect(await desk.inputValue('form.action-form select[name="departmentId"]')).toBe('water');
    await city.screenshot(desk, 'full-loop-dispatcher.png');
    await submitAction(desk, 'dispatch');
    await desk.waitForSelector(detail(caseId, 'dispatched'));
    await mapShows('dispatched');
    await city.screenshot(map, 'full-loop-map-dispatched.png');
  });

  it('the department takes it and handles it with a photo uploaded from the form', async () => {
    const desk = await openWorkflowScreen(city, 'water', '/department');
    await desk.waitForSelector(row(caseId));
    await openCase(desk, caseId, 'dispatched');
    await startAction(desk, 'start');
    await submitAction(desk, 'start');
    await desk.waitForSelector(detail(caseId, 'handling'));
    await mapShows('handling');

    await startAction(desk, 'handle');
    await desk.fill('form.action-form textarea[name="note"]', HANDLED_NOTE);
    await attachPhoto(desk, 'repaired.png', png(160, 120, [40, 160, 60]));
    await city.screenshot(desk, 'full-loop-department.png');
    await submitAction(desk, 'handle');
    await desk.waitForSelector(detail(caseId, 'handled'));
    await mapShows('handled');
  });

  it('the shift leader sends it to the reporting collector for re-inspection', async () => {
    // The same screen as for filing, never reloaded: the queue of handled cases has it by now.
    await openTab(shiftLeader, 'handled');
    await shiftLeader.waitForSelector(row(caseId), { timeout: 10_000 });
    await openCase(shiftLeader, caseId, 'handled');
    await startAction(shiftLeader, 'assignReinspect');
    await shiftLeader.selectOption('form.action-form select[name="collectorId"]', collectorId);
    await city.screenshot(shiftLeader, 'full-loop-shift-leader-reinspect.png');
    await submitAction(shiftLeader, 'assignReinspect');
    await shiftLeader.waitForSelector(detail(caseId, 'reinspecting'));
    expect((await city.call('GET', `/api/cases/${caseId}`)).reinspectorId).toBe(collectorId);
    await mapShows('reinspecting');
  });

  it('the collector re-inspects it from the phone’s task list and passes it, with a photo', async () => {
    const task = await openTask(phone, caseId);
    expect(await task.getAttribute('data-state')).toBe('reinspecting');
    // What the department reported is what the collector checks on site.
    await expect.poll(() => task.textContent()).toContain(HANDLED_NOTE);
    await city.screenshot(phone, 'full-loop-collector-reinspect.png');
    await answerTask(task, 'reinspectPass', REINSPECTED_NOTE, png(320, 240, [90, 140, 60]));
    await expect.poll(() => phone.locator('[data-testid="task-done"]').textContent()).toContain(caseNumber);
    await city.screenshot(phone, 'full-loop-collector-reinspected.png');
    await mapShows('reinspected');
    // The shift leader's open detail followed by itself.
    await shiftLeader.waitForSelector(detail(caseId, 'reinspected'), { timeout: 10_000 });
  });

  it('the shift leader closes it, and the map takes it off', async () => {
    await openTab(shiftLeader, 'to-close');
    await shiftLeader.waitForSelector(row(caseId), { timeout: 10_000 });
    await openCase(shiftLeader, caseId, 'reinspected');
    await startAction(shiftLeader, 'close');
    await city.screenshot(shiftLeader, 'full-loop-shift-leader-close.png');
    await submitAction(shiftLeader, 'close');
    await shiftLeader.waitForSelector(detail(caseId, 'closed'));

    // A closed case awaits only its evaluation: off the map of open cases, the others still drawn.
    await waitFor(
      'the closed case to leave the map',
      async () => {
        const ids = await drawnCaseIds();
        return !ids.has(caseId) && ids.size === openCasesBefore;
      },
      15_000,
      100,
    );
    await waitFor('the map to count one case fewer', async () => (await mapCaseCount()) === openCasesBefore);
    await city.screenshot(map, 'full-loop-map-closed.png');
  });

  it('the history has every step by its role; the map followed live without fetching again; no page error', async () => {
    const history = await city.call('GET', `/api/cases/${caseId}/history`);
    expect(history.events.map((e: Json) => [e.action, e.actorRole])).toEqual([
      ['report', 'collector'],
      ['accept', 'acceptor'],
      ['file', 'shiftLeader'],
      ['dispatch', 'dispatcher'],
      ['start', 'department'],
      ['handle', 'department'],
      ['assignReinspect', 'shiftLeader'],
      ['reinspectPass', 'collector'],
      ['close', 'shiftLeader'],
    ]);
    const step = (action: string) => history.events.find((e: Json) => e.action === action);
    expect(step('report').actorId).toBe(collectorId);
    expect(step('reinspectPass')).toMatchObject({ actorId: collectorId, note: REINSPECTED_NOTE });
    expect(step('reinspectPass').attachments).toHaveLength(1);
    expect(step('handle')).toMatchObject({ note: HANDLED_NOTE });
    expect(step('handle').attachments).toHaveLength(1);
    expect(step('dispatch').data).toMatchObject({ departmentId: 'water', overridden: false });

    // Each state reached the map as a delta pushed over the websocket it had from its first load…
    const states = pushedCases.filter((c) => c.id === caseId).map((c) => c.state);
    expect(states.filter((s, i) => s !== states[i - 1])).toEqual(MAIN_LOOP_STATES);
    // …and nothing was asked again: no case over HTTP, no long polling, no new connection (with its snapshot), no reload.
    const later = mapRequests.slice(settled.requests).map((url) => new URL(url).pathname);
    expect(later.filter((p) => p.startsWith('/api/cases') || p.startsWith('/socket.io'))).toEqual([]);
    expect(mapSockets).toHaveLength(settled.sockets);
    expect(mapLoads).toBe(1);

    expect(city.pageErrors).toEqual([]);
  });
});
