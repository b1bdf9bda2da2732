#!/usr/bin/env node
// Upgrades a deployment that has one D1 database (binding DB) to several (DB_1 ... DB_N and the
// DIRECTORY): what the operator runs once, before deploying this version. See README, "Upgrading
// a deployment with one database".
//
//   node scripts/upgrade-to-several-databases.mjs [--remote|--local] [--dry-run]
//
// 1. The existing database becomes DB_1: in both wrangler.toml and wrangler.jobs.toml, rename the
//    binding `DB` to `DB_1` (database_name and database_id stay). Nothing is copied.
// 2. Create the directory database and put its id in both configs' DIRECTORY binding:
//      npx wrangler d1 create portal-access-directory
// 3. Run this script: it applies the directory's migrations and writes one directory row for
//    every organization in DB_1 (slug, id, `DB_1`), idempotently (a row already there is kept).
// 4. Deploy both Workers. Further databases: `wrangler d1 create portal-access-2`, a `DB_2` binding
//    (with `migrations_dir = "d1-migrations"`) in both configs, `wrangler d1 migrations apply
//    portal-access-2 --remote`; new organizations then go to the least full, and
//    `POST /platform/api/organizations/{slug}/move` moves existing ones.
//
// Until step 3 has run, every organization still works (a slug the directory does not know is
// looked up in DB_1), but the platform's `GET /platform/api/organizations/{slug}` and moves answer
// 404 for it.
import { execFileSync } from 'node:child_process';

const args = new Set(process.argv.slice(2));
const where = args.has('--local') ? '--local' : '--remote';
const dryRun = args.has('--dry-run');
const TENANT = 'portal-access'; // DB_1's database_name in wrangler.toml
const DIRECTORY = 'portal-access-directory';

function wrangler(...argv) {
  return execFileSync('npx', ['wrangler', ...argv], { encoding: 'utf8', stdio: ['inherit', 'pipe', 'inherit'] });
}

/** A SQL string literal. */
const quote = (s) => `'${String(s).replaceAll("'", "''")}'`;

/** The directory rows for `organizations` (rows of {id, slug, created_at}), all in DB_1. */
export function directoryRows(organizations) {
  return organizations.map(
    (o) =>
      `INSERT INTO organizations_directory (slug, org_id, database, created_at) VALUES (${quote(o.slug)}, ${quote(o.id)}, 'DB_1', ${Number(o.created_at)}) ON CONFLICT (slug) DO NOTHING;`,
  );
}

async function main() {
  if (!dryRun) wrangler('d1', 'migrations', 'apply', DIRECTORY, where);
  const answer = JSON.parse(wrangler('d1', 'execute', TENANT, where, '--json', '--command', 'SELECT id, slug, created_at FROM organizations ORDER BY created_at'));
  const organizations = answer.flatMap((r) => r.results ?? []);
  const statements = directoryRows(organizations);
  if (dryRun || statements.length === 0) {
    process.stdout.write(statements.join('\n') + (statements.length ? '\n' : ''));
    console.error(`${organizations.length} organizations in ${TENANT}${dryRun ? ' (dry run: nothing written)' : ''}`);
    return;
  }
  // In slices, so that no one command grows past D1's statement limits.
  for (let i = 0; i < statements.length; i += 200) {
    wrangler('d1', 'execute', DIRECTORY, where, '--command', statements.slice(i, i + 200).join('\n'));
  }
  const check = JSON.parse(wrangler('d1', 'execute', DIRECTORY, where, '--json', '--command', "SELECT COUNT(*) AS n FROM organizations_directory WHERE database = 'DB_1'"));
  console.error(`${organizations.length} organizations in ${TENANT}; the directory places ${check[0].results[0].n} in DB_1`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
