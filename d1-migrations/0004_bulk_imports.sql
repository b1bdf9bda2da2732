-- Bulk portal access: the contacts report reads guardians by organization; an import is a job
-- whose rows wait in chunks for the queue, with one result per row.

CREATE INDEX guardians_org ON guardians(org_id, family_id);

CREATE TABLE import_jobs (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  staff_id TEXT NOT NULL,
  staff_email TEXT NOT NULL,
  dry_run INTEGER NOT NULL CHECK (dry_run IN (0, 1)),
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
  total INTEGER NOT NULL,
  error TEXT,
  -- The change that finished the job: only it writes the summary e-mail.
  last_change_id TEXT,
  created_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX import_jobs_org ON import_jobs(org_id, created_at);

-- The parsed rows of a job, a few hundred per chunk (JSON), each chunk one queue job.
CREATE TABLE import_chunks (
  job_id TEXT NOT NULL REFERENCES import_jobs(id),
  chunk INTEGER NOT NULL,
  rows TEXT NOT NULL,
  done_at INTEGER,
  PRIMARY KEY (job_id, chunk)
);

-- One result per row, written when the row is applied: a retried chunk skips rows that have one.
CREATE TABLE import_results (
  job_id TEXT NOT NULL REFERENCES import_jobs(id),
  line INTEGER NOT NULL,
  contact_id TEXT,
  outcome TEXT NOT NULL CHECK (outcome IN ('updated', 'unchanged', 'error')),
  action TEXT CHECK (action IN ('revoke', 'invite')),
  message TEXT,
  PRIMARY KEY (job_id, line)
);
CREATE INDEX import_results_outcome ON import_results(job_id, outcome, line);
