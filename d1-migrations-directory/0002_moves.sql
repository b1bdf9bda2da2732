-- Moving an organization from one tenant database to another (POST /platform/api/organizations/
-- {slug}/move). The jobs Worker carries a move out one queue message (step) at a time; `step` is
-- the number the next message must carry, so a message delivered twice does its work once.
-- `phase`, `table_position` and the cursors (rowids) say where the move is.
CREATE TABLE moves (
  id TEXT PRIMARY KEY,
  slug TEXT NOT NULL,
  org_id TEXT NOT NULL,
  from_database TEXT NOT NULL,
  to_database TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('copying', 'verifying', 'switching', 'done', 'failed')),
  phase TEXT NOT NULL CHECK (phase IN ('copy', 'verify', 'switch', 'release', 'delete', 'clean', 'finished')),
  step INTEGER NOT NULL DEFAULT 0,
  table_position INTEGER NOT NULL DEFAULT 0,
  source_cursor INTEGER NOT NULL DEFAULT 0,
  target_cursor INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER
);
-- One running move per organization.
CREATE UNIQUE INDEX moves_one_running ON moves(slug) WHERE finished_at IS NULL;

-- Each table of the organization: rows copied, and the count and checksum (the sum of a hash of
-- each row, hex) read on each side when verifying.
CREATE TABLE move_tables (
  move_id TEXT NOT NULL REFERENCES moves(id),
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  rows_copied INTEGER NOT NULL DEFAULT 0,
  source_rows INTEGER NOT NULL DEFAULT 0,
  source_checksum TEXT NOT NULL DEFAULT '0000000000000000',
  target_rows INTEGER NOT NULL DEFAULT 0,
  target_checksum TEXT NOT NULL DEFAULT '0000000000000000',
  rows_verified INTEGER NOT NULL DEFAULT 0,
  -- Both sides read whole and found equal.
  verified INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1)),
  PRIMARY KEY (move_id, position)
);
