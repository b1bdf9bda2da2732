// One person, several families: a login reaches every family it may; access stays per family.
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

/** A family whose primary accepted: {family, primary: {id, token, email, password}}. */
async function familyWithPrimary(slug, staff, name, first) {
  const email = `${first.toLowerCase()}@${slug}.test`;
  const family = await portal.createFamily(slug, staff, name, { first_name: first, last_name: name, email });
  const id = family.primary_guardian_id;
  const sent = await portal.request('POST', `${office(slug)}/guardians/${id}/invitation`, { token: staff });
  assert.equal(sent.status, 202, sent.text);
  const accepted = await portal.accept(slug, await portal.linkToken(email, 'invitation'), `${first}-password-1`);
  assert.equal(accepted.status, 200, accepted.text);
  return { family, primary: { id, token: accepted.body.token, email, password: `${first}-password-1` } };
}

/**
 * Sam is the primary of North; South's primary, Tess, adds Sam (same address) and invites them;
 * Sam accepts with the password they already have. Returns everything with Sam's two sessions.
 */
async function samInNorthAndSouth(slug) {
  const org = await portal.createOrganization(slug);
  const staff = await portal.staffSignIn(slug, org.owner_email, org.owner_password);
  const north = await familyWithPrimary(slug, staff, 'North', 'Sam');
  const south = await familyWithPrimary(slug, staff, 'South', 'Tess');
  const added = await portal.request('POST', `${api(slug)}/guardians`, {
    token: south.primary.token,
    json: { first_name: 'Samuel', last_name: 'Typo', email: north.primary.email.toUpperCase() },
  });
  assert.equal(added.status, 201, added.text);
  const sent = await portal.request('POST', `${api(slug)}/guardians/${added.body.id}/invitation`, { token: south.primary.token });
  assert.equal(sent.status, 202, sent.text);
  const [mail] = await portal.waitForMail(north.primary.email, (m) => m.kind === 'invitation' && /South/.test(m.text));
  assert.match(mail.text, /the South family account/, 'the e-mail says which family invites them');
  const link = /\/invitations\/([A-Za-z0-9_-]{43})/.exec(mail.text)[1];

  const status = await portal.request('GET', `${api(slug)}/invitations/${link}`);
  assert.equal(status.body.has_login, true, 'the invitee is told to use the login they have');
  assertError(await portal.accept(slug, link, 'a-brand-new-password'), 403, 'wrong_password');
  const accepted = await portal.accept(slug, link, north.primary.password);
  assert.equal(accepted.status, 200, accepted.text);
  assert.equal(accepted.body.family_id, south.family.id);
  assert.deepEqual(
    accepted.body.families.map((f) => [f.name, f.is_current]),
    [['North', false], ['South', true]],
  );
  const sam = {
    email: north.primary.email,
    password: north.primary.password,
    north: { id: north.primary.id, token: north.primary.token },
    south: { id: added.body.id, token: accepted.body.token },
  };
  return { org, staff, north, south, sam };
}

test('an invitation to an address that already signs in joins the family to that login; sign-in lists both', async () => {
  const { south, sam, staff } = await samInNorthAndSouth('two-fam');
  // The login's details win over what South typed: Sam owns them.
  const seen = await portal.request('GET', `${api('two-fam')}/account`, { token: south.primary.token });
  const samInSouth = seen.body.guardians.find((g) => g.id === sam.south.id);
  assert.deepEqual([samInSouth.first_name, samInSouth.last_name, samInSouth.access_status], ['Sam', 'North', 'can_log_in']);
  assert.equal(samInSouth.contact_editable, false, "South's primary sees Sam's details read-only");

  const signIn = await portal.request('POST', `${api('two-fam')}/session`, { json: { email: sam.email, password: sam.password } });
  assert.equal(signIn.status, 200);
  assert.equal(signIn.body.family_id, (await familyIdOf(staff, 'two-fam', 'North')), 'the first family by name');
  assert.deepEqual(signIn.body.families.map((f) => f.name), ['North', 'South']);
  const chosen = await portal.request('POST', `${api('two-fam')}/session`, {
    json: { email: sam.email, password: sam.password, family_id: south.family.id },
  });
  assert.equal(chosen.body.family_id, south.family.id);
  assert.equal(chosen.body.guardian.id, sam.south.id, 'a session is for one membership');
  assertError(
    await portal.request('POST', `${api('two-fam')}/session`, { json: { email: sam.email, password: sam.password, family_id: 'fam_nope' } }),
    403,
    'family_access_denied',
  );
});

