-- Makeup tokens (issue 25): staff issue a student a token for one location, usable until its last
-- day; the family redeems it into a one-day makeup enrollment (kind 'makeup', in `enrollments`).
-- The status (available, pending, spent, expired) is not stored: it follows from these columns and
-- today's date in the organization's time zone.

CREATE TABLE makeup_tokens (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  family_id TEXT NOT NULL REFERENCES families(id),
  student_id TEXT NOT NULL REFERENCES students(id),
  location_id TEXT NOT NULL REFERENCES locations(id),
  issued_at INTEGER NOT NULL,
  -- The last day it may be used (YYYY-MM-DD, the organization's time zone).
  expires_on TEXT NOT NULL,
  reason TEXT,
  issued_by_label TEXT NOT NULL,
  -- The makeup visit it paid for, and that visit's day; both NULL while unused. The redeeming
  -- update is guarded (enrollment_id IS NULL), so a token pays for one visit only.
  enrollment_id TEXT REFERENCES enrollments(id),
  visit_date TEXT,
  CHECK ((enrollment_id IS NULL) = (visit_date IS NULL))
);
CREATE INDEX makeup_tokens_student ON makeup_tokens(student_id, expires_on);
CREATE INDEX makeup_tokens_family ON makeup_tokens(family_id, expires_on);
-- The foreign key's own lookup (SQLite checks the children when an enrollment row is written).
CREATE INDEX makeup_tokens_enrollment ON makeup_tokens(enrollment_id);
