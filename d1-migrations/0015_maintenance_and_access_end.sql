-- Scheduled maintenance windows (the Customer Portal off from a start to an end by itself) and
-- access with an end date (a secondary's access ends at the start of a day).

-- The window, if one is scheduled: times in ms. Whether it is on is a comparison with now, made by
-- every reader; `maintenance_phase` is only what the cron has tidied so far ('scheduled', then
-- 'started': the sessions begun before the start ended and audited; then 'ended'), so that it
-- does each once.
ALTER TABLE organizations ADD COLUMN maintenance_starts_at INTEGER;
ALTER TABLE organizations ADD COLUMN maintenance_ends_at INTEGER;
ALTER TABLE organizations ADD COLUMN maintenance_note TEXT;
ALTER TABLE organizations ADD COLUMN maintenance_phase TEXT
  CHECK (maintenance_phase IN ('scheduled', 'started', 'ended'));
CREATE INDEX organizations_maintenance ON organizations(maintenance_phase)
  WHERE maintenance_phase IN ('scheduled', 'started');

-- The day a guardian's access ends (YYYY-MM-DD, as the primary set it) and its first instant in
-- the organization's time zone (ms), which the session check and the cron compare with now.
ALTER TABLE guardians ADD COLUMN access_ends_on TEXT;
ALTER TABLE guardians ADD COLUMN access_ends_at INTEGER;
-- The cron's list of accesses to end: only those still open.
CREATE INDEX guardians_access_ends ON guardians(access_ends_at)
  WHERE access_ends_at IS NOT NULL AND access_state IN ('can_log_in', 'invite_sent');
