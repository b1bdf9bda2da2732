// The Mobile App's long sign-in: a 15-minute access token and a single-use refresh token, stored
// hashed; a spent one used again ends the whole sign-in; every way access ends refuses the next
// refresh at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startPortal, assertError, decodeJwt } from './harness.mjs';
import { samInNorthAndSouth, SAFARI_IPHONE } from './sign_ins_fixtures.mjs';

let portal;
before(async () => {
  portal = await startPortal();
});
after(() => portal.close());

const api = (slug) => `/portal/${slug}/api`;

async function appSignIn(slug, email, password, extra = {}) {
  const res = await portal.request('POST', `${api(slug)}/session`, {
    json: { email, password, client: 'app', ...extra },
    headers: { 'user-agent': SAFARI_IPHONE },
  });
  assert.equal(res.status, 200, res.text);
  return res;
}

const refresh = (slug, refresh_token) => portal.request('POST', `${api(slug)}/session/refresh`, { json: { refresh_token } });

test('the app gets a 15-minute access token and a refresh token stored only as its hash; no cookie', async () => {
  const { primary } = await portal.familyWithSecondary('app');
  const res = await appSignIn('app', primary.email, primary.password);
  assert.equal(res.body.expires_in, 900);
  assert.match(res.body.refresh_token, /^[A-Za-z0-9_-]{43}$/);
  const claims = decodeJwt(res.body.token);
  assert.equal(claims.exp - claims.iat, 900, 'the access token lives 15 minutes');
  assert.equal(res.headers.get('set-cookie'), null);
  assert.equal(res.body.family_id, (await portal.request('GET', `${api('app')}/account`, { token: res.body.token })).body.family.id);

  const db = portal.dbOf('app');
  const rows = (await db.prepare('SELECT token_hash, spent_at FROM refresh_tokens').all()).results;
  assert.equal(rows.length, 1);
  assert.equal(rows[0].token_hash, createHash('sha256').update(res.body.refresh_token).digest('hex'));
  assert.equal(rows[0].spent_at, null);

  // The list of signed-in devices calls it the Mobile App.
  const listed = await portal.request('GET', `${api('app')}/me/sessions`, { token: res.body.token });
  assert.equal(listed.body.sessions.find((s) => s.current).device, 'Mobile App');

  // A browser sign-in gets neither.
  const browser = await portal.request('POST', `${api('app')}/session`, { json: { email: primary.email, password: primary.password } });
  assert.equal(browser.body.refresh_token, undefined);
  assert.equal(browser.body.expires_in, undefined);
  const long = decodeJwt(browser.body.token);
  assert.ok(long.exp - long.iat > 24 * 3600);
});

test('a refresh rotates: a new pair, the old refresh token spent, the sign-in kept', async () => {
  const { primary } = await portal.familyWithSecondary('rotate');
  const first = (await appSignIn('rotate', primary.email, primary.password)).body;
  const res = await refresh('rotate', first.refresh_token);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(Object.keys(res.body).sort(), ['expires_in', 'refresh_token', 'token']);
  assert.equal(res.body.expires_in, 900);
  assert.notEqual(res.body.refresh_token, first.refresh_token);
  const claims = decodeJwt(res.body.token);
  assert.equal(claims.exp - claims.iat, 900);
  assert.equal(claims.sid, decodeJwt(first.token).sid, 'the same sign-in');
  assert.equal((await portal.request('GET', `${api('rotate')}/account`, { token: res.body.token })).status, 200);

  const again = await refresh('rotate', res.body.refresh_token);
  assert.equal(again.status, 200, again.text);
  const db = portal.dbOf('rotate');
  const spent = (await db.prepare('SELECT COUNT(*) AS n FROM refresh_tokens WHERE spent_at IS NOT NULL').first()).n;
  assert.equal(spent, 2);
});

test('a spent refresh token used again ends the sign-in and every token made from it', async () => {
  const { primary } = await portal.familyWithSecondary('reuse');
  const first = (await appSignIn('reuse', primary.email, primary.password)).body;
  const second = (await refresh('reuse', first.refresh_token)).body;
  const other = (await appSignIn('reuse', primary.email, primary.password)).body;

  const stolen = await refresh('reuse', first.refresh_token);
  assertError(stolen, 401, 'refresh_token_reused');
  assertError(await refresh('reuse', second.refresh_token), 401, 'session_ended');
  const access = await portal.request('GET', `${api('reuse')}/account`, { token: second.token });
  assertError(access, 401, 'session_ended');
  assert.match(access.body.error.message, /refresh tokens was used twice/);
  assertError(await portal.request('GET', `${api('reuse')}/account`, { token: first.token }), 401, 'session_ended');
  // Another sign-in of the same person is another token family.
  assert.equal((await refresh('reuse', other.refresh_token)).status, 200);
});

test('the same refresh token twice at once: one wins, the other is reuse and ends the sign-in', async () => {
  const { primary } = await portal.familyWithSecondary('race');
  const first = (await appSignIn('race', primary.email, primary.password)).body;
  const answers = await Promise.all([refresh('race', first.refresh_token), refresh('race', first.refresh_token)]);
  const statuses = answers.map((a) => a.status).sort();
  assert.deepEqual(statuses, [200, 401]);
  const loser = answers.find((a) => a.status === 401);
  assertError(loser, 401, 'refresh_token_reused');
  const winner = answers.find((a) => a.status === 200);
  assertError(await refresh('race', winner.body.refresh_token), 401, 'session_ended');
});

