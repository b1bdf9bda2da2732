// Add Payment Method in production, in Chromium: Stripe's Payment Element (here the stand-in of
// tests/stand-ins/stripe.mjs, since Stripe cannot be reached from here) mounted by our script
// under a CSP that lets in only Stripe's sources; the card number typed in the element's frame
// never reaches our page; a declined card is said on the page; a confirmed one is saved with
// the details Stripe holds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServedPortal, launchBrowser, openTab, checkPage, signIn } from './harness.mjs';
import { startStripe, DECLINED_CARD } from '../stand-ins/stripe.mjs';

let portal;
let browser;
let stripe;
before(async () => {
  stripe = await startStripe();
  portal = await startServedPortal({
    STRIPE_SECRET_KEY: 'sk_test_key',
    STRIPE_API_URL: stripe.url,
    STRIPE_PUBLISHABLE_KEY: 'pk_test_key',
    STRIPE_JS_URL: `${stripe.url}/v3/`,
  });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await portal?.close();
  stripe?.close();
});

test("a family adds a card in Stripe's element: declined first, then saved with Stripe's details", async () => {
  const f = await portal.familyWithSecondary('element');
  const set = await portal.request('PATCH', '/office/element/api/settings/portal-options', {
    token: f.staff,
    json: { payment_gateway: { kind: 'stripe', account_id: 'acct_1Browser' } },
  });
  assert.equal(set.status, 200, set.text);
  const tab = await openTab(browser, portal.base, { allowed: [stripe.url], width: 360, height: 800 });
  const posted = [];
  tab.page.on('request', (req) => {
    if (req.method() === 'POST' && req.url().startsWith(portal.base)) posted.push(req.postData() || '');
  });
  const violations = [];
  tab.page.on('console', (m) => /Content Security Policy/.test(m.text()) && violations.push(m.text()));
  await signIn(tab, portal.base, 'element', f.primary.email, f.primary.password);
  await tab.page.getByRole('link', { name: 'Add Payment Method' }).click();
  await tab.page.waitForURL(/add-method$/);

  const frame = tab.page.frameLocator('iframe[title="Secure payment input frame"]');
  const number = frame.getByLabel('Card number');
  await number.fill(DECLINED_CARD);
  await tab.page.getByRole('button', { name: 'Add Payment Method' }).click();
  await assert.doesNotReject(tab.page.getByRole('alert').filter({ hasText: 'Your card was declined.' }).waitFor());
  assert.match(tab.page.url(), /add-method$/, 'a declined card stays on the page');
  await checkPage(tab, 'Add Payment Method with the card element', { iframes: false });

  await number.fill('4242 4242 4242 4444');
  await tab.page.getByLabel('Set to default').check();
  await Promise.all([tab.page.waitForURL(/\/account#payments$/), tab.page.getByRole('button', { name: 'Add Payment Method' }).click()]);
  assert.match(await tab.page.getByRole('status').textContent(), /saved/i);
  assert.match(await tab.page.getByRole('region', { name: 'Payments' }).textContent(), /Card ending in 4444[\s\S]*12\/2034/);

  // Our page and Worker saw only the setup's id, never a card number.
  const form = posted.find((p) => p.includes('setup_intent='));
  assert.ok(form, posted.join(' | '));
  assert.doesNotMatch(posted.join('&'), /4242|4444|4000/);
  assert.deepEqual(violations, [], 'no CSP violation while the element loads and confirms');
  await tab.context.close();
});

test("without JavaScript the page says Stripe's card form needs it, and offers no form that could post a card", async () => {
  const f = await portal.familyWithSecondary('element-nojs');
  await portal.request('PATCH', '/office/element-nojs/api/settings/portal-options', {
    token: f.staff,
    json: { payment_gateway: { kind: 'stripe', account_id: 'acct_1NoJs' } },
  });
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const tab = { page };
  await signIn(tab, portal.base, 'element-nojs', f.primary.email, f.primary.password);
  await page.goto(`${portal.base}/portal/element-nojs/account/payments/add-method`);
  assert.match(await page.getByRole('main').textContent(), /Stripe's card form needs JavaScript/);
  assert.equal(await page.locator('iframe').count(), 0);
  assert.equal(await page.locator('input[name="gateway_token"], input[name="last4"]').count(), 0);
  // Pressed anyway: the page says the card was not confirmed, and nothing is saved.
  const [answer] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Add Payment Method' }).click()]);
  assert.equal(answer.status(), 422);
  assert.match(await page.getByRole('alert').first().textContent(), /There is a problem[\s\S]*The card was not confirmed with the payment gateway/);
  const methods = await portal.request('GET', '/portal/element-nojs/api/payment-methods', { token: f.primary.token });
  assert.deepEqual(methods.body.payment_methods, []);
  await context.close();
});
