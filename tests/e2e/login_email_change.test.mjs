// Changing the login e-mail (issue 26): the current password, a single-use expiring link to the
// new address (stored hashed), the old address told, a confirm page that a link scanner cannot
// confirm, sign-in only with the new address afterwards; and the login e-mail refused everywhere
// else (PATCH of a guardian, 409 `login_email`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startPortal, assertError, BASE } from './harness.mjs';

let portal;
before(async () => {
  portal = await startPortal();
});
after(async () => {
  await portal?.close();
});

const api = (slug) => `/portal/${slug}/api`;
const FORM = 'application/x-www-form-urlencoded';

/** A page request whose redirects are seen, not followed. */
async function page(method, path, { token, fields } = {}) {
  const headers = { origin: BASE };
  if (token) headers.cookie = `portal_session=${token}`;
  if (fields) headers['content-type'] = FORM;
  const body = fields ? new URLSearchParams(fields).toString() : undefined;
  const res = await portal.mf.dispatchFetch(`${BASE}${path}`, { method, body, headers, redirect: 'manual' });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const ask = (slug, who, new_email, current_password = who.password) =>
  portal.request('POST', `${api(slug)}/me/email`, { token: who.token, json: { new_email, current_password } });

const signIn = (slug, email, password) => portal.request('POST', `${api(slug)}/session`, { json: { email, password } });

async function changeLink(slug, to) {
  return portal.linkToken(to, 'email_change_link', `portal/${slug}/email-change`);
}

test('a login e-mail changes only when the link sent to the new address is confirmed; the old address is told', async () => {
  const slug = 'email-happy';
  const { staff, primary } = await portal.familyWithSecondary(slug);
  const other = await portal.guardianSignIn(slug, primary.email, primary.password); // another device
  const asked = await ask(slug, primary, 'Ann.New@Email-Happy.test');
  assert.equal(asked.status, 202, asked.text);

  const [told] = await portal.waitForMail(primary.email, (m) => m.kind === 'email_change_requested');
  assert.match(told.text, /ann\.new@email-happy\.test/);
  assert.doesNotMatch(told.text, /email-change\//, 'the old address gets no link');
  const token = await changeLink(slug, 'ann.new@email-happy.test');
  const stored = await portal.dbOf(slug).prepare('SELECT token_hash FROM email_changes WHERE new_email = ?').bind('ann.new@email-happy.test').first();
  assert.equal(stored.token_hash, createHash('sha256').update(token).digest('hex'), 'stored hashed, never as sent');

  // Until confirmed, nothing changes: opening the link only shows what confirming does.
  const shown = await page('GET', `/portal/${slug}/email-change/${token}`);
  assert.equal(shown.status, 200, shown.text);
  assert.match(shown.text, /ann\.new@email-happy\.test/);
  assert.match(shown.text, /Confirm New Login Email/);
  assert.equal((await signIn(slug, primary.email, primary.password)).status, 200, 'the old address still signs in');

  const confirmed = await page('POST', `/portal/${slug}/email-change/${token}`, { fields: {} });
  assert.equal(confirmed.status, 303, confirmed.text);
  assert.equal(confirmed.headers.get('location'), `/portal/${slug}/account#account-information`);
  assert.match(confirmed.headers.get('set-cookie'), /portal_flash=login-email-changed/);

  assertError(await signIn(slug, primary.email, primary.password), 401, 'invalid_credentials');
  assert.equal((await signIn(slug, 'ann.new@email-happy.test', primary.password)).status, 200, 'the new address signs in, same password');
  // The session that asked stays; the person's other sessions end.
  assert.equal((await portal.request('GET', `${api(slug)}/account`, { token: primary.token })).status, 200);
  assertError(await portal.request('GET', `${api(slug)}/account`, { token: other }), 401, 'session_ended');

  const info = await portal.request('GET', `${api(slug)}/contact-info`, { token: primary.token });
  const ann = info.body.guardians.find((g) => g.guardian_id === primary.id);
  assert.deepEqual(ann.emails.map((e) => [e.email, e.is_login]), [['ann.new@email-happy.test', true]], 'the login e-mail follows');
  const audit = await portal.request('GET', `/office/${slug}/api/audit?guardian_id=${primary.id}`, { token: staff });
  const actions = audit.body.entries.map((e) => e.action);
  assert.ok(actions.includes('login_email_change_requested') && actions.includes('login_email_changed'), audit.text);
});

test('a used link and an expired link each show their own page and change nothing', async () => {
  const slug = 'email-links';
  const { primary, secondary } = await portal.familyWithSecondary(slug);
  assert.equal((await ask(slug, primary, `ann2@${slug}.test`)).status, 202);
  const token = await changeLink(slug, `ann2@${slug}.test`);
  assert.equal((await page('POST', `/portal/${slug}/email-change/${token}`, { fields: {} })).status, 303);
  for (const method of ['GET', 'POST']) {
    const used = await page(method, `/portal/${slug}/email-change/${token}`, { fields: method === 'POST' ? {} : undefined });
    assert.equal(used.status, 410, used.text);
    assert.match(used.text, /already been used/);
  }

  assert.equal((await ask(slug, secondary, `bob2@${slug}.test`)).status, 202);
  const late = await changeLink(slug, `bob2@${slug}.test`);
  await portal.dbOf(slug).prepare('UPDATE email_changes SET expires_at = 1 WHERE new_email = ?').bind(`bob2@${slug}.test`).run();
  for (const method of ['GET', 'POST']) {
    const expired = await page(method, `/portal/${slug}/email-change/${late}`, { fields: method === 'POST' ? {} : undefined });
    assert.equal(expired.status, 410, expired.text);
    assert.match(expired.text, /has expired/);
  }
  assert.equal((await signIn(slug, secondary.email, secondary.password)).status, 200, 'an expired link changed nothing');

  const unknown = await page('GET', `/portal/${slug}/email-change/${'x'.repeat(43)}`);
  assert.equal(unknown.status, 404);
  assert.match(unknown.text, /not valid/);
});

test('a new request ends the earlier link', async () => {
  const slug = 'email-twice';
  const { primary } = await portal.familyWithSecondary(slug);
  assert.equal((await ask(slug, primary, `first@${slug}.test`)).status, 202);
  const first = await changeLink(slug, `first@${slug}.test`);
  assert.equal((await ask(slug, primary, `second@${slug}.test`)).status, 202);
  assert.equal((await page('GET', `/portal/${slug}/email-change/${first}`)).status, 410);
});

test('an address that already signs in here, or belongs to someone in the family, is refused with a clear message', async () => {
  const slug = 'email-taken';
  const { staff, primary, secondary } = await portal.familyWithSecondary(slug);
  const inFamily = await ask(slug, primary, secondary.email);
  assertError(inFamily, 409, 'email_in_use');
  assert.equal(inFamily.body.error.field, 'new_email');
  assert.match(inFamily.body.error.message, /already signs in/);
  // Another family's login.
  const kim = await portal.createFamily(slug, staff, 'Kim', { first_name: 'Kay', last_name: 'Kim', email: `kay@${slug}.test` });
  assert.equal((await portal.request('POST', `/office/${slug}/api/guardians/${kim.primary_guardian_id}/invitation`, { token: staff })).status, 202);
  assert.equal((await portal.accept(slug, await portal.linkToken(`kay@${slug}.test`, 'invitation'), 'kay-password-1')).status, 200);
  assertError(await ask(slug, primary, `KAY@${slug}.test`), 409, 'email_in_use');
  assertError(await ask(slug, primary, primary.email), 422, 'invalid_field');
  const bad = await ask(slug, primary, 'not-an-address');
  assertError(bad, 422, 'invalid_field');
  assert.equal(bad.body.error.field, 'new_email');
});

test('an address taken between the request and the confirmation is refused on the confirm page', async () => {
  const slug = 'email-race';
  const { staff, primary } = await portal.familyWithSecondary(slug);
  assert.equal((await ask(slug, primary, `cal@${slug}.test`)).status, 202);
  const token = await changeLink(slug, `cal@${slug}.test`);
  const cal = await portal.createFamily(slug, staff, 'Cole', { first_name: 'Cal', last_name: 'Cole', email: `cal@${slug}.test` });
  assert.equal((await portal.request('POST', `/office/${slug}/api/guardians/${cal.primary_guardian_id}/invitation`, { token: staff })).status, 202);
  const invite = await portal.linkToken(`cal@${slug}.test`, 'invitation');
  assert.equal((await portal.accept(slug, invite, 'cal-password-1')).status, 200);
  const refused = await page('POST', `/portal/${slug}/email-change/${token}`, { fields: {} });
  assert.equal(refused.status, 409, refused.text);
  assert.match(refused.text, /already signs in/);
  assert.equal((await signIn(slug, primary.email, primary.password)).status, 200);
});

test('a wrong current password is refused as Change Password refuses it, and nothing is sent', async () => {
  const slug = 'email-password';
  const { primary } = await portal.familyWithSecondary(slug);
  const refused = await ask(slug, primary, `ann3@${slug}.test`, 'not-my-password');
  assertError(refused, 403, 'wrong_password');
  assert.equal(refused.body.error.field, 'current_password');
  assert.deepEqual(await portal.mailbox(`ann3@${slug}.test`), []);
  const rows = await portal.dbOf(slug)
    .prepare('SELECT COUNT(*) AS n FROM email_changes WHERE org_id = (SELECT id FROM organizations WHERE slug = ?)')
    .bind(slug)
    .first();
  assert.equal(rows.n, 0);
});

test('with the portal off the change is refused (503), and so is its link', async () => {
  const slug = 'email-off';
  const { primary } = await portal.familyWithSecondary(slug);
  assert.equal((await ask(slug, primary, `ann4@${slug}.test`)).status, 202);
  const token = await changeLink(slug, `ann4@${slug}.test`);
  await portal.dbOf(slug).prepare('UPDATE organizations SET portal_enabled = 0 WHERE slug = ?').bind(slug).run();
  assertError(await ask(slug, primary, `ann5@${slug}.test`), 503, 'portal_unavailable');
  assert.equal((await page('POST', `/portal/${slug}/email-change/${token}`, { fields: {} })).status, 503);
  await portal.dbOf(slug).prepare('UPDATE organizations SET portal_enabled = 1 WHERE slug = ?').bind(slug).run();
  assert.equal((await signIn(slug, primary.email, primary.password)).status, 200, 'nothing changed while off');
});

test('a secondary changes their own login e-mail; staff see the new address', async () => {
  const slug = 'email-secondary';
  const { staff, family, secondary } = await portal.familyWithSecondary(slug);
  assert.equal((await ask(slug, secondary, `robert@${slug}.test`)).status, 202);
  await portal.waitForMail(secondary.email, (m) => m.kind === 'email_change_requested');
  const token = await changeLink(slug, `robert@${slug}.test`);
  assert.equal((await page('POST', `/portal/${slug}/email-change/${token}`, { fields: {} })).status, 303);
  assert.equal((await signIn(slug, `robert@${slug}.test`, secondary.password)).status, 200);
  assertError(await signIn(slug, secondary.email, secondary.password), 401, 'invalid_credentials');
  const seen = await portal.request('GET', `/office/${slug}/api/families/${family.id}`, { token: staff });
  assert.equal(seen.body.guardians.find((g) => g.id === secondary.id).email, `robert@${slug}.test`);
});

test('the login e-mail is not changed by editing the guardian, by the customer or by staff (409 login_email)', async () => {
  const slug = 'email-patch';
  const { staff, primary, secondary } = await portal.familyWithSecondary(slug);
  const own = await portal.request('PATCH', `${api(slug)}/guardians/${primary.id}`, { token: primary.token, json: { email: `ann6@${slug}.test` } });
  assertError(own, 409, 'login_email');
  assert.equal(own.body.error.field, 'email');
  assert.match(own.body.error.message, /Change Login Email/);
  assertError(
    await portal.request('PATCH', `${api(slug)}/guardians/${secondary.id}`, { token: secondary.token, json: { email: `bob6@${slug}.test` } }),
    409,
    'login_email',
  );
  assertError(await portal.request('PATCH', `/office/${slug}/api/guardians/${secondary.id}`, { token: staff, json: { email: `bob7@${slug}.test` } }), 409, 'login_email');
  // Their name and phone still change; the unchanged address is no change at all.
  const renamed = await portal.request('PATCH', `${api(slug)}/guardians/${primary.id}`, { token: primary.token, json: { email: primary.email, first_name: 'Anna' } });
  assert.equal(renamed.status, 200, renamed.text);
  assert.equal((await signIn(slug, primary.email, primary.password)).status, 200);
});

test('the My Account form: errors beside the fields (422), then Check your new inbox', async () => {
  const slug = 'email-page';
  const { primary } = await portal.familyWithSecondary(slug);
  const form = await page('GET', `/portal/${slug}/account/login-email`, { token: primary.token });
  assert.equal(form.status, 200);
  assert.match(form.text, /Change Login Email/);
  const account = await page('GET', `/portal/${slug}/account`, { token: primary.token });
  assert.match(account.text, /href="\/portal\/email-page\/account\/login-email"/);
  const empty = await page('POST', `/portal/${slug}/account/login-email`, { token: primary.token, fields: { new_email: '', current_password: '' } });
  assert.equal(empty.status, 422);
  assert.match(empty.text, /error-summary/);
  assert.match(empty.text, /href="#new_email"/);
  const wrong = await page('POST', `/portal/${slug}/account/login-email`, { token: primary.token, fields: { new_email: `ann7@${slug}.test`, current_password: 'nope-nope-nope' } });
  assert.equal(wrong.status, 422, 'the page shows the refusal beside the field, as Change Password does');
  assert.match(wrong.text, /href="#current_password"/);
  const sent = await page('POST', `/portal/${slug}/account/login-email`, { token: primary.token, fields: { new_email: `ann7@${slug}.test`, current_password: primary.password } });
  assert.equal(sent.status, 303, sent.text);
  assert.match(sent.headers.get('set-cookie'), /portal_flash=check-new-inbox/);
  await changeLink(slug, `ann7@${slug}.test`);
  const out = await page('GET', `/portal/${slug}/account/login-email`);
  assert.equal(out.status, 303, 'signed out: to sign-in');
});
