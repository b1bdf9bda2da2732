// Credit (My Account, "Credit (if enabled)"): staff post a credit to the ledger, maybe for a
// location; the family sees it beside the balance and applies it to outstanding charges, never
// more than is outstanding or available, once however often Apply Credit is sent at the same time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPortal, assertError } from './harness.mjs';

let portal;
before(async () => {
  portal = await startPortal();
});
after(async () => {
  await portal?.close();
});

const api = (slug) => `/portal/${slug}/api`;

/** A family with a primary and a secondary who can log in, in an organization that shows credit. */
async function creditFamily(slug, options = { show_credit: true }) {
  const f = await portal.familyWithSecondary(slug);
  const res = await portal.request('PATCH', `/office/${slug}/api/settings/portal-options`, { token: f.staff, json: options });
  assert.equal(res.status, 200, res.text);
  return f;
}

async function post(slug, staff, familyId, json) {
  return portal.request('POST', `/office/${slug}/api/families/${familyId}/ledger`, { token: staff, json });
}

async function posted(slug, staff, familyId, json) {
  const res = await post(slug, staff, familyId, json);
  assert.equal(res.status, 201, res.text);
  return res.body;
}

async function balance(slug, token) {
  const res = await portal.request('GET', `${api(slug)}/balance`, { token });
  assert.equal(res.status, 200, res.text);
  return res.body;
}

const apply = (slug, token, json = {}) => portal.request('POST', `${api(slug)}/credit/apply`, { token, json });

test('a credit waits beside the balance until the family applies it', async () => {
  const slug = 'credit-apply';
  const { staff, family, primary } = await creditFamily(slug);
  await posted(slug, staff, family.id, { kind: 'charge', amount_cents: 5000, description: 'May tuition' });
  const credit = await posted(slug, staff, family.id, { kind: 'credit', amount_cents: 2000, description: 'Goodwill credit' });
  assert.equal(credit.kind, 'credit');
  assert.deepEqual(
    [(await balance(slug, primary.token)).outstanding_cents, (await balance(slug, primary.token)).credit_cents],
    [5000, 2000],
    'a credit does not lower what is owed until applied',
  );

  const applied = await apply(slug, primary.token, { amount_cents: 500 });
  assert.equal(applied.status, 200, applied.text);
  assert.deepEqual([applied.body.outstanding_cents, applied.body.credit_cents], [4500, 1500]);
  const rest = await apply(slug, primary.token);
  assert.equal(rest.status, 200, rest.text);
  assert.deepEqual([rest.body.outstanding_cents, rest.body.credit_cents], [3000, 0], 'by default as much as both allow');
  assertError(await apply(slug, primary.token), 409, 'nothing_to_apply');

  const history = await portal.request('GET', `${api(slug)}/transactions?kind=all`, { token: primary.token });
  assert.equal(history.status, 200, history.text);
  const kinds = history.body.entries.map((e) => `${e.kind}:${e.amount_cents}`).sort();
  assert.deepEqual(kinds, ['charge:5000', 'credit:2000', 'credit_applied:1500', 'credit_applied:500']);
  const charges = await portal.request('GET', `${api(slug)}/transactions?kind=charges`, { token: primary.token });
  assert.deepEqual(charges.body.entries.map((e) => e.kind), ['charge'], 'credits are listed under All only');
});

test('apply credit never takes more than is outstanding or than the credit left', async () => {
  const slug = 'credit-limits';
  const { staff, family, primary } = await creditFamily(slug);
  await posted(slug, staff, family.id, { kind: 'credit', amount_cents: 3000, description: 'Credit' });
  assertError(await apply(slug, primary.token), 409, 'nothing_to_apply');
  await posted(slug, staff, family.id, { kind: 'charge', amount_cents: 1200, description: 'Swim cap' });
  const tooMuch = await apply(slug, primary.token, { amount_cents: 1201 });
  assertError(tooMuch, 422, 'invalid_field');
  assert.equal(tooMuch.body.error.field, 'amount_cents');
  const res = await apply(slug, primary.token);
  assert.deepEqual([res.body.outstanding_cents, res.body.credit_cents], [0, 1800]);
  assertError(await apply(slug, primary.token, { amount_cents: 'lots' }), 422, 'invalid_field');
});

