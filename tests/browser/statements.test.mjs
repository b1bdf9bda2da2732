// Statements in Chromium: My Account's Transaction History offers Generate Statement for This
// Location and Generate Ledger for This Location (GET forms: no JavaScript); the printable page is
// accessible, and printed on A4 and Letter its table stays inside the paper.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

const shots = process.env.SHOTS_DIR;

async function statementFamily(slug, options) {
  const f = await portal.familyWithSecondary(slug);
  const opts = await portal.request('PATCH', `/office/${slug}/api/settings/portal-options`, { token: f.staff, json: options });
  assert.equal(opts.status, 200, opts.text);
  return f;
}

async function location(slug, f, name) {
  const res = await portal.request('POST', `/office/${slug}/api/locations`, { token: f.staff, json: { name } });
  assert.equal(res.status, 201, res.text);
  return res.body.id;
}

async function charge(slug, f, amount_cents, description, location_id) {
  const res = await portal.request('POST', `/office/${slug}/api/families/${f.family.id}/ledger`, { token: f.staff, json: { kind: 'charge', amount_cents, description, location_id } });
  assert.equal(res.status, 201, res.text);
}

/** Printed on `paper`: the page's printable width (12 mm margins) in CSS px, and whether anything is wider. */
async function overflowWhenPrinted(page, widthMm) {
  const printable = Math.floor(((widthMm - 24) / 25.4) * 96);
  await page.setViewportSize({ width: printable, height: 1000 });
  return page.evaluate(() => {
    const table = document.querySelector('table');
    return {
      page: document.documentElement.clientWidth,
      table: Math.ceil(table.getBoundingClientRect().right),
      scrolls: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    };
  });
}

for (const width of [1280, 360]) {
  test(`a family generates the statement and the ledger of the chosen location (${width} px)`, async () => {
    const slug = `stmt-b-${width}`;
    const f = await statementFamily(slug, { allow_statements: true, allow_ledger_report: true, show_full_ledger_history: true });
    const east = await location(slug, f, 'East Gym');
    await location(slug, f, 'North Pool');
    await charge(slug, f, 4750, 'Spring term tuition for two swimmers, Tuesday and Thursday afternoons at the teaching pool', east);
    await charge(slug, f, 120000, 'Competitive squad membership (annual)', east);

    const tab = await openTab(browser, portal.base, { width });
    await signIn(tab, portal.base, slug, f.primary.email, f.primary.password);
    const history = tab.page.getByRole('region', { name: 'Transaction History' });
    assert.equal(await history.getByRole('button', { name: 'Generate Statement for This Location' }).count(), 1);
    assert.equal(await history.getByRole('button', { name: 'Generate Ledger for This Location' }).count(), 1);
    await checkPage(tab, 'My Account with statements');
    if (shots) await history.screenshot({ path: `${shots}/statements-account-${width}.png` });

    await submit(tab.page, 'Generate Statement for This Location');
    assert.match(tab.page.url(), /\/api\/statements\/outstanding\?location_id=.*&format=html$/);
    const main = await tab.page.locator('main').textContent();
    for (const text of [`${slug} Swim School`, 'Statement of outstanding charges', 'Lee', 'East Gym', '$1,247.50', 'Print']) assert.ok(main.includes(text), `missing ${text}`);
    await checkPage(tab, 'Statement page');
    if (shots) await tab.page.screenshot({ path: `${shots}/statement-${width}.png`, fullPage: true });

    await tab.page.emulateMedia({ media: 'print' });
    if (shots) await tab.page.screenshot({ path: `${shots}/statement-print-${width}.png`, fullPage: true });
    assert.equal(await tab.page.getByText('Back to My Account').isVisible(), false, 'the links are not printed');
    for (const [paper, mm] of [['A4', 210], ['Letter', 215.9]]) {
      const o = await overflowWhenPrinted(tab.page, mm);
      assert.ok(o.table <= o.page && o.scrolls <= 0, `on ${paper} the table is cut off: ${JSON.stringify(o)}`);
      const pdf = await tab.page.pdf({ format: paper, printBackground: true });
      const file = join(mkdtempSync(join(tmpdir(), 'print-')), `${paper}.pdf`);
      writeFileSync(file, pdf);
      const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
      assert.match(text, /Outstanding/, `${paper}: the last column is printed`);
      assert.match(text, /\$1,200\.00\s+\$1,200\.00/, `${paper}: both amounts of a line are printed`);
      assert.match(text, /Total outstanding\s+\$1,247\.50/);
    }
    await tab.page.emulateMedia({ media: 'screen' });
    await tab.page.setViewportSize({ width, height: 900 });

    await tab.page.goBack();
    await tab.page.locator('#ledger-from').fill('2020-01-01');
    await tab.page.locator('#ledger-format').selectOption('html');
    await submit(tab.page, 'Generate Ledger for This Location');
    const ledger = await tab.page.locator('main').textContent();
    assert.match(ledger, /From 2020-01-01 to \d{4}-\d{2}-\d{2}/);
    assert.match(ledger, /Charges\s*\$1,247\.50/);
    await checkPage(tab, 'Ledger page');
    if (shots) await tab.page.screenshot({ path: `${shots}/ledger-${width}.png`, fullPage: true });
  });
}

test('without the options there is nothing to generate; without a location the family is asked to choose one', async () => {
  const off = await statementFamily('stmt-b-off', { allow_statements: false, allow_ledger_report: false });
  await location('stmt-b-off', off, 'East Gym');
  const tab = await openTab(browser, portal.base);
  await signIn(tab, portal.base, 'stmt-b-off', off.primary.email, off.primary.password);
  assert.equal(await tab.page.getByRole('button', { name: /Generate (Statement|Ledger) for This Location/ }).count(), 0);
  assert.doesNotMatch(await tab.page.getByRole('region', { name: 'Transaction History' }).textContent(), /Statements/);

  const none = await statementFamily('stmt-b-none', { allow_statements: true, allow_ledger_report: false });
  const other = await openTab(browser, portal.base);
  await signIn(other, portal.base, 'stmt-b-none', none.primary.email, none.primary.password);
  const history = other.page.getByRole('region', { name: 'Transaction History' });
  assert.match(await history.textContent(), /Choose a location/);
  assert.equal(await history.getByRole('button', { name: 'Generate Statement for This Location' }).count(), 0);
  await checkPage(other, 'My Account without a location');
});
