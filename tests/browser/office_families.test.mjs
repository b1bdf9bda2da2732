// The Office Portal's entry in Chromium, as staff use it at the front desk: sign in and out,
// FAMILIES searched and paged, a family added. Every page is checked by axe-core, for its weight,
// for third-party requests and for sideways scrolling, at 1280 and 360 px.
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
const summaryLinks = (page) =>
  page.getByRole('alert').getByRole('link').evaluateAll((links) => links.map((a) => [a.textContent.trim(), a.getAttribute('href')]));

test('staff sign in with the error summary for wrong input, see FAMILIES, and sign out', async () => {
  const org = await portal.createOrganization('desk');
  const tab = await openTab(browser, portal.base);
  const res = await tab.page.goto(`${portal.base}/office/desk`);
  assert.equal(res.status(), 200);
  assert.match(await tab.page.title(), /^Sign in – desk Swim School Office Portal$/);
  await checkPage(tab, 'office sign-in');

  await tab.page.getByLabel('E-mail address').fill(org.owner_email);
  await tab.page.getByLabel('Password', { exact: true }).fill('wrong-password-1');
  const wrong = await submit(tab.page, 'Sign in');
  assert.equal(wrong.status(), 422);
  assert.deepEqual(await summaryLinks(tab.page), [['The e-mail address or password is incorrect.', '#password']]);
  await checkPage(tab, 'office sign-in with errors');

  const signedIn = await staffSignIn(tab, portal.base, 'desk', org.owner_email, org.owner_password);
  assert.equal(signedIn.status(), 200);
  assert.equal(new URL(tab.page.url()).pathname, '/office/desk/families');
  assert.equal(await heading(tab.page), 'FAMILIES');
  const nav = tab.page.getByRole('navigation', { name: 'Office Portal' });
  assert.deepEqual(await nav.getByRole('link').allTextContents(), ['FAMILIES', 'Requests', 'Invitations', 'Reports', 'Import', 'Settings']);
  assert.equal(await nav.getByRole('link', { name: 'FAMILIES' }).getAttribute('aria-current'), 'page');
  assert.match(await tab.page.getByRole('banner').textContent(), new RegExp(org.owner_email.replace('.', '\\.')));
  await checkPage(tab, 'FAMILIES, empty');

  // The sign-in page of a signed-in staff member goes on to FAMILIES.
  await tab.page.goto(`${portal.base}/office/desk`);
  assert.equal(new URL(tab.page.url()).pathname, '/office/desk/families');

  const out = await submit(tab.page, 'Sign out');
  assert.equal(new URL(out.url()).pathname, '/office/desk');
  assert.match(await tab.page.getByRole('status').textContent(), /You have signed out\./);
  const after = await tab.page.goto(`${portal.base}/office/desk/families`);
  assert.equal(new URL(after.url()).pathname, '/office/desk', 'FAMILIES needs a session');
  await tab.context.close();
});

test('a staff page signed out elsewhere lands on sign-in saying why', async () => {
  const org = await portal.createOrganization('elsewhere');
  const tab = await openTab(browser, portal.base);
  await staffSignIn(tab, portal.base, 'elsewhere', org.owner_email, org.owner_password);
  // The same session signed out through the API (another tab, a script).
  const cookies = await tab.context.cookies();
  const session = cookies.find((c) => c.name === 'office_session');
  assert.ok(session, 'the staff session cookie is set');
  const out = await portal.request('DELETE', '/office/elsewhere/api/session', { token: session.value });
  assert.equal(out.status, 204);
  await tab.page.goto(`${portal.base}/office/elsewhere/families`);
  assert.equal(new URL(tab.page.url()).pathname, '/office/elsewhere');
  assert.match(await tab.page.getByRole('status').textContent(), /You signed out\. Please sign in again\./);
  await tab.context.close();
});

