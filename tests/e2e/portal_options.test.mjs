// The portal options of Your Student(s) and Account Information: off by default, set by owners and
// admins, the organization's time zone an IANA name.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPortal, assertError } from './harness.mjs';

let portal;
before(async () => {
  portal = await startPortal();
});
after(async () => {
  await portal?.close();
});

const NEW_OPTIONS = {
  time_zone: 'UTC', show_attendance: false, makeups: 'none', allow_future_absences: false, show_qr_codes: false,
  show_passes: false, allow_pass_redemption: false, show_credit: false, allow_statements: false, allow_ledger_report: false,
};

const pick = (o) => Object.fromEntries(Object.keys(NEW_OPTIONS).map((k) => [k, o[k]]));

test('every new option is off by default and the time zone is UTC', async () => {
  const { staff } = await portal.familyWithSecondary('options-defaults');
  const res = await portal.request('GET', '/office/options-defaults/api/settings/portal-options', { token: staff });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(pick(res.body), NEW_OPTIONS);
});

test('staff set the options and the time zone, and an unknown zone or makeup mode is refused whole', async () => {
  const { staff } = await portal.familyWithSecondary('options-set');
  const patch = (json) => portal.request('PATCH', '/office/options-set/api/settings/portal-options', { token: staff, json });
  const chosen = {
    time_zone: 'America/Chicago', show_attendance: true, makeups: 'tokens', allow_future_absences: true, show_qr_codes: true,
    show_passes: true, allow_pass_redemption: true, show_credit: true, allow_statements: true, allow_ledger_report: true,
  };
  const ok = await patch(chosen);
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual(pick(ok.body), chosen);

  const zone = await patch({ time_zone: 'Central Time', show_attendance: false });
  assertError(zone, 422, 'invalid_field');
  assert.equal(zone.body.error.field, 'time_zone');
  assertError(await patch({ makeups: 'both' }), 422, 'invalid_field');
  const after = await portal.request('GET', '/office/options-set/api/settings/portal-options', { token: staff });
  assert.deepEqual(pick(after.body), chosen, 'a refused change writes nothing');

  const audit = await portal.dbOf('options-set').prepare(
    "SELECT reason FROM audit_log WHERE action = 'portal_options_changed' ORDER BY at DESC LIMIT 1").first();
  assert.match(audit.reason, /makeups = tokens/);
  assert.match(audit.reason, /time_zone = America\/Chicago/);
});
