// E-mail delivery when the provider misbehaves: every message ends delivered exactly once, or
// failed and visible to staff and the platform operator, then delivered once after a retry.
// The provider is a stand-in on loopback that dedupes by Idempotency-Key, as real providers do.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { workerOptions, openPortal, PLATFORM_TOKEN, assertError } from './harness.mjs';

/**
 * The provider stand-in. `script[address]` is the list of answers for that address, one per call
 * (the last one repeats): a status, or 'accept-500' (the message is accepted, then the answer is a
 * 500). A key that was accepted once answers 200 with the same id and is not delivered again.
 */
async function providerStandIn(script) {
  const calls = []; // every request: {to, key}
  const deliveries = new Map(); // Idempotency-Key -> {to, subject, id}
  const perAddress = new Map();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const message = JSON.parse(body);
      const to = message.to[0];
      const key = req.headers['idempotency-key'];
      calls.push({ to, key, authorization: req.headers.authorization });
      const answer = (status, payload, headers = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(payload));
      };
      if (!key) return answer(400, { message: 'no idempotency key' });
      if (deliveries.has(key)) return answer(200, { id: deliveries.get(key).id }); // a replay: same answer, not sent again
      const n = perAddress.get(to) ?? 0;
      perAddress.set(to, n + 1);
      const steps = script[to] ?? [200];
      const step = steps[Math.min(n, steps.length - 1)];
      const deliver = () => {
        const id = `email_${deliveries.size + 1}`;
        deliveries.set(key, { to, subject: message.subject, id });
        return id;
      };
      if (step === 'accept-500') {
        deliver();
        return answer(500, { message: 'internal error after accepting' });
      }
      if (step < 300) return answer(step, { id: deliver() });
      if (step === 429) return answer(429, { message: 'slow down' }, { 'retry-after': '1' });
      return answer(step, { message: `provider says ${step}` });
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    calls,
    deliveries,
    script,
    url: `http://127.0.0.1:${server.address().port}/emails`,
    close: () => server.close(),
    deliveredTo: (to) => [...deliveries.values()].filter((d) => d.to === to),
    keysFor: (to) => new Set(calls.filter((c) => c.to === to).map((c) => c.key)),
  };
}

const ADDR = {
  retry3: 'owner@retry3.test', // 503 x3, then accepted
  ratelimit: 'owner@ratelimit.test', // 429 with Retry-After, then accepted
  accepted500: 'owner@accepted500.test', // accepted, but the answer is a 500; the retry must not send twice
  rejected: 'owner@rejected422.test', // 422 until the address is fixed
  badkey: 'owner@badkey401.test', // 401 until the key is fixed
  down: 'owner@down503.test', // 503 until the provider is back: dead-lettered
};
const MAX_RETRIES = 4; // five attempts

let provider;
let portal;
const orgs = {};

before(async () => {
  provider = await providerStandIn({
    [ADDR.retry3]: [503, 503, 503, 200],
    [ADDR.ratelimit]: [429, 200],
    [ADDR.accepted500]: ['accept-500', 200],
    [ADDR.rejected]: [422],
    [ADDR.badkey]: [401],
    [ADDR.down]: [503],
  });
  const options = workerOptions({
    EMAIL_TRANSPORT: 'http',
    EMAIL_API_URL: provider.url,
    EMAIL_API_KEY: 'test-key',
    EMAIL_FROM: 'Portal <portal@x.test>',
    JOB_RETRY_BASE_SECONDS: '1',
  });
  // The production consumer retries 5 times; 4 here keeps "503 x3 then 200" deliverable and the
  // dead-letter path quick.
  options.workers[1].queueConsumers['portal-jobs'].maxRetries = MAX_RETRIES;
  const mf = new Miniflare(convertV4MiniflareOptions({ cf: false, ...options }));
  await mf.ready;
  portal = await openPortal(mf);
  for (const [name, owner_email] of Object.entries(ADDR)) {
    const org = await portal.createOrganization(name, { owner_email });
    orgs[name] = { ...org, staff: await portal.staffSignIn(name, owner_email, org.owner_password) };
  }
});
after(async () => {
  await portal?.close();
  provider?.close();
});

/** The database of the organization whose owner `to` is (each address is one organization's). */
const dbOfAddress = (to) => portal.dbOf(Object.keys(ADDR).find((name) => ADDR[name] === to));

