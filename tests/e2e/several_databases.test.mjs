// Organizations spread over several D1 databases (API.md, "Several D1 databases (operator)"): each
// works end to end in its own database, the directory says where each lives, new ones are placed
// by the least full database or where `database` pins them, and nothing of one is in another.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPortal, assertError, PLATFORM_TOKEN } from './harness.mjs';

let portal;
/** `east` lives in DB_1 and `west` in DB_2: each a family whose primary and secondary can log in. */
let east;
let west;
before(async () => {
  portal = await startPortal();
  east = await portal.familyWithSecondary('east', { database: 'DB_1' });
  west = await portal.familyWithSecondary('west', { database: 'DB_2' });
});
after(() => portal?.close());

const platform = (method, path, json) => portal.request(method, path, { token: PLATFORM_TOKEN, json });
const newOrg = (slug, extra = {}) => ({
  slug,
  name: `${slug} Swim School`,
  owner_email: `owner@${slug}.test`,
  owner_password: 'owner-password-1',
  ...extra,
});
const count = (db, table, orgId) => db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE org_id = ?`).bind(orgId).first().then((r) => r.n);

test('two organizations on different databases both work end to end: sign-in, account, invitation e-mails through the queue', async () => {
  for (const [slug, f] of [['east', east], ['west', west]]) {
    // familyWithSecondary signed staff in, sent both invitations through the queue, and both accepted.
    const account = await portal.request('GET', `/portal/${slug}/api/account`, { token: f.primary.token });
    assert.equal(account.status, 200, account.text);
    const again = await portal.guardianSignIn(slug, f.secondary.email, f.secondary.password);
    assert.equal((await portal.request('GET', `/portal/${slug}/api/account`, { token: again })).status, 200);
    const family = await portal.request('GET', `/office/${slug}/api/families/${f.family.id}`, { token: f.staff });
    assert.equal(family.status, 200, family.text);
    assert.equal(family.body.guardians.length, 2);
  }
});

test("an organization's rows are only in its own database", async () => {
  const [db1, db2] = [portal.dbs.DB_1, portal.dbs.DB_2];
  for (const table of ['staff_users', 'sessions', 'families', 'guardians', 'invitations', 'audit_log', 'outbox']) {
    assert.ok((await count(db1, table, east.org.id)) > 0, `east's ${table} in DB_1`);
    assert.equal(await count(db2, table, east.org.id), 0, `none of east's ${table} in DB_2`);
    assert.ok((await count(db2, table, west.org.id)) > 0, `west's ${table} in DB_2`);
    assert.equal(await count(db1, table, west.org.id), 0, `none of west's ${table} in DB_1`);
  }
  assert.equal((await db1.prepare("SELECT COUNT(*) AS n FROM organizations WHERE slug = 'west'").first()).n, 0);
  assert.equal((await db2.prepare("SELECT COUNT(*) AS n FROM organizations WHERE slug = 'east'").first()).n, 0);
});

test("another organization's ids and sessions stay refused across databases", async () => {
  // West's staff asking for east's family (which is in another database): 404, as within one.
  assertError(await portal.request('GET', `/office/west/api/families/${east.family.id}`, { token: west.staff }), 404, 'family_not_found');
  assertError(
    await portal.request('POST', `/portal/west/api/guardians/${east.secondary.id}/revoke`, { token: west.primary.token, json: { reason: 'x' } }),
    404,
    'guardian_not_found',
  );
  // A session of east used at west: refused, and east's session still works at east.
  assertError(await portal.request('GET', '/portal/west/api/account', { token: east.primary.token }), 401, 'invalid_session');
  assertError(await portal.request('GET', '/office/west/api/families', { token: east.staff }), 401, 'invalid_session');
  assert.equal((await portal.request('GET', '/portal/east/api/account', { token: east.primary.token })).status, 200);
  // An organization no database holds: the same 404 as ever.
  assertError(await portal.request('GET', '/portal/nowhere/api/account'), 404, 'organization_not_found');
});

