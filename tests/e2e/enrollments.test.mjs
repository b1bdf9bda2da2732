// Students, classes and enrollments; drop, transfer and waitlist requests; the portal switch.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPortal, assertError } from './harness.mjs';
import { setTimeout as sleep } from 'node:timers/promises';

let portal;
before(async () => {
  portal = await startPortal();
});
after(() => portal.close());

const office = (slug) => `/office/${slug}/api`;
const api = (slug) => `/portal/${slug}/api`;
const UNAVAILABLE = 'Our Customer Portal is currently unavailable. Please check back later.';

/** An organization with a location, a family (primary Ann, secondary Bob) and a student, Mia. */
async function school(slug, options = {}) {
  const f = await portal.familyWithSecondary(slug);
  const post = (path, json, token = f.staff) => portal.request('POST', `${office(slug)}${path}`, { token, json });
  const location = await post('/locations', { name: 'Main Pool' });
  assert.equal(location.status, 201, location.text);
  if (Object.keys(options).length) {
    const set = await portal.request('PATCH', `${office(slug)}/settings/portal-options`, { token: f.staff, json: options });
    assert.equal(set.status, 200, set.text);
  }
  const student = await portal.request('POST', `${api(slug)}/students`, {
    token: f.primary.token,
    json: { first_name: 'Mia', last_name: 'Lee', birth_date: '2019-04-02' },
  });
  assert.equal(student.status, 201, student.text);
  const addClass = async (name, capacity, waitlist, extra = {}) => {
    const res = await post('/classes', {
      name,
      location_id: location.body.id,
      days: ['mon', 'wed'],
      start_time: '16:00',
      end_time: '16:45',
      start_date: '2026-09-01',
      end_date: '2099-12-31',
      capacity,
      waitlist,
      ...extra,
    });
    assert.equal(res.status, 201, res.text);
    return res.body;
  };
  return { ...f, slug, location: location.body, mia: student.body, addClass, post };
}

const enroll = (s, token, student_id, class_id) =>
  portal.request('POST', `${api(s.slug)}/enrollments`, { token, json: { student_id, class_id } });

test('staff keep classes; a family adds a student and enrolls them: a place, then the waitlist, then 409', async () => {
  const s = await school('enroll');
  const small = await s.addClass('Tumbling 1', 1, false);
  assert.deepEqual(
    [small.location.name, small.days, small.capacity, small.enrolled, small.waitlisted, small.open],
    ['Main Pool', ['mon', 'wed'], 1, 0, 0, true],
  );
  assertError(await s.post('/classes', { ...small, location_id: s.location.id, id: undefined, location: undefined }), 422, 'invalid_field');
  assertError(
    await s.post('/classes', { name: 'Bad', location_id: s.location.id, days: [], start_time: '16:00', end_time: '16:45', start_date: '2026-09-01', end_date: '2026-12-31', capacity: 3, waitlist: false }),
    422,
    'invalid_field',
  );

  const placed = await enroll(s, s.primary.token, s.mia.id, small.id);
  assert.equal(placed.status, 201, placed.text);
  assert.equal(placed.body.status, 'active');
  assert.equal(placed.body.class.name, 'Tumbling 1');
  assertError(await enroll(s, s.primary.token, s.mia.id, small.id), 409, 'already_enrolled');

  const leo = await portal.request('POST', `${api('enroll')}/students`, { token: s.primary.token, json: { first_name: 'Leo', last_name: 'Lee', birth_date: '2017-01-20' } });
  const full = await enroll(s, s.primary.token, leo.body.id, small.id);
  assertError(full, 409, 'class_full');
  assert.equal(full.body.error.message, 'Tumbling 1 is full and keeps no waitlist.');

  const waitlisted = await s.addClass('Swim 2', 0, true);
  const spot = await enroll(s, s.primary.token, leo.body.id, waitlisted.id);
  assert.equal(spot.body.status, 'waitlisted');

  const listed = await portal.request('GET', `${api('enroll')}/students/${leo.body.id}/enrollments`, { token: s.primary.token });
  assert.deepEqual([listed.body.current.length, listed.body.waitlist.length, listed.body.past.length], [0, 1, 0]);
  const classes = await portal.request('GET', `${office('enroll')}/classes`, { token: s.staff });
  const counts = Object.fromEntries(classes.body.classes.map((c) => [c.name, [c.enrolled, c.waitlisted]]));
  assert.deepEqual(counts, { 'Tumbling 1': [1, 0], 'Swim 2': [0, 1] });
  const students = await portal.request('GET', `${api('enroll')}/students`, { token: s.secondary.token });
  assert.deepEqual(students.body.students.map((x) => x.first_name), ['Leo', 'Mia'], 'every guardian who can log in sees the students');
});

