// Drives each scenario with wrk for a bounded time against Miniflare on 127.0.0.1 and prints a table.
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { startPortal, workerOptions, migrationStatements, PLATFORM_TOKEN, signJwt, decodeJwt } from '../tests/e2e/harness.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS || 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 16);

function wrk(url, { script, header } = {}) {
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency'];
  if (header) args.push('-H', header);
  if (script) args.push('-s', script);
  const out = execFileSync('wrk', [...args, url], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const pct = (p) => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!m) return NaN;
    return Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]];
  };
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] || 0);
  const total = Number(/(\d+) requests in/.exec(out)?.[1] || 0);
  return { rps, p50: pct(50), p99: pct(99), non2xx, total };
}

// Start-up: from constructing Miniflare to the first answered request (migrations excluded).
const t0 = performance.now();
const portal = await startPortal();
const firstResponse = await portal.request('GET', '/healthz');
const startupMs = performance.now() - t0;
if (firstResponse.status !== 200) throw new Error('worker did not start');

const family = await portal.familyWithSecondary('bench-open');
const inviting = await portal.familyWithSecondary('bench-invite');
await portal.createOrganization('bench-closed');

// Invitation sends: each guardian may be invited once a minute, so wrk walks through many.
const INVITEES = Number(process.env.BENCH_INVITEES || 4000);
const org = await portal.db.prepare("SELECT id FROM organizations WHERE slug = 'bench-invite'").first();
const ids = Array.from({ length: INVITEES }, (_, i) => `gdn_bench_${i}`);
for (let i = 0; i < ids.length; i += 500) {
  await portal.db.batch(
    ids.slice(i, i + 500).map((id, j) =>
      portal.db
        .prepare('INSERT INTO guardians (id, org_id, family_id, first_name, last_name, email, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .bind(id, org.id, inviting.family.id, 'Invitee', `${i + j}`, `invitee${i + j}@bench-invite.test`, Date.now(), Date.now()),
    ),
  );
}
mkdirSync(new URL('./out', import.meta.url), { recursive: true });

/** A wrk script that sends `requests` ([method, path, body, token?]) in turn, each once, with `token`. */
function walkScript(name, token, requests) {
  const path = new URL(`./out/${name}.lua`, import.meta.url).pathname;
  const rows = requests.map(([m, p, b, t]) => `{"${m}","${p}",${JSON.stringify(b ?? '{}')},"${t ?? token}"}`);
  writeFileSync(
    path,
    `local reqs = {${rows.join(',')}}
local n = 0
request = function()
  n = n + 1
  local r = reqs[((n - 1) % #reqs) + 1]
  return wrk.format(r[1], r[2], {["authorization"] = "Bearer " .. r[4], ["content-type"] = "application/json"}, r[3])
end
`,
  );
  return path;
}

/** Seeds rows in chunks; a chunk whose connection dropped is sent again (the seeds are INSERT OR IGNORE). */
async function insertAll(statements) {
  for (let i = 0; i < statements.length; i += 250) {
    const chunk = statements.slice(i, i + 250);
    await portal.waitFor(async () => (await portal.db.batch(chunk), true), `seed rows ${i}..${i + chunk.length}`, 60_000);
  }
}

const inviteScript = walkScript(
  'invite',
  inviting.primary.token,
  ids.map((id) => ['POST', `/portal/bench-invite/api/guardians/${id}/invitation`]),
);

// Staff revokes: guardians who can log in, each revoked once.
const staffInvite = await portal.staffSignIn('bench-invite', 'owner@bench-invite.test', 'owner-password-1');
const REVOKES = Number(process.env.BENCH_REVOKES || 4000);
const revokeIds = Array.from({ length: REVOKES }, (_, i) => `gdn_revoke_${i}`);
const t = Date.now();
await insertAll(
  revokeIds.map((id, i) =>
    portal.db
      .prepare("INSERT OR IGNORE INTO guardians (id, org_id, family_id, first_name, last_name, email, access_state, created_at, updated_at) VALUES (?, ?, ?, 'Revokee', ?, ?, 'can_log_in', ?, ?)")
      .bind(id, org.id, inviting.family.id, `${i}`, `revokee${i}@bench-invite.test`, t, t),
  ),
);
const revokeScript = walkScript(
  'revoke',
  staffInvite,
  revokeIds.map((id) => ['POST', `/office/bench-invite/api/guardians/${id}/revoke-login`, '{"reason":"benchmark"}']),
);

// Merges: pairs of families of five guardians each (a primary and four who can log in).
const MERGES = Number(process.env.BENCH_MERGES || 3000);
const familyRows = [];
const guardianRows = [];
for (let i = 0; i < MERGES; i++) {
  for (const side of ['a', 'b']) {
    const fam = `fam_m${i}${side}`;
    familyRows.push(
      portal.db
        .prepare('INSERT OR IGNORE INTO families (id, org_id, name, primary_guardian_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
        .bind(fam, org.id, `Merge ${i}${side}`, `gdn_m${i}${side}0`, t, t),
    );
    for (let g = 0; g < 5; g++) {
      guardianRows.push(
        portal.db
          .prepare("INSERT OR IGNORE INTO guardians (id, org_id, family_id, first_name, last_name, email, access_state, created_at, updated_at) VALUES (?, ?, ?, 'M', ?, ?, 'can_log_in', ?, ?)")
          .bind(`gdn_m${i}${side}${g}`, org.id, fam, `${i}${side}${g}`, `m${i}${side}${g}@bench-invite.test`, t, t),
      );
    }
  }
}
await insertAll(familyRows);
await insertAll(guardianRows);
const mergeScript = walkScript(
  'merge',
  staffInvite,
  Array.from({ length: MERGES }, (_, i) => ['POST', `/office/bench-invite/api/families/fam_m${i}a/merge`, `{"from_family_ids":["fam_m${i}b"]}`]),
);

// Payments (sandbox gateway). Savers: guardians who can log in, each in a family of their own, with
// a session forged like the worker signs them (a guardian keeps at most three methods).
const pay = await portal.familyWithSecondary('bench-pay');
const payOrg = await portal.db.prepare("SELECT id FROM organizations WHERE slug = 'bench-pay'").first();
await portal.request('PATCH', '/office/bench-pay/api/settings/portal-options', {
  token: pay.staff,
  json: { payment_gateway: { kind: 'sandbox' }, show_full_ledger_history: true },
});
const SAVERS = Number(process.env.BENCH_SAVERS || 4000);
const claims = decodeJwt(pay.primary.token);
const savers = Array.from({ length: SAVERS }, (_, i) => ({ id: `gdn_saver_${i}`, family: `fam_saver_${i}`, sid: `ses_saver_${i}` }));
await insertAll(
  savers.flatMap((sv, i) => [
    portal.db
      .prepare('INSERT OR IGNORE INTO families (id, org_id, name, primary_guardian_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
      .bind(sv.family, payOrg.id, `Saver ${i}`, sv.id, t, t),
    portal.db
      .prepare("INSERT OR IGNORE INTO guardians (id, org_id, family_id, first_name, last_name, email, access_state, created_at, updated_at) VALUES (?, ?, ?, 'Saver', ?, ?, 'can_log_in', ?, ?)")
      .bind(sv.id, payOrg.id, sv.family, `${i}`, `saver${i}@bench-pay.test`, t, t),
    portal.db
      .prepare("INSERT OR IGNORE INTO sessions (id, org_id, kind, subject_id, epoch, created_at, expires_at) VALUES (?, ?, 'guardian', ?, 0, ?, ?)")
      .bind(sv.sid, payOrg.id, sv.id, t, t + 86_400_000),
  ]),
);
const saveScript = walkScript(
  'save-method',
  '',
  savers.map((sv) => [
    'POST',
    '/portal/bench-pay/api/payment-methods',
    JSON.stringify({ kind: 'card', gateway_token: 'tok_visa', last4: '4242', exp_month: 12, exp_year: 2035 }),
    signJwt({ ...claims, sid: sv.sid }),
  ]),
);
const payMethod = await portal.request('POST', '/portal/bench-pay/api/payment-methods', {
  token: pay.primary.token,
  json: { kind: 'card', gateway_token: 'tok_visa', last4: '4242', exp_month: 12, exp_year: 2035 },
});
if (payMethod.status !== 201) throw new Error(`bench payment method: ${payMethod.status} ${payMethod.text}`);
const payBody = new URL('./out/pay.lua', import.meta.url).pathname;
writeFileSync(
  payBody,
  `wrk.method = "POST"
wrk.body = '${JSON.stringify({ amount_cents: 100, payment_method_id: payMethod.body.id })}'
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Bearer ${pay.primary.token}"
`,
);
// The transaction history of a family with 1,000 ledger entries over two years (full ledger shown).
const LEDGER = 1000;
const ledger = await portal.familyWithSecondary('bench-ledger');
const ledgerOrg = await portal.db.prepare("SELECT id FROM organizations WHERE slug = 'bench-ledger'").first();
await portal.request('PATCH', '/office/bench-ledger/api/settings/portal-options', { token: ledger.staff, json: { show_full_ledger_history: true } });
const kinds = ['charge', 'charge', 'payment', 'refund'];
await insertAll(
  Array.from({ length: LEDGER }, (_, i) =>
    portal.db
      .prepare("INSERT OR IGNORE INTO ledger_entries (id, org_id, family_id, kind, amount_cents, description, at, posted_by_kind, posted_by_label) VALUES (?, ?, ?, ?, ?, ?, ?, 'staff', 'bench')")
      .bind(`led_bench_${i}`, ledgerOrg.id, ledger.family.id, kinds[i % 4], 1000 + i, `Entry ${i}`, t - i * 63_000_000),
  ),
);

const staff = await portal.staffSignIn('bench-closed', 'owner@bench-closed.test', 'owner-password-1');
await portal.request('PUT', '/office/bench-closed/api/settings/customer-portal', { token: staff, json: { enabled: false } });

// The same Miniflare instance serves on a loopback port for wrk.
const base = (await portal.mf.ready).toString().replace(/\/$/, '');
const baseline = new Miniflare(
  convertV4MiniflareOptions({
    cf: false,
    host: '127.0.0.1',
    modules: true,
    scriptPath: new URL('./baseline-worker.js', import.meta.url).pathname,
    compatibilityDate: '2026-11-01',
  }),
);
const baselineBase = (await baseline.ready).toString().replace(/\/$/, '');

const scenarios = [
  ['GET /healthz (Rust worker)', () => wrk(`${base}/healthz`)],
  ['gate: disabled portal page (503)', () => wrk(`${base}/portal/bench-closed`)],
  ['gate: disabled portal API (503)', () => wrk(`${base}/portal/bench-closed/api/account`)],
  ['GET /portal/{org} sign-in page', () => wrk(`${base}/portal/bench-open`)],
  ['GET settings (staff, 1 D1 read)', () => wrk(`${base}/office/bench-closed/api/settings/customer-portal`, { header: `Authorization: Bearer ${staff}` })],
  ['GET /api/account (session + 1 read)', () => wrk(`${base}/portal/bench-open/api/account`, { header: `Authorization: Bearer ${family.primary.token}` })],
  ['POST invitation (write batch + queue)', () => wrk(`${base}/`, { script: inviteScript })],
  ['staff revoke-login (batch + 2 e-mails)', () => wrk(`${base}/`, { script: revokeScript })],
  ['merge 2 families of 5 (1 batch)', () => wrk(`${base}/`, { script: mergeScript })],
  ['save a payment method (vault + batch)', () => wrk(`${base}/`, { script: saveScript })],
  ['pay with a saved method', () => wrk(`${base}/portal/bench-pay/api/payments`, { script: payBody })],
  ['history of 1,000 ledger entries', () => wrk(`${base}/portal/bench-ledger/api/transactions`, { header: `Authorization: Bearer ${ledger.primary.token}` })],
  ['JS worker trivial route', () => wrk(`${baselineBase}/`)],
];

const results = {};
for (const [name, run] of scenarios) {
  results[name] = run();
  const r = results[name];
  process.stderr.write(`  ${name}: ${r.rps.toFixed(0)} req/s${r.non2xx ? `, ${r.non2xx} non-2xx of ${r.total}` : ''}\n`);
}
// Let the queue send what the invitation run wrote before asking D1 anything else.
const drained = performance.now();
await portal.waitFor(async () => {
  const open = await portal.db.prepare('SELECT COUNT(*) AS n FROM outbox WHERE processed_at IS NULL AND failed_at IS NULL').first();
  return open.n === 0;
}, 'the outbox to drain', 300_000);
const drainMs = performance.now() - drained;
const sent = await portal.db.prepare("SELECT COUNT(*) AS n FROM invitations WHERE guardian_id LIKE 'gdn_bench_%'").first();
const revokedCount = await portal.db.prepare("SELECT COUNT(*) AS n FROM guardians WHERE id LIKE 'gdn_revoke_%' AND access_state = 'invite_revoked'").first();
const savedCount = await portal.db.prepare("SELECT COUNT(*) AS n FROM payment_methods WHERE guardian_id LIKE 'gdn_saver_%'").first();
const paidCount = await portal.db.prepare("SELECT COUNT(*) AS n FROM ledger_entries WHERE family_id = ? AND kind = 'payment'").bind(pay.family.id).first();
const historyLength = (await portal.request('GET', '/portal/bench-ledger/api/transactions', { token: ledger.primary.token })).body.entries.length;
const mergedCount = await portal.db.prepare("SELECT COUNT(*) AS n FROM families WHERE id LIKE 'fam_m%' AND status = 'merged'").first();
await baseline.dispose();
await portal.close();

const healthz = results['GET /healthz (Rust worker)'].rps;
const js = results['JS worker trivial route'].rps;
const pad = (s, n) => String(s).padEnd(n);
console.log(`\nportal-access benchmark: wrk -t1 -c${CONNECTIONS} -d${SECONDS}s per scenario, Miniflare on 127.0.0.1, ${new Date().toISOString()}`);
console.log(`${pad('scenario', 36)} ${pad('req/s', 9)} ${pad('p50 ms', 8)} ${pad('p99 ms', 8)} ${pad('vs healthz', 11)} vs JS`);
for (const [name, r] of Object.entries(results)) {
  console.log(
    `${pad(name, 36)} ${pad(r.rps.toFixed(0), 9)} ${pad(r.p50.toFixed(2), 8)} ${pad(r.p99.toFixed(2), 8)} ${pad((r.rps / healthz).toFixed(2) + 'x', 11)} ${(r.rps / js).toFixed(2)}x`,
  );
}
const invite = results['POST invitation (write batch + queue)'];
console.log(
  `\ninvitation sends: ${sent.n} invitations written (wrk counted ${invite.total} answers, ${invite.non2xx} of them non-2xx; requests in flight at the end finish later), ` +
    `each to its own invitee of ${INVITEES}; the queue had sent every e-mail ${(drainMs / 1000).toFixed(1)} s after the run`,
);
console.log(`payments: ${savedCount.n} methods saved by ${SAVERS} seeded guardians; ${paidCount.n} payments entered in the ledger; the history answer holds ${historyLength} entries`);
console.log(`staff revokes: ${revokedCount.n} guardians revoked of ${REVOKES} seeded; merges: ${mergedCount.n} families merged of ${MERGES} pairs seeded (each pair: 5 + 5 guardians)`);
const gate = results['gate: disabled portal page (503)'].rps;
console.log(`\nupload of the http Worker (wrangler deploy --dry-run): ${process.env.BENCH_UPLOAD || 'n/a'}`);
console.log(`upload of the jobs Worker (-c wrangler.jobs.toml):     ${process.env.BENCH_UPLOAD_JOBS || 'n/a'}`);
console.log(`start-up, Miniflare constructed to first response: ${startupMs.toFixed(0)} ms`);
console.log(`target: gate >= 0.9x healthz: ${(gate / healthz).toFixed(2)}x ${gate / healthz >= 0.9 ? 'MET' : 'NOT MET'}`);
for (const [worker, upload] of [['http', process.env.BENCH_UPLOAD], ['jobs', process.env.BENCH_UPLOAD_JOBS]]) {
  const gzip = Number(/gzip: ([\d.]+) KiB/.exec(upload || '')?.[1]);
  if (gzip) console.log(`target: gzip upload <= 300 KiB (${worker}): ${gzip} KiB ${gzip <= 300 ? 'MET' : 'NOT MET'}`);
}
