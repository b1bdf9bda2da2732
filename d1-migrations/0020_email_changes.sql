-- Changing the login e-mail: a link e-mailed to the new address, stored by the hash of its token
-- only, that works once until it expires. The change is the login's (the person's), asked from one
-- of its memberships (`guardian_id`, for the history) and one session (`session_id`, kept signed in
-- when the change is confirmed). No foreign key on the guardian: a merge may fold that membership,
-- and the link then no longer leads anywhere.
CREATE TABLE email_changes (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  person_id TEXT NOT NULL REFERENCES people(id),
  guardian_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  new_email TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  change_id TEXT
);
-- A new request ends the person's earlier unused links.
CREATE INDEX email_changes_person ON email_changes(person_id) WHERE used_at IS NULL;
