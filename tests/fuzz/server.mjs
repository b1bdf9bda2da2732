// Serves the built Workers (build/http, build/jobs) in Miniflare on a loopback port for
// scripts/api-fuzz.sh, seeded so that authenticated operations get past their session check:
// organization `fuzz` with its owner, a family whose primary and secondary guardians can log in, a
// second family, a pending invitation, a password-reset link, a saved payment method (sandbox
// gateway), a charge and an import job. Writes what it seeded as shell assignments to the file
// named by FUZZ_ENV_FILE (ids and bearer tokens), then serves until it is stopped.
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { writeFileSync, renameSync } from 'node:fs';
import { openPortal, workerOptions, PLATFORM_TOKEN } from '../e2e/harness.mjs';

const port = Number(process.env.FUZZ_PORT || 0);
const envFile = process.env.FUZZ_ENV_FILE;
if (!envFile) throw new Error('FUZZ_ENV_FILE is not set');

// A Stripe key, so that staff may choose the Stripe gateway (its API is a closed port: no fuzzed
// operation calls it, the seeded card stays on the sandbox gateway).
const stripe = { STRIPE_SECRET_KEY: 'sk_test_fuzz', STRIPE_API_URL: 'http://127.0.0.1:9' };
const mf = new Miniflare(convertV4MiniflareOptions({ cf: false, host: '127.0.0.1', port, ...workerOptions(stripe) }));
const url = await mf.ready;
const portal = await openPortal(mf);

async function ok(res, status, what) {
  if (res.status !== status) throw new Error(`seeding ${what}: ${res.status} ${res.text}`);
  return res.body;
}

const slug = 'fuzz';
const { staff, family, primary, secondary, org } = await portal.familyWithSecondary(slug);
const office = `/office/${slug}/api`;
const api = `/portal/${slug}/api`;

// Sessions that the sign-out operations may end without ending the ones the other operations use.
const staffSignOut = await portal.staffSignIn(slug, org.owner_email, org.owner_password);
const primarySignOut = await portal.guardianSignIn(slug, primary.email, primary.password);

// Payments: the sandbox gateway, a charge to pay, a saved card.
await ok(await portal.request('PATCH', `${office}/settings/portal-options`, { token: staff, json: { payment_gateway: { kind: 'sandbox' } } }), 200, 'sandbox gateway');
await ok(
  await portal.request('POST', `${office}/families/${family.id}/ledger`, { token: staff, json: { kind: 'charge', amount_cents: 12000, description: 'Autumn term' } }),
  201,
  'charge',
);
const method = await ok(
  await portal.request('POST', `${api}/payment-methods`, {
    token: primary.token,
    json: { kind: 'card', gateway_token: 'tok_visa', last4: '4242', exp_month: 12, exp_year: 2099 },
  }),
  201,
  'payment method',
);

// A third guardian with a pending invitation, and a password-reset link for the secondary.
const cal = await ok(
  await portal.request('POST', `${api}/guardians`, { token: primary.token, json: { first_name: 'Cal', last_name: 'Lee', email: `cal@${slug}.test` } }),
  201,
  'third guardian',
);
await ok(await portal.request('POST', `${api}/guardians/${cal.id}/invitation`, { token: primary.token }), 202, 'invitation');
const invitationToken = await portal.linkToken(`cal@${slug}.test`, 'invitation');
await ok(await portal.request('POST', `${api}/guardians/${secondary.id}/password-reset`, { token: primary.token }), 202, 'password reset');
const resetToken = await portal.linkToken(secondary.email, 'password_reset', 'password-reset');

// A second family (merge and move targets) and an import job (a dry run of the unedited report).
const other = await portal.createFamily(slug, staff, 'Kim', { first_name: 'Dee', last_name: 'Kim', email: `dee@${slug}.test` });
const report = await portal.request('GET', `${office}/reports/portal-access.csv`, { token: staff });
const job = await ok(
  await portal.request('POST', `${office}/imports/portal-access?update_matching=true&dry_run=true`, {
    token: staff,
    body: report.text,
    headers: { 'content-type': 'text/csv' },
  }),
  202,
  'import',
);

// An organization of its own for the move operation: a move the fuzzer starts refuses that
// organization's writes for a while, never the one the other operations use.
await portal.createOrganization('fuzz-mover');

const seeded = {
  FUZZ_BASE_URL: url.toString().replace(/\/$/, ''),
  FUZZ_ORG: slug,
  FUZZ_PLATFORM_TOKEN: PLATFORM_TOKEN,
  FUZZ_STAFF_TOKEN: staff,
  FUZZ_STAFF_SIGN_OUT_TOKEN: staffSignOut,
  FUZZ_GUARDIAN_TOKEN: primary.token,
  FUZZ_GUARDIAN_SIGN_OUT_TOKEN: primarySignOut,
  FUZZ_FAMILY_ID: family.id,
  FUZZ_OTHER_FAMILY_ID: other.id,
  FUZZ_PRIMARY_ID: primary.id,
  FUZZ_SECONDARY_ID: secondary.id,
  FUZZ_INVITEE_ID: cal.id,
  FUZZ_INVITATION_TOKEN: invitationToken,
  FUZZ_RESET_TOKEN: resetToken,
  FUZZ_PAYMENT_METHOD_ID: method.id,
  FUZZ_JOB_ID: job.job_id,
  FUZZ_MOVE_ORG: 'fuzz-mover',
};
const lines = Object.entries(seeded).map(([k, v]) => {
  if (!/^[A-Za-z0-9_.:/=-]+$/.test(String(v))) throw new Error(`unexpected characters in ${k}: ${v}`);
  return `${k}=${v}`;
});
writeFileSync(`${envFile}.tmp`, `${lines.join('\n')}\n`);
renameSync(`${envFile}.tmp`, envFile); // appears whole: the script waits for it

const stop = async () => {
  await mf.dispose();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
