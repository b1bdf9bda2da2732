// The Office Portal's Settings > Customer Portal > Settings, Requests, Invitations and failed
// e-mails pages in Chromium, as staff use them: the portal switched off and on again, an option
// changed, a drop request approved and another denied with a note, the invitations console
// filtered, a failed e-mail sent again. Every page is checked by axe-core, for its weight, for
// third-party requests and for sideways scrolling, at 1280 and 360 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { startServedPortal, launchBrowser, openTab, checkPage, submit, staffSignIn, UNAVAILABLE } from './harness.mjs';

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

const USING = 'You are currently using the Customer Portal.';
const NOT_USING = 'You are currently NOT using the Customer Portal.';

const heading = (page) => page.getByRole('heading', { level: 1 }).textContent();
const flash = (page) => page.getByRole('status').textContent();
const summaryLinks = (page) =>
  page.getByRole('alert').getByRole('link').evaluateAll((links) => links.map((a) => [a.textContent.trim(), a.getAttribute('href')]));
const switchForm = (page) => page.getByRole('form', { name: 'Customer Portal' });
const optionsForm = (page) => page.getByRole('form', { name: 'Other Settings' });

/** Clicks `button` (a locator) and waits for the page its form leads to. */
async function press(page, button) {
  const [response] = await Promise.all([page.waitForNavigation(), button.click()]);
  return response;
}

/** With SHOTS=dir in the environment, a full-page screenshot for people to look at. */
async function shot(tab, name) {
  if (!process.env.SHOTS) return;
  mkdirSync(process.env.SHOTS, { recursive: true });
  const width = tab.page.viewportSize().width;
  await tab.page.screenshot({ path: `${process.env.SHOTS}/${name}-${width}.png`, fullPage: true });
}

/** Checks (and, with SHOTS, photographs) the page at `path` in a fresh signed-in tab 360 px wide. */
async function checkNarrow(slug, org, path, what) {
  const tab = await openTab(browser, portal.base, { width: 360 });
  await staffSignIn(tab, portal.base, slug, org.owner_email, org.owner_password);
  const res = await tab.page.goto(`${portal.base}/office/${slug}/${path}`);
  assert.equal(res.status(), 200);
  await checkPage(tab, `${what} at 360`);
  await shot(tab, what.replaceAll(' ', '-'));
  await tab.context.close();
}

const api = (slug) => `/office/${slug}/api`;

test('Enable Customer Portal unticked and saved: the status message changes and the portal answers 503; ticked again it is back', async () => {
  const org = await portal.createOrganization('switch');
  const token = await portal.staffSignIn('switch', org.owner_email, org.owner_password);
  const tab = await openTab(browser, portal.base);
  await staffSignIn(tab, portal.base, 'switch', org.owner_email, org.owner_password);
  await tab.page.getByRole('navigation', { name: 'Office Portal' }).getByRole('link', { name: 'Settings' }).click();
  await tab.page.waitForURL(/\/settings\/customer-portal$/);
  assert.equal(await heading(tab.page), 'Customer Portal Settings');
  assert.deepEqual(await tab.page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('listitem').allTextContents(), [
    'Settings',
    'Customer Portal',
    'Settings',
  ]);
  assert.equal(await tab.page.locator('#portal-status').textContent(), USING);
  const enable = tab.page.getByRole('checkbox', { name: 'Enable Customer Portal', exact: true });
  assert.equal(await enable.isChecked(), true);
  await checkPage(tab, 'Customer Portal settings');
  await shot(tab, 'settings');

  const customer = await openTab(browser, portal.base);
  assert.equal((await customer.page.goto(`${portal.base}/portal/switch`)).status(), 200);

  await enable.uncheck();
  const saved = await press(tab.page, switchForm(tab.page).getByRole('button', { name: 'Save' }));
  assert.equal(new URL(saved.url()).pathname, '/office/switch/settings/customer-portal');
  assert.match(await flash(tab.page), /The Customer Portal settings have been saved\./);
  assert.equal(await tab.page.locator('#portal-status').textContent(), NOT_USING);
  assert.equal(await enable.isChecked(), false);
  await checkPage(tab, 'Customer Portal settings, disabled');
  await shot(tab, 'settings-disabled');
  const off = await customer.page.goto(`${portal.base}/portal/switch`);
  assert.equal(off.status(), 503);
  assert.match(await customer.page.locator('body').textContent(), new RegExp(UNAVAILABLE.replace(/\./g, '\\.')));
  assert.deepEqual((await portal.request('GET', `${api('switch')}/settings/customer-portal`, { token })).body, { enabled: false, status_message: NOT_USING });

  // Staff pages are never behind the switch.
  assert.equal((await tab.page.goto(`${portal.base}/office/switch/families`)).status(), 200);
  await tab.page.goto(`${portal.base}/office/switch/settings/customer-portal`);
  await enable.check();
  await press(tab.page, switchForm(tab.page).getByRole('button', { name: 'Save' }));
  assert.equal(await tab.page.locator('#portal-status').textContent(), USING);
  assert.equal((await customer.page.goto(`${portal.base}/portal/switch`)).status(), 200);
  await customer.context.close();
  await tab.context.close();
  await checkNarrow('switch', org, 'settings/customer-portal', 'settings');
});

