// The Customer Portal's pages over plain HTTP: the strict CSP and the stylesheet, form posts
// (same-origin only, typed, Post/Redirect/Get), the portal switch for posts too. The browser
// tests (tests/browser) walk the same pages in Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPortal, BASE } from './harness.mjs';

const UNAVAILABLE = 'Our Customer Portal is currently unavailable. Please check back later.';
const CSP = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

let portal;
let setup;
before(async () => {
  portal = await startPortal();
  setup = await portal.familyWithSecondary('pages');
});
after(() => portal.close());

const form = (fields) => new URLSearchParams(fields).toString();
const FORM = 'application/x-www-form-urlencoded';

/** A request whose redirects are seen, not followed (a 303 is the answer under test). */
async function raw(method, path, { body, headers = {} } = {}) {
  const res = await portal.mf.dispatchFetch(`${BASE}${path}`, { method, body, headers, redirect: 'manual' });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** A form post as our own page sends it (Origin is ours). */
const post = (path, fields, headers = {}) => raw('POST', path, { body: form(fields), headers: { 'content-type': FORM, origin: BASE, ...headers } });
const liveSessions = async (id) =>
  (await portal.dbOf('pages').prepare('SELECT COUNT(*) AS n FROM sessions WHERE subject_id = ? AND ended_at IS NULL').bind(id).first()).n;

test('pages carry the strict CSP, no inline script or style, and one stylesheet served for a year', async () => {
  const res = await portal.request('GET', '/portal/pages');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-security-policy'), CSP);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.doesNotMatch(res.text, /<script|<style|style=/);
  assert.ok(res.text.length < 50 * 1024);
  const href = /<link rel="stylesheet" href="([^"]+)">/.exec(res.text)[1];
  assert.match(href, /^\/portal\/static\/portal\.[0-9a-f]{8}\.css$/);
  const css = await portal.request('GET', href);
  assert.equal(css.status, 200);
  assert.match(css.headers.get('content-type'), /^text\/css/);
  assert.equal(css.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.ok(css.text.length < 16 * 1024, `the stylesheet stays small: ${css.text.length} bytes`);
  assert.equal((await portal.request('GET', '/portal/static/portal.00000000.css')).status, 404);
});

test('a form post from another site, or one that does not say where it comes from, is refused with a page', async () => {
  const body = form({ email: setup.primary.email, password: setup.primary.password });
  for (const headers of [
    { origin: 'https://evil.example' },
    { origin: 'https://sub.portal.test', 'sec-fetch-site': 'same-site' },
    { origin: 'null', 'sec-fetch-site': 'cross-site' },
    { 'sec-fetch-site': 'same-site' },
    {}, // says nothing: only a browser needs a form, and browsers say
  ]) {
    const res = await raw('POST', '/portal/pages', { body, headers: { 'content-type': FORM, ...headers } });
    assert.equal(res.status, 403, JSON.stringify(headers));
    assert.match(res.headers.get('content-type'), /text\/html/);
    assert.match(res.text, /Request refused/);
    assert.equal(res.headers.get('set-cookie'), null);
  }
  // Signing a person out from another site is refused too, with or without their cookie.
  const before = await liveSessions(setup.primary.id);
  const out = await portal.request('POST', '/portal/pages/sign-out', {
    body: '',
    headers: { 'content-type': FORM, origin: 'https://evil.example', cookie: `portal_session=${setup.primary.token}` },
  });
  assert.equal(out.status, 403);
  assert.equal(await liveSessions(setup.primary.id), before);
});

test('sign-in by form: 303 to My Account with the API session cookie; a browser that sends Origin: null is vouched for by Sec-Fetch-Site', async () => {
  for (const headers of [{}, { origin: 'null', 'sec-fetch-site': 'same-origin' }]) {
    const res = await post('/portal/pages', { email: setup.primary.email, password: setup.primary.password }, headers);
    assert.equal(res.status, 303, res.text);
    assert.equal(res.headers.get('location'), '/portal/pages/account');
    const cookie = res.headers.get('set-cookie');
    assert.match(cookie, /^portal_session=[^;]+/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /Secure/);
    assert.match(cookie, /SameSite=Lax/);
    assert.match(cookie, /Path=\/portal\/pages/);
    const token = /^portal_session=([^;]+)/.exec(cookie)[1];
    const account = await portal.request('GET', '/portal/pages/account', { headers: { cookie: `portal_session=${token}` } });
    assert.equal(account.status, 200);
    assert.match(account.text, /<h1>My Account<\/h1>/);
    assert.match(account.text, /Lee family/);
    assert.match(account.text, /Bob Lee/);
    assert.match(account.text, /Sign out/);
  }
});

