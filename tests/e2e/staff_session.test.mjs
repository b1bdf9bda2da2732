import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { startPortal, assertError, signJwt, decodeJwt } from './harness.mjs';

let portal;
let org;
before(async () => {
  portal = await startPortal();
  org = await portal.createOrganization('splash');
  await portal.createOrganization('rival');
});
after(() => portal.close());

const signIn = (email, password, slug = 'splash', headers = {}) =>
  portal.request('POST', `/office/${slug}/api/session`, { json: { email, password }, headers });

test('staff sign in with e-mail and password and get a token and a secure cookie', async () => {
  const res = await signIn('Owner@Splash.test', 'owner-password-1');
  assert.equal(res.status, 200);
  assert.equal(res.body.staff.email, 'owner@splash.test');
  assert.equal(res.body.staff.role, 'owner');
  assert.match(res.body.staff.id, /^stf_/);
  const claims = decodeJwt(res.body.token);
  assert.equal(claims.kind, 'staff');
  assert.ok(claims.exp > claims.iat);
  const cookie = res.headers.get('set-cookie');
  assert.match(cookie, /^office_session=/);
  for (const attr of ['HttpOnly', 'Secure', 'SameSite=Lax', 'Path=/office/splash']) assert.ok(cookie.includes(attr), attr);
  const viaCookie = await portal.request('GET', '/office/splash/api/settings/customer-portal', {
    headers: { cookie: `office_session=${res.body.token}` },
  });
  assert.equal(viaCookie.status, 200);
});

test('a wrong password and an unknown e-mail get the same 401', async () => {
  const wrong = await signIn('owner@splash.test', 'not-the-password', 'splash', { 'cf-connecting-ip': '10.0.0.1' });
  assertError(wrong, 401, 'invalid_credentials');
  const unknown = await signIn('nobody@splash.test', 'not-the-password', 'splash', { 'cf-connecting-ip': '10.0.0.1' });
  assertError(unknown, 401, 'invalid_credentials');
  assert.equal(wrong.body.error.message, unknown.body.error.message);
  assertError(await signIn('owner@splash.test', 'owner-password-1', 'no-such-org'), 401, 'invalid_credentials');
});

test('repeated failed sign-ins are throttled with 429, even with the right password afterwards', async () => {
  await portal.createOrganization('locked');
  const ip = { 'cf-connecting-ip': '10.0.0.2' };
  for (let i = 0; i < 5; i++) assertError(await signIn('owner@locked.test', `wrong-password-${i}`, 'locked', ip), 401, 'invalid_credentials');
  const locked = await signIn('owner@locked.test', 'owner-password-1', 'locked', ip);
  assertError(locked, 429, 'too_many_attempts');
  assert.ok(Number(locked.headers.get('retry-after')) > 800);
  // Another account from another address is not affected.
  assert.equal((await signIn('owner@splash.test', 'owner-password-1', 'splash', { 'cf-connecting-ip': '10.0.0.3' })).status, 200);
});

test('a burst of parallel wrong passwords gets at most five password checks per account', async () => {
  await portal.createOrganization('burst');
  for (let burst = 0; burst < 3; burst++) {
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        signIn('owner@burst.test', `wrong-${burst}-${i}`, 'burst', { 'cf-connecting-ip': `10.9.${burst}.${i}` }),
      ),
    );
    const checked = answers.filter((a) => a.status === 401).length;
    const throttled = answers.filter((a) => a.status === 429).length;
    assert.equal(checked + throttled, 40, `burst ${burst}: only 401 and 429`);
    assert.ok(checked <= (burst === 0 ? 5 : 0), `burst ${burst}: ${checked} passwords checked`);
  }
  // The address throttle holds in a burst too: 40 accounts from one address, at most 30 checks.
  const ip = { 'cf-connecting-ip': '10.8.0.1' };
  const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => signIn(`nobody${i}@splash.test`, 'wrong-password', 'splash', ip)));
  assert.ok(answers.filter((a) => a.status === 401).length <= 30);
  assert.ok(answers.some((a) => a.status === 429));
});

test('a successful sign-in gives its attempt back to the address', async () => {
  await portal.createOrganization('office-nat');
  const ip = { 'cf-connecting-ip': '10.7.0.1' };
  for (let i = 0; i < 35; i++) {
    assert.equal((await signIn('owner@office-nat.test', 'owner-password-1', 'office-nat', ip)).status, 200, `sign-in ${i}`);
  }
});

test('requests without a token, with a tampered token or with another key are 401', async () => {
  const token = await portal.staffSignIn('splash', org.owner_email, org.owner_password);
  const path = '/office/splash/api/settings/customer-portal';
  assertError(await portal.request('GET', path), 401, 'not_authenticated');
  const [h, , s] = token.split('.');
  const claims = decodeJwt(token);
  const forgedBody = Buffer.from(JSON.stringify({ ...claims, sid: 'ses_other' })).toString('base64url');
  assertError(await portal.request('GET', path, { token: `${h}.${forgedBody}.${s}` }), 401, 'invalid_session');
  assertError(await portal.request('GET', path, { token: signJwt(claims, 'another-secret'.padEnd(80, 'y')) }), 401, 'invalid_session');
  assertError(await portal.request('GET', path, { token: 'garbage' }), 401, 'invalid_session');
});

