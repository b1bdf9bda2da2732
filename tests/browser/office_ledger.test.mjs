// A family's Ledger in the Office Portal, in Chromium, as staff use it at the front desk: Take
// Payment (cash, or a saved method charged at the gateway) is one payment however often its form
// is posted; Post Charge and Post Refund; the error summary for a wrong amount. Every page is
// checked by axe-core, for its weight, for third-party requests and for sideways scrolling, at
// 1280 and 360 px.
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

const summaryLinks = (page) =>
  page.getByRole('alert').getByRole('link').evaluateAll((links) => links.map((a) => [a.textContent.trim(), a.getAttribute('href')]));
const flash = (page) => page.getByRole('status').textContent();
/** The ledger table's rows as [date, type, description, amount]. */
const ledgerRows = (page) =>
  page.locator('table.ledger-list tbody tr').evaluateAll((rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim())));
const figure = (page, name) => page.locator('dl.figures div', { hasText: name }).locator('dd').textContent();

/** An organization with one family that owes `owed_cents`; answers {org, token, family}. */
async function owingFamily(slug, owed_cents) {
  const org = await portal.createOrganization(slug);
  const token = await portal.staffSignIn(slug, org.owner_email, org.owner_password);
  const family = await portal.createFamily(slug, token, 'Lee', { first_name: 'Ann', last_name: 'Lee', email: `ann@${slug}.test` });
  await postCharge(slug, token, family.id, owed_cents);
  return { org, token, family };
}

async function postCharge(slug, token, familyId, amount_cents) {
  const res = await portal.request('POST', `/office/${slug}/api/families/${familyId}/ledger`, {
    token,
    json: { kind: 'charge', amount_cents, description: 'Tuition' },
  });
  assert.equal(res.status, 201, res.text);
}

async function apiLedger(slug, token, familyId) {
  const res = await portal.request('GET', `/office/${slug}/api/families/${familyId}/ledger`, { token });
  assert.equal(res.status, 200, res.text);
  return res.body;
}

/** Posts the Take Payment form on the page again, exactly as it is (a reload's resubmission). */
async function postFormAgain(tab, base) {
  const form = await tab.page.locator('form[action$="/ledger/payment"]').evaluate((f) => ({
    action: f.action,
    body: new URLSearchParams(new FormData(f)).toString(),
  }));
  return async () => {
    const res = await tab.context.request.post(form.action, {
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base },
      data: form.body,
      maxRedirects: 0,
    });
    return res;
  };
}

test('taking a cash payment by double-clicking Take Payment takes one payment', async () => {
  const { org, token, family } = await owingFamily('cash-desk', 9000);
  const tab = await openTab(browser, portal.base);
  await staffSignIn(tab, portal.base, 'cash-desk', org.owner_email, org.owner_password);
  await tab.page.goto(`${portal.base}/office/cash-desk/families/${family.id}/ledger`);
  assert.equal(await tab.page.getByRole('navigation', { name: 'Family' }).getByRole('link', { name: 'Ledger' }).getAttribute('aria-current'), 'page');
  assert.equal(await figure(tab.page, 'Outstanding'), '$90.00');

  await Promise.all([tab.page.waitForNavigation(), tab.page.getByRole('link', { name: 'Take Payment' }).click()]);
  assert.equal(await tab.page.getByLabel('Amount in dollars').inputValue(), '90.00', 'the outstanding balance is offered');
  assert.equal(await tab.page.getByLabel('Cash').isChecked(), true);
  await tab.page.getByLabel('Amount in dollars').fill('25.00');
  await tab.page.getByLabel('Reference (optional)').fill('receipt 7');
  const again = await postFormAgain(tab, portal.base);
  await Promise.all([
    tab.page.waitForURL(/\/ledger$/),
    tab.page.getByRole('button', { name: 'Take Payment', exact: true }).dblclick(),
  ]);
  // And the same form posted once more, as a reload would: the first payment again, no second.
  const replay = await again();
  assert.equal(replay.status(), 303);
  assert.match(replay.headers().location, new RegExp(`/office/cash-desk/families/${family.id}/ledger$`));

  await tab.page.reload();
  const rows = await ledgerRows(tab.page);
  assert.deepEqual(rows.map(([, type, description, amount]) => [type, description, amount]), [
    ['Payment', 'Cash payment (receipt 7)', '−$25.00'],
    ['Charge', 'Tuition', '$90.00'],
  ]);
  assert.equal(await figure(tab.page, 'Outstanding'), '$65.00');
  const ledger = await apiLedger('cash-desk', token, family.id);
  assert.equal(ledger.entries.filter((e) => e.kind === 'payment').length, 1, 'one payment in the ledger');
  assert.equal(ledger.balance.outstanding_cents, 6500);
  const taken = await portal.dbOf('cash-desk').prepare('SELECT COUNT(*) AS n FROM staff_payments WHERE family_id = ?').bind(family.id).first();
  assert.equal(taken.n, 1, 'one payment claimed, whatever number of posts');
  await tab.context.close();
});

