-- Makeup requests: a family asks for a student to attend one class on one date; staff approve
-- (which makes a one-day `makeup` enrollment) or deny, through the same requests queue as drops
-- and transfers. A makeup request names no enrollment while pending (the approval's enrollment is
-- recorded in `enrollment_id` then), so every request now names its student itself, and a makeup
-- names its class in `to_class_id` and its day in `date` (`YYYY-MM-DD`, the organization's time zone).
-- SQLite cannot widen a CHECK or drop a NOT NULL in place: the table is rebuilt. No table
-- references enrollment_requests, so nothing has to be set aside.

CREATE TABLE enrollment_requests_new (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  family_id TEXT NOT NULL REFERENCES families(id),
  student_id TEXT NOT NULL REFERENCES students(id),
  -- The enrollment a drop or transfer is about; for a makeup, the one its approval made.
  enrollment_id TEXT REFERENCES enrollments(id),
  kind TEXT NOT NULL CHECK (kind IN ('drop', 'transfer', 'makeup')),
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied')),
  to_class_id TEXT REFERENCES classes(id),
  reason TEXT,
  effective_date TEXT,
  date TEXT,
  requested_by_id TEXT NOT NULL,
  requested_by_label TEXT NOT NULL,
  requested_at INTEGER NOT NULL,
  decided_by_label TEXT,
  decided_at INTEGER,
  note TEXT,
  outcome TEXT,
  last_change_id TEXT,
  CHECK (kind = 'makeup' OR (enrollment_id IS NOT NULL AND date IS NULL)),
  CHECK (kind != 'makeup' OR (to_class_id IS NOT NULL AND date IS NOT NULL))
);

INSERT INTO enrollment_requests_new (id, org_id, family_id, student_id, enrollment_id, kind, status, to_class_id, reason,
    effective_date, date, requested_by_id, requested_by_label, requested_at, decided_by_label, decided_at, note, outcome,
    last_change_id)
  SELECT r.id, r.org_id, r.family_id, e.student_id, r.enrollment_id, r.kind, r.status, r.to_class_id, r.reason,
    r.effective_date, NULL, r.requested_by_id, r.requested_by_label, r.requested_at, r.decided_by_label, r.decided_at,
    r.note, r.outcome, r.last_change_id
  FROM enrollment_requests r JOIN enrollments e ON e.id = r.enrollment_id;

DROP TABLE enrollment_requests;
ALTER TABLE enrollment_requests_new RENAME TO enrollment_requests;

-- One pending request per enrollment, and one pending makeup per student, class and date.
CREATE UNIQUE INDEX enrollment_requests_one_pending ON enrollment_requests(enrollment_id) WHERE status = 'pending';
CREATE UNIQUE INDEX enrollment_requests_one_pending_makeup ON enrollment_requests(student_id, to_class_id, date)
  WHERE status = 'pending' AND kind = 'makeup';
CREATE INDEX enrollment_requests_enrollment ON enrollment_requests(enrollment_id);
CREATE INDEX enrollment_requests_to_class ON enrollment_requests(to_class_id) WHERE to_class_id IS NOT NULL;
CREATE INDEX enrollment_requests_org_status ON enrollment_requests(org_id, status, requested_at);
CREATE INDEX enrollment_requests_family ON enrollment_requests(family_id, requested_at);
-- The foreign key's own lookup (a student's row written checks its requests).
CREATE INDEX enrollment_requests_student ON enrollment_requests(student_id);
