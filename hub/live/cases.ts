// 案件与候选的地图投影 what the live map sees of a case and of a detector's candidate: the place, the class, the state
// and the case's traffic light (红绿灯) with the instants it turns — never the complainant or the description.
import type { Candidate } from '../cases/candidates.js';
import type { CaseRecord, MapLight } from '../cases/case-service.js';
import { OPEN_STATES } from '../cases/workflow.js';
import type { LiveCandidateDto, LiveCaseDto } from './push.js';

export function toLiveCase(record: CaseRecord, light: MapLight | null, action?: string): LiveCaseDto {
  return {
    id: record.id,
    number: record.number,
    state: record.state,
    open: OPEN_STATES.includes(record.state),
    classKind: record.classKind,
    classCode: record.classCode,
    lon: record.lon,
    lat: record.lat,
    departmentId: record.departmentId,
    supervised: record.supervised,
    ...(action === undefined ? {} : { action }),
    updatedAt: record.updatedAt.toISOString(),
    version: record.version,
    light: light?.light ?? null,
    yellowAt: light?.yellowAt?.toISOString() ?? null,
    redAt: light?.redAt?.toISOString() ?? null,
  };
}

export function toLiveCandidate(c: Candidate): LiveCandidateDto {
  return {
    id: c.id,
    status: c.status,
    ruleId: c.ruleId,
    ruleKind: c.ruleKind,
    classKind: c.classKind,
    classCode: c.classCode,
    lon: c.lon,
    lat: c.lat,
    mergedCount: c.mergedCount,
    startAt: c.startAt.toISOString(),
    endAt: c.endAt.toISOString(),
  };
}
