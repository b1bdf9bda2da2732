// Starts a given build of the two Workers in Miniflare, exactly as tests/e2e/harness.mjs starts
// build/: the same options (workerOptions), migrations and Portal client, only the modules are read
// from another directory. A build directory holds http/ and jobs/ as scripts/build.sh writes them
// under build/ (e.g. a copy of an earlier build/, for BENCH_BEFORE).
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { existsSync, readFileSync } from 'node:fs';
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

/** The Host that reaches startCounted()'s counting copy of the http Worker. */
export const COUNTED_HOST = 'counted.test';

/**
 * Like startBuild(), plus a second copy of the http Worker entered through bench/peer/count-d1.js
 * and reached by the Host COUNTED_HOST, which only countD1() uses: the copy wrk measures is the
 * Worker as it is. Where the harness has an office Worker (the Office Portal, handed on over the
 * http Worker's OFFICE service binding), the counted http copy hands on to a counted office copy.
 */
export async function startCounted(dir = CURRENT_BUILD) {
  const options = buildOptions(dir);
  const counter = readFileSync(`${ROOT}bench/peer/count-d1.js`, 'utf8');
  const countedCopy = (worker, name, modulesDir) => ({
    ...worker,
    name,
    cronTriggers: [],
    modules: [
      { type: 'ESModule', path: `${modulesDir}/__counted.js`, contents: "import worker from './index.js';\nimport { counting } from './__count_d1.js';\nexport default counting(worker);\n" },
      { type: 'ESModule', path: `${modulesDir}/__count_d1.js`, contents: counter },
      ...worker.modules,
    ],
  });
  const http = options.workers.find((w) => w.name === 'portal-access');
  const office = options.workers.find((w) => w.name === 'portal-access-office');
  const counted = [{ ...countedCopy(http, 'portal-access-counted', `${resolve(dir)}/http`), routes: [`${COUNTED_HOST}/*`] }];
  if (office) {
    counted[0].serviceBindings = { ...http.serviceBindings, OFFICE: 'portal-access-counted-office' };
    counted.push(countedCopy(office, 'portal-access-counted-office', `${resolve(dir)}/office`));
  }
  const mf = new Miniflare(convertV4MiniflareOptions({ cf: false, host: '127.0.0.1', workers: [...options.workers, ...counted] }));
  await mf.ready;
  return openPortal(mf);
}

/**
 * The D1 round trips (and statements in them) one request to `path` (a GET unless `init` says;
 * it must be repeatable) makes on startCounted()'s copy, with its status and body: the request is
 * sent once to warm the copy's isolate (its per-isolate caches), then counted the second time, as
 * wrk's requests find the Worker. `sql`: each round trip's statements.
 */
export async function countD1(portal, path, headers = {}, init = {}) {
  const get = () => portal.mf.dispatchFetch(`http://${COUNTED_HOST}${path}`, { ...init, headers });
  await (await get()).arrayBuffer();
  await (await portal.mf.dispatchFetch(`http://${COUNTED_HOST}/__d1`)).arrayBuffer();
  const res = await get();
  const text = await res.text();
  const trips = await (await portal.mf.dispatchFetch(`http://${COUNTED_HOST}/__d1`)).json();
  return {
    status: res.status,
    text,
    trips: trips.length,
    statements: trips.reduce((n, t) => n + t.statements.length, 0),
    sql: trips.map((t) => t.statements.map((q) => q.replace(/\s+/g, ' ').trim())),
  };
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