test('a secondary needs the permission to manage enrollments; the primary grants it', async () => {
  const s = await school('permit');
  const c = await s.addClass('Dance', 5, false);
  assertError(await enroll(s, s.secondary.token, s.mia.id, c.id), 403, 'enrollments_not_permitted');
  assertError(
    await portal.request('POST', `${api('permit')}/students`, { token: s.secondary.token, json: { first_name: 'X', last_name: 'Y', birth_date: '2018-01-01' } }),
    403,
    'enrollments_not_permitted',
  );
  const granted = await portal.request('PUT', `${api('permit')}/guardians/${s.secondary.id}/permissions`, {
    token: s.primary.token,
    json: { can_make_payments: false, can_view_full_ledger: false, can_manage_enrollments: true },
  });
  assert.equal(granted.status, 200, granted.text);
  assert.equal(granted.body.permissions.can_manage_enrollments, true);
  assert.equal((await enroll(s, s.secondary.token, s.mia.id, c.id)).status, 201);
  // A client that knows only the first two permissions leaves the third as it was.
  const kept = await portal.request('PUT', `${api('permit')}/guardians/${s.secondary.id}/permissions`, {
    token: s.primary.token,
    json: { can_make_payments: true, can_view_full_ledger: false },
  });
  assert.equal(kept.body.permissions.can_manage_enrollments, true);
});

test('two families racing for the last place: one gets it, the other is waitlisted', async () => {
  const s = await school('race');
  const c = await s.addClass('Last Spot', 1, true);
  const other = await portal.createFamily('race', s.staff, 'Park', { first_name: 'Pia', last_name: 'Park', email: 'pia@race.test' });
  const kid = await s.post(`/families/${other.id}/students`, { first_name: 'Kai', last_name: 'Park', birth_date: '2018-05-05' });
  assert.equal(kid.status, 201, kid.text);
  const results = await Promise.all([
    enroll(s, s.primary.token, s.mia.id, c.id),
    s.post('/enrollments', { student_id: kid.body.id, class_id: c.id }),
  ]);
  assert.deepEqual(results.map((r) => r.status), [201, 201]);
  assert.deepEqual(results.map((r) => r.body.status).sort(), ['active', 'waitlisted']);
  const now = (await portal.request('GET', `${office('race')}/classes`, { token: s.staff })).body.classes[0];
  assert.deepEqual([now.enrolled, now.waitlisted], [1, 1]);
});

