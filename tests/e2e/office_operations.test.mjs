// Office Portal operations: staff revoke, changing the Primary Guardian, Family Merge, moving a contact.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPortal, assertError } from './harness.mjs';

let portal;
before(async () => {
  portal = await startPortal();
});
after(() => portal.close());

const office = (slug) => `/office/${slug}/api`;
const api = (slug) => `/portal/${slug}/api`;

/** Adds a secondary to a family through its primary, invites them and has them accept. */
async function addSecondary(slug, primaryToken, first, email) {
  const g = await portal.request('POST', `${api(slug)}/guardians`, { token: primaryToken, json: { first_name: first, last_name: 'Lee', email } });
  await portal.request('POST', `${api(slug)}/guardians/${g.body.id}/invitation`, { token: primaryToken });
  const link = await portal.linkToken(email, 'invitation');
  const accepted = await portal.accept(slug, link, `${first.toLowerCase()}-password-1`);
  assert.equal(accepted.status, 200, accepted.text);
  return { id: g.body.id, token: accepted.body.token, email };
}

/** A second family in the same organization whose primary can log in. */
async function secondFamily(slug, staff, name, first) {
  const email = `${first.toLowerCase()}@${slug}.test`;
  const family = await portal.createFamily(slug, staff, name, { first_name: first, last_name: name, email });
  await portal.request('POST', `${office(slug)}/guardians/${family.primary_guardian_id}/invitation`, { token: staff });
  const link = await portal.linkToken(email, 'invitation');
  const accepted = await portal.accept(slug, link, `${first.toLowerCase()}-password-1`);
  return { family, primary: { id: family.primary_guardian_id, token: accepted.body.token, email } };
}

const auditOf = async (slug, familyId) =>
  (await portal.dbOf(slug).prepare('SELECT action, actor_kind, actor_label, reason, target_label FROM audit_log WHERE family_id = ? ORDER BY at, rowid').bind(familyId).all())
    .results;

test('staff revoke a login: the user and the primary are e-mailed, and staff still cannot re-invite', async () => {
  const { staff, primary, secondary } = await portal.familyWithSecondary('staffrevoke');
  const preview = await portal.request('POST', `${office('staffrevoke')}/guardians/${secondary.id}/revoke-login?dry_run=true`, { token: staff });
  assert.equal(preview.body.preview.sessions_ended, 1);
  assert.equal((await portal.request('GET', `${api('staffrevoke')}/account`, { token: secondary.token })).status, 200);

  const res = await portal.request('POST', `${office('staffrevoke')}/guardians/${secondary.id}/revoke-login`, {
    token: staff,
    json: { reason: 'Custody change' },
  });
  assert.equal(res.status, 200);
  assert.equal(res.body.access_status, 'invite_revoked');
  assertError(await portal.request('GET', `${api('staffrevoke')}/account`, { token: secondary.token }), 401, 'session_ended');

  const [toUser] = await portal.waitForMail(secondary.email, (m) => m.kind === 'access_revoked');
  assert.match(toUser.text, /contact the Primary Guardian of the account, Ann Lee/);
  const [toPrimary] = await portal.waitForMail(primary.email, (m) => m.kind === 'secondary_access_revoked');
  assert.match(toPrimary.text, /Reason given: Custody change/);

  for (const path of ['invitation', 'invitation/resend']) {
    const again = await portal.request('POST', `${office('staffrevoke')}/guardians/${secondary.id}/${path}`, { token: staff });
    assertError(again, 403, 'primary_guardian_must_invite');
    assert.match(again.body.error.message, /Primary Guardian must send/);
  }
  // A repeated revoke writes nothing and e-mails nobody.
  await portal.request('POST', `${office('staffrevoke')}/guardians/${secondary.id}/revoke-login`, { token: staff });
  const history = await portal.request('GET', `${office('staffrevoke')}/audit?guardian_id=${secondary.id}`, { token: staff });
  const revokes = history.body.entries.filter((e) => e.action === 'access_revoked');
  assert.equal(revokes.length, 1);
  assert.equal(revokes[0].actor, 'owner@staffrevoke.test');
  assert.equal(revokes[0].actor_kind, 'staff');
  assert.equal(revokes[0].reason, 'Custody change');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await portal.mailbox(secondary.email)).filter((m) => m.kind === 'access_revoked').length, 1);
  // Only the primary restores access.
  assert.equal((await portal.request('POST', `${api('staffrevoke')}/guardians/${secondary.id}/invitation`, { token: primary.token })).status, 202);
});

