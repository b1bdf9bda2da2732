// Credit in Chromium: staff Post Credit on a family's Ledger (with its location), the family sees
// the Credit line in My Account's Payments and selects Apply Credit (a form, Post/Redirect/Get);
// the Transaction History lists both. Every page is checked by axe-core, at 1280 and 360 px.
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

const figure = (page, name) => page.locator('dl.figures div', { hasText: name }).locator('dd').textContent();
const shots = process.env.SHOTS_DIR;

for (const width of [1280, 360]) {
  test(`staff post a credit for a location and the family applies it (${width} px)`, async () => {
    const slug = `credit-${width}`;
    const f = await portal.familyWithSecondary(slug);
    const opts = await portal.request('PATCH', `/office/${slug}/api/settings/portal-options`, { token: f.staff, json: { show_credit: true } });
    assert.equal(opts.status, 200, opts.text);
    const location = await portal.request('POST', `/office/${slug}/api/locations`, { token: f.staff, json: { name: 'North Pool' } });
    const charged = await portal.request('POST', `/office/${slug}/api/families/${f.family.id}/ledger`, {
      token: f.staff,
      json: { kind: 'charge', amount_cents: 5000, description: 'May tuition' },
    });
    assert.equal(charged.status, 201, charged.text);

    const office = await openTab(browser, portal.base, { width });
    await staffSignIn(office, portal.base, slug, f.org.owner_email, f.org.owner_password);
    await office.page.goto(`${portal.base}/office/${slug}/families/${f.family.id}/ledger`);
    await Promise.all([office.page.waitForNavigation(), office.page.getByRole('link', { name: 'Post Credit' }).click()]);
    await checkPage(office, 'Post Credit');
    await office.page.getByLabel('Amount in dollars').fill('20.00');
    await office.page.getByLabel('Description').fill('Missed lessons');
    await office.page.getByLabel('Location').selectOption({ label: 'North Pool' });
    await submit(office.page, 'Post Credit');
    assert.match(await office.page.getByRole('status').textContent(), /The credit has been posted/);
    assert.equal((await figure(office.page, 'Credit')).trim(), '$20.00');
    await checkPage(office, 'Ledger with a credit');
    const { results } = await portal.dbOf(slug).prepare("SELECT location_id FROM ledger_entries WHERE family_id = ? AND kind = 'credit'").bind(f.family.id).all();
    assert.deepEqual(results, [{ location_id: location.body.id }]);

    const tab = await openTab(browser, portal.base, { width });
    await signIn(tab, portal.base, slug, f.primary.email, f.primary.password);
    const payments = tab.page.getByRole('region', { name: 'Payments' });
    assert.match(await payments.textContent(), /Outstanding\s*\$50\.00[\s\S]*Credit\s*\$20\.00/);
    await checkPage(tab, 'My Account with credit');
    if (shots) await tab.page.screenshot({ path: `${shots}/credit-${width}.png`, fullPage: true });
    await submit(tab.page, 'Apply Credit');
    assert.equal(new URL(tab.page.url()).hash, '#payments');
    assert.match(await tab.page.getByRole('status').textContent(), /Your credit has been applied/);
    assert.match(await payments.textContent(), /Outstanding\s*\$30\.00[\s\S]*Credit\s*\$0\.00/);
    assert.equal(await tab.page.getByRole('button', { name: 'Apply Credit' }).count(), 0, 'nothing left to apply');
    const history = await tab.page.getByRole('region', { name: 'Transaction History' }).textContent();
    assert.match(history, /Credit applied\s*Credit applied to outstanding charges\s*−\$20\.00/);
    assert.match(history, /Credit\s*Missed lessons\s*\$20\.00/);
    await checkPage(tab, 'My Account after Apply Credit');
  });
}

test('without the option there is no Credit line and no Apply Credit', async () => {
  const slug = 'credit-hidden';
  const f = await portal.familyWithSecondary(slug);
  await portal.request('POST', `/office/${slug}/api/families/${f.family.id}/ledger`, { token: f.staff, json: { kind: 'charge', amount_cents: 500, description: 'Cap' } });
  await portal.request('POST', `/office/${slug}/api/families/${f.family.id}/ledger`, { token: f.staff, json: { kind: 'credit', amount_cents: 500, description: 'Goodwill' } });
  const tab = await openTab(browser, portal.base);
  await signIn(tab, portal.base, slug, f.primary.email, f.primary.password);
  const payments = await tab.page.getByRole('region', { name: 'Payments' }).textContent();
  assert.doesNotMatch(payments, /Credit/);
  assert.equal(await tab.page.getByRole('button', { name: 'Apply Credit' }).count(), 0);
});
