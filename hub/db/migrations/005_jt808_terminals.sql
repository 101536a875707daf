-- JT/T 808 终端 terminals: a vehicle terminal is a registered device whose attributes carry its phone number
-- (`attributes.jt808Phone`, 12 digits for the 2013 protocol, 20 for 2019); registration gives it an auth code.
CREATE UNIQUE INDEX devices_jt808_phone_key ON devices ((attributes ->> 'jt808Phone'))
  WHERE attributes ? 'jt808Phone';

CREATE TABLE jt808_terminals (
  phone            text        PRIMARY KEY,
  device_id        text        NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  -- The terminal sends its auth code in clear on every login; we keep only a digest of it.
  auth_code_sha256 text        NOT NULL,
  plate            text,
  terminal_id      text,
  maker            text,
  model            text,
  registered_at    timestamptz NOT NULL DEFAULT now()
);
