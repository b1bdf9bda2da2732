// The million-guardian benchmark (issue 28): does an organization answer as fast among 1,000
// organizations and 1,000,000 guardians, spread over DB_1 and DB_2, as it does alone?
//
// Seeds SCALE_ORGS organizations with SCALE_GUARDIANS guardians in all (families of 1 to 3
// guardians, a student and an enrollment per family, a live session for a third of the primaries,
// an audit row per family), half on each tenant database, with their directory rows, by large
// multi-row INSERTs sent straight to D1 (a few thousand rows per statement, never an HTTP request
// per guardian), into a persist directory kept under bench/.cache (git-ignored) for the next run.
// Then, against the built http Worker in Miniflare (wrk, 127.0.0.1), the same scenarios for
//   (a) one organization of SCALE_GUARDIANS / SCALE_ORGS guardians alone in fresh databases, and
//   (b) the same organization made among the seeded ones:
// the account read (GET /portal/{org}/api/account), an invitation send, a staff revoke, and the
// families search (GET /office/{org}/api/families?q=), side by side; then the tenant databases'
// sizes (GET /platform/api/databases) and the bytes a row of each kind takes.
//
//   SCALE_ORGS (1000), SCALE_GUARDIANS (1000000), SCALE_CACHE (bench/.cache/scale-ORGS-GUARDIANS)
//   BENCH_SECONDS (10), BENCH_CONNECTIONS (16): each wrk run
//
// Run after `bash scripts/build.sh`: `node bench/scale.mjs`.
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { DATABASES, PLATFORM_TOKEN, Portal, ROOT, openPortal, workerOptions } from '../tests/e2e/harness.mjs';
import { insertAll } from './portal.mjs';
import { CONNECTIONS, SECONDS, wrk } from './wrk.mjs';

const ORGS = Number(process.env.SCALE_ORGS || 1000);
const GUARDIANS = Number(process.env.SCALE_GUARDIANS || 1_000_000);
const PER_ORG = Math.round(GUARDIANS / ORGS);
const CACHE = process.env.SCALE_CACHE || `${ROOT}bench/.cache/scale-${ORGS}-${GUARDIANS}`;
// Each walk sends each request once (an invitation is re-sent at most once a minute, a revoke is once).
const WALK = Number(process.env.SCALE_WALK || 4000);
// D1 takes statements of up to 100 KB.
const ROWS_PER_STATEMENT = 250;
const progress = (s) => process.stderr.write(`${s}\n`);
const OUT = new URL('./out/', import.meta.url).pathname;
mkdirSync(OUT, { recursive: true });

async function start(persist) {
  const { workers } = workerOptions();
  const shared = { cf: false, host: '127.0.0.1', ...(persist ? { resourcePersistencePath: persist } : {}) };
  const mf = new Miniflare(convertV4MiniflareOptions({ ...shared, workers }));
  const base = (await mf.ready).toString().replace(/\/$/, '');
  return { portal: await openPortalOnce(mf, persist), base };
}

/** The harness's openPortal, which migrates: on a persisted, already seeded copy the migrations are there. */
async function openPortalOnce(mf, persist) {
  if (persist && existsSync(`${persist}/seeded`)) {
    const dbs = {};
    for (const name of DATABASES) dbs[name] = await mf.getD1Database(name);
    return new Portal(mf, dbs, await mf.getKVNamespace('PORTAL_SWITCH'), await mf.getD1Database('DIRECTORY'));
  }
  return openPortal(mf);
}

const q = (s) => `'${String(s).replaceAll("'", "''")}'`;

/** `INSERT INTO table (columns) VALUES (...), (...)` statements of at most ROWS_PER_STATEMENT rows. */
function inserts(table, columns, rows) {
  const out = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const values = rows.slice(i, i + ROWS_PER_STATEMENT).map((r) => `(${r.map((v) => (v === null ? 'NULL' : typeof v === 'number' ? v : q(v))).join(',')})`);
    out.push(`INSERT INTO ${table} (${columns}) VALUES ${values.join(',')}`);
  }
  return out;
}

