// The Customer Portal's pages in Chromium, as a family uses them: forms without JavaScript, the
// error summary, the e-mailed links, the portal switch, cross-site posts. Every page visited is
// checked by axe-core (zero violations), for its weight and for third-party requests.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startServedPortal, launchBrowser, openTab, checkPage, linkInMail, freePort, submit, signIn as signInAt, UNAVAILABLE } from './harness.mjs';

let portal;
let browser;
before(async () => {
  portal = await startServedPortal();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await portal?.close();
});

async function go(tab, path) {
  return tab.page.goto(path.startsWith('http') ? path : `${portal.base}${path}`);
}

const heading = (page) => page.getByRole('heading', { level: 1 }).textContent();
const summaryLinks = (page) =>
  page.getByRole('alert').getByRole('link').evaluateAll((links) => links.map((a) => [a.textContent.trim(), a.getAttribute('href')]));

const signIn = (tab, slug, email, password) => signInAt(tab, portal.base, slug, email, password);

test('sign-in: the organization is named, and wrong input gets the error summary and the message at the field', async () => {
  await portal.familyWithSecondary('signin');
  const tab = await openTab(browser, portal.base);
  const res = await go(tab, '/portal/signin');
  assert.equal(res.status(), 200);
  assert.match(await tab.page.title(), /^Sign in – signin Swim School Customer Portal$/);
  assert.match(await tab.page.getByRole('banner').textContent(), /signin Swim School/);
  await checkPage(tab, 'sign-in');

  const empty = await submit(tab.page, 'Sign in');
  assert.equal(empty.status(), 422);
  assert.deepEqual(await summaryLinks(tab.page), [
    ['Enter your e-mail address.', '#email'],
    ['Enter your password.', '#password'],
  ]);

  await tab.page.getByLabel('E-mail address').fill('ann@signin.test');
  await tab.page.getByLabel('Password', { exact: true }).fill('not-the-password');
  const wrong = await submit(tab.page, 'Sign in');
  assert.equal(wrong.status(), 422);
  assert.match(await tab.page.title(), /^Error: Sign in/);
  const summary = tab.page.getByRole('alert');
  assert.equal(await summary.getByRole('heading').textContent(), 'There is a problem');
  assert.deepEqual(await summaryLinks(tab.page), [['The e-mail address or password is incorrect.', '#password']]);
  assert.match(await tab.page.locator('#password-error').textContent(), /The e-mail address or password is incorrect\./);
  assert.equal(await tab.page.getByLabel('Password', { exact: true }).getAttribute('aria-describedby'), 'password-error');
  assert.equal(await tab.page.getByLabel('E-mail address').inputValue(), 'ann@signin.test', 'the address is kept');
  assert.equal(await tab.page.getByLabel('Password', { exact: true }).inputValue(), '', 'the password is never sent back');
  assert.ok(!(await tab.page.content()).includes('not-the-password'));
  await checkPage(tab, 'sign-in with errors');
  await tab.context.close();
});

test('keyboard only: the skip link, then each field and the button, every one with a visible focus ring', async () => {
  const tab = await openTab(browser, portal.base);
  await go(tab, '/portal/signin');
  const focused = () =>
    tab.page.evaluate(() => {
      const el = document.activeElement;
      const style = getComputedStyle(el);
      return { id: el.id || el.textContent.trim(), ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2 };
    });
  const order = [];
  for (let i = 0; i < 5; i++) {
    await tab.page.keyboard.press('Tab');
    const f = await focused();
    assert.ok(f.ring, `no visible focus on ${f.id}`);
    order.push(f.id);
  }
  assert.deepEqual(order, ['Skip to main content', 'email', 'password', 'Sign in', 'Forgot your password?']);
  await tab.page.getByLabel('E-mail address').focus();
  await tab.page.keyboard.type('nobody@signin.test');
  await tab.page.keyboard.press('Tab');
  await tab.page.keyboard.type('not-a-password');
  const [res] = await Promise.all([tab.page.waitForNavigation(), tab.page.keyboard.press('Enter')]);
  assert.equal(res.status(), 422);
  await tab.context.close();
});

