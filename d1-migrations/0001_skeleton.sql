-- Organizations, staff, sessions, login throttling, the access history, the outbox, the dev mailbox.
-- Timestamps are integer milliseconds since the Unix epoch (UTC); booleans are 0/1.

CREATE TABLE organizations (
  id TEXT PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  portal_enabled INTEGER NOT NULL DEFAULT 1 CHECK (portal_enabled IN (0, 1)),
  -- Raised when the portal is disabled: customer sessions begun under an older epoch are over.
  customer_session_epoch INTEGER NOT NULL DEFAULT 0,
  invitation_ttl_hours INTEGER NOT NULL DEFAULT 48 CHECK (invitation_ttl_hours BETWEEN 1 AND 720),
  show_full_ledger_history INTEGER NOT NULL DEFAULT 0 CHECK (show_full_ledger_history IN (0, 1)),
  require_recurring_authorization INTEGER NOT NULL DEFAULT 0 CHECK (require_recurring_authorization IN (0, 1)),
  auto_portal_access_for_new_contacts INTEGER NOT NULL DEFAULT 0 CHECK (auto_portal_access_for_new_contacts IN (0, 1)),
  payment_gateway_kind TEXT NOT NULL DEFAULT 'none',
  payment_gateway_account_id TEXT,
  -- The id of the last command that changed this row: later statements of the same batch insert
  -- their audit and outbox rows only if it is theirs (so a command that lost a race writes nothing).
  last_change_id TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE INDEX organizations_updated ON organizations(updated_at);

CREATE TABLE staff_users (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  email TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'staff')),
  created_at INTEGER NOT NULL,
  UNIQUE (org_id, email)
);
CREATE INDEX staff_users_org_role ON staff_users(org_id, role);

CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  kind TEXT NOT NULL CHECK (kind IN ('staff', 'guardian')),
  subject_id TEXT NOT NULL,
  epoch INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  ended_at INTEGER,
  end_reason TEXT
);
CREATE INDEX sessions_subject_live ON sessions(subject_id) WHERE ended_at IS NULL;

CREATE TABLE login_throttle (
  key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  window_started_at INTEGER NOT NULL,
  locked_until INTEGER
);

CREATE TABLE audit_log (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  at INTEGER NOT NULL,
  actor_kind TEXT NOT NULL,
  actor_id TEXT,
  actor_label TEXT NOT NULL,
  action TEXT NOT NULL,
  target_kind TEXT NOT NULL,
  target_id TEXT NOT NULL,
  family_id TEXT,
  reason TEXT
);
CREATE INDEX audit_log_org_at ON audit_log(org_id, at);
CREATE INDEX audit_log_family ON audit_log(org_id, family_id, at) WHERE family_id IS NOT NULL;
CREATE INDEX audit_log_target ON audit_log(org_id, target_id, at);

-- Side effects decided by a command, written in the same batch as the command's change.
CREATE TABLE outbox (
  id TEXT PRIMARY KEY,
  org_id TEXT,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  enqueued_at INTEGER,
  processed_at INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  failed_at INTEGER,
  last_error TEXT
);
CREATE INDEX outbox_open ON outbox(created_at) WHERE processed_at IS NULL AND failed_at IS NULL;

-- What the development e-mail transport "sent"; one row per outbox message, however often delivered.
CREATE TABLE dev_mailbox (
  id TEXT PRIMARY KEY,
  outbox_id TEXT NOT NULL UNIQUE,
  to_email TEXT NOT NULL,
  subject TEXT NOT NULL,
  text_body TEXT NOT NULL,
  html_body TEXT NOT NULL,
  kind TEXT NOT NULL,
  sent_at INTEGER NOT NULL
);
CREATE INDEX dev_mailbox_to ON dev_mailbox(to_email, sent_at);
