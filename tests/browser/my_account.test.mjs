// My Account in Chromium: the Primary Guardian invites (changing the address at the confirm step),
// the secondary accepts, revoking ends their open session at the next click and deletes their card,
// the Family Switcher, Change Password. Every page visited is checked by axe-core.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServedPortal, launchBrowser, openTab, checkPage, linkInMail, submit, signIn as signInAt } from './harness.mjs';

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

async function follow(page, name) {
  const [response] = await Promise.all([page.waitForNavigation(), page.getByRole('link', { name, exact: true }).first().click()]);
  return response;
}

const signIn = (tab, slug, email, password) => signInAt(tab, portal.base, slug, email, password);

const notice = (page) => page.getByRole('status').textContent();

/** An organization whose family's primary, Ann, has accepted (by the API). */
async function familyWithPrimary(slug) {
  const org = await portal.createOrganization(slug);
  const staff = await portal.staffSignIn(slug, org.owner_email, org.owner_password);
  const family = await portal.createFamily(slug, staff, 'Lee', { first_name: 'Ann', last_name: 'Lee', email: `ann@${slug}.test` });
  await portal.request('POST', `/office/${slug}/api/guardians/${family.primary_guardian_id}/invitation`, { token: staff });
  const accepted = await portal.accept(slug, await portal.linkToken(`ann@${slug}.test`, 'invitation'), 'ann-password-1');
  assert.equal(accepted.status, 200, accepted.text);
  return { staff, family, ann: { email: `ann@${slug}.test`, password: 'ann-password-1', token: accepted.body.token } };
}

test('the primary adds a guardian, sends the invitation to a corrected address; they accept; the primary sees Can Log In', async () => {
  const { ann } = await familyWithPrimary('invite-flow');
  const tab = await openTab(browser, portal.base);
  await signIn(tab, 'invite-flow', ann.email, ann.password);
  assert.equal(await tab.page.getByRole('heading', { level: 1 }).textContent(), 'My Account');
  await checkPage(tab, 'My Account');

  await follow(tab.page, 'Add Guardian');
  await checkPage(tab, 'Add Guardian');
  const missing = await submit(tab.page, 'Add Guardian');
  assert.equal(missing.status(), 422);
  await tab.page.getByLabel('First name').fill('Bob');
  await tab.page.getByLabel('Last name').fill('Lee');
  await tab.page.getByLabel('E-mail address').fill('bob-typo@invite-flow.test');
  await submit(tab.page, 'Add Guardian');
  assert.match(await notice(tab.page), /The guardian has been added/);
  const bob = tab.page.getByRole('list', { name: 'Guardians' }).getByRole('listitem').filter({ hasText: 'Bob Lee' });
  assert.match(await bob.textContent(), /No Access/);

  await Promise.all([tab.page.waitForNavigation(), bob.getByRole('link', { name: 'Send Invite Email', exact: true }).click()]);
  await checkPage(tab, 'Send Invite Email confirm step');
  assert.equal(await tab.page.getByLabel('E-mail address').inputValue(), 'bob-typo@invite-flow.test', 'the address on file is shown');
  await tab.page.getByLabel('E-mail address').fill('bob@invite-flow.test');
  await submit(tab.page, 'Send Invite Email');
  assert.match(await notice(tab.page), /invitation e-mail has been sent/);
  assert.match(await tab.page.getByRole('list', { name: 'Guardians' }).getByRole('listitem').filter({ hasText: 'Bob Lee' }).textContent(), /Invite Sent/);

  const bobTab = await openTab(browser, portal.base);
  await bobTab.page.goto(await linkInMail(portal, 'bob@invite-flow.test', 'invitation'));
  await bobTab.page.getByLabel('Choose a password').fill('bob-password-1');
  await bobTab.page.getByLabel('I am 18 or older').check();
  await bobTab.page.getByLabel('I accept the terms of use of the Customer Portal').check();
  await submit(bobTab.page, 'Accept invitation');
  assert.equal(await bobTab.page.getByRole('heading', { level: 1 }).textContent(), 'My Account');
  assert.equal((await portal.mailbox('bob-typo@invite-flow.test')).length, 0, 'nothing went to the old address');

  await tab.page.reload();
  const accepted = tab.page.getByRole('list', { name: 'Guardians' }).getByRole('listitem').filter({ hasText: 'Bob Lee' });
  assert.match(await accepted.textContent(), /Can Log In/);
  assert.doesNotMatch(await accepted.textContent(), /bob@invite-flow\.test/, 'once accepted, the primary sees the name and indicator only');
  assert.equal(await accepted.getByRole('link', { name: 'Edit', exact: true }).count(), 0);
  assert.equal(await accepted.getByRole('button', { name: 'Reset Password', exact: true }).count(), 1);
  await bobTab.context.close();
  await tab.context.close();
});

