// 流转表的读法 how the screens read the workflow table (GET /api/cases/workflow): which rows to offer as buttons for a case
// (the hub's `allowedActions` for this user, in table order), which input fields each row's form shows, which approval
// kinds a role decides (its approval queue), and what is still missing before sending. Pure: no fetch, no Svelte.
import type { ActionField, ActionInput, ApprovalKind, WorkflowDocument, WorkflowTransition } from './types';

/** The rows this user may take on this case now. `allowed` is the case view's `allowedActions`, which the hub
 * computed from the same table for this user (roles, own department, assigned collector, guards). */
export function offeredTransitions(doc: WorkflowDocument, allowed: readonly string[]): WorkflowTransition[] {
  return doc.transitions.filter((t) => allowed.includes(t.action));
}

/** The approval kinds a user with these roles decides (the rows with `decides`), e.g. a dispatcher: return, extend, postpone. */
export function decidedKinds(doc: WorkflowDocument, roles: readonly string[]): ApprovalKind[] {
  const kinds = new Set<ApprovalKind>();
  for (const t of doc.transitions) {
    if (t.decides && t.roles.some((r) => roles.includes(r))) kinds.add(t.decides.kind);
  }
  return doc.approvalKinds.filter((k) => kinds.has(k));
}

/** The approval kinds a user with these roles may ask for (the rows with `requests`), e.g. a department: all five. */
export function requestedKinds(doc: WorkflowDocument, roles: readonly string[]): ApprovalKind[] {
  const kinds = new Set<ApprovalKind>();
  for (const t of doc.transitions) if (t.requests && t.roles.some((r) => roles.includes(r))) kinds.add(t.requests);
  return doc.approvalKinds.filter((k) => kinds.has(k));
}

/** The states from which a user with these roles has some row of the table (what a queue of theirs may show). */
export function statesActedFrom(doc: WorkflowDocument, roles: readonly string[]): string[] {
  const states = new Set<string>();
  for (const t of doc.transitions) if (t.roles.some((r) => roles.includes(r))) for (const s of t.from) states.add(s);
  return doc.states.map((s) => s.state).filter((s) => states.has(s));
}

export interface FormField {
  field: ActionField;
  required: boolean;
}

/** The fields a row's form shows: its required and optional inputs, then the always-optional note and photos. The
 * class code is chosen together with the situation (standardId), so it is not a field of its own then. */
export function formFields(t: WorkflowTransition): FormField[] {
  const out: FormField[] = [];
  const add = (field: ActionField, required: boolean) => {
    if (!out.some((f) => f.field === field)) out.push({ field, required });
  };
  for (const f of t.required) add(f, true);
  for (const f of t.optional) add(f, false);
  add('note', false);
  add('attachments', false);
  const hasSituation = out.some((f) => f.field === 'standardId');
  return hasSituation ? out.filter((f) => f.field !== 'classCode') : out;
}

function present(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value.trim() !== '';
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'number') return Number.isFinite(value);
  return true;
}

/** The required fields the input still lacks (the hub checks the same and answers 400 with them). */
export function missingFields(t: WorkflowTransition, input: ActionInput): ActionField[] {
  return t.required.filter((f) => !present((input as Record<string, unknown>)[f]));
}

/** The input as sent: blank text and empty lists left out, text trimmed. */
export function cleanInput(input: ActionInput): ActionInput {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (!present(value)) continue;
    out[key] = typeof value === 'string' ? value.trim() : value;
  }
  return out as ActionInput;
}

/** Whether the row opens or decides an approval (shown apart from the main steps). */
export function isException(t: WorkflowTransition): boolean {
  return t.requests !== null || t.decides !== null;
}
