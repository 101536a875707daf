// 案件闭环流转表 the workflow table on its own: well-formed, every state reachable and left, and the role, department,
// collector and pending-approval conditions of allowedActions / plan.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROLES, type Actor, type Role } from './ports.js';
import {
  allowedActions,
  CASE_STATES,
  OPEN_STATES,
  plan,
  TERMINAL_STATES,
  TRANSITIONS,
  WorkflowError,
  workflowMarkdown,
  workflowDocument,
  type CaseFacts,
  type CaseState,
} from './workflow.js';

const actor = (roles: Role[], userId = 'u1', departmentId: string | null = null): Actor => ({
  userId,
  name: userId,
  roles,
  departmentId,
});
const facts = (state: CaseState, extra: Partial<CaseFacts> = {}): CaseFacts => ({
  state,
  departmentId: null,
  verifierId: null,
  reinspectorId: null,
  pendingApproval: null,
  ...extra,
});

function caught(fn: () => unknown): WorkflowError {
  try {
    fn();
  } catch (err) {
    if (err instanceof WorkflowError) return err;
    throw err;
  }
  throw new Error('expected a WorkflowError');
}

describe('the transition table', () => {
  it('is well-formed: unique actions, known states and roles, no row out of a terminal state', () => {
    const actions = TRANSITIONS.map((r) => r.action);
    expect(new Set(actions).size).toBe(actions.length);
    for (const row of TRANSITIONS) {
      expect(row.from.length, row.action).toBeGreaterThan(0);
      for (const s of row.from) expect(CASE_STATES).toContain(s);
      for (const s of row.from) expect(TERMINAL_STATES, row.action).not.toContain(s);
      if (row.to !== 'same' && row.to !== 'previous') expect(CASE_STATES).toContain(row.to);
      for (const r of row.roles) expect(ROLES).toContain(r);
    }
  });

  it('reaches every state from reported, and every non-terminal state has a way out', () => {
    const reached = new Set<CaseState>(['reported']);
    let grew = true;
    while (grew) {
      grew = false;
      for (const row of TRANSITIONS) {
        if (row.to === 'same' || row.to === 'previous') continue;
        if (row.from.some((s) => reached.has(s)) && !reached.has(row.to)) {
          reached.add(row.to);
          grew = true;
        }
      }
    }
    expect([...reached].sort()).toEqual([...CASE_STATES].sort());
    for (const s of CASE_STATES.filter((x) => !TERMINAL_STATES.includes(x))) {
      const out = TRANSITIONS.filter((r) => r.from.includes(s) && r.to !== 'same');
      expect(out.length, s).toBeGreaterThan(0);
    }
  });

  it('is what GET /api/cases/workflow serves', () => {
    const doc = workflowDocument();
    expect(doc.transitions).toHaveLength(TRANSITIONS.length);
    expect(doc.states.find((s) => s.state === 'filed')).toEqual({
      state: 'filed',
      nameZh: '已立案',
      terminal: false,
      open: true,
    });
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });
});