test('FAMILIES finds a family by a guardian e-mail, pages through many, and adds a family', async () => {
  const org = await portal.createOrganization('many');
  const token = await portal.staffSignIn('many', org.owner_email, org.owner_password);
  for (let i = 0; i < 27; i += 1) {
    const n = String(i).padStart(2, '0');
    await portal.createFamily('many', token, `Family ${n}`, { first_name: 'Pat', last_name: `Family${n}`, email: `pat${n}@many.test` });
  }
  for (const width of [1280, 360]) {
    const tab = await openTab(browser, portal.base, { width });
    await staffSignIn(tab, portal.base, 'many', org.owner_email, org.owner_password);
    const rows = () => tab.page.locator('table.list tbody tr');
    assert.equal(await rows().count(), 25);
    await checkPage(tab, `FAMILIES page 1 at ${width}`);
    await Promise.all([tab.page.waitForNavigation(), tab.page.getByRole('link', { name: 'Next page' }).click()]);
    assert.equal(await rows().count(), 2);
    assert.deepEqual(await tab.page.locator('table.list tbody th').allTextContents(), ['Family 25', 'Family 26']);

    await tab.page.getByLabel('Search families').fill('pat07@many.test');
    await submit(tab.page, 'Search');
    assert.equal(await rows().count(), 1);
    const edit = tab.page.getByRole('link', { name: 'Edit Family 07' });
    assert.match(await edit.getAttribute('href'), /^\/office\/many\/families\/[^/]+$/);
    assert.deepEqual(await rows().first().locator('td').allTextContents().then((t) => t.slice(0, 3)), ['Pat Family07', 'pat07@many.test', '0 of 1']);
    await checkPage(tab, `FAMILIES search at ${width}`);
    await tab.context.close();
  }

  const tab = await openTab(browser, portal.base);
  await staffSignIn(tab, portal.base, 'many', org.owner_email, org.owner_password);
  await tab.page.getByRole('link', { name: 'Add Family' }).click();
  await tab.page.waitForURL(/families\/new$/);
  const empty = await submit(tab.page, 'Save');
  assert.equal(empty.status(), 422);
  assert.deepEqual((await summaryLinks(tab.page)).map(([, href]) => href), ['#name', '#first_name']);
  await checkPage(tab, 'Add Family with errors');
  await tab.page.getByLabel('Family name').fill('Okafor');
  await tab.page.getByLabel('First name').fill('Ngozi');
  await tab.page.getByLabel('Last name').fill('Okafor');
  await tab.page.getByLabel('E-mail address (optional)').fill('ngozi@many.test');
  const created = await submit(tab.page, 'Save');
  assert.match(new URL(created.url()).pathname, /^\/office\/many\/families\/[^/]+$/);
  const found = await portal.request('GET', '/office/many/api/families?q=ngozi', { token });
  assert.equal(found.body.families.length, 1);
  assert.equal(found.body.families[0].name, 'Okafor');
  await tab.context.close();
});

test('a staff member removed from the organization lands on sign-in saying why', async () => {
  const org = await portal.createOrganization('removed');
  const tab = await openTab(browser, portal.base);
  await staffSignIn(tab, portal.base, 'removed', org.owner_email, org.owner_password);
  await portal.dbOf('removed').prepare('DELETE FROM staff_users WHERE email = ?').bind(org.owner_email).run();
  await tab.page.goto(`${portal.base}/office/removed/families`);
  assert.equal(new URL(tab.page.url()).pathname, '/office/removed');
  assert.match(await tab.page.getByRole('status').textContent(), /Your Office Portal account has been removed from this organization\./);
  await checkPage(tab, 'sign-in after removal');
  await tab.context.close();
});

test('staff pages are never behind the Customer Portal switch', async () => {
  const org = await portal.createOrganization('switched');
  const token = await portal.staffSignIn('switched', org.owner_email, org.owner_password);
  const off = await portal.request('PUT', '/office/switched/api/settings/customer-portal', { token, json: { enabled: false } });
  assert.equal(off.status, 200);
  const tab = await openTab(browser, portal.base);
  const signIn = await tab.page.goto(`${portal.base}/office/switched`);
  assert.equal(signIn.status(), 200);
  const families = await staffSignIn(tab, portal.base, 'switched', org.owner_email, org.owner_password);
  assert.equal(families.status(), 200);
  assert.equal(await heading(tab.page), 'FAMILIES');
  const portalPage = await tab.page.goto(`${portal.base}/portal/switched`);
  assert.equal(portalPage.status(), 503, 'while the Customer Portal is off');
  await tab.context.close();
});