test('wrong input is a 422 page with the summary and the field error, keeping the address but never the password', async () => {
  const res = await post('/portal/pages', { email: setup.primary.email, password: 'not-the-password' });
  assert.equal(res.status, 422);
  assert.match(res.text, /There is a problem/);
  assert.match(res.text, /<a href="#password">The e-mail address or password is incorrect\.<\/a>/);
  assert.match(res.text, new RegExp(`value="${setup.primary.email}"`));
  assert.doesNotMatch(res.text, /not-the-password/);
  const bad = await post('/portal/pages', { email: 'not an address', password: 'x' });
  assert.equal(bad.status, 422);
  assert.match(bad.text, /Enter an e-mail address in the correct format/);
  // Markup in a kept value is escaped.
  const sneaky = await post('/portal/pages', { email: '"><b>x</b>', password: '' });
  assert.equal(sneaky.status, 422);
  assert.doesNotMatch(sneaky.text, /<b>x<\/b>/);
});

test('a page form takes only its own form body', async () => {
  const json = await portal.request('POST', '/portal/pages', {
    body: JSON.stringify({ email: setup.primary.email, password: setup.primary.password }),
    headers: { 'content-type': 'application/json', origin: BASE },
  });
  assert.equal(json.status, 415);
  assert.match(json.headers.get('content-type'), /text\/html/);
  const put = await portal.request('PUT', '/portal/pages', { headers: { origin: BASE } });
  assert.equal(put.status, 405);
  assert.equal(put.headers.get('allow'), 'GET, POST, HEAD');
  assert.match(put.headers.get('content-type'), /text\/html/);
});

test('sign out by form ends the session, clears the cookie and leaves a one-shot message', async () => {
  const token = await portal.guardianSignIn('pages', setup.secondary.email, setup.secondary.password);
  const signedIn = await raw('GET', '/portal/pages', { headers: { cookie: `portal_session=${token}` } });
  assert.equal(signedIn.status, 303, 'someone signed in skips the sign-in page');
  assert.equal(signedIn.headers.get('location'), '/portal/pages/account');
  const res = await post('/portal/pages/sign-out', {}, { cookie: `portal_session=${token}` });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/portal/pages');
  const cookies = res.headers.getSetCookie();
  assert.ok(cookies.some((c) => /^portal_session=;/.test(c) && /Max-Age=0/.test(c)), cookies.join(' | '));
  const flash = cookies.find((c) => c.startsWith('portal_flash='));
  assert.match(flash, /^portal_flash=signed-out;/);
  const page = await portal.request('GET', '/portal/pages', { headers: { cookie: 'portal_flash=signed-out' } });
  assert.match(page.text, /You have signed out\./);
  assert.match(page.headers.get('set-cookie'), /^portal_flash=;.*Max-Age=0/);
  // A made-up code shows nothing.
  assert.doesNotMatch((await portal.request('GET', '/portal/pages', { headers: { cookie: 'portal_flash=%3Cb%3E' } })).text, /notice/);
  // The ended session's next page is sign-in, saying why.
  const account = await raw('GET', '/portal/pages/account', { headers: { cookie: `portal_session=${token}` } });
  assert.equal(account.status, 303);
  assert.equal(account.headers.get('location'), '/portal/pages');
  assert.ok(account.headers.getSetCookie().some((c) => c.startsWith('portal_flash=ended-signed-out;')), 'signed out: the message says so');
});

test('forgot password by form answers the same page for any address, and mails only a real one', async () => {
  const known = await post('/portal/pages/forgot-password', { email: setup.secondary.email });
  const unknown = await post('/portal/pages/forgot-password', { email: 'nobody@pages.test' });
  for (const res of [known, unknown]) {
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/portal/pages/forgot-password/sent');
  }
  const token = await portal.linkToken(setup.secondary.email, 'password_reset', 'password-reset');
  assert.equal((await portal.mailbox('nobody@pages.test')).length, 0);
  const short = await post(`/portal/pages/password-reset/${token}`, { new_password: 'short' });
  assert.equal(short.status, 422);
  const done = await post(`/portal/pages/password-reset/${token}`, { new_password: 'bob-new-password-1' });
  assert.equal(done.status, 303);
  assert.equal(done.headers.get('location'), '/portal/pages');
  assert.ok(await portal.guardianSignIn('pages', setup.secondary.email, 'bob-new-password-1'));
  const again = await post(`/portal/pages/password-reset/${token}`, { new_password: 'bob-third-password' });
  assert.equal(again.status, 410);
});

