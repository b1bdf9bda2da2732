-- QR Codes (issue 25): each student's current code, which staff scan at check-in.
-- The code shown to the family is derived from a server secret and `nonce` (see
-- core/src/qr_code.rs); only its SHA-256 is kept, for the lookup when staff scan it. Rotating
-- draws a new nonce, so the old code's hash matches nothing from that moment.
CREATE TABLE student_qr_codes (
  student_id TEXT PRIMARY KEY REFERENCES students(id),
  org_id TEXT NOT NULL REFERENCES organizations(id),
  nonce TEXT NOT NULL,
  code_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  rotated_at INTEGER
);