test('an option changed on the page is saved as the API reads it; a wrong lifetime is refused beside its field', async () => {
  const org = await portal.createOrganization('options');
  const token = await portal.staffSignIn('options', org.owner_email, org.owner_password);
  const tab = await openTab(browser, portal.base);
  await staffSignIn(tab, portal.base, 'options', org.owner_email, org.owner_password);
  await tab.page.goto(`${portal.base}/office/options/settings/customer-portal`);
  const form = optionsForm(tab.page);
  const lifetime = form.getByLabel('Invitation lifetime (hours)');
  assert.equal(await lifetime.inputValue(), '48');

  await lifetime.fill('0');
  const refused = await press(tab.page, form.getByRole('button', { name: 'Save' }));
  assert.equal(refused.status(), 422);
  assert.deepEqual(await summaryLinks(tab.page), [
    ['Enter the invitation lifetime as a whole number of hours from 1 to 720.', '#invitation_ttl_hours'],
  ]);
  assert.match(await tab.page.title(), /^Error: /);
  await checkPage(tab, 'Customer Portal settings with an error');
  await shot(tab, 'settings-error');

  await lifetime.fill('72');
  await form.getByRole('checkbox', { name: 'Show Full Ledger History, Not Just The Last 30 Day History' }).check();
  await form.getByRole('checkbox', { name: 'Allow Drop Enrollments' }).check();
  await form.getByRole('combobox', { name: 'Gateway' }).selectOption('sandbox');
  await press(tab.page, form.getByRole('button', { name: 'Save' }));
  assert.match(await flash(tab.page), /The portal options have been saved\./);
  assert.equal(await lifetime.inputValue(), '72');
  const options = (await portal.request('GET', `${api('options')}/settings/portal-options`, { token })).body;
  assert.equal(options.invitation_ttl_hours, 72);
  assert.equal(options.show_full_ledger_history, true);
  assert.equal(options.allow_drop_requests, true);
  assert.equal(options.require_recurring_authorization, false);
  assert.equal(options.payment_gateway.kind, 'sandbox');
  // The switch is another form: saving the options left it alone.
  assert.equal((await portal.request('GET', `${api('options')}/settings/customer-portal`, { token })).body.enabled, true);

  // Unticking is saved too.
  await form.getByRole('checkbox', { name: 'Allow Drop Enrollments' }).uncheck();
  await press(tab.page, form.getByRole('button', { name: 'Save' }));
  assert.equal((await portal.request('GET', `${api('options')}/settings/portal-options`, { token })).body.allow_drop_requests, false);
  await tab.context.close();
});

