// Side by side with a JavaScript Worker: the Rust http Worker (build/http, with the jobs Worker
// beside it) and bench/peer/worker.js (Hono + D1, the same SQL) in ONE Miniflare with the same D1,
// KV, queue and vars. It checks first that both answer every scenario alike (status, body byte for
// byte, content type and the other headers but date-like ones) and that both reach D1 alike (the
// same number of round trips, each with the same number of statements, counted through a wrapper
// around the D1 binding, bench/peer/count-d1.js, in a second copy of each Worker that only the
// check uses: the copies measured are the Workers as they are), then runs interleaved wrk rounds
// (rust, peer, peer, rust, ...) per route and prints req/s, p50/p99 and the Rust/JS ratio (median
// of the rounds), and workerd's CPU per request in each round (the whole process: both Workers'
// runtime, Miniflare's entry and D1's SQLite; only one Worker is driven at a time).
//
//   PEER_SECONDS (5)        each read round
//   PEER_WRITE_SECONDS (3)  each invitation round (the queue is drained after it)
//   PEER_ROUNDS (6, even)   rounds per Worker and route (>= 5 for the medians the README quotes)
//   PEER_CONNECTIONS (16)   wrk connections
//   PEER_ONLY=a,b           run only the routes whose key is listed (healthz, gate-page, gate-api,
//                           sign-in, account, invite)
//   PEER_CHECK_ONLY=1       check that the answers and the D1 round trips match, and stop
//   PEER_INVITEES (1000)    guardians seeded per invitation round and Worker (each may be invited
//                           once a minute: a round that sends more wraps around and gets 429s)
//   PEER_BEFORE=<dir>       also run an earlier build's http Worker (<dir>/http, as scripts/build.sh
//                           writes build/http) in the same Miniflare and rounds: before/after and
//                           each against the peer, measured in one session. Several, each named:
//                           PEER_BEFORE=base=/tmp/b0,entry=/tmp/b1 (each is compared with build/)
//
// Run after `bash scripts/build.sh`: `node bench/peer.mjs` (or `BENCH_PEER=1 bash bench/run.sh`). Before/after:
// `cp -a build /tmp/build-before`, change and rebuild, `PEER_BEFORE=/tmp/build-before node bench/peer.mjs`.
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { loadavg as osLoadavg } from 'node:os';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { ROOT, openPortal, workerOptions } from '../tests/e2e/harness.mjs';
import { wrk as runWrk } from './wrk.mjs';
import { drain, insertAll } from './portal.mjs';

const SECONDS = Number(process.env.PEER_SECONDS || 5);
const WRITE_SECONDS = Number(process.env.PEER_WRITE_SECONDS || 3);
const ROUNDS = Math.max(2, 2 * Math.round(Number(process.env.PEER_ROUNDS || 6) / 2));
const CONNECTIONS = Number(process.env.PEER_CONNECTIONS || 16);
const ONLY = process.env.PEER_ONLY ? new Set(process.env.PEER_ONLY.split(',')) : null;
// Each guardian may be invited once a minute: every invitation round walks through its own rows.
const INVITEES = Number(process.env.PEER_INVITEES || 1000);
const BEFORE = process.env.PEER_BEFORE || null;
// Earlier builds by name: `dir` alone is 'before'.
const BEFORES = BEFORE
  ? Object.fromEntries(BEFORE.split(',').map((x) => (x.includes('=') ? x.split('=') : ['before', x])))
  : {};
// The contenders: earlier builds, the Rust http Worker of build/ ('rust'), the peer.
const RUST = [...Object.keys(BEFORES), 'rust'];
const WHO = [...RUST, 'peer'];
const HOSTS = Object.fromEntries(WHO.map((w) => [w, `${w}.test`]));
// The copies whose D1 round trips are counted (build/'s http Worker and the peer), by their host.
const COUNTED = { rust: 'rust-d1', peer: 'peer-d1' };
for (const c of Object.values(COUNTED)) HOSTS[c] = `${c}.test`;
const OUT = new URL('./out/', import.meta.url).pathname;
const progress = (s) => process.stderr.write(`${s}\n`);
mkdirSync(OUT, { recursive: true });

// ---------------------------------------------------------------------------------------------
// The peer's bundle, as wrangler would build it (esbuild, no minification).

