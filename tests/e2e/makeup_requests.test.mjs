// Makeup requests (the `requests` makeup mode): a family asks for a student to attend one class on
// one date; staff approve it into a one-day `makeup` enrollment (holding a place that day, so a full
// class refuses it and the request stays pending) or deny it; the family is e-mailed either way and
// sees its requests and Past Makeups. Every other mode answers 403 `makeups_disabled`.
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

async function setOptions(slug, staff, options) {
  const res = await portal.request('PATCH', `${office(slug)}/settings/portal-options`, { token: staff, json: options });
  assert.equal(res.status, 200, res.text);
}

/** An organization in the `requests` mode with a Mon/Wed class, a family (primary Ann, secondary Bob) and a student, Mia. */
async function school(slug, { makeups = 'requests', capacity = 5 } = {}) {
  const f = await portal.familyWithSecondary(slug);
  const post = (path, json, token = f.staff) => portal.request('POST', `${office(slug)}${path}`, { token, json });
  const location = await post('/locations', { name: 'Main Pool' });
  assert.equal(location.status, 201, location.text);
  await setOptions(slug, f.staff, { makeups });
  const mia = await post(`/families/${f.family.id}/students`, { first_name: 'Mia', last_name: 'Lee', birth_date: '2019-04-02' });
  assert.equal(mia.status, 201, mia.text);
  const swim = await post('/classes', {
    name: 'Swim 1', location_id: location.body.id, days: ['mon', 'wed'], start_time: '16:00', end_time: '16:45',
    start_date: '2026-09-01', end_date: '2099-12-31', capacity, waitlist: false,
  });
  assert.equal(swim.status, 201, swim.text);
  return { ...f, slug, post, mia: mia.body, swim: swim.body };
}

const ask = (s, token, json, student = s.mia.id) => portal.request('POST', `${api(s.slug)}/students/${student}/makeup-requests`, { token, json });
const makeups = (s, token, student = s.mia.id) => portal.request('GET', `${api(s.slug)}/students/${student}/makeups`, { token });
const decide = (s, id, verb, json = {}) => s.post(`/requests/${id}/${verb}`, json);

test('a family requests a makeup; staff approve it into a one-day makeup enrollment for that date, and the family is e-mailed', async () => {
  const s = await school('mkr-approve');
  const asked = await ask(s, s.primary.token, { class_id: s.swim.id, date: MONDAY, reason: 'Missed last week' });
  assert.equal(asked.status, 201, asked.text);
  assert.deepEqual(
    [asked.body.kind, asked.body.status, asked.body.class, asked.body.date, asked.body.reason, asked.body.student.id, asked.body.enrollment_id, asked.body.from_class],
    ['makeup', 'pending', { id: s.swim.id, name: 'Swim 1' }, MONDAY, 'Missed last week', s.mia.id, null, null],
  );
  assertError(await ask(s, s.primary.token, { class_id: s.swim.id, date: MONDAY }), 409, 'request_pending');

  const queue = await portal.request('GET', `${office(s.slug)}/requests?status=pending`, { token: s.staff });
  assert.deepEqual(queue.body.requests.map((r) => [r.id, r.kind]), [[asked.body.id, 'makeup']]);

  const approved = await decide(s, asked.body.id, 'approve', { note: 'See you Monday' });
  assert.equal(approved.status, 200, approved.text);
  assert.equal(approved.body.status, 'approved');
  assert.ok(approved.body.enrollment_id, 'the approval names the visit it made');
  const visit = await portal.dbOf(s.slug).prepare('SELECT kind, date, status, student_id, class_id FROM enrollments WHERE id = ?').bind(approved.body.enrollment_id).first();
  assert.deepEqual(visit, { kind: 'makeup', date: MONDAY, status: 'active', student_id: s.mia.id, class_id: s.swim.id });

  const [mail] = await portal.waitForMail(s.primary.email, (m) => m.kind === 'enrollment_request_decided');
  assert.equal(mail.subject, 'Your makeup request for Mia Lee was approved');
  assert.match(mail.text, new RegExp(`approved your request for a makeup for Mia Lee in Swim 1 on ${MONDAY}`));
  assert.match(mail.text, /See you Monday/);
  const audit = await portal.dbOf(s.slug).prepare(`SELECT action FROM audit_log WHERE action LIKE 'makeup_%' AND family_id = ? ORDER BY at`).bind(s.family.id).all();
  assert.deepEqual(audit.results.map((a) => a.action), ['makeup_requested', 'makeup_request_approved']);
  assertError(await decide(s, asked.body.id, 'deny'), 409, 'request_decided');
});