test('drop and transfer requests wait for staff; approval drops or moves, denial keeps; the family is e-mailed', async () => {
  const s = await school('requests', { allow_drop_requests: true, allow_transfer_requests: true, allow_cancel_waitlist: true });
  const from = await s.addClass('Level 1', 5, false);
  const to = await s.addClass('Level 2', 1, true);
  const e = (await enroll(s, s.primary.token, s.mia.id, from.id)).body;
  assert.deepEqual(e.actions, ['drop', 'transfer']);

  const drop = await portal.request('POST', `${api('requests')}/enrollments/${e.id}/drop-request`, {
    token: s.primary.token,
    json: { reason: 'Moving', effective_date: '2026-12-15' },
  });
  assert.equal(drop.status, 201, drop.text);
  assert.deepEqual([drop.body.kind, drop.body.status, drop.body.reason, drop.body.effective_date], ['drop', 'pending', 'Moving', '2026-12-15']);
  assertError(
    await portal.request('POST', `${api('requests')}/enrollments/${e.id}/transfer-request`, { token: s.primary.token, json: { to_class_id: to.id } }),
    409,
    'request_pending',
  );
  const pending = await portal.request('GET', `${office('requests')}/requests?status=pending`, { token: s.staff });
  assert.deepEqual(pending.body.requests.map((r) => [r.kind, r.student.first_name, r.from_class.name]), [['drop', 'Mia', 'Level 1']]);

  const denied = await s.post(`/requests/${drop.body.id}/deny`, { note: 'Talk to the coach first' });
  assert.equal(denied.status, 200, denied.text);
  assert.deepEqual([denied.body.status, denied.body.note], ['denied', 'Talk to the coach first']);
  assertError(await s.post(`/requests/${drop.body.id}/approve`, {}), 409, 'request_decided');
  const [deniedMail] = await portal.waitForMail(s.primary.email, (m) => m.kind === 'enrollment_request_decided');
  assert.match(deniedMail.text, /denied your request to drop Mia Lee from Level 1/);
  assert.match(deniedMail.text, /Note from the office: Talk to the coach first/);

  const transfer = await portal.request('POST', `${api('requests')}/enrollments/${e.id}/transfer-request`, { token: s.primary.token, json: { to_class_id: to.id } });
  assert.equal(transfer.status, 201, transfer.text);
  const approved = await s.post(`/requests/${transfer.body.id}/approve`, {});
  assert.equal(approved.status, 200, approved.text);
  assert.deepEqual([approved.body.status, approved.body.outcome, approved.body.to_class.name], ['approved', 'active', 'Level 2']);
  const after = await portal.request('GET', `${api('requests')}/students/${s.mia.id}/enrollments`, { token: s.primary.token });
  assert.deepEqual(after.body.current.map((x) => x.class.name), ['Level 2']);
  assert.deepEqual(after.body.past.map((x) => [x.class.name, x.status]), [['Level 1', 'transferred']]);
  await portal.waitForMail(s.primary.email, (m) => m.kind === 'enrollment_request_decided' && /approved your request to transfer Mia Lee from Level 1 to Level 2/.test(m.text));

  const dropNow = await portal.request('POST', `${api('requests')}/enrollments/${after.body.current[0].id}/drop-request`, { token: s.primary.token, json: {} });
  assert.equal((await s.post(`/requests/${dropNow.body.id}/approve`)).status, 200);
  const dropped = await portal.request('GET', `${api('requests')}/students/${s.mia.id}/enrollments`, { token: s.primary.token });
  assert.deepEqual(dropped.body.current, []);
  assert.ok(dropped.body.past.some((x) => x.class.name === 'Level 2' && x.status === 'dropped'));

  const history = await portal.request('GET', `${office('requests')}/audit?family_id=${s.family.id}`, { token: s.staff });
  const actions = history.body.entries.map((x) => x.action);
  for (const a of ['student_added', 'student_enrolled', 'drop_requested', 'drop_request_denied', 'transfer_requested', 'transfer_request_approved', 'drop_request_approved']) {
    assert.ok(actions.includes(a), `${a} in ${actions}`);
  }
  const familyRequests = await portal.request('GET', `${api('requests')}/requests`, { token: s.secondary.token });
  assert.equal(familyRequests.body.requests.length, 3);
});

test('each request needs its option; a waitlist spot is cancelled at once', async () => {
  const s = await school('options');
  const c = await s.addClass('Full', 0, true);
  const open = await s.addClass('Open', 3, false);
  const spot = (await enroll(s, s.primary.token, s.mia.id, c.id)).body;
  const place = (await enroll(s, s.primary.token, s.mia.id, open.id)).body;
  assert.deepEqual(place.actions, []);
  assertError(await portal.request('POST', `${api('options')}/enrollments/${place.id}/drop-request`, { token: s.primary.token, json: {} }), 403, 'drop_requests_disabled');
  assertError(
    await portal.request('POST', `${api('options')}/enrollments/${place.id}/transfer-request`, { token: s.primary.token, json: { to_class_id: c.id } }),
    403,
    'transfer_requests_disabled',
  );
  assertError(await portal.request('DELETE', `${api('options')}/enrollments/${spot.id}/waitlist`, { token: s.primary.token }), 403, 'cancel_waitlist_disabled');
  await portal.request('PATCH', `${office('options')}/settings/portal-options`, { token: s.staff, json: { allow_cancel_waitlist: true } });
  assertError(await portal.request('DELETE', `${api('options')}/enrollments/${place.id}/waitlist`, { token: s.primary.token }), 409, 'not_waitlisted');
  const cancelled = await portal.request('DELETE', `${api('options')}/enrollments/${spot.id}/waitlist`, { token: s.primary.token });
  assert.equal(cancelled.status, 200, cancelled.text);
  assert.equal(cancelled.body.status, 'dropped');
});

