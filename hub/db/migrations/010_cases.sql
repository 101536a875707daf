-- 案件 the case loop: cases, their append-only audit log (操作日志), exception approvals (the ledger, 台账, art.40), the
-- acceptance queue of detector candidates (待受理候选) and the per-day case number counter. States and actions are those
-- of hub/cases/workflow.ts. The department and the assigned collectors must exist (departments of 006, users of 009);
-- the reporter and the actors in the log are kept as ids without a reference: the log outlives users, and public
-- reports (Open311) and the admin token have no user row.

-- 案件编号 per local day: 20261201-0001. A row per day, incremented under its row lock, so numbers never repeat.
CREATE TABLE case_number_days (
  day  date    PRIMARY KEY,
  last integer NOT NULL
);

CREATE TABLE cases (
  id                      bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  number                  text        NOT NULL UNIQUE,
  state                   text        NOT NULL CHECK (state IN ('reported', 'verifying', 'rejected', 'accepted',
                                        'filed', 'dispatched', 'handling', 'handled', 'reinspecting', 'reinspected',
                                        'closed', 'evaluated', 'voided', 'postponed', 'parked')),
  -- Optimistic concurrency: + 1 on every action; clients may send it back (If-Match) to act only on what they saw.
  version                 integer     NOT NULL DEFAULT 1,
  source                  text        NOT NULL CHECK (source IN ('collector', 'hotline', 'public', 'leader', 'detector')),
  -- 部件 component or 事件 event: the catalogue numbers both from 0101, so the code alone can be ambiguous.
  class_kind              text        NOT NULL CHECK (class_kind IN ('component', 'event')),
  class_code              text        NOT NULL CHECK (class_code ~ '^[0-9]{4}$'),
  description             text        NOT NULL DEFAULT '',
  address                 text,
  lon                     double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
  lat                     double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
  -- 地理编码 at report time; all null outside the grid (the report is still taken, and flagged).
  cell_code               text,
  community_code          text,
  street_code             text,
  district_code           text,
  reporter_id             text,
  reporter_name           text,
  reporter_phone          text,
  attachments             text[]      NOT NULL DEFAULT '{}',
  -- The situation (情形) of the class's standard chosen at acceptance, and its limit copied so later edits of the
  -- standard do not move running deadlines.
  standard_id             integer,
  limit_value             double precision CHECK (limit_value > 0),
  limit_unit              text        CHECK (limit_unit IN ('workHours', 'workDays', 'urgentHours')),
  department_id           text        REFERENCES departments (id),
  responsibility_fallback boolean     NOT NULL DEFAULT false,
  verifier_id             text        REFERENCES users (id),
  reinspector_id          text        REFERENCES users (id),
  reported_at             timestamptz NOT NULL,
  accepted_at             timestamptz,
  filed_at                timestamptz,
  dispatched_at           timestamptz,
  handled_at              timestamptz,
  -- The last re-inspection's result, pass or fail (the re-inspection step's end).
  reinspected_at          timestamptz,
  closed_at               timestamptz,
  evaluated_at            timestamptz,
  handling_deadline       timestamptz,
  -- 缓办 / 挂账: when the clock stopped and the state to resume to.
  paused_at               timestamptz,
  paused_from             text,
  supervised              boolean     NOT NULL DEFAULT false,
  rework_count            integer     NOT NULL DEFAULT 0,
  return_count            integer     NOT NULL DEFAULT 0,
  duplicate_of            bigint      REFERENCES cases (id),
  reject_reason           text,
  evaluation_score        integer     CHECK (evaluation_score BETWEEN 0 AND 100),
  evaluation_comment      text,
  pending_approval_id     bigint,
  updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cases_state_idx ON cases (state, id);
CREATE INDEX cases_department_idx ON cases (department_id, id) WHERE department_id IS NOT NULL;
CREATE INDEX cases_class_idx ON cases (class_code, class_kind, reported_at);
CREATE INDEX cases_reported_at_idx ON cases (reported_at);
CREATE INDEX cases_filed_at_idx ON cases (filed_at) WHERE filed_at IS NOT NULL;
CREATE INDEX cases_lonlat_idx ON cases (lon, lat);

