// Drives each scenario with wrk for a bounded time against Miniflare on 127.0.0.1 and prints a table;
// measures the cold start of both Workers and of a trivial JS Worker (bench/coldstart.mjs); and with
// BENCH_BEFORE=<dir> (a copy of an earlier build/, holding http/ and jobs/) compares the key
// scenarios of that build and of build/ in interleaved rounds (before, after, after, before).
//
// BENCH_SECONDS (10) per wrk run; BENCH_CONNECTIONS (16); BENCH_COLD_RUNS (5) fresh instances per
// Worker; BENCH_ROUNDS (2, even) rounds per build and scenario in the comparison; BENCH_FULL=0 skips
// the full scenario table (cold starts and the comparison only).
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { mkdirSync, writeFileSync } from 'node:fs';
import { signJwt, decodeJwt } from '../tests/e2e/harness.mjs';
import { CURRENT_BUILD, checkBuild, drain, insertAll, startBuild } from './portal.mjs';
import { CONNECTIONS, SECONDS, wrk } from './wrk.mjs';
import { measureColdStarts, formatColdStarts, COLD_BUDGET } from './coldstart.mjs';

const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS || 5);
const FULL = process.env.BENCH_FULL !== '0';
const BEFORE = process.env.BENCH_BEFORE ? checkBuild(process.env.BENCH_BEFORE) : null;
const ROUNDS = Math.max(2, 2 * Math.round(Number(process.env.BENCH_ROUNDS || 2) / 2));
// Each guardian may be invited once a minute and revoked once, so every wrk run of those walks
// through its own seeded rows (a run that sends more requests than this wraps around and gets 429s).
const INVITEES = Number(process.env.BENCH_INVITEES || 4000);
const REVOKES = Number(process.env.BENCH_REVOKES || 4000);
const GZIP_BUDGET_KIB = 1024;
const GATE_TARGET = 0.9;
const progress = (s) => process.stderr.write(`${s}\n`);
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

/**
 * What the key scenarios need, in `rounds` disjoint sets for the write scenarios: a family whose
 * primary reads /api/account (bench-open), a primary who invites INVITEES secondaries per round and
 * REVOKES guardians who can log in for staff to revoke (bench-invite), an organization whose
 * Customer Portal is off (bench-closed). `prefix` keeps each build's wrk scripts apart.
 */
