-- Families, guardians, invitations, password resets; the audit log learns target labels.

CREATE TABLE families (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  name TEXT NOT NULL,
  primary_guardian_id TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'merged')),
  merged_into_id TEXT,
  last_change_id TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX families_org_name ON families(org_id, name);

CREATE TABLE guardians (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  family_id TEXT NOT NULL REFERENCES families(id),
  first_name TEXT NOT NULL,
  last_name TEXT NOT NULL,
  email TEXT,
  phone TEXT,
  access_state TEXT NOT NULL DEFAULT 'no_access'
    CHECK (access_state IN ('no_access', 'invite_sent', 'can_log_in', 'invite_revoked')),
  password_hash TEXT,
  accepted_at INTEGER,
  can_make_payments INTEGER NOT NULL DEFAULT 0 CHECK (can_make_payments IN (0, 1)),
  can_view_full_ledger INTEGER NOT NULL DEFAULT 0 CHECK (can_view_full_ledger IN (0, 1)),
  last_change_id TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX guardians_family ON guardians(family_id);
-- One person, one login per organization.
CREATE UNIQUE INDEX guardians_org_email ON guardians(org_id, email) WHERE email IS NOT NULL;

CREATE TABLE invitations (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  family_id TEXT NOT NULL,
  guardian_id TEXT NOT NULL REFERENCES guardians(id),
  token_hash TEXT NOT NULL UNIQUE,
  email TEXT NOT NULL,
  sent_by_kind TEXT NOT NULL,
  sent_by_id TEXT,
  sent_by_label TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  -- pending -> accepted | revoked | superseded (a re-send replaced it)
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'accepted', 'revoked', 'superseded')),
  ended_at INTEGER,
  change_id TEXT
);
-- At most one live invitation per guardian.
CREATE UNIQUE INDEX invitations_one_pending ON invitations(guardian_id) WHERE state = 'pending';
CREATE INDEX invitations_org_created ON invitations(org_id, created_at);
CREATE INDEX invitations_guardian ON invitations(guardian_id, created_at);

CREATE TABLE password_resets (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  guardian_id TEXT NOT NULL REFERENCES guardians(id),
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  change_id TEXT
);
CREATE INDEX password_resets_guardian ON password_resets(guardian_id) WHERE used_at IS NULL;

ALTER TABLE audit_log ADD COLUMN target_label TEXT;
