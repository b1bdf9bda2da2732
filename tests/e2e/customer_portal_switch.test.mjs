import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { startPortal, assertError } from './harness.mjs';

const UNAVAILABLE = 'Our Customer Portal is currently unavailable. Please check back later.';
const USING = 'You are currently using the Customer Portal.';
const NOT_USING = 'You are currently NOT using the Customer Portal.';

let portal;
let token;
before(async () => {
  portal = await startPortal();
  const org = await portal.createOrganization('splash');
  token = await portal.staffSignIn('splash', org.owner_email, org.owner_password);
});
after(() => portal.close());

const setting = '/office/splash/api/settings/customer-portal';
const setPortal = (enabled, t = token) => portal.request('PUT', setting, { token: t, json: { enabled } });

/** A staff user with the plain `staff` role, hashed the way the worker hashes (chained PBKDF2). */
async function addStaffUser(email, password, role) {
  const salt = randomBytes(16);
  let key = Buffer.from(password);
  for (let i = 0; i < 6; i++) key = pbkdf2Sync(key, salt, 100000, 32, 'sha256');
  const hash = `$pbkdf2-sha256$i=100000,r=6$${salt.toString('base64').replace(/=+$/, '')}$${key.toString('base64').replace(/=+$/, '')}`;
  const org = await portal.dbOf('splash').prepare("SELECT id FROM organizations WHERE slug = 'splash'").first();
  await portal.dbOf('splash')
    .prepare('INSERT INTO staff_users (id, org_id, email, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?, ?)')
    .bind(`stf_${email}`, org.id, email, hash, role, Date.now())
    .run();
  return portal.staffSignIn('splash', email, password);
}

test('the settings read-out says the portal is in use', async () => {
  const res = await portal.request('GET', setting, { token });
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { enabled: true, status_message: USING });
});

test('the portal entry page is a real sign-in page while enabled', async () => {
  const res = await portal.request('GET', '/portal/splash');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /text\/html/);
  assert.match(res.text, /<form id="sign-in"/);
  assert.match(res.text, /type="password"/);
  assert.match(res.headers.get('content-security-policy'), /frame-ancestors 'none'/);
});

test('disabling the portal: 503 with the exact message for pages and API, staff unaffected', async () => {
  const off = await setPortal(false);
  assert.equal(off.status, 200);
  assert.deepEqual(off.body, { enabled: false, status_message: NOT_USING });

  const page = await portal.request('GET', '/portal/splash');
  assert.equal(page.status, 503);
  assert.match(page.headers.get('content-type'), /text\/html/);
  assert.ok(page.text.includes(UNAVAILABLE));
  const deeper = await portal.request('GET', '/portal/splash/account');
  assert.equal(deeper.status, 503);

  for (const [method, path] of [
    ['POST', '/portal/splash/api/session'],
    ['GET', '/portal/splash/api/account'],
    ['POST', '/portal/splash/api/payments'],
  ]) {
    const res = await portal.request(method, path, { json: {} });
    assertError(res, 503, 'portal_unavailable');
    assert.equal(res.body.error.message, UNAVAILABLE);
  }

  const staff = await portal.request('GET', setting, { token });
  assert.deepEqual(staff.body, { enabled: false, status_message: NOT_USING });
  assert.equal((await portal.request('POST', '/office/splash/api/session', { json: { email: 'owner@splash.test', password: 'owner-password-1' } })).status, 200);
});

test('D1 is the truth and KV mirrors it for the edge', async () => {
  const org = await portal.dbOf('splash').prepare("SELECT portal_enabled FROM organizations WHERE slug = 'splash'").first();
  assert.equal(org.portal_enabled, 0);
  assert.equal(await portal.kv.get('portal-switch:splash'), 'off');
});

test('disabling ends every customer session (the session epoch rises) and tells the owner', async () => {
  const org = await portal.dbOf('splash').prepare("SELECT customer_session_epoch FROM organizations WHERE slug = 'splash'").first();
  assert.equal(org.customer_session_epoch, 1);
  const [mail] = await portal.waitForMail('owner@splash.test', (m) => m.kind === 'customer_portal_switched');
  assert.match(mail.subject, /is off/);
  assert.ok(mail.text.includes(UNAVAILABLE));
});

