// My Account's Payments, Transaction History and Your Student(s) sections in Chromium, as a family
// uses them: save a sandbox card, pay, read the history; add a student, enroll, join a waitlist,
// ask to drop. Every page visited is checked by axe-core (zero violations), for its weight and for
// third-party requests.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServedPortal, launchBrowser, openTab, checkPage, submit, signIn as signInAt } from './harness.mjs';

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

async function follow(page, name) {
  const [response] = await Promise.all([page.waitForNavigation(), page.getByRole('link', { name }).first().click()]);
  return response;
}

const go = (tab, path) => tab.page.goto(`${portal.base}${path}`);
const status = (page) => page.getByRole('status').textContent();
const section = (page, name) => page.getByRole('region', { name });

async function signIn(tab, slug, email, password) {
  const res = await signInAt(tab, portal.base, slug, email, password);
  assert.equal(new URL(tab.page.url()).pathname, `/portal/${slug}/account`);
  return res;
}

async function options(slug, staff, json) {
  const res = await portal.request('PATCH', `/office/${slug}/api/settings/portal-options`, { token: staff, json });
  assert.equal(res.status, 200, res.text);
}

test('payments: add a sandbox card, make a payment (a double submit pays once), see it in Transaction History', async () => {
  const f = await portal.familyWithSecondary('paying');
  await options('paying', f.staff, { payment_gateway: { kind: 'sandbox' } });
  const charged = await portal.request('POST', `/office/paying/api/families/${f.family.id}/ledger`, {
    token: f.staff,
    json: { kind: 'charge', amount_cents: 12000, description: 'Autumn term' },
  });
  assert.equal(charged.status, 201, charged.text);

  const tab = await openTab(browser, portal.base);
  await signIn(tab, 'paying', f.primary.email, f.primary.password);
  const payments = section(tab.page, 'Payments');
  assert.match(await payments.textContent(), /Outstanding\s*\$120\.00[\s\S]*Last payment\s*None yet/);
  assert.match(await payments.textContent(), /No payment methods are saved/);
  await checkPage(tab, 'My Account with a balance');

  await follow(tab.page, 'Add Payment Method');
  assert.equal(await tab.page.getByRole('heading', { level: 1 }).textContent(), 'Add Payment Method');
  assert.match(await tab.page.getByRole('main').textContent(), /sandbox gateway/);
  await checkPage(tab, 'Add Payment Method');
  // A full card number is refused and not sent back.
  await tab.page.getByLabel('Gateway token').fill('4242 4242 4242 4242');
  assert.equal((await submit(tab.page, 'Add Payment Method')).status(), 422);
  assert.ok(!(await tab.page.content()).includes('4242 4242 4242 4242'));
  await checkPage(tab, 'Add Payment Method with errors');
  await tab.page.getByLabel('Gateway token').fill('tok_visa');
  await tab.page.getByLabel('Last four digits').fill('4242');
  await tab.page.getByLabel('Expiry month (cards)').fill('12');
  await tab.page.getByLabel('Expiry year (cards)').fill('2035');
  await submit(tab.page, 'Add Payment Method');
  assert.equal(new URL(tab.page.url()).hash, '#payments');
  assert.equal(await status(tab.page), 'The payment method has been saved.');
  assert.match(await payments.textContent(), /Card ending in 4242\s*Default[\s\S]*Credit card · expires 12\/2035 · saved by Ann Lee/);
  await checkPage(tab, 'My Account with a saved card');

  await follow(tab.page, 'Make Payment');
  assert.equal(await tab.page.getByLabel('Amount in dollars').inputValue(), '120.00');
  await checkPage(tab, 'Make Payment');
  // The same form posted twice (a double click, a resend): one payment.
  const form = Object.fromEntries(
    await tab.page.locator('form[action$="/payments/pay"] input').evaluateAll((inputs) =>
      inputs.filter((i) => i.type !== 'radio' || i.checked).map((i) => [i.name, i.value])),
  );
  assert.match(form.idempotency_key, /.+/);
  await submit(tab.page, 'Make Payment');
  assert.equal(await status(tab.page), 'Thank you: your payment has been received.');
  const again = await tab.page.request.post(`${portal.base}/portal/paying/account/payments/pay`, {
    form,
    headers: { origin: portal.base },
    maxRedirects: 0,
  });
  assert.equal(again.status(), 303, 'the replay answers as the first did');
  const ledger = await portal.request('GET', `/portal/paying/api/transactions?kind=payments`, { token: f.primary.token });
  assert.equal(ledger.status, 200, ledger.text);
  assert.equal(ledger.body.entries.length, 1, 'paid once');

  await tab.page.reload();
  assert.match(await payments.textContent(), /Outstanding\s*\$0\.00[\s\S]*Last payment\s*\$120\.00 on \d{4}-\d\d-\d\d/);
  const history = section(tab.page, 'Transaction History');
  assert.match(await history.textContent(), /The last 30 days/);
  const rows = () => history.getByRole('row').evaluateAll((trs) => trs.slice(1).map((tr) => Array.from(tr.cells, (c) => c.textContent.trim()).join(' ')));
  const all = await rows();
  assert.equal(all.length, 2);
  assert.ok(all.some((r) => /Payment Payment with Card ending in 4242 −\$120\.00/.test(r)), all.join('\n'));
  assert.ok(all.some((r) => /Charge Autumn term \$120\.00/.test(r)), all.join('\n'));
  await tab.page.getByLabel('Show').selectOption('charges');
  await submit(tab.page, 'Show');
  assert.equal(new URL(tab.page.url()).searchParams.get('kind'), 'charges');
  assert.deepEqual((await rows()).map((r) => r.split(' ')[1]), ['Charge']);
  assert.equal(await tab.page.getByLabel('Show').inputValue(), 'charges');
  await checkPage(tab, 'Transaction History, charges');
  await tab.page.getByLabel('Show').selectOption('refunds');
  await submit(tab.page, 'Show');
  assert.match(await history.textContent(), /No transactions in this period/);

  // The full ledger setting gives the primary a date range.
  await options('paying', f.staff, { show_full_ledger_history: true });
  await go(tab, '/portal/paying/account?kind=all&from=2020-01-01');
  assert.match(await history.textContent(), /From 2020-01-01 to \d{4}/);
  assert.equal(await tab.page.getByLabel('From').inputValue(), '2020-01-01');
  await checkPage(tab, 'Transaction History, date range');

  // Edit: the recurring toggle; then delete.
  await follow(tab.page, /^Edit Card ending in 4242/);
  await checkPage(tab, 'Edit payment method');
  await tab.page.getByLabel('This payment method is authorized for recurring billing').check();
  await submit(tab.page, 'Save');
  assert.equal(await status(tab.page), 'The payment method has been updated.');
  assert.match(await payments.textContent(), /Recurring billing/);
  await submit(tab.page, 'Delete Card ending in 4242');
  assert.equal(await status(tab.page), 'The payment method has been deleted.');
  assert.match(await payments.textContent(), /No payment methods are saved/);
  await tab.context.close();
});

