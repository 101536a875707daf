// 案件时间线 a case's timeline: the audit log's events (who, when, what, from which state to which, note, photos) with
// the exception approvals they opened, decided or withdrew joined onto them, oldest first. Pure.
import type { Approval, AuditEntry } from './types';

export interface TimelineEntry {
  key: string;
  at: string;
  actorName: string;
  actorRole: string;
  action: string;
  fromState: string | null;
  toState: string;
  note: string | null;
  attachments: string[];
  /** The approval this event opened or decided (its current status), or withdrew. */
  approval: Approval | null;
  approvalRole: 'requested' | 'decided' | 'withdrawn' | null;
  /** Facts of the audit data worth showing (department, deadline, class, situation, collector, score…). */
  details: { key: string; value: unknown }[];
}

/** Audit data keys the timeline shows, in this order; the rest (ids already shown elsewhere) is left out. */
export const DETAIL_KEYS = [
  'source',
  'classKind',
  'classCode',
  'standardId',
  'limit',
  'departmentId',
  'fallback',
  'overridden',
  'deadline',
  'previousDeadline',
  'collectorId',
  'duplicateNumber',
  'returnedFrom',
  'rework',
  'score',
  'supervised',
  'candidateId',
  'confidence',
] as const;

function approvalOf(
  e: AuditEntry,
  byId: Map<string, Approval>,
): { approval: Approval | null; role: TimelineEntry['approvalRole'] } {
  const withdrawn = e.data.withdrawnApprovalId;
  if (typeof withdrawn === 'string') return { approval: byId.get(withdrawn) ?? null, role: 'withdrawn' };
  const id = e.data.approvalId;
  if (typeof id !== 'string') return { approval: null, role: null };
  const approval = byId.get(id) ?? null;
  // The request is the event the approval was opened at; any later event naming it decided it.
  const role =
    approval && approval.requestedAt === e.at && approval.requestedBy === e.actorId ? 'requested' : 'decided';
  return { approval, role };
}

export function buildTimeline(events: readonly AuditEntry[], approvals: readonly Approval[]): TimelineEntry[] {
  const byId = new Map(approvals.map((a) => [a.id, a]));
  const entries = [...events]
    .sort((a, b) => a.seq - b.seq)
    .map((e): TimelineEntry => {
      const { approval, role } = approvalOf(e, byId);
      return {
        key: `e${e.seq}`,
        at: e.at,
        actorName: e.actorName,
        actorRole: e.actorRole,
        action: e.action,
        fromState: e.fromState,
        toState: e.toState,
        note: e.note,
        attachments: e.attachments,
        approval,
        approvalRole: role,
        details: DETAIL_KEYS.filter((k) => e.data[k] !== undefined && e.data[k] !== null).map((k) => ({
          key: k,
          value: e.data[k],
        })),
      };
    });
  return entries;
}
