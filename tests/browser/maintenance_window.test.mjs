// Settings > Customer Portal: "Scheduled maintenance" in Chromium, as staff use it: a window
// scheduled, changed, refused with an error summary, cancelled; a short real window that switches
// the Customer Portal off (the 503 page with the note) and back on by itself. axe-core clean at
// 1280 and 360 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { startServedPortal, launchBrowser, openTab, checkPage, submit, staffSignIn, UNAVAILABLE } from './harness.mjs';

let portal;
let browser;
let org;
before(async () => {
  portal = await startServedPortal();
  browser = await launchBrowser();
  org = await portal.createOrganization('harbor');
});
after(async () => {
  await browser?.close();
  await portal?.close();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** A `datetime-local` value `ms` from now, on the organization's clock (UTC unless changed). */
const local = (ms) => new Date(Date.now() + ms).toISOString().slice(0, 16);
const flash = (page) => page.getByRole('status').textContent();
const maintenanceForm = (page) => page.getByRole('form', { name: 'Scheduled maintenance' });

async function shot(tab, name) {
  if (!process.env.SHOTS) return;
  mkdirSync(process.env.SHOTS, { recursive: true });
  const width = tab.page.viewportSize().width;
  await tab.page.screenshot({ path: `${process.env.SHOTS}/${name}-${width}.png`, fullPage: true });
}

async function settingsTab(width = 1280) {
  const tab = await openTab(browser, portal.base, { width });
  await staffSignIn(tab, portal.base, 'harbor', org.owner_email, org.owner_password);
  await tab.page.goto(`${portal.base}/office/harbor/settings/customer-portal`);
  return tab;
}

test('Schedule maintenance, Change maintenance, a refused window, Cancel maintenance', async () => {
  const tab = await settingsTab();
  const { page } = tab;
  assert.match(await page.getByRole('region', { name: 'Scheduled maintenance' }).textContent(), /No maintenance is scheduled/);

  const form = maintenanceForm(page);
  await form.getByLabel('Starts', { exact: true }).fill(local(2 * 3600_000));
  await form.getByLabel('Ends', { exact: true }).fill(local(3 * 3600_000));
  await form.getByLabel('Note for customers (optional)').fill('New booking system; back by 10.');
  await submit(page, 'Schedule maintenance');
  assert.match(await flash(page), /The maintenance has been scheduled/);
  assert.match(await page.locator('#maintenance-status').textContent(), /^Maintenance is scheduled from /);
  assert.match(await page.getByRole('region', { name: 'Scheduled maintenance' }).textContent(), /New booking system; back by 10\./);
  await checkPage(tab, 'settings with maintenance scheduled');
  await shot(tab, 'maintenance-scheduled');

  // The window ends before it starts: the error summary and the field's own error.
  await maintenanceForm(page).getByLabel('Ends', { exact: true }).fill(local(3600_000));
  const refused = await submit(page, 'Change maintenance');
  assert.equal(refused.status(), 422);
  const summary = page.getByRole('alert');
  assert.match(await summary.textContent(), /The maintenance must end after it starts\./);
  assert.equal(await summary.getByRole('link').first().getAttribute('href'), '#schedule.ends_at');
  await checkPage(tab, 'settings with a refused maintenance window');
  await shot(tab, 'maintenance-refused');

  await maintenanceForm(page).getByLabel('Ends', { exact: true }).fill(local(4 * 3600_000));
  await submit(page, 'Change maintenance');
  assert.match(await flash(page), /The maintenance has been scheduled/);
  const readout = await portal.request('GET', '/office/harbor/api/settings/customer-portal', {
    token: await portal.staffSignIn('harbor', org.owner_email, org.owner_password),
  });
  assert.equal(readout.body.schedule.note, 'New booking system; back by 10.');

  await submit(page, 'Cancel maintenance');
  assert.equal(await flash(page), 'The maintenance has been cancelled.');
  assert.match(await page.getByRole('region', { name: 'Scheduled maintenance' }).textContent(), /No maintenance is scheduled/);
  await tab.context.close();
});

test('a real short window: the customer sees the 503 page with the note, then the portal is back by itself', async () => {
  const tab = await settingsTab();
  const form = maintenanceForm(tab.page);
  // datetime-local has minutes: the window starts at once (a start in the past means now).
  await form.getByLabel('Starts', { exact: true }).fill(local(-60_000));
  await form.getByLabel('Ends', { exact: true }).fill(local(60_000 + 60_000));
  await form.getByLabel('Note for customers (optional)').fill('Back in a minute or two.');
  await submit(tab.page, 'Schedule maintenance');
  assert.match(await tab.page.locator('#maintenance-status').textContent(), /off for maintenance until/);
  assert.equal(await tab.page.getByRole('checkbox', { name: 'Enable Customer Portal', exact: true }).isChecked(), false);

  const customer = await openTab(browser, portal.base, { width: 360 });
  const res = await customer.page.goto(`${portal.base}/portal/harbor`);
  assert.equal(res.status(), 503);
  assert.ok(Number(res.headers()['retry-after']) >= 1);
  assert.match(await customer.page.locator('main').textContent(), new RegExp(`${UNAVAILABLE.replaceAll('.', '\\.')}[\\s\\S]*Back in a minute or two\\.`));
  await checkPage(customer, 'the maintenance page at 360');
  await shot(customer, 'maintenance-503');
  await checkPage(tab, 'settings during maintenance');
  await shot(tab, 'maintenance-on');

  // Ticking "Enable Customer Portal" during the window ends it.
  await tab.page.getByRole('checkbox', { name: 'Enable Customer Portal', exact: true }).check();
  await Promise.all([
    tab.page.waitForNavigation(),
    tab.page.getByRole('form', { name: 'Customer Portal' }).getByRole('button', { name: 'Save' }).click(),
  ]);
  assert.equal((await customer.page.goto(`${portal.base}/portal/harbor`)).status(), 200);
  await tab.context.close();
  await customer.context.close();
});

test('the maintenance section at 360 px', async () => {
  const tab = await settingsTab(360);
  await checkPage(tab, 'settings with the maintenance form at 360');
  await shot(tab, 'maintenance-form');
  await tab.context.close();
});
