// Starts a given build of the two Workers in Miniflare, exactly as tests/e2e/harness.mjs starts
// build/: the same options (workerOptions), migrations and Portal client, only the modules are read
// from another directory. A build directory holds http/ and jobs/ as scripts/build.sh writes them
// under build/ (e.g. a copy of an earlier build/, for BENCH_BEFORE).
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT, openPortal, workerOptions } from '../tests/e2e/harness.mjs';

export const CURRENT_BUILD = `${ROOT}build`;
const FILES = ['http/index.js', 'http/index_bg.wasm', 'jobs/index.js', 'jobs/index_bg.wasm'];

/** Throws unless `dir` holds both Workers. */
export function checkBuild(dir) {
  const missing = FILES.filter((f) => !existsSync(`${resolve(dir)}/${f}`));
  if (missing.length) throw new Error(`${dir} is not a build directory (as scripts/build.sh writes build/): missing ${missing.join(', ')}`);
  return resolve(dir);
}

/** The harness's workerOptions(bindings), with each Worker's modules taken from `dir` instead of build/. */
export function buildOptions(dir = CURRENT_BUILD, bindings = {}) {
  const abs = checkBuild(dir);
  const options = workerOptions(bindings);
  if (abs === resolve(CURRENT_BUILD)) return options;
  const harnessBuild = `${ROOT}build/`;
  for (const worker of options.workers) {
    // Module names are paths relative to modulesRoot; index.js imports ./index_bg.wasm beside it.
    worker.modulesRoot = abs;
    worker.modules = worker.modules.map((m) => {
      if (!m.path.startsWith(harnessBuild)) throw new Error(`unexpected module path in the harness: ${m.path}`);
      return { ...m, path: `${abs}/${m.path.slice(harnessBuild.length)}` };
    });
  }
  return options;
}

/** One Worker's options alone ('portal-access' = http, 'portal-access-jobs' = jobs) from `dir`. */
export function singleWorkerOptions(dir, name) {
  const worker = buildOptions(dir).workers.find((w) => w.name === name);
  if (!worker) throw new Error(`no Worker named ${name} in the harness's options`);
  return worker;
}

/** Like the harness's startPortal(), for the build in `dir`. */
export async function startBuild(dir = CURRENT_BUILD, { bindings = {} } = {}) {
  const mf = new Miniflare(convertV4MiniflareOptions({ cf: false, ...buildOptions(dir, bindings) }));
  await mf.ready;
  return openPortal(mf);
}

/**
 * Seeds rows in chunks into `db` (the database the statements were prepared on: an organization's,
 * `portal.dbOf(slug)`); a chunk whose connection dropped is sent again (the seeds are INSERT OR IGNORE).
 */
export async function insertAll(db, statements) {
  for (let i = 0; i < statements.length; i += 250) {
    const chunk = statements.slice(i, i + 250);
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await db.batch(chunk);
        break;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`seed rows ${i}..${i + chunk.length}: ${e.message}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
}

/** Waits until the queue has carried out every outbox row (e-mails of the write scenarios). */
export async function drain(portal, timeoutMs = 300_000) {
  const started = performance.now();
  await portal.waitFor(async () => {
    return (await portal.countEverywhere('SELECT COUNT(*) AS n FROM outbox WHERE processed_at IS NULL AND failed_at IS NULL')) === 0;
  }, 'the outbox to drain', timeoutMs);
  return performance.now() - started;
}