test('revoking a secondary who has My Account open: the preview names their card; their next click lands on sign-in', async () => {
  const f = await portal.familyWithSecondary('revoke-page');
  await portal.request('PATCH', '/office/revoke-page/api/settings/portal-options', { token: f.staff, json: { payment_gateway: { kind: 'sandbox' } } });
  const saved = await portal.request('POST', '/portal/revoke-page/api/payment-methods', {
    token: f.secondary.token,
    json: { kind: 'card', gateway_token: 'tok_visa', last4: '4242', exp_month: 12, exp_year: 2035 },
  });
  assert.equal(saved.status, 201, saved.text);

  const bobTab = await openTab(browser, portal.base, { width: 360, height: 800 });
  await signIn(bobTab, 'revoke-page', f.secondary.email, f.secondary.password);
  await checkPage(bobTab, 'My Account of a secondary at 360 px');

  const annTab = await openTab(browser, portal.base);
  await signIn(annTab, 'revoke-page', f.primary.email, f.primary.password);
  const bob = annTab.page.getByRole('list', { name: 'Guardians' }).getByRole('listitem').filter({ hasText: 'Bob Lee' });
  await Promise.all([annTab.page.waitForNavigation(), bob.getByRole('link', { name: 'Revoke', exact: true }).click()]);
  await checkPage(annTab, 'Revoke preview');
  const preview = await annTab.page.getByRole('main').textContent();
  assert.match(preview, /signed out at once \(2 sessions\)/, 'the browser and the API session');
  assert.match(preview, /4242/);
  assert.match(preview, new RegExp(f.secondary.email.replace('.', '\\.')));
  await annTab.page.getByLabel('Reason (optional)').fill('Moved away');
  await submit(annTab.page, 'Revoke');
  assert.match(await notice(annTab.page), /access has been revoked/);
  assert.match(await annTab.page.getByRole('list', { name: 'Guardians' }).getByRole('listitem').filter({ hasText: 'Bob Lee' }).textContent(), /Invite Revoked/);

  const next = await follow(bobTab.page, 'Change Password');
  assert.equal(new URL(bobTab.page.url()).pathname, '/portal/revoke-page');
  assert.equal(next.status(), 200);
  assert.match(await notice(bobTab.page), /Your access to this family's account has ended/, 'the page says why');
  const methods = await portal.request('GET', '/portal/revoke-page/api/payment-methods', { token: f.primary.token });
  assert.deepEqual(methods.body.payment_methods.map((m) => m.last4), [], 'the card is gone');
  await bobTab.context.close();
  await annTab.context.close();
});

test('the Family Switcher moves between a person’s families; Change Password keeps this session only', async () => {
  const f = await portal.familyWithSecondary('switcher');
  const other = await portal.createFamily('switcher', f.staff, 'Kim', { first_name: 'Kay', last_name: 'Kim', email: 'kay@switcher.test' });
  const added = await portal.request('POST', `/office/switcher/api/families/${other.id}/guardians`, {
    token: f.staff,
    json: { first_name: 'Ann', last_name: 'Lee', email: f.primary.email },
  });
  assert.equal(added.status, 201, added.text);
  // Staff may invite only a primary: Kim's own primary accepts first, then invites Ann.
  await portal.request('POST', `/office/switcher/api/guardians/${other.primary_guardian_id}/invitation`, { token: f.staff });
  const kay = await portal.accept('switcher', await portal.linkToken('kay@switcher.test', 'invitation'), 'kay-password-1');
  await portal.request('POST', `/portal/switcher/api/guardians/${added.body.id}/invitation`, { token: kay.body.token });
  const [mail] = await portal.waitForMail(f.primary.email, (m) => m.kind === 'invitation' && /Kim/.test(m.text));
  const token = /\/invitations\/([A-Za-z0-9_-]{43})/.exec(mail.text)[1];
  assert.equal((await portal.accept('switcher', token, f.primary.password)).status, 200);

  const tab = await openTab(browser, portal.base);
  await signIn(tab, 'switcher', f.primary.email, f.primary.password);
  assert.match(await tab.page.getByRole('main').textContent(), /Kim family/, 'the first family by name');
  await checkPage(tab, 'My Account with the Family Switcher');
  await tab.page.getByLabel('Family account').selectOption({ label: 'Lee' });
  await submit(tab.page, 'Switch Family');
  assert.match(await notice(tab.page), /now in this family's account/);
  assert.match(await tab.page.getByRole('main').textContent(), /Lee family/);

  await follow(tab.page, 'Change Password');
  await checkPage(tab, 'Change Password');
  await tab.page.getByLabel('Current password').fill('wrong-password');
  await tab.page.getByLabel('New password').fill('ann-new-password-9');
  const wrong = await submit(tab.page, 'Change Password');
  assert.equal(wrong.status(), 422);
  assert.match(await tab.page.getByRole('alert').textContent(), /current password is not correct/);
  await tab.page.getByLabel('Current password').fill(f.primary.password);
  await tab.page.getByLabel('New password').fill('ann-new-password-9');
  await submit(tab.page, 'Change Password');
  assert.match(await notice(tab.page), /Your password has been changed/);
  const api = await portal.request('GET', '/portal/switcher/api/account', { token: f.primary.token });
  assert.equal(api.status, 401, 'the session the API test began has ended');
  await tab.context.close();
});