test('denying a makeup request makes no enrollment and e-mails the family', async () => {
  const s = await school('mkr-deny');
  const asked = await ask(s, s.primary.token, { class_id: s.swim.id, date: MONDAY });
  const denied = await decide(s, asked.body.id, 'deny', { note: 'Pool closed' });
  assert.equal(denied.status, 200, denied.text);
  assert.deepEqual([denied.body.status, denied.body.enrollment_id], ['denied', null]);
  const [mail] = await portal.waitForMail(s.primary.email, (m) => m.kind === 'enrollment_request_decided');
  assert.equal(mail.subject, 'Your makeup request for Mia Lee was denied');
  const count = await portal.dbOf(s.slug).prepare(`SELECT COUNT(*) AS n FROM enrollments WHERE kind = 'makeup' AND class_id = ?`).bind(s.swim.id).first();
  assert.equal(count.n, 0);
  // Denied, the same makeup may be asked for again.
  assert.equal((await ask(s, s.primary.token, { class_id: s.swim.id, date: MONDAY })).status, 201);
});

test('approving when the class is full that day is refused with 409 class_full and the request stays pending', async () => {
  const s = await school('mkr-full', { capacity: 1 });
  const leo = await s.post(`/families/${s.family.id}/students`, { first_name: 'Leo', last_name: 'Lee', birth_date: '2018-01-02' });
  const asked = await ask(s, s.primary.token, { class_id: s.swim.id, date: MONDAY });
  assert.equal((await s.post('/enrollments', { student_id: leo.body.id, class_id: s.swim.id })).status, 201);
  assertError(await decide(s, asked.body.id, 'approve'), 409, 'class_full');
  const still = await portal.request('GET', `${office(s.slug)}/requests?status=pending`, { token: s.staff });
  assert.deepEqual(still.body.requests.map((r) => r.id), [asked.body.id]);
  const count = await portal.dbOf(s.slug).prepare(`SELECT COUNT(*) AS n FROM enrollments WHERE kind = 'makeup' AND class_id = ?`).bind(s.swim.id).first();
  assert.equal(count.n, 0);
  const audit = await portal.dbOf(s.slug).prepare(`SELECT COUNT(*) AS n FROM audit_log WHERE action = 'makeup_request_approved' AND family_id = ?`).bind(s.family.id).first();
  assert.equal(audit.n, 0, 'an approval that made nothing is not audited');
});

test('two approvals racing for the last place that day: one enrolls, the other is 409 class_full', async () => {
  const s = await school('mkr-race', { capacity: 1 });
  const leo = await s.post(`/families/${s.family.id}/students`, { first_name: 'Leo', last_name: 'Lee', birth_date: '2018-01-02' });
  const first = await ask(s, s.primary.token, { class_id: s.swim.id, date: MONDAY });
  const second = await ask(s, s.primary.token, { class_id: s.swim.id, date: MONDAY }, leo.body.id);
  const answers = await Promise.all([decide(s, first.body.id, 'approve'), decide(s, second.body.id, 'approve')]);
  assert.deepEqual(answers.map((a) => a.status).sort(), [200, 409], answers.map((a) => a.text).join('\n'));
  const count = await portal.dbOf(s.slug).prepare(`SELECT COUNT(*) AS n FROM enrollments WHERE kind = 'makeup' AND class_id = ? AND date = ?`).bind(s.swim.id, MONDAY).first();
  assert.equal(count.n, 1);
});

test('the class must meet on the date, which must not have passed; the body is checked', async () => {
  const s = await school('mkr-input');
  assertError(await ask(s, s.primary.token, { class_id: s.swim.id, date: TUESDAY }), 422, 'class_not_meeting');
  assertError(await ask(s, s.primary.token, { class_id: s.swim.id, date: '2026-09-07' }), 422, 'invalid_field');
  assertError(await ask(s, s.primary.token, { class_id: s.swim.id, date: '07/09/2099' }), 422, 'invalid_field');
  assertError(await ask(s, s.primary.token, { class_id: s.swim.id, date: MONDAY, reason: 'two\nlines' }), 422, 'invalid_field');
  assertError(await ask(s, s.primary.token, { class_id: 'cls_nope', date: MONDAY }), 404, 'class_not_found');
  assertError(await ask(s, s.primary.token, { class_id: s.swim.id }), 422, 'invalid_field');
  // A student enrolled in the class already has a place that day.
  assert.equal((await s.post('/enrollments', { student_id: s.mia.id, class_id: s.swim.id })).status, 201);
  assertError(await ask(s, s.primary.token, { class_id: s.swim.id, date: MONDAY }), 409, 'already_enrolled');
});

