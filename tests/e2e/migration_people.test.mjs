// Migration 0006 (people): on a copy of data in every table, each guardian who had a password
// becomes one person and one membership; nothing else changes and nothing is lost.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { migrationStatements } from './harness.mjs';

const BEFORE = (f) => f < '0006';
const PEOPLE = (f) => f.startsWith('0006');

let mf;
let db;
before(async () => {
  mf = new Miniflare(convertV4MiniflareOptions({
    modules: true,
    script: 'export default { fetch() { return new Response("ok"); } }',
    compatibilityDate: '2026-11-01',
    d1Databases: { DB: 'migration-test' },
  }));
  db = await mf.getD1Database('DB');
});
after(() => mf.dispose());

const TABLES = [
  'organizations', 'staff_users', 'sessions', 'login_throttle', 'audit_log', 'outbox', 'dev_mailbox', 'families',
  'guardians', 'invitations', 'password_resets', 'payment_methods', 'ledger_entries', 'payments',
  'sandbox_gateway_calls', 'import_jobs', 'import_chunks', 'import_results',
];

async function snapshot() {
  const out = {};
  for (const t of TABLES) out[t] = (await db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()).results;
  return out;
}

const seed = [
  `INSERT INTO organizations (id, slug, name, created_at, updated_at) VALUES ('org_1', 'm', 'M Club', 1, 1)`,
  `INSERT INTO staff_users (id, org_id, email, password_hash, role, created_at) VALUES ('stf_1', 'org_1', 'o@m.test', '$pbkdf2$x', 'owner', 1)`,
  `INSERT INTO families (id, org_id, name, primary_guardian_id, created_at, updated_at) VALUES ('fam_1', 'org_1', 'Lee', 'gdn_ann', 1, 1)`,
  `INSERT INTO families (id, org_id, name, primary_guardian_id, created_at, updated_at) VALUES ('fam_2', 'org_1', 'Kim', 'gdn_kay', 1, 1)`,
  // Ann accepted; Bob was invited; Cy has no address; Kay accepted in another family; Dee was revoked after accepting.
  `INSERT INTO guardians (id, org_id, family_id, first_name, last_name, email, phone, access_state, password_hash, accepted_at, can_make_payments, created_at, updated_at)
     VALUES ('gdn_ann', 'org_1', 'fam_1', 'Ann', 'Lee', 'ann@m.test', '+1 555', 'can_log_in', 'hash-ann', 5, 0, 2, 6)`,
  `INSERT INTO guardians (id, org_id, family_id, first_name, last_name, email, access_state, created_at, updated_at)
     VALUES ('gdn_bob', 'org_1', 'fam_1', 'Bob', 'Lee', 'bob@m.test', 'invite_sent', 3, 3)`,
  `INSERT INTO guardians (id, org_id, family_id, first_name, last_name, created_at, updated_at) VALUES ('gdn_cy', 'org_1', 'fam_1', 'Cy', 'Lee', 3, 3)`,
  `INSERT INTO guardians (id, org_id, family_id, first_name, last_name, email, access_state, password_hash, accepted_at, created_at, updated_at)
     VALUES ('gdn_kay', 'org_1', 'fam_2', 'Kay', 'Kim', 'kay@m.test', 'can_log_in', 'hash-kay', 7, 4, 7)`,
  `INSERT INTO guardians (id, org_id, family_id, first_name, last_name, email, access_state, password_hash, accepted_at, created_at, updated_at)
     VALUES ('gdn_dee', 'org_1', 'fam_2', 'Dee', 'Kim', 'dee@m.test', 'invite_revoked', 'hash-dee', 8, 4, 9)`,
  `INSERT INTO sessions (id, org_id, kind, subject_id, created_at, expires_at) VALUES ('ses_1', 'org_1', 'guardian', 'gdn_ann', 1, 99)`,
  `INSERT INTO login_throttle (key, failures, window_started_at) VALUES ('guardian:m:ann@m.test', 2, 1)`,
  `INSERT INTO audit_log (id, org_id, at, actor_kind, actor_label, action, target_kind, target_id, family_id, target_label)
     VALUES ('aud_1', 'org_1', 1, 'staff', 'o@m.test', 'invitation_sent', 'guardian', 'gdn_bob', 'fam_1', 'Bob Lee')`,
  `INSERT INTO outbox (id, org_id, kind, payload, created_at) VALUES ('out_1', 'org_1', 'email', '{}', 1)`,
  `INSERT INTO dev_mailbox (id, outbox_id, to_email, subject, text_body, html_body, kind, sent_at) VALUES ('dm_1', 'out_1', 'bob@m.test', 's', 't', 'h', 'invitation', 1)`,
  `INSERT INTO invitations (id, org_id, family_id, guardian_id, token_hash, email, sent_by_kind, sent_by_label, created_at, expires_at)
     VALUES ('inv_1', 'org_1', 'fam_1', 'gdn_bob', 'th1', 'bob@m.test', 'staff', 'o', 1, 99)`,
  `INSERT INTO password_resets (id, org_id, guardian_id, token_hash, created_at, expires_at) VALUES ('rst_1', 'org_1', 'gdn_ann', 'rh1', 1, 99)`,
  `INSERT INTO payment_methods (id, org_id, guardian_id, kind, gateway_kind, gateway_ref, last4, created_at, updated_at)
     VALUES ('pm_1', 'org_1', 'gdn_ann', 'card', 'sandbox', 'tok', '4242', 1, 1)`,
  `INSERT INTO ledger_entries (id, org_id, family_id, kind, amount_cents, description, at, posted_by_kind, posted_by_label, payment_id)
     VALUES ('led_1', 'org_1', 'fam_1', 'payment', 500, 'Payment', 1, 'guardian', 'Ann Lee', 'pay_1')`,
  `INSERT INTO payments (id, org_id, family_id, guardian_id, payment_method_id, amount_cents, idempotency_key, status, created_at, updated_at)
     VALUES ('pay_1', 'org_1', 'fam_1', 'gdn_ann', 'pm_1', 500, 'k1', 'succeeded', 1, 1)`,
  `INSERT INTO sandbox_gateway_calls (id, org_id, operation, idempotency_key, outcome, at) VALUES ('sgc_1', 'org_1', 'charge', 'k1', 'ok', 1)`,
  `INSERT INTO import_jobs (id, org_id, staff_id, staff_email, dry_run, status, total, created_at) VALUES ('imp_1', 'org_1', 'stf_1', 'o@m.test', 0, 'done', 1, 1)`,
  `INSERT INTO import_chunks (job_id, chunk, rows) VALUES ('imp_1', 0, '[]')`,
  `INSERT INTO import_results (job_id, line, contact_id, outcome) VALUES ('imp_1', 2, 'gdn_bob', 'unchanged')`,
];

