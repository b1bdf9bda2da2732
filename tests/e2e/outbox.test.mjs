import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startPortal } from './harness.mjs';

let portal;
before(async () => {
  portal = await startPortal();
});
after(() => portal.close());

const welcome = (to) =>
  JSON.stringify({ kind: 'organization_welcome', to, subject: 'Welcome to portal-access, Splash', text: 'Welcome.', html: '<p>Welcome.</p>' });

/** An outbox row of no organization: in the first database, where a message naming no database
 * (one sent before there were several) is looked for. */
async function insertOutbox(id, payload, createdAt = Date.now() - 5 * 60_000) {
  await portal.db
    .prepare("INSERT INTO outbox (id, org_id, kind, payload, created_at) VALUES (?, NULL, 'email', ?, ?)")
    .bind(id, payload, createdAt)
    .run();
}

test('the cron re-sends an outbox row that never reached the queue', async () => {
  await insertOutbox('obx_stalled', welcome('stalled@x.test'));
  await portal.triggerCron();
  const [mail] = await portal.waitForMail('stalled@x.test');
  assert.equal(mail.kind, 'organization_welcome');
  const row = await portal.db.prepare("SELECT processed_at, enqueued_at FROM outbox WHERE id = 'obx_stalled'").first();
  assert.ok(row.processed_at > 0 && row.enqueued_at > 0);
});

test('the cron leaves rows alone that are young or already handled', async () => {
  await insertOutbox('obx_young', welcome('young@x.test'), Date.now());
  await portal.triggerCron();
  const row = await portal.db.prepare("SELECT enqueued_at FROM outbox WHERE id = 'obx_young'").first();
  assert.equal(row.enqueued_at, null);
});

test('the normal path stamps the hand-over to the queue, so the cron leaves the row to the queue', async () => {
  await portal.createOrganization('stamped');
  await portal.waitForMail('owner@stamped.test');
  const row = await portal.dbOf('stamped').prepare("SELECT enqueued_at, created_at FROM outbox WHERE json_extract(payload, '$.to') = 'owner@stamped.test'").first();
  assert.ok(row.enqueued_at >= row.created_at, 'enqueued_at set when send_batch succeeded');
});

test('the cron does not re-send a row the queue took recently, only one handed over long ago', async () => {
  const now = Date.now();
  await insertOutbox('obx_in_queue', welcome('in-queue@x.test'), now - 5 * 60_000);
  await insertOutbox('obx_lost', welcome('lost@x.test'), now - 60 * 60_000);
  await portal.db.prepare("UPDATE outbox SET enqueued_at = ? WHERE id = 'obx_in_queue'").bind(now - 60_000).run();
  await portal.db.prepare("UPDATE outbox SET enqueued_at = ? WHERE id = 'obx_lost'").bind(now - 20 * 60_000).run();
  await portal.triggerCron();
  await portal.waitForMail('lost@x.test');
  const inQueue = await portal.db.prepare("SELECT enqueued_at, processed_at FROM outbox WHERE id = 'obx_in_queue'").first();
  assert.equal(inQueue.enqueued_at, now - 60_000, 'not claimed');
  assert.equal(inQueue.processed_at, null);
  assert.equal((await portal.mailbox('in-queue@x.test')).length, 0);
});

test('a message delivered twice sends one e-mail', async () => {
  await insertOutbox('obx_twice', welcome('twice@x.test'), Date.now());
  const queue = await portal.mf.getQueueProducer('JOBS');
  await queue.send({ outbox_id: 'obx_twice' });
  await queue.send({ outbox_id: 'obx_twice' });
  await portal.waitForMail('twice@x.test');
  await portal.waitFor(async () => {
    const r = await portal.db.prepare("SELECT processed_at FROM outbox WHERE id = 'obx_twice'").first();
    return r.processed_at;
  }, 'processing');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await portal.mailbox('twice@x.test')).length, 1);
});

