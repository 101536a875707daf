import { describe, expect, it } from 'vitest';
import { buildTimeline } from './timeline';
import type { Approval, AuditEntry } from './types';

const event = (seq: number, action: string, extra: Partial<AuditEntry> = {}): AuditEntry => ({
  caseId: '1',
  seq,
  at: `2026-12-01T0${seq}:00:00.000Z`,
  actorId: 'w1',
  actorName: '水务 陈静',
  actorRole: 'department',
  action,
  fromState: 'handling',
  toState: 'handling',
  note: null,
  attachments: [],
  data: {},
  ...extra,
});

const approval: Approval = {
  id: '7',
  caseId: '1',
  kind: 'extend',
  status: 'approved',
  requestedBy: 'w1',
  requestedByName: '水务 陈静',
  requestedAt: '2026-12-01T02:00:00.000Z',
  reason: '缺配件',
  requestedLimit: { value: 1, unit: 'workDays' },
  decidedBy: 'shift',
  decidedByName: '值班长 王强',
  decidedAt: '2026-12-01T03:00:00.000Z',
  decisionNote: '同意',
};

describe('the timeline of a case', () => {
  it('lists the audit events oldest first, joining the approval each one opened or decided', () => {
    const entries = buildTimeline(
      [
        event(3, 'approveExtension', {
          actorId: 'shift',
          actorName: '值班长 王强',
          actorRole: 'shiftLeader',
          data: { approvalId: '7', deadline: '2026-12-02T05:00:00.000Z', previousDeadline: '2026-12-01T05:00:00Z' },
        }),
        event(1, 'start', { fromState: 'dispatched' }),
        event(2, 'requestExtension', {
          note: '缺配件',
          data: { approvalId: '7', reason: '缺配件', limit: { value: 1 } },
        }),
      ],
      [approval],
    );
    expect(entries.map((e) => [e.action, e.approvalRole])).toEqual([
      ['start', null],
      ['requestExtension', 'requested'],
      ['approveExtension', 'decided'],
    ]);
    expect(entries[1]!.approval?.status).toBe('approved');
    // The facts worth showing, in a fixed order; the approval id itself is not one of them.
    expect(entries[2]!.details.map((d) => d.key)).toEqual(['deadline', 'previousDeadline']);
    expect(entries[1]!.details.map((d) => d.key)).toEqual(['limit']);
  });

  it('marks the event that withdrew a request the case outgrew', () => {
    const withdrawn = { ...approval, status: 'withdrawn' as const, decidedBy: 'w1' };
    const [entry] = buildTimeline(
      [event(4, 'handle', { toState: 'handled', attachments: ['m1'], data: { withdrawnApprovalId: '7' } })],
      [withdrawn],
    );
    expect(entry).toMatchObject({ approvalRole: 'withdrawn', attachments: ['m1'] });
    expect(entry!.approval?.status).toBe('withdrawn');
  });

  it('shows an event whose approval is unknown without one', () => {
    const [entry] = buildTimeline([event(1, 'requestVoid', { data: { approvalId: '99' } })], []);
    expect(entry).toMatchObject({ approval: null });
  });
});