test('an expired token is refused', async () => {
  const token = await portal.staffSignIn('splash', org.owner_email, org.owner_password);
  const claims = decodeJwt(token);
  const past = Math.floor(Date.now() / 1000) - 3600;
  const expired = signJwt({ ...claims, iat: past - 60, exp: past });
  assertError(await portal.request('GET', '/office/splash/api/settings/customer-portal', { token: expired }), 401, 'session_expired');
});

test('signing out ends the session at once', async () => {
  const token = await portal.staffSignIn('splash', org.owner_email, org.owner_password);
  const path = '/office/splash/api/settings/customer-portal';
  assert.equal((await portal.request('GET', path, { token })).status, 200);
  const out = await portal.request('DELETE', '/office/splash/api/session', { token });
  assert.equal(out.status, 204);
  assert.match(out.headers.get('set-cookie'), /Max-Age=0/);
  assertError(await portal.request('GET', path, { token }), 401, 'session_ended');
});

test('a session ended in D1 is refused on the very next request, though its JWT is still valid', async () => {
  const token = await portal.staffSignIn('splash', org.owner_email, org.owner_password);
  const path = '/office/splash/api/settings/customer-portal';
  assert.equal((await portal.request('GET', path, { token })).status, 200);
  await portal.dbOf('splash').prepare('UPDATE sessions SET ended_at = 1 WHERE id = ?').bind(decodeJwt(token).sid).run();
  assertError(await portal.request('GET', path, { token }), 401, 'session_ended');
});

test("another organization's token is refused", async () => {
  const rivalToken = await portal.staffSignIn('rival', 'owner@rival.test', 'owner-password-1');
  assertError(await portal.request('GET', '/office/splash/api/settings/customer-portal', { token: rivalToken }), 401, 'invalid_session');
  assertError(
    await portal.request('PUT', '/office/splash/api/settings/customer-portal', { token: rivalToken, json: { enabled: false } }),
    401,
    'invalid_session',
  );
  const org = await portal.dbOf('splash').prepare("SELECT portal_enabled FROM organizations WHERE slug = 'splash'").first();
  assert.equal(org.portal_enabled, 1);
});

test('sign-in input errors are clear', async () => {
  assertError(
    await portal.request('POST', '/office/splash/api/session', { body: 'email=a', headers: { 'content-type': 'application/json' } }),
    400,
    'malformed_json',
  );
  assertError(await portal.request('POST', '/office/splash/api/session', { json: { email: 'owner@splash.test' } }), 422, 'invalid_field');
  assertError(await portal.request('POST', '/office/splash/api/session', { json: { email: 5, password: 'x' } }), 422, 'invalid_field');
});

/** A hash as the Worker stores it: PBKDF2-HMAC-SHA256 chained `rounds` times, in PHC form. */
function phcHash(password, iterations, rounds) {
  const salt = randomBytes(16);
  let key = Buffer.from(password);
  for (let i = 0; i < rounds; i++) key = pbkdf2Sync(key, salt, iterations, 32, 'sha256');
  const b64 = (b) => b.toString('base64').replace(/=+$/, '');
  return `$pbkdf2-sha256$i=${iterations},r=${rounds}$${b64(salt)}$${b64(key)}`;
}

test('a password hashed at another cost still signs in, and is rehashed at the deployment cost', async () => {
  const made = await portal.createOrganization('rehash');
  const old = phcHash('owner-password-1', 50_000, 2);
  await portal.dbOf('rehash').prepare('UPDATE staff_users SET password_hash = ?1 WHERE email = ?2').bind(old, made.owner_email).run();
  const res = await signIn(made.owner_email, 'owner-password-1', 'rehash');
  assert.equal(res.status, 200);
  const row = await portal.dbOf('rehash').prepare('SELECT password_hash FROM staff_users WHERE email = ?1').bind(made.owner_email).first();
  assert.match(row.password_hash, /^\$pbkdf2-sha256\$i=100000,r=6\$/);
  assert.notEqual(row.password_hash, old);
  // The new hash works, and a wrong password against it still fails.
  assert.equal((await signIn(made.owner_email, 'owner-password-1', 'rehash')).status, 200);
  assertError(await signIn(made.owner_email, 'wrong-password-1', 'rehash'), 401, 'invalid_credentials');
});

test('PASSWORD_ITERATIONS sets the cost of new hashes', async () => {
  const cheap = await startPortal({ bindings: { PASSWORD_ITERATIONS: '50000' } });
  try {
    const made = await cheap.createOrganization('cheap');
    const row = await cheap.dbOf('cheap').prepare('SELECT password_hash FROM staff_users WHERE email = ?1').bind(made.owner_email).first();
    assert.match(row.password_hash, /^\$pbkdf2-sha256\$i=50000,r=1\$/);
    assert.equal((await cheap.request('POST', '/office/cheap/api/session', { json: { email: made.owner_email, password: made.owner_password } })).status, 200);
  } finally {
    await cheap.close();
  }
});
