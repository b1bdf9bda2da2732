// The invitation lifecycle: the Primary Guardian decides who else may log in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPortal, assertError, decodeJwt } from './harness.mjs';

let portal;
before(async () => {
  portal = await startPortal();
});
after(() => portal.close());

const office = (slug) => `/office/${slug}/api`;
const api = (slug) => `/portal/${slug}/api`;

async function orgWithStaff(slug) {
  const org = await portal.createOrganization(slug);
  return portal.staffSignIn(slug, org.owner_email, org.owner_password);
}

test('long or wildcard-laden search text never fails: it matches literally, and over 100 characters is a 422', async () => {
  const staff = await orgWithStaff('search-long');
  const fun = await portal.createFamily('search-long', staff, '100% Fun_Club', { first_name: 'Zoé', last_name: 'Ñandú', email: 'zoe@search-long.test' });
  await portal.createFamily('search-long', staff, '100 Fun Club', { first_name: 'Al', last_name: 'Bo', email: 'al@search-long.test' });
  const search = (q) => portal.request('GET', `${office('search-long')}/families?q=${encodeURIComponent(q)}`, { token: staff });
  for (const q of ['x'.repeat(49), '%'.repeat(25), 'é'.repeat(25), '_'.repeat(60), 'a'.repeat(100)]) {
    const res = await search(q);
    assert.equal(res.status, 200, q);
    assert.deepEqual(res.body.families, []);
  }
  assert.deepEqual((await search('0% f')).body.families.map((f) => f.id), [fun.id], '% is a literal');
  assert.deepEqual((await search('n_c')).body.families.map((f) => f.id), [fun.id], '_ is a literal');
  assert.deepEqual((await search('ZOé Ñandú')).body.families.map((f) => f.id), [fun.id], 'ASCII letters fold case');
  assert.deepEqual((await search('zoé ñandú')).body.families.length, 0, 'other letters do not (as with LIKE)');
  assertError(await search('a'.repeat(101)), 422, 'invalid_field');
  const report = await portal.request('GET', `${office('search-long')}/reports/portal-access.csv?family=${encodeURIComponent('%'.repeat(40))}`, { token: staff });
  assert.equal(report.status, 200);
  const named = await portal.request('GET', `${office('search-long')}/reports/portal-access.csv?family=${encodeURIComponent('0% fun_')}`, { token: staff });
  assert.match(named.text, /100% Fun_Club/);
  assert.doesNotMatch(named.text, /100 Fun Club/);
});

test('staff create a family with its primary guardian, who has no access yet', async () => {
  const staff = await orgWithStaff('create');
  const family = await portal.createFamily('create', staff, 'Lee', { first_name: 'Ann', last_name: 'Lee', email: 'Ann@Create.test' });
  assert.match(family.id, /^fam_/);
  assert.equal(family.status, 'active');
  assert.equal(family.guardians.length, 1);
  const [ann] = family.guardians;
  assert.equal(ann.id, family.primary_guardian_id);
  assert.equal(ann.is_primary, true);
  assert.equal(ann.email, 'ann@create.test');
  assert.equal(ann.access_status, 'no_access');
  assert.equal(ann.access_label, 'No Access');
  assert.equal(ann.invitation_expires_at, null);

  const read = await portal.request('GET', `${office('create')}/families/${family.id}`, { token: staff });
  assert.deepEqual(read.body, family);
  const found = await portal.request('GET', `${office('create')}/families?q=ann`, { token: staff });
  assert.deepEqual(found.body.families.map((f) => f.id), [family.id]);
  assert.deepEqual(found.body.families[0], family, 'a search answer carries each family whole');
  const kim = await portal.createFamily('create', staff, 'Kim', { first_name: 'Joe', last_name: 'Kim', email: 'joe@create.test' });
  await portal.request('POST', `${office('create')}/families/${kim.id}/guardians`, { token: staff, json: { first_name: 'Mia', last_name: 'Kim' } });
  const all = (await portal.request('GET', `${office('create')}/families?q=`, { token: staff })).body.families;
  assert.deepEqual(all.map((f) => [f.name, f.guardians.map((g) => g.first_name)]).sort(), [['Kim', ['Joe', 'Mia']], ['Lee', ['Ann']]]);
  const none = await portal.request('GET', `${office('create')}/families?q=zzz`, { token: staff });
  assert.deepEqual(none.body.families, []);
  // One person may be a guardian in several families; a family lists an address once.
  const other = await portal.request('POST', `${office('create')}/families`, {
    token: staff,
    json: { name: 'Other', primary_guardian: { first_name: 'A', last_name: 'B', email: 'ann@create.test' } },
  });
  assert.equal(other.status, 201, other.text);
  assertError(
    await portal.request('POST', `${office('create')}/families/${family.id}/guardians`, {
      token: staff,
      json: { first_name: 'Ann', last_name: 'Again', email: 'ANN@create.test' },
    }),
    409,
    'email_in_use',
  );
  assertError(
    await portal.request('POST', `${office('create')}/families`, { token: staff, json: { name: 'X', primary_guardian: { first_name: 'A', last_name: 'B' } } }),
    422,
    'invalid_field',
  );
});

