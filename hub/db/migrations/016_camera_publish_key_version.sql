-- 推流密钥版本 per-camera publish key version: every RTMP publish key carries the version it was issued under, and only
-- keys of the camera's current version may publish. Raising it (POST /api/cameras/{id}/publish-key with
-- {"revokePrevious": true}) refuses every key issued before for that one camera, without disabling it or rotating
-- VIDEO_SECRET (which would revoke every camera's keys at once).
ALTER TABLE cameras
  ADD COLUMN publish_key_version integer NOT NULL DEFAULT 0 CHECK (publish_key_version >= 0);