test('a revoke in one database ends that session at once and leaves the other database alone', async () => {
  const revoked = await portal.request('POST', `/portal/west/api/guardians/${west.secondary.id}/revoke`, {
    token: west.primary.token,
    json: { reason: 'Moved away' },
  });
  assert.equal(revoked.status, 200, revoked.text);
  assertError(await portal.request('GET', '/portal/west/api/account', { token: west.secondary.token }), 401, 'session_ended');
  assert.equal((await portal.request('GET', '/portal/east/api/account', { token: east.secondary.token })).status, 200);
  await portal.waitForMail(west.secondary.email, (m) => m.kind === 'access_revoked');
});

test('the cron sweeps every database: an outbox row that never reached the queue is sent from each', async () => {
  const stalled = (db, id, org, to) =>
    db
      .prepare("INSERT INTO outbox (id, org_id, kind, payload, created_at) VALUES (?, ?, 'email', ?, ?)")
      .bind(id, org.id, JSON.stringify({ kind: 'organization_welcome', to, subject: 'Welcome', text: 'Welcome.', html: '<p>Welcome.</p>' }), Date.now() - 5 * 60_000)
      .run();
  await stalled(portal.dbs.DB_1, 'obx_stalled_east', east.org, 'stalled@east.test');
  await stalled(portal.dbs.DB_2, 'obx_stalled_west', west.org, 'stalled@west.test');
  await portal.triggerCron();
  await portal.waitForMail('stalled@east.test');
  await portal.waitForMail('stalled@west.test');
  const processed = async (db, id) => (await db.prepare('SELECT processed_at FROM outbox WHERE id = ?').bind(id).first()).processed_at;
  await portal.waitFor(async () => (await processed(portal.dbs.DB_1, 'obx_stalled_east')) && (await processed(portal.dbs.DB_2, 'obx_stalled_west')), 'both rows processed in their own databases');
});

test('the platform says where an organization lives', async () => {
  const res = await platform('GET', '/platform/api/organizations/west');
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body, { id: west.org.id, slug: 'west', name: 'west Swim School', database: 'DB_2', moving: false });
  assert.equal((await platform('GET', '/platform/api/organizations/east')).body.database, 'DB_1');
  assertError(await platform('GET', '/platform/api/organizations/nowhere'), 404, 'organization_not_found');
  assertError(await portal.request('GET', '/platform/api/organizations/west'), 401, 'not_authenticated');
  assertError(await portal.request('GET', '/platform/api/organizations/west', { token: 'wrong' }), 401, 'not_authenticated');
});

test('the platform lists every database with its organizations and size', async () => {
  const res = await platform('GET', '/platform/api/databases');
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body.databases.map((d) => d.binding), ['DB_1', 'DB_2']);
  for (const d of res.body.databases) {
    const n = (await portal.dbs[d.binding].prepare('SELECT COUNT(*) AS n FROM organizations').first()).n;
    assert.equal(d.organizations, n, d.binding);
    assert.ok(Number.isInteger(d.approx_bytes) && d.approx_bytes > 0, `${d.binding}: ${d.approx_bytes}`);
  }
  assertError(await portal.request('GET', '/platform/api/databases'), 401, 'not_authenticated');
});

/** Grows `db` by about `bytes` (rows of no organization, in a table no route reads). */
async function grow(db, bytes) {
  const chunk = 'x'.repeat(64 * 1024);
  const statements = Array.from({ length: Math.ceil(bytes / chunk.length) }, (_, i) =>
    db.prepare("INSERT INTO dev_mailbox (id, outbox_id, to_email, subject, text_body, html_body, kind, sent_at) VALUES (?, ?, 'filler@x.test', 'filler', ?, '', 'filler', 0)").bind(`filler_${Date.now()}_${i}`, `filler_${Date.now()}_${i}`, chunk),
  );
  await db.batch(statements);
}

const sizes = async () => Object.fromEntries((await platform('GET', '/platform/api/databases')).body.databases.map((d) => [d.binding, d.approx_bytes]));

