-- 监督员上报立卷 collector reports that arrived over MQTT become case reports: one row per report, written in the same
-- transaction as the case (or with the reason it could not become one), so each report becomes exactly one case even
-- when several hubs scan at once or the hub restarts mid-way.
CREATE TABLE collector_report_cases (
  device_id  text        NOT NULL,
  report_id  text        NOT NULL,
  case_id    bigint      REFERENCES cases (id),
  -- Why it could not become a case (an unknown or ambiguous class): shown to operators, never retried silently.
  error      text,
  at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (device_id, report_id),
  FOREIGN KEY (device_id, report_id) REFERENCES collector_reports (device_id, report_id),
  CHECK ((case_id IS NULL) <> (error IS NULL))
);
