// Makeup tokens: staff issue a student a token for a location; where the organization offers tokens
// (`makeups: "tokens"`), the family sees them in My Account's groups and redeems one into a one-day
// makeup enrollment in a class of that location. A token pays for one visit and a class never
// overfills on a day, whatever runs at the same time.
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
const WEDNESDAY = coming(3);
const TODAY = new Date().toISOString().slice(0, 10);
const LAST_DAY = '2099-12-31';

/** An organization offering tokens, with two locations, a family (primary Ann, secondary Bob) and a student, Mia. */
async function school(slug, options = { makeups: 'tokens' }) {
  const f = await portal.familyWithSecondary(slug);
  const post = (path, json, token = f.staff) => portal.request('POST', `${office(slug)}${path}`, { token, json });
  const main = await post('/locations', { name: 'Main Pool' });
  assert.equal(main.status, 201, main.text);
  const north = await post('/locations', { name: 'North Pool' });
  await setOptions(slug, f.staff, options);
  const mia = await post(`/families/${f.family.id}/students`, { first_name: 'Mia', last_name: 'Lee', birth_date: '2019-04-02' });
  assert.equal(mia.status, 201, mia.text);
  const addClass = async (name, capacity, { location = main.body, days = ['mon', 'wed'] } = {}) => {
    const res = await post('/classes', {
      name, location_id: location.id, days, start_time: '16:00', end_time: '16:45',
      start_date: '2026-09-01', end_date: '2099-12-31', capacity, waitlist: false,
    });
    assert.equal(res.status, 201, res.text);
    return res.body;
  };
  const issue = async ({ student = mia.body, location = main.body, expires_on = LAST_DAY, reason } = {}, familyId = f.family.id) => {
    const res = await post(`/families/${familyId}/makeup-tokens`, { student_id: student.id, location_id: location.id, expires_on, reason });
    assert.equal(res.status, 201, res.text);
    return res.body;
  };
  return { ...f, slug, main: main.body, north: north.body, mia: mia.body, addClass, post, issue };
}

async function setOptions(slug, staff, options) {
  const res = await portal.request('PATCH', `${office(slug)}/settings/portal-options`, { token: staff, json: options });
  assert.equal(res.status, 200, res.text);
}

const redeem = (s, token, tokenId, json) => portal.request('POST', `${api(s.slug)}/makeup-tokens/${tokenId}/redeem`, { token, json });
const makeups = (s, token, studentId, query = '') => portal.request('GET', `${api(s.slug)}/students/${studentId}/makeups${query}`, { token });
const tokenRow = (s, id) => portal.dbOf(s.slug).prepare('SELECT enrollment_id, visit_date FROM makeup_tokens WHERE id = ?').bind(id).first();
const ids = (list) => list.map((t) => t.id);

