// QR Codes (show_qr_codes): each student has a code the family shows as an SVG symbol of
// `{base}/office/{org}/qr/{code}`; staff resolve it by scanning and rotate it, after which the old
// code resolves to nothing at once. Only the code's hash is stored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startPortal, assertError, BASE, SESSION_SECRET } from './harness.mjs';

let portal;
before(async () => {
  portal = await startPortal();
});
after(() => portal.close());

const office = (slug) => `/office/${slug}/api`;
const api = (slug) => `/portal/${slug}/api`;

/** An organization showing QR codes (unless told), with a family (Ann primary, Bob secondary) and a student, Mia. */
async function school(slug, options = { show_qr_codes: true }) {
  const f = await portal.familyWithSecondary(slug);
  await setOptions(slug, f.staff, options);
  const mia = await portal.request('POST', `${office(slug)}/families/${f.family.id}/students`, {
    token: f.staff,
    json: { first_name: 'Mia', last_name: 'Lee', birth_date: '2019-04-02' },
  });
  assert.equal(mia.status, 201, mia.text);
  return { ...f, slug, mia: mia.body };
}

async function setOptions(slug, staff, options) {
  const res = await portal.request('PATCH', `${office(slug)}/settings/portal-options`, { token: staff, json: options });
  assert.equal(res.status, 200, res.text);
}

const qrImage = (s, token, studentId = s.mia.id) => portal.request('GET', `${api(s.slug)}/students/${studentId}/qr-code`, { token });
const resolve = (s, code, token = s.staff) => portal.request('GET', `${office(s.slug)}/qr/${code}`, { token });
const rotate = (s, studentId = s.mia.id, token = s.staff) => portal.request('POST', `${office(s.slug)}/students/${studentId}/qr-code/rotate`, { token });

/** The code a student's row stands for: the server's derivation (core/src/qr_code.rs) from the
 * secret and the row's nonce, which is all the database holds besides the code's hash. */
async function currentCode(s, studentId = s.mia.id) {
  const row = await portal.dbOf(s.slug).prepare('SELECT nonce FROM student_qr_codes WHERE student_id = ?').bind(studentId).first();
  assert.ok(row, 'the student has a code');
  const key = createHmac('sha256', SESSION_SECRET).update('portal-access student QR codes').digest();
  return createHmac('sha256', key).update(`qr:${studentId}:${row.nonce}`).digest().subarray(0, 16).toString('base64url');
}

test('the family sees the student\'s QR code as an SVG, the same on every view, never cached', async () => {
  const s = await school('qr-view');
  const first = await qrImage(s, s.primary.token);
  assert.equal(first.status, 200, first.text);
  assert.equal(first.headers.get('content-type'), 'image/svg+xml');
  assert.equal(first.headers.get('cache-control'), 'private, no-store');
  assert.match(first.text, /^<\?xml[^>]*\?><svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*viewBox="0 0 \d+ \d+"[^>]*>.*<path [^>]*d="(M\d+ \d+h\d+v\d+H\d+V\d+)+"\/><\/svg>$/s);
  const again = await qrImage(s, s.secondary.token);
  assert.equal(again.status, 200, again.text);
  assert.equal(again.text, first.text, 'every guardian who can log in sees the same code');
  const rows = await portal.dbOf(s.slug).prepare('SELECT COUNT(*) AS n FROM student_qr_codes').first();
  assert.equal(rows.n, 1);
});

test('concurrent first views give the student one code', async () => {
  const s = await school('qr-race');
  const views = await Promise.all(Array.from({ length: 6 }, () => qrImage(s, s.primary.token)));
  for (const v of views) assert.equal(v.status, 200, v.text);
  assert.equal(new Set(views.map((v) => v.text)).size, 1);
});

test('staff resolve a scanned code to the student and family; only its hash is stored', async () => {
  const s = await school('qr-scan');
  assert.equal((await qrImage(s, s.primary.token)).status, 200);
  const code = await currentCode(s);
  assert.match(code, /^[A-Za-z0-9_-]{22}$/, 'at least 128 bits');
  const found = await resolve(s, code);
  assert.equal(found.status, 200, found.text);
  assert.deepEqual(found.body, {
    student: { id: s.mia.id, first_name: 'Mia', last_name: 'Lee' },
    family: { id: s.family.id, name: 'Lee' },
  });
  const row = await portal.dbOf(s.slug).prepare('SELECT * FROM student_qr_codes WHERE student_id = ?').bind(s.mia.id).first();
  for (const [column, value] of Object.entries(row)) {
    assert.ok(!String(value).includes(code), `${column} holds the code`);
  }
  assert.match(row.code_hash, /^[0-9a-f]{64}$/);
});

