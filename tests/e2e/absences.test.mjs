// Future absences: by date (days or a few hours: every meeting of the student's classes that
// overlaps) or by enrollment (one class, one date), the list, Cancel until the meeting starts; the
// attendance sheet and the staff's day list show them. In America/Chicago, across the March 2027
// daylight-saving change. The option, the permission, a revoked guardian and the switch refuse.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPortal, assertError, BASE } from './harness.mjs';

let portal;
before(async () => {
  portal = await startPortal();
});
after(() => portal.close());

const office = (slug) => `/office/${slug}/api`;
const api = (slug) => `/portal/${slug}/api`;

/** A Chicago school whose Swim 1 meets Mon and Wed 17:00–17:45 local; Mia is enrolled. */
async function school(slug, options = { allow_future_absences: true }) {
  const f = await portal.familyWithSecondary(slug);
  const staff = (method, path, json) => portal.request(method, `${office(slug)}${path}`, { token: f.staff, json });
  const set = await staff('PATCH', '/settings/portal-options', { time_zone: 'America/Chicago', ...options });
  assert.equal(set.status, 200, set.text);
  const location = await staff('POST', '/locations', { name: 'Main Pool' });
  const klass = await staff('POST', '/classes', {
    name: 'Swim 1', location_id: location.body.id, days: ['mon', 'wed'], start_time: '17:00', end_time: '17:45',
    start_date: '2026-03-01', end_date: '2099-12-31', capacity: 10, waitlist: false,
  });
  const mia = await portal.request('POST', `${api(slug)}/students`, { token: f.primary.token, json: { first_name: 'Mia', last_name: 'Lee', birth_date: '2018-05-01' } });
  const enrollment = await staff('POST', '/enrollments', { student_id: mia.body.id, class_id: klass.body.id });
  assert.equal(enrollment.status, 201, enrollment.text);
  const report = (json, token = f.primary.token) => portal.request('POST', `${api(slug)}/students/${mia.body.id}/absences`, { token, json });
  const cancel = (id, token = f.primary.token) => portal.request('DELETE', `${api(slug)}/absences/${id}`, { token });
  const list = (token = f.primary.token) => portal.request('GET', `${api(slug)}/students/${mia.body.id}/absences`, { token });
  return { ...f, staffToken: f.staff, slug, staff, klass: klass.body, mia: mia.body, enrollment: enrollment.body, report, cancel, list, db: portal.dbOf(slug) };
}

test('by date covers every meeting that overlaps, in Chicago time across the daylight-saving change', async () => {
  const s = await school('abs-dst');
  // Monday 8 March 2027 (standard time) to Monday 15 March (daylight time, from the 14th).
  const week = await s.report({ by: 'date', from: '2027-03-08T00:00:00-06:00', to: '2027-03-16T00:00:00-05:00', reason: 'Holiday' });
  assert.equal(week.status, 201, week.text);
  assert.deepEqual(week.body.meetings, [
    { class_id: s.klass.id, date: '2027-03-08' },
    { class_id: s.klass.id, date: '2027-03-10' },
    { class_id: s.klass.id, date: '2027-03-15' },
  ]);
  assert.equal(week.body.student_id, s.mia.id);
  assert.equal(week.body.reason, 'Holiday');
  assert.equal(week.body.from, '2027-03-08T06:00:00.000Z');
  // 21:30–22:10 UTC is 16:30–17:10 in Chicago after the change (the meeting starts 22:00 UTC), but
  // 15:30–16:10 before it (the meeting then starts 23:00 UTC).
  const after = await s.report({ by: 'date', from: '2027-03-17T21:30:00Z', to: '2027-03-17T22:10:00Z' });
  assert.equal(after.status, 201, after.text);
  assert.deepEqual(after.body.meetings, [{ class_id: s.klass.id, date: '2027-03-17' }]);
  assertError(await s.report({ by: 'date', from: '2027-03-03T21:30:00Z', to: '2027-03-03T22:10:00Z' }), 422, 'invalid_field');

  // Staff see it on the sheet and in the day's list.
  const sheet = await s.staff('GET', `/classes/${s.klass.id}/attendance?date=2027-03-15`);
  assert.equal(sheet.status, 200, sheet.text);
  assert.deepEqual(sheet.body.students[0].absence, { id: week.body.id, reason: 'Holiday' });
  const day = await s.staff('GET', '/absences?date=2027-03-15');
  assert.equal(day.status, 200, day.text);
  assert.equal(day.body.absences.length, 1);
  assert.deepEqual(day.body.absences[0].student, { first_name: 'Mia', id: s.mia.id, last_name: 'Lee' });
  assert.deepEqual(day.body.absences[0].family, { id: s.family.id, name: 'Lee' });
  assert.deepEqual((await s.staff('GET', '/absences?date=2027-03-16')).body.absences, []);
  assertError(await s.staff('GET', '/absences?date=16-03-2027'), 422, 'invalid_field');
});

