// A stand-in for Stripe on loopback (Stripe cannot be reached from here): its HTTP API as the
// Stripe adapter uses it, and a small Stripe.js whose Payment Element is a frame of its own, so
// that tests run the real adapter and the real Add Payment Method page against it. It records
// every API call (path, headers, form) for the tests to assert.
import { createServer } from 'node:http';

/** Card numbers as Stripe's test cards behave: this one is declined when the setup is confirmed. */
export const DECLINED_CARD = '4000000000000002';

const stripeJs = (origin) => `
(function () {
  var api = ${JSON.stringify(origin)};
  window.Stripe = function (publishableKey, options) {
    var account = (options && options.stripeAccount) || '';
    return {
      elements: function (o) {
        return {
          clientSecret: o.clientSecret,
          create: function () {
            var secret = o.clientSecret;
            return {
              mount: function (selector) {
                var frame = document.createElement('iframe');
                frame.title = 'Secure payment input frame';
                frame.src = api + '/elements/payment#' + encodeURIComponent(secret);
                document.querySelector(selector).appendChild(frame);
              },
            };
          },
        };
      },
      confirmSetup: function (c) {
        var secret = c.elements.clientSecret;
        var id = secret.split('_secret_')[0];
        var body = new URLSearchParams({ client_secret: secret, key: publishableKey, account: account });
        return fetch(api + '/v1/setup_intents/' + id + '/confirm', { method: 'POST', body: body })
          .then(function (r) { return r.json(); })
          .then(function (j) { return j.error ? { error: j.error } : { setupIntent: j }; });
      },
    };
  };
})();`;

// The element's frame: the card number stays here (another origin than the page), sent only to
// the stand-in, as Stripe's frame sends it only to Stripe.
const elementFrame = `<!doctype html><html lang="en"><title>Card</title>
<label>Card number <input id="number" autocomplete="cc-number" inputmode="numeric"></label>
<script>
document.getElementById('number').addEventListener('input', function (e) {
  fetch('/elements/entered', { method: 'POST', body: new URLSearchParams({ secret: decodeURIComponent(location.hash.slice(1)), number: e.target.value }) });
});
</script></html>`;

/** Starts the stand-in; answers {calls, url, close}. */
export async function startStripe() {
  const calls = [];
  const setups = new Map();
  const entered = new Map();
  let n = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const url = new URL(req.url, 'http://stand-in');
      const form = Object.fromEntries(new URLSearchParams(body));
      const reply = (status, payload, type = 'application/json') => {
        res.writeHead(status, { 'content-type': type, 'access-control-allow-origin': '*' });
        res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
      };
      if (url.pathname === '/v3/') return reply(200, stripeJs(`http://${req.headers.host}`), 'text/javascript');
      if (url.pathname === '/elements/payment') return reply(200, elementFrame, 'text/html');
      if (url.pathname === '/elements/entered') {
        entered.set(form.secret, form.number.replace(/\D/g, ''));
        return reply(200, {});
      }
      calls.push({ method: req.method, path: req.url, headers: req.headers, form });
      n += 1;
      if (url.pathname === '/v1/customers') return reply(200, { id: `cus_${n}` });
      const attach = /^\/v1\/payment_methods\/([^/]+)\/attach$/.exec(url.pathname);
      if (attach) return reply(200, { id: attach[1], customer: form.customer });
      if (/\/detach$/.test(url.pathname)) return reply(200, { id: 'pm_x' });
      if (url.pathname === '/v1/payment_intents') {
        if (form.payment_method.includes('chargeDeclined')) {
          return reply(402, { error: { type: 'card_error', message: 'Your card was declined.' } });
        }
        return reply(200, { id: `pi_${n}`, status: 'succeeded' });
      }
      if (url.pathname === '/v1/setup_intents' && req.method === 'POST') {
        const id = `seti_${n}`;
        const setup = {
          id,
          client_secret: `${id}_secret_${n}`,
          status: 'requires_payment_method',
          customer: form.customer,
          metadata: { guardian_id: form['metadata[guardian_id]'] },
          payment_method: null,
        };
        setups.set(id, setup);
        return reply(200, setup);
      }
      const setupPath = /^\/v1\/setup_intents\/([^/]+)(\/confirm)?$/.exec(url.pathname);
      const setup = setupPath && setups.get(setupPath[1]);
      if (setupPath && !setup) return reply(404, { error: { message: `No such setupintent: '${setupPath[1]}'` } });
      if (setupPath && setupPath[2]) {
        // Confirmed from the page with the client secret, as Stripe.js does.
        if (form.client_secret !== setup.client_secret) return reply(400, { error: { message: 'Invalid client secret.' } });
        const number = entered.get(form.client_secret) || '';
        if (number.length < 13) return reply(402, { error: { message: 'Your card number is incomplete.' } });
        if (number === DECLINED_CARD) return reply(402, { error: { message: 'Your card was declined.' } });
        setup.status = 'succeeded';
        setup.payment_method = `pm_${n}`;
        setup.card = { last4: number.slice(-4), exp_month: 12, exp_year: 2034 };
        return reply(200, { id: setup.id, status: setup.status, payment_method: setup.payment_method });
      }
      if (setupPath) {
        const expanded = url.searchParams.getAll('expand[]').includes('payment_method');
        const method = setup.payment_method && (expanded ? { id: setup.payment_method, type: 'card', card: setup.card } : setup.payment_method);
        return reply(200, { ...setup, card: undefined, payment_method: method });
      }
      reply(404, { error: { message: 'No such route' } });
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    calls,
    /** Confirms a setup as the family would in the element, without a browser. */
    enter: (clientSecret, number) => entered.set(clientSecret, number),
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => server.close(),
  };
}
