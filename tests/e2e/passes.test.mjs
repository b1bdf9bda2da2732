// Punch passes: staff sell them and redeem punches; the family sees them (show_passes) and redeems
// a punch (allow_pass_redemption) into a one-day enrollment of kind `pass`. A pass never goes below
// zero punches and a class never overfills on a day, whatever runs at the same time.
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

/** `YYYY-MM-DD` of the `weekday` (0 Sunday … 6 Saturday) at least `weeks` weeks after today (UTC). */
function coming(weekday, weeks = 1) {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + 7 * weeks + ((weekday - d.getUTCDay() + 7) % 7));
  return d.toISOString().slice(0, 10);
}
const MONDAY = coming(1);
const TUESDAY = coming(2);

/** An organization with a location, a Mon/Wed class, a family (primary Ann, secondary Bob) and a student, Mia. */
async function school(slug, options = { show_passes: true, allow_pass_redemption: true }) {
  const f = await portal.familyWithSecondary(slug);
  const post = (path, json, token = f.staff) => portal.request('POST', `${office(slug)}${path}`, { token, json });
  const location = await post('/locations', { name: 'Main Pool' });
  assert.equal(location.status, 201, location.text);
  await setOptions(slug, f.staff, options);
  const mia = await post(`/families/${f.family.id}/students`, { first_name: 'Mia', last_name: 'Lee', birth_date: '2019-04-02' });
  assert.equal(mia.status, 201, mia.text);
  const addClass = async (name, capacity, waitlist = false) => {
    const res = await post('/classes', {
      name, location_id: location.body.id, days: ['mon', 'wed'], start_time: '16:00', end_time: '16:45',
      start_date: '2026-09-01', end_date: '2099-12-31', capacity, waitlist,
    });
    assert.equal(res.status, 201, res.text);
    return res.body;
  };
  const sell = async (json, familyId = f.family.id) => {
    const res = await post(`/families/${familyId}/passes`, json);
    assert.equal(res.status, 201, res.text);
    return res.body;
  };
  return { ...f, slug, location: location.body, mia: mia.body, addClass, post, sell };
}

async function setOptions(slug, staff, options) {
  const res = await portal.request('PATCH', `${office(slug)}/settings/portal-options`, { token: staff, json: options });
  assert.equal(res.status, 200, res.text);
}

const redeem = (s, token, passId, json) => portal.request('POST', `${api(s.slug)}/passes/${passId}/redeem`, { token, json });
const punchesUsed = async (s, passId) =>
  (await portal.dbOf(s.slug).prepare('SELECT punches_used FROM passes WHERE id = ?').bind(passId).first()).punches_used;

test('staff sell a pass; the family sees it and redeems a punch into a one-day pass enrollment', async () => {
  const s = await school('pass-sell');
  const swim = await s.addClass('Swim 1', 5);
  const pass = await s.sell({ name: '10 Swims', punches: 10, amount_paid_cents: 9000, expires_on: '2099-12-31' });
  assert.deepEqual(
    [pass.name, pass.student_id, pass.punches_total, pass.punches_used, pass.punches_remaining, pass.active, pass.expires_on, pass.amount_paid_cents],
    ['10 Swims', null, 10, 0, 10, true, '2099-12-31', 9000],
  );
  assert.match(pass.purchased_at, /^\d{4}-\d\d-\d\dT/);

  const listed = await portal.request('GET', `${api(s.slug)}/passes`, { token: s.secondary.token });
  assert.equal(listed.status, 200, listed.text);
  assert.deepEqual(listed.body.passes.map((p) => p.id), [pass.id], 'every guardian who can log in reads');

  const made = await redeem(s, s.primary.token, pass.id, { student_id: s.mia.id, class_id: swim.id, date: MONDAY });
  assert.equal(made.status, 201, made.text);
  assert.deepEqual([made.body.pass.punches_used, made.body.pass.punches_remaining], [1, 9]);
  assert.deepEqual([made.body.enrollment.kind, made.body.enrollment.date, made.body.enrollment.status], ['pass', MONDAY, 'active']);
  assert.deepEqual(made.body.enrollment.actions, [], 'a visit is not dropped or transferred');

  const lists = await portal.request('GET', `${api(s.slug)}/students/${s.mia.id}/enrollments`, { token: s.primary.token });
  assert.deepEqual(lists.body.current.map((e) => [e.kind, e.date, e.class.name]), [['pass', MONDAY, 'Swim 1']]);
  // A visit holds a place on its day only: the class's regular places are all still free.
  const classes = await portal.request('GET', `${office(s.slug)}/classes`, { token: s.staff });
  assert.equal(classes.body.classes.find((c) => c.id === swim.id).enrolled, 0);

  const audit = await portal.request('GET', `${office(s.slug)}/audit?family_id=${s.family.id}`, { token: s.staff });
  const actions = audit.body.entries.map((e) => e.action);
  assert.ok(actions.includes('pass_sold') && actions.includes('pass_redeemed'), actions.join());
});

