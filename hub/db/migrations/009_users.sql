-- 用户与会话 users and their login sessions: the people of the supervision centre (监督员, 受理员, 值班长, 派遣员,
-- 领导, 系统管理员, 审计员) and of the departments (专业部门), with their roles; passwords only as scrypt hashes, session
-- tokens only as SHA-256 hashes.
CREATE TABLE users (
  id                  text        PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9._-]{1,64}$'),
  -- Login name; unique regardless of case (users_username_key below).
  username            text        NOT NULL CHECK (char_length(username) BETWEEN 2 AND 64
                                                  AND username !~ '[[:space:][:cntrl:]]'),
  name                text        NOT NULL CHECK (btrim(name) <> '' AND char_length(name) <= 200),
  -- The list must stay identical to ROLES in hub/cases/ports.ts (hub/auth/users.test.ts checks it).
  roles               text[]      NOT NULL CONSTRAINT users_roles_valid CHECK (
                                    cardinality(roles) >= 1
                                    AND array_position(roles, NULL) IS NULL
                                    AND roles <@ ARRAY['collector', 'acceptor', 'shiftLeader', 'dispatcher',
                                                       'department', 'leader', 'admin', 'auditor']::text[]),
  department_id       text        REFERENCES departments (id),
  staff_id            text        CHECK (char_length(staff_id) <= 64),   -- 工号
  phone               text        CHECK (char_length(phone) <= 32),
  enabled             boolean     NOT NULL DEFAULT true,
  password_hash       text        NOT NULL,
  password_changed_at timestamptz NOT NULL DEFAULT now(),
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  last_login_at       timestamptz,
  -- A department handler only ever sees their department's cases: without one they could see nothing, or, worse,
  -- a query forgetting the null could show them everything.
  CONSTRAINT users_department_required CHECK (NOT ('department' = ANY (roles)) OR department_id IS NOT NULL)
);

CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE INDEX users_department_idx ON users (department_id, id) WHERE department_id IS NOT NULL;
CREATE INDEX users_roles_idx ON users USING gin (roles);

-- 会话 one login: the bearer token's SHA-256 (the token itself is never stored, so a copy of the table logs nobody
-- in), when it ends at the latest, and when it was last used (for the idle timeout).
CREATE TABLE user_sessions (
  token_hash   bytea       PRIMARY KEY CHECK (octet_length(token_hash) = 32),
  user_id      text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL,
  last_used_at timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL,
  revoked_at   timestamptz,
  address      text,
  user_agent   text        CHECK (char_length(user_agent) <= 300)
);

CREATE INDEX user_sessions_user_idx ON user_sessions (user_id);