test('staff_cannot_send_a_secondary_invitation', async () => {
  const staff = await orgWithStaff('staffrule');
  const family = await portal.createFamily('staffrule', staff, 'Lee', { first_name: 'Ann', last_name: 'Lee', email: 'ann@staffrule.test' });
  const added = await portal.request('POST', `${office('staffrule')}/families/${family.id}/guardians`, {
    token: staff,
    json: { first_name: 'Bob', last_name: 'Lee', email: 'bob@staffrule.test' },
  });
  assert.equal(added.status, 201);
  assert.equal(added.body.access_status, 'no_access');
  for (const path of ['invitation', 'invitation/resend']) {
    const res = await portal.request('POST', `${office('staffrule')}/guardians/${added.body.id}/${path}`, { token: staff });
    assertError(res, 403, 'primary_guardian_must_invite');
    assert.match(res.body.error.message, /Primary Guardian must send/);
  }
  assert.equal((await portal.mailbox('bob@staffrule.test')).length, 0);
});

test('staff enable login for a primary guardian; the invitation expires after 48 hours by default', async () => {
  const staff = await orgWithStaff('enable');
  const family = await portal.createFamily('enable', staff, 'Lee', { first_name: 'Ann', last_name: 'Lee', email: 'ann@enable.test' });
  const before = Date.now();
  const res = await portal.request('POST', `${office('enable')}/guardians/${family.primary_guardian_id}/invitation`, { token: staff });
  assert.equal(res.status, 202);
  assert.equal(res.body.access_status, 'invite_sent');
  assert.equal(res.body.access_label, 'Invite Sent');
  const expires = Date.parse(res.body.invitation_expires_at);
  assert.ok(Math.abs(expires - (before + 48 * 3600_000)) < 60_000, res.body.invitation_expires_at);
  const [mail] = await portal.waitForMail('ann@enable.test', (m) => m.kind === 'invitation');
  assert.match(mail.text, /http:\/\/portal\.test\/portal\/enable\/invitations\/[A-Za-z0-9_-]{43}/);
  const stored = await portal.dbOf('enable').prepare('SELECT token_hash FROM invitations WHERE guardian_id = ?').bind(family.primary_guardian_id).first();
  const token = /invitations\/([A-Za-z0-9_-]{43})/.exec(mail.text)[1];
  assert.match(stored.token_hash, /^[0-9a-f]{64}$/);
  assert.notEqual(stored.token_hash, token, 'only the hash is stored');
  const outbox = await portal.waitFor(async () => {
    const r = await portal.dbOf('enable').prepare("SELECT payload, processed_at FROM outbox WHERE payload LIKE '%ann@enable.test%' AND payload LIKE '%invitation%'").first();
    return r?.processed_at ? r : null;
  }, 'the invitation to be sent');
  assert.ok(!outbox.payload.includes(token), 'the outbox forgets the token once the e-mail is sent');
});