test("an invitation to an address that already signs in asks for that login's password, and joins the family to it", async () => {
  const kim = await portal.createFamily('pages', setup.staff, 'Kim', { first_name: 'Dee', last_name: 'Kim', email: 'dee@pages.test' });
  await portal.request('POST', `/office/pages/api/guardians/${kim.primary_guardian_id}/invitation`, { token: setup.staff });
  const dee = await portal.accept('pages', await portal.linkToken('dee@pages.test', 'invitation'), 'dee-password-1');
  const ann = await portal.request('POST', '/portal/pages/api/guardians', { token: dee.body.token, json: { first_name: 'Ann', last_name: 'Lee', email: setup.primary.email } });
  assert.equal(ann.status, 201, ann.text);
  await portal.request('POST', `/portal/pages/api/guardians/${ann.body.id}/invitation`, { token: dee.body.token });
  const [mail] = await portal.waitForMail(setup.primary.email, (m) => m.kind === 'invitation' && /Kim/.test(m.text));
  const link = /\/invitations\/([A-Za-z0-9_-]{43})/.exec(mail.text)[1];
  const page = await portal.request('GET', `/portal/pages/invitations/${link}`);
  assert.equal(page.status, 200);
  assert.match(page.text, /<label for="password">Your password<\/label>/);
  assert.match(page.text, /already signs in to this portal: enter that password/);
  assert.match(page.text, /autocomplete="current-password"/);
  const wrong = await post(`/portal/pages/invitations/${link}`, { password: 'not-my-password', confirm_adult: 'yes', accept_terms: 'yes' });
  assert.equal(wrong.status, 422);
  assert.match(wrong.text, /<a href="#password">This e-mail address already has a login here: enter the password you sign in with\.<\/a>/);
  const joined = await post(`/portal/pages/invitations/${link}`, { password: setup.primary.password, confirm_adult: 'yes', accept_terms: 'yes' });
  assert.equal(joined.status, 303, joined.text);
  assert.equal(joined.headers.get('location'), '/portal/pages/account');
  const token = /^portal_session=([^;]+)/.exec(joined.headers.getSetCookie()[0])[1];
  const account = await raw('GET', '/portal/pages/account', { headers: { cookie: `portal_session=${token}` } });
  assert.match(account.text, /Kim family/);
});

test('while the portal is off, posts to pages get the 503 page too', async () => {
  const cat = await portal.request('POST', '/portal/pages/api/guardians', { token: setup.primary.token, json: { first_name: 'Cat', last_name: 'Lee', email: 'cat@pages.test' } });
  await portal.request('POST', `/portal/pages/api/guardians/${cat.body.id}/invitation`, { token: setup.primary.token });
  const link = await portal.linkToken('cat@pages.test', 'invitation');
  const off = await portal.request('PUT', '/office/pages/api/settings/customer-portal', { token: setup.staff, json: { enabled: false } });
  assert.equal(off.status, 200);
  for (const [path, fields] of [
    ['/portal/pages', { email: setup.primary.email, password: setup.primary.password }],
    ['/portal/pages/forgot-password', { email: setup.primary.email }],
    [`/portal/pages/invitations/${link}`, { password: 'cat-password-1', confirm_adult: 'yes', accept_terms: 'yes' }],
    ['/portal/pages/sign-out', {}],
  ]) {
    const res = await post(path, fields);
    assert.equal(res.status, 503, path);
    assert.match(res.headers.get('content-type'), /text\/html/);
    assert.ok(res.text.includes(UNAVAILABLE), path);
    assert.equal(res.headers.get('set-cookie'), null);
  }
  const state = await portal.dbOf('pages').prepare('SELECT access_state FROM guardians WHERE id = ?').bind(cat.body.id).first();
  assert.equal(state.access_state, 'invite_sent', 'the invitation was not accepted');
});
