// 案件数据 what the case API answers, as the workflow screens read it (the hub's schemas in hub/http/cases.ts and
// hub/http/catalogue.ts are the reference; this is the part the screens use). Plain types: no runtime, no Svelte.

export type TrafficLight = 'green' | 'yellow' | 'red';
export type TimeLimitUnit = 'workHours' | 'workDays' | 'urgentHours';
export type ClassKind = 'component' | 'event';
export type ApprovalKind = 'return' | 'void' | 'extend' | 'postpone' | 'park';

export interface TimeLimit {
  value: number;
  unit: TimeLimitUnit;
}

export interface AreaCodes {
  cell: string;
  community: string;
  street: string;
  district: string;
}

export interface Approval {
  id: string;
  caseId: string;
  kind: ApprovalKind;
  status: 'pending' | 'approved' | 'denied' | 'withdrawn';
  requestedBy: string;
  requestedByName: string;
  requestedAt: string;
  reason: string;
  requestedLimit: TimeLimit | null;
  decidedBy: string | null;
  decidedByName: string | null;
  decidedAt: string | null;
  decisionNote: string | null;
}

export interface HandlingClock {
  startedAt: string;
  deadline: string;
  limit: TimeLimit;
  measuredAt: string;
  used: number;
  light: TrafficLight;
}

export interface StepClock {
  step: string;
  startedAt: string;
  deadline: string;
  endedAt: string | null;
  used: number;
  light: TrafficLight;
}

export interface DuplicateSuggestion {
  id: string;
  number: string;
  state: string;
  classKind: string;
  classCode: string;
  description: string;
  reportedAt: string;
  distanceM: number;
}

/** GET /api/cases/:id and the items of GET /api/cases. */
export interface CaseView {
  id: string;
  number: string;
  state: string;
  version: number;
  source: string;
  classKind: ClassKind;
  classCode: string;
  description: string;
  address: string | null;
  lon: number;
  lat: number;
  area: AreaCodes | null;
  outsideGrid: boolean;
  reporterId: string | null;
  reporterName: string | null;
  reporterPhone: string | null;
  attachments: string[];
  standardId: number | null;
  limit: TimeLimit | null;
  departmentId: string | null;
  responsibilityFallback: boolean;
  verifierId: string | null;
  reinspectorId: string | null;
  reportedAt: string;
  acceptedAt: string | null;
  filedAt: string | null;
  dispatchedAt: string | null;
  handledAt: string | null;
  reinspectedAt: string | null;
  closedAt: string | null;
  evaluatedAt: string | null;
  handlingDeadline: string | null;
  pausedAt: string | null;
  pausedFrom: string | null;
  supervised: boolean;
  reworkCount: number;
  returnCount: number;
  duplicateOf: string | null;
  rejectReason: string | null;
  evaluationScore: number | null;
  evaluationComment: string | null;
  pendingApprovalKind: string | null;
  pendingApproval: Approval | null;
  updatedAt: string;
  allowedActions: string[];
  clock: HandlingClock | null;
  steps: StepClock[];
  duplicates?: DuplicateSuggestion[];
}

export interface CasePage {
  items: CaseView[];
  total: number;
  limit: number;
  offset: number;
}

/** One entry of the append-only audit log (GET /api/cases/:id/history). */
export interface AuditEntry {
  caseId: string;
  seq: number;
  at: string;
  actorId: string;
  actorName: string;
  actorRole: string;
  action: string;
  fromState: string | null;
  toState: string;
  note: string | null;
  attachments: string[];
  data: Record<string, unknown>;
}

export interface CaseHistory {
  events: AuditEntry[];
  approvals: Approval[];
}

/** A detector's candidate (GET /api/candidates). */
export interface Candidate {
  id: string;
  detectorId: string;
  classCode: string;
  classKind: ClassKind | null;
  lon: number;
  lat: number;
  observedAt: string;
  confidence: number | null;
  description: string;
  evidence: Record<string, unknown>;
  status: 'pending' | 'accepted' | 'dismissed';
  dismissalReason: string | null;
  caseId: string | null;
  ruleId: string | null;
  ruleKind: string | null;
  standardId: number | null;
  cellCode: string | null;
  startAt: string;
  endAt: string;
  mergedCount: number;
  evidenceItems: Record<string, unknown>[];
}

export interface CandidatePage {
  items: Candidate[];
  total: number;
  limit: number;
  offset: number;
}

/** The action input fields of the workflow table (hub/cases/workflow.ts ACTION_FIELDS, plus note and attachments). */
export type ActionField =
  | 'reason'
  | 'collectorId'
  | 'standardId'
  | 'classCode'
  | 'duplicateOf'
  | 'departmentId'
  | 'score'
  | 'supervised'
  | 'limit'
  | 'note'
  | 'attachments';

/** One row of the workflow table as GET /api/cases/workflow serves it. */
export interface WorkflowTransition {
  action: string;
  nameZh: string;
  from: string[];
  roles: string[];
  to: string;
  guards: string[];
  collector: 'verifier' | 'reinspector' | null;
  required: ActionField[];
  optional: ActionField[];
  requests: ApprovalKind | null;
  decides: { kind: ApprovalKind | 'nonReturn'; approved: boolean } | null;
  effects: string[];
}

export interface WorkflowDocument {
  states: { state: string; nameZh: string; terminal: boolean; open: boolean }[];
  sources: { source: string; roles: string[] }[];
  reportRoles: string[];
  approvalKinds: ApprovalKind[];
  transitions: WorkflowTransition[];
}

export interface CatalogueClass {
  kind: ClassKind;
  code: string;
  nameZh: string;
  nameEn: string;
  majorNameZh: string;
  majorNameEn: string;
}

/** 情形 one situation of a class in the city's standard: its filing condition and handling limit. */
export interface Situation {
  id: number;
  kind: ClassKind;
  classCode: string;
  filingCondition: string;
  limit: TimeLimit | null;
  limitText: string;
  closingCondition: string;
}

export interface Department {
  id: string;
  name: string;
  kind: string;
  enabled: boolean;
}

export interface Collector {
  id: string;
  name: string;
  staffId: string | null;
  openTasks: number;
}

/** The input of one action as the form collects it; left-out fields are not sent. */
export type ActionInput = Partial<{
  reason: string;
  note: string;
  collectorId: string;
  standardId: number;
  classCode: string;
  duplicateOf: string;
  departmentId: string;
  score: number;
  supervised: boolean;
  limit: TimeLimit;
  attachments: string[];
}>;

/** The filters of GET /api/cases a queue uses. */
export interface CaseQuery {
  state?: string[];
  pendingApproval?: ApprovalKind[];
  departmentId?: string;
  classKind?: ClassKind;
  source?: string;
  supervised?: boolean;
  overdue?: boolean;
}

/** An action form the user opened (with values to start from, e.g. the duplicate they clicked). */
export interface OpenAction {
  action: string;
  prefill?: ActionInput;
}

/** One queue of a workflow screen. */
export interface QueueTab {
  id: string;
  label: string;
  /** A case queue with this filter… */
  query?: CaseQuery;
  /** …narrowed to cases awaiting an approval this user decides, or one of the kinds this user requests… */
  approvals?: 'decide' | 'request';
  /** …or the detector candidates awaiting acceptance. */
  candidates?: boolean;
}
