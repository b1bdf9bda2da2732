-- Your Student(s), part B: punch passes (a punch redeemed is a one-day enrollment of kind 'pass',
-- in the `enrollments` table of 0010).

CREATE TABLE passes (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  family_id TEXT NOT NULL REFERENCES families(id),
  -- Redeemed for this student only; NULL: any student of the family.
  student_id TEXT REFERENCES students(id),
  name TEXT NOT NULL,
  punches_total INTEGER NOT NULL CHECK (punches_total > 0),
  -- The redeeming update is guarded (punches_used < punches_total); the CHECK is the floor under it.
  punches_used INTEGER NOT NULL DEFAULT 0 CHECK (punches_used >= 0 AND punches_used <= punches_total),
  amount_paid_cents INTEGER NOT NULL CHECK (amount_paid_cents >= 0),
  purchased_at INTEGER NOT NULL,
  active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  -- The last day it may be used (YYYY-MM-DD, the organization's time zone); NULL: never expires.
  expires_on TEXT,
  sold_by_label TEXT NOT NULL,
  last_change_id TEXT
);
CREATE INDEX passes_family ON passes(family_id, purchased_at);
CREATE INDEX passes_student ON passes(student_id) WHERE student_id IS NOT NULL;
