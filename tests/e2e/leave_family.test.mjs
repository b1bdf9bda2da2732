// A secondary leaves a family: their access there ends as a manual revoke ends it (sessions,
// saved payment methods), the Primary Guardian is e-mailed, the history names them; a person in
// two families keeps the other.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPortal, assertError } from './harness.mjs';

const slug = 'leaving';
const api = `/portal/${slug}/api`;
const card = (token, last4) => ({ kind: 'card', gateway_token: token, last4, exp_month: 12, exp_year: 2035 });

let portal;
let lee; // Ann (primary) and Bob (secondary)
let kim; // Cara (primary), with Bob too
let bobInKim;
before(async () => {
  portal = await startPortal();
  lee = await portal.familyWithSecondary(slug);
  const sandbox = await portal.request('PATCH', `/office/${slug}/api/settings/portal-options`, {
    token: lee.staff,
    json: { payment_gateway: { kind: 'sandbox' } },
  });
  assert.equal(sandbox.status, 200, sandbox.text);

  // Kim: Cara is its primary; she invites Bob, who joins with the login he has.
  const family = await portal.createFamily(slug, lee.staff, 'Kim', { first_name: 'Cara', last_name: 'Kim', email: `cara@${slug}.test` });
  await portal.request('POST', `/office/${slug}/api/guardians/${family.primary_guardian_id}/invitation`, { token: lee.staff });
  const cara = await portal.accept(slug, await portal.linkToken(`cara@${slug}.test`, 'invitation'), 'cara-password-1');
  assert.equal(cara.status, 200, cara.text);
  const added = await portal.request('POST', `${api}/guardians`, {
    token: cara.body.token,
    json: { first_name: 'Bob', last_name: 'Lee', email: lee.secondary.email },
  });
  assert.equal(added.status, 201, added.text);
  await portal.request('POST', `${api}/guardians/${added.body.id}/invitation`, { token: cara.body.token });
  const [mail] = await portal.waitForMail(lee.secondary.email, (m) => m.kind === 'invitation' && /Kim/.test(m.text));
  const link = /\/invitations\/([A-Za-z0-9_-]{43})/.exec(mail.text)[1];
  const joined = await portal.accept(slug, link, lee.secondary.password);
  assert.equal(joined.status, 200, joined.text);
  kim = { family, primary: { token: cara.body.token } };
  bobInKim = { id: added.body.id, token: joined.body.token };

  for (const [token, last4] of [[lee.secondary.token, '4242'], [bobInKim.token, '1881']]) {
    const saved = await portal.request('POST', `${api}/payment-methods`, { token, json: card(`tok_${last4}`, last4) });
    assert.equal(saved.status, 201, saved.text);
  }
});
after(() => portal.close());

const leave = (token, json) => portal.request('POST', `${api}/me/leave-family`, { token, ...(json === undefined ? {} : { json }) });
const liveMethods = async (guardianId) =>
  (await portal.dbOf(slug).prepare('SELECT last4 FROM payment_methods WHERE guardian_id = ?').bind(guardianId).all()).results.map((m) => m.last4);

test('the Primary Guardian cannot leave their family', async () => {
  assertError(await leave(lee.primary.token, { confirm: true }), 403, 'primary_cannot_leave');
});

test('leaving needs confirm: true', async () => {
  assertError(await leave(lee.secondary.token), 409, 'confirmation_required');
  assertError(await leave(lee.secondary.token, {}), 409, 'confirmation_required');
  assertError(await leave(lee.secondary.token, { confirm: false }), 409, 'confirmation_required');
  assert.equal((await portal.request('GET', `${api}/account`, { token: lee.secondary.token })).status, 200, 'nothing happened');
});

test('a secondary in two families leaves one: sessions and saved methods there end, the other family stays', async () => {
  const res = await leave(lee.secondary.token, { confirm: true });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body, { left: { id: lee.family.id, name: 'Lee' }, families: [{ id: kim.family.id, name: 'Kim' }] });

  // This session (in Lee) ended; the one in Kim goes on.
  assertError(await portal.request('GET', `${api}/account`, { token: lee.secondary.token }), 401, 'session_ended');
  assert.equal((await portal.request('GET', `${api}/account`, { token: bobInKim.token })).status, 200);

  // The methods saved in Lee are deleted through the queue; Kim's stay.
  await portal.waitFor(async () => (await liveMethods(lee.secondary.id)).length === 0, "Bob's Lee methods to be deleted");
  assert.deepEqual(await liveMethods(bobInKim.id), ['1881']);

  // Signing in reaches Kim only; asking for Lee is refused like any revoked guardian.
  const signIn = await portal.request('POST', `${api}/session`, { json: { email: lee.secondary.email, password: lee.secondary.password } });
  assert.equal(signIn.status, 200, signIn.text);
  assert.deepEqual(signIn.body.families.map((f) => f.name), ['Kim']);
  assertError(
    await portal.request('POST', `${api}/session`, {
      json: { email: lee.secondary.email, password: lee.secondary.password, family_id: lee.family.id },
    }),
    403,
    'family_access_denied',
  );
});

test('the Primary Guardian is e-mailed and the history names the guardian who left', async () => {
  const [mail] = await portal.waitForMail(lee.primary.email, (m) => m.kind === 'secondary_left_family');
  assert.equal(mail.subject, 'Bob Lee left your family account');
  assert.match(mail.text, /Bob Lee has left the Lee family account/);
  const history = await portal.request('GET', `${api}/access-history`, { token: lee.primary.token });
  const left = history.body.entries.find((e) => e.action === 'left_family');
  assert.ok(left, JSON.stringify(history.body.entries));
  assert.equal(left.actor, 'Bob Lee');
  const row = await portal.dbOf(slug).prepare("SELECT actor_kind, actor_id FROM audit_log WHERE action = 'left_family'").first();
  assert.deepEqual([row.actor_kind, row.actor_id], ['guardian', lee.secondary.id]);
  const account = await portal.request('GET', `${api}/account`, { token: lee.primary.token });
  assert.equal(account.body.guardians.find((g) => g.id === lee.secondary.id).access_status, 'invite_revoked');
  // Cara's family was not touched: no e-mail to her.
  assert.equal((await portal.mailbox(`cara@${slug}.test`)).filter((m) => m.kind === 'secondary_left_family').length, 0);
});