function bundlePeer() {
  const outfile = `${OUT}peer.js`;
  execFileSync(
    `${ROOT}node_modules/@esbuild/linux-x64/bin/esbuild`,
    [`${ROOT}bench/peer/worker.js`, '--bundle', '--format=esm', '--platform=browser', '--conditions=workerd,worker,browser', `--outfile=${outfile}`, '--log-level=warning'],
    { stdio: 'inherit' },
  );
  return outfile;
}

async function start() {
  const options = workerOptions();
  const [http, jobs, office] = options.workers;
  http.routes = [`${HOSTS.rust}/*`];
  const befores = Object.entries(BEFORES).map(([label, dir]) => ({
    ...http,
    name: `portal-access-${label}`,
    cronTriggers: [],
    modulesRoot: dir,
    modules: [
      { type: 'ESModule', path: `${dir}/http/index.js` },
      { type: 'CompiledWasm', path: `${dir}/http/index_bg.wasm` },
    ],
    routes: [`${HOSTS[label]}/*`],
  }));
  const peerBundle = bundlePeer();
  const peer = {
    name: 'peer',
    modulesRoot: OUT,
    modules: [{ type: 'ESModule', path: peerBundle }],
    compatibilityDate: http.compatibilityDate,
    // The peer is a one-database Worker: its DB is the first tenant database, where seed() pins
    // the benchmark's organizations.
    d1Databases: { DB: http.d1Databases.DB_1 },
    kvNamespaces: http.kvNamespaces,
    queueProducers: http.queueProducers,
    bindings: http.bindings,
    routes: [`${HOSTS.peer}/*`],
  };
  // The counted copies: the same modules and bindings, entered through count-d1.js.
  const counter = readFileSync(`${ROOT}bench/peer/count-d1.js`, 'utf8');
  const countedCopy = (worker, name, dir, main) => ({
    ...worker,
    name,
    cronTriggers: [],
    modules: [
      { type: 'ESModule', path: `${dir}/__counted.js`, contents: `import worker from './${main}';\nimport { counting } from './__count_d1.js';\nexport default counting(worker);\n` },
      { type: 'ESModule', path: `${dir}/__count_d1.js`, contents: counter },
      ...worker.modules,
    ],
    routes: [`${HOSTS[name]}/*`],
  });
  const counted = [
    // The http Worker hands the Office Portal's requests on to a counted copy of the office Worker.
    { ...countedCopy(http, COUNTED.rust, `${ROOT}build/http`, 'index.js'), serviceBindings: { OFFICE: `${COUNTED.rust}-office` } },
    { ...countedCopy(office, `${COUNTED.rust}-office`, `${ROOT}build/office`, 'index.js'), routes: [] },
    countedCopy(peer, COUNTED.peer, OUT.replace(/\/$/, ''), 'peer.js'),
  ];
  const mf = new Miniflare(
    convertV4MiniflareOptions({ cf: false, host: '127.0.0.1', workers: [http, jobs, office, peer, ...befores, ...counted] }),
  );
  const base = (await mf.ready).toString().replace(/\/$/, '');
  const portal = await openPortal(mf);
  portal.pin = 'DB_1'; // the peer reads only DB_1
  return { portal, base };
}

// ---------------------------------------------------------------------------------------------
// Data: a family that reads its account, a primary who invites, an organization whose portal is off.

