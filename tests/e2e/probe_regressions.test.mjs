// What a probe of the landed code found (issue 29): each test here failed on the code before the
// fix and passes after it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPortal, assertError } from './harness.mjs';

let portal;
let lee; // {staff, family, primary, secondary, org} in 'probe'
before(async () => {
  portal = await startPortal();
  lee = await portal.familyWithSecondary('probe');
});
after(() => portal.close());

const guardianSignIn = (slug, email, password, headers = {}) =>
  portal.request('POST', `/portal/${slug}/api/session`, { json: { email, password }, headers });
const staffSignIn = (slug, email, password, headers = {}) =>
  portal.request('POST', `/office/${slug}/api/session`, { json: { email, password }, headers });

test('a password change ends the sessions of sign-ins that were in flight with the old password', async () => {
  const { email, password } = lee.secondary;
  const fresh = await guardianSignIn('probe', email, password);
  assert.equal(fresh.status, 200);
  let next = 'bob-password-2';
  let current = password;
  let token = fresh.body.token;
  for (let round = 0; round < 4; round++) {
    // Four sign-ins with the current password race the change away from it (a fifth in the same
    // burst would meet the account's lock: five attempts per window).
    const racing = Array.from({ length: 4 }, (_, i) =>
      guardianSignIn('probe', email, current, { 'cf-connecting-ip': `10.29.${round}.${i}` }),
    );
    const change = portal.request('POST', '/portal/probe/api/me/password', {
      token,
      json: { current_password: current, new_password: next },
    });
    const [changed, ...signIns] = await Promise.all([change, ...racing]);
    assert.equal(changed.status, 204, changed.text);
    // After the change, no session issued under the old password may still work.
    for (const s of signIns.filter((s) => s.status === 200)) {
      const account = await portal.request('GET', '/portal/probe/api/account', { token: s.body.token });
      assert.equal(account.status, 401, `round ${round}: a sign-in with the old password still works after the change`);
    }
    const signedIn = await guardianSignIn('probe', email, next, { 'cf-connecting-ip': `10.29.${round}.99` });
    assert.equal(signedIn.status, 200, signedIn.text);
    token = signedIn.body.token;
    [current, next] = [next, `bob-password-${round + 3}`];
  }
  lee.secondary.password = current;
  lee.secondary.token = token;
});

test('failed sign-ins in one organization do not lock the owner of another out from the same address', async () => {
  const other = await portal.createOrganization('neighbour');
  const shared = { 'cf-connecting-ip': '10.29.200.1' };
  // 31 failures for many addresses of 'probe' from one shared address (a gym's Wi-Fi).
  for (let i = 0; i < 31; i++) {
    const res = await guardianSignIn('probe', `guess${i}@probe.test`, 'wrong-password-1', shared);
    assert.ok([401, 429].includes(res.status), res.text);
  }
  const owner = await staffSignIn('neighbour', other.owner_email, other.owner_password, shared);
  assert.equal(owner.status, 200, owner.text);
  const family = await guardianSignIn('neighbour', 'nobody@neighbour.test', 'wrong-password-1', shared);
  assertError(family, 401, 'invalid_credentials');
});

test('a browser that signed in before keeps signing in with the right password while its address is locked', async () => {
  await portal.createOrganization('cafe');
  const shared = { 'cf-connecting-ip': '10.29.201.1' };
  const staff = await staffSignIn('cafe', 'owner@cafe.test', 'owner-password-1', shared);
  assert.equal(staff.status, 200);
  const device = (staff.headers.getSetCookie?.() ?? [staff.headers.get('set-cookie')])
    .map((c) => c.split(';')[0])
    .find((c) => c.startsWith('office_device='));
  assert.ok(device, 'a successful sign-in leaves a device cookie');
  for (let i = 0; i < 31; i++) await staffSignIn('cafe', `guess${i}@cafe.test`, 'wrong-password-1', shared);
  assertError(await staffSignIn('cafe', 'owner@cafe.test', 'owner-password-1', shared), 429, 'too_many_attempts');
  const again = await staffSignIn('cafe', 'owner@cafe.test', 'owner-password-1', { ...shared, cookie: device });
  assert.equal(again.status, 200, again.text);
});

