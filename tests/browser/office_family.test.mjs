// The Family details in Chromium, as staff use it at the front desk: each guardian's Actions
// (Revoke Login with its preview, Enable Login for a primary only, Move Contact), Add Guardian,
// Change Primary Guardian, Family Merge and the Access history. Every page is checked by axe-core,
// for its weight, for third-party requests and for sideways scrolling, at 1280 and 360 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServedPortal, launchBrowser, openTab, checkPage, submit, signIn, staffSignIn } from './harness.mjs';

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

const heading = (page) => page.getByRole('heading', { level: 1 }).textContent();
const notice = (page) => page.getByRole('status').textContent();
const summaryLinks = (page) =>
  page.getByRole('alert').getByRole('link').evaluateAll((links) => links.map((a) => [a.textContent.trim(), a.getAttribute('href')]));
const summaryText = (page) => page.getByRole('alert').textContent();

/** The page checked as a desk computer and as a phone shows it. */
async function checkBothWidths(tab, what) {
  await checkPage(tab, `${what} at 1280`);
  await tab.page.setViewportSize({ width: 360, height: 800 });
  await checkPage(tab, `${what} at 360`);
  await tab.page.setViewportSize({ width: 1280, height: 900 });
}

/** Follows a link by its name and waits for the page it leads to. */
async function follow(page, name, scope = page) {
  const [response] = await Promise.all([page.waitForNavigation(), scope.getByRole('link', { name, exact: true }).click()]);
  return response;
}

/** A guardian's row in the Family details. */
const row = (page, name) => page.getByRole('region', { name: 'Guardians' }).getByRole('row').filter({ hasText: name });

/** Opens a guardian's Actions menu; answers the row. */
async function actions(page, name) {
  const r = row(page, name);
  await r.getByText('Actions', { exact: false }).first().click();
  return r;
}

/** Staff signed in, on the Family details of `familyName`, found through FAMILIES' search. */
async function familyDetails(slug, org, search, familyName, { width = 1280 } = {}) {
  const tab = await openTab(browser, portal.base, { width });
  await staffSignIn(tab, portal.base, slug, org.owner_email, org.owner_password);
  await tab.page.getByLabel('Search families').fill(search);
  await submit(tab.page, 'Search');
  await follow(tab.page, `Edit ${familyName}`);
  assert.equal(await heading(tab.page), familyName);
  return tab;
}

