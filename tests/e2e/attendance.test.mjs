// Attendance: the sheet of a class meeting (regular places held during the meeting, one-day makeup
// and pass visits for that date, a reported absence), staff marking it, and the family reading it
// when the organization shows attendance. Dates are dates in the organization's time zone: these
// tests run in America/Chicago across the March 2026 daylight-saving change.
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
const ms = (iso) => Date.parse(iso);

/** A Chicago school: Swim 1 meets Mon and Wed 17:00–17:45 local; Mia and Leo are enrolled. */
async function school(slug, options = { show_attendance: true }) {
  const f = await portal.familyWithSecondary(slug);
  const staff = (method, path, json) => portal.request(method, `${office(slug)}${path}`, { token: f.staff, json });
  const set = await staff('PATCH', '/settings/portal-options', { time_zone: 'America/Chicago', ...options });
  assert.equal(set.status, 200, set.text);
  const location = await staff('POST', '/locations', { name: 'Main Pool' });
  const klass = await staff('POST', '/classes', {
    name: 'Swim 1', location_id: location.body.id, days: ['mon', 'wed'], start_time: '17:00', end_time: '17:45',
    start_date: '2026-03-01', end_date: '2099-12-31', capacity: 10, waitlist: false,
  });
  assert.equal(klass.status, 201, klass.text);
  const student = async (first_name) => {
    const res = await portal.request('POST', `${api(slug)}/students`, { token: f.primary.token, json: { first_name, last_name: 'Lee', birth_date: '2018-05-01' } });
    assert.equal(res.status, 201, res.text);
    return res.body;
  };
  const enroll = async (s) => {
    const res = await staff('POST', '/enrollments', { student_id: s.id, class_id: klass.body.id });
    assert.equal(res.status, 201, res.text);
    return res.body;
  };
  const [mia, leo, zoe] = [await student('Mia'), await student('Leo'), await student('Zoe')];
  const db = portal.dbOf(slug);
  /** Backdates when an enrollment began (the meetings tested are in the past). */
  const began = (enrollment, iso) => db.prepare('UPDATE enrollments SET enrolled_at = ? WHERE id = ?').bind(ms(iso), enrollment.id).run();
  return { ...f, staffToken: f.staff, slug, staff, klass: klass.body, location: location.body, mia, leo, zoe, enroll, began, db };
}

const sheetOf = (s, date) => s.staff('GET', `/classes/${s.klass.id}/attendance?date=${date}`);
const mark = (s, date, records) => s.staff('PUT', `/classes/${s.klass.id}/attendance`, { date, records });

test('the sheet follows the meeting in Chicago time across the daylight-saving change', async () => {
  const s = await school('att-dst');
  const mia = await s.enroll(s.mia);
  const leo = await s.enroll(s.leo);
  // Monday 9 March 2026 is in daylight time: the meeting runs 22:00–22:45 UTC (it was 23:00 UTC a
  // week before). Leo joined at 22:40 UTC, during it; Mia at 22:50 UTC, after it ended.
  await s.began(leo, '2026-03-09T22:40:00Z');
  await s.began(mia, '2026-03-09T22:50:00Z');
  const monday = await sheetOf(s, '2026-03-09');
  assert.equal(monday.status, 200, monday.text);
  assert.deepEqual(monday.body.students.map((x) => x.first_name), ['Leo']);
  // Wednesday 4 March is in standard time: 23:00–23:45 UTC. Neither had joined by then.
  assert.deepEqual((await sheetOf(s, '2026-03-04')).body.students, []);
  // By Wednesday 11 March both hold a place.
  const wednesday = await sheetOf(s, '2026-03-11');
  assert.deepEqual(wednesday.body, {
    class_id: s.klass.id,
    date: '2026-03-11',
    students: [
      { enrollment_id: leo.id, first_name: 'Leo', kind: 'regular', last_name: 'Lee', student_id: s.leo.id },
      { enrollment_id: mia.id, first_name: 'Mia', kind: 'regular', last_name: 'Lee', student_id: s.mia.id },
    ],
  });
  assertError(await sheetOf(s, '2026-03-08'), 422, 'class_not_meeting');
  assertError(await sheetOf(s, '2026-02-23'), 422, 'class_not_meeting');
  assertError(await sheetOf(s, '2026-3-9'), 422, 'invalid_field');
});

