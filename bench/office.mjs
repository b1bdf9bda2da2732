// Office Portal page benchmark: FAMILIES of an organization with 10,000 families (the first page,
// and a search by a guardian's e-mail), and the Family details of a family with 6 guardians, 4
// students and 200 ledger rows (with its Students and Ledger pages), each with wrk against the
// built http Worker in Miniflare (req/s, p50/p99, bytes) and the D1 round trips one request of
// the page makes (counted through bench/peer/count-d1.js in a second copy of the Worker that only
// the count uses; the copy measured is the Worker as it is).
//
//   OFFICE_FAMILIES (10000)  families seeded
//   BENCH_SECONDS (10), BENCH_CONNECTIONS (16): each wrk run
//
// Run after `bash scripts/build.sh`: `node bench/office.mjs`.
import { COUNTED_HOST, insertAll, startCounted } from './portal.mjs';
import { CONNECTIONS, SECONDS, wrk } from './wrk.mjs';

const FAMILIES = Number(process.env.OFFICE_FAMILIES || 10_000);
const progress = (s) => process.stderr.write(`${s}\n`);

async function start() {
  const portal = await startCounted();
  const base = (await portal.mf.ready).toString().replace(/\/$/, '');
  return { portal, base };
}

/** The organization's families: `fam_b_{i}`, each with a primary guardian `gdn_b_{i}`. */
function familyRows(db, orgId, t) {
  const rows = [];
  for (let i = 0; i < FAMILIES; i += 1) {
    const name = `Family ${String(i).padStart(5, '0')}`;
    rows.push(
      db.prepare('INSERT OR IGNORE INTO families (id, org_id, name, primary_guardian_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)').bind(`fam_b_${i}`, orgId, name, `gdn_b_${i}`, t, t),
      db
        .prepare('INSERT OR IGNORE INTO guardians (id, org_id, family_id, first_name, last_name, email, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .bind(`gdn_b_${i}`, orgId, `fam_b_${i}`, 'Pat', `Parent${i}`, `pat${i}@bench-office.test`, t, t),
    );
  }
  return rows;
}

async function seed(portal) {
  const slug = 'bench-office';
  const org = await portal.createOrganization(slug);
  const staff = await portal.staffSignIn(slug, org.owner_email, org.owner_password);
  const t = Date.now();
  progress(`seeding ${FAMILIES} families`);
  const db = portal.dbOf(slug);
  await insertAll(db, familyRows(db, org.id, t));

  // The big family: 6 guardians, 4 students, 200 ledger rows, made through the API.
  const office = (method, path, json) => portal.request(method, `/office/${slug}/api${path}`, { token: staff, json });
  const big = await portal.createFamily(slug, staff, 'Aaron-Big', { first_name: 'Ann', last_name: 'Big', email: `ann@${slug}.test` });
  for (let k = 1; k < 6; k += 1) {
    const g = await office('POST', `/families/${big.id}/guardians`, { first_name: `G${k}`, last_name: 'Big', email: `g${k}@${slug}.test` });
    if (g.status !== 201) throw new Error(`guardian: ${g.status} ${g.text}`);
  }
  for (let k = 0; k < 4; k += 1) {
    const s = await office('POST', `/families/${big.id}/students`, { first_name: `S${k}`, last_name: 'Big', birth_date: `201${k}-05-01` });
    if (s.status !== 201) throw new Error(`student: ${s.status} ${s.text}`);
  }
  const ledger = [];
  for (let k = 0; k < 200; k += 1) {
    const kind = k % 4 === 3 ? 'payment' : 'charge';
    ledger.push(
      db
        .prepare("INSERT INTO ledger_entries (id, org_id, family_id, kind, amount_cents, description, at, posted_by_kind, posted_by_label) VALUES (?, ?, ?, ?, ?, ?, ?, 'staff', 'bench')")
        .bind(`led_b_${k}`, org.id, big.id, kind, 1000 + k, `Lesson ${k}`, t - k * 60_000),
    );
  }
  await insertAll(db, ledger);
  return { slug, staff, big };
}

const { portal, base } = await start();
try {
  const { slug, staff, big } = await seed(portal);
  const cookie = `office_session=${staff}`;
  const pages = [
    ['FAMILIES, first page', `/office/${slug}/families`],
    ['FAMILIES, search by e-mail', `/office/${slug}/families?q=pat4321%40bench-office.test`],
    ['FAMILIES, page 200', `/office/${slug}/families?page=200`],
    ['Family details (6 guardians)', `/office/${slug}/families/${big.id}`],
    ['Students (4)', `/office/${slug}/families/${big.id}/students`],
    ['Ledger (200 rows)', `/office/${slug}/families/${big.id}/ledger`],
  ];
  const rows = [];
  for (const [name, path] of pages) {
    const res = await portal.mf.dispatchFetch(`http://${COUNTED_HOST}${path}`, { headers: { cookie } });
    const html = await res.text();
    if (res.status !== 200) {
      progress(`${name}: ${res.status}, skipped`);
      continue;
    }
    const trips = await (await portal.mf.dispatchFetch(`http://${COUNTED_HOST}/__d1`)).json();
    const statements = trips.reduce((n, t) => n + t.statements.length, 0);
    progress(`measuring ${name}`);
    const r = wrk(`${base}${path}`, { header: `Cookie: ${cookie}` });
    rows.push({ name, r, bytes: Buffer.byteLength(html), trips: trips.length, statements });
  }
  console.log(`\nOffice Portal pages, ${FAMILIES} families: wrk -t1 -c${CONNECTIONS} -d${SECONDS}s, Miniflare on 127.0.0.1, ${new Date().toISOString()}`);
  console.log('| page | req/s | p50 ms | p99 ms | non-2xx | HTML bytes | D1 round trips (statements) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const { name, r, bytes, trips, statements } of rows) {
    console.log(`| ${name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.non2xx} | ${bytes} | ${trips} (${statements}) |`);
  }
} finally {
  await portal.mf.dispose();
}