test('accepting needs adulthood and terms, then logs the guardian in; the link works once', async () => {
  const staff = await orgWithStaff('accept');
  const family = await portal.createFamily('accept', staff, 'Lee', { first_name: 'Ann', last_name: 'Lee', email: 'ann@accept.test' });
  await portal.request('POST', `${office('accept')}/guardians/${family.primary_guardian_id}/invitation`, { token: staff });
  const token = await portal.linkToken('ann@accept.test', 'invitation');

  const status = await portal.request('GET', `${api('accept')}/invitations/${token}`);
  assert.equal(status.body.status, 'valid');
  assert.equal(status.body.guardian_first_name, 'Ann');

  assertError(await portal.accept('accept', token, 'ann-password-1', { confirm_adult: false }), 422, 'invalid_field');
  assertError(await portal.accept('accept', token, 'ann-password-1', { accept_terms: false }), 422, 'invalid_field');
  assertError(await portal.accept('accept', token, 'short'), 422, 'invalid_field');

  const ok = await portal.accept('accept', token, 'ann-password-1');
  assert.equal(ok.status, 200);
  assert.equal(ok.body.family_id, family.id);
  assert.equal(ok.body.guardian.access_status, 'can_log_in');
  assert.equal(decodeJwt(ok.body.token).kind, 'guardian');
  assert.match(ok.headers.get('set-cookie'), /^portal_session=.*Path=\/portal\/accept/);

  assert.equal((await portal.request('GET', `${api('accept')}/invitations/${token}`)).body.status, 'used');
  assertError(await portal.accept('accept', token, 'another-password'), 409, 'invitation_used');
  const signedIn = await portal.guardianSignIn('accept', 'ann@accept.test', 'ann-password-1');
  const account = await portal.request('GET', `${api('accept')}/account`, { token: signedIn });
  assert.equal(account.status, 200);
  assert.equal(account.body.family.name, 'Lee');
  assert.equal(account.body.me.is_primary, true);
  assert.deepEqual(account.body.permissions, { can_make_payments: true, can_view_full_ledger: true, can_manage_enrollments: true });
  assertError(await portal.request('POST', `${api('accept')}/session`, { json: { email: 'ann@accept.test', password: 'wrong-password' } }), 401, 'invalid_credentials');
});

test('the primary invites a secondary, who accepts; the primary is told', async () => {
  const { primary, secondary } = await portal.familyWithSecondary('lifecycle');
  const [notice] = await portal.waitForMail(primary.email, (m) => m.kind === 'invitation_accepted');
  assert.match(notice.subject, /Bob Lee accepted your invitation/);
  const account = await portal.request('GET', `${api('lifecycle')}/account`, { token: secondary.token });
  assert.equal(account.body.me.id, secondary.id);
  assert.equal(account.body.me.is_primary, false);
  assert.deepEqual(account.body.permissions, { can_make_payments: false, can_view_full_ledger: false, can_manage_enrollments: false });
  const bobAsSeenByAnn = (await portal.request('GET', `${api('lifecycle')}/account`, { token: primary.token })).body.guardians.find(
    (g) => g.id === secondary.id,
  );
  assert.equal(bobAsSeenByAnn.access_label, 'Can Log In');
  assert.equal(bobAsSeenByAnn.email, null, 'the primary sees name and access only');
  assert.equal(bobAsSeenByAnn.contact_editable, false);
  assert.deepEqual(bobAsSeenByAnn.actions, ['revoke', 'reset_password', 'set_permissions']);
});

test('the primary may change the address before sending; a re-send kills the old link', async () => {
  const { primary } = await portal.familyWithSecondary('resend');
  const added = await portal.request('POST', `${api('resend')}/guardians`, {
    token: primary.token,
    json: { first_name: 'Cat', last_name: 'Lee', email: 'cat-old@resend.test' },
  });
  const catId = added.body.id;
  const sent = await portal.request('POST', `${api('resend')}/guardians/${catId}/invitation`, {
    token: primary.token,
    json: { email: 'cat@resend.test' },
  });
  assert.equal(sent.status, 202);
  assert.equal(sent.body.email, 'cat@resend.test');
  const first = await portal.linkToken('cat@resend.test', 'invitation');
  assert.equal((await portal.mailbox('cat-old@resend.test')).length, 0);

  const tooSoon = await portal.request('POST', `${api('resend')}/guardians/${catId}/invitation/resend`, { token: primary.token });
  assertError(tooSoon, 429, 'resend_cooldown');
  assert.ok(Number(tooSoon.headers.get('retry-after')) > 0);

  await portal.dbOf('resend').prepare('UPDATE invitations SET created_at = created_at - 120000 WHERE guardian_id = ?').bind(catId).run();
  const resent = await portal.request('POST', `${api('resend')}/guardians/${catId}/invitation/resend`, { token: primary.token });
  assert.equal(resent.status, 202);
  const second = await portal.linkToken('cat@resend.test', 'invitation_resent');
  assert.notEqual(first, second);
  assert.equal((await portal.request('GET', `${api('resend')}/invitations/${first}`)).body.status, 'revoked');
  assertError(await portal.accept('resend', first, 'cat-password-1'), 409, 'invitation_revoked');
  assert.equal((await portal.accept('resend', second, 'cat-password-1')).status, 200);
});

