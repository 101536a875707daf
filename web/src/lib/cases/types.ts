// 案件数据 what the case API answers, as the workflow screens read it: the hub's own types (hub/cases, hub/catalogue)
// as JSON (hub/serialized.ts), imported type-only so nothing of the hub enters the bundle and a field renamed on the
// hub fails the web's type check. Below them the screens' own types (form input, queue filters, tabs). Plain types: no
// runtime, no Svelte.
import type { Serialized } from '../../../../hub/serialized.js';
import type { Approval as HubApproval } from '../../../../hub/cases/approvals.js';
import type { AuditEntry as HubAuditEntry } from '../../../../hub/cases/audit.js';
import type { Candidate as HubCandidate, CandidateQueue } from '../../../../hub/cases/candidates.js';
import type {
  ActionInput as HubActionInput,
  CaseFilter,
  CasePage as HubCasePage,
  CaseService,
  CaseView as HubCaseView,
  HandlingClock as HubHandlingClock,
  StepClock as HubStepClock,
} from '../../../../hub/cases/case-service.js';
import type { CollectorEntry } from '../../../../hub/cases/collectors.js';
import type { DuplicateCandidate } from '../../../../hub/cases/duplicates.js';
import type { workflowDocument } from '../../../../hub/cases/workflow.js';
import type { CatalogueClassInfo, Situation as HubSituation } from '../../../../hub/catalogue/catalogue.js';
import type { Department as HubDepartment } from '../../../../hub/catalogue/departments.js';

export type { AreaCodes, ClassKind, TimeLimit, TimeLimitUnit, TrafficLight } from '../../../../hub/cases/ports.js';
export type { ActionField, ApprovalKind, CaseSource, CaseState } from '../../../../hub/cases/workflow.js';

export type Approval = Serialized<HubApproval>;
export type HandlingClock = Serialized<HubHandlingClock>;
export type StepClock = Serialized<HubStepClock>;
/** For an acceptor looking at a report: an open case of the same class nearby. */
export type DuplicateSuggestion = Serialized<DuplicateCandidate>;

/** GET /api/cases/:id and the items of GET /api/cases. */
export type CaseView = Serialized<HubCaseView>;
export type CasePage = Serialized<HubCasePage>;

/** One entry of the append-only audit log (GET /api/cases/:id/history). */
export type AuditEntry = Serialized<HubAuditEntry>;
/** GET /api/cases/:id/history. */
export type CaseHistory = Serialized<Awaited<ReturnType<CaseService['history']>>>;

/** A detector's candidate (GET /api/candidates). */
export type Candidate = Serialized<HubCandidate>;
export type CandidatePage = Serialized<Awaited<ReturnType<CandidateQueue['list']>>>;

/** GET /api/cases/workflow: the workflow table as the hub serves it. */
export type WorkflowDocument = ReturnType<typeof workflowDocument>;
/** One row of the workflow table. */
export type WorkflowTransition = WorkflowDocument['transitions'][number];

/** A class of the catalogue (GET /api/catalogue/classes). */
export type CatalogueClass = Serialized<CatalogueClassInfo>;
/** 情形 one situation of a class in the city's standard: its filing condition and handling limit. */
export type Situation = Serialized<HubSituation>;
export type Department = Serialized<HubDepartment>;
/** GET /api/collectors. */
export type Collector = CollectorEntry;

/** The input of one action as the form collects it (the hub's action input; a note is text, never null, when sent);
 * left-out fields are not sent. */
export type ActionInput = Omit<HubActionInput, 'note'> & { note?: string };

/** The filters of GET /api/cases a queue uses. */
export type CaseQuery = Pick<
  CaseFilter,
  'state' | 'pendingApproval' | 'departmentId' | 'classKind' | 'source' | 'supervised' | 'overdue'
>;

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
