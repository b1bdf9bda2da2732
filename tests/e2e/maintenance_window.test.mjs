// Scheduled maintenance windows, with real short windows and no fake clock: the gate compares the
// window's times itself, so the portal is off from the first second without any cron, and back by
// itself at the end; the cron only tidies up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPortal, assertError } from './harness.mjs';

const UNAVAILABLE = 'Our Customer Portal is currently unavailable. Please check back later.';
const USING = 'You are currently using the Customer Portal.';
const NOT_USING = 'You are currently NOT using the Customer Portal.';
const NOTE = 'We are moving to a new server; back by 9 pm.';

let portal;
let fam;
before(async () => {
  portal = await startPortal();
  fam = await portal.familyWithSecondary('tidal');
});
after(() => portal.close());

const setting = '/office/tidal/api/settings/customer-portal';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const untilTime = (at) => sleep(Math.max(0, at - Date.now()) + 50);
const iso = (ms) => new Date(ms).toISOString();

function schedule(startsIn, lasts, note = undefined) {
  const starts = Date.now() + startsIn;
  const ends = starts + lasts;
  const json = { schedule: { starts_at: iso(starts), ends_at: iso(ends), ...(note === undefined ? {} : { note }) } };
  return portal.request('PUT', setting, { token: fam.staff, json }).then((res) => ({ res, starts, ends }));
}

async function maintenanceAudit() {
  const rows = await portal.dbOf('tidal')
    .prepare("SELECT action, actor_kind, actor_label FROM audit_log WHERE action LIKE 'maintenance_%' ORDER BY at, rowid")
    .all();
  return rows.results.map((r) => [r.action, r.actor_kind]);
}

const epoch = async () =>
  (await portal.dbOf('tidal').prepare("SELECT customer_session_epoch AS e FROM organizations WHERE slug = 'tidal'").first()).e;

test('a window starting in 2 s and lasting 5 s: off from its first second before any cron, back by itself', async () => {
  const epochBefore = await epoch();
  const { res, starts, ends } = await schedule(2000, 5000, NOTE);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body, {
    enabled: true,
    status_message: USING,
    schedule: { starts_at: iso(starts), ends_at: iso(ends), note: NOTE },
  });
  // Before the start: customers carry on.
  assert.equal((await portal.request('GET', '/portal/tidal/api/account', { token: fam.primary.token })).status, 200);

  await untilTime(starts);
  const api = await portal.request('GET', '/portal/tidal/api/account', { token: fam.primary.token });
  assertError(api, 503, 'portal_unavailable');
  assert.equal(api.body.error.message, `${UNAVAILABLE}\n${NOTE}`);
  const retry = Number(api.headers.get('retry-after'));
  assert.ok(retry >= 1 && retry <= 5, `Retry-After ${retry}`);
  const page = await portal.request('GET', '/portal/tidal');
  assert.equal(page.status, 503);
  assert.ok(page.text.includes(UNAVAILABLE) && page.text.includes('back by 9 pm.'), page.text);
  assert.ok(Number(page.headers.get('retry-after')) >= 1);
  assertError(
    await portal.request('POST', '/portal/tidal/api/session', { json: { email: fam.secondary.email, password: fam.secondary.password } }),
    503,
    'portal_unavailable',
  );
  // No cron has run: nothing recorded, the epoch untouched; the read-out already says off.
  assert.deepEqual(await maintenanceAudit(), [['maintenance_scheduled', 'staff']]);
  assert.equal(await epoch(), epochBefore);
  const during = await portal.request('GET', setting, { token: fam.staff });
  assert.equal(during.body.enabled, false);
  assert.equal(during.body.status_message, NOT_USING);
  assert.equal(during.body.schedule.note, NOTE);
  // Staff are unaffected.
  assert.equal((await portal.request('GET', '/office/tidal/api/families', { token: fam.staff })).status, 200);

  await untilTime(ends);
  assert.equal((await portal.request('GET', '/portal/tidal')).status, 200, 'back without staff action');
  // A session begun before the start ended with it, cron or not.
  assertError(await portal.request('GET', '/portal/tidal/api/account', { token: fam.primary.token }), 401, 'session_ended');
  fam.primary.token = await portal.guardianSignIn('tidal', fam.primary.email, fam.primary.password);
  assert.equal((await portal.request('GET', '/portal/tidal/api/account', { token: fam.primary.token })).status, 200);
  const afterwards = await portal.request('GET', setting, { token: fam.staff });
  assert.deepEqual(afterwards.body, { enabled: true, status_message: USING }, 'a window over is no longer listed');
});

