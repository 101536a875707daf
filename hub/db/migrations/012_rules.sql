-- 自动发现规则 detection rules: the zones rules refer to (区域), each rule's validated configuration, and what the rules
-- raise: candidates now carry the rule, the class kind, the situation (情形), the grid cell, a time span and a list of
-- merged evidence; drafts near an open case become that case's evidence (case_evidence) instead of a candidate; every
-- raised draft key is remembered so a replay or re-sent observation raises nothing twice.

-- A named area rules refer to by id: a no-entry zone, a no-stopping street, a speed-limit area.
CREATE TABLE detection_zones (
  id         text        PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9._:-]{1,64}$'),
  name       text        NOT NULL CHECK (btrim(name) <> ''),
  geometry   jsonb       NOT NULL CHECK (geometry ->> 'type' IN ('Polygon', 'MultiPolygon')),
  properties jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(properties) = 'object'),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One configured rule; `config` is the whole configuration object the rule kind's schema validated (base fields too).
CREATE TABLE detection_rules (
  id         text        PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9._:-]{1,100}$'),
  kind       text        NOT NULL,
  name       text        NOT NULL,
  enabled    boolean     NOT NULL DEFAULT true,
  config     jsonb       NOT NULL CHECK (jsonb_typeof(config) = 'object'),
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text        NOT NULL
);

ALTER TABLE case_candidates
  ADD COLUMN rule_id        text,
  ADD COLUMN rule_kind      text,
  -- From the class reference (component:0101); null when a detector sent a bare code.
  ADD COLUMN class_kind     text CHECK (class_kind IN ('component', 'event')),
  ADD COLUMN standard_id    integer,
  ADD COLUMN cell_code      text,
  ADD COLUMN start_at       timestamptz,
  ADD COLUMN end_at         timestamptz,
  -- Drafts of the same problem merged into this candidate (1: just the one that raised it).
  ADD COLUMN merged_count   integer NOT NULL DEFAULT 1 CHECK (merged_count >= 1),
  -- Every merged draft's evidence, oldest first: [{ key, ruleId, deviceId, lon, lat, startAt, endAt, ... }].
  ADD COLUMN evidence_items jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(evidence_items) = 'array');
CREATE INDEX case_candidates_rule_idx ON case_candidates (rule_id, status) WHERE rule_id IS NOT NULL;
CREATE INDEX case_candidates_pending_class_idx ON case_candidates (class_code, lon, lat) WHERE status = 'pending';

-- Evidence a rule found for a case already open at the place: kept beside the case, not in its append-only audit log.
CREATE TABLE case_evidence (
  id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id    bigint      NOT NULL REFERENCES cases (id),
  rule_id    text        NOT NULL,
  draft_key  text        NOT NULL,
  draft      jsonb       NOT NULL,
  -- When the evidence was observed (the draft's end, stream time); created_at is when it was attached.
  at         timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_evidence_case_idx ON case_evidence (case_id, at);
CREATE INDEX case_evidence_rule_idx ON case_evidence (rule_id);

-- Every key a detector raised and where it went (a candidate, merged into one, or a case's evidence): the same key twice
-- changes nothing, whichever way the first one went.
CREATE TABLE candidate_keys (
  detector_id  text        NOT NULL,
  client_key   text        NOT NULL,
  candidate_id bigint      REFERENCES case_candidates (id),
  case_id      bigint      REFERENCES cases (id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (detector_id, client_key),
  CHECK ((candidate_id IS NULL) <> (case_id IS NULL))
);
-- Candidates queued before this migration keep their keys.
INSERT INTO candidate_keys (detector_id, client_key, candidate_id, created_at)
SELECT detector_id, client_key, id, created_at FROM case_candidates;
