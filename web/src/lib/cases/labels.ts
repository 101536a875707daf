// 案件界面用语 the words the case components share: state and action names (Chinese from the workflow table itself,
// English here), roles, sources, approval kinds, time-limit units, step clocks and input fields, in both languages.
import { locale } from '$lib/i18n/locale.svelte';
import type { WorkflowDocument } from './types';

const STATE_EN: Record<string, string> = {
  reported: 'Reported',
  verifying: 'Verifying',
  rejected: 'Rejected',
  accepted: 'Accepted',
  filed: 'Filed',
  dispatched: 'Dispatched',
  handling: 'Handling',
  handled: 'Handled',
  reinspecting: 'Re-inspecting',
  reinspected: 'Re-inspected',
  closed: 'Closed',
  evaluated: 'Evaluated',
  voided: 'Voided',
  postponed: 'Postponed',
  parked: 'Parked',
};

const ACTION_EN: Record<string, string> = {
  report: 'Report',
  requestVerify: 'Request verification',
  verify: 'Verification',
  accept: 'Accept',
  reject: 'Reject',
  merge: 'Merge duplicate',
  file: 'File',
  dispatch: 'Dispatch',
  start: 'Start handling',
  requestReturn: 'Request return',
  approveReturn: 'Approve return',
  denyReturn: 'Deny return',
  handle: 'Handling feedback',
  assignReinspect: 'Assign re-inspection',
  reinspectPass: 'Re-inspection passed',
  reinspectFail: 'Re-inspection failed',
  close: 'Close',
  evaluate: 'Evaluate',
  supervise: 'Supervise',
  requestVoid: 'Request void',
  requestExtension: 'Request extension',
  requestPostpone: 'Request postponement',
  requestPark: 'Request parking',
  approveVoid: 'Approve void',
  denyVoid: 'Deny void',
  approveExtension: 'Approve extension',
  denyExtension: 'Deny extension',
  approvePostpone: 'Approve postponement',
  denyPostpone: 'Deny postponement',
  approvePark: 'Approve parking',
  denyPark: 'Deny parking',
  denyException: 'Deny request',
  resume: 'Resume',
};

/** Actions outside the table that the audit log records. */
const ACTION_ZH_EXTRA: Record<string, string> = {
  report: '上报',
  // Before the table had one deny row per approval kind (2026-12), one row denied them all; old timelines keep it.
  denyException: '驳回申请',
};

export function stateName(doc: WorkflowDocument | null, state: string): string {
  if (locale.current === 'en') return STATE_EN[state] ?? state;
  return doc?.states.find((s) => s.state === state)?.nameZh ?? state;
}

export function actionName(doc: WorkflowDocument | null, action: string): string {
  if (locale.current === 'en') return ACTION_EN[action] ?? action;
  return doc?.transitions.find((t) => t.action === action)?.nameZh ?? ACTION_ZH_EXTRA[action] ?? action;
}

const ZH = {
  // roles
  'role.collector': '监督员',
  'role.acceptor': '受理员',
  'role.shiftLeader': '值班长',
  'role.dispatcher': '派遣员',
  'role.department': '专业部门',
  'role.leader': '领导',
  'role.admin': '管理员',
  'role.auditor': '审计员',
  'role.public': '公众',
  // sources
  'source.collector': '监督员上报',
  'source.hotline': '12319 热线',
  'source.public': '公众举报',
  'source.leader': '领导交办',
  'source.detector': '自动识别',
  // approval kinds and statuses
  'approval.return': '回退',
  'approval.void': '作废',
  'approval.extend': '延期',
  'approval.postpone': '缓办',
  'approval.park': '挂账',
  'approvalStatus.pending': '待审批',
  'approvalStatus.approved': '已批准',
  'approvalStatus.denied': '已驳回',
  'approvalStatus.withdrawn': '已撤回',
  // units
  'unit.workHours': '工作时',
  'unit.workDays': '工作日',
  'unit.urgentHours': '紧急工作时',
  // clocks
  'clock.handling': '处置时限',
  'clock.verifyAndFile': '受理立案时限',
  'clock.dispatch': '派遣时限',
  'clock.reinspect': '核查时限',
  // kinds
  'kind.component': '部件',
  'kind.event': '事件',
  // fields
  'field.reason': '原因',
  'field.note': '说明',
  'field.attachments': '照片',
  'field.collectorId': '监督员',
  'field.standardId': '立案情形',
  'field.classCode': '类别',
  'field.duplicateOf': '重复于案件',
  'field.departmentId': '处置部门',
  'field.score': '评分 (0–100)',
  'field.supervised': '督办',
  'field.limit': '延长时限',
  // audit details
  'detail.source': '来源',
  'detail.classKind': '大类',
  'detail.classCode': '类别',
  'detail.standardId': '情形',
  'detail.limit': '时限',
  'detail.departmentId': '部门',
  'detail.fallback': '兜底派往区政府',
  'detail.overridden': '人工指定部门',
  'detail.deadline': '截止',
  'detail.previousDeadline': '原截止',
  'detail.collectorId': '监督员',
  'detail.duplicateNumber': '合并入',
  'detail.returnedFrom': '退回自',
  'detail.rework': '返工次数',
  'detail.score': '评分',
  'detail.supervised': '督办',
  'detail.candidateId': '候选',
  'detail.confidence': '置信度',
  yes: '是',
  no: '否',
} as const;

