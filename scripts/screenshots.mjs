// Screenshots of every Customer Portal page at 1280 and 360 px wide, into docs/screenshots/, and
// of every Office Portal page into docs/screenshots/office/, so reviewers see both without running
// them. Run by scripts/screenshots.sh (which builds first):
// the built Workers in Miniflare, data seeded through the API, Debian's chromium.
import { mkdirSync, rmSync } from 'node:fs';
import { startServedPortal, launchBrowser, linkInMail, ROOT } from '../tests/browser/harness.mjs';
import { startStripe } from '../tests/stand-ins/stripe.mjs';

const OUT = `${ROOT}docs/screenshots`;
const WIDTHS = [1280, 360];

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
// Stripe's Payment Element on Add Payment Method (production) comes from the tests' stand-in.
const stripe = await startStripe();
const portal = await startServedPortal({
  STRIPE_SECRET_KEY: 'sk_test_key', STRIPE_API_URL: stripe.url, STRIPE_PUBLISHABLE_KEY: 'pk_test_key', STRIPE_JS_URL: `${stripe.url}/v3/`,
});
const browser = await launchBrowser();
const shots = [];

try {
  // A swim school; a family whose Primary Guardian (Ann) can log in and whose secondary (Bob) has
  // accepted; invitations for Cal (pending), Dee (used) and Eve (revoked); a reset link for Bob.
  const slug = 'riverside';
  const org = await portal.createOrganization(slug, { name: 'Riverside Swim School' });
  const staff = await portal.staffSignIn(slug, org.owner_email, org.owner_password);
  const family = await portal.createFamily(slug, staff, 'Lee', { first_name: 'Ann', last_name: 'Lee', email: 'ann@example.com' });
  await portal.request('POST', `/office/${slug}/api/guardians/${family.primary_guardian_id}/invitation`, { token: staff });
  const annLink = await portal.linkToken('ann@example.com', 'invitation');
  const ann = (await portal.accept(slug, annLink, 'ann-password-1')).body.token;
  const api = `/portal/${slug}/api`;
  const invite = async (first, email, { accept = false } = {}) => {
    const g = await portal.request('POST', `${api}/guardians`, { token: ann, json: { first_name: first, last_name: 'Lee', email } });
    await portal.request('POST', `${api}/guardians/${g.body.id}/invitation`, { token: ann });
    const link = await linkInMail(portal, email, 'invitation');
    if (accept) await portal.accept(slug, link.split('/').pop(), `${first.toLowerCase()}-password-1`);
    return { id: g.body.id, link };
  };
  await invite('Bob', 'bob@example.com', { accept: true });
  const cal = await invite('Cal', 'cal@example.com');
  const dee = await invite('Dee', 'dee@example.com', { accept: true });
  const eve = await invite('Eve', 'eve@example.com');
  await portal.request('POST', `${api}/guardians/${eve.id}/revoke`, { token: ann });
  await portal.request('POST', `/portal/${slug}/api/password-reset/request`, { json: { email: 'bob@example.com' } });
  const resetLink = await linkInMail(portal, 'bob@example.com', 'password_reset');

  // My Account with data: the sandbox gateway, a term charged and partly paid with a saved card,
  // two students with a place, a waitlist spot and a pending drop request.
  const office = (path, json, method = 'POST') => portal.request(method, `/office/${slug}/api${path}`, { token: staff, json });
  await office('/settings/portal-options', {
    payment_gateway: { kind: 'sandbox' }, allow_drop_requests: true, allow_transfer_requests: true, allow_cancel_waitlist: true,
  }, 'PATCH');
  await office(`/families/${family.id}/ledger`, { kind: 'charge', amount_cents: 24000, description: 'Autumn term: Tumbling 1 and Dolphins' });
  await office(`/families/${family.id}/ledger`, { kind: 'charge', amount_cents: 1500, description: 'Registration fee' });
  const card = await portal.request('POST', `${api}/payment-methods`, {
    token: ann, json: { kind: 'card', gateway_token: 'tok_visa', last4: '4242', exp_month: 12, exp_year: 2030, recurring_authorized: true },
  });
  await portal.request('POST', `${api}/payment-methods`, { token: ann, json: { kind: 'bank_account', gateway_token: 'tok_bank', last4: '6789' } });
  await portal.request('POST', `${api}/payments`, { token: ann, headers: { 'idempotency-key': 'shot-1' }, json: { amount_cents: 10000, payment_method_id: card.body.id } });
  const location = await office('/locations', { name: 'Main Pool' });
  const addClass = async (name, capacity, waitlist, days) => (await office('/classes', {
    name, location_id: location.body.id, days, start_time: '16:00', end_time: '16:45', start_date: '2026-09-01', end_date: '2099-06-30', capacity, waitlist,
  })).body;
  const tumbling = await addClass('Tumbling 1', 8, false, ['mon', 'wed']);
  const dolphins = await addClass('Dolphins', 1, true, ['sat']);
  await addClass('Sharks', 6, false, ['tue', 'thu']);
  const student = async (first, birth_date) => (await portal.request('POST', `${api}/students`, { token: ann, json: { first_name: first, last_name: 'Lee', birth_date } })).body;
  const mia = await student('Mia', '2019-04-02');
  const leo = await student('Leo', '2017-09-15');
  const enroll = async (s, c) => (await portal.request('POST', `${api}/enrollments`, { token: ann, json: { student_id: s.id, class_id: c.id } })).body;
  const miaTumbling = await enroll(mia, tumbling);
  await enroll(leo, dolphins);
  await enroll(mia, dolphins);
  const leoTumbling = await enroll(leo, tumbling);
  await portal.request('POST', `${api}/enrollments/${leoTumbling.id}/drop-request`, { token: ann, json: { reason: 'Moving to Sharks next term' } });

  for (const width of WIDTHS) {
    const context = await browser.newContext({ viewport: { width, height: width > 600 ? 800 : 740 } });
    const page = await context.newPage();
    const shot = async (name) => {
      const path = `${OUT}/${name}-${width}.png`;
      await page.screenshot({ path, fullPage: true });
      shots.push(path);
    };
    const go = (path) => page.goto(path.startsWith('http') ? path : `${portal.base}${path}`);
    const submit = (name) => Promise.all([page.waitForNavigation(), page.getByRole('button', { name, exact: true }).click()]);

    await go(`/portal/${slug}`);
    await shot('01-sign-in');
    await page.getByLabel('E-mail address').fill('ann@example.com');
    await page.getByLabel('Password', { exact: true }).fill('not-my-password');
    await submit('Sign in');
    await shot('02-sign-in-error');
    await go(`/portal/${slug}/forgot-password`);
    await shot('03-forgot-password');
    await page.getByLabel('E-mail address').fill('nobody@example.com');
    await submit('Send reset link');
    await shot('04-reset-link-sent');
    await go(resetLink);
    await page.getByLabel('New password').fill('short');
    await submit('Reset Password');
    await shot('05-password-reset-error');
    await go(cal.link);
    await shot('06-invitation');
    await submit('Accept invitation');
    await shot('07-invitation-error');
    await go(dee.link);
    await shot('08-invitation-used');
    await go(eve.link);
    await shot('09-invitation-revoked');
    await go(`/portal/${slug}`);
    await page.getByLabel('E-mail address').fill('ann@example.com');
    await page.getByLabel('Password', { exact: true }).fill('ann-password-1');
    await submit('Sign in');
    await shot('10-my-account');
    await go(`/portal/${slug}/account/payments/pay`);
    await shot('14-make-payment');
    await page.getByLabel('Amount in dollars').fill('lots');
    await submit('Make Payment');
    await shot('15-make-payment-error');
    await go(`/portal/${slug}/account/payments/add-method`);
    await shot('16-add-payment-method');
    await go(`/portal/${slug}/account/payments/methods/${card.body.id}`);
    await shot('17-edit-payment-method');
    await go(`/portal/${slug}/account/students/add`);
    await shot('18-add-student');
    await go(`/portal/${slug}/account/students/${mia.id}/edit`);
    await shot('19-edit-student');
    await go(`/portal/${slug}/account/enrollments/enroll?student_id=${mia.id}`);
    await shot('20-enroll');
    await go(`/portal/${slug}/account/enrollments/${miaTumbling.id}/drop`);
    await shot('21-drop-request');
    await go(`/portal/${slug}/account/enrollments/${miaTumbling.id}/transfer`);
    await shot('22-transfer-request');
    await go(`/portal/${slug}/account`);
    await submit('Sign out');
    await shot('11-signed-out');
    await go(`/portal/${slug}/no-such-page`);
    await shot('12-not-found');
    await context.close();
  }

  // Add Payment Method in production: the organization on Stripe, its Payment Element on the page.
  await office('/settings/portal-options', { payment_gateway: { kind: 'stripe', account_id: 'acct_1Riverside' } }, 'PATCH');
  for (const width of WIDTHS) {
    const context = await browser.newContext({ viewport: { width, height: width > 600 ? 800 : 740 } });
    const page = await context.newPage();
    await page.goto(`${portal.base}/portal/${slug}`);
    await page.getByLabel('E-mail address').fill('ann@example.com');
    await page.getByLabel('Password', { exact: true }).fill('ann-password-1');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);
    await page.goto(`${portal.base}/portal/${slug}/account/payments/add-method`);
    await page.frameLocator('iframe').getByLabel('Card number').fill('4242 4242 4242 4242');
    const path = `${OUT}/23-add-payment-method-stripe-${width}.png`;
    await page.screenshot({ path, fullPage: true });
    shots.push(path);
    await context.close();
  }

  // The Office Portal, as the front desk sees the same organization: a second family to merge or
  // move into, an import checked and applied, a failed e-mail.
  await portal.createFamily(slug, staff, 'Okafor', { first_name: 'Ngozi', last_name: 'Okafor', email: 'ngozi@example.com' });
  // One e-mail as if the provider had refused it five times.
  await portal.dbOf(slug)
    .prepare("UPDATE outbox SET processed_at = NULL, failed_at = ?, attempts = 5, last_error = 'The e-mail provider answered 503 Service Unavailable' WHERE id = (SELECT id FROM outbox WHERE kind = 'email' ORDER BY created_at LIMIT 1)")
    .bind(Date.now())
    .run();
  const officeOut = `${OUT}/office`;
  mkdirSync(officeOut, { recursive: true });
  const bob = (await office(`/families/${family.id}`, undefined, 'GET')).body.guardians.find((g) => g.first_name === 'Bob');
  const report = await portal.request('GET', `/office/${slug}/api/reports/portal-access.csv?has_portal_access=yes`, { token: staff });
  const edited = report.text.split(/\r?\n/).map((l) => (l.startsWith(bob.id) ? l.replace(/,Yes$/, ',No') : l)).join('\r\n');
  const job = async (id) => {
    await portal.waitFor(async () => ['done', 'failed'].includes((await office(`/imports/${id}`, undefined, 'GET')).body.status), `import ${id}`, 30_000);
    return id;
  };
  const dryRun = await job((await portal.request('POST', `/office/${slug}/api/imports/portal-access?update_matching=true&dry_run=true`, {
    token: staff, body: edited, headers: { 'content-type': 'text/csv' },
  })).body.job_id);
  for (const width of WIDTHS) {
    const context = await browser.newContext({ viewport: { width, height: width > 600 ? 800 : 740 } });
    const page = await context.newPage();
    const shot = async (name) => {
      const path = `${officeOut}/${name}-${width}.png`;
      await page.screenshot({ path, fullPage: true });
      shots.push(path);
    };
    const go = (path) => page.goto(`${portal.base}/office/${slug}${path}`);
    const submit = (name) => Promise.all([page.waitForNavigation(), page.getByRole('button', { name, exact: true }).click()]);

    await go('');
    await shot('01-sign-in');
    await page.getByLabel('E-mail address').fill(org.owner_email);
    await page.getByLabel('Password', { exact: true }).fill(org.owner_password);
    await submit('Sign in');
    await shot('02-families');
    await go('/families/new');
    await shot('03-add-family');
    await go(`/families/${family.id}`);
    await page.locator('details.actions').nth(1).locator('summary').click();
    await shot('04-family-details');
    await go(`/guardians/${bob.id}/revoke`);
    await shot('05-revoke-login');
    await submit('Continue');
    await shot('06-revoke-login-confirm');
    await go(`/guardians/${bob.id}/edit`);
    await shot('07-edit-guardian');
    await go(`/families/${family.id}/primary-guardian`);
    await shot('08-change-primary-guardian');
    await go(`/families/${family.id}/merge`);
    await shot('09-family-merge');
    await go(`/guardians/${bob.id}/move`);
    await shot('10-move-contact');
    await go(`/families/${family.id}/students`);
    await shot('11-students');
    if (mia) {
      await go(`/families/${family.id}/students/${mia.id}/enroll`);
      await shot('12-enroll');
    }
    await go(`/families/${family.id}/ledger`);
    await shot('13-ledger');
    await go(`/families/${family.id}/ledger/payment`);
    await shot('14-take-payment');
    await go(`/families/${family.id}/history`);
    await shot('15-access-history');
    await go('/settings/customer-portal');
    await shot('16-settings-customer-portal');
    await go('/requests');
    await shot('17-requests');
    await go('/invitations');
    await shot('18-invitations');
    await go('/outbox');
    await shot('19-failed-emails');
    await go('/reports');
    await shot('20-contacts-report');
    await go('/import');
    await shot('21-contacts-import');
    await go(`/import/${dryRun}`);
    await shot('22-contacts-import-confirmation');
    await context.close();
  }

  // Finish, once: Import Progress of the applied import.
  const applied = await job((await office(`/imports/${dryRun}/apply`)).body.job_id);
  for (const width of WIDTHS) {
    const context = await browser.newContext({ viewport: { width, height: width > 600 ? 800 : 740 } });
    const page = await context.newPage();
    await page.goto(`${portal.base}/office/${slug}`);
    await page.getByLabel('E-mail address').fill(org.owner_email);
    await page.getByLabel('Password', { exact: true }).fill(org.owner_password);
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);
    await page.goto(`${portal.base}/office/${slug}/import/${applied}`);
    const path = `${officeOut}/23-import-progress-${width}.png`;
    await page.screenshot({ path, fullPage: true });
    shots.push(path);
    await context.close();
  }

  // The portal switched off (last: it ends every session).
  await portal.request('PUT', `/office/${slug}/api/settings/customer-portal`, { token: staff, json: { enabled: false } });
  for (const width of WIDTHS) {
    const context = await browser.newContext({ viewport: { width, height: width > 600 ? 800 : 740 } });
    const page = await context.newPage();
    await page.goto(`${portal.base}/portal/${slug}`);
    const path = `${OUT}/13-portal-unavailable-${width}.png`;
    await page.screenshot({ path, fullPage: true });
    shots.push(path);
    await context.close();
  }
} finally {
  await browser.close();
  await portal.close();
  stripe.close();
}
console.log(shots.map((p) => p.replace(ROOT, '')).join('\n'));