test('a secondary cannot invite, revoke, grant permissions or read the access history', async () => {
  const { primary, secondary } = await portal.familyWithSecondary('secondary');
  const t = secondary.token;
  assertError(await portal.request('POST', `${api('secondary')}/guardians`, { token: t, json: { first_name: 'X', last_name: 'Y' } }), 403, 'primary_guardian_only');
  assertError(await portal.request('POST', `${api('secondary')}/guardians/${primary.id}/revoke`, { token: t }), 403, 'primary_guardian_only');
  assertError(await portal.request('POST', `${api('secondary')}/guardians/${primary.id}/invitation`, { token: t }), 403, 'primary_guardian_only');
  assertError(
    await portal.request('PUT', `${api('secondary')}/guardians/${secondary.id}/permissions`, {
      token: t,
      json: { can_make_payments: true, can_view_full_ledger: true },
    }),
    403,
    'primary_guardian_only',
  );
  assertError(await portal.request('GET', `${api('secondary')}/access-history`, { token: t }), 403, 'primary_guardian_only');
  const perms = await portal.dbOf('secondary').prepare('SELECT can_make_payments FROM guardians WHERE id = ?').bind(secondary.id).first();
  assert.equal(perms.can_make_payments, 0);
});

test('after acceptance only the secondary edits their own contact information', async () => {
  const { primary, secondary } = await portal.familyWithSecondary('contact');
  assertError(
    await portal.request('PATCH', `${api('contact')}/guardians/${secondary.id}`, { token: primary.token, json: { phone: '555 0199' } }),
    403,
    'contact_locked',
  );
  const own = await portal.request('PATCH', `${api('contact')}/guardians/${secondary.id}`, {
    token: secondary.token,
    json: { phone: '555 0199', first_name: 'Robert' },
  });
  assert.equal(own.status, 200);
  assert.equal(own.body.phone, '555 0199');
  assert.equal(own.body.first_name, 'Robert');
  // Before acceptance the primary may edit a secondary.
  const cat = await portal.request('POST', `${api('contact')}/guardians`, { token: primary.token, json: { first_name: 'Cat', last_name: 'Lee' } });
  const edited = await portal.request('PATCH', `${api('contact')}/guardians/${cat.body.id}`, {
    token: primary.token,
    json: { email: 'cat@contact.test' },
  });
  assert.equal(edited.status, 200);
  assert.equal(edited.body.email, 'cat@contact.test');
  assertError(await portal.request('PATCH', `${api('contact')}/guardians/${cat.body.id}`, { token: primary.token, json: { email: 'nope' } }), 422, 'invalid_field');
  assertError(await portal.request('PATCH', `${api('contact')}/guardians/${cat.body.id}`, { token: primary.token, json: { age: 3 } }), 422, 'invalid_field');
});

test("a primary cannot touch another family's or another organization's guardians (404)", async () => {
  const a = await portal.familyWithSecondary('fam-a');
  const staff = await portal.staffSignIn('fam-a', 'owner@fam-a.test', 'owner-password-1');
  const other = await portal.createFamily('fam-a', staff, 'Other', { first_name: 'Dan', last_name: 'Other', email: 'dan@fam-a.test' });
  const b = await portal.familyWithSecondary('fam-b');
  for (const target of [other.primary_guardian_id, b.secondary.id]) {
    for (const [method, path, json] of [
      ['POST', `guardians/${target}/revoke`, {}],
      ['POST', `guardians/${target}/invitation`, {}],
      ['PATCH', `guardians/${target}`, { phone: '555 1234' }],
      ['PUT', `guardians/${target}/permissions`, { can_make_payments: true, can_view_full_ledger: true }],
    ]) {
      assertError(await portal.request(method, `${api('fam-a')}/${path}`, { token: a.primary.token, json }), 404, 'guardian_not_found');
    }
  }
  // A token of organization B does not open organization A.
  assertError(await portal.request('GET', `${api('fam-a')}/account`, { token: b.primary.token }), 401, 'invalid_session');
  // Staff of A cannot reach B's guardians either.
  assertError(await portal.request('POST', `${office('fam-a')}/guardians/${b.secondary.id}/revoke-login`, { token: staff }), 404, 'guardian_not_found');
});