test('selling a pass checks what staff typed, and the family and student must be theirs', async () => {
  const s = await school('pass-input');
  const other = await school('pass-input-b');
  for (const [json, field] of [
    [{ name: '', punches: 10, amount_paid_cents: 0 }, 'name'],
    [{ name: 'x', punches: 0, amount_paid_cents: 0 }, 'punches'],
    [{ name: 'x', punches: 1.5, amount_paid_cents: 0 }, 'punches'],
    [{ name: 'x', punches: 1, amount_paid_cents: -1 }, 'amount_paid_cents'],
    [{ name: 'x', punches: 1, amount_paid_cents: 0, expires_on: '2020-01-01' }, 'expires_on'],
    [{ name: 'x', punches: 1, amount_paid_cents: 0, student_id: other.mia.id }, 'student_id'],
  ]) {
    const res = await s.post(`/families/${s.family.id}/passes`, json);
    assertError(res, 422, 'invalid_field');
    assert.equal(res.body.error.field, field, JSON.stringify(json));
  }
  assertError(await s.post(`/families/${other.family.id}/passes`, { name: 'x', punches: 1, amount_paid_cents: 0 }), 404, 'family_not_found');
});

test('each option on and off: passes hidden (403 passes_disabled), shown without redemption (403 pass_redemption_disabled); staff redeem always', async () => {
  const s = await school('pass-options', { show_passes: false, allow_pass_redemption: false });
  const swim = await s.addClass('Swim 1', 5);
  const pass = await s.sell({ name: '5 Swims', punches: 5, amount_paid_cents: 5000 });
  const visit = { student_id: s.mia.id, class_id: swim.id, date: MONDAY };
  assertError(await portal.request('GET', `${api(s.slug)}/passes`, { token: s.primary.token }), 403, 'passes_disabled');
  assertError(await redeem(s, s.primary.token, pass.id, visit), 403, 'passes_disabled');

  await setOptions(s.slug, s.staff, { show_passes: true });
  assert.equal((await portal.request('GET', `${api(s.slug)}/passes`, { token: s.primary.token })).status, 200);
  assertError(await redeem(s, s.primary.token, pass.id, visit), 403, 'pass_redemption_disabled');

  const byStaff = await s.post(`/passes/${pass.id}/redeem`, visit);
  assert.equal(byStaff.status, 201, byStaff.text);
  assert.equal(byStaff.body.pass.punches_used, 1);

  await setOptions(s.slug, s.staff, { allow_pass_redemption: true });
  assert.equal((await redeem(s, s.primary.token, pass.id, { ...visit, date: coming(3) })).status, 201);
  assert.equal(await punchesUsed(s, pass.id), 2);
});

