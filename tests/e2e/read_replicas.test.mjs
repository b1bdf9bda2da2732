// Read replicas (issue 28, D1's Sessions API): a request's session check, the switch's D1 check and
// every command run in a `first-primary` session; once the check has passed, a GET's other reads
// run in a replica session continued from the client's bookmark (`x-d1-bookmark` for the API, the
// `d1_bookmark` cookie for the pages), and every answer hands the latest bookmark back. Miniflare
// has no replicas, so these tests prove the wiring: the bookmark round-trips, it is D1's own, a
// write is seen by the next read that carries it, the session check never runs on a replica, and a
// malformed bookmark is ignored. `x-dev-d1-statements` (development only) counts the statements
// each session ran.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPortal, assertError, BASE } from './harness.mjs';

/** The shape of a D1 bookmark: three 8-digit hex counters and a hex hash. */
const BOOKMARK = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32,64}$/;
/** A well-formed bookmark later than anything this run's databases reach. */
const FAR_AHEAD = `7fffffff-00000000-00000000-${'0'.repeat(32)}`;
const FORM = 'application/x-www-form-urlencoded';

let portal;
/** On DB_2 (so the sessions are opened on the organization's database, not the first one). */
let lee;
before(async () => {
  portal = await startPortal();
  lee = await portal.familyWithSecondary('replicas', { database: 'DB_2' });
});
after(() => portal?.close());

const api = (method, path, { token, bookmark, json } = {}) =>
  portal.request(method, `/portal/replicas/api${path}`, { token, json, headers: bookmark === undefined ? {} : { 'x-d1-bookmark': bookmark } });

/** `{primary, replica}`: the statements the request ran in each D1 session. */
function statements(res) {
  const m = /^primary=(\d+) replica=(\d+)$/.exec(res.headers.get('x-dev-d1-statements') ?? '');
  assert.ok(m, `x-dev-d1-statements: ${res.headers.get('x-dev-d1-statements')}`);
  return { primary: Number(m[1]), replica: Number(m[2]) };
}

/** The request's bookmark, checked to be D1's. */
function bookmarkOf(res) {
  const b = res.headers.get('x-d1-bookmark');
  assert.match(b ?? '', BOOKMARK, `x-d1-bookmark of ${res.status} ${res.text.slice(0, 200)}`);
  return b;
}

async function raw(method, path, { body, headers = {} } = {}) {
  const res = await portal.mf.dispatchFetch(`${BASE}${path}`, { method, body, headers, redirect: 'manual' });
  return { status: res.status, headers: res.headers, text: await res.text() };
}
const cookieOf = (res, name) => res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));

test("a family sees its own write: the write's bookmark, sent back, makes the next read at least as fresh", async () => {
  const added = await api('POST', '/guardians', { token: lee.primary.token, json: { first_name: 'Cy', last_name: 'Lee', email: 'cy@replicas.test' } });
  assert.equal(added.status, 201, added.text);
  const written = bookmarkOf(added);
  const account = await api('GET', '/account', { token: lee.primary.token, bookmark: written });
  assert.equal(account.status, 200, account.text);
  assert.ok(account.body.guardians.some((g) => g.id === added.body.id), 'the new guardian is on My Account');
  const read = bookmarkOf(account);
  assert.ok(read >= written, `${read} is not before ${written}`);
  // And that one is accepted in turn.
  assert.equal((await api('GET', '/account', { token: lee.primary.token, bookmark: read })).status, 200);
});

test("a GET's session check runs on the primary and its other reads on a replica; a command runs on the primary only", async () => {
  const account = await api('GET', '/account', { token: lee.primary.token });
  assert.deepEqual(statements(account).primary, 1, 'the session check (with the switch) is one statement on the primary');
  assert.ok(statements(account).replica > 0, 'My Account is read from a replica');
  const families = await portal.request('GET', '/office/replicas/api/families', { token: lee.staff });
  assert.equal(families.status, 200, families.text);
  assert.equal(statements(families).primary, 1);
  assert.ok(statements(families).replica > 0, 'the families list is read from a replica');
  const page = await portal.request('GET', '/office/replicas/families', { headers: { cookie: `office_session=${lee.staff}` } });
  assert.equal(page.status, 200);
  assert.equal(statements(page).primary, 1);
  assert.ok(statements(page).replica > 0, 'the families page is read from a replica');

  const edited = await api('PUT', `/guardians/${lee.secondary.id}/permissions`, {
    token: lee.primary.token,
    json: { can_make_payments: true, can_view_full_ledger: false },
  });
  assert.equal(edited.status, 200, edited.text);
  assert.equal(statements(edited).replica, 0, 'a command reads and writes on the primary');
  assert.ok(statements(edited).primary > 1);
});

