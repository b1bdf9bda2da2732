-- Attendance marks, the future absences families report, and staff's evaluations of students.
-- Each belongs to a student (and so follows them when families merge). Dates are `YYYY-MM-DD` in the organization's time zone; moments are milliseconds (UTC).

-- One mark per student per class meeting; marking again changes it.
CREATE TABLE attendance (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  class_id TEXT NOT NULL REFERENCES classes(id),
  date TEXT NOT NULL,
  student_id TEXT NOT NULL REFERENCES students(id),
  enrollment_id TEXT NOT NULL REFERENCES enrollments(id),
  status TEXT NOT NULL CHECK (status IN ('present', 'absent', 'excused')),
  marked_at INTEGER NOT NULL,
  marked_by_label TEXT NOT NULL
);
CREATE UNIQUE INDEX attendance_one_mark ON attendance(class_id, date, student_id);
CREATE INDEX attendance_enrollment ON attendance(enrollment_id, date);
CREATE INDEX attendance_student ON attendance(student_id);

-- A future absence: a span (by date) or one class meeting (by enrollment), with the meetings it
-- covers, each with the moment it starts (a meeting that has started cannot be cancelled).
CREATE TABLE absences (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  student_id TEXT NOT NULL REFERENCES students(id),
  from_at INTEGER NOT NULL,
  to_at INTEGER NOT NULL,
  reason TEXT,
  first_starts_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  created_by_label TEXT NOT NULL,
  cancelled_at INTEGER
);
CREATE INDEX absences_student ON absences(student_id, to_at);

CREATE TABLE absence_meetings (
  absence_id TEXT NOT NULL REFERENCES absences(id),
  class_id TEXT NOT NULL REFERENCES classes(id),
  date TEXT NOT NULL,
  starts_at INTEGER NOT NULL,
  PRIMARY KEY (absence_id, class_id, date)
);
CREATE INDEX absence_meetings_class_date ON absence_meetings(class_id, date);
CREATE INDEX absence_meetings_date ON absence_meetings(date);

-- An evaluation: its skills as a JSON array of {name, level}.
CREATE TABLE evaluations (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  student_id TEXT NOT NULL REFERENCES students(id),
  class_id TEXT REFERENCES classes(id),
  skills TEXT NOT NULL,
  note TEXT,
  evaluated_at INTEGER NOT NULL,
  evaluated_by TEXT NOT NULL
);
CREATE INDEX evaluations_student ON evaluations(student_id, evaluated_at);
CREATE INDEX evaluations_class ON evaluations(class_id) WHERE class_id IS NOT NULL;