async function familyIdOf(staff, slug, name) {
  const res = await portal.request('GET', `${office(slug)}/families?q=${name}`, { token: staff });
  return res.body.families.find((f) => f.name === name).id;
}

test('switching family gives a new session there and ends the old one; each family sees only its own data', async () => {
  const { north, south, sam } = await samInNorthAndSouth('switch');
  const before = await portal.request('GET', `${api('switch')}/account`, { token: sam.north.token });
  assert.equal(before.body.family.name, 'North');
  assert.deepEqual(before.body.families.map((f) => [f.name, f.is_current]), [['North', true], ['South', false]]);

  const switched = await portal.request('POST', `${api('switch')}/session/family`, { token: sam.north.token, json: { family_id: south.family.id } });
  assert.equal(switched.status, 200, switched.text);
  assert.match(switched.headers.get('set-cookie'), /^portal_session=/);
  assertError(await portal.request('GET', `${api('switch')}/account`, { token: sam.north.token }), 401, 'session_ended');
  const now = await portal.request('GET', `${api('switch')}/account`, { token: switched.body.token });
  assert.equal(now.body.family.id, south.family.id);
  assert.deepEqual(now.body.guardians.map((g) => g.first_name).sort(), ['Sam', 'Tess']);
  assert.ok(!JSON.stringify([now.body.family, now.body.guardians]).includes(north.family.id), "nothing of North shows in South's account");
  const tessView = await portal.request('GET', `${api('switch')}/account`, { token: south.primary.token });
  assert.ok(!tessView.text.includes(north.family.id), "South's primary sees nothing of North");
  assert.ok(!tessView.text.includes('North family'));
  assert.equal(now.body.me.is_primary, false, 'Sam is a secondary in South');

  // South's primary cannot read North's history about Sam.
  const history = await portal.request('GET', `${api('switch')}/access-history`, { token: south.primary.token });
  assert.ok(history.body.entries.length > 0);
  assert.ok(!history.text.includes(north.family.id));
  assert.ok(!history.text.includes('North family'));

  assertError(
    await portal.request('POST', `${api('switch')}/session/family`, { token: switched.body.token, json: { family_id: 'fam_unknown' } }),
    404,
    'family_not_found',
  );
  assertError(
    await portal.request('POST', `${api('switch')}/session/family`, { token: switched.body.token, json: { family: 'x' } }),
    422,
    'invalid_field',
  );
});

test('revoked in one family: refused there at the next request, still in the other; sign-in lands in what is left', async () => {
  const { staff, north, south, sam } = await samInNorthAndSouth('revoke-one');
  const sandbox = await portal.request('PATCH', `${office('revoke-one')}/settings/portal-options`, { token: staff, json: { payment_gateway: { kind: 'sandbox' } } });
  assert.equal(sandbox.status, 200, sandbox.text);
  const card = (last4) => ({ kind: 'card', gateway_token: `tok_${last4}`, last4, exp_month: 12, exp_year: 2035 });
  assert.equal((await portal.request('POST', `${api('revoke-one')}/payment-methods`, { token: sam.north.token, json: card('4242') })).status, 201);
  assert.equal((await portal.request('POST', `${api('revoke-one')}/payment-methods`, { token: sam.south.token, json: card('4444') })).status, 201);
  const preview = await portal.request('POST', `${api('revoke-one')}/guardians/${sam.south.id}/revoke?dry_run=true`, { token: south.primary.token });
  assert.equal(preview.body.preview.sessions_ended, 1, "only Sam's session in South");
  const previewed = JSON.stringify(preview.body.preview);
  assert.ok(previewed.includes('4444') && !previewed.includes('4242'), `only the card saved in South: ${previewed}`);
  const revoked = await portal.request('POST', `${api('revoke-one')}/guardians/${sam.south.id}/revoke`, {
    token: south.primary.token,
    json: { reason: 'Custody changed' },
  });
  assert.equal(revoked.status, 200, revoked.text);
  assertError(await portal.request('GET', `${api('revoke-one')}/account`, { token: sam.south.token }), 401, 'session_ended');
  const stillNorth = await portal.request('GET', `${api('revoke-one')}/account`, { token: sam.north.token });
  assert.equal(stillNorth.status, 200);
  assert.deepEqual(stillNorth.body.families.map((f) => f.name), ['North']);
  const northCards = await portal.request('GET', `${api('revoke-one')}/payment-methods`, { token: sam.north.token });
  assert.deepEqual(northCards.body.payment_methods.map((m) => m.last4), ['4242'], 'the card saved in North stays');
  const southCards = await portal.request('GET', `${api('revoke-one')}/payment-methods`, { token: south.primary.token });
  assert.deepEqual(southCards.body.payment_methods.map((m) => m.last4), [], "the card Sam saved in South is gone");
  const [mail] = await portal.waitForMail(sam.email, (m) => m.kind === 'access_revoked');
  assert.match(mail.text, /the South family account/, 'the e-mail names the family');

  const signIn = await portal.request('POST', `${api('revoke-one')}/session`, { json: { email: sam.email, password: sam.password } });
  assert.equal(signIn.body.family_id, north.family.id);
  assertError(
    await portal.request('POST', `${api('revoke-one')}/session/family`, { token: signIn.body.token, json: { family_id: south.family.id } }),
    403,
    'family_access_denied',
  );
});

