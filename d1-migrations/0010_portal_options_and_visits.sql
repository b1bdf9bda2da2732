-- The portal options of Your Student(s) and Account Information (all off by default), the
-- organization's time zone, and one-day enrollments: a makeup or a punch-pass visit is an
-- enrollment in a class for one date.

ALTER TABLE organizations ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE organizations ADD COLUMN show_attendance INTEGER NOT NULL DEFAULT 0 CHECK (show_attendance IN (0, 1));
ALTER TABLE organizations ADD COLUMN makeups TEXT NOT NULL DEFAULT 'none' CHECK (makeups IN ('none', 'tokens', 'requests'));
ALTER TABLE organizations ADD COLUMN allow_future_absences INTEGER NOT NULL DEFAULT 0 CHECK (allow_future_absences IN (0, 1));
ALTER TABLE organizations ADD COLUMN show_qr_codes INTEGER NOT NULL DEFAULT 0 CHECK (show_qr_codes IN (0, 1));
ALTER TABLE organizations ADD COLUMN show_passes INTEGER NOT NULL DEFAULT 0 CHECK (show_passes IN (0, 1));
ALTER TABLE organizations ADD COLUMN allow_pass_redemption INTEGER NOT NULL DEFAULT 0 CHECK (allow_pass_redemption IN (0, 1));
ALTER TABLE organizations ADD COLUMN show_credit INTEGER NOT NULL DEFAULT 0 CHECK (show_credit IN (0, 1));
ALTER TABLE organizations ADD COLUMN allow_statements INTEGER NOT NULL DEFAULT 0 CHECK (allow_statements IN (0, 1));
ALTER TABLE organizations ADD COLUMN allow_ledger_report INTEGER NOT NULL DEFAULT 0 CHECK (allow_ledger_report IN (0, 1));

-- SQLite cannot widen a CHECK in place: the table is rebuilt. D1 keeps foreign keys on, and
-- dropping a table whose rows are referenced fails even with deferred checks, so the requests that
-- reference enrollments are set aside and put back once the new table holds every row.
CREATE TABLE enrollment_requests_kept AS SELECT * FROM enrollment_requests;
DELETE FROM enrollment_requests;

CREATE TABLE enrollments_new (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  family_id TEXT NOT NULL REFERENCES families(id),
  student_id TEXT NOT NULL REFERENCES students(id),
  class_id TEXT NOT NULL REFERENCES classes(id),
  status TEXT NOT NULL CHECK (status IN ('active', 'waitlisted', 'dropped', 'transferred', 'completed')),
  kind TEXT NOT NULL DEFAULT 'regular' CHECK (kind IN ('regular', 'makeup', 'pass')),
  -- The one day of a makeup or pass visit (`YYYY-MM-DD` in the organization's time zone); NULL for
  -- a regular enrollment, which runs over the class's dates. (A makeup row from before this
  -- migration, which nothing produced, may have none.)
  date TEXT CHECK (kind != 'regular' OR date IS NULL) CHECK (kind != 'pass' OR date IS NOT NULL),
  enrolled_at INTEGER NOT NULL,
  ended_at INTEGER,
  transferred_to_id TEXT,
  enrolled_by_kind TEXT NOT NULL,
  enrolled_by_label TEXT NOT NULL,
  last_change_id TEXT
);

INSERT INTO enrollments_new (id, org_id, family_id, student_id, class_id, status, kind, date, enrolled_at, ended_at,
    transferred_to_id, enrolled_by_kind, enrolled_by_label, last_change_id)
  SELECT id, org_id, family_id, student_id, class_id, status, kind, NULL, enrolled_at, ended_at,
    transferred_to_id, enrolled_by_kind, enrolled_by_label, last_change_id FROM enrollments;

DROP TABLE enrollments;
ALTER TABLE enrollments_new RENAME TO enrollments;
INSERT INTO enrollment_requests SELECT * FROM enrollment_requests_kept;
DROP TABLE enrollment_requests_kept;

-- A student holds one regular place (or waitlist spot) in a class at a time, and one visit a day.
CREATE UNIQUE INDEX enrollments_one_live ON enrollments(student_id, class_id) WHERE status IN ('active', 'waitlisted') AND date IS NULL;
CREATE UNIQUE INDEX enrollments_one_visit ON enrollments(student_id, class_id, date) WHERE status = 'active' AND date IS NOT NULL;
CREATE INDEX enrollments_student ON enrollments(student_id, enrolled_at);
CREATE INDEX enrollments_class_status ON enrollments(class_id, status);
CREATE INDEX enrollments_class_date ON enrollments(class_id, date);
CREATE INDEX enrollments_family ON enrollments(family_id);
