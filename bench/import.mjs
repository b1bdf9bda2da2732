// Bulk import benchmark: export the contacts report, flip 10 % of the rows to "No", import it, and
// time upload → job done, for 1,000 and 10,000 rows. Prints rows/s and how the cost grows.
import { startPortal } from '../tests/e2e/harness.mjs';

const SIZES = (process.env.BENCH_IMPORT_SIZES || '1000,10000').split(',').map(Number);
const portal = await startPortal();

async function seeded(slug, contacts) {
  const org = await portal.createOrganization(slug);
  const staff = await portal.staffSignIn(slug, org.owner_email, org.owner_password);
  const now = Date.now();
  const db = portal.dbOf(slug);
  const statements = [];
  for (let i = 0; i < contacts / 2; i++) {
    const fam = `fam_${slug}_${i}`;
    statements.push(
      db.prepare('INSERT OR IGNORE INTO families (id, org_id, name, primary_guardian_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)').bind(fam, org.id, `Family ${i}`, `gdn_${slug}_${i}_p`, now, now),
      db.prepare("INSERT OR IGNORE INTO guardians (id, org_id, family_id, first_name, last_name, email, access_state, created_at, updated_at) VALUES (?, ?, ?, 'Pat', ?, ?, 'can_log_in', ?, ?)").bind(`gdn_${slug}_${i}_p`, org.id, fam, `P${i}`, `p${i}@${slug}.test`, now, now),
      db.prepare("INSERT OR IGNORE INTO guardians (id, org_id, family_id, first_name, last_name, email, access_state, created_at, updated_at) VALUES (?, ?, ?, 'Sam', ?, ?, 'no_access', ?, ?)").bind(`gdn_${slug}_${i}_s`, org.id, fam, `S${i}`, `s${i}@${slug}.test`, now, now),
    );
  }
  // A batch whose connection dropped is sent again (the inserts are INSERT OR IGNORE).
  for (let i = 0; i < statements.length; i += 300) {
    await portal.waitFor(async () => (await db.batch(statements.slice(i, i + 300)), true), `seed rows ${i}`, 60_000);
  }
  return staff;
}

const results = [];
for (const size of SIZES) {
  const slug = `bench-import-${size}`;
  const staff = await seeded(slug, size);
  const exportStart = performance.now();
  const report = await portal.request('GET', `/office/${slug}/api/reports/portal-access.csv`, { token: staff });
  const exportMs = performance.now() - exportStart;
  // Flip every fifth primary (a tenth of all rows) from Yes to No.
  let flipped = 0;
  const csv = report.text
    .split('\n')
    .map((line, i) => (i > 0 && line.includes('_p,') && line.endsWith(',Yes') && flipped < size / 10 && i % 2 === 1 ? (flipped++, line.replace(/,Yes$/, ',No')) : line))
    .join('\n');
  const start = performance.now();
  const res = await portal.request('POST', `/office/${slug}/api/imports/portal-access?update_matching=true`, {
    token: staff,
    body: csv,
    headers: { 'content-type': 'text/csv' },
  });
  if (res.status !== 202) throw new Error(`upload: ${res.status} ${res.text}`);
  const acceptedMs = performance.now() - start;
  const job = await portal.waitFor(async () => {
    const r = await portal.request('GET', `/office/${slug}/api/imports/${res.body.job_id}`, { token: staff });
    return r.body.status === 'done' || r.body.status === 'failed' ? r.body : null;
  }, `import of ${size} rows`, 600_000);
  const totalMs = performance.now() - start;
  results.push({ size, flipped, exportMs, acceptedMs, totalMs, job });
  process.stderr.write(`  ${size} rows: ${(totalMs / 1000).toFixed(1)} s (${job.status}, ${job.updated} updated)\n`);
}
await portal.close();

console.log('\nportal-access import benchmark (Miniflare on 127.0.0.1, 10 % of rows flipped Yes → No)');
console.log('rows     flipped  export ms  202 after ms  done after s  rows/s   updated  unchanged  errors');
for (const r of results) {
  console.log(
    `${String(r.size).padEnd(8)} ${String(r.flipped).padEnd(8)} ${r.exportMs.toFixed(0).padEnd(10)} ${r.acceptedMs.toFixed(0).padEnd(13)} ` +
      `${(r.totalMs / 1000).toFixed(1).padEnd(13)} ${(r.size / (r.totalMs / 1000)).toFixed(0).padEnd(8)} ${String(r.job.updated).padEnd(8)} ` +
      `${String(r.job.unchanged).padEnd(10)} ${r.job.errors.length}`,
  );
}
if (results.length >= 2) {
  const [a, b] = [results[0], results[results.length - 1]];
  const growth = b.totalMs / a.totalMs / (b.size / a.size);
  console.log(`cost per row, ${b.size} vs ${a.size} rows: ${growth.toFixed(2)}x (1.00x = linear)`);
}
const big = results.find((r) => r.size === 10000);
if (big) console.log(`target: 10,000 rows done in under 60 s: ${(big.totalMs / 1000).toFixed(1)} s ${big.totalMs < 60_000 ? 'MET' : 'NOT MET'}`);
