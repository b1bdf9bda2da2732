-- Payments staff take in the Office Portal: cash, a check, or one of the family's saved methods
-- charged at the gateway. One payment per idempotency key and family, however often the request
-- (or the Take Payment form) is sent; its ledger entry carries the payment's id (written once).

CREATE TABLE staff_payments (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  family_id TEXT NOT NULL REFERENCES families(id),
  method TEXT NOT NULL CHECK (method IN ('cash', 'check', 'saved_method')),
  payment_method_id TEXT,
  reference TEXT,
  amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
  idempotency_key TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'declined')),
  gateway_charge_ref TEXT,
  failure_message TEXT,
  taken_by_id TEXT,
  taken_by_label TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (family_id, idempotency_key)
);