test('the ledger and its forms read well at 1280 and 360 px, with the message after a payment', async () => {
  const { org, family } = await owingFamily('desk-widths', 4200);
  for (const width of [1280, 360]) {
    const tab = await openTab(browser, portal.base, { width });
    await staffSignIn(tab, portal.base, 'desk-widths', org.owner_email, org.owner_password);
    const ledger = `${portal.base}/office/desk-widths/families/${family.id}/ledger`;
    await tab.page.goto(ledger);
    await checkPage(tab, `Ledger at ${width}`);
    const amount = tab.page.locator('table.ledger-list tbody td.num').first();
    assert.equal(await amount.evaluate((td) => getComputedStyle(td).textAlign), 'right', 'amounts are right-aligned');
    for (const [link, heading] of [['Post Charge', 'Post Charge'], ['Post Refund', 'Post Refund'], ['Take Payment', 'Take Payment']]) {
      await tab.page.goto(ledger);
      await Promise.all([tab.page.waitForNavigation(), tab.page.getByRole('link', { name: link, exact: true }).click()]);
      assert.equal(await tab.page.getByRole('heading', { level: 1 }).textContent(), heading);
      await checkPage(tab, `${heading} at ${width}`);
    }
    // On Take Payment: a check.
    await tab.page.getByLabel('Amount in dollars').fill('1.00');
    await tab.page.getByLabel('Check').check();
    await submit(tab.page, 'Take Payment');
    assert.match(await flash(tab.page), /The payment has been taken\./);
    await checkPage(tab, `Ledger with a message at ${width}`);
    await tab.context.close();
  }
});

test('staff post a charge and a refund, and a wrong amount gets the error summary', async () => {
  const { org, token, family } = await owingFamily('postings', 1000);
  const tab = await openTab(browser, portal.base);
  await staffSignIn(tab, portal.base, 'postings', org.owner_email, org.owner_password);
  const ledger = `${portal.base}/office/postings/families/${family.id}/ledger`;

  await tab.page.goto(`${ledger}/charge`);
  const empty = await submit(tab.page, 'Post Charge');
  assert.equal(empty.status(), 422);
  assert.deepEqual(await summaryLinks(tab.page), [
    ['Enter the amount in dollars, like 120.00.', '#amount'],
    ['Enter a description, like May tuition.', '#description'],
  ]);
  assert.match(await tab.page.title(), /^Error: Post Charge – Lee/);
  await checkPage(tab, 'Post Charge with errors');
  await tab.page.getByLabel('Amount in dollars').fill('12.345');
  await tab.page.getByLabel('Description').fill('May tuition');
  assert.equal((await submit(tab.page, 'Post Charge')).status(), 422);
  assert.deepEqual(await summaryLinks(tab.page), [['Enter the amount in dollars, like 120.00.', '#amount']]);
  assert.equal(await tab.page.getByLabel('Description').inputValue(), 'May tuition', 'what was typed stays');
  await tab.page.getByLabel('Amount in dollars').fill('$1,200.50');
  const posted = await submit(tab.page, 'Post Charge');
  assert.equal(new URL(posted.url()).pathname, `/office/postings/families/${family.id}/ledger`);
  assert.match(await flash(tab.page), /The charge has been posted\./);

  await tab.page.goto(`${ledger}/refund`);
  await tab.page.getByLabel('Amount in dollars').fill('20');
  await tab.page.getByLabel('Description').fill('Class cancelled');
  await submit(tab.page, 'Post Refund');
  assert.match(await flash(tab.page), /The refund has been posted\./);
  const rows = await ledgerRows(tab.page);
  assert.deepEqual(rows.map(([, type, description, amount]) => [type, description, amount]), [
    ['Refund', 'Class cancelled', '$20.00'],
    ['Charge', 'May tuition', '$1,200.50'],
    ['Charge', 'Tuition', '$10.00'],
  ]);
  assert.equal(await figure(tab.page, 'Outstanding'), '$1,230.50');

  // Take Payment refuses a wrong amount the same way, and takes nothing.
  await tab.page.goto(`${ledger}/payment`);
  await tab.page.getByLabel('Amount in dollars').fill('ten dollars');
  assert.equal((await submit(tab.page, 'Take Payment')).status(), 422);
  assert.deepEqual(await summaryLinks(tab.page), [['Enter the amount in dollars, like 120.00.', '#amount']]);
  await checkPage(tab, 'Take Payment with errors');
  const api = await apiLedger('postings', token, family.id);
  assert.deepEqual(api.entries.map((e) => [e.kind, e.amount_cents]), [['refund', 2000], ['charge', 120050], ['charge', 1000]]);
  await tab.context.close();
});