/** The rows of one organization of `n` guardians: families of 1, 2, 3, 1, 2, 3 ... guardians. */
function organizationRows(key, orgId, slug, n, t) {
  const rows = { families: [], guardians: [], people: [], students: [], enrollments: [], sessions: [], audit: [], classes: [], locations: [] };
  rows.locations.push([`loc_${key}`, orgId, 'Main pool', t]);
  for (const c of [0, 1]) rows.classes.push([`cls_${key}_${c}`, orgId, `loc_${key}`, `Swim ${c}`, '["mon","wed"]', '16:00', '16:45', '2026-09-01', '2027-06-30', 10_000, 0, t, t]);
  let g = 0;
  for (let f = 0; g < n; f += 1) {
    const family = `fam_${key}_${f}`;
    const size = Math.min(1 + (f % 3), n - g);
    const primary = `gdn_${key}_${g}`;
    rows.families.push([family, orgId, `Family ${f}`, primary, t, t]);
    for (let k = 0; k < size; k += 1, g += 1) {
      const id = `gdn_${key}_${g}`;
      const email = `p${g}@${slug}.test`;
      const canLogIn = k === 0;
      rows.guardians.push([id, orgId, family, k === 0 ? 'Pat' : 'Sam', `Parent${g}`, email, '+1 555 0100', canLogIn ? 'can_log_in' : 'no_access', canLogIn ? `per_${id}` : null, t, t]);
      if (canLogIn) rows.people.push([`per_${id}`, orgId, email, '$pbkdf2-sha256$i=100000,r=6$bench$bench', k === 0 ? 'Pat' : 'Sam', `Parent${g}`, t, t]);
    }
    rows.students.push([`stu_${key}_${f}`, orgId, family, 'Kid', `Parent${f}`, '2018-05-01', t, t]);
    rows.enrollments.push([`enr_${key}_${f}`, orgId, family, `stu_${key}_${f}`, `cls_${key}_${f % 2}`, 'active', t, 'staff', 'bench']);
    if (f % 3 === 0) rows.sessions.push([`ses_${key}_${f}`, orgId, 'guardian', primary, 0, t, t + 86_400_000 * 30]);
    rows.audit.push([`aud_${key}_${f}`, orgId, t, 'staff', 'bench', 'invitation_sent', 'guardian', primary, family]);
  }
  return rows;
}

const TABLES = {
  locations: ['locations', 'id, org_id, name, created_at'],
  classes: ['classes', 'id, org_id, location_id, name, days, start_time, end_time, start_date, end_date, capacity, waitlist, created_at, updated_at'],
  families: ['families', 'id, org_id, name, primary_guardian_id, created_at, updated_at'],
  people: ['people', 'id, org_id, email, password_hash, first_name, last_name, created_at, updated_at'],
  guardians: ['guardians', 'id, org_id, family_id, first_name, last_name, email, phone, access_state, person_id, created_at, updated_at'],
  students: ['students', 'id, org_id, family_id, first_name, last_name, birth_date, created_at, updated_at'],
  enrollments: ['enrollments', 'id, org_id, family_id, student_id, class_id, status, enrolled_at, enrolled_by_kind, enrolled_by_label'],
  sessions: ['sessions', 'id, org_id, kind, subject_id, epoch, created_at, expires_at'],
  audit: ['audit_log', 'id, org_id, at, actor_kind, actor_label, action, target_kind, target_id, family_id'],
};

/** Writes one organization's rows (and `extra` tables' rows) into `db`, a few big statements per batch. */
async function writeRows(db, rows) {
  const statements = Object.entries(TABLES).flatMap(([key, [table, columns]]) => inserts(table, columns, rows[key] ?? []));
  for (let i = 0; i < statements.length; i += 10) {
    await db.batch(statements.slice(i, i + 10).map((s) => db.prepare(s)));
  }
}