test('a new organization goes to the least full database, by bytes', async () => {
  // DB_1 clearly larger: the next organization goes to DB_2.
  let before = await sizes();
  await grow(portal.dbs.DB_1, before.DB_2 - before.DB_1 + 1024 * 1024);
  before = await sizes();
  assert.ok(before.DB_1 > before.DB_2, JSON.stringify(before));
  assert.equal((await platform('POST', '/platform/api/organizations', newOrg('placed-small'))).status, 201);
  assert.equal((await platform('GET', '/platform/api/organizations/placed-small')).body.database, 'DB_2');
  // Now DB_2 clearly larger: the next goes to DB_1.
  before = await sizes();
  await grow(portal.dbs.DB_2, before.DB_1 - before.DB_2 + 1024 * 1024);
  assert.equal((await platform('POST', '/platform/api/organizations', newOrg('placed-other'))).status, 201);
  assert.equal((await platform('GET', '/platform/api/organizations/placed-other')).body.database, 'DB_1');
  // It works there like any other.
  const staff = await portal.staffSignIn('placed-other', 'owner@placed-other.test', 'owner-password-1');
  assert.equal((await portal.request('GET', '/office/placed-other/api/families', { token: staff })).status, 200);
});

test('`database` pins the database, whichever is fuller; an unknown one is a 422 and claims nothing', async () => {
  const sized = await sizes();
  const fuller = sized.DB_1 >= sized.DB_2 ? 'DB_1' : 'DB_2';
  assert.equal((await platform('POST', '/platform/api/organizations', newOrg('pinned', { database: fuller }))).status, 201);
  assert.equal((await platform('GET', '/platform/api/organizations/pinned')).body.database, fuller);

  for (const database of ['DB_3', 'DB', 'db_1', '']) {
    const res = await platform('POST', '/platform/api/organizations', newOrg('misplaced', { database }));
    assertError(res, 422, 'invalid_field');
    assert.equal(res.body.error.field, 'database', database);
  }
  assert.equal(await portal.countEverywhere("SELECT COUNT(*) AS n FROM organizations WHERE slug = 'misplaced'"), 0);
  assertError(await platform('GET', '/platform/api/organizations/misplaced'), 404, 'organization_not_found');
  // The slug is free after all: created now, it works.
  assert.equal((await platform('POST', '/platform/api/organizations', newOrg('misplaced', { database: 'DB_2' }))).status, 201);
});

test('a slug is unique across databases: taken in one, it is a 409 in another and nothing is written there', async () => {
  assert.equal((await platform('POST', '/platform/api/organizations', newOrg('once', { database: 'DB_1' }))).status, 201);
  const res = await platform('POST', '/platform/api/organizations', newOrg('once', { database: 'DB_2', owner_email: 'other@once.test' }));
  assertError(res, 409, 'slug_taken');
  assert.equal(await portal.countEverywhere("SELECT COUNT(*) AS n FROM staff_users WHERE email = 'other@once.test'"), 0);
  assert.equal((await portal.dbs.DB_2.prepare("SELECT COUNT(*) AS n FROM organizations WHERE slug = 'once'").first()).n, 0);
});

test('a creation that claimed its slug but did not finish is taken up again, in the database it claimed', async () => {
  // What a creation leaves when it stops between the directory's claim and the organization's batch.
  await portal.directory
    .prepare("INSERT INTO organizations_directory (slug, database, created_at) VALUES ('resumed', 'DB_2', ?)")
    .bind(Date.now())
    .run();
  assertError(await platform('GET', '/platform/api/organizations/resumed'), 404, 'organization_not_found');
  const res = await platform('POST', '/platform/api/organizations', newOrg('resumed', { database: 'DB_1' }));
  assert.equal(res.status, 201, res.text);
  const placed = await platform('GET', '/platform/api/organizations/resumed');
  assert.deepEqual([placed.body.id, placed.body.database], [res.body.id, 'DB_2']);
  const row = await portal.directory.prepare("SELECT org_id FROM organizations_directory WHERE slug = 'resumed'").first();
  assert.equal(row.org_id, res.body.id);
  await portal.waitForMail('owner@resumed.test', (m) => m.kind === 'organization_welcome');
});