test("staff's bulk import revokes the person in one family only", async () => {
  const { staff, north, sam } = await samInNorthAndSouth('bulk-one');
  const report = await portal.request('GET', `${office('bulk-one')}/reports/portal-access.csv`, { token: staff });
  const lines = report.text.trim().split(/\r?\n/);
  const samLines = lines.filter((l) => l.includes(sam.south.id) || l.includes(sam.north.id));
  assert.equal(samLines.length, 2, 'the report lists each membership');
  const southLine = samLines.find((l) => l.includes(sam.south.id)).replace(/,Yes$/, ',No');
  const upload = await portal.request('POST', `${office('bulk-one')}/imports/portal-access?update_matching=true&dry_run=false`, {
    token: staff,
    body: `${lines[0]}\n${southLine}\n`,
    headers: { 'content-type': 'text/csv' },
  });
  assert.equal(upload.status, 202, upload.text);
  const job = await portal.waitFor(async () => {
    const res = await portal.request('GET', `${office('bulk-one')}/imports/${upload.body.job_id}`, { token: staff });
    return res.body.status === 'done' ? res.body : null;
  }, 'import');
  assert.equal(job.updated, 1);
  assertError(await portal.request('GET', `${api('bulk-one')}/account`, { token: sam.south.token }), 401, 'session_ended');
  assert.equal((await portal.request('GET', `${api('bulk-one')}/account`, { token: sam.north.token })).status, 200);
  const family = await portal.request('GET', `${office('bulk-one')}/families/${north.family.id}`, { token: staff });
  assert.equal(family.body.guardians[0].access_status, 'can_log_in');
});

test('a password reset is the login’s: it ends the sessions in both families', async () => {
  const { sam } = await samInNorthAndSouth('reset-both');
  const asked = await portal.request('POST', `${api('reset-both')}/password-reset/request`, { json: { email: sam.email } });
  assert.equal(asked.status, 202);
  const token = await portal.linkToken(sam.email, 'password_reset', 'password-reset');
  const done = await portal.request('POST', `${api('reset-both')}/password-reset/complete`, { json: { token, new_password: 'a-new-password-2' } });
  assert.equal(done.status, 204, done.text);
  assertError(await portal.request('GET', `${api('reset-both')}/account`, { token: sam.north.token }), 401, 'session_ended');
  assertError(await portal.request('GET', `${api('reset-both')}/account`, { token: sam.south.token }), 401, 'session_ended');
  assertError(await portal.request('POST', `${api('reset-both')}/session`, { json: { email: sam.email, password: sam.password } }), 401, 'invalid_credentials');
  const again = await portal.request('POST', `${api('reset-both')}/session`, { json: { email: sam.email, password: 'a-new-password-2' } });
  assert.deepEqual(again.body.families.map((f) => f.name), ['North', 'South']);
});

test('a password change ends the other sessions in every family, keeping the current one', async () => {
  const { sam } = await samInNorthAndSouth('change-both');
  const changed = await portal.request('POST', `${api('change-both')}/me/password`, {
    token: sam.north.token,
    json: { current_password: sam.password, new_password: 'changed-password-3' },
  });
  assert.equal(changed.status, 204, changed.text);
  assert.equal((await portal.request('GET', `${api('change-both')}/account`, { token: sam.north.token })).status, 200);
  assertError(await portal.request('GET', `${api('change-both')}/account`, { token: sam.south.token }), 401, 'session_ended');
});