test('the portal switch stops enrolling and requests (checked in D1, whatever KV says) while staff still enroll', async () => {
  const s = await school('switch', { allow_drop_requests: true, allow_transfer_requests: true });
  const c = await s.addClass('Morning', 5, false);
  const other = await s.addClass('Evening', 5, false);
  const e = (await enroll(s, s.primary.token, s.mia.id, c.id)).body;
  const off = await portal.request('PUT', `${office('switch')}/settings/customer-portal`, { token: s.staff, json: { enabled: false } });
  assert.equal(off.status, 200, off.text);
  // The edge's copy lags: the Worker still reads the truth from D1.
  await portal.kv.put('portal-switch:switch', 'on');
  for (const res of [
    await enroll(s, s.primary.token, s.mia.id, other.id),
    await portal.request('POST', `${api('switch')}/enrollments/${e.id}/drop-request`, { token: s.primary.token, json: {} }),
    await portal.request('POST', `${api('switch')}/enrollments/${e.id}/transfer-request`, { token: s.primary.token, json: { to_class_id: other.id } }),
  ]) {
    assertError(res, 503, 'portal_unavailable');
    assert.equal(res.body.error.message, UNAVAILABLE);
  }
  const staffEnrolls = await s.post('/enrollments', { student_id: s.mia.id, class_id: other.id });
  assert.equal(staffEnrolls.status, 201, staffEnrolls.text);
});

test("another organization's students, classes and enrollments are not found", async () => {
  const a = await school('org-a');
  const b = await school('org-b');
  const bClass = await b.addClass('B only', 5, false);
  const bEnrollment = (await enroll(b, b.primary.token, b.mia.id, bClass.id)).body;
  assertError(await enroll(a, a.primary.token, a.mia.id, bClass.id), 404, 'class_not_found');
  assertError(await enroll(a, a.primary.token, b.mia.id, (await a.addClass('A', 5, false)).id), 404, 'student_not_found');
  assertError(await portal.request('GET', `${api('org-a')}/students/${b.mia.id}/enrollments`, { token: a.primary.token }), 404, 'student_not_found');
  assertError(await portal.request('DELETE', `${api('org-a')}/enrollments/${bEnrollment.id}/waitlist`, { token: a.primary.token }), 404, 'enrollment_not_found');
  assertError(await a.post('/enrollments', { student_id: b.mia.id, class_id: bClass.id }), 404, 'student_not_found');
  assertError(await portal.request('PATCH', `${office('org-a')}/classes/${bClass.id}`, { token: a.staff, json: {
    name: 'x', location_id: a.location.id, days: ['mon'], start_time: '10:00', end_time: '11:00', start_date: '2026-01-01', end_date: '2026-02-01', capacity: 1, waitlist: false,
  } }), 404, 'class_not_found');
  assertError(await a.post(`/requests/req_nope/approve`, {}), 404, 'request_not_found');
});

test('a merge brings the merged family’s students along', async () => {
  const s = await school('merge-kids');
  const other = await portal.createFamily('merge-kids', s.staff, 'Park', { first_name: 'Pia', last_name: 'Park', email: 'pia@merge-kids.test' });
  await s.post(`/families/${other.id}/students`, { first_name: 'Kai', last_name: 'Park', birth_date: '2018-05-05' });
  const merged = await s.post(`/families/${s.family.id}/merge`, { from_family_ids: [other.id] });
  assert.equal(merged.status, 200, merged.text);
  const students = await portal.request('GET', `${api('merge-kids')}/students`, { token: s.primary.token });
  assert.deepEqual(students.body.students.map((x) => x.first_name), ['Mia', 'Kai'].sort((x, y) => (x === 'Kai' ? 1 : -1)));
});

