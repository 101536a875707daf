// 评价事实 the fact rules on their own: when a step instance counts and how, and what a pause or a cancellation does.
import { describe, expect, it } from 'vitest';
import { WorkingCalendar, DEFAULT_SETTINGS } from '../cases/calendar.js';
import { deriveFacts, stepTiming, type FactCase, type FactContext, type FactEvent } from './facts.js';

const cst = (local: string) => Date.parse(`${local}+08:00`);

describe('stepTiming', () => {
  const deadline = cst('2026-11-03T10:00');
  it('counts a completion before the deadline then, on time', () => {
    expect(stepTiming(deadline, { atMs: cst('2026-11-03T09:00'), completed: true })).toEqual({
      atMs: cst('2026-11-03T09:00'),
      onTime: true,
      done: true,
    });
  });
  it('counts a completion after the deadline at the deadline, late (a completion exactly at it is on time)', () => {
    expect(stepTiming(deadline, { atMs: cst('2026-11-05T09:00'), completed: true })).toEqual({
      atMs: deadline,
      onTime: false,
      done: true,
    });
    expect(stepTiming(deadline, { atMs: deadline, completed: true })?.onTime).toBe(true);
  });
  it('counts nothing for a step cancelled in time, an overdue one for a step cancelled late or never ended', () => {
    expect(stepTiming(deadline, { atMs: cst('2026-11-03T09:59'), completed: false })).toBeNull();
    const overdue = { atMs: deadline, onTime: false, done: false };
    expect(stepTiming(deadline, { atMs: cst('2026-11-03T10:01'), completed: false })).toEqual(overdue);
    expect(stepTiming(deadline, null)).toEqual(overdue);
  });
  it('without a limit counts only completions, judging no time', () => {
    expect(stepTiming(null, null)).toBeNull();
    expect(stepTiming(null, { atMs: 5, completed: true })).toEqual({ atMs: 5, onTime: null, done: true });
  });
});

describe('deriveFacts', () => {
  const ctx: FactContext = {
    calendar: new WorkingCalendar({ settings: DEFAULT_SETTINGS, days: [] }),
    limits: { verifyAndFile: { value: 1, unit: 'workHours' }, dispatch: null, reinspect: null },
    collectorsOfCell: () => [],
  };
  const base: FactCase = {
    id: '1',
    source: 'collector',
    classKind: 'component',
    classCode: '0101',
    area: { cell: '370102001001001', community: '370102001001', street: '370102001', district: '370102' },
    state: 'postponed',
    reportedAtMs: cst('2026-11-02T09:00'),
    reporterId: 'col1',
    handlingDeadlineMs: cst('2026-11-02T15:00'),
  };
  const e = (
    local: string,
    action: string,
    data: Record<string, unknown> = {},
    actor = 'x',
    role = 'r',
  ): FactEvent => ({
    atMs: cst(local),
    action,
    actorId: actor,
    actorRole: role,
    data,
  });
  const dispatched = [
    e('2026-11-02T09:00', 'report'),
    e('2026-11-02T09:10', 'accept', {}, 'acc', 'acceptor'),
    e('2026-11-02T09:20', 'file', {}, 'sl', 'shiftLeader'),
    e(
      '2026-11-02T09:30',
      'dispatch',
      { departmentId: 'water', deadline: '2026-11-02T07:00:00.000Z' },
      'disp',
      'dispatcher',
    ),
  ];

  it('leaves a clock paused before its deadline out, and counts one paused after it as overdue', () => {
    const inTime = deriveFacts(base, [...dispatched, e('2026-11-02T14:00', 'approvePostpone')], [], ctx);
    expect(inTime.filter((f) => f.kind === 'handling' || f.kind === 'closure')).toEqual([]);
    const late = deriveFacts(base, [...dispatched, e('2026-11-02T16:00', 'approvePostpone')], [], ctx);
    expect(late.filter((f) => f.kind === 'handling').map((f) => [f.atMs, f.done, f.onTime])).toEqual([
      [cst('2026-11-02T15:00'), false, false],
    ]);
  });

  it('gives the person and the department each fact is counted for', () => {
    const facts = deriveFacts({ ...base, state: 'dispatched' }, dispatched, [], ctx);
    const of = (kind: string) => facts.find((f) => f.kind === kind)!;
    expect(of('report').personKey).toBe('collector:col1');
    expect(of('accept')).toMatchObject({ personKey: 'acceptor:acc', onTime: true, departmentId: null });
    expect(of('file')).toMatchObject({ personKey: 'shiftLeader:sl', onTime: true });
    expect(of('dispatch')).toMatchObject({ personKey: 'dispatcher:disp', departmentId: 'water', valid: true });
    // No dispatch limit configured: the dispatch step counts its completion without judging time.
    expect(of('dispatchStep')).toMatchObject({ onTime: null, done: true, personKey: 'dispatcher:disp' });
    expect(of('handling')).toMatchObject({ atMs: cst('2026-11-02T15:00'), done: false, departmentId: 'water' });
    expect(facts.every((f) => f.classKey === 'component:0101' && f.area?.district === '370102')).toBe(true);
  });
});
