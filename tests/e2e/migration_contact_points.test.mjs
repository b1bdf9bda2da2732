// Migration 0013 (credit, ledger locations, contact points): on a copy of data in every table, each
// guardian's e-mail becomes their login e-mail entry and their phone their first phone, every value
// kept as it was; the ledger keeps every entry; nothing else changes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { migrationStatements } from './harness.mjs';

const BEFORE = (f) => f < '0013';
const CONTACT_POINTS = (f) => f.startsWith('0013');
const NEW_TABLES = ['contact_addresses', 'contact_emails', 'contact_phones'];

let mf;
let db;
before(async () => {
  mf = new Miniflare(convertV4MiniflareOptions({
    modules: true,
    script: 'export default { fetch() { return new Response("ok"); } }',
    compatibilityDate: '2026-11-01',
    d1Databases: { DB: 'migration-contact-points' },
  }));
  db = await mf.getD1Database('DB');
});
after(() => mf.dispose());

async function tables() {
  const { results } = await db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite%' ORDER BY name").all();
  return results.map((r) => r.name);
}

async function snapshot(names) {
  const out = {};
  for (const t of names) out[t] = (await db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()).results;
  return out;
}

const seed = [
  `INSERT INTO organizations (id, slug, name, created_at, updated_at) VALUES ('org_1', 'm', 'M Club', 1, 1)`,
  `INSERT INTO staff_users (id, org_id, email, password_hash, role, created_at) VALUES ('stf_1', 'org_1', 'o@m.test', '$pbkdf2$x', 'owner', 1)`,
  `INSERT INTO families (id, org_id, name, primary_guardian_id, created_at, updated_at) VALUES ('fam_1', 'org_1', 'Lee', 'gdn_ann', 1, 1)`,
  `INSERT INTO people (id, org_id, email, password_hash, first_name, last_name, phone, created_at, updated_at)
     VALUES ('per_ann', 'org_1', 'ann@m.test', 'hash-ann', 'Ann', 'Lee', '+1 555 0100', 1, 1)`,
  // Ann can log in (an e-mail and a phone typed before E.164); Bob was invited (e-mail only); Cy has
  // a phone only; Dee has neither.
  `INSERT INTO guardians (id, org_id, family_id, first_name, last_name, email, phone, access_state, person_id, accepted_at, created_at, updated_at)
     VALUES ('gdn_ann', 'org_1', 'fam_1', 'Ann', 'Lee', 'ann@m.test', '+1 555 0100', 'can_log_in', 'per_ann', 5, 2, 6)`,
  `INSERT INTO guardians (id, org_id, family_id, first_name, last_name, email, access_state, created_at, updated_at)
     VALUES ('gdn_bob', 'org_1', 'fam_1', 'Bob', 'Lee', 'bob@m.test', 'invite_sent', 3, 3)`,
  `INSERT INTO guardians (id, org_id, family_id, first_name, last_name, phone, created_at, updated_at) VALUES ('gdn_cy', 'org_1', 'fam_1', 'Cy', 'Lee', '(555) 0199', 3, 4)`,
  `INSERT INTO guardians (id, org_id, family_id, first_name, last_name, created_at, updated_at) VALUES ('gdn_dee', 'org_1', 'fam_1', 'Dee', 'Lee', 3, 3)`,
  `INSERT INTO sessions (id, org_id, kind, subject_id, created_at, expires_at) VALUES ('ses_1', 'org_1', 'guardian', 'gdn_ann', 1, 99)`,
  `INSERT INTO audit_log (id, org_id, at, actor_kind, actor_label, action, target_kind, target_id, family_id, target_label)
     VALUES ('aud_1', 'org_1', 1, 'staff', 'o@m.test', 'invitation_sent', 'guardian', 'gdn_bob', 'fam_1', 'Bob Lee')`,
  `INSERT INTO outbox (id, org_id, kind, payload, created_at) VALUES ('out_1', 'org_1', 'email', '{}', 1)`,
  `INSERT INTO invitations (id, org_id, family_id, guardian_id, token_hash, email, sent_by_kind, sent_by_label, created_at, expires_at)
     VALUES ('inv_1', 'org_1', 'fam_1', 'gdn_bob', 'th1', 'bob@m.test', 'staff', 'o', 1, 99)`,
  `INSERT INTO payment_methods (id, org_id, guardian_id, kind, gateway_kind, gateway_ref, last4, created_at, updated_at)
     VALUES ('pm_1', 'org_1', 'gdn_ann', 'card', 'sandbox', 'tok', '4242', 1, 1)`,
  `INSERT INTO payments (id, org_id, family_id, guardian_id, payment_method_id, amount_cents, idempotency_key, status, created_at, updated_at)
     VALUES ('pay_1', 'org_1', 'fam_1', 'gdn_ann', 'pm_1', 500, 'k1', 'succeeded', 1, 1)`,
  `INSERT INTO ledger_entries (id, org_id, family_id, kind, amount_cents, description, at, posted_by_kind, posted_by_label)
     VALUES ('led_0', 'org_1', 'fam_1', 'charge', 4750, 'Tuition', 1, 'staff', 'o@m.test')`,
  `INSERT INTO ledger_entries (id, org_id, family_id, kind, amount_cents, description, at, posted_by_kind, posted_by_id, posted_by_label, payment_id)
     VALUES ('led_1', 'org_1', 'fam_1', 'payment', 500, 'Payment', 2, 'guardian', 'gdn_ann', 'Ann Lee', 'pay_1')`,
  `INSERT INTO ledger_entries (id, org_id, family_id, kind, amount_cents, description, at, posted_by_kind, posted_by_label)
     VALUES ('led_2', 'org_1', 'fam_1', 'refund', 100, 'Refund', 3, 'staff', 'o@m.test')`,
  `INSERT INTO staff_payments (id, org_id, family_id, method, amount_cents, idempotency_key, status, taken_by_label, created_at, updated_at)
     VALUES ('spay_1', 'org_1', 'fam_1', 'cash', 100, 'k2', 'succeeded', 'o@m.test', 1, 1)`,
  `INSERT INTO locations (id, org_id, name, created_at) VALUES ('loc_1', 'org_1', 'Main Pool', 1)`,
  `INSERT INTO classes (id, org_id, location_id, name, days, start_time, end_time, start_date, end_date, capacity, waitlist, created_at, updated_at)
     VALUES ('cls_1', 'org_1', 'loc_1', 'Guppies', '["mon"]', '16:00', '16:45', '2026-01-05', '2026-06-29', 8, 1, 1, 1)`,
  `INSERT INTO students (id, org_id, family_id, first_name, last_name, birth_date, created_at, updated_at)
     VALUES ('stu_1', 'org_1', 'fam_1', 'Kit', 'Lee', '2019-04-01', 1, 1)`,
  `INSERT INTO enrollments (id, org_id, family_id, student_id, class_id, status, enrolled_at, enrolled_by_kind, enrolled_by_label)
     VALUES ('enr_1', 'org_1', 'fam_1', 'stu_1', 'cls_1', 'active', 1, 'staff', 'o@m.test')`,
];