test('apply credit racing itself applies the credit once', async () => {
  const slug = 'credit-race';
  const { staff, family, primary, secondary } = await creditFamily(slug);
  await portal.request('PUT', `${api(slug)}/guardians/${secondary.id}/permissions`, {
    token: primary.token,
    json: { can_make_payments: true, can_view_full_ledger: false },
  });
  await posted(slug, staff, family.id, { kind: 'charge', amount_cents: 10000, description: 'Term fee' });
  await posted(slug, staff, family.id, { kind: 'credit', amount_cents: 4000, description: 'Sibling discount' });
  const clicks = await Promise.all([
    apply(slug, primary.token), apply(slug, primary.token), apply(slug, secondary.token), apply(slug, secondary.token),
    apply(slug, primary.token, { amount_cents: 4000 }), apply(slug, secondary.token, { amount_cents: 4000 }),
  ]);
  const statuses = clicks.map((r) => r.status).sort();
  assert.equal(statuses.filter((s) => s === 200).length, 1, statuses.join());
  for (const r of clicks.filter((r) => r.status !== 200)) assertError(r, 409, 'nothing_to_apply');
  const { results } = await portal.dbOf(slug)
    .prepare("SELECT SUM(amount_cents) AS applied, COUNT(*) AS n FROM ledger_entries WHERE family_id = ? AND kind = 'credit_applied'")
    .bind(family.id)
    .all();
  assert.deepEqual(results[0], { applied: 4000, n: 1 });
  assert.deepEqual([(await balance(slug, primary.token)).outstanding_cents, (await balance(slug, primary.token)).credit_cents], [6000, 0]);
});

test('a secondary applies credit only with permission to make payments', async () => {
  const slug = 'credit-permission';
  const { staff, family, primary, secondary } = await creditFamily(slug);
  await posted(slug, staff, family.id, { kind: 'charge', amount_cents: 1000, description: 'Tuition' });
  await posted(slug, staff, family.id, { kind: 'credit', amount_cents: 1000, description: 'Credit' });
  assertError(await apply(slug, secondary.token), 403, 'payment_not_permitted');
  await portal.request('PUT', `${api(slug)}/guardians/${secondary.id}/permissions`, {
    token: primary.token,
    json: { can_make_payments: true, can_view_full_ledger: false },
  });
  assert.equal((await apply(slug, secondary.token)).status, 200);
});

test('credit is refused while the option is off, and while the portal is off', async () => {
  const slug = 'credit-off';
  const { staff, family, primary } = await creditFamily(slug, { show_credit: false });
  await posted(slug, staff, family.id, { kind: 'charge', amount_cents: 1000, description: 'Tuition' });
  await posted(slug, staff, family.id, { kind: 'credit', amount_cents: 1000, description: 'Credit' });
  assertError(await apply(slug, primary.token), 403, 'credit_disabled');
  await portal.request('PATCH', `/office/${slug}/api/settings/portal-options`, { token: staff, json: { show_credit: true } });
  // D1 says off; the KV flag at the edge still says on.
  await portal.dbOf(slug).prepare('UPDATE organizations SET portal_enabled = 0 WHERE slug = ?').bind(slug).run();
  assertError(await apply(slug, primary.token), 503, 'portal_unavailable');
  const { results } = await portal.dbOf(slug).prepare("SELECT * FROM ledger_entries WHERE family_id = ? AND kind = 'credit_applied'").bind(family.id).all();
  assert.deepEqual(results, []);
});

test('staff post a credit for one of their locations, never another organization\'s', async () => {
  const slug = 'credit-location';
  const { staff, family } = await creditFamily(slug);
  const location = await portal.request('POST', `/office/${slug}/api/locations`, { token: staff, json: { name: 'North Pool' } });
  assert.equal(location.status, 201, location.text);
  await posted(slug, staff, family.id, { kind: 'credit', amount_cents: 700, description: 'Missed class', location_id: location.body.id });
  const { results } = await portal.dbOf(slug).prepare("SELECT location_id FROM ledger_entries WHERE family_id = ? AND kind = 'credit'").bind(family.id).all();
  assert.deepEqual(results, [{ location_id: location.body.id }]);

  const other = await portal.familyWithSecondary('credit-location-other');
  const theirs = await portal.request('POST', '/office/credit-location-other/api/locations', { token: other.staff, json: { name: 'South' } });
  const refused = await post(slug, staff, family.id, { kind: 'credit', amount_cents: 700, description: 'x', location_id: theirs.body.id });
  assertError(refused, 422, 'invalid_field');
  assert.equal(refused.body.error.field, 'location_id');
  assertError(await post(slug, staff, family.id, { kind: 'credit_applied', amount_cents: 700, description: 'x' }), 422, 'invalid_field');
});