test('by enrollment: one class on one date; past times, days without class and other enrollments are refused', async () => {
  const s = await school('abs-enr');
  const one = await s.report({ by: 'enrollment', enrollment_id: s.enrollment.id, date: '2027-03-15', reason: 'Dentist' });
  assert.equal(one.status, 201, one.text);
  assert.deepEqual(one.body.meetings, [{ class_id: s.klass.id, date: '2027-03-15' }]);
  assert.equal(one.body.from, '2027-03-15T22:00:00.000Z');
  assert.equal(one.body.to, '2027-03-15T22:45:00.000Z');
  assertError(await s.report({ by: 'enrollment', enrollment_id: s.enrollment.id, date: '2027-03-16' }), 422, 'class_not_meeting');
  assertError(await s.report({ by: 'enrollment', enrollment_id: s.enrollment.id, date: '2026-03-16' }), 422, 'invalid_field');
  assertError(await s.report({ by: 'enrollment', enrollment_id: 'enr_nope', date: '2027-03-15' }), 404, 'enrollment_not_found');
  assertError(await s.report({ by: 'date', from: '2026-01-01T00:00:00Z', to: '2027-01-02T00:00:00Z' }), 422, 'invalid_field');
  assertError(await s.report({ by: 'date', from: '2027-03-16T00:00:00Z', to: '2027-03-16T12:00:00Z' }), 422, 'invalid_field');
  assertError(await s.report({ by: 'week' }), 422, 'invalid_field');

  const listed = await s.list(s.secondary.token);
  assert.equal(listed.status, 200, listed.text);
  assert.deepEqual(listed.body.absences.map((a) => a.id), [one.body.id]);
});

test('Cancel until the meeting starts (409 after); another family or organization is not found', async () => {
  const s = await school('abs-cancel');
  const other = await school('abs-cancel-other');
  const a = await s.report({ by: 'enrollment', enrollment_id: s.enrollment.id, date: '2027-03-15' });
  const b = await s.report({ by: 'enrollment', enrollment_id: s.enrollment.id, date: '2027-03-17' });
  assertError(await other.cancel(a.body.id), 404, 'absence_not_found');
  assertError(await s.report({ by: 'enrollment', enrollment_id: other.enrollment.id, date: '2027-03-15' }), 404, 'enrollment_not_found');
  assertError(await portal.request('GET', `${api('abs-cancel')}/students/${other.mia.id}/absences`, { token: s.primary.token }), 404, 'student_not_found');
  const done = await s.cancel(a.body.id);
  assert.equal(done.status, 204, done.text);
  assertError(await s.cancel(a.body.id), 404, 'absence_not_found');
  assert.deepEqual((await s.list()).body.absences.map((x) => x.id), [b.body.id]);
  // A meeting that has started: its absence stays.
  await s.db.prepare('UPDATE absences SET first_starts_at = ? WHERE id = ?').bind(Date.now() - 1000, b.body.id).run();
  assertError(await s.cancel(b.body.id), 409, 'absence_started');
});