test('staff mark everyone in one request; marking again changes the mark; the rules of the sheet hold', async () => {
  const s = await school('att-mark');
  await s.began(await s.enroll(s.mia), '2026-03-01T00:00:00Z');
  await s.began(await s.enroll(s.leo), '2026-03-01T00:00:00Z');
  const marked = await mark(s, '2026-03-11', [{ student_id: s.mia.id, status: 'present' }, { student_id: s.leo.id, status: 'excused' }]);
  assert.equal(marked.status, 200, marked.text);
  assert.deepEqual(marked.body.students.map((x) => [x.first_name, x.status]), [['Leo', 'excused'], ['Mia', 'present']]);
  const again = await mark(s, '2026-03-11', [{ student_id: s.leo.id, status: 'absent' }]);
  assert.deepEqual(again.body.students.map((x) => [x.first_name, x.status]), [['Leo', 'absent'], ['Mia', 'present']]);

  assertError(await mark(s, '2026-03-10', [{ student_id: s.mia.id, status: 'present' }]), 422, 'class_not_meeting');
  const notOnSheet = await mark(s, '2026-03-11', [{ student_id: s.mia.id, status: 'present' }, { student_id: s.zoe.id, status: 'present' }]);
  assertError(notOnSheet, 422, 'not_enrolled');
  assert.equal(notOnSheet.body.error.field, 'records[1].student_id');
  assertError(await mark(s, '2026-03-11', [{ student_id: s.mia.id, status: 'late' }]), 422, 'invalid_field');
  // A meeting that has not started cannot be marked (the sheet can be read).
  const future = new Date(Date.now() + 8 * 86400_000);
  while (future.getUTCDay() !== 1) future.setUTCDate(future.getUTCDate() + 1);
  const day = future.toISOString().slice(0, 10);
  assert.equal((await sheetOf(s, day)).status, 200);
  assertError(await mark(s, day, [{ student_id: s.mia.id, status: 'present' }]), 422, 'meeting_not_started');
  // Nothing was written by the refused requests.
  const rows = await s.db.prepare('SELECT COUNT(*) AS n FROM attendance WHERE class_id = ?').bind(s.klass.id).first();
  assert.equal(rows.n, 2);
});

test('the sheet lists one-day makeup and pass visits for that date, and a waitlist spot not at all', async () => {
  const s = await school('att-visits');
  const visit = (id, student, kind, date) =>
    s.db.prepare(`INSERT INTO enrollments (id, org_id, family_id, student_id, class_id, status, kind, date, enrolled_at, enrolled_by_kind, enrolled_by_label)
      VALUES (?, ?, ?, ?, ?, 'active', ?, ?, ?, 'staff', 'test')`).bind(id, s.org.id, s.family.id, student.id, s.klass.id, kind, date, Date.now()).run();
  await visit('enr_makeup', s.mia, 'makeup', '2026-03-16');
  await visit('enr_pass', s.leo, 'pass', '2026-03-16');
  await visit('enr_other_day', s.zoe, 'pass', '2026-03-18');
  const sheet = await sheetOf(s, '2026-03-16');
  assert.deepEqual(sheet.body.students.map((x) => [x.first_name, x.kind, x.enrollment_id]), [['Leo', 'pass', 'enr_pass'], ['Mia', 'makeup', 'enr_makeup']]);
  assert.equal((await mark(s, '2026-03-16', [{ student_id: s.mia.id, status: 'present' }])).status, 200);
  assertError(await mark(s, '2026-03-16', [{ student_id: s.zoe.id, status: 'present' }]), 422, 'not_enrolled');
});

test("another organization's class is not found; customers cannot take attendance", async () => {
  const s = await school('att-own');
  const other = await school('att-other');
  assertError(await s.staff('GET', `/classes/${other.klass.id}/attendance?date=2026-03-09`), 404, 'class_not_found');
  assertError(await s.staff('PUT', `/classes/${other.klass.id}/attendance`, { date: '2026-03-09', records: [] }), 404, 'class_not_found');
  assertError(await portal.request('GET', `${office('att-own')}/classes/${s.klass.id}/attendance?date=2026-03-09`, { token: s.primary.token }), 401, 'invalid_session');
});