test('staff find a family by search and revoke a secondary’s login from Actions: the preview names their card and sessions, their open tab is signed out at its next click, the card is gone', async () => {
  const f = await portal.familyWithSecondary('desk-revoke');
  await portal.request('PATCH', '/office/desk-revoke/api/settings/portal-options', { token: f.staff, json: { payment_gateway: { kind: 'sandbox' } } });
  const saved = await portal.request('POST', '/portal/desk-revoke/api/payment-methods', {
    token: f.secondary.token,
    json: { kind: 'card', gateway_token: 'tok_visa', last4: '4242', exp_month: 12, exp_year: 2035, recurring_authorized: true },
  });
  assert.equal(saved.status, 201, saved.text);
  const bobTab = await openTab(browser, portal.base, { width: 360, height: 800 });
  await signIn(bobTab, portal.base, 'desk-revoke', f.secondary.email, f.secondary.password);

  const tab = await familyDetails('desk-revoke', f.org, f.secondary.email, 'Lee');
  const tabs = tab.page.getByRole('navigation', { name: 'Family' });
  assert.deepEqual(await tabs.getByRole('link').allTextContents(), ['Family details', 'Students', 'Ledger', 'Access history', 'Contact Info']);
  assert.equal(await tabs.getByRole('link', { name: 'Family details' }).getAttribute('aria-current'), 'page');
  assert.match(await row(tab.page, 'Ann Lee').textContent(), /Primary Guardian[\s\S]*Can Log In/);
  assert.match(await row(tab.page, 'Bob Lee').textContent(), /Can Log In/);
  await checkBothWidths(tab, 'Family details');

  const bob = await actions(tab.page, 'Bob Lee');
  assert.equal(await bob.getByRole('button', { name: 'Enable Login' }).count(), 0, 'staff never invite a secondary');
  assert.equal(await bob.getByRole('button', { name: /Send Invite/ }).count(), 0);
  assert.match(await bob.textContent(), /The Primary Guardian must send invitations from the Customer Portal\./);
  await checkPage(tab, 'Family details with Actions open');
  await follow(tab.page, 'Revoke Login', bob);
  assert.equal(await heading(tab.page), 'Revoke Login');
  await checkBothWidths(tab, 'Revoke Login reason');

  await tab.page.getByLabel('Reason (optional)').fill('x'.repeat(501));
  const tooLong = await submit(tab.page, 'Continue');
  assert.equal(tooLong.status(), 422);
  assert.deepEqual(await summaryLinks(tab.page), [['The reason must be at most 500 characters.', '#reason']]);
  await checkPage(tab, 'Revoke Login reason with an error');
  await tab.page.getByLabel('Reason (optional)').fill('Asked by the Primary Guardian');
  await submit(tab.page, 'Continue');
  const preview = await tab.page.getByRole('main').textContent();
  assert.match(preview, /signed out at once \(2 sessions end\)/, 'the browser tab and the API session');
  assert.match(preview, /Card ending in 4242 \(used for recurring billing\)/i);
  assert.match(preview, /bob@desk-revoke\.test/);
  assert.match(preview, /recurring payments will need another method/);
  assert.match(preview, /Asked by the Primary Guardian/);
  assert.match(preview, /An e-mail tells the Primary Guardian, with the reason\./);
  await checkBothWidths(tab, 'Revoke Login preview');

  const done = await submit(tab.page, 'Revoke Login');
  assert.match(new URL(done.url()).pathname, /^\/office\/desk-revoke\/families\/[^/]+$/);
  assert.match(await notice(tab.page), /The login has been revoked\./);
  assert.match(await row(tab.page, 'Bob Lee').textContent(), /Invite Revoked/);
  assert.equal(await (await actions(tab.page, 'Bob Lee')).getByRole('link', { name: 'Revoke Login' }).count(), 0);

  // Bob's open tab: his next click lands on sign-in, saying why.
  await Promise.all([bobTab.page.waitForNavigation(), bobTab.page.getByRole('link', { name: 'Change Password' }).click()]);
  assert.equal(new URL(bobTab.page.url()).pathname, '/portal/desk-revoke');
  const methods = await portal.request('GET', '/portal/desk-revoke/api/payment-methods', { token: f.primary.token });
  assert.deepEqual(methods.body.payment_methods.map((m) => m.last4), [], "the card is gone from the family's list");
  const mail = await portal.waitForMail(f.secondary.email, (m) => m.kind === 'access_revoked');
  assert.match(mail[0].text, /Primary Guardian/);
  const [told] = await portal.waitForMail(f.primary.email, (m) => m.kind === 'secondary_access_revoked');
  assert.match(told.text, /Reason given: Asked by the Primary Guardian/);

  await follow(tab.page, 'Access history');
  assert.equal(await tab.page.getByRole('navigation', { name: 'Family' }).getByRole('link', { name: 'Access history' }).getAttribute('aria-current'), 'page');
  const history = tab.page.getByRole('region', { name: 'Access history' }).getByRole('row');
  const revoked = history.filter({ has: tab.page.getByRole('rowheader', { name: 'Access revoked', exact: true }) });
  assert.match(await revoked.textContent(), /Bob Lee[\s\S]*owner@desk-revoke\.test[\s\S]*Asked by the Primary Guardian/);
  await checkBothWidths(tab, 'Access history');
  await bobTab.context.close();
  await tab.context.close();
});