/** Invitees `gdn_{who}_{tag}_{k}` in the bench-invite family (no e-mail sent yet). */
function invitees(portal, org, family, who, tag, n, t) {
  const ids = Array.from({ length: n }, (_, k) => `gdn_${who}_${tag}_${k}`);
  const rows = ids.map((id, k) =>
    portal.db
      .prepare('INSERT OR IGNORE INTO guardians (id, org_id, family_id, first_name, last_name, email, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .bind(id, org.id, family.id, 'Invitee', `${tag}${k}`, `${who}.${tag}.${k}@bench-invite.test`, t, t),
  );
  return { ids, rows };
}

async function seed(portal) {
  const open = await portal.familyWithSecondary('bench-open');
  const inviting = await portal.familyWithSecondary('bench-invite');
  await portal.createOrganization('bench-closed');
  const staff = await portal.staffSignIn('bench-closed', 'owner@bench-closed.test', 'owner-password-1');
  const off = await portal.request('PUT', '/office/bench-closed/api/settings/customer-portal', { token: staff, json: { enabled: false } });
  if (off.status !== 200) throw new Error(`portal off: ${off.status} ${off.text}`);
  const org = await portal.db.prepare("SELECT id FROM organizations WHERE slug = 'bench-invite'").first();
  const t = Date.now();
  const rounds = {};
  const all = [];
  // The invitation rounds' invitees only when those rounds run (tens of thousands of rows).
  const inviteRounds = !ONLY || ONLY.has('invite') ? ROUNDS : 0;
  for (const who of WHO) {
    rounds[who] = [];
    for (let r = 0; r < inviteRounds; r++) {
      const { ids, rows } = invitees(portal, org, inviting.family, who, `r${r}`, INVITEES, t);
      rounds[who].push(ids);
      all.push(...rows);
    }
  }
  const check = {};
  for (const who of [...WHO, ...Object.values(COUNTED)]) {
    const { ids, rows } = invitees(portal, org, inviting.family, who, 'check', 1, t);
    check[who] = ids[0];
    all.push(...rows);
  }
  await insertAll(portal.db, all);
  await drain(portal, 600_000);
  return { open, inviting, org, rounds, check };
}

// ---------------------------------------------------------------------------------------------
// The answers must match.

/** Headers that may differ between two correct answers. */
const VOLATILE_HEADERS = new Set(['date', 'cf-ray', 'content-length']);

/** The same request to each Worker (Miniflare routes by the URL's host). */
async function fetchBoth(portal, method, path, { token, body } = {}) {
  const answers = {};
  for (const who of WHO) {
    const headers = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await portal.mf.dispatchFetch(`http://${HOSTS[who]}${path}`, { method, headers, body });
    const text = await res.text();
    const h = [...res.headers].filter(([k]) => !VOLATILE_HEADERS.has(k)).sort();
    answers[who] = { status: res.status, text, headers: h };
  }
  return answers;
}

/** Each Rust build's answer against the peer's. */
function compare(name, answers, mask = (s) => s) {
  let ok = true;
  for (const who of RUST) ok = compareTwo(`${name}${RUST.length > 1 ? ` [${who}]` : ''}`, answers[who], answers.peer, (s, w) => mask(s, w === 'rust' ? who : w)) && ok;
  return ok;
}

function compareTwo(name, a, b, mask) {
  const problems = [];
  if (a.status !== b.status) problems.push(`status ${a.status} vs ${b.status}`);
  if (mask(a.text, 'rust') !== mask(b.text, 'peer')) {
    const x = mask(a.text, 'rust');
    const y = mask(b.text, 'peer');
    let i = 0;
    while (i < x.length && x[i] === y[i]) i++;
    problems.push(`bodies differ at byte ${i}:\n    rust: ${JSON.stringify(x.slice(Math.max(0, i - 40), i + 80))}\n    peer: ${JSON.stringify(y.slice(Math.max(0, i - 40), i + 80))}`);
  }
  if (JSON.stringify(a.headers) !== JSON.stringify(b.headers)) {
    problems.push(`headers differ:\n    rust: ${JSON.stringify(a.headers)}\n    peer: ${JSON.stringify(b.headers)}`);
  }
  progress(`  ${problems.length ? 'DIFFERS' : 'same   '} ${name} (${a.status}, ${a.text.length} bytes)`);
  for (const p of problems) progress(`    ${p}`);
  return problems.length === 0;
}

// ---------------------------------------------------------------------------------------------
// Both must reach D1 alike: the same round trips, each with as many statements.

/** The D1 round trips one request makes, through a counted copy (`who`: rust or peer). */
async function d1Trips(portal, who, method, path, { token, body } = {}) {
  const host = HOSTS[COUNTED[who]];
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await portal.mf.dispatchFetch(`http://${host}${path}`, { method, headers, body });
  await res.arrayBuffer();
  const trips = await (await portal.mf.dispatchFetch(`http://${host}/__d1`)).json();
  return { status: res.status, trips };
}

/** What each case made, by name: `{ rust, peer }` round trips (bench output and the README's table). */
const D1_SEEN = {};

const shape = (trips) => trips.map((t) => (t.kind === 'batch' ? `batch(${t.statements.length})` : t.kind)).join(', ') || 'none';
const statementCount = (trips) => trips.reduce((n, t) => n + t.statements.length, 0);

/** The same request through both counted copies (each its own path when `paths` is given). */
async function compareD1(portal, name, method, path, opts = {}, paths = null) {
  const seen = {};
  for (const who of Object.keys(COUNTED)) seen[who] = await d1Trips(portal, who, method, paths?.[who] ?? path, opts);
  D1_SEEN[name] = seen;
  const { rust, peer } = seen;
  // Round trips and statements per round trip, in order (a batch of 2 is not two reads).
  const sizes = (t) => JSON.stringify(t.trips.map((x) => x.statements.length));
  // And the statements themselves (the peer's SQL is copied from src/store/), but for white space.
  const sql = (t) => JSON.stringify(t.trips.map((x) => x.statements.map((q) => q.replace(/\s+/g, ' ').trim())));
  const same = rust.status === peer.status && sizes(rust) === sizes(peer) && sql(rust) === sql(peer);
  const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const line = (t) => `${plural(t.trips.length, 'round trip')} (${shape(t.trips)}), ${plural(statementCount(t.trips), 'statement')}`;
  progress(`  ${same ? 'same   ' : 'DIFFERS'} D1: ${name}: ${same ? line(rust) : ''}`);
  if (!same) {
    for (const [who, t] of Object.entries(seen)) {
      progress(`    ${who} (${t.status}): ${line(t)}`);
      for (const [i, trip] of t.trips.entries()) {
        for (const q of trip.statements) progress(`      ${i + 1}. ${trip.kind}: ${q.replace(/\s+/g, ' ').slice(0, 110)}`);
      }
    }
    if (sizes(rust) === sizes(peer) && sql(rust) !== sql(peer)) {
      // Same round trips, other SQL: show where.
      const [a, b] = [rust, peer].map((t) => t.trips.flatMap((x) => x.statements.map((q) => q.replace(/\s+/g, ' ').trim())));
      for (const [i, q] of a.entries()) {
        if (q !== b[i]) progress(`    statement ${i + 1} differs:\n      rust: ${q}\n      peer: ${b[i]}`);
      }
    }
  }
  return same;
}

async function checkD1(portal, data) {
  const token = data.open.primary.token;
  const cases = [
    ['GET /healthz', 'GET', '/healthz'],
    ['gate page (portal off, 503)', 'GET', '/portal/bench-closed'],
    ['gate API (portal off, 503)', 'GET', '/portal/bench-closed/api/account', { token }],
    ['unknown organization page (404)', 'GET', '/portal/no-such-org'],
    ['sign-in page', 'GET', '/portal/bench-open'],
    ['GET /api/account (primary)', 'GET', '/portal/bench-open/api/account', { token }],
    ['GET /api/account (secondary)', 'GET', '/portal/bench-open/api/account', { token: data.open.secondary.token }],
    ['GET /api/account without a token (401)', 'GET', '/portal/bench-open/api/account'],
    ['GET /api/account, another org (401)', 'GET', '/portal/bench-invite/api/account', { token }],
  ];
  let ok = true;
  // The gate's memory (5 s) starts empty in each copy: once as it comes (KV, or D1 on a KV miss),
  // once from memory, as the rounds see it.
  const [gateName, ...gateRequest] = cases[1];
  for (const [name, method, path, opts] of [[`${gateName}, memory empty`, ...gateRequest], ...cases]) {
    ok = (await compareD1(portal, name, method, path, opts)) && ok;
  }
  const inviting = { token: data.inviting.primary.token, body: '{}' };
  const invite = (id) => `/portal/bench-invite/api/guardians/${id}/invitation`;
  ok =
    (await compareD1(portal, 'POST invitation (202)', 'POST', null, inviting, {
      rust: invite(data.check[COUNTED.rust]),
      peer: invite(data.check[COUNTED.peer]),
    })) && ok;
  ok = (await compareD1(portal, 'POST invitation again (429 cooldown)', 'POST', invite(data.check[COUNTED.rust]), inviting)) && ok;
  ok = (await compareD1(portal, 'POST invitation, unknown guardian (404)', 'POST', invite('gdn_nobody'), inviting)) && ok;
  return ok;
}

async function checkAnswers(portal, data) {
  const token = data.open.primary.token;
  const cases = [
    ['GET /healthz', 'GET', '/healthz'],
    ['gate page (portal off, 503)', 'GET', '/portal/bench-closed'],
    ['gate API (portal off, 503)', 'GET', '/portal/bench-closed/api/account', { token }],
    ['unknown organization page (404)', 'GET', '/portal/no-such-org'],
    ['unknown organization API (404)', 'GET', '/portal/no-such-org/api/account'],
    ['sign-in page', 'GET', '/portal/bench-open'],
    ['GET /api/account (primary)', 'GET', '/portal/bench-open/api/account', { token }],
    ['GET /api/account (secondary)', 'GET', '/portal/bench-open/api/account', { token: data.open.secondary.token }],
    ['GET /api/account without a token (401)', 'GET', '/portal/bench-open/api/account'],
    ['GET /api/account, forged token (401)', 'GET', '/portal/bench-open/api/account', { token: `${token.slice(0, -4)}AAAA` }],
    ['GET /api/account, another org (401)', 'GET', '/portal/bench-invite/api/account', { token }],
  ];
  let ok = true;
  for (const [name, method, path, opts] of cases) ok = compare(name, await fetchBoth(portal, method, path, opts)) && ok;

  // The write path: each Worker invites its own (identical but for id and address) guardian.
  const answers = {};
  for (const who of WHO) {
    const res = await portal.mf.dispatchFetch(`http://${HOSTS[who]}/portal/bench-invite/api/guardians/${data.check[who]}/invitation`, {
      method: 'POST',
      headers: { authorization: `Bearer ${data.inviting.primary.token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const text = await res.text();
    answers[who] = { status: res.status, text, headers: [...res.headers].filter(([k]) => !VOLATILE_HEADERS.has(k)).sort() };
  }
  // The guardian's id and address, and the expiry (now + 48 h, read a few ms apart), may differ.
  const mask = (s, who) =>
    s
      .replaceAll(data.check[who], '<guardian>')
      .replaceAll(`${who}.check.0@`, '<address>@')
      .replace(/"invitation_expires_at":"[^"]*"/, '"invitation_expires_at":"<expiry>"');
  ok = compare('POST invitation (202)', answers, mask) && ok;
  const again = await fetchBoth(portal, 'POST', `/portal/bench-invite/api/guardians/${data.check.rust}/invitation`, { token: data.inviting.primary.token, body: '{}' });
  ok = compare('POST invitation again (429 cooldown)', again, (s) => s.replace(/in \d+ seconds/, 'in N seconds')) && ok;
  const unknown = await fetchBoth(portal, 'POST', '/portal/bench-invite/api/guardians/gdn_nobody/invitation', { token: data.inviting.primary.token, body: '{}' });
  ok = compare('POST invitation, unknown guardian (404)', unknown) && ok;

  // What each wrote for the queue: the same e-mail, but for the link token, address and expiry.
  const payloads = {};
  for (const who of WHO) {
    const row = await portal.db.prepare('SELECT payload FROM outbox WHERE payload LIKE ?').bind(`%${who}.check.0@%`).first();
    payloads[who] = { status: 0, headers: [], text: row?.payload ?? '(none)' };
  }
  // The queue may have sent one of them already: its stored copy is redacted (no token, no secret).
  const maskMail = (s, who) => {
    const m = JSON.parse(s);
    const secret = m.secret;
    delete m.secret;
    let out = JSON.stringify(m).replaceAll('[redacted after sending]', '<token>');
    if (secret) out = out.replaceAll(secret, '<token>');
    return out
      .replaceAll(`${who}.check.0@`, '<address>@')
      .replace(/expires on [^U]* UTC/g, 'expires on <expiry> UTC');
  };
  ok = compare('the invitation e-mail in the outbox', payloads, maskMail) && ok;
  await drain(portal, 600_000);
  return ok;
}

// ---------------------------------------------------------------------------------------------
// Load.

function workerdPids() {
  // Miniflare's workerd is a child of this process.
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === process.pid && stat.includes('(workerd)')) pids.push(entry);
    } catch {
      // gone
    }
  }
  return pids;
}

/** CPU time (ms) spent by workerd so far. */
function workerdCpuMs(pids) {
  const tick = 1000 / 100; // USER_HZ
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) * tick;
    } catch {
      // gone
    }
  }
  return total;
}

const wrk = (url, options) => runWrk(url, { ...options, connections: CONNECTIONS });

/** A wrk script that POSTs an invitation to each of `ids` in turn, once each. */
function inviteScript(name, host, token, ids) {
  const path = `${OUT}${name}.lua`;
  writeFileSync(
    path,
    `local ids = {${ids.map((id) => `"${id}"`).join(',')}}
local n = 0
request = function()
  n = n + 1
  local id = ids[((n - 1) % #ids) + 1]
  return wrk.format("POST", "/portal/bench-invite/api/guardians/" .. id .. "/invitation",
    {["Host"] = "${host}", ["authorization"] = "Bearer ${token}", ["content-type"] = "application/json"}, "{}")
end
`,
  );
  return path;
}

const loadavg = () => osLoadavg().map((x) => x.toFixed(2)).join(' ');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main() {
  progress('starting the Rust Workers and the peer in one Miniflare');
  const { portal, base } = await start();
  try {
    progress('seeding');
    const data = await seed(portal);
    progress('checking that both answer alike');
    const same = await checkAnswers(portal, data);
    progress('checking that both reach D1 alike (round trips, statements in each)');
    const sameD1 = await checkD1(portal, data);
    await drain(portal, 600_000);

    if (!same || !sameD1) {
      console.log(`${!same ? 'the answers differ' : 'the D1 round trips differ'} (above): no figures`);
      process.exitCode = 1;
      return;
    }
    // wrk reaches each Worker by the Host header: make sure that is where it lands (only the Rust
    // worker serves /openapi.json).
    for (const [who, want] of [...RUST.map((r) => [r, 200]), ['peer', 404]]) {
      const status = await new Promise((resolve, reject) => {
        const u = new URL(`${base}/openapi.json`);
        http.get({ host: u.hostname, port: u.port, path: u.pathname, headers: { host: HOSTS[who] } }, (res) => (res.resume(), resolve(res.statusCode))).on('error', reject);
      });
      if (status !== want) throw new Error(`Host: ${HOSTS[who]} reached the wrong Worker (${status} for /openapi.json)`);
    }
    if (process.env.PEER_CHECK_ONLY === '1') return;

    const account = data.open.primary.token;
    // `d1`: the check's case whose D1 round trips the route makes (the same on both sides).
    const scenarios = [
      { key: 'healthz', name: 'GET /healthz', path: '/healthz', d1: 'GET /healthz' },
      { key: 'gate-page', name: 'gate: portal off, page (503)', path: '/portal/bench-closed', d1: 'gate page (portal off, 503)' },
      { key: 'gate-api', name: 'gate: portal off, API (503)', path: '/portal/bench-closed/api/account', header: `Authorization: Bearer ${account}`, d1: 'gate API (portal off, 503)' },
      { key: 'sign-in', name: 'GET /portal/{org} sign-in page', path: '/portal/bench-open', d1: 'sign-in page' },
      { key: 'account', name: 'GET /api/account (session + 1 batch)', path: '/portal/bench-open/api/account', header: `Authorization: Bearer ${account}`, d1: 'GET /api/account (primary)' },
      { key: 'invite', name: 'POST invitation (4 trips, queue)', write: true, d1: 'POST invitation (202)' },
    ].filter((s) => !ONLY || ONLY.has(s.key));
    const pids = workerdPids();
    progress(`workerd processes: ${pids.join(', ') || 'none found (no CPU figures)'}`);
    const run = (sc, who, round) => {
      const host = HOSTS[who];
      const opts = sc.write
        ? { host, seconds: WRITE_SECONDS, script: inviteScript(`peer-invite-${who}-${round}`, host, data.inviting.primary.token, data.rounds[who][round]) }
        : { host, seconds: SECONDS, header: sc.header };
      const cpu0 = workerdCpuMs(pids);
      const r = wrk(`${base}${sc.path ?? '/'}`, opts);
      r.cpuMs = pids.length ? (workerdCpuMs(pids) - cpu0) / r.total : NaN;
      return r;
    };
    const loadAtStart = loadavg();
    // Warm-up, not counted: the isolates, their caches, the JIT.
    for (const sc of scenarios.filter((s) => !s.write)) for (const who of WHO) run({ ...sc }, who, 0);

    for (const [i, sc] of scenarios.entries()) {
      sc.rounds = Object.fromEntries(WHO.map((w) => [w, []]));
      const next = Object.fromEntries(WHO.map((w) => [w, 0]));
      // A B B A (A B C C B A with a before build), the next block and route starting elsewhere.
      const order = Array.from({ length: ROUNDS / 2 }, (_, k) => {
        const shift = (i + k) % WHO.length;
        const rotated = [...WHO.slice(shift), ...WHO.slice(0, shift)];
        return [...rotated, ...[...rotated].reverse()];
      }).flat();
      for (const who of order) {
        const r = run(sc, who, next[who]++);
        sc.rounds[who].push(r);
        const bad = r.non2xx && !sc.path?.includes('closed') ? `, ${r.non2xx} non-2xx of ${r.total}` : '';
        progress(`  ${sc.name} [${who}]: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, CPU ${r.cpuMs.toFixed(3)} ms/req${bad}`);
        if (sc.write) await drain(portal, 600_000);
      }
    }

    const pad = (s, n) => String(s).padEnd(n);
    const f = (sc, who) => ({
      rps: median(sc.rounds[who].map((r) => r.rps)),
      p50: median(sc.rounds[who].map((r) => r.p50)),
      p99: median(sc.rounds[who].map((r) => r.p99)),
      cpu: median(sc.rounds[who].map((r) => r.cpuMs)),
      each: sc.rounds[who].map((r) => r.rps.toFixed(0)).join('/'),
    });
    const lines = [
      `Rust worker vs the JS peer (Hono + D1), one Miniflare, ${new Date().toISOString()}: wrk -t1 -c${CONNECTIONS}, ` +
        `${SECONDS} s per read round, ${WRITE_SECONDS} s per write round, ${ROUNDS} rounds each, interleaved; medians of the rounds.`,
      `CPU = workerd process CPU time per request (user + system) during the round. Load average at the start: ${loadAtStart}; at the end: ${loadavg()}.`,
      'D1 per request (checked equal on both sides before the rounds): round trips / statements.',
    ];
    for (const rust of RUST) {
      lines.push(
        '',
        `${rust === 'rust' ? 'build/' : `${rust} (${BEFORES[rust]})`} against the peer:`,
        `${pad('route', 40)} ${pad('D1', 6)} ${pad('Rust req/s', 11)} ${pad('JS req/s', 9)} ${pad('Rust/JS', 8)} ${pad('Rust p50/p99 ms', 16)} ${pad('JS p50/p99 ms', 16)} ${pad('CPU ms Rust/JS', 15)} rounds Rust | JS`,
      );
      for (const sc of scenarios) {
        const a = f(sc, rust);
        const b = f(sc, 'peer');
        const d1 = D1_SEEN[sc.d1]?.rust.trips;
        lines.push(
          `${pad(sc.name, 40)} ${pad(d1 ? `${d1.length}/${statementCount(d1)}` : '?', 6)} ${pad(a.rps.toFixed(0), 11)} ${pad(b.rps.toFixed(0), 9)} ${pad((a.rps / b.rps).toFixed(2) + 'x', 8)} ` +
            `${pad(`${a.p50.toFixed(2)} / ${a.p99.toFixed(1)}`, 16)} ${pad(`${b.p50.toFixed(2)} / ${b.p99.toFixed(1)}`, 16)} ` +
            `${pad(`${a.cpu.toFixed(3)} / ${b.cpu.toFixed(3)}`, 15)} ${a.each} | ${b.each}`,
        );
      }
      const h = scenarios.find((sc) => sc.key === 'healthz');
      const g = scenarios.find((sc) => sc.key === 'gate-page');
      if (h && g) lines.push(`gate page / /healthz (${rust}): ${(f(g, rust).rps / f(h, rust).rps).toFixed(2)}x (target >= 0.95x)`);
    }
    for (const label of Object.keys(BEFORES)) {
      lines.push('', `${pad(`build/ against ${label}`, 40)} ${pad('req/s', 8)} CPU per request`);
      for (const sc of scenarios) {
        const a = f(sc, 'rust');
        const b = f(sc, label);
        lines.push(`${pad(sc.name, 40)} ${pad((a.rps / b.rps).toFixed(2) + 'x', 8)} ${(a.cpu / b.cpu).toFixed(2)}x`);
      }
    }
    console.log(`\n${lines.join('\n')}`);
  } finally {
    await portal.close();
  }
}

await main();