test('sign-in lands on My Account with the session cookie; Sign out ends the session and says so once', async () => {
  const tab = await openTab(browser, portal.base);
  const res = await signIn(tab, 'signin', 'ann@signin.test', 'ann-password-1');
  assert.equal(res.status(), 200);
  assert.equal(new URL(tab.page.url()).pathname, '/portal/signin/account');
  assert.equal(await heading(tab.page), 'My Account');
  assert.match(await tab.page.getByRole('main').textContent(), /Lee family[\s\S]*Ann Lee \(Primary Guardian\)[\s\S]*Can Log In/);
  await checkPage(tab, 'My Account');
  const [cookie] = (await tab.context.cookies()).filter((c) => c.name === 'portal_session');
  assert.ok(cookie, 'the session cookie is set');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.secure, true);
  assert.equal(cookie.sameSite, 'Lax');
  assert.equal(cookie.path, '/portal/signin');

  await submit(tab.page, 'Sign out');
  assert.equal(new URL(tab.page.url()).pathname, '/portal/signin');
  assert.equal(await tab.page.getByRole('status').textContent(), 'You have signed out.');
  await checkPage(tab, 'signed out');
  await tab.page.reload();
  assert.equal(await tab.page.getByRole('status').count(), 0, 'the message is shown once');
  const ended = await portal.dbOf('signin').prepare("SELECT COUNT(*) AS n FROM sessions WHERE end_reason = 'signed_out'").first();
  assert.equal(ended.n, 1);
  await go(tab, '/portal/signin/account');
  assert.equal(new URL(tab.page.url()).pathname, '/portal/signin', 'My Account without a session goes to sign-in');
  await tab.context.close();
});

test('throttling: after five wrong passwords the page says how long to wait (429), even for the right one', async () => {
  const tab = await openTab(browser, portal.base);
  let res;
  for (let attempt = 1; attempt <= 5; attempt++) {
    res = await signIn(tab, 'signin', 'bob@signin.test', `wrong-password-${attempt}`);
    assert.equal(res.status(), 422, `attempt ${attempt}`);
  }
  res = await signIn(tab, 'signin', 'bob@signin.test', 'bob-password-1');
  assert.equal(res.status(), 429);
  // The lockout is 15 minutes from the failure that began it: a second may pass before this answer.
  assert.ok([899, 900].includes(Number(res.headers()['retry-after'])), res.headers()['retry-after']);
  assert.match(await tab.page.getByRole('alert').textContent(), /Too many failed sign-in attempts\. Try again in 15 minutes\./);
  assert.equal(new URL(tab.page.url()).pathname, '/portal/signin');
  await checkPage(tab, 'sign-in throttled');
  await tab.context.close();
});

test('forgot password: request, the e-mailed link, a new password, then sign in with it', async () => {
  const tab = await openTab(browser, portal.base);
  await go(tab, '/portal/signin');
  await tab.page.getByRole('link', { name: 'Forgot your password?' }).click();
  await tab.page.waitForURL(`${portal.base}/portal/signin/forgot-password`);
  await checkPage(tab, 'forgot password');
  assert.equal((await submit(tab.page, 'Send reset link')).status(), 422);
  assert.deepEqual(await summaryLinks(tab.page), [['Enter your e-mail address.', '#email']]);
  await checkPage(tab, 'forgot password with errors');

  // The answer is the same page whether or not the address has an account.
  await tab.page.getByLabel('E-mail address').fill('nobody@signin.test');
  await submit(tab.page, 'Send reset link');
  const unknownText = await tab.page.getByRole('main').textContent();
  await go(tab, '/portal/signin/forgot-password');
  await tab.page.getByLabel('E-mail address').fill('ann@signin.test');
  const sent = await submit(tab.page, 'Send reset link');
  assert.equal(sent.status(), 200);
  assert.equal(new URL(tab.page.url()).pathname, '/portal/signin/forgot-password/sent');
  assert.equal(await heading(tab.page), 'Check your e-mail');
  assert.equal(await tab.page.getByRole('main').textContent(), unknownText);
  await checkPage(tab, 'reset link sent');

  const link = await linkInMail(portal, 'ann@signin.test', 'password_reset');
  assert.ok(link.startsWith(`${portal.base}/portal/signin/password-reset/`), link);
  await go(tab, link);
  assert.equal(await heading(tab.page), 'Choose a new password');
  await checkPage(tab, 'password reset');
  await tab.page.getByLabel('New password').fill('short');
  assert.equal((await submit(tab.page, 'Reset Password')).status(), 422);
  assert.deepEqual(await summaryLinks(tab.page), [['The password must be at least 10 characters.', '#new_password']]);
  await checkPage(tab, 'password reset with errors');
  await tab.page.getByLabel('New password').fill('ann-new-password-2');
  await submit(tab.page, 'Reset Password');
  assert.equal(new URL(tab.page.url()).pathname, '/portal/signin');
  assert.equal(await tab.page.getByRole('status').textContent(), 'Your password has been changed. Sign in with your new password.');
  await checkPage(tab, 'signed out after reset');

  assert.equal((await signIn(tab, 'signin', 'ann@signin.test', 'ann-password-1')).status(), 422, 'the old password is gone');
  await signIn(tab, 'signin', 'ann@signin.test', 'ann-new-password-2');
  assert.equal(await heading(tab.page), 'My Account');

  const used = await go(tab, link);
  assert.equal(used.status(), 410);
  assert.equal(await heading(tab.page), 'This link no longer works');
  await checkPage(tab, 'used reset link');
  await tab.context.close();
});