test('Enable Login is offered for a primary only and sends the invitation; a re-send too soon is refused on the page; Add Guardian adds a contact without access', async () => {
  const org = await portal.createOrganization('desk-enable');
  const staff = await portal.staffSignIn('desk-enable', org.owner_email, org.owner_password);
  const family = await portal.createFamily('desk-enable', staff, 'Okafor', { first_name: 'Ngozi', last_name: 'Okafor', email: 'ngozi@desk-enable.test' });
  const added = await portal.request('POST', `/office/desk-enable/api/families/${family.id}/guardians`, {
    token: staff,
    json: { first_name: 'Chidi', last_name: 'Okafor', email: 'chidi@desk-enable.test' },
  });
  assert.equal(added.status, 201, added.text);

  const tab = await familyDetails('desk-enable', org, 'Okafor', 'Okafor');
  const chidi = await actions(tab.page, 'Chidi Okafor');
  assert.equal(await chidi.getByRole('button', { name: 'Enable Login' }).count(), 0, 'no invitation for a secondary');
  assert.match(await chidi.textContent(), /The Primary Guardian must send invitations from the Customer Portal\./);
  const ngozi = await actions(tab.page, 'Ngozi Okafor');
  assert.match(await ngozi.textContent(), /No Access/);
  await submit(tab.page, 'Enable Login');
  assert.match(await notice(tab.page), /The invitation e-mail has been sent\./);
  assert.match(await row(tab.page, 'Ngozi Okafor').textContent(), /Invite Sent[\s\S]*Expires \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
  const [mail] = await portal.waitForMail('ngozi@desk-enable.test', (m) => m.kind === 'invitation');
  assert.match(mail.text, /\/portal\/desk-enable\/invitations\//);

  await actions(tab.page, 'Ngozi Okafor');
  const soon = await submit(tab.page, 'Re-Send Invite Email');
  assert.equal(soon.status(), 422);
  assert.match(await summaryText(tab.page), /An invitation was sent moments ago\./);
  await checkBothWidths(tab, 'Family details with a refusal');

  await tab.page.goto(`${portal.base}/office/desk-enable/families/${family.id}`);
  await follow(tab.page, 'Add Guardian');
  const empty = await submit(tab.page, 'Add Guardian');
  assert.equal(empty.status(), 422);
  assert.deepEqual((await summaryLinks(tab.page)).map(([, href]) => href), ['#first_name', '#last_name']);
  await checkBothWidths(tab, 'Add Guardian with errors');
  await tab.page.getByLabel('First name').fill('Ada');
  await tab.page.getByLabel('Last name').fill('Okafor');
  await tab.page.getByLabel('E-mail address (optional)').fill('ada@desk-enable.test');
  await submit(tab.page, 'Add Guardian');
  assert.match(await notice(tab.page), /The guardian has been added\./);
  assert.match(await row(tab.page, 'Ada Okafor').textContent(), /ada@desk-enable\.test[\s\S]*No Access/);
  await tab.context.close();
});

test('changing the primary warns first, then every secondary is “Invite Revoked”', async () => {
  const f = await portal.familyWithSecondary('desk-primary');
  const cy = await portal.request('POST', '/portal/desk-primary/api/guardians', {
    token: f.primary.token,
    json: { first_name: 'Cy', last_name: 'Lee', email: 'cy@desk-primary.test' },
  });
  assert.equal((await portal.request('POST', `/portal/desk-primary/api/guardians/${cy.body.id}/invitation`, { token: f.primary.token })).status, 202);

  const tab = await familyDetails('desk-primary', f.org, 'Lee', 'Lee');
  assert.match(await row(tab.page, 'Cy Lee').textContent(), /Invite Sent/);
  await follow(tab.page, 'Change Primary Guardian');
  const warning = tab.page.getByText('Changing the Primary Guardian automatically revokes all secondary access');
  const legend = tab.page.getByText('New Primary Guardian', { exact: true });
  assert.ok((await warning.boundingBox()).y < (await legend.boundingBox()).y, 'the warning comes first');
  assert.match(await warning.textContent(), /must send new invitations/);
  await checkBothWidths(tab, 'Change Primary Guardian');

  const none = await submit(tab.page, 'Change Primary Guardian');
  assert.equal(none.status(), 422);
  assert.deepEqual(await summaryLinks(tab.page), [['Choose the new Primary Guardian.', '#guardian_id']]);
  await checkPage(tab, 'Change Primary Guardian with an error');
  await tab.page.getByLabel('Bob Lee').check();
  await submit(tab.page, 'Change Primary Guardian');
  assert.match(await notice(tab.page), /The Primary Guardian has been changed\./);
  assert.match(await row(tab.page, 'Bob Lee').textContent(), /Primary Guardian[\s\S]*Can Log In/);
  for (const name of ['Ann Lee', 'Cy Lee']) {
    assert.match(await row(tab.page, name).textContent(), /Invite Revoked/, name);
    assert.equal(await row(tab.page, name).getByText('Primary Guardian', { exact: true }).count(), 0, name);
  }
  const ann = await portal.request('GET', '/portal/desk-primary/api/account', { token: f.primary.token });
  assert.equal(ann.status, 401, 'the former primary is signed out');
  await tab.context.close();
});

test('Family Merge finds the other family by name, warns, and merges it in', async () => {
  const f = await portal.familyWithSecondary('desk-merge');
  const park = await portal.createFamily('desk-merge', f.staff, 'Park', { first_name: 'Pat', last_name: 'Park', email: 'pat@desk-merge.test' });

  const tab = await familyDetails('desk-merge', f.org, 'Lee', 'Lee');
  await follow(tab.page, 'Family Merge');
  assert.match(await tab.page.getByRole('main').textContent(), /Merging families automatically revokes all secondary access/);
  await checkBothWidths(tab, 'Family Merge');
  await tab.page.getByLabel('Search families').fill('Park');
  await submit(tab.page, 'Search');
  await checkBothWidths(tab, 'Family Merge search');
  await tab.page.getByLabel('Park').check();
  await submit(tab.page, 'Continue');
  assert.match(await tab.page.getByRole('heading', { level: 2 }).textContent(), /Merge Park into Lee\?/);
  assert.match(await tab.page.getByRole('main').textContent(), /Pat Park/);
  await checkBothWidths(tab, 'Family Merge confirmation');

  await submit(tab.page, 'Merge Families');
  assert.match(await notice(tab.page), /The families have been merged\./);
  assert.match(await row(tab.page, 'Pat Park').textContent(), /No Access/);
  assert.match(await row(tab.page, 'Bob Lee').textContent(), /Invite Revoked/, 'all secondary access revoked');
  const merged = await portal.request('GET', `/office/desk-merge/api/families/${park.id}`, { token: f.staff });
  assert.equal(merged.body.status, 'merged');

  // The merged family's page says where it went, and offers no action.
  await tab.page.goto(`${portal.base}/office/desk-merge/families/${park.id}`);
  assert.match(await tab.page.getByRole('main').textContent(), /merged into another family/);
  assert.equal(await tab.page.getByRole('link', { name: 'Family Merge' }).count(), 0);
  await follow(tab.page, 'Go to that family');
  assert.equal(await heading(tab.page), 'Lee');
  await tab.context.close();
});

test('Move Contact says “Portal access will be disabled for NAME.” and moves the contact after Yes', async () => {
  const f = await portal.familyWithSecondary('desk-move');
  await portal.createFamily('desk-move', f.staff, 'Kim', { first_name: 'Kay', last_name: 'Kim', email: 'kay@desk-move.test' });

  const tab = await familyDetails('desk-move', f.org, 'Lee', 'Lee', { width: 360 });
  const ann = await actions(tab.page, 'Ann Lee');
  assert.equal(await ann.getByRole('link', { name: 'Move Contact' }).count(), 0, 'the primary is not moved');
  const bob = await actions(tab.page, 'Bob Lee');
  await follow(tab.page, 'Move Contact', bob);
  await checkBothWidths(tab, 'Move Contact');
  await tab.page.getByLabel('Search families').fill('Kim');
  await submit(tab.page, 'Search');
  await tab.page.getByLabel('Kim').check();
  await submit(tab.page, 'Continue');
  assert.equal(await tab.page.locator('.warning-text').textContent(), 'Portal access will be disabled for Bob Lee.');
  await checkBothWidths(tab, 'Move Contact confirmation');

  const moved = await submit(tab.page, 'Yes');
  assert.equal(await heading(tab.page), 'Kim', 'the family the contact moved to');
  assert.match(new URL(moved.url()).pathname, /^\/office\/desk-move\/families\/[^/]+$/);
  assert.match(await notice(tab.page), /The contact has been moved to this family\./);
  assert.doesNotMatch(await row(tab.page, 'Bob Lee').textContent(), /Can Log In/);
  const me = await portal.request('GET', '/portal/desk-move/api/account', { token: f.secondary.token });
  assert.equal(me.status, 401, 'his session in the old family ended');
  const lee = await portal.request('GET', `/office/desk-move/api/families/${f.family.id}`, { token: f.staff });
  assert.deepEqual(lee.body.guardians.map((g) => g.first_name), ['Ann']);
  await tab.context.close();
});

test('Edit changes a guardian’s contact details but never the e-mail someone logs in with, and Edit renames the family', async () => {
  const f = await portal.familyWithSecondary('desk-edit');
  const cy = await portal.request('POST', `/office/desk-edit/api/families/${f.family.id}/guardians`, {
    token: f.staff,
    json: { first_name: 'Cy', last_name: 'Lee', email: 'cy@desk-edit.test' },
  });
  assert.equal(cy.status, 201, cy.text);

  const tab = await familyDetails('desk-edit', f.org, 'Lee', 'Lee');
  await follow(tab.page, 'Edit Bob Lee', await actions(tab.page, 'Bob Lee'));
  assert.equal(await heading(tab.page), 'Edit Bob Lee');
  assert.equal(await tab.page.getByLabel(/E-mail address/).count(), 0, 'his login e-mail is not a field');
  assert.match(await tab.page.getByRole('main').textContent(), /bob@desk-edit\.test[\s\S]*They log in with this e-mail address: only they can change it, from the Customer Portal\./);
  await checkBothWidths(tab, 'Edit a guardian who can log in');
  await tab.page.getByLabel('Phone (optional)').fill('12');
  const bad = await submit(tab.page, 'Save');
  assert.equal(bad.status(), 422);
  assert.deepEqual((await summaryLinks(tab.page)).map(([, href]) => href), ['#phone']);
  await checkPage(tab, 'Edit a guardian with an error');
  await tab.page.getByLabel('Phone (optional)').fill('+1 555 0177');
  await submit(tab.page, 'Save');
  assert.match(await notice(tab.page), /The contact details have been saved\./);
  assert.match(await row(tab.page, 'Bob Lee').textContent(), /bob@desk-edit\.test[\s\S]*\+1 555 0177/);

  await follow(tab.page, 'Edit Cy Lee', await actions(tab.page, 'Cy Lee'));
  await tab.page.getByLabel('E-mail address (optional)').fill('cy.lee@desk-edit.test');
  await submit(tab.page, 'Save');
  assert.match(await row(tab.page, 'Cy Lee').textContent(), /cy\.lee@desk-edit\.test/, 'a contact without a login: staff may change the address');

  await follow(tab.page, 'Edit family name');
  await checkBothWidths(tab, 'Edit family name');
  await tab.page.getByLabel('Family name').fill('');
  const empty = await submit(tab.page, 'Save');
  assert.equal(empty.status(), 422);
  assert.deepEqual((await summaryLinks(tab.page)).map(([, href]) => href), ['#name']);
  await tab.page.getByLabel('Family name').fill('Lee-Park');
  await submit(tab.page, 'Save');
  assert.match(await notice(tab.page), /The family name has been saved\./);
  assert.equal(await heading(tab.page), 'Lee-Park');
  await tab.context.close();
});