test('every guardian with a password becomes a person and a membership; every other row is unchanged', async () => {
  await db.batch(migrationStatements(BEFORE).map((s) => db.prepare(s)));
  await db.batch(seed.map((s) => db.prepare(s)));
  const before = await snapshot();
  for (const t of TABLES) assert.ok(before[t].length > 0, `the copy has data in ${t}`);

  await db.batch(migrationStatements(PEOPLE).map((s) => db.prepare(s)));
  const after = await snapshot();

  for (const t of TABLES.filter((t) => t !== 'guardians')) assert.deepEqual(after[t], before[t], t);
  assert.equal(after.guardians.length, before.guardians.length);
  for (const [old, now] of before.guardians.map((g, i) => [g, after.guardians[i]])) {
    const { password_hash, ...kept } = old;
    assert.deepEqual({ ...now, person_id: undefined }, { ...kept, person_id: undefined }, `guardian ${old.id} keeps every field`);
    assert.equal('password_hash' in now, false, 'the password is no longer on the membership');
    if (password_hash === null) {
      assert.equal(now.person_id, null, `${old.id} never accepted: no login yet`);
      continue;
    }
    const person = await db.prepare('SELECT * FROM people WHERE id = ?').bind(now.person_id).first();
    assert.deepEqual(
      [person.org_id, person.email, person.password_hash, person.first_name, person.last_name, person.phone],
      [old.org_id, old.email, password_hash, old.first_name, old.last_name, old.phone],
      `${old.id}'s login`,
    );
  }
  const people = (await db.prepare('SELECT COUNT(*) AS n FROM people').first()).n;
  assert.equal(people, 3, 'Ann, Kay and Dee (revoked, her login kept)');

  // What the new shape allows and refuses.
  await db.prepare(`INSERT INTO guardians (id, org_id, family_id, first_name, last_name, email, created_at, updated_at)
    VALUES ('gdn_ann2', 'org_1', 'fam_2', 'Ann', 'Lee', 'ann@m.test', 9, 9)`).run();
  await assert.rejects(
    db.prepare(`INSERT INTO guardians (id, org_id, family_id, first_name, last_name, email, created_at, updated_at)
      VALUES ('gdn_ann3', 'org_1', 'fam_1', 'Ann', 'Again', 'ann@m.test', 9, 9)`).run(),
    /UNIQUE/,
    'a family lists an address once',
  );
  await assert.rejects(
    db.prepare(`INSERT INTO people (id, org_id, email, first_name, last_name, created_at, updated_at)
      VALUES ('per_x', 'org_1', 'kay@m.test', 'K', 'K', 1, 1)`).run(),
    /UNIQUE/,
    'an address is one login',
  );
});