test('revoking: the old token is refused at once, the user is e-mailed, the history records the reason', async () => {
  const { primary, secondary } = await portal.familyWithSecondary('revoke');
  assert.equal((await portal.request('GET', `${api('revoke')}/account`, { token: secondary.token })).status, 200);

  const preview = await portal.request('POST', `${api('revoke')}/guardians/${secondary.id}/revoke?dry_run=true`, { token: primary.token });
  assert.equal(preview.status, 200);
  assert.equal(preview.body.preview.sessions_ended, 1);
  assert.deepEqual(preview.body.preview.emails, [{ to: secondary.email, kind: 'access_revoked' }]);
  assert.equal((await portal.request('GET', `${api('revoke')}/account`, { token: secondary.token })).status, 200, 'a preview changes nothing');

  const res = await portal.request('POST', `${api('revoke')}/guardians/${secondary.id}/revoke`, {
    token: primary.token,
    json: { reason: 'Moved away' },
  });
  assert.equal(res.status, 200);
  assert.equal(res.body.access_status, 'invite_revoked');
  assert.equal(res.body.access_label, 'Invite Revoked');
  assertError(await portal.request('GET', `${api('revoke')}/account`, { token: secondary.token }), 401, 'session_ended');
  assertError(await portal.request('POST', `${api('revoke')}/session`, { json: { email: secondary.email, password: secondary.password } }), 401, 'invalid_credentials');

  const [mail] = await portal.waitForMail(secondary.email, (m) => m.kind === 'access_revoked');
  assert.match(mail.text, /has been revoked/);
  assert.match(mail.text, /contact the Primary Guardian of the account, Ann Lee/);

  // Repeating the revoke changes nothing and e-mails no one again.
  assert.equal((await portal.request('POST', `${api('revoke')}/guardians/${secondary.id}/revoke`, { token: primary.token })).status, 200);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await portal.mailbox(secondary.email)).filter((m) => m.kind === 'access_revoked').length, 1);

  const history = await portal.request('GET', `${api('revoke')}/access-history`, { token: primary.token });
  const revokes = history.body.entries.filter((e) => e.action === 'access_revoked');
  assert.equal(revokes.length, 1);
  assert.equal(revokes[0].reason, 'Moved away');
  assert.equal(revokes[0].target, 'Bob Lee');
  assert.equal(revokes[0].actor, 'Ann Lee (Primary Guardian)');
  assert.deepEqual(
    history.body.entries.map((e) => e.action).reverse(),
    ['family_created', 'invitation_sent', 'invitation_accepted', 'guardian_added', 'invitation_sent', 'invitation_accepted', 'access_revoked'],
  );
  // The primary restores access with a new invitation; only then can Bob log in again.
  assert.equal((await portal.request('POST', `${api('revoke')}/guardians/${secondary.id}/invitation`, { token: primary.token })).status, 202);
});

test('the primary cannot revoke their own access, and a guardian without access has nothing to revoke', async () => {
  const { primary } = await portal.familyWithSecondary('self');
  assertError(await portal.request('POST', `${api('self')}/guardians/${primary.id}/revoke`, { token: primary.token }), 403, 'cannot_revoke_self');
  const cat = await portal.request('POST', `${api('self')}/guardians`, { token: primary.token, json: { first_name: 'Cat', last_name: 'Lee' } });
  assertError(await portal.request('POST', `${api('self')}/guardians/${cat.body.id}/revoke`, { token: primary.token }), 409, 'no_access_to_revoke');
});