const row = (to) =>
  dbOfAddress(to)
    .prepare("SELECT id, org_id, processed_at, failed_at, enqueued_at, attempts, last_error FROM outbox WHERE kind = 'email' AND json_extract(payload, '$.to') = ?")
    .bind(to)
    .first();

const settled = (to, timeoutMs = 40_000) =>
  portal.waitFor(async () => {
    const r = await row(to);
    return r && (r.processed_at || r.failed_at) ? r : null;
  }, `the e-mail to ${to} to be delivered or failed`, timeoutMs);

test('the normal path stamps the hand-over, and the cron does not send a second copy while the queue retries', async () => {
  // The always-503 message is being retried by the queue right now.
  await portal.waitFor(async () => provider.calls.some((c) => c.to === ADDR.down), 'a first attempt');
  const before = await row(ADDR.down);
  assert.ok(before.enqueued_at > 0, 'enqueued_at is set when the queue took the message');
  // Make it look old enough for the sweep, then run the cron twice.
  await dbOfAddress(ADDR.down).prepare('UPDATE outbox SET created_at = created_at - 600000 WHERE id = ?').bind(before.id).run();
  await portal.triggerCron();
  await portal.triggerCron();
  const afterCron = await row(ADDR.down);
  assert.equal(afterCron.enqueued_at, before.enqueued_at, 'the cron did not claim a message the queue holds');
});

test('transient failures are retried with one Idempotency-Key until delivered exactly once', async () => {
  for (const name of ['retry3', 'ratelimit', 'accepted500']) {
    const to = ADDR[name];
    const r = await settled(to);
    assert.ok(r.processed_at, `${name} delivered (${r.last_error})`);
    assert.equal(r.failed_at, null);
    assert.equal(provider.deliveredTo(to).length, 1, `${name}: exactly one delivery`);
    assert.deepEqual([...provider.keysFor(to)], [r.id], `${name}: every attempt carried the outbox id as Idempotency-Key`);
  }
  assert.equal(provider.calls.filter((c) => c.to === ADDR.retry3).length, 4);
  assert.ok(provider.calls.filter((c) => c.to === ADDR.accepted500).length >= 2, 'the 500 was retried');
});

test('permanent refusals and a dead-lettered message are failed, with why, for staff and the operator', async () => {
  const rejected = await settled(ADDR.rejected);
  const badkey = await settled(ADDR.badkey);
  const down = await settled(ADDR.down, 60_000);
  for (const r of [rejected, badkey, down]) assert.ok(r.failed_at, 'failed');
  assert.equal(provider.calls.filter((c) => c.to === ADDR.rejected).length, 1, 'a 422 is not retried');
  assert.equal(provider.calls.filter((c) => c.to === ADDR.badkey).length, 1, 'a 401 is not retried');
  assert.equal(provider.calls.filter((c) => c.to === ADDR.down).length, MAX_RETRIES + 1, 'one copy in flight: no extra sends from the cron');
  for (const to of [ADDR.rejected, ADDR.badkey, ADDR.down]) assert.equal(provider.deliveredTo(to).length, 0);

  const expectations = [
    ['rejected', rejected, /HTTP 422/],
    ['badkey', badkey, /HTTP 401/],
    ['down', down, /dead-lettered after 5 attempts.*HTTP 503/],
  ];
  for (const [name, r, why] of expectations) {
    const res = await portal.request('GET', `/office/${name}/api/outbox?status=failed`, { token: orgs[name].staff });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.messages.length, 1, `${name}: its own failed e-mail only`);
    const [m] = res.body.messages;
    assert.deepEqual(Object.keys(m).sort(), ['attempts', 'failed_at', 'id', 'kind', 'last_error', 'status', 'subject', 'to']);
    assert.equal(m.id, r.id);
    assert.equal(m.kind, 'organization_welcome');
    assert.equal(m.to, ADDR[name]);
    assert.match(m.subject, /Welcome/);
    assert.match(m.last_error, why);
    assert.ok(Date.parse(m.failed_at) > 0);
  }
  // Organizations whose e-mails went out see none.
  const none = await portal.request('GET', '/office/retry3/api/outbox?status=failed', { token: orgs.retry3.staff });
  assert.deepEqual(none.body.messages, []);

  const platform = await portal.request('GET', '/platform/api/outbox?status=failed', { token: PLATFORM_TOKEN });
  assert.equal(platform.status, 200, platform.text);
  assert.deepEqual(platform.body.messages.map((m) => m.id).sort(), [rejected.id, badkey.id, down.id].sort());
  assert.ok(platform.body.messages.every((m) => m.org_id && !('text' in m) && !('html' in m)));
  const anonymous = await portal.request('GET', '/platform/api/outbox?status=failed');
  assert.equal(anonymous.status, 401);
});

