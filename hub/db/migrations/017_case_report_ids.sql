-- 上报幂等 client report ids: a handheld that sends a report again (it went offline before the answer came back) names
-- it with the id it made for it, and gets the case that report already became instead of a second case. One row per
-- reporter and id, claimed in the case's own transaction before the case is inserted, so two concurrent sends of the
-- same report wait for each other and make one case.
CREATE TABLE case_report_ids (
  reporter_id text        NOT NULL,
  report_id   text        NOT NULL CHECK (report_id ~ '^[A-Za-z0-9._:-]{8,100}$'),
  -- Null only inside the claiming transaction (the case is inserted right after the claim).
  case_id     bigint      REFERENCES cases (id),
  at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (reporter_id, report_id)
);
