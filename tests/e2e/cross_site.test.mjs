// Cross-site request forgery: a page on another site (or a sibling subdomain) can make the browser
// send our session cookie; such requests must change nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPortal, assertError, BASE } from './harness.mjs';

let portal;
let setup;
before(async () => {
  portal = await startPortal();
  setup = await portal.familyWithSecondary('csrf');
});
after(() => portal.close());

const office = '/office/csrf/api';
const staffCookie = () => ({ cookie: `office_session=${setup.staff}` });
const primaryCookie = () => ({ cookie: `portal_session=${setup.primary.token}` });

test('a cookie request from another origin is refused and changes nothing', async () => {
  const res = await portal.request('POST', `${office}/families`, {
    headers: { ...staffCookie(), origin: 'https://evil.example', 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Forged', primary_guardian: { first_name: 'F', last_name: 'F', email: 'forged@csrf.test' } }),
  });
  assertError(res, 403, 'cross_site_request');
  const n = await portal.dbOf('csrf').prepare("SELECT COUNT(*) AS n FROM families WHERE name = 'Forged'").first();
  assert.equal(n.n, 0);
});

test('a cross-site or same-site (sibling subdomain) fetch without Origin is refused', async () => {
  for (const site of ['cross-site', 'same-site']) {
    const res = await portal.request('PUT', `${office}/settings/customer-portal`, {
      headers: { ...staffCookie(), 'sec-fetch-site': site, 'content-type': 'text/plain' },
      body: '{"enabled":false}',
    });
    assertError(res, 403, 'cross_site_request');
  }
  const settings = await portal.request('GET', `${office}/settings/customer-portal`, { token: setup.staff });
  assert.equal(settings.body.enabled, true);
});

test('with the cookie, a body that is not declared JSON is 415, even from our own origin', async () => {
  const res = await portal.request('PUT', `${office}/settings/customer-portal`, {
    headers: { ...staffCookie(), origin: BASE, 'content-type': 'text/plain' },
    body: '{"enabled":false}',
  });
  assertError(res, 415, 'unsupported_media_type');
  // An empty form post to revoke a login.
  const revoke = await portal.request('POST', `/portal/csrf/api/guardians/${setup.secondary.id}/revoke`, {
    headers: { ...primaryCookie(), 'content-type': 'application/x-www-form-urlencoded' },
    body: '',
  });
  assertError(revoke, 415, 'unsupported_media_type');
  const account = await portal.request('GET', '/portal/csrf/api/account', { token: setup.secondary.token });
  assert.equal(account.status, 200);
  assert.equal(account.body.me.access_status, 'can_log_in');
});

test('our own pages (same origin, JSON) and bearer-token clients are served', async () => {
  const own = await portal.request('PUT', `${office}/settings/customer-portal`, {
    headers: { ...staffCookie(), origin: BASE, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' },
    body: '{"enabled":true}',
  });
  assert.equal(own.status, 200);
  const bearer = await portal.request('PUT', `${office}/settings/customer-portal`, {
    token: setup.staff,
    headers: { origin: 'https://integration.example', 'content-type': 'text/plain' },
    body: '{"enabled":true}',
  });
  assert.equal(bearer.status, 200);
  // Reading with the cookie from anywhere stays possible (GET changes nothing).
  const read = await portal.request('GET', '/portal/csrf/api/account', { headers: { ...primaryCookie(), 'sec-fetch-site': 'cross-site' } });
  assert.equal(read.status, 200);
});
