// 视频候选 a video rule's draft as a candidate to raise: the same fields the detection rules raise with (hub/rules), so
// a camera's no-parking candidate deduplicates against a vehicle terminal's no-stopping one at the same place.
import type { NewCandidate } from '../cases/candidates.js';
import type { CandidateDraft } from '../../ingest/rules/types.js';

/** The candidate queue's input for a rule draft (`detectorId` is the rule, `clientKey` the draft's key). */
export function newCandidateOf(d: CandidateDraft): NewCandidate {
  return {
    detectorId: d.ruleId,
    clientKey: d.key,
    classCode: d.classRef,
    lon: d.lon,
    lat: d.lat,
    observedAt: new Date(d.startMs),
    startAt: new Date(d.startMs),
    endAt: new Date(d.endMs),
    confidence: Math.min(1, Math.max(0, d.confidence)),
    description: d.description,
    evidence: d.evidence as Record<string, unknown>,
    ruleId: d.ruleId,
    ruleKind: d.ruleKind,
    standardId: d.standardId,
    cellCode: d.cell,
    deviceId: d.deviceId,
  };
}