test('a staff member without the settings role sees the settings read-only, without Save or Send again', async () => {
  const org = await portal.createOrganization('desk');
  // There is no API to add staff yet: a plain `staff` user with the owner's password hash.
  await portal.dbOf('desk')
    .prepare(
      "INSERT INTO staff_users (id, org_id, email, password_hash, role, created_at) " +
        "SELECT 'stf_desk_front', org_id, 'front@desk.test', password_hash, 'staff', ? FROM staff_users WHERE email = ?",
    )
    .bind(Date.now(), org.owner_email)
    .run();
  for (const width of [1280, 360]) {
    const tab = await openTab(browser, portal.base, { width });
    await staffSignIn(tab, portal.base, 'desk', 'front@desk.test', org.owner_password);
    await tab.page.goto(`${portal.base}/office/desk/settings/customer-portal`);
    assert.equal(await tab.page.locator('#portal-status').textContent(), USING);
    assert.match(await tab.page.locator('main').textContent(), /Only an owner or an admin can change these settings/);
    assert.equal(await tab.page.getByRole('button', { name: 'Save' }).count(), 0);
    assert.equal(await tab.page.getByRole('checkbox', { name: 'Enable Customer Portal', exact: true }).isDisabled(), true);
    assert.equal(await tab.page.getByLabel('Invitation lifetime (hours)').isDisabled(), true);
    await checkPage(tab, `read-only settings at ${width}`);
    await shot(tab, 'settings-read-only');
    await tab.page.getByRole('link', { name: 'Failed e-mails' }).click();
    await tab.page.waitForURL(/\/outbox$/);
    assert.match(await tab.page.locator('main').textContent(), /Only an owner or an admin can send a failed e-mail again\./);
    await tab.context.close();
  }
  // A form posted anyway is refused as the API refuses it.
  const tab = await openTab(browser, portal.base);
  await staffSignIn(tab, portal.base, 'desk', 'front@desk.test', org.owner_password);
  const res = await tab.page.request.post(`${portal.base}/office/desk/settings/customer-portal`, {
    form: {},
    headers: { origin: portal.base },
  });
  assert.equal(res.status(), 403);
  const token = await portal.staffSignIn('desk', org.owner_email, org.owner_password);
  assert.equal((await portal.request('GET', `${api('desk')}/settings/customer-portal`, { token })).body.enabled, true);
  await tab.context.close();
});

/** A family (Ann, primary; Bob, secondary) whose student Mia is in two classes, with a drop request for each. */
async function twoDropRequests(slug) {
  const f = await portal.familyWithSecondary(slug);
  const post = (path, json) => portal.request('POST', `${api(slug)}${path}`, { token: f.staff, json });
  const set = await portal.request('PATCH', `${api(slug)}/settings/portal-options`, { token: f.staff, json: { allow_drop_requests: true } });
  assert.equal(set.status, 200, set.text);
  const location = await post('/locations', { name: 'Main Pool' });
  const mia = await portal.request('POST', `/portal/${slug}/api/students`, {
    token: f.primary.token,
    json: { first_name: 'Mia', last_name: 'Lee', birth_date: '2019-04-02' },
  });
  assert.equal(mia.status, 201, mia.text);
  const requests = [];
  for (const [name, reason] of [['Level 1', 'Moving away'], ['Tumbling', 'Too early in the day']]) {
    const c = await post('/classes', {
      name,
      location_id: location.body.id,
      days: ['mon', 'wed'],
      start_time: '16:00',
      end_time: '16:45',
      start_date: '2026-09-01',
      end_date: '2099-12-31',
      capacity: 5,
      waitlist: false,
    });
    assert.equal(c.status, 201, c.text);
    const e = await portal.request('POST', `/portal/${slug}/api/enrollments`, { token: f.primary.token, json: { student_id: mia.body.id, class_id: c.body.id } });
    assert.equal(e.status, 201, e.text);
    const r = await portal.request('POST', `/portal/${slug}/api/enrollments/${e.body.id}/drop-request`, { token: f.primary.token, json: { reason } });
    assert.equal(r.status, 201, r.text);
    requests.push(r.body);
  }
  return { ...f, requests };
}

