-- 设备数据 everything devices send besides positions: telemetry, status, collector reports, photos, command acks.

-- Quality flags on a fix (e.g. implausible_jump): flagged fixes are stored, never dropped.
ALTER TABLE positions ADD COLUMN flags text[] NOT NULL DEFAULT '{}';

-- 遥测 sensor and vehicle metrics, one row per metric value (narrow: any metric without a schema change).
CREATE TABLE telemetry (
  time        timestamptz      NOT NULL,
  device_id   text             NOT NULL,
  metric      text             NOT NULL,
  value       double precision NOT NULL,
  source      text             NOT NULL,
  received_at timestamptz      NOT NULL DEFAULT now(),
  CONSTRAINT telemetry_device_metric_time_key UNIQUE (device_id, metric, time)
);

-- 设备状态 every status a device reported and every connect/disconnect the broker saw.
CREATE TABLE device_events (
  time        timestamptz NOT NULL,
  device_id   text        NOT NULL,
  state       text        NOT NULL CHECK (state IN ('online', 'offline', 'sleeping', 'fault')),
  battery_pct real,
  signal_dbm  real,
  attributes  jsonb       NOT NULL DEFAULT '{}'::jsonb,
  source      text        NOT NULL,
  CONSTRAINT device_events_device_time_state_key UNIQUE (device_id, time, state)
);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    PERFORM create_hypertable('telemetry', by_range('time', INTERVAL '1 day'));
    PERFORM create_hypertable('device_events', by_range('time', INTERVAL '7 days'));
  ELSE
    CREATE INDEX telemetry_time_idx ON telemetry (time DESC);
    CREATE INDEX device_events_time_idx ON device_events (time DESC);
  END IF;
END $$;

-- The current state of each device, never moved backwards by a late message.
CREATE TABLE device_state (
  device_id   text        PRIMARY KEY,
  state       text        NOT NULL,
  time        timestamptz NOT NULL,
  battery_pct real,
  signal_dbm  real,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- 监督员上报 reports from collectors' handhelds; the handheld's own id makes a re-send idempotent.
CREATE TABLE collector_reports (
  device_id     text             NOT NULL,
  report_id     text             NOT NULL,
  time          timestamptz      NOT NULL,
  lat           double precision NOT NULL,
  lon           double precision NOT NULL,
  category_code text             NOT NULL,
  description   text             NOT NULL,
  address       text,
  photo_ids     uuid[]           NOT NULL DEFAULT '{}',
  received_at   timestamptz      NOT NULL DEFAULT now(),
  PRIMARY KEY (device_id, report_id)
);
CREATE INDEX collector_reports_time_idx ON collector_reports (time DESC);

-- 照片 media uploaded by devices over HTTP, referenced from reports by id.
CREATE TABLE media (
  id           uuid        PRIMARY KEY,
  device_id    text        NOT NULL,
  content_type text        NOT NULL,
  bytes        integer     NOT NULL CHECK (bytes > 0),
  sha256       text        NOT NULL,
  path         text        NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX media_device_idx ON media (device_id, created_at DESC);

-- 下行指令 commands sent to devices and what became of them.
CREATE TABLE device_commands (
  id          uuid        PRIMARY KEY,
  device_id   text        NOT NULL,
  kind        text        NOT NULL,
  params      jsonb       NOT NULL DEFAULT '{}'::jsonb,
  status      text        NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sent', 'ok', 'failed', 'unsupported', 'expired')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  sent_at     timestamptz,
  acked_at    timestamptz,
  ack_message text,
  ack_result  jsonb
);
CREATE INDEX device_commands_device_idx ON device_commands (device_id, created_at DESC);