test('staff issue a token; the family sees it by location and redeems it into a one-day makeup enrollment, pending until the day has passed', async () => {
  const s = await school('tok-issue');
  const swim = await s.addClass('Swim 1', 5);
  const token = await s.issue({ reason: 'Missed class, sick' });
  assert.deepEqual(
    [token.student_id, token.location, token.expires_on, token.status, token.enrollment_id],
    [s.mia.id, { id: s.main.id, name: 'Main Pool' }, LAST_DAY, 'available', null],
  );
  assert.match(token.issued_at, /^\d{4}-\d\d-\d\dT/);
  const elsewhere = await s.issue({ location: s.north });

  const here = await makeups(s, s.secondary.token, s.mia.id, `?location_id=${s.main.id}`);
  assert.equal(here.status, 200, here.text);
  assert.equal(here.body.mode, 'tokens');
  assert.deepEqual([ids(here.body.current_location), ids(here.body.other_locations)], [[token.id], [elsewhere.id]], 'every guardian who can log in reads');
  const anywhere = await makeups(s, s.primary.token, s.mia.id);
  assert.deepEqual([ids(anywhere.body.current_location), ids(anywhere.body.other_locations)], [[], [token.id, elsewhere.id]]);
  assertError(await makeups(s, s.primary.token, s.mia.id, '?location_id=loc_nowhere'), 422, 'invalid_field');

  const made = await redeem(s, s.primary.token, token.id, { class_id: swim.id, date: MONDAY });
  assert.equal(made.status, 201, made.text);
  assert.deepEqual([made.body.kind, made.body.date, made.body.status, made.body.class.name], ['makeup', MONDAY, 'active', 'Swim 1']);
  assert.deepEqual(made.body.actions, [], 'a visit is not dropped or transferred');

  const after = await makeups(s, s.primary.token, s.mia.id, `?location_id=${s.main.id}`);
  assert.deepEqual([ids(after.body.current_location), ids(after.body.pending), ids(after.body.spent)], [[], [token.id], []]);
  assert.deepEqual([after.body.pending[0].status, after.body.pending[0].enrollment_id], ['pending', made.body.id]);
  const lists = await portal.request('GET', `${api(s.slug)}/students/${s.mia.id}/enrollments`, { token: s.primary.token });
  assert.deepEqual(lists.body.current.map((e) => [e.kind, e.date, e.class.name]), [['makeup', MONDAY, 'Swim 1']]);

  // The day passes (moved back in D1): the token is spent.
  const db = portal.dbOf(s.slug);
  await db.batch([
    db.prepare("UPDATE makeup_tokens SET visit_date = '2026-09-07' WHERE id = ?").bind(token.id),
    db.prepare("UPDATE enrollments SET date = '2026-09-07' WHERE id = ?").bind(made.body.id),
  ]);
  const later = await makeups(s, s.primary.token, s.mia.id);
  assert.deepEqual([ids(later.body.pending), ids(later.body.spent), later.body.spent[0].status], [[], [token.id], 'spent']);

  const audit = await portal.request('GET', `${office(s.slug)}/audit?family_id=${s.family.id}`, { token: s.staff });
  const actions = audit.body.entries.map((e) => e.action);
  assert.ok(actions.includes('makeup_token_issued') && actions.includes('makeup_token_redeemed'), actions.join());
});

test('a token redeemed for today is pending on the day; an expired token is listed as expired and not available', async () => {
  const s = await school('tok-dates');
  const daily = await s.addClass('Daily', 5, { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] });
  const forToday = await s.issue({ expires_on: TODAY });
  const made = await redeem(s, s.primary.token, forToday.id, { class_id: daily.id, date: TODAY });
  assert.equal(made.status, 201, made.text);
  assert.deepEqual(ids((await makeups(s, s.primary.token, s.mia.id)).body.pending), [forToday.id]);

  const old = await s.issue();
  await portal.dbOf(s.slug).prepare("UPDATE makeup_tokens SET expires_on = '2026-01-01' WHERE id = ?").bind(old.id).run();
  const listed = await makeups(s, s.primary.token, s.mia.id);
  assert.deepEqual([ids(listed.body.expired), listed.body.expired[0].status], [[old.id], 'expired']);
  assertError(await redeem(s, s.primary.token, old.id, { class_id: daily.id, date: coming(4) }), 409, 'token_not_available');
  assert.equal((await tokenRow(s, old.id)).enrollment_id, null);
});

test('issuing checks what staff typed; the family, student and location must be theirs', async () => {
  const s = await school('tok-input');
  const other = await school('tok-input-b');
  const valid = { student_id: s.mia.id, location_id: s.main.id, expires_on: LAST_DAY };
  for (const [json, field] of [
    [{ ...valid, expires_on: '2020-01-01' }, 'expires_on'],
    [{ ...valid, expires_on: 'soon' }, 'expires_on'],
    [{ ...valid, reason: 'a\nb' }, 'reason'],
    [{ ...valid, student_id: other.mia.id }, 'student_id'],
    [{ ...valid, location_id: other.main.id }, 'location_id'],
  ]) {
    const res = await s.post(`/families/${s.family.id}/makeup-tokens`, json);
    assertError(res, 422, 'invalid_field');
    assert.equal(res.body.error.field, field, JSON.stringify(json));
  }
  assertError(await s.post(`/families/${other.family.id}/makeup-tokens`, valid), 404, 'family_not_found');
  assertError(await s.post(`/families/${s.family.id}/makeup-tokens`, { ...valid, extra: 1 }), 422, 'invalid_field');
});