test('makeups answer 403 makeups_disabled unless the mode is requests', async () => {
  for (const mode of ['none', 'tokens']) {
    const s = await school(`mkr-mode-${mode}`, { makeups: mode });
    assertError(await ask(s, s.primary.token, { class_id: s.swim.id, date: MONDAY }), 403, 'makeups_disabled');
    if (mode === 'none') assertError(await makeups(s, s.primary.token), 403, 'makeups_disabled');
  }
});

test('the family sees its makeup requests and Past Makeups (makeup enrollments whose date has passed)', async () => {
  const s = await school('mkr-list');
  const asked = await ask(s, s.primary.token, { class_id: s.swim.id, date: MONDAY });
  const approved = await decide(s, asked.body.id, 'approve');
  const later = await ask(s, s.primary.token, { class_id: s.swim.id, date: coming(1, 2) });
  let seen = await makeups(s, s.secondary.token);
  assert.equal(seen.status, 200, seen.text);
  assert.equal(seen.body.mode, 'requests');
  assert.deepEqual(seen.body.requests.map((r) => [r.id, r.status]), [[later.body.id, 'pending'], [asked.body.id, 'approved']]);
  assert.deepEqual(seen.body.past, [], 'the makeup is still to come');
  await portal.dbOf(s.slug).prepare(`UPDATE enrollments SET date = '2026-09-07' WHERE id = ?`).bind(approved.body.enrollment_id).run();
  seen = await makeups(s, s.primary.token);
  assert.deepEqual(seen.body.past.map((e) => [e.id, e.kind, e.date]), [[approved.body.enrollment_id, 'makeup', '2026-09-07']]);
});

test('a secondary without can_manage_enrollments reads but may not request; a revoked guardian is refused', async () => {
  const s = await school('mkr-secondary');
  const json = { class_id: s.swim.id, date: MONDAY };
  assertError(await ask(s, s.secondary.token, json), 403, 'enrollment_not_permitted');
  assert.equal((await makeups(s, s.secondary.token)).status, 200);
  await portal.request('PUT', `${api(s.slug)}/guardians/${s.secondary.id}/permissions`, {
    token: s.primary.token,
    json: { can_make_payments: false, can_view_full_ledger: false, can_manage_enrollments: true },
  });
  assert.equal((await ask(s, s.secondary.token, json)).status, 201);
  assert.equal((await portal.request('POST', `${api(s.slug)}/guardians/${s.secondary.id}/revoke`, { token: s.primary.token })).status, 200);
  const refused = await ask(s, s.secondary.token, { ...json, date: coming(3) });
  assert.equal(refused.status, 401, refused.text);
});

test('the portal switch refuses a makeup request (checked in D1); staff still decide', async () => {
  const s = await school('mkr-switch');
  const asked = await ask(s, s.primary.token, { class_id: s.swim.id, date: MONDAY });
  const off = await portal.request('PUT', `${office(s.slug)}/settings/customer-portal`, { token: s.staff, json: { enabled: false } });
  assert.equal(off.status, 200, off.text);
  // The edge's copy lags: the Worker still reads the truth from D1.
  await portal.kv.put(`portal-switch:${s.slug}`, 'on');
  assertError(await ask(s, s.primary.token, { class_id: s.swim.id, date: coming(3) }), 503, 'portal_unavailable');
  const pending = await portal.dbOf(s.slug).prepare(`SELECT COUNT(*) AS n FROM enrollment_requests WHERE kind = 'makeup' AND family_id = ?`).bind(s.family.id).first();
  assert.equal(pending.n, 1);
  assert.equal((await decide(s, asked.body.id, 'approve')).status, 200);
});

test("another organization's students, classes and requests are not found", async () => {
  const a = await school('mkr-org-a');
  const b = await school('mkr-org-b');
  assertError(await ask(a, a.primary.token, { class_id: b.swim.id, date: MONDAY }), 404, 'class_not_found');
  assertError(await ask(a, a.primary.token, { class_id: a.swim.id, date: MONDAY }, b.mia.id), 404, 'student_not_found');
  assertError(await makeups(a, a.primary.token, b.mia.id), 404, 'student_not_found');
  const bAsked = await ask(b, b.primary.token, { class_id: b.swim.id, date: MONDAY });
  assertError(await decide(a, bAsked.body.id, 'approve'), 404, 'request_not_found');
  assertError(await decide(a, bAsked.body.id, 'deny'), 404, 'request_not_found');
});