test('Requests: a drop request approved, another denied with a note, both then listed as decided', async () => {
  const s = await twoDropRequests('requests');
  const tab = await openTab(browser, portal.base);
  await staffSignIn(tab, portal.base, 'requests', s.org.owner_email, s.org.owner_password);
  await tab.page.getByRole('navigation', { name: 'Office Portal' }).getByRole('link', { name: 'Requests' }).click();
  await tab.page.waitForURL(/\/requests$/);
  assert.equal(await heading(tab.page), 'Requests');
  const cards = tab.page.locator('.request-cards > li');
  assert.equal(await cards.count(), 2);
  const level1 = cards.filter({ hasText: 'Drop Mia Lee from Level 1' });
  assert.match(await level1.textContent(), /Moving away/);
  assert.equal(await level1.getByRole('link', { name: 'Lee' }).getAttribute('href'), `/office/requests/families/${s.family.id}`);
  await checkPage(tab, 'Requests, two pending');
  await shot(tab, 'requests');
  await checkNarrow('requests', s.org, 'requests', 'requests');
  await checkNarrow('requests', s.org, `requests/${s.requests[1].id}/deny`, 'requests deny');

  await press(tab.page, level1.getByRole('button', { name: 'Approve' }));
  assert.match(await flash(tab.page), /The request has been approved\./);
  assert.equal(await cards.count(), 1);

  const tumbling = cards.filter({ hasText: 'Drop Mia Lee from Tumbling' });
  await tumbling.getByRole('link', { name: 'Deny' }).click();
  await tab.page.waitForURL(/\/deny$/);
  assert.equal(await heading(tab.page), 'Deny request');
  await checkPage(tab, 'Deny request');
  await shot(tab, 'requests-deny');
  await tab.page.getByLabel('Note to the family (optional)').fill('x'.repeat(1001));
  const tooLong = await submit(tab.page, 'Deny');
  assert.equal(tooLong.status(), 422);
  assert.deepEqual((await summaryLinks(tab.page)).map(([, href]) => href), ['#note']);
  await checkPage(tab, 'Deny request with an error');
  await tab.page.getByLabel('Note to the family (optional)').fill('Please talk to the coach first');
  await submit(tab.page, 'Deny');
  assert.equal(new URL(tab.page.url()).pathname, '/office/requests/requests');
  assert.match(await flash(tab.page), /The request has been denied\./);
  assert.equal(await cards.count(), 0);
  const decided = tab.page.getByRole('region', { name: 'Decided requests' }).locator('tbody tr');
  assert.equal(await decided.count(), 2);
  assert.deepEqual(await decided.first().locator('td').allTextContents().then((t) => [t[1], t[2], t[4]]), [
    'Denied',
    s.org.owner_email,
    'Please talk to the coach first',
  ]);
  await checkPage(tab, 'Requests, decided');
  await shot(tab, 'requests-decided');

  const denied = await portal.request('GET', `${api('requests')}/requests?status=denied`, { token: s.staff });
  assert.deepEqual(denied.body.requests.map((r) => [r.id, r.note]), [[s.requests[1].id, 'Please talk to the coach first']]);
  const approved = await portal.request('GET', `${api('requests')}/requests?status=approved`, { token: s.staff });
  assert.deepEqual(approved.body.requests.map((r) => r.id), [s.requests[0].id]);
  await portal.waitForMail(s.primary.email, (m) => m.kind === 'enrollment_request_decided' && /Please talk to the coach first/.test(m.text));

  // Approving a request decided meanwhile says so on the list.
  const again = await tab.page.request.post(`${portal.base}/office/requests/requests/${s.requests[0].id}/approve`, { form: {}, headers: { origin: portal.base } });
  assert.equal(again.status(), 409);
  const unknown = await tab.page.goto(`${portal.base}/office/requests/requests/req_unknown/deny`);
  assert.equal(unknown.status(), 404);
  await tab.context.close();
  await checkNarrow('requests', s.org, 'requests', 'requests decided');
});

test('the Invitations console lists every invitation with its state and expiry, filtered by state', async () => {
  const s = await portal.familyWithSecondary('console');
  const other = await portal.createFamily('console', s.staff, 'Park', { first_name: 'Pia', last_name: 'Park', email: 'pia@console.test' });
  const sent = await portal.request('POST', `${api('console')}/guardians/${other.primary_guardian_id}/invitation`, { token: s.staff });
  assert.equal(sent.status, 202, sent.text);

  const tab = await openTab(browser, portal.base);
  await staffSignIn(tab, portal.base, 'console', s.org.owner_email, s.org.owner_password);
  await tab.page.getByRole('navigation', { name: 'Office Portal' }).getByRole('link', { name: 'Invitations' }).click();
  await tab.page.waitForURL(/\/invitations$/);
  const rows = tab.page.getByRole('region', { name: 'Invitations' }).locator('tbody tr');
  assert.equal(await rows.count(), 3);
  await checkPage(tab, 'Invitations');
  await shot(tab, 'invitations');

  await tab.page.getByLabel('State').selectOption('pending');
  await submit(tab.page, 'Show');
  assert.equal(new URL(tab.page.url()).search, '?status=pending');
  assert.equal(await rows.count(), 1);
  const pia = rows.first();
  assert.deepEqual(await pia.locator('td').allTextContents().then((t) => t.slice(0, 2)), ['pia@console.test', 'Pending']);
  const expires = (await portal.request('GET', `${api('console')}/invitations?status=pending`, { token: s.staff })).body.invitations[0].expires_at;
  assert.equal(await pia.locator('td').nth(3).textContent(), `${expires.slice(0, 10)} ${expires.slice(11, 16)} UTC`);
  assert.equal(await tab.page.getByLabel('State').inputValue(), 'pending');
  await pia.getByRole('link', { name: 'Pia Park' }).click();
  await tab.page.waitForURL(new RegExp(`/office/console/families/${other.id}$`));

  await tab.page.goto(`${portal.base}/office/console/invitations?status=accepted`);
  assert.deepEqual((await rows.locator('th').allTextContents()).sort(), ['Ann Lee', 'Bob Lee']);
  await tab.page.goto(`${portal.base}/office/console/invitations?status=revoked`);
  assert.match(await tab.page.locator('main').textContent(), /No invitation is in this state\./);
  const unknown = await tab.page.goto(`${portal.base}/office/console/invitations?status=lost`);
  assert.equal(unknown.status(), 422);
  assert.deepEqual(await summaryLinks(tab.page), [['Choose a state from the list.', '#status']]);
  await checkPage(tab, 'Invitations with an unknown state');
  await tab.context.close();
  await checkNarrow('console', s.org, 'invitations', 'invitations');
});