test('setting the same value again changes nothing: no audit entry, no e-mail, no new epoch', async () => {
  const before = await portal.dbOf('splash').prepare("SELECT COUNT(*) AS n FROM audit_log WHERE action LIKE 'customer_portal_%'").first();
  const res = await setPortal(false);
  assert.equal(res.status, 200);
  const afterCount = await portal.dbOf('splash').prepare("SELECT COUNT(*) AS n FROM audit_log WHERE action LIKE 'customer_portal_%'").first();
  assert.equal(afterCount.n, before.n);
  const org = await portal.dbOf('splash').prepare("SELECT customer_session_epoch FROM organizations WHERE slug = 'splash'").first();
  assert.equal(org.customer_session_epoch, 1);
  const outbox = await portal.dbOf('splash').prepare("SELECT COUNT(*) AS n FROM outbox WHERE payload LIKE '%customer_portal_switched%'").first();
  assert.equal(outbox.n, 1);
});

test('re-enabling opens the portal again and is audited with the staff member', async () => {
  const on = await setPortal(true);
  assert.deepEqual(on.body, { enabled: true, status_message: USING });
  assert.equal((await portal.request('GET', '/portal/splash')).status, 200);
  const audit = await portal.dbOf('splash')
    .prepare("SELECT action, actor_kind, actor_label FROM audit_log WHERE action LIKE 'customer_portal_%' ORDER BY at, rowid")
    .all();
  assert.deepEqual(
    audit.results.map((a) => [a.action, a.actor_kind, a.actor_label]),
    [
      ['customer_portal_disabled', 'staff', 'owner@splash.test'],
      ['customer_portal_enabled', 'staff', 'owner@splash.test'],
    ],
  );
  const org = await portal.dbOf('splash').prepare("SELECT customer_session_epoch FROM organizations WHERE slug = 'splash'").first();
  assert.equal(org.customer_session_epoch, 1, 're-enabling does not revive ended sessions');
});

test('two staff members flipping the switch at once write one change', async () => {
  await portal.dbOf('splash').prepare("DELETE FROM audit_log WHERE action LIKE 'customer_portal_%'").run();
  const results = await Promise.all([setPortal(false), setPortal(false), setPortal(false)]);
  for (const r of results) assert.equal(r.body.enabled, false);
  const audit = await portal.dbOf('splash').prepare("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'customer_portal_disabled'").first();
  assert.equal(audit.n, 1);
  await setPortal(true);
});

test('only owners and admins may flip the switch; staff may read it', async () => {
  const staffToken = await addStaffUser('desk@splash.test', 'desk-password-1', 'staff');
  assert.equal((await portal.request('GET', setting, { token: staffToken })).status, 200);
  assertError(await setPortal(false, staffToken), 403, 'owner_or_admin_required');
  const adminToken = await addStaffUser('admin@splash.test', 'admin-password-1', 'admin');
  assert.equal((await setPortal(false, adminToken)).body.enabled, false);
  assert.equal((await setPortal(true, adminToken)).body.enabled, true);
});

test('an unknown organization is 404 for pages and API', async () => {
  const page = await portal.request('GET', '/portal/nowhere');
  assert.equal(page.status, 404);
  assert.match(page.headers.get('content-type'), /text\/html/);
  assertError(await portal.request('GET', '/portal/nowhere/api/account'), 404, 'organization_not_found');
});

test('switch input errors are clear', async () => {
  assertError(await portal.request('PUT', setting, { token, json: { enabled: 'no' } }), 422, 'invalid_field');
  assertError(await portal.request('PUT', setting, { token, json: {} }), 422, 'invalid_field');
  assertError(await portal.request('PUT', setting, { token, body: '{', headers: { 'content-type': 'application/json' } }), 400, 'malformed_json');
  assertError(await portal.request('PUT', setting, { json: { enabled: false } }), 401, 'not_authenticated');
});