test('an unknown, malformed or other organization\'s refresh token is refused', async () => {
  const { primary } = await portal.familyWithSecondary('strange');
  await portal.createOrganization('elsewhere');
  const mine = (await appSignIn('strange', primary.email, primary.password)).body;
  assertError(await refresh('strange', 'A'.repeat(43)), 401, 'invalid_refresh_token');
  assertError(await refresh('strange', 'short'), 401, 'invalid_refresh_token');
  assertError(await refresh('elsewhere', mine.refresh_token), 401, 'invalid_refresh_token');
  assertError(await portal.request('POST', `${api('strange')}/session/refresh`, { json: {} }), 422, 'invalid_field');
  assertError(await portal.request('POST', `${api('strange')}/session/refresh`, { body: '{', headers: { 'content-type': 'application/json' } }), 400, 'malformed_json');
  assertError(await portal.request('POST', `${api('strange')}/session/refresh`, { json: { email: 'x', password: 'y', client: 'tablet' } }), 422, 'invalid_field');
  assertError(await portal.request('POST', `${api('strange')}/session`, { json: { email: primary.email, password: primary.password, client: 'tablet' } }), 422, 'invalid_field');
  // None of that spent it.
  assert.equal((await refresh('strange', mine.refresh_token)).status, 200);
});

/** An app sign-in of the secondary (Bob) of a fresh family, with everything around it. */
async function bobOnTheApp(slug) {
  const setup = await portal.familyWithSecondary(slug);
  const app = (await appSignIn(slug, setup.secondary.email, setup.secondary.password)).body;
  return { ...setup, app };
}

test('refresh is refused at once after the primary revokes', async () => {
  const { primary, secondary, app } = await bobOnTheApp('rvk');
  const res = await portal.request('POST', `${api('rvk')}/guardians/${secondary.id}/revoke`, { token: primary.token, json: {} });
  assert.equal(res.status, 200, res.text);
  assertError(await refresh('rvk', app.refresh_token), 401, 'session_ended');
});

test('refresh is refused at once after staff revoke the login', async () => {
  const { staff, secondary, app } = await bobOnTheApp('srvk');
  const res = await portal.request('POST', `/office/srvk/api/guardians/${secondary.id}/revoke-login`, { token: staff, json: {} });
  assert.equal(res.status, 200, res.text);
  assertError(await refresh('srvk', app.refresh_token), 401, 'session_ended');
});

test('refresh is refused at once after signing out', async () => {
  const { app } = await bobOnTheApp('out');
  assert.equal((await portal.request('DELETE', `${api('out')}/session`, { token: app.token })).status, 204);
  assertError(await refresh('out', app.refresh_token), 401, 'session_ended');
});

test('refresh is refused at once after the sign-in is ended from another device', async () => {
  const { secondary, app } = await bobOnTheApp('elsew');
  const { sessions } = (await portal.request('GET', `${api('elsew')}/me/sessions`, { token: secondary.token })).body;
  const appSession = sessions.find((s) => s.device === 'Mobile App');
  assert.equal((await portal.request('DELETE', `${api('elsew')}/me/sessions/${appSession.id}`, { token: secondary.token })).status, 204);
  assertError(await refresh('elsew', app.refresh_token), 401, 'session_ended');
});

test('refresh is refused at once after a password change', async () => {
  const { secondary, app } = await bobOnTheApp('pwd');
  const changed = await portal.request('POST', `${api('pwd')}/me/password`, {
    token: secondary.token,
    json: { current_password: secondary.password, new_password: 'bob-new-password-2' },
  });
  assert.equal(changed.status, 204, changed.text);
  assertError(await refresh('pwd', app.refresh_token), 401, 'session_ended');
});

test('refresh is refused while the portal is off and after it is back (the switch ends the sign-in)', async () => {
  const { staff, app } = await bobOnTheApp('switch');
  const setting = '/office/switch/api/settings/customer-portal';
  assert.equal((await portal.request('PUT', setting, { token: staff, json: { enabled: false } })).status, 200);
  assertError(await refresh('switch', app.refresh_token), 503, 'portal_unavailable');
  assert.equal((await portal.request('PUT', setting, { token: staff, json: { enabled: true } })).status, 200);
  assertError(await refresh('switch', app.refresh_token), 401, 'session_ended');
});

test('refresh is refused at once after a family switch', async () => {
  const { sam, north, south } = await samInNorthAndSouth(portal, 'fswitch');
  const app = (await appSignIn('fswitch', sam.email, sam.password, { family_id: north.family.id })).body;
  const switched = await portal.request('POST', `${api('fswitch')}/session/family`, { token: app.token, json: { family_id: south.family.id } });
  assert.equal(switched.status, 200, switched.text);
  assertError(await refresh('fswitch', app.refresh_token), 401, 'session_ended');
});

test('refresh is refused at once after a change of Primary Guardian revokes the old primary\'s access', async () => {
  const { staff, family, primary, secondary } = await portal.familyWithSecondary('prim');
  const app = (await appSignIn('prim', primary.email, primary.password)).body;
  const res = await portal.request('PUT', `/office/prim/api/families/${family.id}/primary-guardian`, { token: staff, json: { guardian_id: secondary.id } });
  assert.equal(res.status, 200, res.text);
  assertError(await refresh('prim', app.refresh_token), 401, 'session_ended');
});
