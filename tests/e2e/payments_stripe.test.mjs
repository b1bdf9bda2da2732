// The Stripe adapter against a stand-in for Stripe's HTTP API on loopback (tests/stand-ins): what it
// sends, with which key, account and idempotency keys, and how it reads Stripe's answers; and Add
// Payment Method's card element: a SetupIntent started for the page, the card read from Stripe.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPortal, assertError, BASE } from './harness.mjs';
import { startStripe, DECLINED_CARD } from '../stand-ins/stripe.mjs';

let portal;
let stripe;

before(async () => {
  stripe = await startStripe();
  portal = await startPortal({
    bindings: {
      STRIPE_SECRET_KEY: 'sk_test_key',
      STRIPE_API_URL: stripe.url,
      STRIPE_PUBLISHABLE_KEY: 'pk_test_key',
      STRIPE_JS_URL: `${stripe.url}/v3/`,
      PAYMENT_CURRENCY: 'CAD',
    },
  });
});
after(async () => {
  await portal?.close();
  stripe?.close();
});

test('the Stripe adapter vaults, charges and detaches on the connected account with idempotency keys', async () => {
  const slug = 'stripe-org';
  const { staff, primary, secondary } = await portal.familyWithSecondary(slug);
  const set = await portal.request('PATCH', `/office/${slug}/api/settings/portal-options`, {
    token: staff,
    json: { payment_gateway: { kind: 'stripe', account_id: 'acct_1Connected' } },
  });
  assert.equal(set.status, 200, set.text);

  const saved = await portal.request('POST', `/portal/${slug}/api/payment-methods`, {
    token: secondary.token,
    json: { kind: 'card', gateway_token: 'pm_card_visa', last4: '4242', exp_month: 12, exp_year: 2034 },
  });
  assert.equal(saved.status, 201, saved.text);
  const [customer, attach] = stripe.calls;
  assert.equal(customer.path, '/v1/customers');
  assert.equal(customer.headers.authorization, 'Bearer sk_test_key');
  assert.equal(customer.headers['stripe-account'], 'acct_1Connected');
  assert.equal(customer.form['metadata[guardian_id]'], secondary.id);
  assert.equal(attach.path, '/v1/payment_methods/pm_card_visa/attach');
  assert.equal(attach.form.customer, 'cus_1');
  assert.ok(attach.headers['idempotency-key'].startsWith('vault-'));
  assert.equal(customer.headers['idempotency-key'], `${attach.headers['idempotency-key']}:customer`);

  await portal.request('PUT', `/portal/${slug}/api/guardians/${secondary.id}/permissions`, {
    token: primary.token,
    json: { can_make_payments: true, can_view_full_ledger: false },
  });
  const paid = await portal.request('POST', `/portal/${slug}/api/payments`, {
    token: secondary.token,
    json: { amount_cents: 1234, payment_method_id: saved.body.id },
  });
  assert.equal(paid.status, 201, paid.text);
  const intent = stripe.calls.find((c) => c.path === '/v1/payment_intents');
  assert.deepEqual(
    [intent.form.amount, intent.form.currency, intent.form.payment_method, intent.form.customer, intent.form.confirm, intent.form.off_session],
    ['1234', 'cad', 'pm_card_visa', 'cus_1', 'true', 'true'],
  );
  assert.equal(paid.body.gateway_charge_ref, 'pi_3');

  const declining = await portal.request('POST', `/portal/${slug}/api/payment-methods`, {
    token: primary.token,
    json: { kind: 'card', gateway_token: 'pm_card_chargeDeclined', last4: '0002', exp_month: 1, exp_year: 2033 },
  });
  const declined = await portal.request('POST', `/portal/${slug}/api/payments`, {
    token: primary.token,
    json: { amount_cents: 500, payment_method_id: declining.body.id },
  });
  assertError(declined, 402, 'payment_declined');
  assert.match(declined.body.error.message, /Your card was declined/);

  await portal.request('POST', `/portal/${slug}/api/guardians/${secondary.id}/revoke`, { token: primary.token, json: {} });
  const detach = await portal.waitFor(() => stripe.calls.find((c) => c.path === '/v1/payment_methods/pm_card_visa/detach'), 'the detach call');
  assert.equal(detach.headers['stripe-account'], 'acct_1Connected');
  assert.ok(detach.headers['idempotency-key'].startsWith('delete-'));
});

