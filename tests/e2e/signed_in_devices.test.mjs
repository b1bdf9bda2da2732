// Signed-in devices: a person sees every live sign-in of theirs, in every family, and ends one or
// all but this one; staff likewise. An ended sign-in is refused at its very next request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPortal, assertError } from './harness.mjs';
import { samInNorthAndSouth, CHROME_ANDROID, FIREFOX_WINDOWS } from './sign_ins_fixtures.mjs';

let portal;
before(async () => {
  portal = await startPortal();
});
after(() => portal.close());

const api = (slug) => `/portal/${slug}/api`;
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

async function signInWith(slug, email, password, userAgent, family_id) {
  const res = await portal.request('POST', `${api(slug)}/session`, {
    json: { email, password, ...(family_id ? { family_id } : {}) },
    headers: { 'user-agent': userAgent },
  });
  assert.equal(res.status, 200, res.text);
  return res.body.token;
}

const list = (slug, token) => portal.request('GET', `${api(slug)}/me/sessions`, { token });

test('a person sees every live sign-in in every family, this one marked, with the device and times', async () => {
  const { sam, north, south } = await samInNorthAndSouth(portal, 'devices');
  const phone = await signInWith('devices', sam.email, sam.password, CHROME_ANDROID, north.family.id);
  const laptop = await signInWith('devices', sam.email, sam.password, FIREFOX_WINDOWS, south.family.id);

  const res = await list('devices', phone);
  assert.equal(res.status, 200, res.text);
  const sessions = res.body.sessions;
  assert.equal(sessions.length, 4, 'two acceptances and two sign-ins');
  const current = sessions.filter((s) => s.current);
  assert.equal(current.length, 1);
  assert.equal(current[0].device, 'Chrome on Android');
  assert.deepEqual(current[0].family, { id: north.family.id, name: 'North' });
  const firefox = sessions.find((s) => s.device === 'Firefox on Windows');
  assert.deepEqual(firefox.family, { id: south.family.id, name: 'South' });
  for (const s of sessions) {
    assert.match(s.id, /^ses_/);
    assert.match(s.created_at, RFC3339);
    assert.match(s.last_seen_at, RFC3339);
    assert.ok(s.last_seen_at >= s.created_at);
  }
  assert.deepEqual(new Set(sessions.map((s) => s.family.name)), new Set(['North', 'South']));

  // Tess (another person) sees only her own.
  const tess = await list('devices', south.token);
  assert.deepEqual(tess.body.sessions.map((s) => s.family.name), ['South']);

  // The same list from the laptop marks the laptop.
  const fromLaptop = await list('devices', laptop);
  assert.equal(fromLaptop.body.sessions.find((s) => s.current).device, 'Firefox on Windows');
});

test('Sign out ends one sign-in at once, in another family too; another person\'s is not found', async () => {
  const { sam, north, south } = await samInNorthAndSouth(portal, 'devone');
  const laptop = await signInWith('devone', sam.email, sam.password, FIREFOX_WINDOWS, south.family.id);
  const { sessions } = (await list('devone', sam.north.token)).body;
  const target = sessions.find((s) => s.device === 'Firefox on Windows');

  // Tess cannot end Sam's sign-in, nor Sam end one that is not there.
  assertError(await portal.request('DELETE', `${api('devone')}/me/sessions/${target.id}`, { token: south.token }), 404, 'session_not_found');
  assertError(await portal.request('DELETE', `${api('devone')}/me/sessions/ses_nonexistent`, { token: sam.north.token }), 404, 'session_not_found');
  assert.equal((await portal.request('GET', `${api('devone')}/account`, { token: laptop })).status, 200, 'still live');

  const ended = await portal.request('DELETE', `${api('devone')}/me/sessions/${target.id}`, { token: sam.north.token });
  assert.equal(ended.status, 204, ended.text);
  const refused = await portal.request('GET', `${api('devone')}/account`, { token: laptop });
  assertError(refused, 401, 'session_ended');
  assert.match(refused.body.error.message, /signed out from another of your devices/);
  assert.ok(!(await list('devone', sam.north.token)).body.sessions.some((s) => s.id === target.id), 'gone from the list');
  // Ending it again: it is no longer a live sign-in.
  assertError(await portal.request('DELETE', `${api('devone')}/me/sessions/${target.id}`, { token: sam.north.token }), 404, 'session_not_found');
  assert.equal((await portal.request('GET', `${api('devone')}/account`, { token: north.token })).status, 200);
});

test('ending this sign-in from the list signs out and clears the cookie', async () => {
  const { sam } = await samInNorthAndSouth(portal, 'devself');
  const { sessions } = (await list('devself', sam.south.token)).body;
  const mine = sessions.find((s) => s.current);
  const res = await portal.request('DELETE', `${api('devself')}/me/sessions/${mine.id}`, { token: sam.south.token });
  assert.equal(res.status, 204);
  assert.match(res.headers.get('set-cookie'), /^portal_session=;.*Max-Age=0/i);
  assertError(await list('devself', sam.south.token), 401, 'session_ended');
  assert.equal((await list('devself', sam.north.token)).status, 200, 'the other family\'s sign-in stays');
});

