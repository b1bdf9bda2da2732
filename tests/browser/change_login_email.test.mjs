// Change Login Email in Chromium (issue 26): from My Account's Account Information, the form with
// its error summary, "Check your new inbox", the confirm page the link opens, My Account with the
// new login e-mail, and the page of the used link. Every page is checked by axe-core at 1280 and
// 360 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServedPortal, launchBrowser, openTab, checkPage, submit, signIn, linkInMail } from './harness.mjs';

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

const shots = process.env.SHOTS_DIR;
const shot = async (page, name, width) => {
  if (shots) await page.screenshot({ path: `${shots}/${name}-${width}.png`, fullPage: true });
};

for (const width of [1280, 360]) {
  test(`a guardian changes their login e-mail with a link sent to the new address (${width} px)`, async () => {
    const slug = `login-email-${width}`;
    const f = await portal.familyWithSecondary(slug);
    const tab = await openTab(browser, portal.base, { width });
    await signIn(tab, portal.base, slug, f.primary.email, f.primary.password);
    const page = tab.page;

    await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Change Login Email', exact: true }).first().click()]);
    await checkPage(tab, 'Change Login Email');
    assert.equal((await submit(page, 'Change Login Email')).status(), 422);
    assert.match(await page.getByRole('alert').textContent(), /Enter the new e-mail address/);
    await checkPage(tab, 'Change Login Email with errors');
    await shot(page, 'change-login-email-errors', width);

    const newAddress = `ann.new@${slug}.test`;
    await page.getByLabel('New e-mail address').fill(newAddress);
    await page.getByLabel('Current password').fill(f.primary.password);
    await submit(page, 'Change Login Email');
    assert.match(await page.getByRole('status').textContent(), /Check your new inbox/);
    await checkPage(tab, 'My Account after asking');

    const link = await linkInMail(portal, newAddress, 'email_change_link');
    await page.goto(link);
    await checkPage(tab, 'Confirm your new login e-mail');
    assert.match(await page.locator('main').textContent(), new RegExp(newAddress.replace(/\./g, '\\.')));
    await shot(page, 'confirm-login-email', width);
    await submit(page, 'Confirm New Login Email');
    assert.match(await page.getByRole('status').textContent(), /Your login e-mail has been changed/);
    assert.match(await page.locator('#account-information').textContent(), new RegExp(`${newAddress.replace(/\./g, '\\.')}\\s*Login`));
    await checkPage(tab, 'My Account with the new login e-mail');
    await shot(page, 'account-new-login-email', width);

    const used = await page.goto(link);
    assert.equal(used.status(), 410);
    await checkPage(tab, 'A used confirm link');
    await shot(page, 'login-email-link-used', width);
  });
}
