// My Account in Chromium, issue 27: the Primary Guardian sets an Access End Date for a secondary
// (a past day refused beside the field, then saved and cleared); the secondary sees it; staff see
// it on Family details; the secondary leaves the family through its confirmation page. Every page
// is checked by axe-core, at 1280 and 360 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { startServedPortal, launchBrowser, openTab, checkPage, submit, signIn, staffSignIn } from './harness.mjs';

const slug = 'gran';
let portal;
let browser;
let fam;
before(async () => {
  portal = await startServedPortal();
  browser = await launchBrowser();
  fam = await portal.familyWithSecondary(slug);
});
after(async () => {
  await browser?.close();
  await portal?.close();
});

const notice = (page) => page.getByRole('status').textContent();
const utcDay = (days) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
const bobCard = (page) => page.getByRole('list', { name: 'Guardians' }).getByRole('listitem').filter({ hasText: 'Bob Lee' });

async function shot(tab, name) {
  if (!process.env.SHOTS) return;
  mkdirSync(process.env.SHOTS, { recursive: true });
  const width = tab.page.viewportSize().width;
  await tab.page.screenshot({ path: `${process.env.SHOTS}/${name}-${width}.png`, fullPage: true });
}

test('Access End Date: a past day refused beside the field, a day saved, seen by the secondary and by staff, then cleared', async () => {
  for (const width of [1280, 360]) {
    const tab = await openTab(browser, portal.base, { width });
    await signIn(tab, portal.base, slug, fam.primary.email, fam.primary.password);
    await Promise.all([tab.page.waitForNavigation(), bobCard(tab.page).getByRole('link', { name: /^Access End Date/ }).click()]);
    assert.equal(await tab.page.getByRole('heading', { level: 1 }).textContent(), 'Access End Date for Bob Lee');
    await checkPage(tab, `Access End Date at ${width}`);
    await shot(tab, 'access-end');

    await tab.page.getByLabel('Access ends on').fill(utcDay(-2));
    const refused = await submit(tab.page, 'Save End Date');
    assert.equal(refused.status(), 422);
    assert.match(await tab.page.getByRole('alert').textContent(), /cannot be before today/);
    await checkPage(tab, `Access End Date refused at ${width}`);
    await shot(tab, 'access-end-refused');

    await tab.page.getByLabel('Access ends on').fill(utcDay(30));
    await submit(tab.page, 'Save End Date');
    assert.equal(await notice(tab.page), 'The access end date has been saved.');
    assert.match(await bobCard(tab.page).textContent(), new RegExp(`Access ends on ${utcDay(30)}`));
    await checkPage(tab, `My Account with an access end date at ${width}`);
    await tab.context.close();
  }

  const bob = await openTab(browser, portal.base, { width: 360 });
  await signIn(bob, portal.base, slug, fam.secondary.email, fam.secondary.password);
  assert.match(await bob.page.getByRole('region', { name: 'Account Information' }).textContent(), new RegExp(`Your access to this family's account ends on ${utcDay(30)}`));
  await checkPage(bob, 'the secondary sees their access end date');
  await shot(bob, 'access-end-secondary');
  await bob.context.close();

  const office = await openTab(browser, portal.base);
  await staffSignIn(office, portal.base, slug, `owner@${slug}.test`, 'owner-password-1');
  await office.page.goto(`${portal.base}/office/${slug}/families/${fam.family.id}`);
  assert.match(await office.page.locator('main').textContent(), new RegExp(`Access ends on ${utcDay(30)}`));
  await checkPage(office, 'Family details with an access end date');
  await office.context.close();

  const tab = await openTab(browser, portal.base);
  await signIn(tab, portal.base, slug, fam.primary.email, fam.primary.password);
  await Promise.all([tab.page.waitForNavigation(), bobCard(tab.page).getByRole('link', { name: /^Access End Date/ }).click()]);
  await submit(tab.page, 'Clear End Date');
  assert.equal(await notice(tab.page), 'The access end date has been cleared.');
  assert.doesNotMatch(await bobCard(tab.page).textContent(), /Access ends on/);
  await tab.context.close();
});

test('Leave this family: the confirmation page, then signed out with a message; the primary is not offered it', async () => {
  const primary = await openTab(browser, portal.base);
  await signIn(primary, portal.base, slug, fam.primary.email, fam.primary.password);
  assert.equal(await primary.page.getByRole('link', { name: 'Leave this family' }).count(), 0);
  await primary.context.close();

  for (const width of [1280, 360]) {
    const tab = await openTab(browser, portal.base, { width });
    await signIn(tab, portal.base, slug, fam.secondary.email, fam.secondary.password);
    await Promise.all([tab.page.waitForNavigation(), tab.page.getByRole('link', { name: 'Leave this family' }).click()]);
    assert.equal(await tab.page.getByRole('heading', { level: 1 }).textContent(), 'Leave the Lee family');
    assert.match(await tab.page.locator('main').textContent(), /payment methods you saved in this family's account are deleted/);
    await checkPage(tab, `Leave this family at ${width}`);
    await shot(tab, 'leave-family');
    if (width === 1280) {
      // Cancel keeps everything.
      await Promise.all([tab.page.waitForNavigation(), tab.page.getByRole('link', { name: 'Cancel' }).click()]);
      assert.equal(await tab.page.getByRole('heading', { level: 1 }).textContent(), 'My Account');
      await tab.context.close();
      continue;
    }
    await submit(tab.page, 'Leave this family');
    assert.match(await notice(tab.page), /You have left the family/);
    assert.match(tab.page.url(), new RegExp(`/portal/${slug}$`));
    await checkPage(tab, 'signed out after leaving');
    await shot(tab, 'left-family');
    await tab.context.close();
  }
  const [mail] = await portal.waitForMail(fam.primary.email, (m) => m.kind === 'secondary_left_family');
  assert.match(mail.subject, /Bob Lee left your family account/);
});
