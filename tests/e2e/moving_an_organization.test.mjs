// Moving an organization to another database (API.md, "Several D1 databases (operator)"): every
// table copied, verified and deleted from the old database; writes refused while it moves and none
// lost; a failed move leaves the organization where it was and can be run again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPortal, assertError, PLATFORM_TOKEN } from './harness.mjs';
import { directoryRows } from '../../scripts/upgrade-to-several-databases.mjs';

// Long enough for the http isolate's 5 s memory of the directory (Miniflare's KV is immediate).
const SETTLE_SECONDS = 6;

let portal;
before(async () => {
  portal = await startPortal({ bindings: { DIRECTORY_SETTLE_SECONDS: String(SETTLE_SECONDS) } });
});
after(() => portal?.close());

const platform = (method, path, json) => portal.request(method, path, { token: PLATFORM_TOKEN, json });
const other = (database) => (database === 'DB_1' ? 'DB_2' : 'DB_1');

/** How the test finds an organization's rows of each table (the Rust list's twin). */
const OWNED = {
  organizations: ['id = ?1', 'id'],
  login_throttle: ["(key GLOB 'staff:' || ?2 || ':*' OR key GLOB 'guardian:' || ?2 || ':*' OR key GLOB 'addr:staff:' || ?2 || ':*' OR key GLOB 'addr:guardian:' || ?2 || ':*')", 'key'],
  dev_mailbox: ['outbox_id IN (SELECT id FROM outbox WHERE org_id = ?1)', 'id'],
  import_chunks: ['job_id IN (SELECT id FROM import_jobs WHERE org_id = ?1)', 'job_id, chunk'],
  import_results: ['job_id IN (SELECT id FROM import_jobs WHERE org_id = ?1)', 'job_id, line'],
  absence_meetings: ['absence_id IN (SELECT id FROM absences WHERE org_id = ?1)', 'absence_id, class_id, date'],
  refresh_tokens: ['session_id IN (SELECT id FROM sessions WHERE org_id = ?1)', 'token_hash'],
};
const owned = (table) => OWNED[table] ?? ['org_id = ?1', 'id'];

