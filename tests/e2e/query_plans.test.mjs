// Every statement on a request path must find its rows through an index, never by a full scan.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPortal } from './harness.mjs';

let portal;
before(async () => {
  portal = await startPortal();
});
after(() => portal.close());

test('every statement on a request path uses an index (EXPLAIN QUERY PLAN)', async () => {
  const res = await portal.request('GET', '/dev/query-plans');
  assert.equal(res.status, 200);
  assert.ok(res.body.queries.length >= 24);
  for (const q of res.body.queries) {
    assert.ok(q.plan.length > 0, `${q.name}: no plan`);
    // `SCAN CONSTANT ROW` is the one row of a SELECT without FROM, not a table.
    const scans = q.plan.filter((line) => /^SCAN (?!CONSTANT ROW$)/.test(line));
    assert.deepEqual(scans, [], `${q.name} scans a table:\n${q.plan.join('\n')}\n${q.sql}`);
    for (const line of q.plan.filter((l) => l.startsWith('SEARCH'))) {
      assert.match(line, /USING (COVERING |INTEGER PRIMARY KEY|PRIMARY KEY|INDEX)/, `${q.name}: ${line}`);
    }
  }
});

test('the session checks and the account read are one statement each', async () => {
  const { queries } = (await portal.request('GET', '/dev/query-plans')).body;
  const byName = Object.fromEntries(queries.map((q) => [q.name, q]));
  for (const name of ['staff session check', 'guardian session check', 'account: family guardians']) {
    assert.equal(byName[name].sql.split(';').filter((s) => s.trim()).length, 1, name);
  }
  // The guardian session check joins the session, organization, guardian, family and login at once.
  assert.equal(byName['guardian session check'].plan.length, 5);
});

test('query plans are not served outside development', async () => {
  const production = await startPortal({ bindings: { ENVIRONMENT: 'production' } });
  try {
    assert.equal((await production.request('GET', '/dev/query-plans')).status, 404);
  } finally {
    await production.close();
  }
});