async function seedKey(portal, prefix, rounds) {
  const family = await portal.familyWithSecondary('bench-open');
  const inviting = await portal.familyWithSecondary('bench-invite');
  await portal.createOrganization('bench-closed');
  const org = await portal.dbOf('bench-invite').prepare("SELECT id FROM organizations WHERE slug = 'bench-invite'").first();
  const t = Date.now();

  // Invitation sends: round r invites gdn_bench_{r*INVITEES ...}.
  const invitees = Array.from({ length: INVITEES * rounds }, (_, k) => `gdn_bench_${k}`);
  await insertAll(
    portal.dbOf('bench-invite'),
    invitees.map((id, k) =>
      portal.dbOf('bench-invite')
        .prepare('INSERT OR IGNORE INTO guardians (id, org_id, family_id, first_name, last_name, email, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .bind(id, org.id, inviting.family.id, 'Invitee', `${k}`, `invitee${k}@bench-invite.test`, t, t),
    ),
  );
  const inviteScripts = Array.from({ length: rounds }, (_, r) =>
    walkScript(
      `${prefix}invite${rounds > 1 ? `-${r}` : ''}`,
      inviting.primary.token,
      invitees.slice(r * INVITEES, (r + 1) * INVITEES).map((id) => ['POST', `/portal/bench-invite/api/guardians/${id}/invitation`]),
    ),
  );

  // Staff revokes: guardians who can log in, each revoked once.
  const staffInvite = await portal.staffSignIn('bench-invite', 'owner@bench-invite.test', 'owner-password-1');
  const revokees = Array.from({ length: REVOKES * rounds }, (_, k) => `gdn_revoke_${k}`);
  await insertAll(
    portal.dbOf('bench-invite'),
    revokees.map((id, k) =>
      portal.dbOf('bench-invite')
        .prepare("INSERT OR IGNORE INTO guardians (id, org_id, family_id, first_name, last_name, email, access_state, created_at, updated_at) VALUES (?, ?, ?, 'Revokee', ?, ?, 'can_log_in', ?, ?)")
        .bind(id, org.id, inviting.family.id, `${k}`, `revokee${k}@bench-invite.test`, t, t),
    ),
  );
  const revokeScripts = Array.from({ length: rounds }, (_, r) =>
    walkScript(
      `${prefix}revoke${rounds > 1 ? `-${r}` : ''}`,
      staffInvite,
      revokees.slice(r * REVOKES, (r + 1) * REVOKES).map((id) => ['POST', `/office/bench-invite/api/guardians/${id}/revoke-login`, '{"reason":"benchmark"}']),
    ),
  );

  const staff = await portal.staffSignIn('bench-closed', 'owner@bench-closed.test', 'owner-password-1');
  await portal.request('PUT', '/office/bench-closed/api/settings/customer-portal', { token: staff, json: { enabled: false } });
  const base = (await portal.mf.ready).toString().replace(/\/$/, '');
  return { base, family, inviting, org, t, staffInvite, staff, inviteScripts, revokeScripts };
}

/** The rest of the full run's data: merges, payments, a long ledger. Returns their wrk scripts. */
async function seedRest(portal, { org, t, staffInvite }) {
  // Merges: pairs of families of five guardians each (a primary and four who can log in).
  const MERGES = Number(process.env.BENCH_MERGES || 3000);
  const familyRows = [];
  const guardianRows = [];
  for (let i = 0; i < MERGES; i++) {
    for (const side of ['a', 'b']) {
      const fam = `fam_m${i}${side}`;
      familyRows.push(
        portal.dbOf('bench-invite')
          .prepare('INSERT OR IGNORE INTO families (id, org_id, name, primary_guardian_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
          .bind(fam, org.id, `Merge ${i}${side}`, `gdn_m${i}${side}0`, t, t),
      );
      for (let g = 0; g < 5; g++) {
        guardianRows.push(
          portal.dbOf('bench-invite')
            .prepare("INSERT OR IGNORE INTO guardians (id, org_id, family_id, first_name, last_name, email, access_state, created_at, updated_at) VALUES (?, ?, ?, 'M', ?, ?, 'can_log_in', ?, ?)")
            .bind(`gdn_m${i}${side}${g}`, org.id, fam, `${i}${side}${g}`, `m${i}${side}${g}@bench-invite.test`, t, t),
        );
      }
    }
  }
  await insertAll(portal.dbOf('bench-invite'), familyRows);
  await insertAll(portal.dbOf('bench-invite'), guardianRows);
  const mergeScript = walkScript(
    'merge',
    staffInvite,
    Array.from({ length: MERGES }, (_, i) => ['POST', `/office/bench-invite/api/families/fam_m${i}a/merge`, `{"from_family_ids":["fam_m${i}b"]}`]),
  );

  // Payments (sandbox gateway). Savers: guardians who can log in, each in a family of their own, with
  // a session forged like the worker signs them (a guardian keeps at most three methods).
  const pay = await portal.familyWithSecondary('bench-pay');
  const payOrg = await portal.dbOf('bench-pay').prepare("SELECT id FROM organizations WHERE slug = 'bench-pay'").first();
  await portal.request('PATCH', '/office/bench-pay/api/settings/portal-options', {
    token: pay.staff,
    json: { payment_gateway: { kind: 'sandbox' }, show_full_ledger_history: true },
  });
  const SAVERS = Number(process.env.BENCH_SAVERS || 4000);
  const claims = decodeJwt(pay.primary.token);
  const savers = Array.from({ length: SAVERS }, (_, i) => ({ id: `gdn_saver_${i}`, family: `fam_saver_${i}`, sid: `ses_saver_${i}` }));
  await insertAll(
    portal.dbOf('bench-pay'),
    savers.flatMap((sv, i) => [
      portal.dbOf('bench-pay')
        .prepare('INSERT OR IGNORE INTO families (id, org_id, name, primary_guardian_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
        .bind(sv.family, payOrg.id, `Saver ${i}`, sv.id, t, t),
      portal.dbOf('bench-pay')
        .prepare("INSERT OR IGNORE INTO guardians (id, org_id, family_id, first_name, last_name, email, access_state, created_at, updated_at) VALUES (?, ?, ?, 'Saver', ?, ?, 'can_log_in', ?, ?)")
        .bind(sv.id, payOrg.id, sv.family, `${i}`, `saver${i}@bench-pay.test`, t, t),
      portal.dbOf('bench-pay')
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
  const ledgerOrg = await portal.dbOf('bench-ledger').prepare("SELECT id FROM organizations WHERE slug = 'bench-ledger'").first();
  await portal.request('PATCH', '/office/bench-ledger/api/settings/portal-options', { token: ledger.staff, json: { show_full_ledger_history: true } });
  const kinds = ['charge', 'charge', 'payment', 'refund'];
  await insertAll(
    portal.dbOf('bench-ledger'),
    Array.from({ length: LEDGER }, (_, i) =>
      portal.dbOf('bench-ledger')
        .prepare("INSERT OR IGNORE INTO ledger_entries (id, org_id, family_id, kind, amount_cents, description, at, posted_by_kind, posted_by_label) VALUES (?, ?, ?, ?, ?, ?, ?, 'staff', 'bench')")
        .bind(`led_bench_${i}`, ledgerOrg.id, ledger.family.id, kinds[i % 4], 1000 + i, `Entry ${i}`, t - i * 63_000_000),
    ),
  );

  return { MERGES, SAVERS, mergeScript, saveScript, payBody, pay, ledger };
}

/** Every scenario once against build/, beside the JS worker; as before this harness change. */
async function fullRun() {
  const portal = await startBuild(CURRENT_BUILD);
  const key = await seedKey(portal, '', 1);
  const rest = await seedRest(portal, key);
  const { base, family, staff, ledger } = { ...key, ...rest };
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
    ['POST invitation (write batch + queue)', () => wrk(`${base}/`, { script: key.inviteScripts[0] })],
    ['staff revoke-login (batch + 2 e-mails)', () => wrk(`${base}/`, { script: key.revokeScripts[0] })],
    ['merge 2 families of 5 (1 batch)', () => wrk(`${base}/`, { script: rest.mergeScript })],
    ['save a payment method (vault + batch)', () => wrk(`${base}/`, { script: rest.saveScript })],
    ['pay with a saved method', () => wrk(`${base}/portal/bench-pay/api/payments`, { script: rest.payBody })],
    ['history of 1,000 ledger entries', () => wrk(`${base}/portal/bench-ledger/api/transactions`, { header: `Authorization: Bearer ${ledger.primary.token}` })],
    ['JS worker trivial route', () => wrk(`${baselineBase}/`)],
  ];

  const results = {};
  for (const [name, run] of scenarios) {
    results[name] = run();
    const r = results[name];
    progress(`  ${name}: ${r.rps.toFixed(0)} req/s${r.non2xx ? `, ${r.non2xx} non-2xx of ${r.total}` : ''}`);
  }
  // Let the queue send what the invitation run wrote before asking D1 anything else.
  const drainMs = await drain(portal);
  const count = (sql, ...args) => portal.countEverywhere(sql, ...args);
  const counts = {
    sent: await count("SELECT COUNT(*) AS n FROM invitations WHERE guardian_id LIKE 'gdn_bench_%'"),
    revoked: await count("SELECT COUNT(*) AS n FROM guardians WHERE id LIKE 'gdn_revoke_%' AND access_state = 'invite_revoked'"),
    saved: await count("SELECT COUNT(*) AS n FROM payment_methods WHERE guardian_id LIKE 'gdn_saver_%'"),
    paid: await count("SELECT COUNT(*) AS n FROM ledger_entries WHERE family_id = ? AND kind = 'payment'", rest.pay.family.id),
    merged: await count("SELECT COUNT(*) AS n FROM families WHERE id LIKE 'fam_m%' AND status = 'merged'"),
    history: (await portal.request('GET', '/portal/bench-ledger/api/transactions', { token: ledger.primary.token })).body.entries.length,
  };
  await baseline.dispose();
  await portal.close();

  const healthz = results['GET /healthz (Rust worker)'].rps;
  const js = results['JS worker trivial route'].rps;
  const pad = (s, n) => String(s).padEnd(n);
  const lines = [
    `portal-access benchmark: wrk -t1 -c${CONNECTIONS} -d${SECONDS}s per scenario, Miniflare on 127.0.0.1, ${new Date().toISOString()}`,
    `${pad('scenario', 36)} ${pad('req/s', 9)} ${pad('p50 ms', 8)} ${pad('p99 ms', 8)} ${pad('vs healthz', 11)} vs JS`,
  ];
  for (const [name, r] of Object.entries(results)) {
    lines.push(
      `${pad(name, 36)} ${pad(r.rps.toFixed(0), 9)} ${pad(r.p50.toFixed(2), 8)} ${pad(r.p99.toFixed(2), 8)} ${pad((r.rps / healthz).toFixed(2) + 'x', 11)} ${(r.rps / js).toFixed(2)}x`,
    );
  }
  const invite = results['POST invitation (write batch + queue)'];
  lines.push(
    '',
    `invitation sends: ${counts.sent} invitations written (wrk counted ${invite.total} answers, ${invite.non2xx} of them non-2xx; requests in flight at the end finish later), ` +
      `each to its own invitee of ${INVITEES}; the queue had sent every e-mail ${(drainMs / 1000).toFixed(1)} s after the run`,
    `payments: ${counts.saved} methods saved by ${rest.SAVERS} seeded guardians; ${counts.paid} payments entered in the ledger; the history answer holds ${counts.history} entries`,
    `staff revokes: ${counts.revoked} guardians revoked of ${REVOKES} seeded; merges: ${counts.merged} families merged of ${rest.MERGES} pairs seeded (each pair: 5 + 5 guardians)`,
  );
  const gate = results['gate: disabled portal page (503)'].rps;
  const gateApi = results['gate: disabled portal API (503)'].rps;
  const met = (x) => (x >= GATE_TARGET ? 'MET' : 'NOT MET');
  const targets = [
    `target: gate >= ${GATE_TARGET}x healthz: page ${(gate / healthz).toFixed(2)}x ${met(gate / healthz)}, API ${(gateApi / healthz).toFixed(2)}x ${met(gateApi / healthz)}`,
  ];
  return { text: lines.join('\n'), targets };
}

/** Mean of the rounds' figures. */
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * The key scenarios against the build in BEFORE and build/, both running at once, in rounds
 * interleaved before, after, after, before (after, before, before, after for the next block or
 * scenario), ROUNDS per build; after each write round the queue is drained, so no round pays for
 * another's e-mails. Each instance is warmed up first (1 s of each read scenario, not counted).
 */
async function compareRun() {
  const builds = [
    { label: 'before', dir: BEFORE },
    { label: 'after', dir: CURRENT_BUILD },
  ];
  for (const b of builds) {
    progress(`  starting and seeding the ${b.label} build (${b.dir})`);
    b.portal = await startBuild(b.dir);
    b.key = await seedKey(b.portal, `${b.label}-`, ROUNDS);
    await drain(b.portal);
  }
  const scenarios = [
    { name: 'GET /healthz', run: (b, _, seconds) => wrk(`${b.key.base}/healthz`, { seconds }) },
    { name: 'gate: disabled portal page (503)', gate: true, run: (b, _, seconds) => wrk(`${b.key.base}/portal/bench-closed`, { seconds }) },
    { name: 'gate: disabled portal API (503)', gate: true, run: (b, _, seconds) => wrk(`${b.key.base}/portal/bench-closed/api/account`, { seconds }) },
    {
      name: 'GET /api/account (session + 1 read)',
      run: (b, _, seconds) =>
        wrk(`${b.key.base}/portal/bench-open/api/account`, { header: `Authorization: Bearer ${b.key.family.primary.token}`, seconds }),
    },
    { name: 'POST invitation (write batch + queue)', write: true, run: (b, round) => wrk(`${b.key.base}/`, { script: b.key.inviteScripts[round] }) },
    { name: 'staff revoke-login (batch + 2 e-mails)', write: true, run: (b, round) => wrk(`${b.key.base}/`, { script: b.key.revokeScripts[round] }) },
  ];
  for (const b of builds) {
    for (const sc of scenarios.filter((sc) => !sc.write)) sc.run(b, 0, 1);
  }
  const drains = [];
  for (const [i, sc] of scenarios.entries()) {
    sc.rounds = { before: [], after: [] };
    const next = { before: 0, after: 0 };
    const order = Array.from({ length: ROUNDS / 2 }, (_, k) => ((i + k) % 2 === 0 ? [0, 1, 1, 0] : [1, 0, 0, 1])).flat();
    for (const which of order) {
      const b = builds[which];
      const r = sc.run(b, next[b.label]++);
      sc.rounds[b.label].push(r);
      progress(`  ${sc.name} [${b.label}]: ${r.rps.toFixed(0)} req/s${!sc.gate && r.non2xx ? `, ${r.non2xx} non-2xx of ${r.total}` : ''}`);
      if (sc.write) {
        const ms = await drain(b.portal);
        drains.push(`${sc.name.split(' (')[0]} [${b.label}] ${(ms / 1000).toFixed(1)} s`);
      }
    }
  }
  for (const b of builds) await b.portal.close();

  const pad = (s, n) => String(s).padEnd(n);
  const fig = (rounds) => ({
    rps: mean(rounds.map((r) => r.rps)),
    p50: mean(rounds.map((r) => r.p50)),
    p99: mean(rounds.map((r) => r.p99)),
    each: rounds.map((r) => r.rps.toFixed(0)).join('/'),
    bad: rounds.reduce((a, r) => a + r.non2xx, 0),
  });
  const lines = [
    `before/after: before = ${BEFORE}, after = ${CURRENT_BUILD}; each running in its own Miniflare at the same time,`,
    `wrk -t1 -c${CONNECTIONS} -d${SECONDS}s per round, ${ROUNDS} rounds per build interleaved (before, after, after, before / after, before, before, after);`,
    `req/s, p50 and p99 are the mean of each build's rounds`,
    `${pad('scenario', 40)} ${pad('before req/s', 13)} ${pad('p50', 7)} ${pad('p99', 8)} ${pad('after req/s', 13)} ${pad('p50', 7)} ${pad('p99', 8)} ${pad('after/before', 13)} rounds (before | after)`,
  ];
  const figures = {};
  for (const sc of scenarios) {
    const b = fig(sc.rounds.before);
    const a = fig(sc.rounds.after);
    figures[sc.name] = { before: b, after: a };
    const errors = !sc.gate && a.bad + b.bad ? `  non-2xx: ${b.bad} | ${a.bad}` : '';
    lines.push(
      `${pad(sc.name, 40)} ${pad(b.rps.toFixed(0), 13)} ${pad(b.p50.toFixed(2), 7)} ${pad(b.p99.toFixed(2), 8)} ` +
        `${pad(a.rps.toFixed(0), 13)} ${pad(a.p50.toFixed(2), 7)} ${pad(a.p99.toFixed(2), 8)} ${pad((a.rps / b.rps).toFixed(2) + 'x', 13)} ${b.each} | ${a.each}${errors}`,
    );
  }
  const targets = [];
  for (const label of ['before', 'after']) {
    const h = figures['GET /healthz'][label].rps;
    const page = figures['gate: disabled portal page (503)'][label].rps / h;
    const api = figures['gate: disabled portal API (503)'][label].rps / h;
    const met = (x) => (x >= GATE_TARGET ? 'MET' : 'NOT MET');
    lines.push(`gate / healthz (${label}): page ${page.toFixed(2)}x, API ${api.toFixed(2)}x`);
    targets.push(`target: gate >= ${GATE_TARGET}x healthz (${label} build, comparison rounds): page ${page.toFixed(2)}x ${met(page)}, API ${api.toFixed(2)}x ${met(api)}`);
  }
  lines.push(`queue drained after each write round: ${drains.join(', ')}`);
  return { text: lines.join('\n'), targets };
}

// Cold starts first, while nothing else of ours runs.
progress('cold starts');
const coldBuilds = [{ label: '', dir: CURRENT_BUILD }];
if (BEFORE) coldBuilds.push({ label: 'before', dir: BEFORE });
const cold = await measureColdStarts({ builds: coldBuilds, runs: COLD_RUNS, log: progress });

let full = null;
if (FULL) {
  progress('all scenarios against build/');
  full = await fullRun();
}
let compared = null;
if (BEFORE) {
  progress(`before/after: ${BEFORE} vs build/`);
  compared = await compareRun();
}

if (full) console.log(`\n${full.text}`);
if (compared) console.log(`\n${compared.text}`);
console.log(`\n${formatColdStarts(cold, COLD_RUNS)}`);
console.log('');
const uploads = [
  ['http', process.env.BENCH_UPLOAD],
  ['office', process.env.BENCH_UPLOAD_OFFICE],
  ['jobs', process.env.BENCH_UPLOAD_JOBS],
];
console.log(`upload of the http Worker (wrangler deploy --dry-run):   ${uploads[0][1] || 'n/a'}`);
console.log(`upload of the office Worker (-c wrangler.office.toml): ${uploads[1][1] || 'n/a'}`);
console.log(`upload of the jobs Worker (-c wrangler.jobs.toml):     ${uploads[2][1] || 'n/a'}`);
for (const line of [...(full?.targets || []), ...(compared?.targets || [])]) console.log(line);
for (const [worker, upload] of uploads) {
  const m = /gzip: ([\d.]+) (KiB|MiB)/.exec(upload || '');
  if (!m) continue;
  const kib = Number(m[1]) * (m[2] === 'MiB' ? 1024 : 1);
  console.log(`target: gzip upload <= 1 MiB (${worker}): ${kib.toFixed(1)} KiB = ${((kib / GZIP_BUDGET_KIB) * 100).toFixed(0)} % ${kib <= GZIP_BUDGET_KIB ? 'MET' : 'NOT MET'}`);
}
for (const r of cold.filter((r) => r.product)) {
  console.log(`target: cold start <= ${COLD_BUDGET}x JS with the same bindings (${r.name}): ${r.sameRatio.toFixed(2)}x ${r.sameRatio <= COLD_BUDGET ? 'MET' : 'NOT MET'}`);
}
