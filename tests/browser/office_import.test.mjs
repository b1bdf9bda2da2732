// The bulk-access document's whole round trip as staff do it in the Office Portal: the contacts
// report with its filters, Export .CSV, a "Yes" changed to "No", Contacts Import with "Update
// matching data", the Contacts Import Confirmation page, Finish, and Import Progress to done.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServedPortal, launchBrowser, openTab, checkPage, submit, staffSignIn } from './harness.mjs';

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

test('export the report, change a Yes to No, import, confirm, Finish, and the row loses its access', async () => {
  const { org, primary, secondary, family } = await portal.familyWithSecondary('bulk');
  const tab = await openTab(browser, portal.base);
  await staffSignIn(tab, portal.base, 'bulk', org.owner_email, org.owner_password);

  // The report, filtered to contacts with access, as a table and as the .CSV export.
  await tab.page.getByRole('navigation', { name: 'Office Portal' }).getByRole('link', { name: 'Reports' }).click();
  await tab.page.waitForURL(/\/reports$/);
  await tab.page.getByLabel('Has Customer').selectOption('yes');
  await tab.page.getByLabel('Has Access To Portal').selectOption('yes');
  await submit(tab.page, 'Run Report');
  assert.deepEqual(await tab.page.locator('table.list tbody tr td:nth-child(3)').allTextContents(), ['Ann', 'Bob']);
  await checkPage(tab, 'contacts report');
  const [download] = await Promise.all([tab.page.waitForEvent('download'), tab.page.getByRole('link', { name: 'Export .CSV' }).click()]);
  const csv = await (await download.createReadStream()).toArray().then((chunks) => Buffer.concat(chunks).toString('utf8'));
  const lines = csv.trim().split(/\r?\n/);
  assert.equal(lines.length, 3, 'a header and the two contacts with access');
  const edited = lines.map((line) => (line.startsWith(secondary.id) ? line.replace(/,Yes$/, ',No') : line)).join('\r\n');
  assert.notEqual(edited, lines.join('\r\n'), "Bob's row changed");

  // Contacts Import: "Update matching data" is checked; a missing file is an error at the field.
  await tab.page.getByRole('navigation', { name: 'Office Portal' }).getByRole('link', { name: 'Import' }).click();
  await tab.page.waitForURL(/\/import$/);
  assert.equal(await heading(tab.page), 'Contacts Import');
  assert.equal(await tab.page.getByLabel('Update matching data').isChecked(), true);
  await checkPage(tab, 'Contacts Import');
  const missing = await submit(tab.page, 'Next');
  assert.equal(missing.status(), 422);
  assert.match(await tab.page.getByRole('alert').textContent(), /Choose the edited report/);
  await checkPage(tab, 'Contacts Import with errors');

  await tab.page.getByLabel('The edited report').setInputFiles({ name: 'portal-access.csv', mimeType: 'text/csv', buffer: Buffer.from(edited) });
  await submit(tab.page, 'Next');
  assert.equal(await heading(tab.page), 'Contacts Import Confirmation');
  // The check runs on the queue; the page refreshes itself until it is done.
  await tab.page.getByRole('button', { name: 'Finish' }).waitFor({ timeout: 20_000 });
  const changes = tab.page.getByRole('region', { name: 'Changes' });
  assert.equal(await changes.locator('tbody tr').count(), 1, 'only Bob changes');
  assert.match(await changes.textContent(), new RegExp(`Bob Lee[\\s\\S]*${secondary.id}[\\s\\S]*Loses access to the portal`));
  await checkPage(tab, 'Contacts Import Confirmation');

  // Nothing has changed yet: the confirmation page was a dry run.
  const before = await portal.request('GET', `/portal/bulk/api/account`, { token: secondary.token });
  assert.equal(before.status, 200, 'Bob still signed in before Finish');

  await submit(tab.page, 'Finish');
  assert.equal(await heading(tab.page), 'Import Progress');
  await tab.page.getByText('The import is done').waitFor({ timeout: 20_000 });
  const bar = tab.page.locator('progress');
  assert.equal(await bar.getAttribute('value'), await bar.getAttribute('max'));
  await checkPage(tab, 'Import Progress, done');

  const after = await portal.request('GET', `/portal/bulk/api/account`, { token: secondary.token });
  assert.equal(after.status, 401, "Bob's session ended with his access");
  const still = await portal.request('GET', `/portal/bulk/api/account`, { token: primary.token });
  assert.equal(still.status, 200, 'Ann keeps hers');
  const staffToken = await portal.staffSignIn('bulk', org.owner_email, org.owner_password);
  const fam = await portal.request('GET', `/office/bulk/api/families/${family.id}`, { token: staffToken });
  const bob = fam.body.guardians.find((g) => g.id === secondary.id);
  assert.equal(bob.access_label, 'Invite Revoked');
  await portal.waitForMail(org.owner_email, (m) => /import/i.test(m.subject ?? m.text ?? ''));
  await tab.context.close();
});

test('Finish on a dry run whose contact changed since says so and changes nothing', async () => {
  const { org, secondary, staff } = await portal.familyWithSecondary('stale');
  const tab = await openTab(browser, portal.base, { width: 360 });
  await staffSignIn(tab, portal.base, 'stale', org.owner_email, org.owner_password);
  const report = await portal.request('GET', '/office/stale/api/reports/portal-access.csv?has_portal_access=yes', { token: staff });
  const edited = report.text.split(/\r?\n/).map((line) => (line.startsWith(secondary.id) ? line.replace(/,Yes$/, ',No') : line)).join('\r\n');
  await tab.page.goto(`${portal.base}/office/stale/import`);
  await tab.page.getByLabel('The edited report').setInputFiles({ name: 'r.csv', mimeType: 'text/csv', buffer: Buffer.from(edited) });
  await submit(tab.page, 'Next');
  await tab.page.getByRole('button', { name: 'Finish' }).waitFor({ timeout: 20_000 });
  await checkPage(tab, 'Contacts Import Confirmation at 360');
  // Bob's name changes at the front desk between the check and Finish.
  const renamed = await portal.request('PATCH', `/portal/stale/api/guardians/${secondary.id}`, { token: secondary.token, json: { first_name: 'Robert' } });
  assert.equal(renamed.status, 200, renamed.text);
  const refused = await submit(tab.page, 'Finish');
  assert.equal(refused.status(), 409);
  assert.match(await tab.page.getByRole('alert').textContent(), /changed/i);
  const account = await portal.request('GET', '/portal/stale/api/account', { token: secondary.token });
  assert.equal(account.status, 200, 'Bob keeps his access');
  await tab.context.close();
});
