-- 视频检测 detections: every object the camera detector saw in a sampled frame, with the image zone it stood in and the
-- track that followed it, so "this car stood in the no-parking zone from 10:02 to 10:14" can be shown from the rows.
-- Boxes are in pixels of the sampled frame (frame_width × frame_height), kept so the box can be drawn again later.
CREATE TABLE detections (
  time         timestamptz NOT NULL,
  camera_id    text        NOT NULL,
  class        text        NOT NULL,
  score        real        NOT NULL CHECK (score >= 0 AND score <= 1),
  box_x        real        NOT NULL,
  box_y        real        NOT NULL,
  box_width    real        NOT NULL CHECK (box_width >= 0),
  box_height   real        NOT NULL CHECK (box_height >= 0),
  frame_width  integer     CHECK (frame_width > 0),
  frame_height integer     CHECK (frame_height > 0),
  zone_id      text,
  track_id     text
);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    PERFORM create_hypertable('detections', by_range('time', INTERVAL '1 day'));
    CREATE INDEX detections_camera_time_idx ON detections (camera_id, time DESC);
  ELSE
    CREATE INDEX detections_time_idx ON detections (time DESC);
    CREATE INDEX detections_camera_time_idx ON detections (camera_id, time DESC);
  END IF;
END $$;

-- Evidence snapshots (a frame with the boxes drawn) are media like an uploaded photo, taken by a camera: a media row
-- now names exactly one of the device, the user or the camera that made it.
ALTER TABLE media ADD COLUMN camera_id text;
ALTER TABLE media DROP CONSTRAINT media_uploader;
ALTER TABLE media ADD CONSTRAINT media_uploader
  CHECK (num_nonnulls(device_id, user_id, camera_id) = 1);
CREATE INDEX media_camera_idx ON media (camera_id, created_at DESC) WHERE camera_id IS NOT NULL;