test("a revoked guardian's pending request stays with the family and names them; they can make no new one", async () => {
  const s = await school('revoked-asker', { allow_drop_requests: true });
  const c = await s.addClass('Ballet', 5, false);
  const e = (await enroll(s, s.primary.token, s.mia.id, c.id)).body;
  await portal.request('PUT', `${api('revoked-asker')}/guardians/${s.secondary.id}/permissions`, {
    token: s.primary.token,
    json: { can_make_payments: false, can_view_full_ledger: false, can_manage_enrollments: true },
  });
  const asked = await portal.request('POST', `${api('revoked-asker')}/enrollments/${e.id}/drop-request`, { token: s.secondary.token, json: { reason: 'Too early' } });
  assert.equal(asked.status, 201, asked.text);
  assert.equal((await portal.request('POST', `${api('revoked-asker')}/guardians/${s.secondary.id}/revoke`, { token: s.primary.token })).status, 200);
  const pending = await portal.request('GET', `${office('revoked-asker')}/requests?status=pending`, { token: s.staff });
  assert.deepEqual(pending.body.requests.map((r) => [r.status, r.requested_by]), [['pending', 'Bob Lee']]);
  assertError(
    await portal.request('POST', `${api('revoked-asker')}/enrollments/${e.id}/drop-request`, { token: s.secondary.token, json: {} }),
    401,
    'session_ended',
  );
  const mine = await portal.request('GET', `${api('revoked-asker')}/requests`, { token: s.primary.token });
  assert.equal(mine.body.requests[0].requested_by, 'Bob Lee');
});

/** A new secondary of the school's family who can log in and manage enrollments: {id, token}. */
async function managingSecondary(s, name) {
  const email = `${name.toLowerCase()}@${s.slug}.test`;
  const added = await portal.request('POST', `${api(s.slug)}/guardians`, {
    token: s.primary.token,
    json: { first_name: name, last_name: 'Lee', email },
  });
  assert.equal(added.status, 201, added.text);
  const sent = await portal.request('POST', `${api(s.slug)}/guardians/${added.body.id}/invitation`, { token: s.primary.token });
  assert.equal(sent.status, 202, sent.text);
  const accepted = await portal.accept(s.slug, await portal.linkToken(email, 'invitation'), `${name}-password-1`);
  assert.equal(accepted.status, 200, accepted.text);
  const granted = await portal.request('PUT', `${api(s.slug)}/guardians/${added.body.id}/permissions`, {
    token: s.primary.token,
    json: { can_make_payments: false, can_view_full_ledger: false, can_manage_enrollments: true },
  });
  assert.equal(granted.status, 200, granted.text);
  return { id: added.body.id, token: accepted.body.token };
}

/** The audit log's rows of `action` on `target_id`, with their insertion order (rowid). */
const auditRows = async (slug, action, targetId) =>
  (await portal.dbOf(slug).prepare('SELECT rowid AS n, target_id FROM audit_log WHERE action = ? AND target_id = ?').bind(action, targetId).all()).results;
const enrollmentsIn = async (slug, classId) =>
  (await portal.dbOf(slug).prepare('SELECT id, status FROM enrollments WHERE class_id = ?').bind(classId).all()).results;

test('a revoke racing the revoked guardian’s enrollment, 12 rounds: the enrollment lands before the revoke (201) or not at all (401)', async (t) => {
  const s = await school('revoke-race');
  const outcomes = [];
  for (let round = 0; round < 12; round += 1) {
    const c = await s.addClass(`Race ${round}`, 5, false);
    const bob = await managingSecondary(s, `Racer${round}`);
    // Which request starts first alternates, the other follows 0 to 2 ms later: the rounds fall on
    // both sides of the revoke, and some between a session check and its write.
    const revoke = () => portal.request('POST', `${api(s.slug)}/guardians/${bob.id}/revoke`, { token: s.primary.token });
    const enrolling = () => enroll(s, bob.token, s.mia.id, c.id);
    const later = (go) => sleep((round >> 1) % 3).then(go);
    const [enrolled, revoked] = round % 2
      ? await Promise.all([enrolling(), later(revoke)])
      : await Promise.all([later(enrolling), revoke()]);
    assert.equal(revoked.status, 200, revoked.text);
    const rows = await enrollmentsIn(s.slug, c.id);
    if (enrolled.status === 201) {
      assert.deepEqual(rows.map((r) => r.id), [enrolled.body.id], `round ${round}: the enrollment answered 201 exists`);
      // It committed before the revoke: its audit row was written first.
      const [made] = await auditRows(s.slug, 'student_enrolled', enrolled.body.id);
      const [revoke] = await auditRows(s.slug, 'access_revoked', bob.id);
      assert.ok(made.n < revoke.n, `round ${round}: the enrollment was written after the revoke`);
    } else {
      assertError(enrolled, 401, 'session_ended');
      assert.deepEqual(rows, [], `round ${round}: an enrollment answered 401 left a row`);
    }
    // Either way, the revoked guardian can enroll no more.
    const c2 = await s.addClass(`After ${round}`, 5, false);
    assertError(await enroll(s, bob.token, s.mia.id, c2.id), 401, 'session_ended');
    assert.deepEqual(await enrollmentsIn(s.slug, c2.id), []);
    outcomes.push(enrolled.status);
  }
  assert.ok(outcomes.every((o) => o === 201 || o === 401), outcomes.join(' '));
  t.diagnostic(`enrollment answers: ${outcomes.join(' ')}`);
});

