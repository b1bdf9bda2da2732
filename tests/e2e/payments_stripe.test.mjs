// The Stripe adapter against a stand-in for Stripe's HTTP API on loopback: what it sends, with
// which key, account and idempotency keys, and how it reads Stripe's answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startPortal, assertError } from './harness.mjs';

let portal;
let stripe;

/** Answers like Stripe: ids for customers, attached methods and intents; 402 for a declining method. */
async function fakeStripe() {
  const calls = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(body));
      calls.push({ path: req.url, headers: req.headers, form });
      const reply = (status, json) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (req.url === '/v1/customers') return reply(200, { id: `cus_${calls.length}` });
      const attach = /^\/v1\/payment_methods\/([^/]+)\/attach$/.exec(req.url);
      if (attach) return reply(200, { id: attach[1], customer: form.customer });
      if (/\/detach$/.test(req.url)) return reply(200, { id: 'pm_x' });
      if (req.url === '/v1/payment_intents') {
        if (form.payment_method.includes('chargeDeclined')) {
          return reply(402, { error: { type: 'card_error', message: 'Your card was declined.' } });
        }
        return reply(200, { id: `pi_${calls.length}`, status: 'succeeded' });
      }
      reply(404, { error: { message: 'No such route' } });
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { calls, url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

before(async () => {
  stripe = await fakeStripe();
  portal = await startPortal({ bindings: { STRIPE_SECRET_KEY: 'sk_test_key', STRIPE_API_URL: stripe.url, PAYMENT_CURRENCY: 'CAD' } });
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
