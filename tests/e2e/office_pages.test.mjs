// The Office Portal's Family details pages over plain HTTP: every form post with bad input gets a
// clear page with the right status and changes nothing (unknown ids and another organization's
// ids are 404, a cross-site post 403, a body that is not our form 400 or 415). The browser tests
// (tests/browser/office_family.test.mjs) walk the same pages in Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPortal, BASE } from './harness.mjs';

let portal;
let home; // an organization with a family whose secondary can log in
let other; // another organization, its family and guardian
before(async () => {
  portal = await startPortal();
  home = await portal.familyWithSecondary('pages-home');
  other = await portal.familyWithSecondary('pages-other');
});
after(() => portal?.close());

const FORM = 'application/x-www-form-urlencoded';
const form = (fields) => new URLSearchParams(fields).toString();

/** A request as the signed-in staff member's browser sends it; redirects are seen, not followed. */
async function asStaff(method, path, { fields, body, headers = {} } = {}) {
  const init = { method, redirect: 'manual', headers: { cookie: `office_session=${home.staff}`, ...headers } };
  if (fields !== undefined || body !== undefined) {
    init.body = body ?? form(fields);
    init.headers = { 'content-type': FORM, origin: BASE, ...init.headers };
  }
  const res = await portal.mf.dispatchFetch(`${BASE}${path}`, init);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const page404 = (res, what) => {
  assert.equal(res.status, 404, `${what}: ${res.status} ${res.text.slice(0, 200)}`);
  assert.match(res.headers.get('content-type'), /text\/html/, what);
  assert.match(res.text, /Page not found/, what);
};

/** A guardian's row wherever it is (the organizations here sit on different databases). */
const guardianState = async (id) => {
  for (const slug of ['pages-home', 'pages-other']) {
    const row = await portal.dbOf(slug).prepare('SELECT access_state, family_id FROM guardians WHERE id = ?').bind(id).first();
    if (row) return row;
  }
  return null;
};

test('an unknown family or guardian, or another organization’s, is the 404 page for every page and every post', async () => {
  const org = '/office/pages-home';
  const theirFamily = other.family.id;
  const theirGuardian = other.secondary.id;
  for (const family of ['fam_unknown', theirFamily]) {
    for (const path of ['', '/history', '/edit', '/guardians/new', '/primary-guardian', '/merge']) {
      page404(await asStaff('GET', `${org}/families/${family}${path}`), `GET family ${family}${path}`);
    }
    page404(await asStaff('POST', `${org}/families/${family}/guardians/new`, { fields: { first_name: 'Al', last_name: 'Lee' } }), 'add guardian');
    page404(await asStaff('POST', `${org}/families/${family}/edit`, { fields: { name: 'Taken' } }), 'rename');
    page404(await asStaff('POST', `${org}/families/${family}/primary-guardian`, { fields: { guardian_id: home.secondary.id } }), 'change primary');
    page404(await asStaff('POST', `${org}/families/${family}/merge`, { fields: { from_family_id: home.family.id } }), 'merge into it');
    // Merging it in, or moving a contact to it, from a family of ours.
    page404(await asStaff('POST', `${org}/families/${home.family.id}/merge`, { fields: { from_family_id: family } }), 'merge it in');
    page404(await asStaff('GET', `${org}/families/${home.family.id}/merge?pick=${family}`), 'merge pick');
    page404(await asStaff('POST', `${org}/guardians/${home.secondary.id}/move`, { fields: { to_family_id: family, confirm: 'yes' } }), 'move to it');
    page404(await asStaff('GET', `${org}/guardians/${home.secondary.id}/move?pick=${family}`), 'move pick');
  }
  for (const guardian of ['gdn_unknown', theirGuardian]) {
    for (const path of ['/revoke', '/revoke/confirm?reason=x', '/edit', '/move']) {
      page404(await asStaff('GET', `${org}/guardians/${guardian}${path}`), `GET guardian ${guardian}${path}`);
    }
    for (const path of ['/revoke', '/enable-login', '/resend-invitation', '/reset-password']) {
      page404(await asStaff('POST', `${org}/guardians/${guardian}${path}`, { fields: {} }), `POST guardian ${guardian}${path}`);
    }
    page404(await asStaff('POST', `${org}/guardians/${guardian}/move`, { fields: { to_family_id: home.family.id, confirm: 'yes' } }), 'move');
    page404(await asStaff('POST', `${org}/guardians/${guardian}/edit`, { fields: { first_name: 'Al', last_name: 'Lee' } }), 'edit');
  }
  assert.deepEqual(await guardianState(theirGuardian), { access_state: 'can_log_in', family_id: theirFamily }, 'theirs untouched');
  const theirs = await portal.request('GET', `/office/pages-other/api/families/${theirFamily}`, { token: other.staff });
  assert.equal(theirs.body.status, 'active');
  assert.equal(theirs.body.name, 'Lee');
  assert.deepEqual(theirs.body.guardians.map((g) => g.first_name), ['Ann', 'Bob']);
});

test('a cross-site post is refused with the 403 page and revokes nothing', async () => {
  const path = `/office/pages-home/guardians/${home.secondary.id}/revoke`;
  for (const headers of [{ origin: 'https://evil.example' }, { origin: 'null', 'sec-fetch-site': 'cross-site' }, { origin: '' }]) {
    const res = await asStaff('POST', path, { fields: { reason: 'x' }, headers });
    assert.equal(res.status, 403, JSON.stringify(headers));
    assert.match(res.text, /Request refused/);
  }
  const merge = await asStaff('POST', `/office/pages-home/families/${home.family.id}/merge`, {
    fields: { from_family_id: home.family.id },
    headers: { origin: 'https://evil.example' },
  });
  assert.equal(merge.status, 403);
  assert.equal((await guardianState(home.secondary.id)).access_state, 'can_log_in');
});

test('a body that is not our form is 400 or 415, and a post without a session goes to sign-in', async () => {
  const path = `/office/pages-home/guardians/${home.secondary.id}/revoke`;
  const twice = await asStaff('POST', path, { body: 'reason=a&reason=b' });
  assert.equal(twice.status, 400);
  assert.match(twice.text, /The form could not be read/);
  const json = await asStaff('POST', path, { body: '{"reason":"x"}', headers: { 'content-type': 'application/json' } });
  assert.equal(json.status, 415);
  const primary = await asStaff('POST', `/office/pages-home/families/${home.family.id}/primary-guardian`, { body: 'guardian_id=a&guardian_id=b' });
  assert.equal(primary.status, 400);
  const anonymous = await portal.mf.dispatchFetch(`${BASE}${path}`, {
    method: 'POST',
    body: form({ reason: 'x' }),
    headers: { 'content-type': FORM, origin: BASE },
    redirect: 'manual',
  });
  assert.equal(anonymous.status, 303);
  assert.equal(anonymous.headers.get('location'), '/office/pages-home');
  assert.equal((await guardianState(home.secondary.id)).access_state, 'can_log_in');
});

test('refusals are shown on the page they came from with 422, and nothing changes', async () => {
  const family = home.family.id;
  const itself = await asStaff('POST', `/office/pages-home/families/${family}/merge`, { fields: { from_family_id: family } });
  assert.equal(itself.status, 422);
  assert.match(itself.text, /There is a problem[\s\S]*A family cannot be merged into itself\./);
  const unconfirmed = await asStaff('POST', `/office/pages-home/guardians/${home.secondary.id}/move`, {
    fields: { to_family_id: (await portal.createFamily('pages-home', home.staff, 'Kim', { first_name: 'Kay', last_name: 'Kim', email: 'kay@pages-home.test' })).id },
  });
  assert.equal(unconfirmed.status, 422);
  assert.match(unconfirmed.text, /There is a problem[\s\S]*Portal access will be disabled for Bob Lee\./);
  const primaryMoved = await asStaff('POST', `/office/pages-home/guardians/${home.primary.id}/move`, { fields: { to_family_id: family, confirm: 'yes' } });
  assert.equal(primaryMoved.status, 422);
  const notInFamily = await asStaff('POST', `/office/pages-home/families/${family}/primary-guardian`, { fields: { guardian_id: other.secondary.id } });
  assert.equal(notInFamily.status, 422);
  assert.match(notInFamily.text, /href="#guardian_id">The new Primary Guardian must be a guardian of this family\./);
  const noLogin = await asStaff('POST', `/office/pages-home/guardians/${home.secondary.id}/enable-login`, { fields: {} });
  assert.equal(noLogin.status, 422);
  assert.match(noLogin.text, /The Primary Guardian must send the invitation from the Customer Portal\./);
  assert.deepEqual(await guardianState(home.secondary.id), { access_state: 'can_log_in', family_id: family });
});

test('a login e-mail posted to Edit anyway stays as it is', async () => {
  const res = await asStaff('POST', `/office/pages-home/guardians/${home.secondary.id}/edit`, {
    fields: { first_name: 'Bob', last_name: 'Lee', email: 'taken-over@evil.example', phone: '' },
  });
  assert.equal(res.status, 303);
  const row = await portal.dbOf('pages-home').prepare('SELECT email FROM guardians WHERE id = ?').bind(home.secondary.id).first();
  assert.equal(row.email, home.secondary.email);
});

test('a revoke from the page is the API’s: 303 to the Family details with a one-shot message, the session ended', async () => {
  const f = await portal.familyWithSecondary('pages-revoke');
  const res = await portal.mf.dispatchFetch(`${BASE}/office/pages-revoke/guardians/${f.secondary.id}/revoke`, {
    method: 'POST',
    body: form({ reason: 'Left the family' }),
    headers: { 'content-type': FORM, origin: BASE, cookie: `office_session=${f.staff}` },
    redirect: 'manual',
  });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), `/office/pages-revoke/families/${f.family.id}`);
  assert.match(res.headers.get('set-cookie'), /office_flash=login-revoked/);
  assert.equal((await portal.request('GET', '/portal/pages-revoke/api/account', { token: f.secondary.token })).status, 401);
  const history = await portal.request('GET', `/office/pages-revoke/api/audit?family_id=${f.family.id}`, { token: f.staff });
  assert.equal(history.body.entries[0].action, 'access_revoked');
  assert.equal(history.body.entries[0].reason, 'Left the family');
});
