// My Account's payment and student pages over plain HTTP: form posts answer 303 with the one-shot
// message or 422 with the values kept, a double-submitted payment pays once, cross-site posts are
// refused, another family's ids are not found, a disabled portal stops the writes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPortal, BASE } from './harness.mjs';

let portal;
let f;
let cookie;
before(async () => {
  portal = await startPortal();
  f = await portal.familyWithSecondary('sections');
  const set = await portal.request('PATCH', '/office/sections/api/settings/portal-options', {
    token: f.staff,
    json: { payment_gateway: { kind: 'sandbox' }, allow_drop_requests: true },
  });
  assert.equal(set.status, 200, set.text);
  cookie = `portal_session=${f.primary.token}`;
});
after(() => portal.close());

const FORM = 'application/x-www-form-urlencoded';
async function raw(method, path, { body, headers = {} } = {}) {
  const res = await portal.mf.dispatchFetch(`${BASE}${path}`, { method, body, headers: { cookie, ...headers }, redirect: 'manual' });
  return { status: res.status, headers: res.headers, text: await res.text() };
}
const post = (path, fields, headers = {}) =>
  raw('POST', `/portal/sections/account${path}`, { body: new URLSearchParams(fields).toString(), headers: { 'content-type': FORM, origin: BASE, ...headers } });
const page = (path) => raw('GET', `/portal/sections/account${path}`);

test('Add Payment Method and Make Payment: 303 with the message; the same form twice pays once; wrong input is 422 with values kept', async () => {
  const bad = await post('/payments/add-method', { kind: 'card', gateway_token: 'tok_visa', last4: '42', exp_month: '12', exp_year: '2035' });
  assert.equal(bad.status, 422);
  assert.match(bad.text, /There is a problem/);
  assert.match(bad.text, /value="tok_visa"/);
  const pan = await post('/payments/add-method', { kind: 'card', gateway_token: '4242424242424242', last4: '4242' });
  assert.equal(pan.status, 422);
  assert.doesNotMatch(pan.text, /4242424242424242/);
  const saved = await post('/payments/add-method', { kind: 'card', gateway_token: 'tok_visa', last4: '4242', exp_month: '12', exp_year: '2035' });
  assert.equal(saved.status, 303, saved.text);
  assert.equal(saved.headers.get('location'), '/portal/sections/account#payments');
  assert.match(saved.headers.get('set-cookie'), /portal_flash=method-saved/);

  const [method] = (await portal.request('GET', '/portal/sections/api/payment-methods', { token: f.primary.token })).body.payment_methods;
  const form = await page('/payments/pay');
  assert.equal(form.status, 200);
  const key = /name="idempotency_key" value="([^"]+)"/.exec(form.text)[1];
  const fields = { amount: '25.50', payment_method_id: method.id, idempotency_key: key };
  assert.equal((await post('/payments/pay', fields)).status, 303);
  assert.equal((await post('/payments/pay', fields)).status, 303, 'the replay answers as the first did');
  const paid = await portal.request('GET', '/portal/sections/api/transactions?kind=payments', { token: f.primary.token });
  assert.deepEqual(paid.body.entries.map((e) => e.amount_cents), [2550]);
  const wrong = await post('/payments/pay', { amount: '12.345', payment_method_id: method.id, idempotency_key: 'other' });
  assert.equal(wrong.status, 422);
  assert.match(wrong.text, /value="12.345"/);

  const account = await page('');
  assert.match(account.text, /Last payment<\/dt><dd>\$25\.50 on/);
  assert.match(account.text, /Payment with Card ending in 4242/);
  assert.equal((await page('?kind=nonsense')).status, 200, 'a wrong filter is said on the page, not an error page');
});

test('the payment and student pages refuse cross-site posts, another family’s ids and a secondary without permission', async () => {
  const cross = await post('/students/add', { first_name: 'Mia', last_name: 'Lee', birth_date: '2019-04-02' }, { origin: 'https://evil.example' });
  assert.equal(cross.status, 403);
  assert.equal((await page('/payments/methods/pm_not_ours')).status, 404);
  assert.equal((await page('/students/stu_not_ours/edit')).status, 404);
  assert.equal((await post('/enrollments/enr_not_ours/drop', { reason: '' })).status, 404);
  const bob = await portal.mf.dispatchFetch(`${BASE}/portal/sections/account/students/add`, {
    headers: { cookie: `portal_session=${f.secondary.token}` },
    redirect: 'manual',
  });
  assert.equal(bob.status, 403);
  assert.match(await bob.text(), /Only the Primary Guardian, or a guardian they allow/);
});

test('Add Student, Enroll and a drop request through the forms; a disabled portal stops them with the 503 page', async () => {
  assert.equal((await post('/students/add', { first_name: '', last_name: 'Lee', birth_date: '2019-04-02' })).status, 422);
  const added = await post('/students/add', { first_name: 'Mia', last_name: 'Lee', birth_date: '2019-04-02' });
  assert.equal(added.status, 303);
  assert.match(added.headers.get('set-cookie'), /portal_flash=student-added/);
  const [mia] = (await portal.request('GET', '/portal/sections/api/students', { token: f.primary.token })).body.students;
  const location = await portal.request('POST', '/office/sections/api/locations', { token: f.staff, json: { name: 'Pool' } });
  const cls = await portal.request('POST', '/office/sections/api/classes', {
    token: f.staff,
    json: { name: 'Guppies', location_id: location.body.id, days: ['sat'], start_time: '09:00', end_time: '09:30', start_date: '2026-09-01', end_date: '2099-12-31', capacity: 4, waitlist: false },
  });
  assert.equal((await post('/enrollments/enroll', { student_id: mia.id, class_id: '' })).status, 422);
  const enrolled = await post('/enrollments/enroll', { student_id: mia.id, class_id: cls.body.id });
  assert.equal(enrolled.status, 303);
  assert.match(enrolled.headers.get('set-cookie'), /portal_flash=enrolled/);
  const again = await post('/enrollments/enroll', { student_id: mia.id, class_id: cls.body.id });
  assert.equal(again.status, 422);
  assert.match(again.text, /already enrolled or waitlisted in Guppies/);
  const enrollments = await portal.request('GET', `/portal/sections/api/students/${mia.id}/enrollments`, { token: f.primary.token });
  const [current] = enrollments.body.current;

  assert.equal((await post(`/enrollments/${current.id}/drop`, { effective_date: 'soon' })).status, 422);
  const dropped = await post(`/enrollments/${current.id}/drop`, { reason: 'Moving', effective_date: '2026-12-31' });
  assert.equal(dropped.status, 303);
  assert.match(dropped.headers.get('set-cookie'), /portal_flash=drop-requested/);
  assert.match((await page('')).text, /Pending<\/span> Drop Mia Lee from Guppies on 2026-12-31/);

  await portal.request('PUT', '/office/sections/api/settings/customer-portal', { token: f.staff, json: { enabled: false } });
  const off = await post('/enrollments/enroll', { student_id: mia.id, class_id: cls.body.id });
  assert.equal(off.status, 503);
  assert.match(off.text, /Our Customer Portal is currently unavailable\. Please check back later\./);
  await portal.request('PUT', '/office/sections/api/settings/customer-portal', { token: f.staff, json: { enabled: true } });
});