test('a failed e-mail is listed with its error and sent again', async () => {
  const org = await portal.createOrganization('mail');
  await portal.waitForMail(org.owner_email);
  // A failure as the queue records it when the provider refuses a message for good.
  const orgRow = await portal.dbOf('mail').prepare("SELECT id FROM organizations WHERE slug = 'mail'").first();
  const payload = JSON.stringify({
    kind: 'invitation',
    to: 'typo@mail.test',
    subject: 'You are invited to the mail Swim School Customer Portal',
    text: 'Welcome.',
    html: '<p>Welcome.</p>',
  });
  const failedAt = Date.now() - 60_000;
  await portal.dbOf('mail')
    .prepare("INSERT INTO outbox (id, org_id, kind, payload, created_at, enqueued_at, attempts, failed_at, last_error) VALUES ('obx_failed_1', ?, 'email', ?, ?, ?, 1, ?, 'HTTP 422: provider says no')")
    .bind(orgRow.id, payload, failedAt, failedAt, failedAt)
    .run();

  const tab = await openTab(browser, portal.base);
  await staffSignIn(tab, portal.base, 'mail', org.owner_email, org.owner_password);
  await tab.page.goto(`${portal.base}/office/mail/settings/customer-portal`);
  await tab.page.getByRole('link', { name: 'Failed e-mails' }).click();
  await tab.page.waitForURL(/\/outbox$/);
  assert.equal(await heading(tab.page), 'Failed e-mails');
  const rows = tab.page.getByRole('region', { name: 'Failed e-mails' }).locator('tbody tr');
  assert.equal(await rows.count(), 1);
  assert.match(await rows.first().textContent(), /typo@mail\.test[\s\S]*HTTP 422: provider says no/);
  await checkPage(tab, 'Failed e-mails');
  await shot(tab, 'outbox');
  await checkNarrow('mail', org, 'outbox', 'outbox');

  // Another organization's staff cannot send it: for them there is no such e-mail.
  const stranger = await portal.createOrganization('mail-other');
  const otherTab = await openTab(browser, portal.base);
  await staffSignIn(otherTab, portal.base, 'mail-other', stranger.owner_email, stranger.owner_password);
  const foreign = await otherTab.page.request.post(`${portal.base}/office/mail-other/outbox/obx_failed_1/retry`, { form: {}, headers: { origin: portal.base } });
  assert.equal(foreign.status(), 404);
  await otherTab.context.close();

  await press(tab.page, rows.first().getByRole('button', { name: 'Send again' }));
  assert.match(await flash(tab.page), /The e-mail is on its way again\./);
  await portal.waitForMail('typo@mail.test');
  assert.equal(await rows.count(), 0);
  assert.match(await tab.page.locator('main').textContent(), /No e-mail has failed\./);
  const token = await portal.staffSignIn('mail', org.owner_email, org.owner_password);
  assert.deepEqual((await portal.request('GET', `${api('mail')}/outbox?status=failed`, { token })).body.messages, []);

  // Sent already: Send again once more is refused on the list.
  const again = await tab.page.request.post(`${portal.base}/office/mail/outbox/obx_failed_1/retry`, { form: {}, headers: { origin: portal.base } });
  assert.equal(again.status(), 409);
  await tab.context.close();
});
