import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPortal, PLATFORM_TOKEN, assertError } from './harness.mjs';

let portal;
before(async () => {
  portal = await startPortal();
});
after(() => portal.close());

const newOrg = (slug, extra = {}) => ({
  slug,
  name: 'Splash Swim School',
  owner_email: `owner@${slug}.test`,
  owner_password: 'owner-password-1',
  ...extra,
});

test('healthz answers ok', async () => {
  const res = await portal.request('GET', '/healthz');
  assert.equal(res.status, 200);
  assert.equal(res.text, 'ok');
});

test('the OpenAPI document describes the platform, office and portal routes', async () => {
  const res = await portal.request('GET', '/openapi.json');
  assert.equal(res.status, 200);
  assert.equal(res.body.openapi, '3.1.0');
  for (const path of [
    '/healthz',
    '/platform/api/organizations',
    '/dev/mailbox',
    '/office/{org}/api/session',
    '/office/{org}/api/settings/customer-portal',
    '/portal/{org}',
  ]) {
    assert.ok(res.body.paths[path], `missing ${path}`);
  }
});

test('every route in the OpenAPI document is served', async () => {
  const doc = (await portal.request('GET', '/openapi.json')).body;
  await portal.createOrganization('routes');
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of Object.keys(item).filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))) {
      const concrete = path.replace('{org}', 'routes').replace(/\{[^}]+\}/g, 'unknown-id');
      const res = await portal.request(method.toUpperCase(), concrete);
      assert.notEqual(res.body?.error?.code, 'route_not_found', `${method.toUpperCase()} ${path} is not served`);
      assert.notEqual(res.status, 405, `${method.toUpperCase()} ${path} refuses its method`);
    }
  }
});

test('creating an organization needs the platform administrator token', async () => {
  assertError(await portal.request('POST', '/platform/api/organizations', { json: newOrg('nope') }), 401, 'not_authenticated');
  assertError(
    await portal.request('POST', '/platform/api/organizations', { json: newOrg('nope'), token: 'wrong-token' }),
    401,
    'not_authenticated',
  );
  assert.equal(await portal.countEverywhere("SELECT COUNT(*) AS n FROM organizations WHERE slug = 'nope'"), 0);
});

test('an organization is created with its owner, its portal on and an audit entry', async () => {
  const res = await portal.request('POST', '/platform/api/organizations', { json: newOrg('splash'), token: PLATFORM_TOKEN });
  assert.equal(res.status, 201);
  assert.equal(res.body.slug, 'splash');
  assert.match(res.body.id, /^org_/);
  const db = await portal.locate('splash');
  const org = await db.prepare('SELECT portal_enabled FROM organizations WHERE id = ?').bind(res.body.id).first();
  assert.equal(org.portal_enabled, 1);
  const owner = await db
    .prepare('SELECT email, role, password_hash FROM staff_users WHERE org_id = ?')
    .bind(res.body.id)
    .first();
  assert.equal(owner.email, 'owner@splash.test');
  assert.equal(owner.role, 'owner');
  assert.match(owner.password_hash, /^\$pbkdf2-sha256\$i=100000,r=6\$/);
  assert.ok(!owner.password_hash.includes('owner-password-1'));
  const audit = await db
    .prepare("SELECT action, actor_kind FROM audit_log WHERE org_id = ? AND action = 'organization_created'")
    .bind(res.body.id)
    .all();
  assert.equal(audit.results.length, 1);
  assert.equal(audit.results[0].actor_kind, 'platform');
  assert.equal(await portal.kv.get('portal-switch:splash'), 'on');
});

test('the new owner gets a welcome e-mail through the outbox and the queue', async () => {
  await portal.createOrganization('welcome');
  const [mail] = await portal.waitForMail('owner@welcome.test', (m) => m.kind === 'organization_welcome');
  assert.match(mail.subject, /Welcome/);
  assert.match(mail.text, /http:\/\/portal\.test\/portal\/welcome/);
  const row = await portal.dbOf('welcome').prepare("SELECT processed_at, attempts FROM outbox WHERE kind = 'email' AND payload LIKE '%welcome.test%'").first();
  assert.ok(row.processed_at > 0);
});

test('a taken slug is a conflict and changes nothing', async () => {
  await portal.createOrganization('taken');
  const res = await portal.request('POST', '/platform/api/organizations', {
    json: newOrg('taken', { owner_email: 'other@taken.test' }),
    token: PLATFORM_TOKEN,
  });
  assertError(res, 409, 'slug_taken');
  assert.equal(await portal.countEverywhere("SELECT COUNT(*) AS n FROM staff_users WHERE email = 'other@taken.test'"), 0);
});

test('invalid fields are 422 with a message naming the problem', async () => {
  const cases = [
    [{ slug: 'Bad Slug' }, /slug/],
    [{ slug: 'api' }, /reserved/],
    [{ name: '   ' }, /name/],
    [{ owner_email: 'not-an-address' }, /@/],
    [{ owner_password: 'short' }, /at least 10/],
  ];
  for (const [override, message] of cases) {
    const res = await portal.request('POST', '/platform/api/organizations', {
      json: newOrg('valid-slug', override),
      token: PLATFORM_TOKEN,
    });
    assertError(res, 422, 'invalid_field');
    assert.match(res.body.error.message, message);
  }
});