test('Sign out everywhere else ends every other sign-in in every family, and needs others=true', async () => {
  const { sam, south } = await samInNorthAndSouth(portal, 'devall');
  const phone = await signInWith('devall', sam.email, sam.password, CHROME_ANDROID, south.family.id);
  assertError(await portal.request('DELETE', `${api('devall')}/me/sessions`, { token: phone }), 422, 'invalid_field');
  assertError(await portal.request('DELETE', `${api('devall')}/me/sessions?others=false`, { token: phone }), 422, 'invalid_field');
  assert.equal((await list('devall', phone)).body.sessions.length, 3, 'nothing ended without others=true');

  const res = await portal.request('DELETE', `${api('devall')}/me/sessions?others=true`, { token: phone });
  assert.equal(res.status, 204, res.text);
  assertError(await list('devall', sam.north.token), 401, 'session_ended');
  assertError(await list('devall', sam.south.token), 401, 'session_ended');
  const left = (await list('devall', phone)).body.sessions;
  assert.deepEqual(left.map((s) => [s.device, s.current]), [['Chrome on Android', true]]);
  assert.equal((await portal.request('GET', `${api('devall')}/account`, { token: south.token })).status, 200, 'Tess is another person');
});

test('last use is recorded at most once a minute', async () => {
  const { sam } = await samInNorthAndSouth(portal, 'devseen');
  const db = portal.dbOf('devseen');
  const id = (await list('devseen', sam.north.token)).body.sessions.find((s) => s.current).id;
  const seen = async () => (await db.prepare('SELECT last_seen_at FROM sessions WHERE id = ?').bind(id).first()).last_seen_at;
  const recent = Date.now() - 30_000;
  await db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id = ?').bind(recent, id).run();
  await list('devseen', sam.north.token);
  assert.equal(await seen(), recent, 'used 30 s ago: not written again');
  const old = Date.now() - 5 * 60_000;
  await db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id = ?').bind(old, id).run();
  const res = await list('devseen', sam.north.token);
  assert.ok((await seen()) > old + 4 * 60_000, 'used 5 minutes ago: written now');
  assert.ok(Date.parse(res.body.sessions.find((s) => s.current).last_seen_at) >= old);
});

test('staff see and end their own sign-ins at /office/{org}/api/me/sessions', async () => {
  const org = await portal.createOrganization('devstaff');
  const staffSignIn = async (ua) => {
    const res = await portal.request('POST', '/office/devstaff/api/session', {
      json: { email: org.owner_email, password: org.owner_password },
      headers: { 'user-agent': ua },
    });
    assert.equal(res.status, 200, res.text);
    return res.body.token;
  };
  const desk = await staffSignIn(FIREFOX_WINDOWS);
  const phone = await staffSignIn(CHROME_ANDROID);
  const tablet = await staffSignIn('curl/8.5.0');
  const res = await portal.request('GET', '/office/devstaff/api/me/sessions', { token: desk });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(new Set(res.body.sessions.map((s) => s.device)), new Set(['Firefox on Windows', 'Chrome on Android', 'Unknown device']));
  assert.equal(res.body.sessions.find((s) => s.current).device, 'Firefox on Windows');
  assert.ok(res.body.sessions.every((s) => !('family' in s)), 'staff sign-ins are in no family');

  const other = res.body.sessions.find((s) => s.device === 'Chrome on Android');
  assert.equal((await portal.request('DELETE', `/office/devstaff/api/me/sessions/${other.id}`, { token: desk })).status, 204);
  assertError(await portal.request('GET', '/office/devstaff/api/me/sessions', { token: phone }), 401, 'session_ended');
  // A guardian's or another organization's session id is not the staff member's.
  assertError(await portal.request('DELETE', '/office/devstaff/api/me/sessions/ses_nonexistent', { token: desk }), 404, 'session_not_found');

  assertError(await portal.request('DELETE', '/office/devstaff/api/me/sessions', { token: desk }), 422, 'invalid_field');
  assert.equal((await portal.request('DELETE', '/office/devstaff/api/me/sessions?others=true', { token: desk })).status, 204);
  assertError(await portal.request('GET', '/office/devstaff/api/me/sessions', { token: tablet }), 401, 'session_ended');
  const left = (await portal.request('GET', '/office/devstaff/api/me/sessions', { token: desk })).body.sessions;
  assert.equal(left.length, 1);
  assert.equal(left[0].current, true);
});

test('a customer\'s token cannot list or end staff sign-ins, nor the other way round', async () => {
  const { sam } = await samInNorthAndSouth(portal, 'devcross');
  assertError(await portal.request('GET', '/office/devcross/api/me/sessions', { token: sam.north.token }), 401, 'invalid_session');
});
