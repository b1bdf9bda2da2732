// A family's Contact Info tab in Chromium, as staff keep it at the front desk: from Family details
// to the tab, Add Mailing Address (Unassigned), Add Phone (the error summary for a number not in
// E.164), Add Email for a guardian who has accepted, opting it out ("Unsubscribed" in red italic),
// reassigning the address, deleting the phone, and a changed login e-mail refused in the error
// summary. Every page is checked by axe-core at 1280 and 360 px.
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

const group = (page, name) => page.getByRole('region', { name, exact: true });
const notice = (page) => page.getByRole('status').textContent();
const shots = process.env.SHOTS_DIR;

async function follow(page, name) {
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name, exact: true }).first().click()]);
}

for (const width of [1280, 360]) {
  test(`staff keep a family's addresses, e-mails and phones on its Contact Info tab (${width} px)`, async () => {
    const slug = `desk-info-${width}`;
    const f = await portal.familyWithSecondary(slug);
    const tab = await openTab(browser, portal.base, { width });
    const page = tab.page;
    await staffSignIn(tab, portal.base, slug, f.org.owner_email, f.org.owner_password);
    await page.goto(`${portal.base}/office/${slug}/families/${f.family.id}`);
    await follow(page, 'Contact Info');
    assert.equal(await page.getByRole('navigation', { name: 'Family' }).getByRole('link', { name: 'Contact Info' }).getAttribute('aria-current'), 'page');
    assert.match(await group(page, 'Bob Lee').textContent(), new RegExp(`${f.secondary.email}\\s*Login`));
    await checkPage(tab, 'Contact Info');

    await follow(page, 'Add Mailing Address');
    await checkPage(tab, 'Add Mailing Address');
    await page.getByLabel('Belongs to').selectOption({ label: 'Unassigned' });
    await page.getByLabel('Address line 1').fill('1 Main St');
    await page.getByLabel('Town or city').fill('Springfield');
    await page.getByLabel('Postal code').fill('62701');
    await page.getByLabel('Country code').fill('US');
    await submit(page, 'Add');
    assert.match(await notice(page), /The contact information has been saved/);
    assert.match(await group(page, 'Unassigned').textContent(), /1 Main St, Springfield 62701, US/);

    await follow(page, 'Add Phone');
    await page.getByLabel('Phone number').fill('555 0100');
    assert.equal((await submit(page, 'Add')).status(), 422);
    assert.match(await page.getByRole('alert').textContent(), /international format/);
    await checkPage(tab, 'Add Phone with an error');
    await page.getByLabel('Phone number').fill('+1 (555) 010-0177');
    await page.getByLabel('Kind').selectOption('work');
    await page.getByLabel('Belongs to').selectOption({ label: 'Ann Lee' });
    await submit(page, 'Add');
    assert.match(await group(page, 'Ann Lee').textContent(), /\+15550100177 \(Work\)/);

    // Bob has accepted: staff still keep his values.
    await follow(page, 'Add Email');
    await page.getByLabel('Belongs to').selectOption({ label: 'Bob Lee' });
    await page.getByLabel('E-mail address').fill('bob@work.test');
    await page.getByLabel('Receive e-mail blasts').uncheck();
    await submit(page, 'Add');
    const unsubscribed = group(page, 'Bob Lee').locator('li', { hasText: 'bob@work.test' }).locator('.unsubscribed');
    assert.equal(await unsubscribed.textContent(), 'Unsubscribed');
    const style = await unsubscribed.evaluate((el) => [getComputedStyle(el).fontStyle, getComputedStyle(el).color]);
    assert.deepEqual(style, ['italic', 'rgb(212, 53, 28)']);
    await checkPage(tab, 'Contact Info with values');
    if (shots) await page.screenshot({ path: `${shots}/office-contact-info-${width}.png`, fullPage: true });

    // Reassign the address to Ann, then delete the phone.
    await follow(page, 'Edit address 1 Main St');
    await checkPage(tab, 'Edit Contact Information');
    await page.getByLabel('Belongs to').selectOption({ label: 'Ann Lee' });
    await submit(page, 'Save');
    assert.match(await group(page, 'Ann Lee').textContent(), /1 Main St/);
    assert.match(await group(page, 'Unassigned').textContent(), /Nothing yet/);
    await submit(page, 'Delete +15550100177');
    assert.match(await notice(page), /has been deleted/);
    assert.doesNotMatch(await group(page, 'Ann Lee').textContent(), /\+15550100177/);

    // Bob can log in: his login e-mail is his to change.
    await follow(page, `Edit ${f.secondary.email}`);
    await page.getByLabel('E-mail address').fill('bob.new@example.test');
    assert.equal((await submit(page, 'Save')).status(), 422);
    assert.match(await page.getByRole('alert').textContent(), /login e-mail address cannot be changed/);
    await checkPage(tab, 'a changed login e-mail refused');
    if (shots) await page.screenshot({ path: `${shots}/office-contact-login-${width}.png`, fullPage: true });
    await tab.context.close();
  });
}