test('malformed JSON is 400, wrong types and missing fields are 422', async () => {
  const post = (body) =>
    portal.request('POST', '/platform/api/organizations', {
      body,
      token: PLATFORM_TOKEN,
      headers: { 'content-type': 'application/json' },
    });
  assertError(await post('{"slug": '), 400, 'malformed_json');
  assertError(await post(''), 400, 'malformed_json');
  const wrongType = await post(JSON.stringify({ ...newOrg('typed'), slug: 42 }));
  assertError(wrongType, 422, 'invalid_field');
  assert.match(wrongType.body.error.message, /`slug` must be a string/);
  const missing = await post(JSON.stringify({ slug: 'missing' }));
  assertError(missing, 422, 'invalid_field');
  assert.match(missing.body.error.message, /`name` is missing/);
  const unknown = await post(JSON.stringify({ ...newOrg('unknown'), colour: 'blue' }));
  assertError(unknown, 422, 'invalid_field');
  assert.match(unknown.body.error.message, /`colour` is not a known field/);
  assertError(await post('[1, 2]'), 422, 'invalid_field');
  assert.equal(await portal.countEverywhere("SELECT COUNT(*) AS n FROM organizations WHERE slug IN ('typed', 'missing', 'unknown')"), 0);
});

test('a wrong field inside a nested object is named by its path', async () => {
  const org = await portal.createOrganization('nested');
  const staff = await portal.staffSignIn('nested', org.owner_email, org.owner_password);
  const res = await portal.request('POST', '/office/nested/api/families', {
    token: staff,
    json: { name: 'Lee', primary_guardian: { first_name: 5, last_name: 'Lee' } },
  });
  assertError(res, 422, 'invalid_field');
  assert.match(res.body.error.message, /`primary_guardian.first_name` must be a string/);
  const extra = await portal.request('POST', '/office/nested/api/families', {
    token: staff,
    json: { name: 'Lee', primary_guardian: { first_name: 'Ann', last_name: 'Lee', age: 40 } },
  });
  assert.match(extra.body.error.message, /`primary_guardian.age` is not a known field/);
  assert.equal(await portal.countEverywhere('SELECT COUNT(*) AS n FROM families'), 0);
});

test('a body over the limit is 413 and nothing is created', async () => {
  const res = await portal.request('POST', '/platform/api/organizations', {
    json: newOrg('huge', { name: 'x'.repeat(70 * 1024) }),
    token: PLATFORM_TOKEN,
  });
  assertError(res, 413, 'body_too_large');
  assert.equal(await portal.countEverywhere("SELECT COUNT(*) AS n FROM organizations WHERE slug = 'huge'"), 0);
});

test('unknown routes and wrong methods answer in the JSON error format', async () => {
  assertError(await portal.request('GET', '/no/such/route'), 404, 'route_not_found');
  assertError(await portal.request('DELETE', '/healthz'), 405, 'method_not_allowed');
  assertError(await portal.request('GET', '/platform/api/organizations'), 405, 'method_not_allowed');
});

test('a route answers 405 with Allow for any method it does not serve, whatever its name', async () => {
  await portal.createOrganization('methods');
  const staff = await portal.staffSignIn('methods', 'owner@methods.test', 'owner-password-1');
  // (workerd itself answers 501 to a method it does not know at all, such as FOO.)
  for (const method of ['QUERY', 'PROPFIND', 'SEARCH', 'PURGE', 'DELETE']) {
    const res = await portal.request(method, '/office/methods/api/families', { token: staff });
    assertError(res, 405, 'method_not_allowed');
    assert.equal(res.headers.get('allow'), 'GET, POST, HEAD', method);
  }
  const health = await portal.request('DELETE', '/healthz');
  assert.equal(health.headers.get('allow'), 'GET, HEAD');
  // The same path with a method it serves still works, and an unknown path stays a 404.
  assert.equal((await portal.request('GET', '/office/methods/api/families', { token: staff })).status, 200);
  assertError(await portal.request('QUERY', '/office/methods/api/no-such-thing', { token: staff }), 404, 'route_not_found');
});

test('a_panic_is_answered_500_and_the_next_request_is_served', async () => {
  // A panic traps the wasm instance; the glue re-instantiates it at the next call (src/entry.js).
  const before = await portal.request('GET', '/portal/no-such-portal/api/account');
  assertError(before, 404, 'organization_not_found');
  const trapped = await portal.request('POST', '/dev/panic');
  assert.equal(trapped.status, 500);
  for (let i = 0; i < 3; i++) {
    const health = await portal.request('GET', '/healthz');
    assert.equal(health.status, 200);
    assert.equal(health.text, 'ok');
  }
  // A route through the configuration, D1 and the route table, all rebuilt by the new instance.
  await portal.createOrganization('after-panic');
  const staff = await portal.staffSignIn('after-panic', 'owner@after-panic.test', 'owner-password-1');
  assert.equal((await portal.request('GET', '/office/after-panic/api/families', { token: staff })).status, 200);
  assertError(await portal.request('GET', '/portal/no-such-portal/api/account'), 404, 'organization_not_found');
});

test('the development mailbox lists messages newest first', async () => {
  const res = await portal.request('GET', '/dev/mailbox');
  assert.equal(res.status, 200);
  const times = res.body.messages.map((m) => m.sent_at);
  assert.deepEqual([...times].sort().reverse(), times);
  for (const m of res.body.messages) for (const k of ['id', 'to', 'subject', 'text', 'html', 'sent_at', 'kind']) assert.ok(k in m);
});

test('the development mailbox does not exist outside development', async () => {
  const production = await startPortal({ bindings: { ENVIRONMENT: 'production' } });
  try {
    assertError(await production.request('GET', '/dev/mailbox?to=a@b.test'), 404, 'route_not_found');
    assertError(await production.request('POST', '/dev/panic'), 404, 'route_not_found');
  } finally {
    await production.close();
  }
});