/** A staff user with the plain `staff` role, hashed the way the worker hashes (chained PBKDF2). */
async function addStaffUser(slug, email, password) {
  const salt = randomBytes(16);
  let key = Buffer.from(password);
  for (let i = 0; i < 6; i++) key = pbkdf2Sync(key, salt, 100000, 32, 'sha256');
  const hash = `$pbkdf2-sha256$i=100000,r=6$${salt.toString('base64').replace(/=+$/, '')}$${key.toString('base64').replace(/=+$/, '')}`;
  await portal.dbOf(slug)
    .prepare('INSERT INTO staff_users (id, org_id, email, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?, ?)')
    .bind(`stf_${email}`, orgs[slug].id, email, hash, 'staff', Date.now())
    .run();
  return portal.staffSignIn(slug, email, password);
}

test('a retry is refused for another organization, for a message that did not fail, and without the token', async () => {
  const down = await row(ADDR.down);
  // Plain staff see the failed e-mails but may not send them again (owner or admin only).
  const plain = await addStaffUser('rejected', 'desk@rejected422.test', 'desk-password-1');
  const seen = await portal.request('GET', '/office/rejected/api/outbox?status=failed', { token: plain });
  assert.equal(seen.status, 200);
  assert.equal(seen.body.messages.length, 1);
  assertError(await portal.request('POST', `/office/rejected/api/outbox/${seen.body.messages[0].id}/retry`, { token: plain }), 403, 'owner_or_admin_required');
  assertError(await portal.request('GET', '/office/rejected/api/outbox?status=sent', { token: plain }), 422, 'invalid_field');
  assertError(await portal.request('POST', `/office/rejected/api/outbox/${down.id}/retry`, { token: orgs.rejected.staff }), 404, 'outbox_message_not_found');
  const sent = await row(ADDR.retry3);
  assertError(await portal.request('POST', `/office/retry3/api/outbox/${sent.id}/retry`, { token: orgs.retry3.staff }), 409, 'outbox_message_not_failed');
  assert.equal((await portal.request('POST', `/platform/api/outbox/${down.id}/retry`)).status, 401);
  assert.equal((await row(ADDR.down)).failed_at > 0, true, 'nothing changed');
});

test('after the cause is fixed, a retry delivers each failed message once, with the same Idempotency-Key', async () => {
  // A fixed address, a new key, a provider that is back.
  provider.script[ADDR.rejected].splice(0, Infinity, 200);
  provider.script[ADDR.badkey].splice(0, Infinity, 200);
  provider.script[ADDR.down].splice(0, Infinity, 200);
  const retries = [
    ['rejected', `/office/rejected/api/outbox/`, orgs.rejected.staff],
    ['badkey', `/office/badkey/api/outbox/`, orgs.badkey.staff],
    ['down', `/platform/api/outbox/`, PLATFORM_TOKEN],
  ];
  for (const [name, prefix, token] of retries) {
    const before = await row(ADDR[name]);
    const res = await portal.request('POST', `${prefix}${before.id}/retry`, { token });
    assert.equal(res.status, 202, res.text);
    assert.equal(res.body.id, before.id);
  }
  for (const [name] of retries) {
    const to = ADDR[name];
    const r = await settled(to);
    assert.ok(r.processed_at, `${name} delivered after the retry (${r.last_error})`);
    assert.equal(r.failed_at, null);
    assert.equal(provider.deliveredTo(to).length, 1, `${name}: exactly one delivery`);
    assert.deepEqual([...provider.keysFor(to)], [r.id], `${name}: the same Idempotency-Key as before`);
  }
  const list = await portal.request('GET', '/platform/api/outbox?status=failed', { token: PLATFORM_TOKEN });
  assert.deepEqual(list.body.messages, []);
  // A second retry of a delivered message is refused.
  const again = await row(ADDR.rejected);
  assertError(await portal.request('POST', `/office/rejected/api/outbox/${again.id}/retry`, { token: orgs.rejected.staff }), 409, 'outbox_message_not_failed');
  // Every message in this file: delivered exactly once.
  for (const to of Object.values(ADDR)) assert.equal(provider.deliveredTo(to).length, 1, to);
});
