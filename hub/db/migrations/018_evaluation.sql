-- 综合评价 evaluation (art.37–38, 40, 52): what the hub derives from the case loop to evaluate areas, departments and
-- positions. Facts are derived data — one row per countable thing that happened to a case (reported, filed, a handling
-- clock that fell due, a re-inspection task …), rebuilt by the hub (hub/evaluation/fact-store.ts) whenever the case
-- changes; the cases table marks a changed case stale in the same transaction as the change, so no change is missed
-- even by a hub that crashed or by another hub process. The daily aggregates (a rollup table the hub maintains, or
-- TimescaleDB continuous aggregates where the licence allows them) are created by the hub from the indicator
-- definitions (hub/evaluation/daily-aggregates.ts), so they follow the definitions without a migration per counter.

-- One row per fact; `at` is when it counts (a report's time, a step's completion, or the deadline it missed).
CREATE TABLE evaluation_facts (
  at             timestamptz NOT NULL,
  case_id        bigint      NOT NULL,
  -- report, accept, reject, file, void, verify, dispatch, dispatchStep, handling, handle, rework, return, reinspect,
  -- closure, close, gridFiled, missed, exc_return, exc_void, exc_extend, exc_postpone, exc_park (hub/evaluation/facts.ts)
  kind           text        NOT NULL,
  -- Within its time limit (null: no limit applies); done: completed at all; valid: not voided / returned / failed.
  on_time        boolean,
  done           boolean,
  valid          boolean,
  source         text        NOT NULL,
  -- `component:0101`; null on facts that belong to a person only.
  class_key      text,
  cell_code      text,
  community_code text,
  street_code    text,
  district_code  text,
  department_id  text,
  -- `<role>:<user id>` of the person the fact is counted for (collector, acceptor, shiftLeader, dispatcher).
  person_key     text
);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    PERFORM create_hypertable('evaluation_facts', by_range('at', INTERVAL '30 days'));
  ELSE
    CREATE INDEX evaluation_facts_at_idx ON evaluation_facts (at);
  END IF;
END $$;
CREATE INDEX evaluation_facts_case_idx ON evaluation_facts (case_id);

-- Cases whose facts must be derived again: filled by the triggers below in the changing transaction.
CREATE TABLE evaluation_stale_cases (
  case_id bigint PRIMARY KEY
);

CREATE FUNCTION evaluation_cases_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO evaluation_stale_cases (case_id) SELECT DISTINCT id FROM changed_cases ON CONFLICT DO NOTHING;
  RETURN NULL;
END;
$$;
-- Statement triggers with transition tables: a bulk import marks its cases in one insert. (A trigger with a transition
-- table may have one event only, hence two.)
CREATE TRIGGER evaluation_cases_inserted AFTER INSERT ON cases
  REFERENCING NEW TABLE AS changed_cases FOR EACH STATEMENT EXECUTE FUNCTION evaluation_cases_changed();
CREATE TRIGGER evaluation_cases_updated AFTER UPDATE ON cases
  REFERENCING NEW TABLE AS changed_cases FOR EACH STATEMENT EXECUTE FUNCTION evaluation_cases_changed();
-- Cases that existed before this migration.
INSERT INTO evaluation_stale_cases (case_id) SELECT id FROM cases;

-- Local days (Asia/Shanghai) whose daily aggregate must be computed again: a fact on that day changed.
CREATE TABLE evaluation_dirty_days (
  day date PRIMARY KEY
);

-- What the derived data was built from (the fact derivation's version, the aggregates' definition hash and strategy).
CREATE TABLE evaluation_state (
  key        text        PRIMARY KEY,
  value      text        NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Composite weights (综合指标权重) set by an admin; absent: the documented defaults of hub/evaluation/weights.ts.
CREATE TABLE evaluation_weights (
  object_kind text        PRIMARY KEY,
  -- [{ "indicator": "closureRate", "weight": 30 }, …]
  terms       jsonb       NOT NULL CHECK (jsonb_typeof(terms) = 'array'),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  updated_by  text        NOT NULL
);

-- 月度运行报告 the monthly operations report (art.37) as stored on the first day of the next month: the HTML page and
-- its PDF (null with the reason when Chromium was not available).
CREATE TABLE evaluation_reports (
  month        text        PRIMARY KEY CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  generated_at timestamptz NOT NULL,
  html         text        NOT NULL,
  pdf          bytea,
  pdf_error    text,
  CHECK ((pdf IS NULL) <> (pdf_error IS NULL))
);

-- 网格巡查覆盖 collector patrol coverage per shift, as judged by the cell-coverage detection rule (kept in the rule's
-- memory until the hub stores it here).
CREATE TABLE collector_coverage (
  rule_id     text             NOT NULL,
  device_id   text             NOT NULL,
  shift_start timestamptz      NOT NULL,
  shift_end   timestamptz      NOT NULL,
  assigned    text[]           NOT NULL,
  visited     text[]           NOT NULL,
  pct         double precision NOT NULL CHECK (pct BETWEEN 0 AND 100),
  stored_at   timestamptz      NOT NULL DEFAULT now(),
  PRIMARY KEY (rule_id, device_id, shift_start),
  CHECK (shift_end > shift_start)
);
CREATE INDEX collector_coverage_shift_idx ON collector_coverage (shift_start);