test('rotating makes the old code unknown at once and the new one resolve; the family sees the new symbol', async () => {
  const s = await school('qr-rotate');
  const before = await qrImage(s, s.primary.token);
  const old = await currentCode(s);
  assert.equal((await resolve(s, old)).status, 200);

  const rotated = await rotate(s);
  assert.equal(rotated.status, 200, rotated.text);
  assert.deepEqual(rotated.body.student.id, s.mia.id);
  assertError(await resolve(s, old), 404, 'qr_code_not_found');
  const fresh = await currentCode(s);
  assert.notEqual(fresh, old);
  assert.equal((await resolve(s, fresh)).status, 200);

  const after = await qrImage(s, s.primary.token);
  assert.equal(after.status, 200);
  assert.notEqual(after.text, before.text);

  const audit = await portal.dbOf(s.slug).prepare("SELECT actor_kind, target_id, family_id FROM audit_log WHERE action = 'qr_code_rotated'").all();
  assert.deepEqual(audit.results, [{ actor_kind: 'staff', target_id: s.mia.id, family_id: s.family.id }]);
});

test('staff may rotate a code never shown yet; the family then sees that one', async () => {
  const s = await school('qr-rotate-first');
  assert.equal((await rotate(s)).status, 200);
  const code = await currentCode(s);
  assert.equal((await qrImage(s, s.primary.token)).status, 200);
  assert.equal(await currentCode(s), code);
  assert.equal((await resolve(s, code)).status, 200);
});

test('with show_qr_codes off the family is refused with qr_codes_disabled; staff still resolve and rotate', async () => {
  const s = await school('qr-off');
  assert.equal((await qrImage(s, s.primary.token)).status, 200);
  const code = await currentCode(s);
  await setOptions(s.slug, s.staff, { show_qr_codes: false });
  assertError(await qrImage(s, s.primary.token), 403, 'qr_codes_disabled');
  assert.equal((await resolve(s, code)).status, 200);
  assert.equal((await rotate(s)).status, 200);
});

test('another family\'s or organization\'s student, and another organization\'s code, are not found', async () => {
  const s = await school('qr-mine');
  const other = await school('qr-theirs');
  assertError(await qrImage(s, s.primary.token, other.mia.id), 404, 'student_not_found');
  assertError(await rotate(s, other.mia.id), 404, 'student_not_found');

  // A second family of the same organization.
  const zed = await portal.createFamily(s.slug, s.staff, 'Zed', { first_name: 'Zoe', last_name: 'Zed', email: 'zoe@qr-mine.test' });
  const kid = await portal.request('POST', `${office(s.slug)}/families/${zed.id}/students`, {
    token: s.staff, json: { first_name: 'Kit', last_name: 'Zed', birth_date: '2018-01-01' },
  });
  assert.equal(kid.status, 201, kid.text);
  assertError(await qrImage(s, s.primary.token, kid.body.id), 404, 'student_not_found');

  assert.equal((await qrImage(other, other.primary.token)).status, 200);
  const theirs = await currentCode(other);
  assertError(await resolve(s, theirs), 404, 'qr_code_not_found');
  assert.equal((await resolve(other, theirs, other.staff)).status, 200);
});

test('a string that cannot be a code is not found; a customer cannot resolve or rotate', async () => {
  const s = await school('qr-shape');
  assertError(await resolve(s, 'x'.repeat(22)), 404, 'qr_code_not_found');
  assertError(await resolve(s, 'not-a-code'), 404, 'qr_code_not_found');
  assert.equal((await resolve(s, 'x'.repeat(22), s.primary.token)).status, 401);
  assert.equal((await rotate(s, s.mia.id, s.primary.token)).status, 401);
});

test('the office page of a scanned code names the student and links the Family details; Rotate QR Code goes back to Students', async () => {
  const s = await school('qr-page');
  assert.equal((await qrImage(s, s.primary.token)).status, 200);
  const code = await currentCode(s);
  const asStaff = async (method, path, headers = {}) => {
    const res = await portal.mf.dispatchFetch(`${BASE}${path}`, { method, redirect: 'manual', headers: { cookie: `office_session=${s.staff}`, ...headers } });
    return { status: res.status, headers: res.headers, text: await res.text() };
  };
  const page = await asStaff('GET', `/office/${s.slug}/qr/${code}`);
  assert.equal(page.status, 200, page.text);
  assert.match(page.text, /<h1>Mia Lee<\/h1>/);
  assert.match(page.text, new RegExp(`href="/office/${s.slug}/families/${s.family.id}"`));
  assert.match(page.text, />Rotate QR Code</);
  const signedOut = await portal.mf.dispatchFetch(`${BASE}/office/${s.slug}/qr/${code}`, { redirect: 'manual' });
  assert.equal(signedOut.status, 303, 'to sign-in');
  assert.equal(signedOut.headers.get('location'), `/office/${s.slug}`);
  assert.equal((await asStaff('GET', `/office/${s.slug}/qr/${'x'.repeat(22)}`)).status, 404);

  const rotated = await asStaff('POST', `/office/${s.slug}/students/${s.mia.id}/qr-code/rotate`, { origin: BASE });
  assert.equal(rotated.status, 303, rotated.text);
  assert.equal(rotated.headers.get('location'), `/office/${s.slug}/families/${s.family.id}/students`);
  assert.match(rotated.headers.get('set-cookie'), /office_flash=qr-code-rotated/);
  assert.equal((await asStaff('GET', `/office/${s.slug}/qr/${code}`)).status, 404, 'the old code leads nowhere');
});