async function stripeOrg(slug) {
  const f = await portal.familyWithSecondary(slug);
  const set = await portal.request('PATCH', `/office/${slug}/api/settings/portal-options`, {
    token: f.staff,
    json: { payment_gateway: { kind: 'stripe', account_id: 'acct_1Element' } },
  });
  assert.equal(set.status, 200, set.text);
  return f;
}

const FORM = 'application/x-www-form-urlencoded';
async function page(method, path, token, fields) {
  const init = { method, headers: { cookie: `portal_session=${token}` }, redirect: 'manual' };
  if (fields) {
    init.body = new URLSearchParams(fields).toString();
    Object.assign(init.headers, { 'content-type': FORM, origin: BASE });
  }
  const res = await portal.mf.dispatchFetch(`${BASE}${path}`, init);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Shows Add Payment Method; answers the page and the setup it started at the stand-in. */
async function openElement(slug, who) {
  const shown = await page('GET', `/portal/${slug}/account/payments/add-method`, who.token);
  assert.equal(shown.status, 200, shown.text);
  const secret = /data-client-secret="([^"]+)"/.exec(shown.text)?.[1];
  assert.ok(secret, 'the page carries the setup client secret');
  return { shown, secret, setupId: secret.split('_secret_')[0] };
}

async function confirmAtStripe(secret, number) {
  stripe.enter(secret, number);
  const res = await fetch(`${stripe.url}/v1/setup_intents/${secret.split('_secret_')[0]}/confirm`, {
    method: 'POST',
    body: new URLSearchParams({ client_secret: secret }),
  });
  return res.json();
}

test("Add Payment Method shows Stripe's Payment Element on a SetupIntent, letting in only Stripe's sources on that page", async () => {
  const { secondary } = await stripeOrg('element-page');
  const before = stripe.calls.length;
  const { shown, setupId } = await openElement('element-page', secondary);
  const [customer, setup] = stripe.calls.slice(before);
  assert.equal(customer.path, '/v1/customers');
  assert.equal(setup.path, '/v1/setup_intents');
  assert.equal(setup.headers['stripe-account'], 'acct_1Element');
  assert.deepEqual(
    [setup.form.customer, setup.form.usage, setup.form['payment_method_types[]'], setup.form['metadata[guardian_id]']],
    [`cus_${before + 1}`, 'off_session', 'card', secondary.id],
  );
  assert.ok(setup.headers['idempotency-key'].startsWith('setup-'));
  assert.equal(`seti_${before + 2}`, setupId);
  assert.match(shown.text, /data-publishable-key="pk_test_key"/);
  assert.match(shown.text, /data-account="acct_1Element"/);
  assert.match(shown.text, new RegExp(`<script src="${stripe.url}/v3/"></script>`));
  assert.match(shown.text, /<script src="\/portal\/static\/add-payment-method\.[0-9a-f]{8}\.js"><\/script>/);
  assert.doesNotMatch(shown.text, /name="gateway_token"/);
  const csp = shown.headers.get('content-security-policy');
  assert.match(csp, new RegExp(`script-src 'self' ${stripe.url} https://\\*\\.js\\.stripe\\.com;`));
  assert.match(csp, new RegExp(`frame-src ${stripe.url} `));
  assert.match(csp, new RegExp(`connect-src ${stripe.url};`));
  assert.doesNotMatch(csp, /unsafe-inline/);
  // Every other page keeps the strict policy.
  const account = await page('GET', '/portal/element-page/account', secondary.token);
  assert.doesNotMatch(account.headers.get('content-security-policy'), /127\.0\.0\.1/);
  const script = await portal.mf.dispatchFetch(`${BASE}${/src="(\/portal\/static\/add-payment-method[^"]+)"/.exec(shown.text)[1]}`);
  assert.equal(script.status, 200);
  assert.match(script.headers.get('content-type'), /javascript/);
  assert.match(await script.text(), /confirmSetup/);
});