test('their own contact details, edited once, show in every family', async () => {
  const { staff, south, sam } = await samInNorthAndSouth('contact-both');
  const edited = await portal.request('PATCH', `${api('contact-both')}/guardians/${sam.north.id}`, {
    token: sam.north.token,
    json: { phone: '+1 555 0199', last_name: 'Rivers' },
  });
  assert.equal(edited.status, 200, edited.text);
  const seen = await portal.request('GET', `${office('contact-both')}/families/${south.family.id}`, { token: staff });
  const samInSouth = seen.body.guardians.find((g) => g.id === sam.south.id);
  assert.deepEqual([samInSouth.last_name, samInSouth.phone], ['Rivers', '+1 555 0199']);
  assertError(
    await portal.request('PATCH', `${api('contact-both')}/guardians/${sam.south.id}`, { token: south.primary.token, json: { phone: '+1 555 0100' } }),
    403,
    'contact_locked',
  );
  // A login address is one person's.
  assertError(
    await portal.request('PATCH', `${api('contact-both')}/guardians/${sam.north.id}`, { token: sam.north.token, json: { email: south.primary.email } }),
    409,
    'email_in_use',
  );
});

test('merging two families where the same person is a guardian in both leaves one membership', async () => {
  const { staff, north, south, sam } = await samInNorthAndSouth('merge-both');
  const merged = await portal.request('POST', `${office('merge-both')}/families/${north.family.id}/merge`, {
    token: staff,
    json: { from_family_ids: [south.family.id] },
  });
  assert.equal(merged.status, 200, merged.text);
  const names = merged.body.guardians.map((g) => [g.id, g.first_name, g.access_status]);
  assert.deepEqual(names, [
    [sam.north.id, 'Sam', 'can_log_in'],
    [south.primary.id, 'Tess', 'invite_revoked'],
  ]);
  assertError(await portal.request('GET', `${api('merge-both')}/account`, { token: sam.south.token }), 401, 'session_ended');
  const account = await portal.request('GET', `${api('merge-both')}/account`, { token: sam.north.token });
  assert.deepEqual(account.body.families.map((f) => f.name), ['North']);
  const history = await portal.request('GET', `${office('merge-both')}/audit?guardian_id=${sam.north.id}`, { token: staff });
  assert.equal(history.status, 200, history.text);
  assert.ok(history.body.entries.some((e) => e.action === 'guardian_folded'), history.text);
  const southHistory = await portal.request('GET', `${office('merge-both')}/audit?family_id=${south.family.id}`, { token: staff });
  assert.ok(
    southHistory.body.entries.some((e) => e.action === 'invitation_accepted' && JSON.stringify(e).includes(sam.south.id)),
    'the merged family keeps its history of the folded membership',
  );
});

test('moving their membership ends it in the old family only; a family that lists them already is refused', async () => {
  const { staff, north, south, sam } = await samInNorthAndSouth('move-one');
  const path = `${office('move-one')}/guardians/${sam.south.id}/move`;
  assertError(
    await portal.request('POST', path, { token: staff, json: { to_family_id: north.family.id, confirm: true } }),
    409,
    'already_in_family',
  );
  const west = await portal.createFamily('move-one', staff, 'West', { first_name: 'Wes', last_name: 'West', email: 'wes@move-one.test' });
  const moved = await portal.request('POST', path, { token: staff, json: { to_family_id: west.id, confirm: true } });
  assert.equal(moved.status, 200, moved.text);
  assertError(await portal.request('GET', `${api('move-one')}/account`, { token: sam.south.token }), 401, 'session_ended');
  const still = await portal.request('GET', `${api('move-one')}/account`, { token: sam.north.token });
  assert.deepEqual(still.body.families.map((f) => f.name), ['North']);
  const westNow = await portal.request('GET', `${office('move-one')}/families/${west.id}`, { token: staff });
  const samInWest = westNow.body.guardians.find((g) => g.id === sam.south.id);
  assert.equal(samInWest.access_status, 'invite_revoked', 'in the new family without access');
  const southNow = await portal.request('GET', `${office('move-one')}/families/${south.family.id}`, { token: staff });
  assert.deepEqual(southNow.body.guardians.map((g) => g.first_name), ['Tess']);
});