test('every guardian e-mail and phone becomes a contact point; the ledger and every other row are unchanged', async () => {
  await db.batch(migrationStatements(BEFORE).map((s) => db.prepare(s)));
  await db.batch(seed.map((s) => db.prepare(s)));
  const names = await tables();
  const before = await snapshot(names);
  for (const t of ['guardians', 'ledger_entries', 'people', 'payments', 'enrollments', 'staff_payments']) {
    assert.ok(before[t].length > 0, `the copy has data in ${t}`);
  }

  await db.batch(migrationStatements(CONTACT_POINTS).map((s) => db.prepare(s)));
  const after = await snapshot(names);
  for (const t of names.filter((t) => t !== 'ledger_entries')) assert.deepEqual(after[t], before[t], t);
  assert.deepEqual(after.ledger_entries, before.ledger_entries.map((e) => ({ ...e, location_id: null })), 'every entry, no location');

  const emails = (await db.prepare('SELECT guardian_id, family_id, email, is_login, subscribed FROM contact_emails ORDER BY guardian_id').all()).results;
  assert.deepEqual(emails, [
    { guardian_id: 'gdn_ann', family_id: 'fam_1', email: 'ann@m.test', is_login: 1, subscribed: 1 },
    { guardian_id: 'gdn_bob', family_id: 'fam_1', email: 'bob@m.test', is_login: 1, subscribed: 1 },
  ]);
  const phones = (await db.prepare('SELECT guardian_id, number, kind, sms_subscribed FROM contact_phones ORDER BY guardian_id').all()).results;
  assert.deepEqual(phones, [
    { guardian_id: 'gdn_ann', number: '+1 555 0100', kind: 'mobile', sms_subscribed: 1 },
    { guardian_id: 'gdn_cy', number: '(555) 0199', kind: 'mobile', sms_subscribed: 1 },
  ], 'kept as typed');
  assert.equal((await db.prepare('SELECT COUNT(*) AS n FROM contact_addresses').first()).n, 0);

  // From now on the guardian's fields and the lists stay equal, whoever writes them.
  await db.prepare("UPDATE guardians SET email = 'bobby@m.test', phone = '+15550111' WHERE id = 'gdn_bob'").run();
  await db.prepare("INSERT INTO guardians (id, org_id, family_id, first_name, last_name, email, created_at, updated_at) VALUES ('gdn_eve', 'org_1', 'fam_1', 'Eve', 'Lee', 'eve@m.test', 9, 9)").run();
  const bob = (await db.prepare("SELECT email, is_login FROM contact_emails WHERE guardian_id = 'gdn_bob'").all()).results;
  assert.deepEqual(bob, [{ email: 'bobby@m.test', is_login: 1 }]);
  assert.equal((await db.prepare("SELECT number FROM contact_phones WHERE guardian_id = 'gdn_bob'").first()).number, '+15550111');
  assert.equal((await db.prepare("SELECT email FROM contact_emails WHERE guardian_id = 'gdn_eve' AND is_login = 1").first()).email, 'eve@m.test');
  await db.prepare("UPDATE contact_phones SET number = '+15550122' WHERE guardian_id = 'gdn_cy'").run();
  assert.equal((await db.prepare("SELECT phone FROM guardians WHERE id = 'gdn_cy'").first()).phone, '+15550122');
  // A guardian folded away by a merge takes their login entries; their other values stay Unassigned.
  await db.prepare("INSERT INTO contact_emails (id, org_id, family_id, guardian_id, email, created_at, updated_at) VALUES ('eml_x', 'org_1', 'fam_1', 'gdn_dee', 'dee@work.test', 1, 1)").run();
  await db.prepare("DELETE FROM guardians WHERE id = 'gdn_dee'").run();
  assert.equal((await db.prepare("SELECT guardian_id FROM contact_emails WHERE id = 'eml_x'").first()).guardian_id, null);
  // A merge: the merged family's guardians and its Unassigned values join the family kept.
  await db.batch([
    "INSERT INTO families (id, org_id, name, primary_guardian_id, created_at, updated_at) VALUES ('fam_2', 'org_1', 'Park', 'gdn_pia', 1, 1)",
    "INSERT INTO guardians (id, org_id, family_id, first_name, last_name, email, created_at, updated_at) VALUES ('gdn_pia', 'org_1', 'fam_2', 'Pia', 'Park', 'pia@m.test', 9, 9)",
    "INSERT INTO contact_phones (id, org_id, family_id, number, created_at, updated_at) VALUES ('tel_home', 'org_1', 'fam_2', '+15550133', 1, 1)",
  ].map((s) => db.prepare(s)));
  const merge = await db.batch([
    "UPDATE families SET status = 'merged', merged_into_id = 'fam_1' WHERE id = 'fam_2'",
    "UPDATE guardians SET family_id = 'fam_1' WHERE family_id = 'fam_2'",
  ].map((s) => db.prepare(s)));
  assert.equal(merge[0].meta.changes, 1, 'the merge counts its families row alone');
  const moved = (await db.prepare("SELECT id, family_id FROM contact_phones WHERE id = 'tel_home' UNION ALL SELECT id, family_id FROM contact_emails WHERE guardian_id = 'gdn_pia'").all()).results;
  assert.deepEqual(moved.map((r) => r.family_id), ['fam_1', 'fam_1']);
  await assert.rejects(
    db.prepare("INSERT INTO ledger_entries (id, org_id, family_id, kind, amount_cents, description, at, posted_by_kind, posted_by_label) VALUES ('led_x', 'org_1', 'fam_1', 'gift', 1, 'x', 1, 's', 's')").run(),
    /CHECK/,
  );
  for (const t of NEW_TABLES) assert.ok(!names.includes(t));
});