test('an invitation accepted from its e-mailed link signs the person in; used and revoked links get their own page', async () => {
  const org = await portal.createOrganization('invite');
  const staff = await portal.staffSignIn('invite', org.owner_email, org.owner_password);
  const family = await portal.createFamily('invite', staff, 'Cho', { first_name: 'Cy', last_name: 'Cho', email: 'cy@invite.test' });
  const sent = await portal.request('POST', `/office/invite/api/guardians/${family.primary_guardian_id}/invitation`, { token: staff });
  assert.equal(sent.status, 202);
  const link = await linkInMail(portal, 'cy@invite.test', 'invitation');
  assert.ok(link.startsWith(`${portal.base}/portal/invite/invitations/`), link);

  const tab = await openTab(browser, portal.base);
  await go(tab, link);
  assert.equal(await heading(tab.page), 'Welcome, Cy');
  assert.match(await tab.page.getByRole('main').textContent(), /Cho family account in the invite Swim School Customer Portal/);
  await checkPage(tab, 'invitation');

  assert.equal((await submit(tab.page, 'Accept invitation')).status(), 422);
  assert.deepEqual(await summaryLinks(tab.page), [
    ['Enter a password.', '#password'],
    ['Confirm that you are 18 or older.', '#confirm_adult'],
    ['Please accept the terms to continue.', '#accept_terms'],
  ]);
  await checkPage(tab, 'invitation with errors');
  await tab.page.getByLabel('I am 18 or older').check();
  await tab.page.getByLabel('Choose a password').fill('cy-password-1');
  assert.equal((await submit(tab.page, 'Accept invitation')).status(), 422);
  assert.equal(await tab.page.getByLabel('I am 18 or older').isChecked(), true, 'a ticked box stays ticked');
  assert.deepEqual(await summaryLinks(tab.page), [['Please accept the terms to continue.', '#accept_terms']]);
  await tab.page.getByLabel('Choose a password').fill('cy-password-1');
  await tab.page.getByLabel('I accept the terms of use of the Customer Portal').check();
  await submit(tab.page, 'Accept invitation');
  assert.equal(new URL(tab.page.url()).pathname, '/portal/invite/account');
  assert.equal(await tab.page.getByRole('status').textContent(), 'You have accepted the invitation and are signed in.');
  assert.equal(await heading(tab.page), 'My Account');
  await checkPage(tab, 'My Account after accepting');

  const used = await go(tab, link);
  assert.equal(used.status(), 410);
  assert.equal(await heading(tab.page), 'This invitation has already been used');
  assert.match(await tab.page.getByRole('main').textContent(), /If you did not accept it yourself: contact invite Swim School and ask them to send you a new invitation\./);
  await checkPage(tab, 'used invitation');

  // A secondary's invitation, revoked before it was used: ask the Primary Guardian.
  const cy = await portal.guardianSignIn('invite', 'cy@invite.test', 'cy-password-1');
  const dee = await portal.request('POST', '/portal/invite/api/guardians', { token: cy, json: { first_name: 'Dee', last_name: 'Cho', email: 'dee@invite.test' } });
  await portal.request('POST', `/portal/invite/api/guardians/${dee.body.id}/invitation`, { token: cy });
  const deeLink = await linkInMail(portal, 'dee@invite.test', 'invitation');
  assert.equal((await portal.request('POST', `/portal/invite/api/guardians/${dee.body.id}/revoke`, { token: cy })).status, 200);
  const revoked = await go(tab, deeLink);
  assert.equal(revoked.status(), 410);
  assert.equal(await heading(tab.page), 'This invitation is no longer valid');
  assert.match(await tab.page.getByRole('main').textContent(), /ask the Primary Guardian of your family account to send you a new invitation\./);
  await checkPage(tab, 'revoked invitation');
  await tab.context.close();
});