test('a saved method chosen on Take Payment is charged at the gateway once', async () => {
  const slug = 'desk-card';
  const f = await portal.familyWithSecondary(slug);
  const options = await portal.request('PATCH', `/office/${slug}/api/settings/portal-options`, {
    token: f.staff,
    json: { payment_gateway: { kind: 'sandbox' } },
  });
  assert.equal(options.status, 200, options.text);
  const saved = await portal.request('POST', `/portal/${slug}/api/payment-methods`, {
    token: f.primary.token,
    json: { kind: 'card', gateway_token: 'tok_visa', last4: '4242', exp_month: 12, exp_year: 2035 },
  });
  assert.equal(saved.status, 201, saved.text);
  await postCharge(slug, f.staff, f.family.id, 1800);

  const tab = await openTab(browser, portal.base);
  await staffSignIn(tab, portal.base, slug, f.org.owner_email, f.org.owner_password);
  await tab.page.goto(`${portal.base}/office/${slug}/families/${f.family.id}/ledger/payment`);
  await tab.page.getByLabel(/Card ending in 4242, expires 12\/2035 \(Ann Lee\)/).check();
  const again = await postFormAgain(tab, portal.base);
  await submit(tab.page, 'Take Payment');
  assert.match(await flash(tab.page), /The payment has been taken\./);
  assert.equal((await again()).status(), 303, 'the same form again answers the first payment');

  const { results: charges } = await portal.dbOf(slug)
    .prepare("SELECT * FROM sandbox_gateway_calls WHERE org_id = ? AND operation = 'charge'")
    .bind(f.org.id)
    .all();
  assert.deepEqual(charges.map((c) => [c.outcome, c.amount_cents]), [['ok', 1800]], 'charged once at the gateway');
  const rows = await ledgerRows(tab.page);
  assert.deepEqual(rows[0].slice(1), ['Payment', 'Payment with Card ending in 4242', '−$18.00']);
  const ledger = await apiLedger(slug, f.staff, f.family.id);
  assert.equal(ledger.entries.filter((e) => e.kind === 'payment').length, 1);
  assert.equal(ledger.balance.outstanding_cents, 0);
  await tab.context.close();
});

test('a long ledger is paged, newest first, each page within the budget', async () => {
  const { org, token, family } = await owingFamily('long-ledger', 100);
  for (let i = 1; i <= 120; i += 1) await postCharge('long-ledger', token, family.id, 100 + i);
  const tab = await openTab(browser, portal.base);
  await staffSignIn(tab, portal.base, 'long-ledger', org.owner_email, org.owner_password);
  await tab.page.goto(`${portal.base}/office/long-ledger/families/${family.id}/ledger`);
  let rows = await ledgerRows(tab.page);
  assert.equal(rows.length, 100);
  assert.equal(rows[0][3], '$2.20', 'the newest first');
  await checkPage(tab, 'a ledger page of 100 rows');
  await Promise.all([tab.page.waitForNavigation(), tab.page.getByRole('link', { name: 'Older entries' }).click()]);
  rows = await ledgerRows(tab.page);
  assert.equal(rows.length, 21);
  assert.equal(rows.at(-1)[3], '$1.00', 'the first charge last');
  assert.equal(await tab.page.getByRole('link', { name: 'Older entries' }).count(), 0);
  await tab.page.getByLabel('Show').selectOption('payments');
  await submit(tab.page, 'Show');
  assert.match(await tab.page.locator('main').textContent(), /No payments on the ledger\./);
  await tab.context.close();
});

test("another organization's family, or none, is the not-found page", async () => {
  const here = await owingFamily('desk-here', 100);
  const there = await owingFamily('desk-there', 100);
  const tab = await openTab(browser, portal.base);
  await staffSignIn(tab, portal.base, 'desk-here', here.org.owner_email, here.org.owner_password);
  for (const path of ['ledger', 'ledger/charge', 'ledger/refund', 'ledger/payment']) {
    for (const id of [there.family.id, 'fam_nope']) {
      const res = await tab.page.goto(`${portal.base}/office/desk-here/families/${id}/${path}`);
      assert.equal(res.status(), 404, `${path} of ${id}`);
    }
  }
  await tab.context.close();
});
