-- My Account payments: saved payment methods (gateway references and display fields only, never a
-- card or account number), the family ledger, payments with their idempotency keys, and what the
-- local sandbox gateway was asked to do.

CREATE TABLE payment_methods (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  guardian_id TEXT NOT NULL REFERENCES guardians(id),
  kind TEXT NOT NULL CHECK (kind IN ('card', 'bank_account')),
  -- Which gateway holds the method (deletion goes there even if the organization changes gateway),
  -- its id there, and the customer it hangs on where the gateway has one.
  gateway_kind TEXT NOT NULL,
  gateway_account_id TEXT,
  gateway_ref TEXT NOT NULL,
  gateway_customer_ref TEXT,
  last4 TEXT NOT NULL CHECK (length(last4) = 4),
  exp_month INTEGER,
  exp_year INTEGER,
  is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
  recurring_authorized INTEGER NOT NULL DEFAULT 0 CHECK (recurring_authorized IN (0, 1)),
  -- 'deleting': gone for the family, waiting for the gateway to forget it; then the row is deleted.
  state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'deleting')),
  deletion_reason TEXT,
  deletion_error TEXT,
  last_change_id TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX payment_methods_guardian ON payment_methods(guardian_id, state);

-- Charges and refunds posted by staff, payments made by the family. Amounts are positive cents;
-- the kind gives the sign (charges and refunds add to what is owed, payments take from it).
CREATE TABLE ledger_entries (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  family_id TEXT NOT NULL REFERENCES families(id),
  kind TEXT NOT NULL CHECK (kind IN ('charge', 'payment', 'refund')),
  amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
  description TEXT NOT NULL,
  at INTEGER NOT NULL,
  posted_by_kind TEXT NOT NULL,
  posted_by_id TEXT,
  posted_by_label TEXT NOT NULL,
  -- A payment is entered once, however often its request is retried.
  payment_id TEXT UNIQUE
);
CREATE INDEX ledger_family_at ON ledger_entries(family_id, at);
-- Covers the balance (a sum per kind) and the last payment without reading the rows.
CREATE INDEX ledger_family_kind_at ON ledger_entries(family_id, kind, at, amount_cents);

CREATE TABLE payments (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  family_id TEXT NOT NULL,
  guardian_id TEXT NOT NULL,
  payment_method_id TEXT NOT NULL,
  amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
  idempotency_key TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'declined')),
  gateway_charge_ref TEXT,
  failure_message TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (guardian_id, idempotency_key)
);

-- The sandbox gateway's record of every call. A call that succeeded (or was declined) is answered
-- again from here when its idempotency key comes back, as real gateways do.
CREATE TABLE sandbox_gateway_calls (
  id TEXT PRIMARY KEY,
  org_id TEXT,
  operation TEXT NOT NULL CHECK (operation IN ('vault', 'delete', 'charge')),
  idempotency_key TEXT NOT NULL,
  gateway_ref TEXT,
  amount_cents INTEGER,
  outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'declined', 'unavailable')),
  result_ref TEXT,
  at INTEGER NOT NULL
);
CREATE UNIQUE INDEX sandbox_gateway_calls_once ON sandbox_gateway_calls(operation, idempotency_key)
  WHERE outcome != 'unavailable';
CREATE INDEX sandbox_gateway_calls_org ON sandbox_gateway_calls(org_id, at);