test('each mode: tokens on; none refuses 403 makeups_disabled; requests lists requests and refuses a token; staff issue in any mode', async () => {
  const s = await school('tok-modes', { makeups: 'none' });
  const swim = await s.addClass('Swim 1', 5);
  const token = await s.issue();
  for (const mode of ['none', 'requests']) {
    await setOptions(s.slug, s.staff, { makeups: mode });
    const listed = await makeups(s, s.primary.token, s.mia.id);
    if (mode === 'none') assertError(listed, 403, 'makeups_disabled');
    else {
      // The same GET answers in the organization's mode: its requests, never the tokens.
      assert.equal(listed.status, 200);
      assert.equal(listed.body.mode, 'requests');
      assert.equal(listed.body.current_location, undefined);
    }
    assertError(await redeem(s, s.primary.token, token.id, { class_id: swim.id, date: MONDAY }), 403, 'makeups_disabled');
  }
  await setOptions(s.slug, s.staff, { makeups: 'tokens' });
  const listed = await makeups(s, s.primary.token, s.mia.id);
  assert.equal(listed.status, 200);
  assert.equal(listed.body.mode, 'tokens');
  assert.equal((await redeem(s, s.primary.token, token.id, { class_id: swim.id, date: MONDAY })).status, 201);
});

test('a redemption is refused at another location, on a day the class does not meet, a past day, after the token’s last day, and twice', async () => {
  const s = await school('tok-rules');
  const swim = await s.addClass('Swim 1', 5);
  const northSwim = await s.addClass('North Swim', 5, { location: s.north });
  // Its last day: after both MONDAY and WEDNESDAY, whatever today's weekday.
  const lastDay = new Date(Date.now() + 13 * 86_400_000).toISOString().slice(0, 10);
  const token = await s.issue({ expires_on: lastDay });
  const visit = (extra = {}) => redeem(s, s.primary.token, token.id, { class_id: swim.id, date: MONDAY, ...extra });

  const wrong = await visit({ class_id: northSwim.id });
  assertError(wrong, 422, 'wrong_location');
  assert.equal(wrong.body.error.field, 'class_id');
  const notMeeting = await visit({ date: TUESDAY });
  assertError(notMeeting, 422, 'class_not_meeting');
  assert.equal(notMeeting.body.error.field, 'date');
  for (const date of ['2026-09-07', 'Monday', coming(1, 3)]) {
    const res = await visit({ date });
    assertError(res, 422, 'invalid_field');
    assert.equal(res.body.error.field, 'date', date);
  }
  assertError(await visit({ class_id: 'cls_nothing' }), 404, 'class_not_found');
  assert.equal((await tokenRow(s, token.id)).enrollment_id, null, 'nothing spent by a refusal');

  assert.equal((await visit()).status, 201);
  assertError(await visit({ date: WEDNESDAY }), 409, 'token_not_available');
});

test('the same token redeemed twice at once pays for one visit only', async () => {
  const s = await school('tok-twice');
  const classes = await Promise.all([s.addClass('A', 20), s.addClass('B', 20), s.addClass('C', 20)]);
  const token = await s.issue();
  const visits = [];
  for (const c of classes) for (const date of [MONDAY, WEDNESDAY]) visits.push({ class_id: c.id, date });
  const answers = await Promise.all(visits.map((v) => redeem(s, s.primary.token, token.id, v)));
  const statuses = answers.map((a) => a.status).sort();
  assert.deepEqual(statuses, [201, 409, 409, 409, 409, 409], answers.map((a) => a.text).join('\n'));
  for (const a of answers.filter((a) => a.status === 409)) assert.equal(a.body.error.code, 'token_not_available');
  const made = await portal.dbOf(s.slug).prepare("SELECT id FROM enrollments WHERE kind = 'makeup' AND student_id = ?").bind(s.mia.id).all();
  assert.equal(made.results.length, 1, 'one visit');
  assert.equal((await tokenRow(s, token.id)).enrollment_id, made.results[0].id);
});