test('off: 403 and absent from My Account; a secondary without permission and a revoked guardian are refused; the switch refuses writes', async () => {
  const s = await school('abs-rules');
  const page = async (token) => (await portal.mf.dispatchFetch(`${BASE}/portal/abs-rules/account`, { headers: { cookie: `portal_session=${token}` } })).text();
  const shown = await page(s.primary.token);
  assert.match(shown, /Create Future Absence By Date/);
  assert.match(shown, /Create Future Absence By Enrollment/);

  // The secondary reads, but may not report or cancel without can_manage_enrollments.
  assert.equal((await s.list(s.secondary.token)).status, 200);
  assertError(await s.report({ by: 'enrollment', enrollment_id: s.enrollment.id, date: '2027-03-15' }, s.secondary.token), 403, 'enrollment_not_permitted');
  assert.doesNotMatch(await page(s.secondary.token), /Create Future Absence By Date/);
  const a = await s.report({ by: 'enrollment', enrollment_id: s.enrollment.id, date: '2027-03-15' });
  assertError(await s.cancel(a.body.id, s.secondary.token), 403, 'enrollment_not_permitted');

  await s.staff('PATCH', '/settings/portal-options', { allow_future_absences: false });
  assertError(await s.report({ by: 'enrollment', enrollment_id: s.enrollment.id, date: '2027-03-17' }), 403, 'future_absences_disabled');
  assertError(await s.list(), 403, 'future_absences_disabled');
  assertError(await s.cancel(a.body.id), 403, 'future_absences_disabled');
  assert.doesNotMatch(await page(s.primary.token), /Future Absences/);
  await s.staff('PATCH', '/settings/portal-options', { allow_future_absences: true });

  const off = await s.staff('PUT', '/settings/customer-portal', { enabled: false });
  assert.equal(off.status, 200, off.text);
  assertError(await s.report({ by: 'enrollment', enrollment_id: s.enrollment.id, date: '2027-03-17' }), 503, 'portal_unavailable');
  assertError(await s.cancel(a.body.id), 503, 'portal_unavailable');
  assert.equal((await s.db.prepare('SELECT COUNT(*) AS n FROM absences WHERE student_id = ? AND cancelled_at IS NULL').bind(s.mia.id).first()).n, 1);
});

test('a revoked guardian can no longer report an absence', async () => {
  const s = await school('abs-revoked');
  await portal.request('PUT', `${api('abs-revoked')}/guardians/${s.secondary.id}/permissions`, {
    token: s.primary.token, json: { can_make_payments: false, can_view_full_ledger: false, can_manage_enrollments: true },
  });
  assert.equal((await s.report({ by: 'enrollment', enrollment_id: s.enrollment.id, date: '2027-03-15' }, s.secondary.token)).status, 201);
  await s.staff('POST', `/guardians/${s.secondary.id}/revoke-login`, {});
  assertError(await s.report({ by: 'enrollment', enrollment_id: s.enrollment.id, date: '2027-03-17' }, s.secondary.token), 401, 'session_ended');
});

test('the pages: Create Future Absence By Date and By Enrollment, then Cancel; the Office day list', async () => {
  const s = await school('abs-pages');
  const cookie = `portal_session=${s.primary.token}`;
  const post = (path, fields) => portal.mf.dispatchFetch(`${BASE}/portal/abs-pages/account${path}`, {
    method: 'POST', redirect: 'manual', body: new URLSearchParams(fields).toString(),
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', origin: BASE },
  });
  const bad = await post(`/students/${s.mia.id}/absences/by-date`, { from_date: '2027-03-16', to_date: '2027-03-16' });
  assert.equal(bad.status, 422);
  assert.match(await bad.text(), /No class of this student meets in that time/);
  const byDate = await post(`/students/${s.mia.id}/absences/by-date`, { from_date: '2027-03-15', from_time: '16:30', to_time: '17:10', reason: 'Dentist' });
  assert.equal(byDate.status, 303);
  assert.match(byDate.headers.get('set-cookie'), /portal_flash=absence-created/);
  const byEnrollment = await post(`/students/${s.mia.id}/absences/by-enrollment`, { enrollment_id: s.enrollment.id, date: '2027-03-17' });
  assert.equal(byEnrollment.status, 303);
  const listed = (await s.list()).body.absences;
  assert.deepEqual(listed.map((a) => a.meetings[0].date), ['2027-03-15', '2027-03-17']);
  const account = await (await portal.mf.dispatchFetch(`${BASE}/portal/abs-pages/account`, { headers: { cookie } })).text();
  assert.match(account, /Swim 1 on 2027-03-15 <span class="reason">\(Dentist\)<\/span>/);
  const cancelled = await post(`/absences/${listed[0].id}/cancel`, {});
  assert.equal(cancelled.status, 303);
  assert.match(cancelled.headers.get('set-cookie'), /portal_flash=absence-cancelled/);
  assert.equal((await s.list()).body.absences.length, 1);

  const day = await portal.mf.dispatchFetch(`${BASE}/office/abs-pages/absences?date=2027-03-17`, { headers: { cookie: `office_session=${s.staffToken}` } });
  assert.equal(day.status, 200);
  assert.match(await day.text(), /Mia Lee<\/th>/);
});
