// Evaluations: staff record a student's evaluation (skills with a level, a note, the class); the
// family reads them newest first with Evaluated Skills (the latest level of each skill). Always
// shown, whatever the portal options say.
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

async function school(slug) {
  const f = await portal.familyWithSecondary(slug);
  const post = (path, json, token = f.staff) => portal.request('POST', `${office(slug)}${path}`, { token, json });
  const location = await post('/locations', { name: 'Main Pool' });
  const klass = await post('/classes', {
    name: 'Swim 1', location_id: location.body.id, days: ['mon'], start_time: '16:00', end_time: '16:45',
    start_date: '2026-09-01', end_date: '2099-12-31', capacity: 5, waitlist: false,
  });
  assert.equal(klass.status, 201, klass.text);
  const mia = await portal.request('POST', `${api(slug)}/students`, { token: f.primary.token, json: { first_name: 'Mia', last_name: 'Lee', birth_date: '2019-04-02' } });
  assert.equal(mia.status, 201, mia.text);
  return { ...f, slug, post, klass: klass.body, mia: mia.body };
}

test('staff record evaluations; the family sees them newest first and the latest level of each skill', async () => {
  const s = await school('eval');
  const first = await s.post(`/students/${s.mia.id}/evaluations`, {
    class_id: s.klass.id,
    skills: [{ name: 'Float', level: 'not_yet' }, { name: 'Kick', level: 'progressing' }],
    note: 'A good start.',
  });
  assert.equal(first.status, 201, first.text);
  assert.equal(first.body.student_id, s.mia.id);
  assert.deepEqual(first.body.class, { id: s.klass.id, name: 'Swim 1' });
  assert.equal(first.body.evaluated_by, 'owner@eval.test');
  assert.equal(first.body.note, 'A good start.');
  assert.match(first.body.evaluated_at, /^\d{4}-\d{2}-\d{2}T.*Z$/);

  await new Promise((r) => setTimeout(r, 5));
  const second = await s.post(`/students/${s.mia.id}/evaluations`, { skills: [{ name: 'Float', level: 'passed' }] });
  assert.equal(second.status, 201, second.text);
  assert.equal(second.body.class, undefined, 'no class named: none shown');
  assert.equal(second.body.note, null);

  // Every guardian who can log in reads them, the secondary included.
  const res = await portal.request('GET', `${api('eval')}/students/${s.mia.id}/evaluations`, { token: s.secondary.token });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body.evaluations.map((e) => e.id), [second.body.id, first.body.id]);
  assert.deepEqual(
    res.body.skills.map(({ name, level }) => [name, level]),
    [['Float', 'passed'], ['Kick', 'progressing']],
  );
  assert.equal(res.body.skills[0].evaluated_at, second.body.evaluated_at);
});

test('an evaluation is checked: skills, levels, the class; another organization\'s student is not found', async () => {
  const s = await school('eval-rules');
  const other = await school('eval-other');
  const at = (path, json) => s.post(path, json);
  assertError(await at(`/students/${s.mia.id}/evaluations`, { skills: [] }), 422, 'invalid_field');
  const badLevel = await at(`/students/${s.mia.id}/evaluations`, { skills: [{ name: 'Float', level: 'great' }] });
  assertError(badLevel, 422, 'invalid_field');
  assert.equal(badLevel.body.error.field, 'skills[0].level');
  const twice = await at(`/students/${s.mia.id}/evaluations`, { skills: [{ name: 'Float', level: 'passed' }, { name: 'float', level: 'passed' }] });
  assert.equal(twice.body.error.field, 'skills[1].name');
  const foreignClass = await at(`/students/${s.mia.id}/evaluations`, { class_id: other.klass.id, skills: [{ name: 'Float', level: 'passed' }] });
  assertError(foreignClass, 422, 'invalid_field');
  assert.equal(foreignClass.body.error.field, 'class_id');
  assertError(await at(`/students/${other.mia.id}/evaluations`, { skills: [{ name: 'Float', level: 'passed' }] }), 404, 'student_not_found');
  assertError(await portal.request('GET', `${api('eval-rules')}/students/${other.mia.id}/evaluations`, { token: s.primary.token }), 404, 'student_not_found');
  // Customers cannot record one.
  assertError(await portal.request('POST', `${office('eval-rules')}/students/${s.mia.id}/evaluations`, { token: s.primary.token, json: { skills: [{ name: 'Float', level: 'passed' }] } }), 401, 'invalid_session');
});

test('a revoked guardian no longer reads evaluations', async () => {
  const s = await school('eval-revoked');
  const revoke = await portal.request('POST', `${office('eval-revoked')}/guardians/${s.secondary.id}/revoke-login`, { token: s.staff, json: {} });
  assert.equal(revoke.status, 200, revoke.text);
  assertError(await portal.request('GET', `${api('eval-revoked')}/students/${s.mia.id}/evaluations`, { token: s.secondary.token }), 401, 'session_ended');
});

test('My Account shows Evaluations and Evaluated Skills; staff record one on the Office page', async () => {
  const s = await school('eval-pages');
  const staffCookie = `office_session=${s.staff}`;
  const form = new URLSearchParams({ class_id: s.klass.id, skill_1: 'Float', level_1: 'passed', skill_2: 'Kick', level_2: '', note: 'Nice' });
  const refused = await portal.mf.dispatchFetch(`${BASE}/office/eval-pages/families/${s.family.id}/students/${s.mia.id}/evaluations`, {
    method: 'POST', body: form.toString(), headers: { cookie: staffCookie, 'content-type': 'application/x-www-form-urlencoded', origin: BASE }, redirect: 'manual',
  });
  assert.equal(refused.status, 422);
  assert.match(await refused.text(), /Choose a level for Kick/);
  form.set('level_2', 'progressing');
  const recorded = await portal.mf.dispatchFetch(`${BASE}/office/eval-pages/families/${s.family.id}/students/${s.mia.id}/evaluations`, {
    method: 'POST', body: form.toString(), headers: { cookie: staffCookie, 'content-type': 'application/x-www-form-urlencoded', origin: BASE }, redirect: 'manual',
  });
  assert.equal(recorded.status, 303);
  assert.match(recorded.headers.get('set-cookie'), /office_flash=evaluation-recorded/);
  const account = await portal.mf.dispatchFetch(`${BASE}/portal/eval-pages/account`, { headers: { cookie: `portal_session=${s.primary.token}` } });
  const html = await account.text();
  assert.match(html, /Evaluations<span class="visually-hidden"> of Mia Lee<\/span> \(1\)/);
  assert.match(html, /Evaluated Skills/);
  assert.match(html, /<td>Kick<\/td><td>Progressing<\/td>/);
});
