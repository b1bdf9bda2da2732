-- The directory: which tenant database (binding DB_1 ... DB_N) holds which organization. The slug
-- is claimed here before the organization's rows are written, so it is unique across databases;
-- org_id is filled in once they are. `moving` marks an organization being moved between databases.
CREATE TABLE organizations_directory (
  slug TEXT PRIMARY KEY,
  org_id TEXT UNIQUE,
  database TEXT NOT NULL,
  moving INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE INDEX organizations_directory_database ON organizations_directory (database);