/** The 1,000 organizations and their guardians, once per cache directory. */
async function seedMany(portal) {
  const t = Date.now();
  const started = performance.now();
  for (let o = 0; o < ORGS; o += 1) {
    const database = DATABASES[o % DATABASES.length];
    const db = portal.dbs[database];
    const orgId = `org_scale_${o}`;
    const slug = `scale-${o}`;
    await db.prepare('INSERT INTO organizations (id, slug, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').bind(orgId, slug, `Scale ${o} Swim School`, t, t).run();
    await portal.directory.prepare('INSERT INTO organizations_directory (slug, org_id, database, created_at) VALUES (?, ?, ?, ?)').bind(slug, orgId, database, t).run();
    await writeRows(db, organizationRows(`s${o}`, orgId, slug, PER_ORG, t));
    if (o % 50 === 49) progress(`  ${o + 1} organizations, ${((o + 1) * PER_ORG).toLocaleString('en')} guardians, ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  return performance.now() - started;
}

/** A wrk script sending `requests` ([method, path, body]) in turn, each once, with `token`. */
function walkScript(name, token, requests) {
  const path = `${OUT}${name}.lua`;
  const rows = requests.map(([m, p, b]) => `{"${m}","${p}",${JSON.stringify(b ?? '{}')}}`);
  writeFileSync(
    path,
    `local reqs = {${rows.join(',')}}
local n = 0
request = function()
  n = n + 1
  local r = reqs[((n - 1) % #reqs) + 1]
  return wrk.format(r[1], r[2], {["authorization"] = "Bearer ${token}", ["content-type"] = "application/json"}, r[3])
end
`,
  );
  return path;
}

/**
 * The measured organization, made the same way in both cases: through the API (a family whose
 * primary and secondary can log in), PER_ORG guardians of its own, and WALK guardians to invite and
 * WALK who can log in for staff to revoke.
 */
async function measured(portal, base, slug) {
  const f = await portal.familyWithSecondary(slug, { database: 'DB_2' });
  const db = portal.dbOf(slug);
  const t = Date.now();
  await writeRows(db, organizationRows(`m_${slug}`, f.org.id, slug, PER_ORG, t));
  const invitees = Array.from({ length: WALK }, (_, k) => `gdn_${slug}_inv_${k}`);
  const revokees = Array.from({ length: WALK }, (_, k) => `gdn_${slug}_rev_${k}`);
  const guardian = (id, k, state, tag) =>
    db
      .prepare('INSERT INTO guardians (id, org_id, family_id, first_name, last_name, email, access_state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .bind(id, f.org.id, f.family.id, tag, `${k}`, `${tag}${k}@${slug}.test`, state, t, t);
  // The walks' guardians join the family only after the account read: My Account lists a family's
  // guardians, and a family of 8,000 is not the one to read.
  const walkers = () => insertAll(db, [...invitees.map((id, k) => guardian(id, k, 'no_access', 'invitee')), ...revokees.map((id, k) => guardian(id, k, 'can_log_in', 'revokee'))]);
  const account = `${base}/portal/${slug}/api/account`;
  const scenarios = [
    ['account read (GET /portal/{org}/api/account)', () => wrk(account, { header: `Authorization: Bearer ${f.primary.token}` })],
    [
      'invitation send (POST …/guardians/{id}/invitation)',
      async () => (await walkers(), wrk(`${base}/`, { script: walkScript(`${slug}-invite`, f.primary.token, invitees.map((id) => ['POST', `/portal/${slug}/api/guardians/${id}/invitation`])) })),
    ],
    [
      'revoke (POST /office/{org}/api/guardians/{id}/revoke-login)',
      () => wrk(`${base}/`, { script: walkScript(`${slug}-revoke`, f.staff, revokees.map((id) => ['POST', `/office/${slug}/api/guardians/${id}/revoke-login`, '{"reason":"benchmark"}'])) }),
    ],
    [
      'families search (GET /office/{org}/api/families?q=)',
      () => wrk(`${base}/office/${slug}/api/families?q=${encodeURIComponent(`p${Math.floor(PER_ORG / 2)}@${slug}.test`)}`, { header: `Authorization: Bearer ${f.staff}` }),
    ],
  ];
  const results = [];
  for (const [name, run] of scenarios) {
    progress(`  ${slug}: ${name}`);
    const r = await run();
    progress(`    ${fmt(r)}`);
    results.push([name, r]);
  }
  return results;
}

async function databaseSizes(portal) {
  const res = await portal.request('GET', '/platform/api/databases', { token: PLATFORM_TOKEN });
  return res.body.databases;
}

/** Bytes a row of each kind takes: the database's size (D1's `size_after`) before and after 10,000 more. */
async function bytesPerRow(portal) {
  const slug = 'bench-row-sizes';
  const org = await portal.createOrganization(slug, { database: 'DB_1' });
  const db = portal.dbOf(slug);
  const size = async () => (await db.prepare('SELECT 1').run()).meta.size_after;
  const n = 10_000;
  const rows = organizationRows('rows', org.id, slug, n, Date.now());
  // The class the enrollments are in, not measured.
  await writeRows(db, { locations: rows.locations, classes: rows.classes });
  const out = {};
  for (const key of ['families', 'people', 'guardians', 'students', 'enrollments', 'sessions', 'audit']) {
    const before = await size();
    await writeRows(db, { [key]: rows[key] });
    out[key] = { rows: rows[key].length, bytes: (await size()) - before };
  }
  return out;
}

const fmt = (r) => `${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.non2xx}`;

// (a) the organization alone.
progress(`(a) one organization of ${PER_ORG} guardians alone`);
const alone = await start(null);
let aloneResults;
let rowBytes;
try {
  aloneResults = await measured(alone.portal, alone.base, 'bench-alone');
  // The bytes per row are a side figure (docs/scale.md has them): a failure here does not stop the run.
  rowBytes = await bytesPerRow(alone.portal).catch((e) => (progress(`bytes per row not measured: ${e.message}`), {}));
} finally {
  await alone.portal.mf.dispose();
}

// (b) among ORGS organizations and GUARDIANS guardians.
const seededBefore = existsSync(`${CACHE}/seeded`);
// A seed that did not finish is started again from nothing.
if (!seededBefore) rmSync(CACHE, { recursive: true, force: true });
mkdirSync(CACHE, { recursive: true });
const many = await start(CACHE);
let manyResults;
let sizes;
let seedMs = 0;
try {
  if (!seededBefore) {
    progress(`seeding ${ORGS} organizations, ${GUARDIANS.toLocaleString('en')} guardians into ${CACHE}`);
    seedMs = await seedMany(many.portal);
    writeFileSync(`${CACHE}/seeded`, `${new Date().toISOString()} ${ORGS} ${GUARDIANS} ${(seedMs / 1000).toFixed(0)} s\n`);
  }
  progress(`(b) the same organization among ${ORGS} organizations and ${GUARDIANS.toLocaleString('en')} guardians`);
  // A new slug each run: the cache keeps the earlier runs' organizations.
  manyResults = await measured(many.portal, many.base, `bench-among-${Date.now().toString(36)}`);
  // After the search runs workerd may be gone (seen on the shared machine): the sizes then come
  // from the persisted D1 files themselves.
  sizes = await databaseSizes(many.portal).catch((e) => (progress(`databases read from disk: ${e.message}`), []));
} finally {
  await many.portal.mf.dispose();
}

console.log(`\nThe million-guardian benchmark: wrk -t1 -c${CONNECTIONS} -d${SECONDS}s, Miniflare on 127.0.0.1, ${new Date().toISOString()}`);
console.log(`(a) one organization of ${PER_ORG.toLocaleString('en')} guardians alone; (b) the same among ${ORGS.toLocaleString('en')} organizations and ${GUARDIANS.toLocaleString('en')} guardians on ${DATABASES.join(' and ')}${seedMs ? ` (seeded in ${(seedMs / 1000).toFixed(0)} s)` : ' (seeded by an earlier run)'}`);
console.log('| scenario | (a) req/s | p50 ms | p99 ms | non-2xx | (b) req/s | p50 ms | p99 ms | non-2xx | (b)/(a) req/s |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (let i = 0; i < aloneResults.length; i += 1) {
  const [name, a] = aloneResults[i];
  const [, b] = manyResults[i];
  console.log(`| ${name} | ${fmt(a)} | ${fmt(b)} | ${(b.rps / a.rps).toFixed(2)} |`);
}
console.log('\nTenant databases (GET /platform/api/databases):');
console.log('| binding | organizations | approx bytes | MB |');
console.log('|---|---:|---:|---:|');
for (const d of sizes) console.log(`| ${d.binding} | ${d.organizations} | ${d.approx_bytes} | ${(d.approx_bytes / 1e6).toFixed(1)} |`);
console.log('\nBytes per row (the rows of an organization of 10,000 guardians written kind by kind into one database, D1 `size_after` before and after; the seed\'s ids are shorter than the product\'s):');
console.log('| rows | bytes per row |');
console.log('|---|---:|');
for (const [key, { rows, bytes }] of Object.entries(rowBytes)) console.log(`| ${key} (${rows}) | ${(bytes / rows).toFixed(0)} |`);