test('an expired invitation says so, in the API and on its page', async () => {
  const { primary } = await portal.familyWithSecondary('expiry');
  const cat = await portal.request('POST', `${api('expiry')}/guardians`, { token: primary.token, json: { first_name: 'Cat', last_name: 'Lee', email: 'cat@expiry.test' } });
  await portal.request('POST', `${api('expiry')}/guardians/${cat.body.id}/invitation`, { token: primary.token });
  const token = await portal.linkToken('cat@expiry.test', 'invitation');
  const page = await portal.request('GET', `/portal/expiry/invitations/${token}`);
  assert.equal(page.status, 200);
  assert.match(page.text, /confirm_adult/);
  assert.match(page.text, /accept_terms/);
  await portal.dbOf('expiry').prepare('UPDATE invitations SET expires_at = ? WHERE guardian_id = ?').bind(Date.now() - 1000, cat.body.id).run();
  assert.equal((await portal.request('GET', `${api('expiry')}/invitations/${token}`)).body.status, 'expired');
  assertError(await portal.accept('expiry', token, 'cat-password-1'), 409, 'invitation_expired');
  const expiredPage = await portal.request('GET', `/portal/expiry/invitations/${token}`);
  assert.equal(expiredPage.status, 410);
  assert.match(expiredPage.text, /expired/);
  const account = await portal.request('GET', `${api('expiry')}/account`, { token: primary.token });
  assert.equal(account.body.guardians.find((g) => g.id === cat.body.id).access_label, 'Invite Expired');
  // A revoked pending invitation and a made-up link each have their own page.
  await portal.dbOf('expiry').prepare('UPDATE invitations SET expires_at = ? WHERE guardian_id = ?').bind(Date.now() + 3600_000, cat.body.id).run();
  await portal.request('POST', `${api('expiry')}/guardians/${cat.body.id}/revoke`, { token: primary.token });
  assert.equal((await portal.request('GET', `/portal/expiry/invitations/${token}`)).status, 410);
  assertError(await portal.accept('expiry', token, 'cat-password-1'), 409, 'invitation_revoked');
  assert.equal((await portal.request('GET', `/portal/expiry/invitations/${'x'.repeat(43)}`)).status, 404);
  assertError(await portal.request('GET', `${api('expiry')}/invitations/garbage`), 404, 'invitation_not_found');
});

test('an accept racing a revoke ends in one consistent state', async () => {
  const { primary } = await portal.familyWithSecondary('race');
  for (let round = 0; round < 3; round++) {
    const email = `racer${round}@race.test`;
    const g = await portal.request('POST', `${api('race')}/guardians`, { token: primary.token, json: { first_name: 'Racer', last_name: `${round}`, email } });
    await portal.request('POST', `${api('race')}/guardians/${g.body.id}/invitation`, { token: primary.token });
    const token = await portal.linkToken(email, 'invitation');
    const [accepted, revoked] = await Promise.all([
      portal.accept('race', token, 'racer-password-1'),
      portal.request('POST', `${api('race')}/guardians/${g.body.id}/revoke`, { token: primary.token }),
    ]);
    const row = await portal.dbOf('race').prepare('SELECT access_state FROM guardians WHERE id = ?').bind(g.body.id).first();
    const live = await portal.dbOf('race').prepare('SELECT COUNT(*) AS n FROM sessions WHERE subject_id = ? AND ended_at IS NULL').bind(g.body.id).first();
    if (revoked.status === 200) {
      assert.equal(row.access_state, 'invite_revoked');
      assert.equal(live.n, 0, 'no session survives a revoke');
      if (accepted.status === 200) {
        assertError(await portal.request('GET', `${api('race')}/account`, { token: accepted.body.token }), 401, 'session_ended');
      } else {
        assertError(accepted, 409, 'invitation_revoked');
      }
    } else {
      // The accept came first and the revoke found nothing to revoke: impossible here, since an
      // accepted guardian can be revoked. Any other outcome is a bug.
      assert.fail(`revoke answered ${revoked.status} ${revoked.text}`);
    }
  }
});

