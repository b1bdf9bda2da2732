// Account Information's contact points in Chromium: the primary adds a mailing address, an e-mail
// and a phone (the error summary for a phone not in E.164), opts an e-mail out ("Unsubscribed" in
// red italic, by a class), reassigns a value to Unassigned and deletes one; an accepted secondary's
// values offer no Edit to the primary. Every page is checked by axe-core at 1280 and 360 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServedPortal, launchBrowser, openTab, checkPage, submit, signIn } from './harness.mjs';

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

const group = (page, name) => page.getByRole('region', { name: `Contact information of ${name}` });
const shots = process.env.SHOTS_DIR;

async function follow(page, name) {
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name, exact: true }).first().click()]);
}

for (const width of [1280, 360]) {
  test(`the primary keeps the family's addresses, e-mails and phones (${width} px)`, async () => {
    const slug = `info-${width}`;
    const f = await portal.familyWithSecondary(slug);
    const tab = await openTab(browser, portal.base, { width });
    await signIn(tab, portal.base, slug, f.primary.email, f.primary.password);
    const page = tab.page;
    assert.match(await group(page, 'Ann Lee').textContent(), new RegExp(`${f.primary.email}\\s*Login`));

    await follow(page, 'Add Mailing Address');
    await checkPage(tab, 'Add Mailing Address');
    await page.getByLabel('Address line 1').fill('1 Main St');
    await page.getByLabel('Town or city').fill('Springfield');
    await page.getByLabel('Postal code').fill('62701');
    await page.getByLabel('Country code').fill('US');
    await submit(page, 'Add');
    assert.match(await page.getByRole('status').textContent(), /The contact information has been saved/);
    assert.match(await group(page, 'Ann Lee').textContent(), /1 Main St, Springfield 62701, US/);

    await follow(page, 'Add Phone');
    await page.getByLabel('Phone number').fill('555 0100');
    assert.equal((await submit(page, 'Add')).status(), 422);
    assert.match(await page.getByRole('alert').textContent(), /international format/);
    await checkPage(tab, 'Add Phone with an error');
    await page.getByLabel('Phone number').fill('+1 (555) 010-0177');
    await page.getByLabel('Kind').selectOption('work');
    await page.getByLabel('Belongs to').selectOption({ label: 'Unassigned' });
    await submit(page, 'Add');
    assert.match(await group(page, 'Unassigned').textContent(), /\+15550100177 \(Work\)/);

    await follow(page, 'Add Email');
    await page.getByLabel('E-mail address').fill('ann@work.test');
    await page.getByLabel('Receive e-mail blasts').uncheck();
    await submit(page, 'Add');
    const unsubscribed = group(page, 'Ann Lee').locator('li', { hasText: 'ann@work.test' }).locator('.unsubscribed');
    assert.equal(await unsubscribed.textContent(), 'Unsubscribed');
    const style = await unsubscribed.evaluate((el) => [getComputedStyle(el).fontStyle, getComputedStyle(el).color]);
    assert.deepEqual(style, ['italic', 'rgb(212, 53, 28)']);
    await checkPage(tab, 'My Account with contact points');
    if (shots) await page.screenshot({ path: `${shots}/account-information-${width}.png`, fullPage: true });

    // Reassign the address to Unassigned, then delete the phone.
    await follow(page, 'Edit address 1 Main St');
    await checkPage(tab, 'Edit Contact Information');
    await page.getByLabel('Belongs to').selectOption({ label: 'Unassigned' });
    await submit(page, 'Save');
    assert.match(await group(page, 'Unassigned').textContent(), /1 Main St/);
    await submit(page, 'Delete +15550100177');
    assert.match(await page.getByRole('status').textContent(), /has been deleted/);
    assert.doesNotMatch(await group(page, 'Unassigned').textContent(), /\+15550100177/);

    // Bob accepted: his values are his alone.
    assert.equal(await group(page, 'Bob Lee').getByRole('link', { name: /Edit/ }).count(), 0);
  });
}