test('a redemption is refused for a day the class does not meet, a past day, another student, an inactive, expired or used-up pass', async () => {
  const s = await school('pass-rules');
  const swim = await s.addClass('Swim 1', 5);
  const leo = await s.post(`/families/${s.family.id}/students`, { first_name: 'Leo', last_name: 'Lee', birth_date: '2017-01-20' });
  const forMia = await s.sell({ name: 'Mia only', punches: 1, amount_paid_cents: 1000, student_id: s.mia.id });
  const visit = (pass, extra = {}) => redeem(s, s.primary.token, pass.id, { student_id: s.mia.id, class_id: swim.id, date: MONDAY, ...extra });

  const notMeeting = await visit(forMia, { date: TUESDAY });
  assertError(notMeeting, 422, 'class_not_meeting');
  assert.equal(notMeeting.body.error.field, 'date');
  const past = await visit(forMia, { date: '2026-09-07' });
  assertError(past, 422, 'invalid_field');
  assert.equal(past.body.error.field, 'date');
  assertError(await visit(forMia, { date: 'Monday' }), 422, 'invalid_field');
  const wrong = await visit(forMia, { student_id: leo.body.id });
  assertError(wrong, 422, 'wrong_student');
  assert.equal(wrong.body.error.field, 'student_id');

  const off = await portal.request('PATCH', `${office(s.slug)}/passes/${forMia.id}`, { token: s.staff, json: { active: false } });
  assert.equal(off.status, 200, off.text);
  assert.equal(off.body.active, false);
  assertError(await visit(forMia), 409, 'pass_inactive');
  await portal.request('PATCH', `${office(s.slug)}/passes/${forMia.id}`, { token: s.staff, json: { active: true } });
  assert.equal((await visit(forMia)).status, 201);
  assertError(await visit(forMia, { date: coming(3) }), 409, 'pass_used_up');
  assert.equal(await punchesUsed(s, forMia.id), 1);

  const old = await s.sell({ name: 'Old', punches: 3, amount_paid_cents: 0 });
  await portal.dbOf(s.slug).prepare("UPDATE passes SET expires_on = '2026-01-01' WHERE id = ?").bind(old.id).run();
  assertError(await visit(old), 409, 'pass_expired');
  assert.equal(await punchesUsed(s, old.id), 0);
});

test('a pass redeemed concurrently past its last punch never goes below zero', async () => {
  const s = await school('pass-race');
  const classes = await Promise.all([s.addClass('A', 20), s.addClass('B', 20), s.addClass('C', 20), s.addClass('D', 20)]);
  const pass = await s.sell({ name: '3 Swims', punches: 3, amount_paid_cents: 3000 });
  // Eight visits on different days and classes, so only the punches stand between them.
  const visits = [];
  for (const c of classes) for (const date of [MONDAY, coming(3)]) visits.push({ student_id: s.mia.id, class_id: c.id, date });
  const answers = await Promise.all(visits.map((v, i) => (i % 2 ? s.post(`/passes/${pass.id}/redeem`, v) : redeem(s, s.primary.token, pass.id, v))));
  const statuses = answers.map((a) => a.status).sort();
  assert.deepEqual(statuses, [201, 201, 201, 409, 409, 409, 409, 409], answers.map((a) => a.text).join('\n'));
  for (const a of answers.filter((a) => a.status === 409)) assert.equal(a.body.error.code, 'pass_used_up');
  assert.equal(await punchesUsed(s, pass.id), 3);
  const visitsMade = await portal.dbOf(s.slug).prepare("SELECT COUNT(*) AS n FROM enrollments WHERE kind = 'pass' AND student_id = ?").bind(s.mia.id).first();
  assert.equal(visitsMade.n, 3, 'one visit per punch');
});

test('two families racing for the last place on a day: exactly one visit gets it, and the loser keeps the punch', async () => {
  const s = await school('pass-place');
  const small = await s.addClass('Small', 2);
  // One regular place taken; one place left on MONDAY.
  const kai = await s.post(`/families/${s.family.id}/students`, { first_name: 'Kai', last_name: 'Lee', birth_date: '2018-05-05' });
  assert.equal((await s.post('/enrollments', { student_id: kai.body.id, class_id: small.id })).status, 201);
  const park = await portal.createFamily(s.slug, s.staff, 'Park', { first_name: 'Pia', last_name: 'Park', email: 'pia@pass-place.test' });
  const pia = await s.post(`/families/${park.id}/students`, { first_name: 'Jo', last_name: 'Park', birth_date: '2018-02-02' });
  const leePass = await s.sell({ name: 'Lee pass', punches: 5, amount_paid_cents: 0 });
  const parkPass = await s.sell({ name: 'Park pass', punches: 5, amount_paid_cents: 0 }, park.id);
  const [lee, parks] = await Promise.all([
    s.post(`/passes/${leePass.id}/redeem`, { student_id: s.mia.id, class_id: small.id, date: MONDAY }),
    s.post(`/passes/${parkPass.id}/redeem`, { student_id: pia.body.id, class_id: small.id, date: MONDAY }),
  ]);
  assert.deepEqual([lee.status, parks.status].sort(), [201, 409], lee.text + parks.text);
  const loser = lee.status === 409 ? lee : parks;
  assert.equal(loser.body.error.code, 'class_full');
  assert.equal((await punchesUsed(s, leePass.id)) + (await punchesUsed(s, parkPass.id)), 1, 'the loser keeps the punch');
  // Another day still has its place; and a new regular enrollment sees the full day coming.
  assert.equal((await s.post(`/passes/${parkPass.id}/redeem`, { student_id: pia.body.id, class_id: small.id, date: coming(3) })).status, 201);
  const leo = await s.post(`/families/${s.family.id}/students`, { first_name: 'Leo', last_name: 'Lee', birth_date: '2017-01-20' });
  assertError(await s.post('/enrollments', { student_id: leo.body.id, class_id: small.id }), 409, 'class_full');
});