test('payments: a secondary without permission sees why and cannot pay; with it, Make Payment appears', async () => {
  const f = await portal.familyWithSecondary('secondary-pay');
  await options('secondary-pay', f.staff, { payment_gateway: { kind: 'sandbox' } });
  const tab = await openTab(browser, portal.base);
  await signIn(tab, 'secondary-pay', f.secondary.email, f.secondary.password);
  const payments = section(tab.page, 'Payments');
  assert.equal(await payments.getByRole('link', { name: 'Make Payment' }).count(), 0);
  assert.match(await payments.textContent(), /Your Primary Guardian has not given you permission to make payments\./);
  assert.equal(await payments.getByRole('link', { name: 'Add Payment Method' }).count(), 1, 'a secondary may still save a method');
  await checkPage(tab, 'My Account, secondary without payment permission');
  const res = await go(tab, '/portal/secondary-pay/account/payments/pay');
  assert.equal(res.status(), 403);
  assert.match(await tab.page.getByRole('main').textContent(), /has not given you permission to make payments/);
  await checkPage(tab, 'Make Payment refused');

  const granted = await portal.request('PUT', `/portal/secondary-pay/api/guardians/${f.secondary.id}/permissions`, {
    token: f.primary.token,
    json: { can_make_payments: true, can_view_full_ledger: false },
  });
  assert.equal(granted.status, 200, granted.text);
  await go(tab, '/portal/secondary-pay/account');
  assert.equal(await payments.getByRole('link', { name: 'Make Payment' }).count(), 1);
  await tab.context.close();
});

test('payments: without a gateway the family is told the account does not accept online payments', async () => {
  const f = await portal.familyWithSecondary('no-gateway');
  const tab = await openTab(browser, portal.base);
  await signIn(tab, 'no-gateway', f.primary.email, f.primary.password);
  const payments = section(tab.page, 'Payments');
  assert.match(await payments.textContent(), /This account is not configured to accept online payments\./);
  assert.equal(await payments.getByRole('link', { name: 'Make Payment' }).count(), 0);
  assert.equal(await payments.getByRole('link', { name: 'Add Payment Method' }).count(), 0);
  await checkPage(tab, 'My Account without a gateway');
  assert.equal((await go(tab, '/portal/no-gateway/account/payments/add-method')).status(), 409);
  await tab.context.close();
});