test('changing the Primary Guardian revokes all other access, the former primary included', async () => {
  const { staff, family, primary, secondary } = await portal.familyWithSecondary('newprimary');
  const cat = await addSecondary('newprimary', primary.token, 'Cat', 'cat@newprimary.test');
  const dan = await portal.request('POST', `${api('newprimary')}/guardians`, { token: primary.token, json: { first_name: 'Dan', last_name: 'Lee', email: 'dan@newprimary.test' } });
  await portal.request('POST', `${api('newprimary')}/guardians/${dan.body.id}/invitation`, { token: primary.token });

  const res = await portal.request('PUT', `${office('newprimary')}/families/${family.id}/primary-guardian`, {
    token: staff,
    json: { guardian_id: secondary.id },
  });
  assert.equal(res.status, 200);
  assert.equal(res.body.primary_guardian_id, secondary.id);
  const status = Object.fromEntries(res.body.guardians.map((g) => [g.first_name, g.access_status]));
  assert.deepEqual(status, { Bob: 'can_log_in', Ann: 'invite_revoked', Cat: 'invite_revoked', Dan: 'invite_revoked' });

  // The new primary keeps their login; everyone else's session ended at once.
  const bobView = await portal.request('GET', `${api('newprimary')}/account`, { token: secondary.token });
  assert.equal(bobView.body.me.is_primary, true);
  assertError(await portal.request('GET', `${api('newprimary')}/account`, { token: primary.token }), 401, 'session_ended');
  assertError(await portal.request('GET', `${api('newprimary')}/account`, { token: cat.token }), 401, 'session_ended');
  const danLink = await portal.linkToken('dan@newprimary.test', 'invitation');
  assertError(await portal.accept('newprimary', danLink, 'dan-password-1'), 409, 'invitation_revoked');

  const [annMail] = await portal.waitForMail(primary.email, (m) => m.kind === 'access_revoked');
  assert.match(annMail.text, /contact the Primary Guardian of the account, Bob Lee/);
  const actions = (await auditOf('newprimary', family.id)).filter((e) => ['primary_guardian_changed', 'access_revoked'].includes(e.action));
  assert.deepEqual(actions.map((e) => [e.action, e.target_label]), [
    ['primary_guardian_changed', 'Lee'],
    ['access_revoked', 'Ann Lee'],
    ['access_revoked', 'Cat Lee'],
    ['access_revoked', 'Dan Lee'],
  ]);
  assert.ok(actions.slice(1).every((e) => e.reason === 'The Primary Guardian of the account changed.'));
  // The new primary must invite again; now it is Bob's call.
  assert.equal((await portal.request('POST', `${api('newprimary')}/guardians/${cat.id}/invitation`, { token: secondary.token })).status, 202);
  assertError(await portal.request('POST', `${api('newprimary')}/guardians/${cat.id}/revoke`, { token: primary.token }), 401, 'session_ended');

  // Choosing the current primary again changes nothing.
  const again = await portal.request('PUT', `${office('newprimary')}/families/${family.id}/primary-guardian`, { token: staff, json: { guardian_id: secondary.id } });
  assert.equal(again.status, 200);
  assert.equal((await auditOf('newprimary', family.id)).filter((e) => e.action === 'primary_guardian_changed').length, 1);
});

test('a new primary who was only invited goes back to No Access, and their old link no longer works', async () => {
  const { staff, family, primary } = await portal.familyWithSecondary('invitedprimary');
  const g = await portal.request('POST', `${api('invitedprimary')}/guardians`, {
    token: primary.token,
    json: { first_name: 'Cy', last_name: 'Lee', email: 'cy@invitedprimary.test' },
  });
  await portal.request('POST', `${api('invitedprimary')}/guardians/${g.body.id}/invitation`, { token: primary.token });
  const link = await portal.linkToken('cy@invitedprimary.test', 'invitation');
  const res = await portal.request('PUT', `${office('invitedprimary')}/families/${family.id}/primary-guardian`, {
    token: staff,
    json: { guardian_id: g.body.id },
  });
  assert.equal(res.status, 200, res.text);
  const cy = res.body.guardians.find((x) => x.id === g.body.id);
  assert.equal(cy.is_primary, true);
  assert.equal(cy.access_status, 'no_access');
  const status = await portal.request('GET', `${api('invitedprimary')}/invitations/${link}`);
  assert.notEqual(status.body.status, 'valid');
  const accepted = await portal.accept('invitedprimary', link, 'cy-password-1');
  assert.notEqual(accepted.status, 200);
  const row = await portal.dbOf('invitedprimary').prepare('SELECT access_state FROM guardians WHERE id = ?1').bind(g.body.id).first();
  assert.equal(row.access_state, 'no_access');
});

