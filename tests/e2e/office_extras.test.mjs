// The Office Portal extras against the built worker: staff rename a family, edit a guardian's
// contact details (never the e-mail someone logs in with) and a student, and take a payment (cash,
// check, or a saved method charged at the gateway) once per Idempotency-Key.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPortal, assertError, BASE } from './harness.mjs';

const SLUG = 'extras';
const OTHER = 'extras-other';
const office = (slug = SLUG) => `/office/${slug}/api`;

let portal;
/** {staff, family, primary, secondary, org} of the organization under test, and of another one. */
let here;
let there;
before(async () => {
  portal = await startPortal();
  here = await portal.familyWithSecondary(SLUG);
  there = await portal.familyWithSecondary(OTHER);
});
after(async () => {
  await portal?.close();
});

const staff = (method, path, options = {}) => portal.request(method, `${office()}${path}`, { token: here.staff, ...options });

async function addContact(contact) {
  const res = await staff('POST', `/families/${here.family.id}/guardians`, { json: contact });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

async function addStudent(slug, token, familyId, birth_date = '2016-04-02') {
  const res = await portal.request('POST', `${office(slug)}/families/${familyId}/students`, {
    token,
    json: { first_name: 'Mia', last_name: 'Lee', birth_date },
  });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

async function ledgerRows(familyId, kind = 'payment') {
  const { results } = await portal.db.prepare('SELECT * FROM ledger_entries WHERE family_id = ? AND kind = ?').bind(familyId, kind).all();
  return results;
}

async function charge(familyId, amount_cents) {
  const res = await staff('POST', `/families/${familyId}/ledger`, { json: { kind: 'charge', amount_cents, description: 'Tuition' } });
  assert.equal(res.status, 201, res.text);
}

const pay = (familyId, json, key) =>
  staff('POST', `/families/${familyId}/payments`, { json, headers: key === undefined ? {} : { 'idempotency-key': key } });

/** The organization takes payments through the sandbox gateway; the primary saves a card. */
async function savedCard(setup, slug, token = 'tok_visa') {
  const options = await portal.request('PATCH', `${office(slug)}/settings/portal-options`, {
    token: setup.staff,
    json: { payment_gateway: { kind: 'sandbox' } },
  });
  assert.equal(options.status, 200, options.text);
  const saved = await portal.request('POST', `/portal/${slug}/api/payment-methods`, {
    token: setup.primary.token,
    json: { kind: 'card', gateway_token: token, last4: '4242', exp_month: 12, exp_year: 2035 },
  });
  assert.equal(saved.status, 201, saved.text);
  return saved.body;
}

test('staff_rename_a_family', async () => {
  const res = await staff('PATCH', `/families/${here.family.id}`, { json: { name: '  Lee-Park  ' } });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.name, 'Lee-Park', 'the name is trimmed');
  assert.equal(res.body.id, here.family.id);
  assert.equal(res.body.guardians.length, 2, 'the answer is the family with its guardians');
  const shown = await staff('GET', `/families/${here.family.id}`);
  assert.equal(shown.body.name, 'Lee-Park');
  const history = await staff('GET', `/audit?family_id=${here.family.id}`);
  const renamed = history.body.entries.find((e) => e.action === 'family_renamed');
  assert.ok(renamed, history.text);
  assert.equal(renamed.target, 'Lee-Park');
  assert.equal(renamed.reason, 'Formerly Lee.');
});

test('a_merged_family_keeps_its_name', async () => {
  const park = await portal.createFamily(SLUG, here.staff, 'Park', { first_name: 'Pat', last_name: 'Park', email: 'pat@extras.test' });
  const parks = await portal.createFamily(SLUG, here.staff, 'Parks', { first_name: 'Peg', last_name: 'Park', email: 'peg@extras.test' });
  const merged = await staff('POST', `/families/${parks.id}/merge`, { json: { from_family_ids: [park.id] } });
  assert.equal(merged.status, 200, merged.text);
  assertError(await staff('PATCH', `/families/${park.id}`, { json: { name: 'Parks' } }), 409, 'family_merged');
  assert.equal((await staff('GET', `/families/${park.id}`)).body.name, 'Park');
});

test('renaming_refuses_bad_input_and_other_organizations_families', async () => {
  const path = `/families/${here.family.id}`;
  for (const [json, field] of [
    [{ name: 5 }, 'name'],
    [{ name: '   ' }, 'name'],
    [{ name: 'x'.repeat(121) }, 'name'],
    [{ name: 'Lee\u202Eeel' }, 'name'],
    [{}, 'name'],
    [{ name: 'Lee', nickname: 'L' }, 'nickname'],
  ]) {
    const res = await staff('PATCH', path, { json });
    assertError(res, 422, 'invalid_field');
    assert.equal(res.body.error.field, field, res.text);
  }
  assertError(await staff('PATCH', '/families/fam_nope', { json: { name: 'Nope' } }), 404, 'family_not_found');
  assertError(await staff('PATCH', `/families/${there.family.id}`, { json: { name: 'Taken over' } }), 404, 'family_not_found');
  assert.equal((await portal.request('GET', `${office(OTHER)}/families/${there.family.id}`, { token: there.staff })).body.name, 'Lee');
  const malformed = await staff('PATCH', path, { body: '{"name": ', headers: { 'content-type': 'application/json' } });
  assertError(malformed, 400, 'malformed_json');
  const notJson = await portal.request('PATCH', `${office()}${path}`, {
    headers: { cookie: `office_session=${here.staff}`, origin: BASE, 'content-type': 'text/plain' },
    body: '{"name":"Plain"}',
  });
  assertError(notJson, 415, 'unsupported_media_type');
});

test('staff_edit_a_guardians_contact_details_and_only_the_fields_sent_change', async () => {
  const cal = await addContact({ first_name: 'Cal', last_name: 'Lee', phone: '+1 555 0101' });
  const phoned = await staff('PATCH', `/guardians/${cal.id}`, { json: { phone: '+1 555 0199' } });
  assert.equal(phoned.status, 200, phoned.text);
  assert.equal(phoned.body.phone, '+1 555 0199');
  assert.equal(phoned.body.first_name, 'Cal');
  assert.equal(phoned.body.email, null);
  assert.equal(phoned.body.contact_editable, true, 'staff are offered Edit');
  const mailed = await staff('PATCH', `/guardians/${cal.id}`, { json: { email: 'cal@extras.test', last_name: 'Lee-Park' } });
  assert.equal(mailed.status, 200, mailed.text);
  assert.deepEqual([mailed.body.email, mailed.body.last_name, mailed.body.phone], ['cal@extras.test', 'Lee-Park', '+1 555 0199']);
  const cleared = await staff('PATCH', `/guardians/${cal.id}`, { json: { email: null, phone: '' } });
  assert.deepEqual([cleared.body.email, cleared.body.phone], [null, null]);
  assertError(await staff('PATCH', `/guardians/${cal.id}`, { json: { email: here.primary.email } }), 409, 'email_in_use');
});

test('staff_cannot_change_the_login_email_of_a_guardian_who_can_log_in', async () => {
  const bob = here.secondary;
  const refused = await staff('PATCH', `/guardians/${bob.id}`, { json: { email: 'robert@extras.test', first_name: 'Robert' } });
  assertError(refused, 409, 'login_email');
  assert.equal(refused.body.error.field, 'email');
  const family = await staff('GET', `/families/${here.family.id}`);
  const seen = family.body.guardians.find((g) => g.id === bob.id);
  assert.deepEqual([seen.email, seen.first_name], [bob.email, 'Bob'], 'a refused edit changes nothing');
  // Their name may change; the address they sent, unchanged, is no change at all.
  const renamed = await staff('PATCH', `/guardians/${bob.id}`, { json: { email: bob.email, first_name: 'Robert' } });
  assert.equal(renamed.status, 200, renamed.text);
  assert.equal(renamed.body.first_name, 'Robert');
  assert.equal(renamed.body.access_status, 'can_log_in');
  const signedIn = await portal.request('POST', `/portal/${SLUG}/api/session`, { json: { email: bob.email, password: bob.password } });
  assert.equal(signedIn.status, 200, 'they still log in with their address');
});

test('changing_the_email_of_an_invited_guardian_withdraws_the_invitation', async () => {
  const dee = await addContact({ first_name: 'Dee', last_name: 'Lee', email: 'dee@extras.test' });
  const sent = await portal.request('POST', `/portal/${SLUG}/api/guardians/${dee.id}/invitation`, { token: here.primary.token });
  assert.equal(sent.status, 202, sent.text);
  const link = await portal.linkToken('dee@extras.test', 'invitation');
  const edited = await staff('PATCH', `/guardians/${dee.id}`, { json: { email: 'dee.lee@extras.test' } });
  assert.equal(edited.status, 200, edited.text);
  assert.equal(edited.body.email, 'dee.lee@extras.test');
  assert.equal(edited.body.access_status, 'no_access', 'the invitation went to the old address');
  const accepted = await portal.accept(SLUG, link, 'dee-password-1');
  assert.ok(accepted.status >= 400 && accepted.status < 500, `the old link no longer works: ${accepted.status} ${accepted.text}`);
});

test('editing_a_guardian_refuses_bad_input_and_other_organizations_guardians', async () => {
  const path = `/guardians/${here.primary.id}`;
  for (const [json, field] of [
    [{ first_name: 7 }, 'first_name'],
    [{ last_name: '' }, 'last_name'],
    [{ email: 'not-an-address' }, 'email'],
    [{ phone: 'call me' }, 'phone'],
    [{ nickname: 'Annie' }, 'nickname'],
  ]) {
    const res = await staff('PATCH', path, { json });
    assertError(res, 422, 'invalid_field');
    assert.equal(res.body.error.field, field, res.text);
  }
  assertError(await staff('PATCH', '/guardians/gdn_nope', { json: { first_name: 'X' } }), 404, 'guardian_not_found');
  assertError(await staff('PATCH', `/guardians/${there.secondary.id}`, { json: { first_name: 'X' } }), 404, 'guardian_not_found');
  assertError(await staff('PATCH', path, { body: 'nope', headers: { 'content-type': 'application/json' } }), 400, 'malformed_json');
});

test('staff_edit_a_students_birth_date', async () => {
  const mia = await addStudent(SLUG, here.staff, here.family.id);
  const res = await staff('PATCH', `/students/${mia.id}`, { json: { birth_date: '2015-09-30' } });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(
    [res.body.id, res.body.family_id, res.body.first_name, res.body.last_name, res.body.birth_date],
    [mia.id, here.family.id, 'Mia', 'Lee', '2015-09-30'],
  );
  const named = await staff('PATCH', `/students/${mia.id}`, { json: { first_name: 'Amelia', birth_date: null } });
  assert.deepEqual([named.body.first_name, named.body.birth_date], ['Amelia', '2015-09-30']);
  const listed = await portal.request('GET', `/portal/${SLUG}/api/students`, { token: here.primary.token });
  assert.equal(listed.body.students.find((s) => s.id === mia.id).birth_date, '2015-09-30', 'the family sees the change');
});

test('editing_a_student_refuses_bad_input_and_other_organizations_students', async () => {
  const mia = await addStudent(SLUG, here.staff, here.family.id);
  for (const [json, field] of [
    [{ birth_date: '2999-01-01' }, 'birth_date'],
    [{ birth_date: 20150930 }, 'birth_date'],
    [{ birth_date: '30/09/2015' }, 'birth_date'],
    [{ first_name: ' ' }, 'first_name'],
    [{ grade: 3 }, 'grade'],
  ]) {
    const res = await staff('PATCH', `/students/${mia.id}`, { json });
    assertError(res, 422, 'invalid_field');
    assert.equal(res.body.error.field, field, res.text);
  }
  const theirs = await addStudent(OTHER, there.staff, there.family.id);
  assertError(await staff('PATCH', `/students/${theirs.id}`, { json: { birth_date: '2015-01-01' } }), 404, 'student_not_found');
  assertError(await staff('PATCH', '/students/stu_nope', { json: { birth_date: '2015-01-01' } }), 404, 'student_not_found');
});

test('a_cash_payment_taken_twice_with_one_idempotency_key_is_one_payment', async () => {
  const family = await portal.createFamily(SLUG, here.staff, 'Cash', { first_name: 'Cy', last_name: 'Cash', email: 'cy@extras.test' });
  await charge(family.id, 9000);
  const body = { amount_cents: 2500, method: 'cash', reference: 'receipt 12' };
  const [a, b] = await Promise.all([pay(family.id, body, 'desk-1'), pay(family.id, body, 'desk-1')]);
  const c = await pay(family.id, body, 'desk-1');
  for (const r of [a, b, c]) assert.equal(r.status, 201, r.text);
  assert.equal(new Set([a.body.id, b.body.id, c.body.id]).size, 1, 'one payment');
  assert.equal(c.body.replayed, true);
  assert.deepEqual(
    [c.body.method, c.body.amount_cents, c.body.reference, c.body.status, c.body.payment_method_id, c.body.family_id],
    ['cash', 2500, 'receipt 12', 'succeeded', null, family.id],
  );
  const rows = await ledgerRows(family.id);
  assert.equal(rows.length, 1, 'the ledger has one payment');
  assert.equal(rows[0].description, 'Cash payment (receipt 12)');
  assert.equal(rows[0].payment_id, c.body.id);
  assertError(await pay(family.id, { ...body, amount_cents: 2600 }, 'desk-1'), 409, 'idempotency_key_reused');
  const ledger = await staff('GET', `/families/${family.id}/ledger`);
  assert.equal(ledger.body.balance.outstanding_cents, 6500);
  // The same key for another family is another payment.
  const check = await pay(here.family.id, { amount_cents: 1000, method: 'check', reference: 'no. 1042' }, 'desk-1');
  assert.equal(check.status, 201, check.text);
  assert.equal(check.body.replayed, false);
  assert.equal((await ledgerRows(here.family.id)).find((r) => r.payment_id === check.body.id).description, 'Check payment (no. 1042)');
});

test('a_saved_method_payment_is_charged_once_at_the_gateway', async () => {
  const card = await savedCard(here, SLUG);
  const json = { amount_cents: 1800, method: 'saved_method', payment_method_id: card.id };
  const [a, b] = await Promise.all([pay(here.family.id, json, 'desk-card-1'), pay(here.family.id, json, 'desk-card-1')]);
  const c = await pay(here.family.id, json, 'desk-card-1');
  for (const r of [a, b, c]) assert.equal(r.status, 201, r.text);
  assert.equal(new Set([a.body.id, b.body.id, c.body.id]).size, 1);
  assert.equal(c.body.status, 'succeeded');
  assert.equal(c.body.payment_method_id, card.id);
  assert.ok(c.body.gateway_charge_ref, c.text);
  const { results: charges } = await portal.db
    .prepare("SELECT * FROM sandbox_gateway_calls WHERE org_id = ? AND operation = 'charge' AND outcome = 'ok'")
    .bind(here.org.id)
    .all();
  assert.equal(charges.length, 1, 'charged once at the gateway');
  assert.equal(charges[0].amount_cents, 1800);
  const rows = (await ledgerRows(here.family.id)).filter((r) => r.payment_id === c.body.id);
  assert.equal(rows.length, 1);
  assert.match(rows[0].description, /^Payment with .*4242/);
});

test('a_declined_saved_method_enters_nothing_in_the_ledger', async () => {
  const card = await savedCard(there, OTHER, 'tok_decline');
  const res = await portal.request('POST', `${office(OTHER)}/families/${there.family.id}/payments`, {
    token: there.staff,
    json: { amount_cents: 500, method: 'saved_method', payment_method_id: card.id },
    headers: { 'idempotency-key': 'desk-declined' },
  });
  assertError(res, 402, 'payment_declined');
  assert.deepEqual(await ledgerRows(there.family.id), []);
});

test('taking_a_payment_refuses_bad_input_and_other_organizations_ids', async () => {
  const family = await portal.createFamily(SLUG, here.staff, 'Refused', { first_name: 'Ray', last_name: 'Fused', email: 'ray@extras.test' });
  let n = 0;
  const key = () => `bad-${(n += 1)}`;
  assertError(await pay(family.id, { amount_cents: 100, method: 'cash' }), 400, 'idempotency_key_required');
  for (const [json, field] of [
    [{ amount_cents: '100', method: 'cash' }, 'amount_cents'],
    [{ amount_cents: 0, method: 'cash' }, 'amount_cents'],
    [{ amount_cents: 100_000_001, method: 'check' }, 'amount_cents'],
    [{ amount_cents: 100, method: 'card' }, 'method'],
    [{ amount_cents: 100 }, 'method'],
    [{ amount_cents: 100, method: 'cash', payment_method_id: 'pm_1' }, 'payment_method_id'],
    [{ amount_cents: 100, method: 'saved_method' }, 'payment_method_id'],
    [{ amount_cents: 100, method: 'check', reference: 'line\nbreak' }, 'reference'],
    [{ amount_cents: 100, method: 'cash', tip: 5 }, 'tip'],
  ]) {
    const res = await pay(family.id, json, key());
    assertError(res, 422, 'invalid_field');
    assert.equal(res.body.error.field, field, res.text);
  }
  const badKey = await pay(family.id, { amount_cents: 100, method: 'cash' }, 'with space');
  assertError(badKey, 422, 'invalid_field');
  assert.equal(badKey.body.error.field, 'idempotency_key');
  assertError(await pay(family.id, { amount_cents: 100, method: 'check', reference: '4242 4242 4242 4242' }, key()), 422, 'card_number_refused');
  assertError(await pay('fam_nope', { amount_cents: 100, method: 'cash' }, key()), 404, 'family_not_found');
  assertError(await pay(there.family.id, { amount_cents: 100, method: 'cash' }, key()), 404, 'family_not_found');
  assertError(await pay(family.id, { amount_cents: 100, method: 'saved_method', payment_method_id: 'pm_nope' }, key()), 404, 'payment_method_not_found');
  // A saved method of another family, here or in another organization, is not this family's.
  for (const card of [await savedCard(here, SLUG, 'tok_mc'), await savedCard(there, OTHER, 'tok_visa')]) {
    const other = await pay(family.id, { amount_cents: 100, method: 'saved_method', payment_method_id: card.id }, key());
    assertError(other, 404, 'payment_method_not_found');
  }
  const malformed = await staff('POST', `/families/${family.id}/payments`, {
    body: '{"amount_cents": 1',
    headers: { 'content-type': 'application/json', 'idempotency-key': key() },
  });
  assertError(malformed, 400, 'malformed_json');
  assert.deepEqual(await ledgerRows(family.id), [], 'nothing was taken');
  const { results: claimed } = await portal.db.prepare('SELECT * FROM staff_payments WHERE family_id = ?').bind(family.id).all();
  assert.deepEqual(claimed, []);
});