test('a confirmed setup is saved with the card Stripe read, once however often it is posted; unconfirmed or foreign setups are refused', async () => {
  const { primary, secondary } = await stripeOrg('element-save');
  const { secret, setupId } = await openElement('element-save', secondary);

  const early = await page('POST', '/portal/element-save/account/payments/add-method', secondary.token, { setup_intent: setupId });
  assert.equal(early.status, 422);
  assert.match(early.text, /The card was not confirmed with the payment gateway/);
  assert.match(early.text, /href="#setup_intent"/);
  assert.match(early.text, /data-client-secret="seti_\d+_secret_\d+"/, 'a fresh element to try again');

  assert.equal((await confirmAtStripe(secret, '4242 4242 4242 1881')).status, 'succeeded');
  // The last four digits come from Stripe: what the page might add is not read.
  const fields = { setup_intent: setupId, last4: '9999', is_default: 'yes', recurring_authorized: 'yes' };
  const saved = await page('POST', '/portal/element-save/account/payments/add-method', secondary.token, fields);
  assert.equal(saved.status, 303, saved.text);
  assert.match(saved.headers.get('set-cookie'), /portal_flash=method-saved/);
  const again = await page('POST', '/portal/element-save/account/payments/add-method', secondary.token, fields);
  assert.equal(again.status, 303, 'a second post of the same setup is the same success');
  const read = stripe.calls.filter((c) => c.method === 'GET' && c.path.startsWith(`/v1/setup_intents/${setupId}?`));
  assert.ok(read.length >= 2 && read.every((c) => c.path.includes('expand%5B%5D=payment_method')), JSON.stringify(read.map((c) => c.path)));
  const { payment_methods: methods } = (await portal.request('GET', '/portal/element-save/api/payment-methods', { token: secondary.token })).body;
  assert.equal(methods.length, 1);
  assert.deepEqual([methods[0].kind, methods[0].last4, methods[0].exp_month, methods[0].exp_year, methods[0].recurring_authorized], ['card', '1881', 12, 2034, true]);
  assert.equal(methods[0].guardian_id, secondary.id);

  // The primary cannot keep the secondary's setup as theirs.
  const foreign = await page('POST', '/portal/element-save/account/payments/add-method', primary.token, { setup_intent: setupId });
  assert.equal(foreign.status, 422);
  assert.match(foreign.text, /Only the guardian who saved this payment method/);
  const unknown = await page('POST', '/portal/element-save/account/payments/add-method', primary.token, { setup_intent: 'seti_unknown' });
  assert.equal(unknown.status, 422);
  assert.match(unknown.text, /No such setup/);
  assert.equal((await portal.request('GET', '/portal/element-save/api/payment-methods', { token: primary.token })).body.payment_methods.length, 1);
});

test("a card Stripe declines at confirmation never reaches the Worker; a setup confirmed away from the page comes back to be kept", async () => {
  const { primary } = await stripeOrg('element-return');
  const { secret, setupId } = await openElement('element-return', primary);
  const declined = await confirmAtStripe(secret, DECLINED_CARD);
  assert.equal(declined.error.message, 'Your card was declined.');
  const later = await openElement('element-return', primary);
  await confirmAtStripe(later.secret, '4242424242424242');
  // Stripe's return_url after a bank's check: the page asks only for the options, then saves.
  const back = await page('GET', `/portal/element-return/account/payments/add-method?setup_intent=${later.setupId}&redirect_status=succeeded`, primary.token);
  assert.equal(back.status, 200);
  assert.match(back.text, new RegExp(`name="setup_intent" value="${later.setupId}"`));
  assert.doesNotMatch(back.text, /data-client-secret/);
  const kept = await page('POST', '/portal/element-return/account/payments/add-method', primary.token, { setup_intent: later.setupId });
  assert.equal(kept.status, 303, kept.text);
  const notKept = await page('POST', '/portal/element-return/account/payments/add-method', primary.token, { setup_intent: setupId });
  assert.equal(notKept.status, 422);
  const { payment_methods: methods } = (await portal.request('GET', '/portal/element-return/api/payment-methods', { token: primary.token })).body;
  assert.deepEqual(methods.map((m) => m.last4), ['4242']);
});