test('the staff switches the portal off: sign-in, My Account and an invitation link show the 503 message; back on, the old cookie is dead', async () => {
  const { staff, primary } = await portal.familyWithSecondary('off');
  const cal = await portal.request('POST', '/portal/off/api/guardians', { token: primary.token, json: { first_name: 'Cal', last_name: 'Lee', email: 'cal@off.test' } });
  await portal.request('POST', `/portal/off/api/guardians/${cal.body.id}/invitation`, { token: primary.token });
  const link = await linkInMail(portal, 'cal@off.test', 'invitation');
  const tab = await openTab(browser, portal.base);
  await signIn(tab, 'off', primary.email, primary.password);
  assert.equal(await heading(tab.page), 'My Account');

  const setPortal = (enabled) => portal.request('PUT', '/office/off/api/settings/customer-portal', { token: staff, json: { enabled } });
  assert.equal((await setPortal(false)).status, 200);
  for (const [what, path] of [
    ['sign-in', '/portal/off'],
    ['My Account', '/portal/off/account'],
    ['invitation link', link],
    ['forgot password', '/portal/off/forgot-password'],
  ]) {
    const res = await go(tab, path);
    assert.equal(res.status(), 503, what);
    assert.equal(await tab.page.locator('main p').first().textContent(), UNAVAILABLE, what);
    await checkPage(tab, `${what} while the portal is off`);
  }

  assert.equal((await setPortal(true)).status, 200);
  await go(tab, '/portal/off/account');
  assert.equal(new URL(tab.page.url()).pathname, '/portal/off');
  assert.equal(await tab.page.getByRole('status').textContent(), 'Your session has ended. Please sign in again.');
  await checkPage(tab, 'sign-in after the portal came back');
  await tab.context.close();
});

test('a form posted from another site is refused and changes nothing', async () => {
  const { primary } = await portal.familyWithSecondary('csrf');
  // The other site: a page whose forms post to the portal (signing the visitor out, or in as someone else).
  const evilPort = await freePort();
  const evil = createServer((req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(`<!doctype html><title>Win</title>
      <form method="post" action="${portal.base}/portal/csrf/sign-out"><button>Win a prize</button></form>
      <form method="post" action="${portal.base}/portal/csrf"><input type="hidden" name="email" value="${primary.email}">
      <input type="hidden" name="password" value="${primary.password}"><button>Sign in for a prize</button></form>`);
  });
  await new Promise((resolve) => evil.listen(evilPort, 'localhost', resolve));
  try {
    const tab = await openTab(browser, portal.base);
    await signIn(tab, 'csrf', primary.email, primary.password);
    assert.equal(await heading(tab.page), 'My Account');
    const live = () => portal.dbOf('csrf').prepare('SELECT COUNT(*) AS n FROM sessions WHERE subject_id = ? AND ended_at IS NULL').bind(primary.id).first();
    const before = (await live()).n;

    await tab.page.goto(`http://localhost:${evilPort}/`);
    const refused = await submit(tab.page, 'Win a prize');
    assert.equal(refused.status(), 403);
    assert.equal(await heading(tab.page), 'Request refused');
    tab.foreign.length = 0; // the other site's page was ours to visit; the refusal page is checked as any other
    await checkPage(tab, 'cross-site post refused');
    assert.equal((await live()).n, before, 'no session ended');

    await tab.page.goto(`http://localhost:${evilPort}/`);
    assert.equal((await submit(tab.page, 'Sign in for a prize')).status(), 403);
    assert.equal((await live()).n, before, 'no session started');

    await go(tab, '/portal/csrf/account');
    assert.equal(await heading(tab.page), 'My Account', 'still signed in');
    await tab.context.close();
  } finally {
    evil.close();
  }
});

test('every page reads at 360 px wide without sideways scrolling', async () => {
  const { primary } = await portal.familyWithSecondary('narrow');
  const cal = await portal.request('POST', '/portal/narrow/api/guardians', { token: primary.token, json: { first_name: 'Cal', last_name: 'Lee', email: 'cal@narrow.test' } });
  await portal.request('POST', `/portal/narrow/api/guardians/${cal.body.id}/invitation`, { token: primary.token });
  const link = await linkInMail(portal, 'cal@narrow.test', 'invitation');
  const tab = await openTab(browser, portal.base, { width: 360, height: 740 });
  for (const [what, path] of [
    ['sign-in', '/portal/narrow'],
    ['forgot password', '/portal/narrow/forgot-password'],
    ['invitation', link],
  ]) {
    await go(tab, path);
    await checkPage(tab, `${what} at 360 px`);
  }
  await go(tab, '/portal/narrow');
  assert.equal((await submit(tab.page, 'Sign in')).status(), 422);
  await checkPage(tab, 'sign-in with errors at 360 px');
  await signIn(tab, 'narrow', primary.email, primary.password);
  await checkPage(tab, 'My Account at 360 px');
  await tab.context.close();
});