test('families read attendance only when the organization shows it: 403 and absent from My Account when off', async () => {
  const s = await school('att-family');
  const e = await s.enroll(s.mia);
  await s.began(e, '2026-03-01T00:00:00Z');
  await mark(s, '2026-03-09', [{ student_id: s.mia.id, status: 'present' }]);
  await mark(s, '2026-03-11', [{ student_id: s.mia.id, status: 'absent' }]);
  const read = (token, student = s.mia) => portal.request('GET', `${api('att-family')}/students/${student.id}/attendance`, { token });
  const res = await read(s.secondary.token);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body, {
    current: [{ class: { id: s.klass.id, name: 'Swim 1' }, enrollment_id: e.id, records: [{ date: '2026-03-11', status: 'absent' }, { date: '2026-03-09', status: 'present' }] }],
    past: [],
  });
  const page = async () => (await portal.mf.dispatchFetch(`${BASE}/portal/att-family/account`, { headers: { cookie: `portal_session=${s.primary.token}` } })).text();
  const shown = await page();
  assert.match(shown, /Attendance<span class="visually-hidden"> of Mia Lee<\/span>/);
  assert.match(shown, /<td>2026-03-09<\/td><td>Present<\/td>/);

  // Another organization's student is not found.
  const other = await school('att-family-other');
  assertError(await read(s.primary.token, other.mia), 404, 'student_not_found');

  const off = await s.staff('PATCH', '/settings/portal-options', { show_attendance: false });
  assert.equal(off.status, 200, off.text);
  assertError(await read(s.primary.token), 403, 'attendance_disabled');
  assert.doesNotMatch(await page(), /Attendance<span/);
  // Staff still take attendance.
  assert.equal((await sheetOf(s, '2026-03-09')).status, 200);

  // A revoked guardian reads nothing.
  await s.staff('PATCH', '/settings/portal-options', { show_attendance: true });
  const revoked = await s.staff('POST', `/guardians/${s.secondary.id}/revoke-login`, {});
  assert.equal(revoked.status, 200, revoked.text);
  assertError(await read(s.secondary.token), 401, 'session_ended');
});

test('the Office attendance sheet marks everyone in one form, reached from the family\'s Students tab', async () => {
  const s = await school('att-page');
  await s.began(await s.enroll(s.mia), '2026-03-01T00:00:00Z');
  const cookie = `office_session=${s.staffToken}`;
  const students = await (await portal.mf.dispatchFetch(`${BASE}/office/att-page/families/${s.family.id}/students`, { headers: { cookie } })).text();
  assert.match(students, new RegExp(`href="/office/att-page/classes/${s.klass.id}/attendance"`));
  const get = async (date) => portal.mf.dispatchFetch(`${BASE}/office/att-page/classes/${s.klass.id}/attendance?date=${date}`, { headers: { cookie } });
  const sheet = await get('2026-03-09');
  assert.equal(sheet.status, 200);
  assert.match(await sheet.text(), /name="status-[^"]+" value="present"/);
  const sunday = await get('2026-03-08');
  assert.equal(sunday.status, 422);
  assert.match(await sunday.text(), /Swim 1 does not meet on 2026-03-08/);
  const posted = await portal.mf.dispatchFetch(`${BASE}/office/att-page/classes/${s.klass.id}/attendance`, {
    method: 'POST', redirect: 'manual',
    body: new URLSearchParams({ date: '2026-03-09', [`status-${s.mia.id}`]: 'excused' }).toString(),
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', origin: BASE },
  });
  assert.equal(posted.status, 303);
  assert.equal(posted.headers.get('location'), `/office/att-page/classes/${s.klass.id}/attendance?date=2026-03-09`);
  assert.match(posted.headers.get('set-cookie'), /office_flash=attendance-saved/);
  assert.equal((await sheetOf(s, '2026-03-09')).body.students[0].status, 'excused');
});
