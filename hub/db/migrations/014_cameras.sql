-- 视频监控点 camera registry: each camera's place and view on the map, how its video arrives (an RTMP push with a signed
-- key, or an RTSP URL the hub pulls), how often the detector samples it, the zones drawn in its image, and whether it
-- is live.
CREATE TABLE cameras (
  -- Also the stream name (rtmp://hub/live/{id}): node-media-server allows only these characters in a path segment.
  id                 text             PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{1,64}$'),
  name               text             NOT NULL CHECK (btrim(name) <> ''),
  lon                double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
  lat                double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
  -- Compass direction the camera looks, degrees clockwise from north; null when unknown.
  heading_deg        double precision CHECK (heading_deg >= 0 AND heading_deg < 360),
  -- What the camera sees on the map (field of view), a GeoJSON Polygon (WGS-84); null when not drawn.
  view               jsonb            CHECK (view IS NULL OR view ->> 'type' = 'Polygon'),
  source             text             NOT NULL CHECK (source IN ('rtmp', 'rtsp')),
  -- Pulled cameras only; may hold the camera's login, so the API shows it without the password.
  rtsp_url           text             CHECK (rtsp_url ~ '^rtsps?://'),
  sample_interval_ms integer          NOT NULL DEFAULT 2000 CHECK (sample_interval_ms BETWEEN 200 AND 3600000),
  -- VideoZone[] (ingest/video/types.ts), validated by hub/cameras/zones.ts before it is stored.
  zones              jsonb            NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(zones) = 'array'),
  enabled            boolean          NOT NULL DEFAULT true,
  status             text             NOT NULL DEFAULT 'offline' CHECK (status IN ('online', 'offline')),
  status_changed_at  timestamptz,
  last_frame_at      timestamptz,
  created_at         timestamptz      NOT NULL DEFAULT now(),
  updated_at         timestamptz      NOT NULL DEFAULT now(),
  CHECK ((source = 'rtsp') = (rtsp_url IS NOT NULL))
);
CREATE INDEX cameras_enabled_idx ON cameras (id) WHERE enabled;