test('a GET that needs no session (an invitation link) reads on the primary: the link may come before any bookmark', async () => {
  const res = await api('GET', '/invitations/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
  assert.equal(res.status, 404, res.text);
  assert.equal(statements(res).replica, 0);
});

test("the replica session continues from the client's bookmark; a command starts on the primary whatever the client sent", async () => {
  // Miniflare's D1 keeps the later of a session's bookmarks: one far ahead comes back unchanged
  // only if the request's reads ran in a session started from it.
  const read = await api('GET', '/account', { token: lee.primary.token, bookmark: FAR_AHEAD });
  assert.equal(read.status, 200, read.text);
  assert.equal(read.headers.get('x-d1-bookmark'), FAR_AHEAD);
  const write = await api('PUT', `/guardians/${lee.secondary.id}/permissions`, {
    token: lee.primary.token,
    bookmark: FAR_AHEAD,
    json: { can_make_payments: false, can_view_full_ledger: false },
  });
  assert.equal(write.status, 200, write.text);
  assert.ok(bookmarkOf(write) < FAR_AHEAD, 'a command answers with the primary\'s own bookmark');
});

test('a revoked session is refused on the very next GET, even one whose reads would come from a replica', async () => {
  const s = await portal.familyWithSecondary('revoked', { database: 'DB_1' });
  const before = await portal.request('GET', '/portal/revoked/api/account', { token: s.secondary.token });
  assert.equal(before.status, 200, before.text);
  const stale = bookmarkOf(before);
  const revoked = await portal.request('POST', `/portal/revoked/api/guardians/${s.secondary.id}/revoke`, {
    token: s.primary.token,
    json: { reason: 'moved away' },
  });
  assert.equal(revoked.status, 200, revoked.text);
  // With the bookmark from before the revoke (a replica that old would still hold the session),
  // with one far ahead, and with none.
  for (const bookmark of [stale, FAR_AHEAD, undefined]) {
    const next = await portal.request('GET', '/portal/revoked/api/account', {
      token: s.secondary.token,
      headers: bookmark ? { 'x-d1-bookmark': bookmark } : {},
    });
    assertError(next, 401, 'session_ended');
    assert.deepEqual(statements(next), { primary: 1, replica: 0 }, 'refused by the check on the primary');
  }
  // The page with the cookie from before the revoke goes to sign-in.
  const page = await raw('GET', '/portal/revoked/account', { headers: { cookie: `portal_session=${s.secondary.token}; d1_bookmark=${stale}` } });
  assert.equal(page.status, 303);
  assert.equal(page.headers.get('location'), '/portal/revoked');
  assert.deepEqual(statements(page), { primary: 1, replica: 0 });
});

test('a malformed bookmark is ignored, never an error', async () => {
  for (const bookmark of ['garbage', 'first-primary', 'first-unconstrained', '', ' ', 'ffffffff', 'x'.repeat(4000), `${FAR_AHEAD}-00`, FAR_AHEAD.toUpperCase()]) {
    const res = await api('GET', '/account', { token: lee.primary.token, bookmark });
    assert.equal(res.status, 200, `${JSON.stringify(bookmark.slice(0, 40))}: ${res.text}`);
    const back = bookmarkOf(res);
    assert.notEqual(back, bookmark);
    assert.ok(back < FAR_AHEAD);
  }
  const page = await raw('GET', '/portal/replicas/account', { headers: { cookie: `portal_session=${lee.primary.token}; d1_bookmark=garbage` } });
  assert.equal(page.status, 200);
  assert.match(cookieOf(page, 'd1_bookmark') ?? '', /^d1_bookmark=[0-9a-f-]+;/);
});

test('the pages keep the bookmark in an HttpOnly cookie of their portal: a form post, then the page it goes to, shows the write', async () => {
  const signIn = await raw('POST', '/portal/replicas', {
    body: new URLSearchParams({ email: lee.primary.email, password: lee.primary.password }).toString(),
    headers: { 'content-type': FORM, origin: BASE },
  });
  assert.equal(signIn.status, 303, signIn.text);
  const session = /^portal_session=([^;]+)/.exec(cookieOf(signIn, 'portal_session'))[1];
  const first = cookieOf(signIn, 'd1_bookmark');
  assert.ok(first, 'the sign-in hands a bookmark cookie back');
  for (const attribute of [/HttpOnly/, /Secure/, /SameSite=Lax/, /Path=\/portal\/replicas(;|$)/]) assert.match(first, attribute);
  assert.doesNotMatch(first, /Max-Age|Expires/, 'a browser-session cookie');

  const added = await raw('POST', '/portal/replicas/account/add-guardian', {
    body: new URLSearchParams({ first_name: 'Dee', last_name: 'Lee', email: 'dee@replicas.test', phone: '' }).toString(),
    headers: { 'content-type': FORM, origin: BASE, cookie: `portal_session=${session}; ${first.split(';')[0]}` },
  });
  assert.equal(added.status, 303, added.text);
  const written = /^d1_bookmark=([^;]+)/.exec(cookieOf(added, 'd1_bookmark'))[1];
  assert.match(written, BOOKMARK);
  const page = await raw('GET', added.headers.get('location'), { headers: { cookie: `portal_session=${session}; d1_bookmark=${written}` } });
  assert.equal(page.status, 200);
  assert.match(page.text, /Dee Lee/);
  assert.ok(statements(page).replica > 0, 'My Account read from a replica, continued from the cookie');

  // The Office Portal's cookie is scoped to its own portal.
  const staff = await raw('POST', '/office/replicas', {
    body: new URLSearchParams({ email: lee.org.owner_email, password: lee.org.owner_password }).toString(),
    headers: { 'content-type': FORM, origin: BASE },
  });
  assert.equal(staff.status, 303, staff.text);
  assert.match(cookieOf(staff, 'd1_bookmark') ?? '', /Path=\/office\/replicas(;|$)/);
});
