-- 结果告知 complainant notifications (art.49): an outbox filled from the case audit log, delivered by a sender, and a
-- delivery log of every attempt. Outbox rows are unique per (case event, channel), so filling it twice is harmless.
CREATE TABLE notifications (
  id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id         bigint      NOT NULL REFERENCES cases (id),
  -- The audit event (case_events.seq) the notification tells about.
  event_seq       integer     NOT NULL,
  channel         text        NOT NULL CHECK (channel IN ('sms')),
  recipient       text        NOT NULL,
  body            text        NOT NULL,
  -- failed: gave up (a permanent refusal, or too many attempts); an operator may retry it.
  status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  attempts        integer     NOT NULL DEFAULT 0,
  -- Also the lease: a sender that claims a row moves this forward, so another hub does not send it meanwhile.
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz,
  UNIQUE (case_id, event_seq, channel)
);
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at) WHERE status = 'pending';

CREATE TABLE notification_attempts (
  id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  notification_id bigint      NOT NULL REFERENCES notifications (id),
  attempt         integer     NOT NULL,
  at              timestamptz NOT NULL,
  duration_ms     integer     NOT NULL,
  http_status     integer,
  error           text
);
CREATE INDEX notification_attempts_idx ON notification_attempts (notification_id, id);

-- How far the audit log has been scanned for events to tell complainants about (null: not yet).
CREATE TABLE notification_scan (
  singleton boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
  last_at   timestamptz
);
INSERT INTO notification_scan (last_at) VALUES (NULL);

-- Photos come from users too (a department's handling photos, an acceptor's hotline attachments): one of the two.
ALTER TABLE media ALTER COLUMN device_id DROP NOT NULL;
ALTER TABLE media ADD COLUMN user_id text;
ALTER TABLE media ADD CONSTRAINT media_uploader CHECK ((device_id IS NULL) <> (user_id IS NULL));