test('a customer write whose session ended after the session check writes nothing and answers 401', async () => {
  const s = await school('ended-mid-request', { allow_drop_requests: true, allow_transfer_requests: true, allow_cancel_waitlist: true });
  const bob = await managingSecondary(s, 'Ned');
  // Development only: the session ends just after its check, as if a revoke committed then.
  const racing = { 'x-dev-end-session-after-check': '1' };
  const tokenOf = () => managingSecondarySignIn(s, 'ned');
  const c = await s.addClass('Guarded', 5, false);
  const waitlisted = await s.addClass('Full', 0, true);
  const active = (await enroll(s, s.primary.token, s.mia.id, c.id)).body;
  const spot = (await enroll(s, s.primary.token, s.mia.id, waitlisted.id)).body;
  assert.equal(spot.status, 'waitlisted');
  const other = await s.addClass('Other', 5, false);
  const audits = async () => (await portal.dbOf(s.slug).prepare('SELECT COUNT(*) AS n FROM audit_log').first()).n;

  const writes = [
    ['enroll', 'POST', '/enrollments', { student_id: s.mia.id, class_id: other.id }],
    ['add a student', 'POST', '/students', { first_name: 'Zed', last_name: 'Lee', birth_date: '2018-01-01' }],
    ['edit a student', 'PATCH', `/students/${s.mia.id}`, { first_name: 'Mila' }],
    ['drop request', 'POST', `/enrollments/${active.id}/drop-request`, { reason: 'Moving' }],
    ['transfer request', 'POST', `/enrollments/${active.id}/transfer-request`, { to_class_id: other.id }],
    ['cancel a waitlist spot', 'DELETE', `/enrollments/${spot.id}/waitlist`, undefined],
  ];
  let token = bob.token;
  for (const [what, method, path, json] of writes) {
    const before = await audits();
    const res = await portal.request(method, `${api(s.slug)}${path}`, { token, json, headers: racing });
    assertError(res, 401, 'session_ended');
    assert.equal(await audits(), before, `${what}: no audit row`);
    // The next request with the token finds the session ended too.
    assertError(await portal.request('GET', `${api(s.slug)}/students`, { token }), 401, 'session_ended');
    token = await tokenOf();
  }
  assert.deepEqual(await enrollmentsIn(s.slug, other.id), [], 'no enrollment was written');
  const students = await portal.request('GET', `${api(s.slug)}/students`, { token: s.primary.token });
  assert.deepEqual(students.body.students.map((x) => x.first_name), ['Mia'], 'no student added or renamed');
  const requests = await portal.request('GET', `${api(s.slug)}/requests`, { token: s.primary.token });
  assert.deepEqual(requests.body.requests, [], 'no request was written');
  const mias = await portal.request('GET', `${api(s.slug)}/students/${s.mia.id}/enrollments`, { token: s.primary.token });
  assert.deepEqual(mias.body.waitlist.map((e) => e.id), [spot.id], 'the waitlist spot is kept');
  // Without the hook, the same writes go through.
  assert.equal((await enroll(s, token, s.mia.id, other.id)).status, 201);
});

async function managingSecondarySignIn(s, name) {
  return portal.guardianSignIn(s.slug, `${name}@${s.slug}.test`, `${name[0].toUpperCase()}${name.slice(1)}-password-1`);
}