test('the new primary must be a guardian of the family, in this organization', async () => {
  const a = await portal.familyWithSecondary('primary-a');
  const b = await portal.familyWithSecondary('primary-b');
  assertError(
    await portal.request('PUT', `${office('primary-a')}/families/${a.family.id}/primary-guardian`, { token: a.staff, json: { guardian_id: b.secondary.id } }),
    422,
    'invalid_field',
  );
  assertError(
    await portal.request('PUT', `${office('primary-a')}/families/${b.family.id}/primary-guardian`, { token: a.staff, json: { guardian_id: b.secondary.id } }),
    404,
    'family_not_found',
  );
  assertError(await portal.request('PUT', `${office('primary-a')}/families/${a.family.id}/primary-guardian`, { token: a.staff, json: {} }), 422, 'invalid_field');
});

test('Family Merge moves the guardians, points the merged family at the target and revokes all secondary access', async () => {
  const { staff, family, primary, secondary } = await portal.familyWithSecondary('merge');
  const other = await secondFamily('merge', staff, 'Park', 'Pia');
  const otherSecondary = await addSecondary('merge', other.primary.token, 'Quin', 'quin@merge.test');

  const res = await portal.request('POST', `${office('merge')}/families/${family.id}/merge`, {
    token: staff,
    json: { from_family_ids: [other.family.id] },
  });
  assert.equal(res.status, 200);
  const status = Object.fromEntries(res.body.guardians.map((g) => [g.first_name, g.access_status]));
  assert.deepEqual(status, { Ann: 'can_log_in', Bob: 'invite_revoked', Pia: 'invite_revoked', Quin: 'invite_revoked' });
  assert.equal(res.body.primary_guardian_id, primary.id);

  const merged = await portal.request('GET', `${office('merge')}/families/${other.family.id}`, { token: staff });
  assert.equal(merged.body.status, 'merged');
  assert.equal(merged.body.merged_into_id, family.id);
  assert.deepEqual(merged.body.guardians, []);
  assertError(
    await portal.request('POST', `${office('merge')}/families/${other.family.id}/guardians`, { token: staff, json: { first_name: 'Late', last_name: 'Comer' } }),
    409,
    'family_merged',
  );

  assert.equal((await portal.request('GET', `${api('merge')}/account`, { token: primary.token })).body.guardians.length, 4);
  for (const t of [secondary.token, other.primary.token, otherSecondary.token]) {
    assertError(await portal.request('GET', `${api('merge')}/account`, { token: t }), 401, 'session_ended');
  }
  await portal.waitForMail('quin@merge.test', (m) => m.kind === 'access_revoked');
  const actions = (await auditOf('merge', family.id)).map((e) => e.action);
  assert.equal(actions.filter((a) => a === 'families_merged').length, 1);
  assert.equal(actions.filter((a) => a === 'access_revoked').length, 3);
  assert.ok((await auditOf('merge', other.family.id)).some((e) => e.action === 'family_merged_into'));

  assertError(
    await portal.request('POST', `${office('merge')}/families/${family.id}/merge`, { token: staff, json: { from_family_ids: [other.family.id] } }),
    409,
    'family_merged',
  );
  assertError(
    await portal.request('POST', `${office('merge')}/families/${family.id}/merge`, { token: staff, json: { from_family_ids: [family.id] } }),
    422,
    'invalid_field',
  );
  assertError(await portal.request('POST', `${office('merge')}/families/${family.id}/merge`, { token: staff, json: { from_family_ids: [] } }), 422, 'invalid_field');
  const foreign = await portal.familyWithSecondary('merge-foreign');
  assertError(
    await portal.request('POST', `${office('merge')}/families/${family.id}/merge`, { token: staff, json: { from_family_ids: [foreign.family.id] } }),
    404,
    'family_not_found',
  );
});

test('two staff members merging overlapping families at once: one wins, nothing is merged twice', async () => {
  const { staff, family } = await portal.familyWithSecondary('race-merge');
  const b = await secondFamily('race-merge', staff, 'Bay', 'Bea');
  const c = await secondFamily('race-merge', staff, 'Cole', 'Cy');
  const [one, two] = await Promise.all([
    portal.request('POST', `${office('race-merge')}/families/${family.id}/merge`, { token: staff, json: { from_family_ids: [b.family.id] } }),
    portal.request('POST', `${office('race-merge')}/families/${c.family.id}/merge`, { token: staff, json: { from_family_ids: [b.family.id] } }),
  ]);
  const statuses = [one.status, two.status].sort();
  assert.deepEqual(statuses, [200, 409], `${one.text} / ${two.text}`);
  const bay = await portal.dbOf('race-merge').prepare('SELECT status, merged_into_id FROM families WHERE id = ?').bind(b.family.id).first();
  assert.equal(bay.status, 'merged');
  const bea = await portal.dbOf('race-merge').prepare('SELECT family_id FROM guardians WHERE id = ?').bind(b.primary.id).first();
  assert.equal(bea.family_id, bay.merged_into_id);
  const merges = await portal.dbOf('race-merge').prepare("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'families_merged' AND org_id = (SELECT org_id FROM families WHERE id = ?)").bind(family.id).first();
  assert.equal(merges.n, 1);
});