test('password resets: by the primary for a secondary, single use, ending the old sessions', async () => {
  const { primary, secondary } = await portal.familyWithSecondary('reset');
  const sent = await portal.request('POST', `${api('reset')}/guardians/${secondary.id}/password-reset`, { token: primary.token });
  assert.equal(sent.status, 202);
  const token = await portal.linkToken(secondary.email, 'password_reset', 'password-reset');
  assert.equal((await portal.request('GET', `/portal/reset/password-reset/${token}`)).status, 200);
  assertError(await portal.request('POST', `${api('reset')}/password-reset/complete`, { json: { token, new_password: 'short' } }), 422, 'invalid_field');
  const done = await portal.request('POST', `${api('reset')}/password-reset/complete`, { json: { token, new_password: 'bob-new-password-1' } });
  assert.equal(done.status, 204);
  assertError(await portal.request('GET', `${api('reset')}/account`, { token: secondary.token }), 401, 'session_ended');
  assert.ok(await portal.guardianSignIn('reset', secondary.email, 'bob-new-password-1'));
  assertError(await portal.request('POST', `${api('reset')}/password-reset/complete`, { json: { token, new_password: 'bob-third-password' } }), 409, 'reset_link_invalid');
  assert.equal((await portal.request('GET', `/portal/reset/password-reset/${token}`)).status, 410);
  // Staff may send one too; not to someone who cannot log in.
  const staff = await portal.staffSignIn('reset', 'owner@reset.test', 'owner-password-1');
  assert.equal((await portal.request('POST', `${office('reset')}/guardians/${secondary.id}/password-reset`, { token: staff })).status, 202);
  const cat = await portal.request('POST', `${api('reset')}/guardians`, { token: primary.token, json: { first_name: 'Cat', last_name: 'Lee' } });
  assertError(await portal.request('POST', `${office('reset')}/guardians/${cat.body.id}/password-reset`, { token: staff }), 409, 'no_login_to_reset');
});

test('forgot password answers the same whether or not the address has an account', async () => {
  const { secondary } = await portal.familyWithSecondary('forgot');
  const known = await portal.request('POST', `${api('forgot')}/password-reset/request`, { json: { email: secondary.email } });
  const unknown = await portal.request('POST', `${api('forgot')}/password-reset/request`, { json: { email: 'nobody@forgot.test' } });
  assert.equal(known.status, 202);
  assert.deepEqual(unknown.body, known.body);
  await portal.linkToken(secondary.email, 'password_reset', 'password-reset');
  assert.equal((await portal.mailbox('nobody@forgot.test')).length, 0);
});

test('changing my password ends my other sessions and keeps this one', async () => {
  const { secondary } = await portal.familyWithSecondary('mypass');
  const other = await portal.guardianSignIn('mypass', secondary.email, secondary.password);
  assertError(
    await portal.request('POST', `${api('mypass')}/me/password`, { token: secondary.token, json: { current_password: 'wrong-password', new_password: 'bob-new-password-1' } }),
    403,
    'wrong_password',
  );
  const res = await portal.request('POST', `${api('mypass')}/me/password`, {
    token: secondary.token,
    json: { current_password: secondary.password, new_password: 'bob-new-password-1' },
  });
  assert.equal(res.status, 204);
  assert.equal((await portal.request('GET', `${api('mypass')}/account`, { token: secondary.token })).status, 200);
  assertError(await portal.request('GET', `${api('mypass')}/account`, { token: other }), 401, 'session_ended');
});

test('permissions: the primary grants a secondary make payments and view full ledger', async () => {
  const { primary, secondary } = await portal.familyWithSecondary('perms');
  const res = await portal.request('PUT', `${api('perms')}/guardians/${secondary.id}/permissions`, {
    token: primary.token,
    json: { can_make_payments: true, can_view_full_ledger: false },
  });
  assert.equal(res.status, 200);
  assert.deepEqual(res.body.permissions, { can_make_payments: true, can_view_full_ledger: false, can_manage_enrollments: false });
  const mine = await portal.request('GET', `${api('perms')}/account`, { token: secondary.token });
  assert.deepEqual(mine.body.permissions, { can_make_payments: true, can_view_full_ledger: false, can_manage_enrollments: false });
  assertError(
    await portal.request('PUT', `${api('perms')}/guardians/${primary.id}/permissions`, { token: primary.token, json: { can_make_payments: false, can_view_full_ledger: false } }),
    409,
    'permissions_for_secondaries_only',
  );
  assertError(await portal.request('PUT', `${api('perms')}/guardians/${secondary.id}/permissions`, { token: primary.token, json: { can_make_payments: 'yes' } }), 422, 'invalid_field');
});