describe('allowedActions', () => {
  it('offers an acceptor the four choices on a report, and a shift leader none', () => {
    expect(allowedActions(facts('reported'), actor(['acceptor']))).toEqual([
      'requestVerify',
      'accept',
      'reject',
      'merge',
    ]);
    expect(allowedActions(facts('reported'), actor(['shiftLeader']))).toEqual([]);
    expect(allowedActions(facts('accepted'), actor(['shiftLeader']))).toEqual(['file']);
  });

  it('lets a department act only on its own department’s case', () => {
    const c = facts('dispatched', { departmentId: 'water' });
    expect(allowedActions(c, actor(['department'], 'h1', 'water'))).toEqual([
      'start',
      'requestReturn',
      'requestVoid',
      'requestExtension',
      'requestPostpone',
      'requestPark',
    ]);
    expect(allowedActions(c, actor(['department'], 'h2', 'roads'))).toEqual([]);
  });

  it('lets only the assigned collector verify or re-inspect', () => {
    expect(allowedActions(facts('verifying', { verifierId: 'c1' }), actor(['collector'], 'c1'))).toEqual(['verify']);
    expect(allowedActions(facts('verifying', { verifierId: 'c1' }), actor(['collector'], 'c2'))).toEqual([]);
    expect(allowedActions(facts('reinspecting', { reinspectorId: 'c2' }), actor(['collector'], 'c2'))).toEqual([
      'reinspectPass',
      'reinspectFail',
    ]);
  });

  it('follows the pending approval: requests blocked while one is open, its decision offered', () => {
    const pending = facts('handling', { departmentId: 'water', pendingApproval: 'extend' });
    expect(allowedActions(pending, actor(['department'], 'h1', 'water'))).toEqual(['handle']);
    expect(allowedActions(pending, actor(['dispatcher']))).toEqual(['approveExtension', 'denyExtension']);
    expect(allowedActions(pending, actor(['shiftLeader']))).toEqual([]);
    const voiding = facts('accepted', { pendingApproval: 'void' });
    expect(allowedActions(voiding, actor(['shiftLeader']))).toEqual(['file', 'approveVoid', 'denyVoid']);
    expect(allowedActions(voiding, actor(['dispatcher']))).toEqual([]);
    const ret = facts('dispatched', { departmentId: 'water', pendingApproval: 'return' });
    expect(allowedActions(ret, actor(['dispatcher']))).toEqual(['approveReturn', 'denyReturn']);
    expect(allowedActions(ret, actor(['leader']))).toEqual(['supervise']);
  });

  it('lets a leader supervise in every open state and never after closing', () => {
    for (const s of OPEN_STATES) expect(allowedActions(facts(s), actor(['leader']))).toContain('supervise');
    for (const s of ['closed', 'evaluated', 'rejected', 'voided'] as const) {
      expect(allowedActions(facts(s), actor(['leader']))).not.toContain('supervise');
    }
  });
});

describe('plan', () => {
  it('resolves the target state and the role acted under', () => {
    const p = plan(facts('accepted'), 'file', actor(['collector', 'shiftLeader']), {});
    expect(p).toMatchObject({ fromState: 'accepted', toState: 'filed', role: 'shiftLeader' });
    expect(plan(facts('handling'), 'supervise', actor(['leader']), { supervised: true }).toState).toBe('handling');
    expect(plan(facts('postponed'), 'resume', actor(['shiftLeader']), {}, 'dispatched').toState).toBe('dispatched');
  });

  it('refuses a role that has no part in the action (403) apart from a wrong state (409)', () => {
    expect(caught(() => plan(facts('accepted'), 'file', actor(['collector']), {})).code).toBe('Forbidden');
    const illegal = caught(() => plan(facts('reported'), 'file', actor(['shiftLeader', 'acceptor']), {}));
    expect(illegal.code).toBe('IllegalTransition');
    expect(illegal.allowedActions).toEqual(['requestVerify', 'accept', 'reject', 'merge']);
    expect(illegal.message).toContain('possible only from accepted');
  });

  it('treats another department’s case and another collector’s task as a conflict, not a missing role', () => {
    const e = caught(() =>
      plan(facts('dispatched', { departmentId: 'water' }), 'start', actor(['department'], 'h', 'roads'), {}),
    );
    expect(e.code).toBe('IllegalTransition');
    expect(e.allowedActions).toEqual([]);
  });

  it('requires the action’s inputs: a reason to reject, photos to report handling', () => {
    const e = caught(() => plan(facts('reported'), 'reject', actor(['acceptor']), { reason: '   ' }));
    expect(e.code).toBe('MissingInput');
    expect(e.fields).toEqual(['reason']);
    const h = caught(() =>
      plan(facts('handling', { departmentId: 'd' }), 'handle', actor(['department'], 'h', 'd'), {
        note: 'done',
        attachments: [],
      }),
    );
    expect(h.fields).toEqual(['attachments']);
  });

  it('knows no made-up action', () => {
    expect(caught(() => plan(facts('reported'), 'teleport', actor(['admin']), {})).code).toBe('UnknownAction');
  });
});

describe('the README', () => {
  it('documents the workflow with the table made from the transition table itself', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(workflowMarkdown());
  });
});