/** Every table of a tenant database, as its schema has them. */
async function tenantTables(db) {
  const rows = (await db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'd1_migrations'").all()).results;
  return rows.map((r) => r.name).sort();
}

/** Every row of organization `org` in `db`, table by table, in key order. */
async function snapshot(db, org) {
  const out = {};
  for (const table of await tenantTables(db)) {
    const [where, key] = owned(table);
    const sql = `SELECT * FROM ${table} WHERE ${where} ORDER BY ${key}`;
    const bound = where.includes('?2') ? [org.id, org.slug] : [org.id];
    out[table] = (await db.prepare(sql).bind(...bound).all()).results;
  }
  return out;
}

const rowsIn = (snap) => Object.values(snap).reduce((n, rows) => n + rows.length, 0);

async function startMove(slug, to) {
  const res = await platform('POST', `/platform/api/organizations/${slug}/move`, { to_database: to });
  assert.equal(res.status, 202, res.text);
  assert.match(res.body.move_id, /^mov_/);
  return res.body.move_id;
}

async function finished(moveId, timeoutMs = 90_000) {
  return portal.waitFor(async () => {
    const res = await platform('GET', `/platform/api/moves/${moveId}`);
    assert.equal(res.status, 200, res.text);
    return ['done', 'failed'].includes(res.body.status) && res.body;
  }, `move ${moveId} to finish`, timeoutMs);
}

/** Waits until the jobs Worker has carried out every outbox row of `orgId` (e-mails change rows). */
const quiet = (db, orgId) =>
  portal.waitFor(
    async () => (await db.prepare('SELECT COUNT(*) AS n FROM outbox WHERE org_id = ? AND processed_at IS NULL AND failed_at IS NULL').bind(orgId).first()).n === 0,
    `the outbox of ${orgId} to be carried out`,
  );

const placement = async (slug) => (await platform('GET', `/platform/api/organizations/${slug}`)).body;

/** Rows in every table that the API does not reach on its own (import chunks, the sandbox, ...). */
async function seedEveryTable(db, org, familyId, guardianId) {
  const o = org.id;
  const now = Date.now();
  const statements = [
    `INSERT INTO login_throttle (key, failures, window_started_at) VALUES ('guardian:${org.slug}:someone@x.test', 2, ${now})`,
    `INSERT INTO people (id, org_id, email, first_name, last_name, created_at, updated_at) VALUES ('per_mv_${o}', '${o}', 'mv-person@x.test', 'Per', 'Son', 1, 1)`,
    `INSERT INTO password_resets (id, org_id, guardian_id, token_hash, created_at, expires_at) VALUES ('rst_mv_${o}', '${o}', '${guardianId}', 'rh_mv_${o}', 1, 99)`,
    `INSERT INTO payment_methods (id, org_id, guardian_id, kind, gateway_kind, gateway_ref, last4, created_at, updated_at) VALUES ('pm_mv_${o}', '${o}', '${guardianId}', 'card', 'sandbox', 'tok_mv', '4242', 1, 1)`,
    `INSERT INTO ledger_entries (id, org_id, family_id, kind, amount_cents, description, at, posted_by_kind, posted_by_label, payment_id) VALUES ('led_mv_${o}', '${o}', '${familyId}', 'payment', 500, 'Payment', 1, 'guardian', 'Ann Lee', 'pay_mv_${o}')`,
    `INSERT INTO payments (id, org_id, family_id, guardian_id, payment_method_id, amount_cents, idempotency_key, status, created_at, updated_at) VALUES ('pay_mv_${o}', '${o}', '${familyId}', '${guardianId}', 'pm_mv_${o}', 500, 'k_mv_${o}', 'succeeded', 1, 1)`,
    `INSERT INTO staff_payments (id, org_id, family_id, method, amount_cents, idempotency_key, status, taken_by_label, created_at, updated_at) VALUES ('spy_mv_${o}', '${o}', '${familyId}', 'cash', 700, 'sk_mv_${o}', 'succeeded', 'Owner', 1, 1)`,
    `INSERT INTO sandbox_gateway_calls (id, org_id, operation, idempotency_key, outcome, at) VALUES ('sgc_mv_${o}', '${o}', 'charge', 'k_mv_${o}', 'ok', 1)`,
    `INSERT INTO import_jobs (id, org_id, staff_id, staff_email, dry_run, status, total, created_at) VALUES ('imp_mv_${o}', '${o}', 'stf_x', 'o@x.test', 1, 'done', 1, 1)`,
    `INSERT INTO import_jobs (id, org_id, staff_id, staff_email, dry_run, status, total, created_at, dry_run_job_id) VALUES ('imp_mv2_${o}', '${o}', 'stf_x', 'o@x.test', 0, 'done', 1, 2, 'imp_mv_${o}')`,
    `INSERT INTO import_chunks (job_id, chunk, rows) VALUES ('imp_mv_${o}', 0, '[]')`,
    `INSERT INTO import_results (job_id, line, contact_id, outcome) VALUES ('imp_mv_${o}', 2, '${guardianId}', 'unchanged')`,
    `INSERT INTO locations (id, org_id, name, created_at) VALUES ('loc_mv_${o}', '${o}', 'Pool', 1)`,
    `INSERT INTO classes (id, org_id, location_id, name, days, start_time, end_time, start_date, end_date, capacity, waitlist, created_at, updated_at) VALUES ('cls_mv_${o}', '${o}', 'loc_mv_${o}', 'Guppies', '["mon"]', '09:00', '10:00', '2026-01-01', '2027-12-31', 10, 1, 1, 1)`,
    `INSERT INTO students (id, org_id, family_id, first_name, last_name, birth_date, created_at, updated_at) VALUES ('stu_mv_${o}', '${o}', '${familyId}', 'Kid', 'Lee', '2018-01-01', 1, 1)`,
    `INSERT INTO enrollments (id, org_id, family_id, student_id, class_id, status, enrolled_at, enrolled_by_kind, enrolled_by_label) VALUES ('enr_mv_${o}', '${o}', '${familyId}', 'stu_mv_${o}', 'cls_mv_${o}', 'active', 1, 'staff', 'Owner')`,
    `INSERT INTO enrollment_requests (id, org_id, family_id, enrollment_id, kind, requested_by_id, requested_by_label, requested_at) VALUES ('erq_mv_${o}', '${o}', '${familyId}', 'enr_mv_${o}', 'drop', '${guardianId}', 'Ann Lee', 1)`,
    `INSERT INTO attendance (id, org_id, class_id, date, student_id, enrollment_id, status, marked_at, marked_by_label) VALUES ('att_mv_${o}', '${o}', 'cls_mv_${o}', '2026-01-05', 'stu_mv_${o}', 'enr_mv_${o}', 'present', 1, 'Owner')`,
    `INSERT INTO absences (id, org_id, student_id, from_at, to_at, reason, first_starts_at, created_at, created_by_label) VALUES ('abs_mv_${o}', '${o}', 'stu_mv_${o}', 1, 2, 'Trip', 1, 1, 'Ann Lee')`,
    `INSERT INTO absence_meetings (absence_id, class_id, date, starts_at) VALUES ('abs_mv_${o}', 'cls_mv_${o}', '2027-01-04', 1)`,
    `INSERT INTO evaluations (id, org_id, student_id, class_id, skills, note, evaluated_at, evaluated_by) VALUES ('evl_mv_${o}', '${o}', 'stu_mv_${o}', 'cls_mv_${o}', '[{"name":"Float","level":"passed"}]', 'Good', 1, 'Owner')`,
    `INSERT INTO passes (id, org_id, family_id, student_id, name, punches_total, punches_used, amount_paid_cents, purchased_at, sold_by_label) VALUES ('pas_mv_${o}', '${o}', '${familyId}', NULL, '10 visits', 10, 1, 9000, 1, 'Owner')`,
    `INSERT INTO contact_addresses (id, org_id, family_id, guardian_id, line1, city, postal_code, country, created_at, updated_at) VALUES ('adr_mv_${o}', '${o}', '${familyId}', NULL, '1 Main St', 'Springfield', '62701', 'US', 1, 1)`,
    `INSERT INTO contact_phones (id, org_id, family_id, guardian_id, number, kind, created_at, updated_at) VALUES ('tel_mv_${o}', '${o}', '${familyId}', '${guardianId}', '+15555550100', 'home', 1, 1)`,
    `INSERT INTO refresh_tokens (token_hash, session_id, created_at) SELECT 'rt_mv_${o}', id, 1 FROM sessions WHERE org_id = '${o}' LIMIT 1`,
    // Changing the login e-mail (issue 26).
    `INSERT INTO email_changes (id, org_id, person_id, guardian_id, session_id, new_email, token_hash, created_at, expires_at) SELECT 'emc_mv_${o}', '${o}', person_id, id, 'ses_mv', 'new@mv.test', 'emc_hash_${o}', 1, 2 FROM guardians WHERE id = '${guardianId}'`,
  ];
  await db.batch(statements.map((s) => db.prepare(s)));
}

test('a move copies every table, verifies it, switches the directory and deletes the old copy; ids and sign-in unchanged, another organization untouched', async () => {
  const f = await portal.familyWithSecondary('mover');
  const from = f.org.database;
  const to = other(from);
  const bystander = await portal.familyWithSecondary('bystander', { database: from });
  const source = portal.dbs[from];
  await seedEveryTable(source, { id: f.org.id, slug: 'mover' }, f.family.id, f.primary.id);
  const org = { id: f.org.id, slug: 'mover' };
  await quiet(source, org.id);
  await quiet(source, bystander.org.id);
  const before = await snapshot(source, org);
  for (const [table, rows] of Object.entries(before)) assert.ok(rows.length > 0, `the organization has rows in ${table}`);
  const bystanderBefore = await snapshot(source, { id: bystander.org.id, slug: 'bystander' });

  const moveId = await startMove('mover', to);
  assert.equal((await placement('mover')).moving, true);
  const move = await finished(moveId);
  assert.equal(move.status, 'done', JSON.stringify(move));
  assert.equal(move.error, undefined);

  // Every table of the schema is in the move's list (a table a migration adds must be listed), with
  // its rows copied and verified and the checksum both sides agreed on.
  assert.deepEqual(move.tables.map((t) => t.name).sort(), await tenantTables(source));
  for (const t of move.tables) {
    assert.equal(t.rows_copied, before[t.name].length, `${t.name} copied`);
    assert.equal(t.rows_verified, before[t.name].length, `${t.name} verified`);
    assert.match(t.checksum, /^[0-9a-f]{16}$/, t.name);
  }

  // The directory, the new database (every row as it was, ids unchanged) and the old one (empty).
  assert.deepEqual(await placement('mover'), { id: org.id, slug: 'mover', name: 'mover Swim School', database: to, moving: false });
  assert.deepEqual(await snapshot(portal.dbs[to], org), before);
  assert.equal(rowsIn(await snapshot(source, org)), 0, 'nothing of the organization is left in the old database');
  assert.deepEqual(await snapshot(source, { id: bystander.org.id, slug: 'bystander' }), bystanderBefore, 'the other organization is untouched');

  // Sessions from before the move still work; signing in works; writes land in the new database.
  assert.equal((await portal.request('GET', '/portal/mover/api/account', { token: f.primary.token })).status, 200);
  assert.equal((await portal.request('GET', `/office/mover/api/families/${f.family.id}`, { token: f.staff })).status, 200);
  const bob = await portal.guardianSignIn('mover', f.secondary.email, f.secondary.password);
  assert.equal((await portal.request('GET', '/portal/mover/api/account', { token: bob })).status, 200);
  const staff = await portal.staffSignIn('mover', f.org.owner_email, f.org.owner_password);
  const family = await portal.createFamily('mover', staff, 'After', { first_name: 'Al', last_name: 'After', email: 'al@mover.test' });
  assert.ok(await portal.dbs[to].prepare('SELECT id FROM families WHERE id = ?').bind(family.id).first());
  // E-mails are sent from the new database.
  const invited = await portal.request('POST', `/office/mover/api/guardians/${family.primary_guardian_id}/invitation`, { token: staff });
  assert.equal(invited.status, 202, invited.text);
  await portal.waitForMail('al@mover.test', (m) => m.kind === 'invitation');
  assert.equal((await portal.request('GET', '/portal/bystander/api/account', { token: bystander.primary.token })).status, 200);
});

test('writes during a move are refused with 503 organization_moving and Retry-After, reads go on, and no answered write is lost', async () => {
  const f = await portal.familyWithSecondary('busy');
  const to = other(f.org.database);
  const created = []; // [kind, id] of every write answered 2xx
  const refused = [];
  let reads = 0;
  let moveId;
  let done = false;
  const write = async (kind, request) => {
    const res = await request();
    if (res.status >= 200 && res.status < 300) created.push([kind, res.body.id]);
    else {
      assertError(res, 503, 'organization_moving');
      assert.ok(Number(res.headers.get('retry-after')) > 0, 'Retry-After');
      refused.push(kind);
    }
  };
  let n = 0;
  const staffLoop = async () => {
    while (!done) {
      n += 1;
      await write('families', () => portal.request('POST', '/office/busy/api/families', {
        token: f.staff,
        json: { name: `Loop ${n}`, primary_guardian: { first_name: 'Lo', last_name: `Op${n}`, email: `loop${n}@busy.test` } },
      }));
    }
  };
  let m = 0;
  const customerLoop = async () => {
    while (!done) {
      m += 1;
      await write('guardians', () => portal.request('POST', '/portal/busy/api/guardians', {
        token: f.primary.token,
        json: { first_name: 'Sec', last_name: `Ond${m}`, email: `sec${m}@busy.test` },
      }));
      const read = await portal.request('GET', '/portal/busy/api/account', { token: f.primary.token });
      assert.equal(read.status, 200, read.text);
      reads += 1;
    }
  };
  const watcher = async () => {
    await sleep(300);
    moveId = await startMove('busy', to);
    const move = await finished(moveId);
    assert.equal(move.status, 'done', JSON.stringify(move));
    await sleep(300); // a few writes after the move
    done = true;
  };
  await Promise.all([staffLoop(), customerLoop(), watcher()]);

  assert.ok(refused.length > 0, 'some writes came during the move');
  assert.ok(created.length > 2, 'writes were answered before and after the move');
  assert.ok(reads > 2);
  const db = portal.dbs[to];
  for (const [table, id] of created) {
    assert.ok(await db.prepare(`SELECT id FROM ${table} WHERE id = ?`).bind(id).first(), `${table} ${id} answered 2xx is in the new database`);
  }
  const old = portal.dbs[f.org.database];
  assert.equal((await old.prepare('SELECT COUNT(*) AS n FROM families WHERE org_id = ?').bind(f.org.id).first()).n, 0);
});

test('a failed move leaves the organization where it was, deletes its partial copy, and can be run again', async () => {
  const f = await portal.familyWithSecondary('fragile');
  const from = f.org.database;
  const to = other(from);
  const org = { id: f.org.id, slug: 'fragile' };
  await quiet(portal.dbs[from], org.id);
  const before = await snapshot(portal.dbs[from], org);
  // The new database refuses this organization's families (as a full or broken database would).
  await portal.dbs[to].prepare(
    `CREATE TRIGGER refuse_fragile BEFORE INSERT ON families WHEN NEW.org_id = '${org.id}' BEGIN SELECT RAISE(ABORT, 'refused'); END`,
  ).run();

  const failed = await finished(await startMove('fragile', to));
  assert.equal(failed.status, 'failed');
  assert.match(failed.error, /families/);
  assert.deepEqual(await placement('fragile'), { id: org.id, slug: 'fragile', name: 'fragile Swim School', database: from, moving: false });
  assert.equal(rowsIn(await snapshot(portal.dbs[to], org)), 0, 'what was copied is deleted');
  assert.deepEqual(await snapshot(portal.dbs[from], org), before, 'the organization is untouched');
  // It works where it is, writes included.
  const staff = await portal.staffSignIn('fragile', f.org.owner_email, f.org.owner_password);
  await portal.createFamily('fragile', staff, 'Still', { first_name: 'St', last_name: 'Ill', email: 'st@fragile.test' });

  await portal.dbs[to].prepare('DROP TRIGGER refuse_fragile').run();
  const again = await finished(await startMove('fragile', to));
  assert.equal(again.status, 'done', JSON.stringify(again));
  assert.equal((await placement('fragile')).database, to);
  assert.equal((await portal.request('GET', '/portal/fragile/api/account', { token: f.primary.token })).status, 200);
});

test('a move needs the operator, a bound database other than its own, and no move already running', async () => {
  const org = await portal.createOrganization('picky');
  const to = other(org.database);
  const move = (slug, json, token = PLATFORM_TOKEN) => portal.request('POST', `/platform/api/organizations/${slug}/move`, { token, json });

  assertError(await move('picky', { to_database: to }, null), 401, 'not_authenticated');
  assertError(await move('picky', { to_database: to }, 'wrong'), 401, 'not_authenticated');
  for (const to_database of ['DB_9', 'db_2', '', org.database]) {
    const res = await move('picky', { to_database });
    assertError(res, 422, 'invalid_field');
    assert.equal(res.body.error.field, 'to_database', to_database);
  }
  assertError(await move('picky', {}), 422, 'invalid_field');
  assertError(await move('nowhere', { to_database: 'DB_1' }), 404, 'organization_not_found');
  assertError(await platform('GET', '/platform/api/moves/mov_unknown'), 404, 'move_not_found');
  assertError(await portal.request('GET', '/platform/api/moves/mov_unknown'), 401, 'not_authenticated');
  assert.equal((await placement('picky')).moving, false, 'nothing refused started a move');

  const moveId = await startMove('picky', to);
  assertError(await move('picky', { to_database: to }), 409, 'organization_moving');
  assertError(await move('picky', { to_database: org.database }), 409, 'organization_moving');
  const staff = await portal.request('POST', '/office/picky/api/session', { json: { email: org.owner_email, password: org.owner_password } });
  assertError(staff, 503, 'organization_moving');
  assert.equal((await finished(moveId)).status, 'done');
  await portal.staffSignIn('picky', org.owner_email, org.owner_password);
});

test('an organization the directory does not know, or whose creation did not finish, is not found, and cannot be moved', async () => {
  // A slug claimed whose creation stopped before its id was recorded.
  await portal.directory.prepare("INSERT INTO organizations_directory (slug, database, created_at) VALUES ('half', 'DB_2', ?)").bind(Date.now()).run();
  assertError(await portal.request('GET', '/portal/half/api/account'), 404, 'organization_not_found');
  assertError(await platform('POST', '/platform/api/organizations/half/move', { to_database: 'DB_1' }), 404, 'organization_not_found');
  // An organization in the first database with no directory row (as before the directory).
  await portal.dbs.DB_1.prepare("INSERT INTO organizations (id, slug, name, created_at, updated_at) VALUES ('org_undirected', 'undirected', 'Undirected', 1, 1)").run();
  assertError(await platform('GET', '/platform/api/organizations/undirected'), 404, 'organization_not_found');
  assertError(await platform('POST', '/platform/api/organizations/undirected/move', { to_database: 'DB_2' }), 404, 'organization_not_found');
  assertError(await portal.request('GET', '/portal/never-made/api/account'), 404, 'organization_not_found');

  // The upgrade script's rows place it in DB_1 (and run twice change nothing).
  const rows = directoryRows([{ id: 'org_undirected', slug: 'undirected', created_at: 1 }, { id: 'org_other', slug: 'half', created_at: 1 }]);
  for (let i = 0; i < 2; i += 1) await portal.directory.batch(rows.map((sql) => portal.directory.prepare(sql)));
  assert.deepEqual(await placement('undirected'), { id: 'org_undirected', slug: 'undirected', name: 'Undirected', database: 'DB_1', moving: false });
  const half = await portal.directory.prepare("SELECT org_id, database FROM organizations_directory WHERE slug = 'half'").first();
  assert.deepEqual(half, { org_id: null, database: 'DB_2' }, 'a row already there is kept');
});

test('a page form post during a move is refused with the 503 page, and the page still reads', async () => {
  const org = await portal.createOrganization('paged');
  const moveId = await startMove('paged', other(org.database));
  const res = await portal.request('POST', '/office/paged', {
    body: new URLSearchParams({ email: org.owner_email, password: org.owner_password }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://portal.test' },
  });
  assert.equal(res.status, 503, res.text);
  assert.ok(Number(res.headers.get('retry-after')) > 0);
  assert.match(res.headers.get('content-type'), /text\/html/);
  assert.equal((await portal.request('GET', '/office/paged')).status, 200);
  const customer = await portal.request('POST', '/portal/paged', {
    body: new URLSearchParams({ email: 'someone@paged.test', password: 'some-password-1' }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://portal.test' },
  });
  assert.equal(customer.status, 503, customer.text);
  assert.doesNotMatch(customer.text, /Customer Portal is currently unavailable/, 'not the switch\'s page');
  assert.match(customer.text, /moving/);
  assert.equal((await portal.request('GET', '/portal/paged')).status, 200);
  assert.equal((await finished(moveId)).status, 'done');
});