type Key = keyof typeof ZH;

const EN: Record<Key, string> = {
  'role.collector': 'collector',
  'role.acceptor': 'acceptor',
  'role.shiftLeader': 'shift leader',
  'role.dispatcher': 'dispatcher',
  'role.department': 'department',
  'role.leader': 'leader',
  'role.admin': 'admin',
  'role.auditor': 'auditor',
  'role.public': 'public',
  'source.collector': 'Collector',
  'source.hotline': '12319 hotline',
  'source.public': 'Public',
  'source.leader': 'Leader',
  'source.detector': 'Detector',
  'approval.return': 'return',
  'approval.void': 'void',
  'approval.extend': 'extension',
  'approval.postpone': 'postponement',
  'approval.park': 'parking',
  'approvalStatus.pending': 'pending',
  'approvalStatus.approved': 'approved',
  'approvalStatus.denied': 'denied',
  'approvalStatus.withdrawn': 'withdrawn',
  'unit.workHours': 'working hours',
  'unit.workDays': 'working days',
  'unit.urgentHours': 'urgent hours',
  'clock.handling': 'Handling limit',
  'clock.verifyAndFile': 'Verify-and-file limit',
  'clock.dispatch': 'Dispatch limit',
  'clock.reinspect': 'Re-inspection limit',
  'kind.component': 'Component',
  'kind.event': 'Event',
  'field.reason': 'Reason',
  'field.note': 'Note',
  'field.attachments': 'Photos',
  'field.collectorId': 'Collector',
  'field.standardId': 'Situation',
  'field.classCode': 'Class',
  'field.duplicateOf': 'Duplicate of case',
  'field.departmentId': 'Department',
  'field.score': 'Score (0–100)',
  'field.supervised': 'Supervised',
  'field.limit': 'Extra time',
  'detail.source': 'source',
  'detail.classKind': 'kind',
  'detail.classCode': 'class',
  'detail.standardId': 'situation',
  'detail.limit': 'limit',
  'detail.departmentId': 'department',
  'detail.fallback': 'district fallback',
  'detail.overridden': 'department chosen by hand',
  'detail.deadline': 'deadline',
  'detail.previousDeadline': 'previous deadline',
  'detail.collectorId': 'collector',
  'detail.duplicateNumber': 'merged into',
  'detail.returnedFrom': 'returned from',
  'detail.rework': 'rework count',
  'detail.score': 'score',
  'detail.supervised': 'supervised',
  'detail.candidateId': 'candidate',
  'detail.confidence': 'confidence',
  yes: 'yes',
  no: 'no',
};

export function label(key: Key): string {
  return (locale.current === 'en' ? EN : ZH)[key];
}

/** A label by prefix and value (e.g. `role`, `shiftLeader`); unknown values show as they are. */
export function named(prefix: string, value: string): string {
  const key = `${prefix}.${value}`;
  return key in ZH ? label(key as Key) : value;
}

export function limitText(limit: { value: number; unit: string } | null | undefined): string {
  if (!limit) return '—';
  return locale.current === 'en'
    ? `${limit.value} ${named('unit', limit.unit)}`
    : `${limit.value}${named('unit', limit.unit)}`;
}
