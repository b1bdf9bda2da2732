// Access with an end date: the Primary Guardian sets, extends and clears the day a secondary's
// access ends; from the start of that day in the organization's time zone the session check
// refuses them at once, and the cron then ends the access as the primary's revoke does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPortal, assertError } from './harness.mjs';

const slug = 'summer';
const api = `/portal/${slug}/api`;
const ZONE = 'America/Chicago';

let portal;
let fam;
before(async () => {
  portal = await startPortal();
  fam = await portal.familyWithSecondary(slug);
  const options = await portal.request('PATCH', `/office/${slug}/api/settings/portal-options`, {
    token: fam.staff,
    json: { time_zone: ZONE, payment_gateway: { kind: 'sandbox' } },
  });
  assert.equal(options.status, 200, options.text);
  const saved = await portal.request('POST', `${api}/payment-methods`, {
    token: fam.secondary.token,
    json: { kind: 'card', gateway_token: 'tok_visa', last4: '4242', exp_month: 12, exp_year: 2035 },
  });
  assert.equal(saved.status, 201, saved.text);
});
after(() => portal.close());

/** The date `days` from today in the organization's time zone, YYYY-MM-DD. */
function day(days = 0) {
  const at = new Date(Date.now() + days * 86_400_000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

const setEnd = (guardianId, ends_on, token = fam.primary.token) =>
  portal.request('PUT', `${api}/guardians/${guardianId}/access-end`, { token, json: { ends_on } });
const account = (token) => portal.request('GET', `${api}/account`, { token });

test('a date before today, a date that is no date, or no ends_on at all is 422 naming ends_on', async () => {
  for (const ends_on of [day(-1), '2027-02-30', 'next week']) {
    const res = await setEnd(fam.secondary.id, ends_on);
    assertError(res, 422, 'invalid_field');
    assert.equal(res.body.error.field, 'ends_on', ends_on);
  }
  const missing = await portal.request('PUT', `${api}/guardians/${fam.secondary.id}/access-end`, { token: fam.primary.token, json: {} });
  assertError(missing, 422, 'invalid_field');
  assert.equal(missing.body.error.field, 'ends_on');
});

test('only the Primary Guardian sets it, only for a secondary of their family', async () => {
  assertError(await setEnd(fam.secondary.id, day(30), fam.secondary.token), 403, 'primary_guardian_only');
  assertError(await setEnd(fam.primary.id, day(30)), 409, 'access_end_for_secondaries_only');
  const other = await portal.createFamily(slug, fam.staff, 'Far', { first_name: 'Fay', last_name: 'Far', email: `fay@${slug}.test` });
  assertError(await setEnd(other.primary_guardian_id, day(30)), 404, 'guardian_not_found');
});

test('set, extended and cleared: the secondary sees it on My Account, staff in the family', async () => {
  const set = await setEnd(fam.secondary.id, day(10));
  assert.equal(set.status, 200, set.text);
  assert.equal(set.body.id, fam.secondary.id);
  assert.equal(set.body.access_ends_on, day(10));
  const extended = await setEnd(fam.secondary.id, day(40));
  assert.equal(extended.body.access_ends_on, day(40));

  const mine = await account(fam.secondary.token);
  assert.equal(mine.status, 200, 'a date to come changes nothing yet');
  assert.equal(mine.body.guardians.find((g) => g.id === fam.secondary.id).access_ends_on, day(40));
  const staffView = await portal.request('GET', `/office/${slug}/api/families/${fam.family.id}`, { token: fam.staff });
  assert.equal(staffView.body.guardians.find((g) => g.id === fam.secondary.id).access_ends_on, day(40));

  const cleared = await setEnd(fam.secondary.id, null);
  assert.equal(cleared.status, 200);
  assert.equal(cleared.body.access_ends_on, null);
  const history = await portal.request('GET', `${api}/access-history`, { token: fam.primary.token });
  assert.deepEqual(
    history.body.entries.filter((e) => e.action.startsWith('access_end')).map((e) => [e.action, e.actor]),
    [['access_end_cleared', 'Ann Lee (Primary Guardian)'], ['access_end_set', 'Ann Lee (Primary Guardian)'], ['access_end_set', 'Ann Lee (Primary Guardian)']],
  );
});

test('an invitation may carry the end date; a past one is refused before anything is sent', async () => {
  const added = await portal.request('POST', `${api}/guardians`, {
    token: fam.primary.token,
    json: { first_name: 'Gran', last_name: 'Lee', email: `gran@${slug}.test` },
  });
  assert.equal(added.status, 201, added.text);
  const past = await portal.request('POST', `${api}/guardians/${added.body.id}/invitation`, { token: fam.primary.token, json: { access_ends_on: day(-3) } });
  assertError(past, 422, 'invalid_field');
  assert.equal(past.body.error.field, 'access_ends_on');
  assert.equal((await portal.mailbox(`gran@${slug}.test`)).length, 0);
  const sent = await portal.request('POST', `${api}/guardians/${added.body.id}/invitation`, { token: fam.primary.token, json: { access_ends_on: day(60) } });
  assert.equal(sent.status, 202, sent.text);
  assert.equal(sent.body.access_ends_on, day(60));
  assert.equal(sent.body.access_status, 'invite_sent');
});

test('an end date of today: refused at once, before any cron; the cron then ends it as the primary revoke does', async () => {
  const res = await setEnd(fam.secondary.id, day(0));
  assert.equal(res.status, 200, res.text);
  assertError(await account(fam.secondary.token), 401, 'session_ended');
  const signIn = await portal.request('POST', `${api}/session`, { json: { email: fam.secondary.email, password: fam.secondary.password } });
  assert.equal(signIn.status, 401, 'no family left to sign in to');
  const before = await portal.dbOf(slug).prepare('SELECT access_state FROM guardians WHERE id = ?').bind(fam.secondary.id).first();
  assert.equal(before.access_state, 'can_log_in', 'no cron has run');

  await portal.triggerCron();
  const after = await portal.dbOf(slug).prepare('SELECT access_state FROM guardians WHERE id = ?').bind(fam.secondary.id).first();
  assert.equal(after.access_state, 'invite_revoked');
  const [mail] = await portal.waitForMail(fam.secondary.email, (m) => m.kind === 'access_revoked');
  assert.match(mail.text, /has been revoked/);
  const history = await portal.request('GET', `${api}/access-history`, { token: fam.primary.token });
  const revoked = history.body.entries.find((e) => e.action === 'access_revoked');
  assert.deepEqual([revoked.actor, revoked.reason], ['Ann Lee (Primary Guardian)', 'access period ended']);
  // The manual-revoke rule: their saved payment methods are deleted.
  await portal.waitFor(
    async () => (await portal.dbOf(slug).prepare('SELECT COUNT(*) AS n FROM payment_methods WHERE guardian_id = ?').bind(fam.secondary.id).first()).n === 0,
    'the saved method to be deleted',
  );
  // Again: nothing more to do.
  await portal.triggerCron();
  const entries = (await portal.request('GET', `${api}/access-history`, { token: fam.primary.token })).body.entries;
  assert.equal(entries.filter((e) => e.action === 'access_revoked').length, 1);
  assert.equal((await account(fam.primary.token)).status, 200, 'the primary is not touched');
});
