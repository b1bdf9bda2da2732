-- One person, several families. A person is a login of an organization (e-mail, password) and the
-- contact details they own; a guardian row stays what it was, a person's membership of one family,
-- with that family's access state, permissions, invitations, payment methods and history.
-- A membership is linked to its person when its invitation is accepted; until then its contact
-- details are the family's own record. Once linked, the person's details are mirrored on each of
-- their memberships (one UPDATE by person when they edit them), so every read stays on `guardians`.

CREATE TABLE people (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  email TEXT,
  password_hash TEXT,
  first_name TEXT NOT NULL,
  last_name TEXT NOT NULL,
  phone TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
-- One login per address in an organization.
CREATE UNIQUE INDEX people_org_email ON people(org_id, email) WHERE email IS NOT NULL;

ALTER TABLE guardians ADD COLUMN person_id TEXT REFERENCES people(id);

-- Every guardian who ever set a password becomes a person (the old unique index guaranteed one
-- guardian per address, so no two of them share one). The person's id is derived from the
-- guardian's so that the link below needs no lookup.
INSERT INTO people (id, org_id, email, password_hash, first_name, last_name, phone, created_at, updated_at)
  SELECT 'per_' || id, org_id, email, password_hash, first_name, last_name, phone,
         COALESCE(accepted_at, created_at), updated_at
  FROM guardians WHERE password_hash IS NOT NULL;
UPDATE guardians SET person_id = 'per_' || id WHERE password_hash IS NOT NULL;

-- The password belongs to the person now; an address may be a guardian in several families, once
-- in each.
DROP INDEX guardians_org_email;
ALTER TABLE guardians DROP COLUMN password_hash;
CREATE UNIQUE INDEX guardians_family_email ON guardians(family_id, email) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX guardians_family_person ON guardians(family_id, person_id) WHERE person_id IS NOT NULL;
CREATE INDEX guardians_person ON guardians(person_id) WHERE person_id IS NOT NULL;
-- Sign-in and password resets find memberships of an address.
CREATE INDEX guardians_org_email ON guardians(org_id, email) WHERE email IS NOT NULL;
-- A merge that folds a person listed twice moves every reset link of the folded guardian.
CREATE INDEX password_resets_guardian_all ON password_resets(guardian_id);