test('two families racing for the last place with a token each: exactly one gets it, and the loser keeps the token', async () => {
  const s = await school('tok-place');
  const small = await s.addClass('Small', 2);
  // One regular place taken; one place left on MONDAY.
  const kai = await s.post(`/families/${s.family.id}/students`, { first_name: 'Kai', last_name: 'Lee', birth_date: '2018-05-05' });
  assert.equal((await s.post('/enrollments', { student_id: kai.body.id, class_id: small.id })).status, 201);
  const park = await portal.createFamily(s.slug, s.staff, 'Park', { first_name: 'Pia', last_name: 'Park', email: 'pia@tok-place.test' });
  const invited = await portal.request('POST', `${office(s.slug)}/guardians/${park.primary_guardian_id}/invitation`, { token: s.staff });
  assert.equal(invited.status, 202, invited.text);
  const pia = (await portal.accept(s.slug, await portal.linkToken('pia@tok-place.test', 'invitation'), 'pia-password-1')).body;
  const jo = await s.post(`/families/${park.id}/students`, { first_name: 'Jo', last_name: 'Park', birth_date: '2018-02-02' });
  const leeToken = await s.issue();
  const parkToken = await s.issue({ student: jo.body }, park.id);
  const [lee, parks] = await Promise.all([
    redeem(s, s.primary.token, leeToken.id, { class_id: small.id, date: MONDAY }),
    redeem(s, pia.token, parkToken.id, { class_id: small.id, date: MONDAY }),
  ]);
  assert.deepEqual([lee.status, parks.status].sort(), [201, 409], lee.text + parks.text);
  const [loser, loserToken] = lee.status === 409 ? [lee, leeToken] : [parks, parkToken];
  assert.equal(loser.body.error.code, 'class_full');
  assert.equal((await tokenRow(s, loserToken.id)).enrollment_id, null, 'the loser keeps the token');
  const visits = await portal.dbOf(s.slug).prepare("SELECT COUNT(*) AS n FROM enrollments WHERE kind = 'makeup' AND class_id = ?").bind(small.id).first();
  assert.equal(visits.n, 1);
});

test('a secondary without can_manage_enrollments reads but may not redeem; a revoked guardian is refused', async () => {
  const s = await school('tok-secondary');
  const swim = await s.addClass('Swim 1', 5);
  const token = await s.issue();
  assertError(await redeem(s, s.secondary.token, token.id, { class_id: swim.id, date: MONDAY }), 403, 'enrollment_not_permitted');
  await portal.request('PUT', `${api(s.slug)}/guardians/${s.secondary.id}/permissions`, {
    token: s.primary.token,
    json: { can_make_payments: false, can_view_full_ledger: false, can_manage_enrollments: true },
  });
  assert.equal((await portal.request('POST', `${api(s.slug)}/guardians/${s.secondary.id}/revoke`, { token: s.primary.token })).status, 200);
  const refused = await redeem(s, s.secondary.token, token.id, { class_id: swim.id, date: MONDAY });
  assert.equal(refused.status, 401, refused.text);
  assert.equal((await tokenRow(s, token.id)).enrollment_id, null);
});

test('the portal switch refuses the redemption (checked in D1); staff still issue', async () => {
  const s = await school('tok-switch');
  const swim = await s.addClass('Swim 1', 5);
  const token = await s.issue();
  const off = await portal.request('PUT', `${office(s.slug)}/settings/customer-portal`, { token: s.staff, json: { enabled: false } });
  assert.equal(off.status, 200, off.text);
  // The edge's copy lags: the Worker still reads the truth from D1.
  await portal.kv.put(`portal-switch:${s.slug}`, 'on');
  assertError(await redeem(s, s.primary.token, token.id, { class_id: swim.id, date: MONDAY }), 503, 'portal_unavailable');
  assert.equal((await tokenRow(s, token.id)).enrollment_id, null);
  await s.issue();
});

test("another organization's tokens, families, students and classes are not found", async () => {
  const a = await school('tok-org-a');
  const b = await school('tok-org-b');
  const aClass = await a.addClass('A', 5);
  const bClass = await b.addClass('B', 5);
  const aToken = await a.issue();
  const bToken = await b.issue();
  assertError(await redeem(a, a.primary.token, bToken.id, { class_id: aClass.id, date: MONDAY }), 404, 'makeup_token_not_found');
  assertError(await redeem(a, a.primary.token, aToken.id, { class_id: bClass.id, date: MONDAY }), 404, 'class_not_found');
  assertError(await makeups(a, a.primary.token, b.mia.id), 404, 'student_not_found');
  assertError(await a.post(`/families/${b.family.id}/makeup-tokens`, { student_id: b.mia.id, location_id: b.main.id, expires_on: LAST_DAY }), 404, 'family_not_found');
  assert.equal((await tokenRow(b, bToken.id)).enrollment_id, null);
});
