-- Students, classes and enrollments; the drop, transfer and waitlist requests families make and
-- staff decide. Dates are `YYYY-MM-DD` text (they sort), times `HH:MM`.

ALTER TABLE organizations ADD COLUMN allow_drop_requests INTEGER NOT NULL DEFAULT 0 CHECK (allow_drop_requests IN (0, 1));
ALTER TABLE organizations ADD COLUMN allow_transfer_requests INTEGER NOT NULL DEFAULT 0 CHECK (allow_transfer_requests IN (0, 1));
ALTER TABLE organizations ADD COLUMN allow_cancel_waitlist INTEGER NOT NULL DEFAULT 0 CHECK (allow_cancel_waitlist IN (0, 1));
ALTER TABLE guardians ADD COLUMN can_manage_enrollments INTEGER NOT NULL DEFAULT 0 CHECK (can_manage_enrollments IN (0, 1));

CREATE TABLE locations (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX locations_org ON locations(org_id, name);

CREATE TABLE classes (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  location_id TEXT NOT NULL REFERENCES locations(id),
  name TEXT NOT NULL,
  -- A JSON array of weekdays: ["mon","wed"].
  days TEXT NOT NULL,
  start_time TEXT NOT NULL,
  end_time TEXT NOT NULL,
  start_date TEXT NOT NULL,
  end_date TEXT NOT NULL,
  capacity INTEGER NOT NULL CHECK (capacity >= 0),
  waitlist INTEGER NOT NULL CHECK (waitlist IN (0, 1)),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX classes_org ON classes(org_id, start_date, name);

CREATE TABLE students (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  family_id TEXT NOT NULL REFERENCES families(id),
  first_name TEXT NOT NULL,
  last_name TEXT NOT NULL,
  birth_date TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX students_family ON students(family_id, last_name, first_name);

CREATE TABLE enrollments (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  family_id TEXT NOT NULL REFERENCES families(id),
  student_id TEXT NOT NULL REFERENCES students(id),
  class_id TEXT NOT NULL REFERENCES classes(id),
  status TEXT NOT NULL CHECK (status IN ('active', 'waitlisted', 'dropped', 'transferred', 'completed')),
  kind TEXT NOT NULL DEFAULT 'regular' CHECK (kind IN ('regular', 'makeup')),
  enrolled_at INTEGER NOT NULL,
  ended_at INTEGER,
  -- A transfer ends this enrollment and starts the one named here.
  transferred_to_id TEXT,
  enrolled_by_kind TEXT NOT NULL,
  enrolled_by_label TEXT NOT NULL,
  last_change_id TEXT
);
-- A student holds one place (or waitlist spot) in a class at a time.
CREATE UNIQUE INDEX enrollments_one_live ON enrollments(student_id, class_id) WHERE status IN ('active', 'waitlisted');
CREATE INDEX enrollments_student ON enrollments(student_id, enrolled_at);
-- Counts a class's places and waitlist without reading the rows.
CREATE INDEX enrollments_class_status ON enrollments(class_id, status);
CREATE INDEX enrollments_family ON enrollments(family_id);

CREATE TABLE enrollment_requests (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  family_id TEXT NOT NULL REFERENCES families(id),
  enrollment_id TEXT NOT NULL REFERENCES enrollments(id),
  kind TEXT NOT NULL CHECK (kind IN ('drop', 'transfer')),
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied')),
  to_class_id TEXT REFERENCES classes(id),
  reason TEXT,
  effective_date TEXT,
  requested_by_id TEXT NOT NULL,
  requested_by_label TEXT NOT NULL,
  requested_at INTEGER NOT NULL,
  decided_by_label TEXT,
  decided_at INTEGER,
  note TEXT,
  -- What approving a transfer did: 'active' or 'waitlisted' in the new class.
  outcome TEXT,
  last_change_id TEXT
);
-- One pending request per enrollment.
CREATE UNIQUE INDEX enrollment_requests_one_pending ON enrollment_requests(enrollment_id) WHERE status = 'pending';
-- The foreign keys' own lookups (SQLite checks children when a parent row is written).
CREATE INDEX enrollment_requests_enrollment ON enrollment_requests(enrollment_id);
CREATE INDEX enrollment_requests_to_class ON enrollment_requests(to_class_id) WHERE to_class_id IS NOT NULL;
CREATE INDEX enrollment_requests_org_status ON enrollment_requests(org_id, status, requested_at);
CREATE INDEX enrollment_requests_family ON enrollment_requests(family_id, requested_at);