test('moving a contact needs a confirmation that names them; then their access ends and the old family is gone for them', async () => {
  const { staff, family, secondary } = await portal.familyWithSecondary('move');
  const other = await secondFamily('move', staff, 'Park', 'Pia');
  const path = `${office('move')}/guardians/${secondary.id}/move`;

  const ask = await portal.request('POST', path, { token: staff, json: { to_family_id: other.family.id } });
  assertError(ask, 409, 'confirmation_required');
  assert.equal(ask.body.error.message, 'Portal access will be disabled for Bob Lee.');
  assert.equal((await portal.request('GET', `${api('move')}/account`, { token: secondary.token })).status, 200, 'nothing changed yet');

  const moved = await portal.request('POST', path, { token: staff, json: { to_family_id: other.family.id, confirm: true } });
  assert.equal(moved.status, 200);
  assert.equal(moved.body.family_id, other.family.id);
  assert.equal(moved.body.access_status, 'invite_revoked');
  assertError(await portal.request('GET', `${api('move')}/account`, { token: secondary.token }), 401, 'session_ended');
  await portal.waitForMail(secondary.email, (m) => m.kind === 'access_revoked');

  // The new family's primary invites; after accepting Bob sees the new family only.
  assert.equal((await portal.request('POST', `${api('move')}/guardians/${secondary.id}/invitation`, { token: other.primary.token })).status, 202);
  const link = await portal.linkToken(secondary.email, 'invitation');
  // Bob's login outlives the move: he accepts with the password he has (one person, one login).
  assertError(await portal.accept('move', link, 'bob-password-2'), 403, 'wrong_password');
  const accepted = await portal.accept('move', link, secondary.password);
  const account = await portal.request('GET', `${api('move')}/account`, { token: accepted.body.token });
  assert.equal(account.body.family.id, other.family.id);
  assert.ok(!account.body.guardians.some((g) => g.family_id === family.id));
  assertError(await portal.request('GET', `${api('move')}/access-history`, { token: accepted.body.token }), 403, 'primary_guardian_only');

  const oldHistory = (await auditOf('move', family.id)).map((e) => e.action);
  assert.ok(oldHistory.includes('contact_moved') && oldHistory.includes('access_revoked'));
  assert.ok((await auditOf('move', other.family.id)).some((e) => e.action === 'contact_moved'));
});

test('a primary guardian cannot be moved, nor a contact into their own family', async () => {
  const { staff, family, primary, secondary } = await portal.familyWithSecondary('move-rules');
  const other = await secondFamily('move-rules', staff, 'Park', 'Pia');
  assertError(
    await portal.request('POST', `${office('move-rules')}/guardians/${primary.id}/move`, { token: staff, json: { to_family_id: other.family.id, confirm: true } }),
    409,
    'cannot_move_primary',
  );
  assertError(
    await portal.request('POST', `${office('move-rules')}/guardians/${secondary.id}/move`, { token: staff, json: { to_family_id: family.id, confirm: true } }),
    409,
    'already_in_family',
  );
  assertError(
    await portal.request('POST', `${office('move-rules')}/guardians/${secondary.id}/move`, { token: staff, json: { to_family_id: 'fam_nope', confirm: true } }),
    404,
    'family_not_found',
  );
});

test("the audit query filters by family and guardian and refuses another organization's ids", async () => {
  const a = await portal.familyWithSecondary('audit-a');
  const b = await portal.familyWithSecondary('audit-b');
  const byFamily = await portal.request('GET', `${office('audit-a')}/audit?family_id=${a.family.id}`, { token: a.staff });
  assert.equal(byFamily.status, 200);
  assert.ok(byFamily.body.entries.length >= 6);
  for (const e of byFamily.body.entries) for (const k of ['at', 'actor', 'action', 'target', 'reason']) assert.ok(k in e, k);
  const byGuardian = await portal.request('GET', `${office('audit-a')}/audit?guardian_id=${a.secondary.id}`, { token: a.staff });
  assert.ok(byGuardian.body.entries.every((e) => e.target_id === a.secondary.id));
  assertError(await portal.request('GET', `${office('audit-a')}/audit?family_id=${b.family.id}`, { token: a.staff }), 404, 'family_not_found');
  assertError(await portal.request('GET', `${office('audit-a')}/audit?guardian_id=${b.secondary.id}`, { token: a.staff }), 404, 'guardian_not_found');
});