test('a secondary without can_manage_enrollments reads but may not redeem; a revoked guardian is refused', async () => {
  const s = await school('pass-secondary');
  const swim = await s.addClass('Swim 1', 5);
  const pass = await s.sell({ name: '5 Swims', punches: 5, amount_paid_cents: 0 });
  const visit = { student_id: s.mia.id, class_id: swim.id, date: MONDAY };
  assertError(await redeem(s, s.secondary.token, pass.id, visit), 403, 'enrollment_not_permitted');
  await portal.request('PUT', `${api(s.slug)}/guardians/${s.secondary.id}/permissions`, {
    token: s.primary.token,
    json: { can_make_payments: false, can_view_full_ledger: false, can_manage_enrollments: true },
  });
  assert.equal((await redeem(s, s.secondary.token, pass.id, visit)).status, 201);
  assert.equal((await portal.request('POST', `${api(s.slug)}/guardians/${s.secondary.id}/revoke`, { token: s.primary.token })).status, 200);
  const refused = await redeem(s, s.secondary.token, pass.id, { ...visit, date: coming(3) });
  assert.equal(refused.status, 401, refused.text);
  assert.equal(await punchesUsed(s, pass.id), 1);
});

test('the portal switch refuses the family’s redemption (checked in D1); staff still redeem', async () => {
  const s = await school('pass-switch');
  const swim = await s.addClass('Swim 1', 5);
  const pass = await s.sell({ name: '5 Swims', punches: 5, amount_paid_cents: 0 });
  const off = await portal.request('PUT', `${office(s.slug)}/settings/customer-portal`, { token: s.staff, json: { enabled: false } });
  assert.equal(off.status, 200, off.text);
  // The edge's copy lags: the Worker still reads the truth from D1.
  await portal.kv.put(`portal-switch:${s.slug}`, 'on');
  assertError(await redeem(s, s.primary.token, pass.id, { student_id: s.mia.id, class_id: swim.id, date: MONDAY }), 503, 'portal_unavailable');
  assert.equal(await punchesUsed(s, pass.id), 0);
  assert.equal((await s.post(`/passes/${pass.id}/redeem`, { student_id: s.mia.id, class_id: swim.id, date: MONDAY })).status, 201);
});

test("another organization's passes, families, students and classes are not found", async () => {
  const a = await school('pass-org-a');
  const b = await school('pass-org-b');
  const aClass = await a.addClass('A', 5);
  const bClass = await b.addClass('B', 5);
  const aPass = await a.sell({ name: 'A pass', punches: 5, amount_paid_cents: 0 });
  const bPass = await b.sell({ name: 'B pass', punches: 5, amount_paid_cents: 0 });
  assertError(await portal.request('PATCH', `${office(a.slug)}/passes/${bPass.id}`, { token: a.staff, json: { active: false } }), 404, 'pass_not_found');
  assertError(await a.post(`/passes/${bPass.id}/redeem`, { student_id: b.mia.id, class_id: bClass.id, date: MONDAY }), 404, 'pass_not_found');
  assertError(await redeem(a, a.primary.token, bPass.id, { student_id: a.mia.id, class_id: aClass.id, date: MONDAY }), 404, 'pass_not_found');
  assertError(await redeem(a, a.primary.token, aPass.id, { student_id: b.mia.id, class_id: aClass.id, date: MONDAY }), 404, 'student_not_found');
  assertError(await redeem(a, a.primary.token, aPass.id, { student_id: a.mia.id, class_id: bClass.id, date: MONDAY }), 404, 'class_not_found');
  assertError(await a.post(`/passes/${aPass.id}/redeem`, { student_id: b.mia.id, class_id: aClass.id, date: MONDAY }), 404, 'student_not_found');
  assert.deepEqual((await portal.request('GET', `${api(a.slug)}/passes`, { token: a.primary.token })).body.passes.map((p) => p.id), [aPass.id]);
});
