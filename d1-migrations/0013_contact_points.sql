-- Account information, credit and statements. The ledger takes two more kinds (a credit staff
-- give, and credit the family applied to outstanding charges) and an optional location, so that
-- statements can be made per location. SQLite cannot widen a CHECK in place: the table is rebuilt,
-- every row copied as it was (no location).

CREATE TABLE ledger_entries_next (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  family_id TEXT NOT NULL REFERENCES families(id),
  kind TEXT NOT NULL CHECK (kind IN ('charge', 'payment', 'refund', 'credit', 'credit_applied')),
  amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
  description TEXT NOT NULL,
  at INTEGER NOT NULL,
  posted_by_kind TEXT NOT NULL,
  posted_by_id TEXT,
  posted_by_label TEXT NOT NULL,
  payment_id TEXT UNIQUE,
  location_id TEXT REFERENCES locations(id)
);
INSERT INTO ledger_entries_next (id, org_id, family_id, kind, amount_cents, description, at, posted_by_kind, posted_by_id,
    posted_by_label, payment_id)
  SELECT id, org_id, family_id, kind, amount_cents, description, at, posted_by_kind, posted_by_id, posted_by_label, payment_id
  FROM ledger_entries;
DROP TABLE ledger_entries;
ALTER TABLE ledger_entries_next RENAME TO ledger_entries;
CREATE INDEX ledger_family_at ON ledger_entries(family_id, at);
-- Covers the balance (a sum per kind) and the last payment without reading the rows.
CREATE INDEX ledger_family_kind_at ON ledger_entries(family_id, kind, at, amount_cents);

-- A family's contact points: mailing addresses, e-mail addresses and phone numbers, each linked
-- to one guardian or Unassigned (guardian_id NULL), with the e-mail and SMS opt-outs.
CREATE TABLE contact_addresses (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  family_id TEXT NOT NULL REFERENCES families(id),
  guardian_id TEXT REFERENCES guardians(id),
  line1 TEXT NOT NULL,
  line2 TEXT,
  city TEXT NOT NULL,
  region TEXT,
  postal_code TEXT NOT NULL,
  country TEXT NOT NULL CHECK (length(country) = 2),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX contact_addresses_family ON contact_addresses(family_id, guardian_id);
-- A guardian's values (and the foreign key check when a guardian is deleted).
CREATE INDEX contact_addresses_owner ON contact_addresses(guardian_id);

-- The guardian's own `email` is their login e-mail, listed here with is_login = 1 (one per
-- guardian) and kept equal to it by the triggers below.
CREATE TABLE contact_emails (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  family_id TEXT NOT NULL REFERENCES families(id),
  guardian_id TEXT REFERENCES guardians(id),
  email TEXT NOT NULL,
  is_login INTEGER NOT NULL DEFAULT 0 CHECK (is_login IN (0, 1)),
  subscribed INTEGER NOT NULL DEFAULT 1 CHECK (subscribed IN (0, 1)),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CHECK (is_login = 0 OR guardian_id IS NOT NULL)
);
CREATE INDEX contact_emails_family ON contact_emails(family_id, guardian_id);
CREATE INDEX contact_emails_owner ON contact_emails(guardian_id);
CREATE UNIQUE INDEX contact_emails_login ON contact_emails(guardian_id) WHERE is_login = 1;

-- The guardian's own `phone` is their first phone (is_guardian_phone = 1), kept equal likewise.
CREATE TABLE contact_phones (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  family_id TEXT NOT NULL REFERENCES families(id),
  guardian_id TEXT REFERENCES guardians(id),
  number TEXT NOT NULL,
  kind TEXT NOT NULL DEFAULT 'mobile' CHECK (kind IN ('mobile', 'home', 'work')),
  sms_subscribed INTEGER NOT NULL DEFAULT 1 CHECK (sms_subscribed IN (0, 1)),
  is_guardian_phone INTEGER NOT NULL DEFAULT 0 CHECK (is_guardian_phone IN (0, 1)),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CHECK (is_guardian_phone = 0 OR guardian_id IS NOT NULL)
);
CREATE INDEX contact_phones_family ON contact_phones(family_id, guardian_id);
CREATE INDEX contact_phones_owner ON contact_phones(guardian_id);
CREATE UNIQUE INDEX contact_phones_guardian ON contact_phones(guardian_id) WHERE is_guardian_phone = 1;

-- Today's values, every one of them: each guardian's e-mail becomes their login e-mail entry and
-- their phone their first phone (kept as typed: older values may not be E.164).
INSERT INTO contact_emails (id, org_id, family_id, guardian_id, email, is_login, subscribed, created_at, updated_at)
  SELECT 'eml_' || id, org_id, family_id, id, email, 1, 1, created_at, updated_at FROM guardians WHERE email IS NOT NULL;
INSERT INTO contact_phones (id, org_id, family_id, guardian_id, number, kind, sms_subscribed, is_guardian_phone, created_at, updated_at)
  SELECT 'tel_' || id, org_id, family_id, id, phone, 'mobile', 1, 1, created_at, updated_at FROM guardians WHERE phone IS NOT NULL;