test('students: add a student, enroll in an open class, a full class puts them on its waitlist, a drop request shows pending', async () => {
  const f = await portal.familyWithSecondary('kids');
  await options('kids', f.staff, { allow_drop_requests: true, allow_transfer_requests: true, allow_cancel_waitlist: true });
  const office = (path, json) => portal.request('POST', `/office/kids/api${path}`, { token: f.staff, json });
  const location = await office('/locations', { name: 'Main Pool' });
  const addClass = async (name, capacity, waitlist) => {
    const res = await office('/classes', {
      name, location_id: location.body.id, days: ['mon', 'wed'], start_time: '16:00', end_time: '16:45',
      start_date: '2026-09-01', end_date: '2099-12-31', capacity, waitlist,
    });
    assert.equal(res.status, 201, res.text);
    return res.body;
  };
  await addClass('Tumbling 1', 6, false);
  const full = await addClass('Dolphins', 1, true);
  await addClass('Sharks', 6, false);
  // Another family's child holds the Dolphins' one place.
  const other = await portal.createFamily('kids', f.staff, 'Park', { first_name: 'Jin', last_name: 'Park', email: 'jin@kids.test' });
  const kai = await office(`/families/${other.id}/students`, { first_name: 'Kai', last_name: 'Park', birth_date: '2018-05-05' });
  assert.equal((await office('/enrollments', { student_id: kai.body.id, class_id: full.id })).status, 201);

  const tab = await openTab(browser, portal.base);
  await signIn(tab, 'kids', f.primary.email, f.primary.password);
  const students = section(tab.page, 'Your Student(s)');
  assert.match(await students.textContent(), /No students yet/);
  await follow(tab.page, 'Add Student');
  await checkPage(tab, 'Add Student');
  assert.equal((await submit(tab.page, 'Add Student')).status(), 422);
  await checkPage(tab, 'Add Student with errors');
  await tab.page.getByLabel('First name').fill('Mia');
  await tab.page.getByLabel('Last name').fill('Lee');
  await tab.page.getByLabel('Birth date').fill('2019-04-02');
  await submit(tab.page, 'Add Student');
  assert.equal(await status(tab.page), 'The student has been added.');
  assert.match(await students.textContent(), /Mia Lee[\s\S]*Born 2019-04-02[\s\S]*View Current Enrollments/);
  await checkPage(tab, 'My Account with a student');

  await follow(tab.page, /^Edit Student/);
  await checkPage(tab, 'Edit Student');
  await tab.page.getByLabel('First name').fill('Mila');
  await submit(tab.page, 'Save');
  assert.equal(await status(tab.page), 'The student has been updated.');
  assert.match(await students.textContent(), /Mila Lee/);

  await follow(tab.page, /^Enroll Mila Lee/);
  await checkPage(tab, 'Enroll');
  assert.match(await tab.page.getByRole('main').textContent(), /Dolphins[\s\S]*Full: joins the waitlist \(0 waiting\)/);
  await tab.page.getByLabel(/Tumbling 1/).check();
  await submit(tab.page, 'Enroll');
  assert.equal(await status(tab.page), 'The student has been enrolled.');
  const current = students.locator('details', { hasText: 'View Current Enrollments' });
  assert.match(await current.textContent(), /Tumbling 1\s*Enrolled/);

  await follow(tab.page, /^Enroll Mila Lee/);
  await tab.page.getByLabel(/Dolphins/).check();
  await submit(tab.page, 'Enroll');
  assert.equal(await status(tab.page), 'The class is full: the student is on its waitlist.');
  const waitlist = students.locator('details', { hasText: 'Show/Hide Waitlist Enrollments' });
  assert.equal(await waitlist.getAttribute('open'), '', 'a waitlist with a spot opens by itself');
  assert.match(await waitlist.textContent(), /Dolphins\s*Waitlisted/);
  assert.equal(await waitlist.getByRole('button', { name: /^Cancel Waitlist/ }).count(), 1);
  await checkPage(tab, 'My Account with enrollments');

  await follow(tab.page, /^Drop Mila Lee from Tumbling 1/);
  await checkPage(tab, 'Drop request');
  await tab.page.getByLabel('Reason (optional)').fill('Moving away');
  await submit(tab.page, 'Request Drop');
  assert.equal(await status(tab.page), 'Your drop request has been sent to the office.');
  assert.match(await current.textContent(), /Drop requested: waiting for the office/);
  assert.equal(await current.getByRole('link', { name: /^Drop/ }).count(), 0, 'one pending request per enrollment');
  assert.match(await students.getByRole('list').last().textContent(), /Pending\s*Drop Mila Lee from Tumbling 1/);

  await submit(tab.page, 'Cancel Waitlist for Mila Lee in Dolphins');
  assert.equal(await status(tab.page), 'The waitlist spot has been cancelled.');
  const past = students.locator('details', { hasText: 'Show/Hide Past Enrollments' });
  assert.match(await past.textContent(), /Dolphins\s*Dropped/);
  await checkPage(tab, 'My Account after the requests');
  await tab.context.close();

  // A secondary without the permission sees the students, no write action, and why.
  const bob = await openTab(browser, portal.base, { width: 360, height: 740 });
  await signIn(bob, 'kids', f.secondary.email, f.secondary.password);
  const seen = section(bob.page, 'Your Student(s)');
  assert.match(await seen.textContent(), /Only the Primary Guardian, or a guardian they allow, can manage students and enrollments\./);
  assert.match(await seen.textContent(), /Mila Lee/);
  for (const name of ['Add Student', /^Edit Student/, /^Enroll/, /^Transfer/]) assert.equal(await seen.getByRole('link', { name }).count(), 0);
  await checkPage(bob, 'My Account at 360 px, secondary');
  assert.equal((await go(bob, '/portal/kids/account/students/add')).status(), 403);
  await bob.context.close();
});