test('a foreign text/plain post to the JSON sign-in routes sets no cookie (login CSRF)', async () => {
  const foreign = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', 'content-type': 'text/plain' };
  const body = JSON.stringify({ email: lee.primary.email, password: lee.primary.password });
  for (const path of ['/portal/probe/api/session', '/office/probe/api/session']) {
    const res = await portal.request('POST', path, { body, headers: foreign });
    assert.ok([403, 415].includes(res.status), `${path}: ${res.status} ${res.text}`);
    assert.equal(res.headers.get('set-cookie'), null, path);
  }
  const plain = await portal.request('POST', '/portal/probe/api/session', { body, headers: { 'content-type': 'text/plain' } });
  assertError(plain, 415, 'unsupported_media_type');
  // A bearer client declaring JSON still signs in.
  assert.equal((await guardianSignIn('probe', lee.primary.email, lee.primary.password)).status, 200);
});

test('a dry_run flag that is not exactly true or false is refused, never a real revoke', async () => {
  const { staff, primary, secondary } = lee;
  for (const flag of ['True', 'on', 'TRUE', 't', 'null', '']) {
    const office = await portal.request('POST', `/office/probe/api/guardians/${secondary.id}/revoke-login?dry_run=${flag}`, {
      token: staff,
      json: { reason: 'probe' },
    });
    assertError(office, 422, 'invalid_field');
    const family = await portal.request('POST', `/portal/probe/api/guardians/${secondary.id}/revoke?dry_run=${flag}`, {
      token: primary.token,
      json: {},
    });
    assertError(family, 422, 'invalid_field');
  }
  const account = await portal.request('GET', '/portal/probe/api/account', { token: primary.token });
  const bob = account.body.guardians.find((g) => g.id === secondary.id);
  assert.equal(bob.access_status, 'can_log_in');
  const preview = await portal.request('POST', `/portal/probe/api/guardians/${secondary.id}/revoke?dry_run=true`, {
    token: primary.token,
    json: {},
  });
  assert.equal(preview.status, 200, preview.text);
});

test('human-entered names refuse invisible and control characters; dates are checked', async () => {
  const { staff } = lee;
  for (const name of ['\u200B', '\u202Egnp.exe', 'Pool\u0000', '   ']) {
    const res = await portal.request('POST', '/office/probe/api/locations', { token: staff, json: { name } });
    assertError(res, 422, 'invalid_field');
  }
  const loc = await portal.request('POST', '/office/probe/api/locations', { token: staff, json: { name: 'Main Pool' } });
  assert.equal(loc.status, 201, loc.text);
  const ancient = await portal.request('POST', '/office/probe/api/classes', {
    token: staff,
    json: {
      name: 'Old',
      location_id: loc.body.id,
      days: ['mon'],
      start_time: '09:00',
      end_time: '10:00',
      start_date: '0001-01-01',
      end_date: '2027-01-01',
      capacity: 5,
      waitlist: false,
    },
  });
  assertError(ancient, 422, 'invalid_field');
  const ledger = await portal.request('POST', `/office/probe/api/families/${lee.family.id}/ledger`, {
    token: staff,
    json: { kind: 'charge', amount_cents: 100, description: 'Term\u0085fee' },
  });
  assertError(ledger, 422, 'invalid_field');
  const history = await portal.request('GET', '/portal/probe/api/transactions?from=2026-02-30', { token: lee.primary.token });
  assertError(history, 422, 'invalid_field');
});

test('a PATCH of a class changes only what it names', async () => {
  const { staff } = lee;
  const loc = await portal.request('POST', '/office/probe/api/locations', { token: staff, json: { name: 'Patch Pool' } });
  const cls = await portal.request('POST', '/office/probe/api/classes', {
    token: staff,
    json: {
      name: 'Guppies',
      location_id: loc.body.id,
      days: ['tue'],
      start_time: '09:00',
      end_time: '10:00',
      start_date: '2026-01-05',
      end_date: '2027-06-01',
      capacity: 5,
      waitlist: false,
    },
  });
  assert.equal(cls.status, 201, cls.text);
  const patched = await portal.request('PATCH', `/office/probe/api/classes/${cls.body.id}`, { token: staff, json: { capacity: 8 } });
  assert.equal(patched.status, 200, patched.text);
  assert.equal(patched.body.capacity, 8);
  assert.equal(patched.body.name, 'Guppies');
});