test('the cron tidies up once, late: the start and the end recorded, the sessions begun before the start ended, later ones kept', async () => {
  const epochBefore = await epoch();
  await portal.triggerCron();
  await portal.triggerCron();
  assert.deepEqual(await maintenanceAudit(), [
    ['maintenance_scheduled', 'staff'],
    ['maintenance_started', 'system'],
    ['maintenance_ended', 'system'],
  ]);
  const ended = await portal.dbOf('tidal').prepare("SELECT COUNT(*) AS n FROM sessions WHERE end_reason = 'maintenance'").first();
  assert.ok(ended.n >= 2, 'the sessions of Ann and Bob begun before the start');
  assert.equal(await epoch(), epochBefore, 'the epoch would end the sessions begun after the window too');
  const org = await portal.dbOf('tidal').prepare("SELECT maintenance_phase FROM organizations WHERE slug = 'tidal'").first();
  assert.equal(org.maintenance_phase, 'ended');
  // The new session began after the window: the tidy-up does not end it.
  assert.equal((await portal.request('GET', '/portal/tidal/api/account', { token: fam.primary.token })).status, 200);
});

test('a manual enable inside a window ends it at once', async () => {
  await portal.dbOf('tidal').prepare("DELETE FROM audit_log WHERE action LIKE 'maintenance_%'").run();
  const { res, starts } = await schedule(1000, 60_000);
  assert.equal(res.status, 200, res.text);
  await untilTime(starts);
  assertError(await portal.request('GET', '/portal/tidal/api/account', { token: fam.primary.token }), 503, 'portal_unavailable');
  const on = await portal.request('PUT', setting, { token: fam.staff, json: { enabled: true } });
  assert.equal(on.status, 200, on.text);
  assert.deepEqual(on.body, { enabled: true, status_message: USING });
  assert.equal((await portal.request('GET', '/portal/tidal')).status, 200);
  assert.equal(await portal.kv.get('portal-switch:tidal'), 'on');
  assert.deepEqual(await maintenanceAudit(), [['maintenance_scheduled', 'staff'], ['maintenance_ended', 'staff']]);
  // Its start still ended the sessions begun before it, and the cron has nothing left to do.
  assertError(await portal.request('GET', '/portal/tidal/api/account', { token: fam.primary.token }), 401, 'session_ended');
  await portal.triggerCron();
  assert.equal((await maintenanceAudit()).length, 2);
  fam.primary.token = await portal.guardianSignIn('tidal', fam.primary.email, fam.primary.password);
});

test('a window not yet started can be changed and cancelled; a session stays untouched', async () => {
  const first = await schedule(60_000, 60_000);
  assert.equal(first.res.status, 200);
  const changed = await schedule(120_000, 30_000, 'Changed');
  assert.equal(changed.res.body.schedule.starts_at, iso(changed.starts));
  assert.equal(changed.res.body.schedule.note, 'Changed');
  assert.equal((await portal.request('GET', setting, { token: fam.staff })).body.schedule.ends_at, iso(changed.ends));
  const cancelled = await portal.request('DELETE', `${setting}/schedule`, { token: fam.staff });
  assert.equal(cancelled.status, 200, cancelled.text);
  assert.deepEqual(cancelled.body, { enabled: true, status_message: USING });
  assert.equal(await portal.kv.get('portal-switch:tidal'), 'on');
  const audit = await maintenanceAudit();
  assert.deepEqual(audit.slice(-1), [['maintenance_cancelled', 'staff']]);
  // Cancelling again: nothing to cancel, nothing recorded.
  assert.equal((await portal.request('DELETE', `${setting}/schedule`, { token: fam.staff })).status, 200);
  assert.equal((await maintenanceAudit()).length, audit.length);
  assert.equal((await portal.request('GET', '/portal/tidal/api/account', { token: fam.primary.token })).status, 200);
});

test('the KV copy carries the window, so another isolate reading KV compares the times too', async () => {
  const { starts, ends } = await schedule(60_000, 60_000, 'Soon');
  assert.equal(await portal.kv.get('portal-switch:tidal'), `on|${starts}|${ends}|Soon`);
  await portal.request('DELETE', `${setting}/schedule`, { token: fam.staff });
});

test('a schedule is checked: times, order, the future, the note; only owners and admins', async () => {
  const put = (json, token = fam.staff) => portal.request('PUT', setting, { token, json });
  const now = Date.now();
  const bad = [
    [{ schedule: { starts_at: 'tomorrow', ends_at: iso(now + 60_000) } }, 'schedule.starts_at'],
    [{ schedule: { starts_at: iso(now + 60_000), ends_at: iso(now + 30_000) } }, 'schedule.ends_at'],
    [{ schedule: { starts_at: iso(now - 60_000), ends_at: iso(now - 30_000) } }, 'schedule.ends_at'],
    [{ schedule: { starts_at: iso(now + 60_000), ends_at: iso(now + 90_000), note: 'x'.repeat(201) } }, 'schedule.note'],
    [{ schedule: { starts_at: iso(now + 60_000) } }, 'schedule.ends_at'],
    [{}, 'enabled'],
  ];
  for (const [json, field] of bad) {
    const res = await put(json);
    assertError(res, 422, 'invalid_field');
    assert.equal(res.body.error.field, field, JSON.stringify(json));
  }
  assert.equal((await put({ schedule: { starts_at: iso(now + 60_000), ends_at: iso(now + 90_000), note: 'x'.repeat(200) } })).status, 200);
  await portal.request('DELETE', `${setting}/schedule`, { token: fam.staff });
  assertError(await portal.request('DELETE', `${setting}/schedule`), 401, 'not_authenticated');
});
