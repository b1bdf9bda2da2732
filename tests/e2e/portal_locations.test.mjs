// Locations in the portal: families list the organization's locations; the My Account pages keep
// the chosen one in a cookie (the Location selector beside the Family Switcher).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPortal, assertError, BASE } from './harness.mjs';

let portal;
before(async () => {
  portal = await startPortal();
});
after(() => portal.close());

const FORM = 'application/x-www-form-urlencoded';

async function raw(method, path, { cookie, body, headers = {} } = {}) {
  const res = await portal.mf.dispatchFetch(`${BASE}${path}`, { method, body, headers: { cookie, ...headers }, redirect: 'manual' });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function withLocations(slug, names) {
  const f = await portal.familyWithSecondary(slug);
  const locations = [];
  for (const name of names) {
    const res = await portal.request('POST', `/office/${slug}/api/locations`, { token: f.staff, json: { name } });
    assert.equal(res.status, 201, res.text);
    locations.push(res.body);
  }
  return { ...f, locations };
}

test("a family lists its organization's locations, and only those", async () => {
  const a = await withLocations('loc-a', ['North Pool', 'East Gym']);
  await withLocations('loc-b', ['Elsewhere']);
  const res = await portal.request('GET', '/portal/loc-a/api/locations', { token: a.secondary.token });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body, { locations: [{ id: a.locations[1].id, name: 'East Gym' }, { id: a.locations[0].id, name: 'North Pool' }] });
  assertError(await portal.request('GET', '/portal/loc-a/api/locations'), 401, 'not_authenticated');
  assertError(await portal.request('GET', '/portal/loc-b/api/locations', { token: a.primary.token }), 401, 'invalid_session');
});

test('the Location selector remembers the chosen location in this browser; an unknown location is refused', async () => {
  const s = await withLocations('loc-pick', ['North Pool', 'East Gym']);
  const cookie = `portal_session=${s.primary.token}`;
  const account = await raw('GET', '/portal/loc-pick/account', { cookie });
  assert.equal(account.status, 200);
  // No choice yet: the first location in the list.
  assert.match(account.text, new RegExp(`<option value="${s.locations[1].id}" selected>East Gym</option>`));
  assert.match(account.text, /Choose Location/);

  const post = (location_id, c = cookie) =>
    raw('POST', '/portal/loc-pick/location', { cookie: c, body: new URLSearchParams({ location_id }).toString(), headers: { 'content-type': FORM, origin: BASE } });
  const chosen = await post(s.locations[0].id);
  assert.equal(chosen.status, 303);
  assert.equal(chosen.headers.get('location'), '/portal/loc-pick/account#your-students');
  const setCookie = chosen.headers.get('set-cookie');
  assert.match(setCookie, new RegExp(`portal_location=${s.locations[0].id}; HttpOnly; SameSite=Lax; Secure; Path=/portal/loc-pick`));
  assert.match(setCookie, /portal_flash=location-chosen/);

  const again = await raw('GET', '/portal/loc-pick/account', { cookie: `${cookie}; portal_location=${s.locations[0].id}` });
  assert.match(again.text, new RegExp(`<option value="${s.locations[0].id}" selected>North Pool</option>`));
  // A cookie naming no location of this organization falls back to the first.
  const stale = await raw('GET', '/portal/loc-pick/account', { cookie: `${cookie}; portal_location=loc_gone` });
  assert.match(stale.text, new RegExp(`<option value="${s.locations[1].id}" selected>East Gym</option>`));

  assert.equal((await post('loc_nope')).status, 422);
  assert.equal((await post(s.locations[0].id, '')).status, 303, 'without a session: to sign-in');
});

test('an organization with one location shows no selector', async () => {
  const s = await withLocations('loc-one', ['Only Pool']);
  const account = await raw('GET', '/portal/loc-one/account', { cookie: `portal_session=${s.primary.token}` });
  assert.equal(account.status, 200);
  assert.doesNotMatch(account.text, /Choose Location/);
});