-- The guardian's `email` and `phone` stay the login e-mail and first phone wherever they are
-- written (adding a guardian, editing contact details, an invitation to a new address, a move or
-- merge to another family): these triggers keep the lists equal to them. (Each trigger is on one
-- line per statement, so that the test harness's statement splitter keeps it whole.)
CREATE TRIGGER guardians_contact_points_insert AFTER INSERT ON guardians BEGIN
  INSERT INTO contact_emails (id, org_id, family_id, guardian_id, email, is_login, subscribed, created_at, updated_at) SELECT 'eml_' || NEW.id, NEW.org_id, NEW.family_id, NEW.id, NEW.email, 1, 1, NEW.created_at, NEW.updated_at WHERE NEW.email IS NOT NULL; INSERT INTO contact_phones (id, org_id, family_id, guardian_id, number, kind, sms_subscribed, is_guardian_phone, created_at, updated_at) SELECT 'tel_' || NEW.id, NEW.org_id, NEW.family_id, NEW.id, NEW.phone, 'mobile', 1, 1, NEW.created_at, NEW.updated_at WHERE NEW.phone IS NOT NULL; END;
CREATE TRIGGER guardians_contact_email_update AFTER UPDATE OF email ON guardians WHEN NEW.email IS NOT OLD.email BEGIN
  DELETE FROM contact_emails WHERE guardian_id = NEW.id AND is_login = 1 AND NEW.email IS NULL; UPDATE contact_emails SET email = NEW.email, updated_at = NEW.updated_at WHERE guardian_id = NEW.id AND is_login = 1; INSERT INTO contact_emails (id, org_id, family_id, guardian_id, email, is_login, subscribed, created_at, updated_at) SELECT 'eml_' || NEW.id, NEW.org_id, NEW.family_id, NEW.id, NEW.email, 1, 1, NEW.updated_at, NEW.updated_at WHERE NEW.email IS NOT NULL AND NOT EXISTS (SELECT 1 FROM contact_emails WHERE guardian_id = NEW.id AND is_login = 1); END;
CREATE TRIGGER guardians_contact_phone_update AFTER UPDATE OF phone ON guardians WHEN NEW.phone IS NOT OLD.phone BEGIN
  DELETE FROM contact_phones WHERE guardian_id = NEW.id AND is_guardian_phone = 1 AND NEW.phone IS NULL; UPDATE contact_phones SET number = NEW.phone, updated_at = NEW.updated_at WHERE guardian_id = NEW.id AND is_guardian_phone = 1; INSERT INTO contact_phones (id, org_id, family_id, guardian_id, number, kind, sms_subscribed, is_guardian_phone, created_at, updated_at) SELECT 'tel_' || NEW.id, NEW.org_id, NEW.family_id, NEW.id, NEW.phone, 'mobile', 1, 1, NEW.updated_at, NEW.updated_at WHERE NEW.phone IS NOT NULL AND NOT EXISTS (SELECT 1 FROM contact_phones WHERE guardian_id = NEW.id AND is_guardian_phone = 1); END;
-- A guardian moved to another family takes their values; when the move is a merge (the old family
-- now merged into the new one), the old family's Unassigned values come along too. (Not a trigger
-- on `families`: the merge counts the rows its first statement changes, and D1 counts a trigger's.)
CREATE TRIGGER guardians_contact_points_family AFTER UPDATE OF family_id ON guardians WHEN NEW.family_id IS NOT OLD.family_id BEGIN
  UPDATE contact_addresses SET family_id = NEW.family_id WHERE guardian_id = NEW.id OR (guardian_id IS NULL AND family_id = OLD.family_id AND EXISTS (SELECT 1 FROM families WHERE id = OLD.family_id AND merged_into_id = NEW.family_id)); UPDATE contact_emails SET family_id = NEW.family_id WHERE guardian_id = NEW.id OR (guardian_id IS NULL AND family_id = OLD.family_id AND EXISTS (SELECT 1 FROM families WHERE id = OLD.family_id AND merged_into_id = NEW.family_id)); UPDATE contact_phones SET family_id = NEW.family_id WHERE guardian_id = NEW.id OR (guardian_id IS NULL AND family_id = OLD.family_id AND EXISTS (SELECT 1 FROM families WHERE id = OLD.family_id AND merged_into_id = NEW.family_id)); END;
-- A guardian folded into another by a merge is deleted: their login e-mail and phone go with
-- them, their other values stay with the family as Unassigned.
CREATE TRIGGER guardians_contact_points_delete BEFORE DELETE ON guardians BEGIN
  DELETE FROM contact_emails WHERE guardian_id = OLD.id AND is_login = 1; DELETE FROM contact_phones WHERE guardian_id = OLD.id AND is_guardian_phone = 1; UPDATE contact_addresses SET guardian_id = NULL WHERE guardian_id = OLD.id; UPDATE contact_emails SET guardian_id = NULL WHERE guardian_id = OLD.id; UPDATE contact_phones SET guardian_id = NULL WHERE guardian_id = OLD.id; END;
-- And the other way: a guardian's first phone edited, deleted or given to someone else in the
-- list changes (or clears) the guardian's `phone`.
CREATE TRIGGER contact_phones_guardian_number AFTER UPDATE OF number ON contact_phones WHEN NEW.is_guardian_phone = 1 BEGIN
  UPDATE guardians SET phone = NEW.number WHERE id = NEW.guardian_id AND phone IS NOT NEW.number; END;
CREATE TRIGGER contact_phones_guardian_moved AFTER UPDATE OF guardian_id ON contact_phones WHEN OLD.is_guardian_phone = 1 AND NEW.guardian_id IS NOT OLD.guardian_id BEGIN
  UPDATE contact_phones SET is_guardian_phone = 0 WHERE id = NEW.id; UPDATE guardians SET phone = NULL WHERE id = OLD.guardian_id; END;
CREATE TRIGGER contact_phones_guardian_deleted AFTER DELETE ON contact_phones WHEN OLD.is_guardian_phone = 1 BEGIN
  UPDATE guardians SET phone = NULL WHERE id = OLD.guardian_id AND phone IS NOT NULL; END;