-- 操作日志 every action on every case, never changed: seq counts from 1 per case.
CREATE TABLE case_events (
  case_id     bigint      NOT NULL REFERENCES cases (id),
  seq         integer     NOT NULL,
  at          timestamptz NOT NULL,
  actor_id    text        NOT NULL,
  actor_name  text        NOT NULL,
  -- The role the action was taken under; `public` for reports arriving without a user (Open311).
  actor_role  text        NOT NULL,
  action      text        NOT NULL,
  from_state  text,
  to_state    text        NOT NULL,
  note        text,
  attachments text[]      NOT NULL DEFAULT '{}',
  data        jsonb       NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (case_id, seq)
);

CREATE FUNCTION case_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'case_events is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER case_events_no_update_delete BEFORE UPDATE OR DELETE ON case_events
  FOR EACH ROW EXECUTE FUNCTION case_events_append_only();
CREATE TRIGGER case_events_no_truncate BEFORE TRUNCATE ON case_events
  FOR EACH STATEMENT EXECUTE FUNCTION case_events_append_only();

-- 审批台账 exception approvals: return 回退, void 作废, extension 延期, postponement 缓办, parking 挂账.
CREATE TABLE case_approvals (
  id                    bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id               bigint      NOT NULL REFERENCES cases (id),
  kind                  text        NOT NULL CHECK (kind IN ('return', 'void', 'extend', 'postpone', 'park')),
  -- withdrawn: the case moved on (e.g. was handled) before anybody decided.
  status                text        NOT NULL DEFAULT 'pending'
                                    CHECK (status IN ('pending', 'approved', 'denied', 'withdrawn')),
  requested_by          text        NOT NULL,
  requested_by_name     text        NOT NULL,
  requested_at          timestamptz NOT NULL,
  reason                text        NOT NULL CHECK (btrim(reason) <> ''),
  requested_limit_value double precision CHECK (requested_limit_value > 0),
  requested_limit_unit  text        CHECK (requested_limit_unit IN ('workHours', 'workDays', 'urgentHours')),
  decided_by            text,
  decided_by_name       text,
  decided_at            timestamptz,
  decision_note         text,
  CHECK ((kind = 'extend') = (requested_limit_value IS NOT NULL AND requested_limit_unit IS NOT NULL))
);
CREATE INDEX case_approvals_case_idx ON case_approvals (case_id, id);
CREATE INDEX case_approvals_decided_idx ON case_approvals (decided_at) WHERE status = 'approved';
-- At most one open request per case.
CREATE UNIQUE INDEX case_approvals_one_pending ON case_approvals (case_id) WHERE status = 'pending';
ALTER TABLE cases ADD CONSTRAINT cases_pending_approval_fk FOREIGN KEY (pending_approval_id)
  REFERENCES case_approvals (id);

-- 待受理候选 candidate cases raised by detectors (rules on sensors, vehicles, cameras), awaiting a person.
CREATE TABLE case_candidates (
  id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  detector_id      text        NOT NULL,
  -- The detector's own key for the event, so a retried raise does not queue it twice.
  client_key       text        NOT NULL,
  -- As the detector names it: 0101, or component:0101 / event:0101 where the bare code is ambiguous.
  class_code       text        NOT NULL CHECK (class_code ~ '^((component|event):)?[0-9]{4}$'),
  lon              double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
  lat              double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
  observed_at      timestamptz NOT NULL,
  confidence       double precision CHECK (confidence BETWEEN 0 AND 1),
  description      text        NOT NULL DEFAULT '',
  -- Media ids, track and frame references: whatever lets a person judge the candidate.
  evidence         jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(evidence) = 'object'),
  status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'dismissed')),
  -- Kept: it measures the detector's precision later.
  dismissal_reason text,
  decided_by       text,
  decided_at       timestamptz,
  case_id          bigint      REFERENCES cases (id),
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (detector_id, client_key),
  CHECK (status <> 'dismissed' OR btrim(coalesce(dismissal_reason, '')) <> ''),
  CHECK ((status = 'accepted') = (case_id IS NOT NULL))
);
CREATE INDEX case_candidates_pending_idx ON case_candidates (observed_at) WHERE status = 'pending';