test('a payload that cannot be read is marked failed with its error, not retried forever', async () => {
  await insertOutbox('obx_bad', '{"kind":"no_such_mail"}', Date.now());
  const queue = await portal.mf.getQueueProducer('JOBS');
  await queue.send({ outbox_id: 'obx_bad' });
  const row = await portal.waitFor(async () => {
    const r = await portal.db.prepare("SELECT failed_at, last_error FROM outbox WHERE id = 'obx_bad'").first();
    return r.failed_at ? r : null;
  }, 'failure to be recorded');
  assert.match(row.last_error, /bad payload/);
});

test('a message that is not a job is dropped without breaking the batch', async () => {
  await insertOutbox('obx_after_poison', welcome('after-poison@x.test'), Date.now());
  const queue = await portal.mf.getQueueProducer('JOBS');
  await queue.sendBatch([{ body: 'not a job' }, { body: { outbox_id: 'obx_after_poison' } }]);
  await portal.waitForMail('after-poison@x.test');
});

/** A stand-in for the e-mail provider's HTTP API on loopback, answering with `statuses` in turn. */
async function fakeProvider(statuses) {
  const calls = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      calls.push({ headers: req.headers, body: JSON.parse(body), url: req.url });
      const status = statuses[Math.min(calls.length - 1, statuses.length - 1)];
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status < 300 ? { id: `email_${calls.length}` } : { message: 'provider says no' }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { calls, url: `http://127.0.0.1:${server.address().port}/emails`, close: () => server.close() };
}

async function withHttpTransport(statuses, fn) {
  const provider = await fakeProvider(statuses);
  const p = await startPortal({
    bindings: { EMAIL_TRANSPORT: 'http', EMAIL_API_URL: provider.url, EMAIL_API_KEY: 'test-key', EMAIL_FROM: 'Portal <portal@x.test>' },
  });
  try {
    await fn(p, provider);
  } finally {
    await p.close();
    provider.close();
  }
}

test('the HTTP e-mail adapter posts the message with its key and an idempotency key', async () => {
  await withHttpTransport([200], async (p, provider) => {
    await p.createOrganization('http-mail');
    await p.waitFor(() => provider.calls.length > 0, 'a provider call');
    const [call] = provider.calls;
    assert.equal(call.headers.authorization, 'Bearer test-key');
    assert.match(call.headers['idempotency-key'], /^obx_/);
    assert.deepEqual(call.body.to, ['owner@http-mail.test']);
    assert.equal(call.body.from, 'Portal <portal@x.test>');
    assert.match(call.body.subject, /Welcome/);
    assert.ok(call.body.html.includes('<p>'));
  });
});

test('a provider outage is retried with the same idempotency key until it succeeds', async () => {
  await withHttpTransport([503, 200], async (p, provider) => {
    await p.createOrganization('flaky-mail');
    const row = await p.waitFor(async () => {
      const r = await p.dbOf('flaky-mail').prepare('SELECT processed_at, attempts FROM outbox').first();
      return r.processed_at ? r : null;
    }, 'delivery after a retry');
    assert.equal(provider.calls.length, 2);
    assert.equal(provider.calls[0].headers['idempotency-key'], provider.calls[1].headers['idempotency-key']);
    assert.equal(row.attempts, 2);
  });
});

test('a message the provider keeps failing is dead-lettered and kept with its last error', async () => {
  await withHttpTransport([500], async (p, provider) => {
    await p.createOrganization('dead-mail');
    const row = await p.waitFor(async () => {
      const r = await p.dbOf('dead-mail').prepare('SELECT failed_at, last_error, attempts FROM outbox').first();
      return r.failed_at ? r : null;
    }, 'the dead-letter queue', 20_000);
    assert.match(row.last_error, /HTTP 500/);
    assert.equal(provider.calls.length, 3, 'first try and two retries');
  });
});

test('a message the provider rejects outright is not retried', async () => {
  await withHttpTransport([422], async (p, provider) => {
    await p.createOrganization('rejected-mail');
    const row = await p.waitFor(async () => {
      const r = await p.dbOf('rejected-mail').prepare('SELECT failed_at, last_error FROM outbox').first();
      return r.failed_at ? r : null;
    }, 'the failure');
    assert.match(row.last_error, /HTTP 422/);
    assert.equal(provider.calls.length, 1);
  });
});
