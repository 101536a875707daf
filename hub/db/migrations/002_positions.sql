-- 车辆/人员定位 positions: every fix from every device, kept >= 400 days (guideline art.41).
CREATE TABLE positions (
  time        timestamptz      NOT NULL,
  device_id   text             NOT NULL,
  lat         double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
  lon         double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
  speed_kmh   real             CHECK (speed_kmh >= 0),
  course      real             CHECK (course >= 0 AND course < 360),
  altitude_m  real,
  accuracy_m  real             CHECK (accuracy_m >= 0),
  source      text             NOT NULL,
  attributes  jsonb            NOT NULL DEFAULT '{}'::jsonb,
  received_at timestamptz      NOT NULL DEFAULT now(),
  -- A re-sent position (same device, same fix time) is stored once; the time column is part of the key so the
  -- constraint is allowed on a hypertable.
  CONSTRAINT positions_device_time_key UNIQUE (device_id, time)
);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    PERFORM create_hypertable('positions', by_range('time', INTERVAL '1 day'));
  ELSE
    CREATE INDEX positions_time_idx ON positions (time DESC);
  END IF;
END $$;

-- The newest fix per device, kept by the writer in the same transaction as the insert, so the live map's snapshot is one
-- index scan instead of a DISTINCT ON over the whole history. Never moves backwards in time.
CREATE TABLE latest_positions (
  device_id   text             PRIMARY KEY,
  time        timestamptz      NOT NULL,
  lat         double precision NOT NULL,
  lon         double precision NOT NULL,
  speed_kmh   real,
  course      real,
  source      text             NOT NULL,
  updated_at  timestamptz      NOT NULL DEFAULT now()
);
