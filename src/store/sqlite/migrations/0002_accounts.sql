-- Units, users, roles, sessions, API tokens, login failures and the audit log.
-- Times are unix milliseconds (UTC). Dates of certificates are 'YYYY-MM-DD'.

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value BLOB NOT NULL
);

CREATE TABLE units (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  region_code TEXT NOT NULL,
  parent_id INTEGER REFERENCES units(id),
  contact_person TEXT NOT NULL DEFAULT '',
  contact_phone TEXT NOT NULL DEFAULT '',
  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  CONSTRAINT units_name_unique UNIQUE (name)
);
CREATE INDEX units_region ON units(region_code);

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL,
  display_name TEXT NOT NULL,
  unit_id INTEGER NOT NULL REFERENCES units(id),
  password_hash TEXT NOT NULL,
  password_changed_at INTEGER NOT NULL,
  phone TEXT NOT NULL DEFAULT '',
  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  totp_secret TEXT,
  totp_pending_secret TEXT,
  totp_enabled INTEGER NOT NULL DEFAULT 0 CHECK (totp_enabled IN (0, 1)),
  totp_exempt INTEGER NOT NULL DEFAULT 0 CHECK (totp_exempt IN (0, 1)),
  totp_last_step INTEGER NOT NULL DEFAULT 0,
  last_login_at INTEGER,
  cert_number TEXT,
  cert_issuer TEXT,
  cert_valid_from TEXT,
  cert_valid_to TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  CONSTRAINT users_username_unique UNIQUE (username)
);
CREATE INDEX users_unit ON users(unit_id);

CREATE TABLE user_roles (
  user_id INTEGER NOT NULL REFERENCES users(id),
  role TEXT NOT NULL,
  PRIMARY KEY (user_id, role)
);
CREATE INDEX user_roles_role ON user_roles(role);

CREATE TABLE sessions (
  id INTEGER PRIMARY KEY,
  token_hash BLOB NOT NULL,
  user_id INTEGER NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER,
  client_ip TEXT NOT NULL DEFAULT '',
  CONSTRAINT sessions_token_unique UNIQUE (token_hash)
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires_at);

-- Failed logins by login name, whether or not such a user exists.
CREATE TABLE login_failures (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL,
  at INTEGER NOT NULL,
  client_ip TEXT NOT NULL DEFAULT ''
);
CREATE INDEX login_failures_name_at ON login_failures(username, at);
CREATE INDEX login_failures_at ON login_failures(at);

CREATE TABLE login_locks (
  username TEXT PRIMARY KEY,
  locked_until INTEGER NOT NULL
);

CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  token_hash BLOB NOT NULL,
  permissions TEXT NOT NULL,
  unit_id INTEGER REFERENCES units(id),
  created_by INTEGER REFERENCES users(id),
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER,
  last_used_at INTEGER,
  CONSTRAINT api_tokens_hash_unique UNIQUE (token_hash)
);

-- Append-only: the triggers below refuse every UPDATE and DELETE.
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor_user_id INTEGER,
  actor_username TEXT NOT NULL DEFAULT '',
  actor_unit_id INTEGER,
  action TEXT NOT NULL,
  object_type TEXT NOT NULL DEFAULT '',
  object_id TEXT NOT NULL DEFAULT '',
  outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed')),
  client_ip TEXT NOT NULL DEFAULT '',
  request_id TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_action ON audit_log(action);
CREATE INDEX audit_log_actor ON audit_log(actor_username);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