test('disabling the portal ends customer sessions for good; re-enabling does not revive them', async () => {
  const { staff, secondary, primary } = await portal.familyWithSecondary('switch');
  const setting = `${office('switch')}/settings/customer-portal`;
  await portal.request('PUT', setting, { token: staff, json: { enabled: false } });
  assertError(await portal.request('GET', `${api('switch')}/account`, { token: secondary.token }), 503, 'portal_unavailable');
  await portal.request('PUT', setting, { token: staff, json: { enabled: true } });
  assertError(await portal.request('GET', `${api('switch')}/account`, { token: secondary.token }), 401, 'session_ended');
  assertError(await portal.request('GET', `${api('switch')}/account`, { token: primary.token }), 401, 'session_ended');
  const fresh = await portal.guardianSignIn('switch', secondary.email, secondary.password);
  assert.equal((await portal.request('GET', `${api('switch')}/account`, { token: fresh })).status, 200);
});

test('a mutating customer request checks D1 even when the edge still thinks the portal is on', async () => {
  const { secondary } = await portal.familyWithSecondary('stale');
  await portal.dbOf('stale').prepare("UPDATE organizations SET portal_enabled = 0 WHERE slug = 'stale'").run();
  // KV and the isolate's memory still say "on": the sign-in is refused by D1 all the same.
  assertError(await portal.request('POST', `${api('stale')}/session`, { json: { email: secondary.email, password: secondary.password } }), 503, 'portal_unavailable');
  assertError(await portal.request('GET', `${api('stale')}/account`, { token: secondary.token }), 503, 'portal_unavailable');
});

test('staff see every invitation with its state and expiry, and the audit log has one entry per change', async () => {
  const { staff, secondary, family } = await portal.familyWithSecondary('console');
  const all = await portal.request('GET', `${office('console')}/invitations`, { token: staff });
  assert.equal(all.status, 200);
  assert.equal(all.body.invitations.length, 2);
  for (const i of all.body.invitations) {
    assert.equal(i.state, 'accepted');
    assert.ok(i.expires_at && i.sent_at && i.sent_by.label);
  }
  assert.equal((await portal.request('GET', `${office('console')}/invitations?status=pending`, { token: staff })).body.invitations.length, 0);
  assertError(await portal.request('GET', `${office('console')}/invitations?status=bogus`, { token: staff }), 422, 'invalid_field');
  const audit = await portal.dbOf('console')
    .prepare('SELECT action FROM audit_log WHERE family_id = ? ORDER BY at, rowid')
    .bind(family.id)
    .all();
  assert.deepEqual(audit.results.map((r) => r.action), [
    'family_created',
    'invitation_sent',
    'invitation_accepted',
    'guardian_added',
    'invitation_sent',
    'invitation_accepted',
  ]);
  const staffRevoke = await portal.request('POST', `${office('console')}/guardians/${secondary.id}/revoke-login`, { token: staff, json: { reason: 'Asked by the primary' } });
  assert.equal(staffRevoke.status, 200);
  assert.equal(staffRevoke.body.access_status, 'invite_revoked');
  assertError(await portal.request('GET', `${api('console')}/account`, { token: secondary.token }), 401, 'session_ended');
});

test('parallel sends to many guardians write one invitation and one e-mail each (the cooldown holds in the batch)', async () => {
  const staff = await orgWithStaff('parallel-send');
  const families = [];
  for (let i = 0; i < 8; i++) {
    families.push(await portal.createFamily('parallel-send', staff, `Fam${i}`, { first_name: `P${i}`, last_name: 'Par', email: `p${i}@parallel-send.test` }));
  }
  const answers = await Promise.all(
    families.flatMap((f) =>
      Array.from({ length: 10 }, (_, k) =>
        portal.request('POST', `${office('parallel-send')}/guardians/${f.primary_guardian_id}/invitation${k % 2 ? '/resend' : ''}`, { token: staff }),
      ),
    ),
  );
  for (const a of answers) assert.ok([202, 409, 429].includes(a.status), `${a.status} ${a.text}`);
  for (const f of families) {
    const { n } = await portal.dbOf('parallel-send').prepare('SELECT COUNT(*) AS n FROM invitations WHERE guardian_id = ?1').bind(f.primary_guardian_id).first();
    assert.equal(n, 1, `${f.name}: invitations written`);
    const mails = await portal.dbOf('parallel-send')
      .prepare("SELECT COUNT(*) AS n FROM outbox WHERE kind = 'email' AND payload LIKE ?1")
      .bind(`%${f.guardians[0].email}%`)
      .first();
    assert.equal(mails.n, 1, `${f.name}: invitation e-mails`);
  }
  assert.equal(answers.filter((a) => a.status === 202).length, families.length);
});
