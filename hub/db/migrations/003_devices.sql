-- 设备注册 device registry: every vehicle tracker, collector handheld (采集员终端), sensor and camera allowed on the hub,
-- with its MQTT credential (scrypt hash only), and the service accounts of internal MQTT services.
CREATE TABLE devices (
  -- Same rule as ingest/mqtt/topics.ts DEVICE_ID_PATTERN: the id is also the MQTT username and a topic segment.
  id                    text        PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9._:-]{1,64}$'),
  kind                  text        NOT NULL CHECK (kind IN ('vehicle', 'collector', 'sensor', 'camera')),
  name                  text        NOT NULL CHECK (btrim(name) <> ''),
  plate                 text,       -- 车牌, vehicles
  staff_id              text,       -- 工号, collectors
  -- A department code or name for now; departments become a table (and this a reference) later.
  department            text,
  -- Assigned unit grid cells (单元网格), 15-digit codes.
  grid_codes            text[]      NOT NULL DEFAULT '{}'
                                    CHECK (array_to_string(grid_codes, ',') ~ '^([0-9]{15}(,[0-9]{15})*)?$'),
  attributes            jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(attributes) = 'object'),
  -- A device silent for longer than this is stale; null: no expectation, never stale.
  expected_interval_s   integer     CHECK (expected_interval_s > 0),
  enabled               boolean     NOT NULL DEFAULT true,
  credential_hash       text        NOT NULL,
  credential_rotated_at timestamptz,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  last_seen_at          timestamptz
);

-- List filters; each ends in id so a filtered page comes out of the index already in the list's order.
CREATE INDEX devices_kind_idx ON devices (kind, id);
CREATE INDEX devices_department_idx ON devices (department, id) WHERE department IS NOT NULL;
CREATE INDEX devices_grid_codes_idx ON devices USING gin (grid_codes);
-- Disabled devices are the rare case worth finding fast.
CREATE INDEX devices_disabled_idx ON devices (id) WHERE NOT enabled;

-- Free-text search (id, name, plate, staff id) is a substring match; a trigram index serves it when pg_trgm is
-- available. The expression must stay identical to the one in hub/devices/registry.ts (SEARCH_TEXT). Without pg_trgm
-- the search is a sequential scan, which is fine for a city's few thousand devices.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
    BEGIN
      CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'pg_trgm is available but could not be created (%); device search runs without an index', SQLERRM;
    END;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    CREATE INDEX devices_search_idx ON devices USING gin (
      (id || E'\x1f' || name || E'\x1f' || coalesce(plate, '') || E'\x1f' || coalesce(staff_id, '')) gin_trgm_ops
    );
  END IF;
END $$;

-- Internal MQTT services (rule engines, bridges): not devices, and given broader MQTT rights than a device's own
-- prefix.
CREATE TABLE service_accounts (
  name            text        PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9._:-]{1,64}$'),
  credential_hash text        NOT NULL,
  description     text        NOT NULL DEFAULT '',
  enabled         boolean     NOT NULL DEFAULT true,
  created_at      timestamptz NOT NULL DEFAULT now()
);
