-- Applying a dry run (Finish on the confirmation page): the apply is a job of its own that names
-- the dry run it came from, and the dry run names the one job that applied it. Each change a dry
-- run lists keeps the contact as the dry run saw them (`fingerprint`: family, role, access, e-mail,
-- name), so that the apply changes only contacts that are still as they were.

ALTER TABLE import_jobs ADD COLUMN dry_run_job_id TEXT REFERENCES import_jobs(id);
ALTER TABLE import_jobs ADD COLUMN applied_by_job_id TEXT;
ALTER TABLE import_results ADD COLUMN fingerprint TEXT;
