// Cold start: from `new Miniflare(...)` to the first answered event, each Worker alone in a fresh
// Miniflare (a fresh workerd process), repeated BENCH_COLD_RUNS times (default 5) with the Workers
// taken in turn, reported as medians. Budget: each Worker <= 1.25x the trivial JS Worker given the
// same bindings (D1, KV, queue, service binding), measured in the same run.
//
// - http Worker: constructed -> first 200 of GET /healthz (dispatchFetch), as for the JS Worker.
// - office Worker: constructed -> its first answer (GET /office: the route table's 404, no I/O,
//   as /healthz is none), alone: in production it starts when the first Office Portal request is
//   handed to it.
// - jobs Worker: it has no fetch handler, so: constructed -> ready, then the first queue message
//   delivered to its queue handler (`getWorker().queue('portal-jobs', [...])`) until it is acked.
//   The message names an outbox row that does not exist, so the consumer does its real first
//   steps (config, one D1 read) and acks. Its D1 is a persisted copy with the migrations applied
//   beforehand, so nothing else happens in between. Miniflare's getWorker() sets up a Node-side
//   proxy (~300 ms here) that is not the Worker's start-up: it is excluded, and the JS Worker's
//   queue handler is measured the same way for a like-for-like ratio.
//
// Run alone: `node bench/coldstart.mjs` (BENCH_BEFORE=dir adds an earlier build's two Workers).
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DATABASES, migrationStatements } from '../tests/e2e/harness.mjs';
import { CURRENT_BUILD, singleWorkerOptions } from './portal.mjs';

const BASELINE = new URL('./baseline-worker.js', import.meta.url).pathname;
// The probe's "outbox row ... is gone" warning, once per instance, is expected: keep it off the terminal.
const quiet = {
  handleStructuredLogs: ({ level, message }) => {
    if (message.includes('obx_cold_start_probe')) return;
    (level === 'error' || level === 'warn' ? console.error : console.log)(message);
  },
};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Constructed -> first response to GET `path`; returns {readyMs, firstMs}. */
async function fetchCold(options, path, expectStatus = 200) {
  const t0 = performance.now();
  const mf = new Miniflare(options);
  try {
    await mf.ready;
    const ready = performance.now();
    const res = await mf.dispatchFetch(`http://cold.test${path}`);
    await res.text();
    const first = performance.now();
    if (res.status !== expectStatus) throw new Error(`cold start ${path}: HTTP ${res.status}`);
    return { readyMs: ready - t0, firstMs: first - t0 };
  } finally {
    await mf.dispose();
  }
}

/** Constructed -> ready, plus the first queue message delivered and acked (getWorker() excluded). */
async function queueCold(options, workerName, queueName) {
  const t0 = performance.now();
  const mf = new Miniflare(options);
  try {
    await mf.ready;
    const ready = performance.now();
    const worker = await mf.getWorker(workerName);
    const sent = performance.now();
    const result = await worker.queue(queueName, [
      { id: 'cold-1', timestamp: new Date(), body: { outbox_id: 'obx_cold_start_probe' }, attempts: 1 },
    ]);
    const done = performance.now();
    if (result.outcome !== 'ok' || !(result.ackAll || result.explicitAcks.includes('cold-1'))) {
      throw new Error(`cold start ${workerName}: the first message was not acked: ${JSON.stringify(result)}`);
    }
    return { readyMs: ready - t0, firstMs: ready - t0 + (done - sent), proxyMs: sent - ready };
  } finally {
    await mf.dispose();
  }
}

/** The persisted tenant D1 databases with the migrations applied, for the jobs Worker's first message. */
async function migratedState(jobsOptions) {
  const dir = mkdtempSync(join(tmpdir(), 'portal-cold-'));
  const mf = new Miniflare(convertV4MiniflareOptions({ cf: false, resourcePersistencePath: dir, ...jobsOptions }));
  try {
    for (const name of DATABASES) {
      const db = await mf.getD1Database(name);
      await db.batch(migrationStatements().map((s) => db.prepare(s)));
    }
  } finally {
    await mf.dispose();
  }
  return dir;
}

/**
 * Measures every case `runs` times, the cases taken in turn, and returns rows
 * {name, product, readyMs, firstMs (medians), samples, ratio, sameRatio}: `ratio` against the
 * trivial JS Worker measured the same way (the budget), `sameRatio` against the trivial JS Worker
 * given the same bindings (what is left is the Worker's own start-up: wasm compile and instantiate).
 * `builds` is [{label, dir}], e.g. [{label: '', dir: build/}, {label: 'before', dir: ...}].
 */
export async function measureColdStarts({ builds = [{ label: '', dir: CURRENT_BUILD }], runs = 5, log = () => {} } = {}) {
  const state = await migratedState(singleWorkerOptions(builds[0].dir, 'portal-access-jobs'));
  const js = { modules: [{ type: 'ESModule', path: BASELINE }], modulesRoot: dirname(BASELINE) };
  const plainJs = convertV4MiniflareOptions({
    cf: false,
    ...quiet,
    name: 'baseline',
    compatibilityDate: '2026-11-01',
    queueConsumers: { 'baseline-jobs': { maxBatchSize: 10, maxBatchTimeout: 0 } },
    ...js,
  });
  const jsWithD1 = convertV4MiniflareOptions({ cf: false, ...quiet, name: 'baseline', compatibilityDate: '2026-11-01', d1Databases: { DB: 'cold-d1' }, ...js });
  // The http Worker alone: its OFFICE service binding names a Worker this Miniflare does not run
  // (GET /healthz never uses it), so the JS Worker with its bindings gets the same dangling one.
  const asHttp = (dir, modules = {}) => convertV4MiniflareOptions({ cf: false, ...quiet, ...singleWorkerOptions(dir, 'portal-access'), serviceBindings: {}, ...modules });
  const asOffice = (dir, modules = {}) => convertV4MiniflareOptions({ cf: false, ...quiet, ...singleWorkerOptions(dir, 'portal-access-office'), ...modules });
  const asJobs = (dir, modules = {}) =>
    convertV4MiniflareOptions({ cf: false, ...quiet, resourcePersistencePath: state, ...singleWorkerOptions(dir, 'portal-access-jobs'), ...modules });
  const cases = [
    { id: 'js-fetch', name: 'JS Worker, trivial fetch', run: () => fetchCold(plainJs, '/') },
    { id: 'js-queue', name: 'JS Worker, trivial queue handler', run: () => queueCold(plainJs, 'baseline', 'baseline-jobs') },
    // A D1 binding alone: what Miniflare's local D1 adds to any Worker's start-up.
    { id: 'js-fetch-d1', name: '  same, with a D1 binding only', budget: 'js-fetch', run: () => fetchCold(jsWithD1, '/') },
    { id: 'js-fetch-b', name: "  same, with the http Worker's bindings", run: () => fetchCold(asHttp(builds[0].dir, js), '/') },
    { id: 'js-fetch-o', name: "  same, with the office Worker's bindings", run: () => fetchCold(asOffice(builds[0].dir, js), '/') },
    { id: 'js-queue-b', name: "  same, with the jobs Worker's bindings", run: () => queueCold(asJobs(builds[0].dir, js), 'portal-access-jobs', 'portal-jobs') },
  ];
  for (const { label, dir } of builds) {
    const suffix = label ? ` [${label}]` : '';
    const http = asHttp(dir);
    const jobs = asJobs(dir);
    const office = asOffice(dir);
    cases.push(
      { name: `http Worker, GET /healthz${suffix}`, product: true, budget: 'js-fetch', same: 'js-fetch-b', run: () => fetchCold(http, '/healthz') },
      { name: `office Worker, first answer${suffix}`, product: true, budget: 'js-fetch', same: 'js-fetch-o', run: () => fetchCold(office, '/office', 404) },
      {
        name: `jobs Worker, first queue message${suffix}`,
        product: true,
        budget: 'js-queue',
        same: 'js-queue-b',
        run: () => queueCold(jobs, 'portal-access-jobs', 'portal-jobs'),
      },
    );
  }
  try {
    // One warm-up round (workerd's binary and the files into the page cache), not counted.
    for (const c of cases) await c.run();
    for (const c of cases) c.samples = [];
    for (let i = 0; i < runs; i++) {
      for (const c of cases) c.samples.push(await c.run());
      log(`  cold start round ${i + 1}/${runs}: ${cases.map((c) => c.samples.at(-1).firstMs.toFixed(0)).join(' / ')} ms`);
    }
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
  const byId = {};
  const rows = cases.map((c) => {
    const row = {
      name: c.name,
      product: Boolean(c.product),
      readyMs: median(c.samples.map((s) => s.readyMs)),
      firstMs: median(c.samples.map((s) => s.firstMs)),
      samples: c.samples.map((s) => s.firstMs),
      budget: c.budget,
      same: c.same,
    };
    if (c.id) byId[c.id] = row;
    return row;
  });
  for (const r of rows) {
    r.ratio = r.budget ? r.firstMs / byId[r.budget].firstMs : null;
    r.sameRatio = r.same ? r.firstMs / byId[r.same].firstMs : null;
  }
  return rows;
}

export const COLD_BUDGET = 1.25;

/** The cold-start table, with the budget verdict for each product Worker. */
export function formatColdStarts(rows, runs) {
  const pad = (s, n) => String(s).padEnd(n);
  const x = (v) => (v == null ? '' : `${v.toFixed(2)}x`);
  const lines = [
    `cold start, Miniflare constructed -> first answered event, median of ${runs} fresh instances each (cases taken in turn):`,
    `${pad('worker', 46)} ${pad('ready ms', 9)} ${pad('first ms', 9)} ${pad('vs JS', 7)} ${pad('vs JS same bindings', 20)} samples (first ms)`,
  ];
  for (const r of rows) {
    const verdict = r.product ? (r.sameRatio <= COLD_BUDGET ? '  MET' : '  NOT MET') : '';
    lines.push(
      `${pad(r.name, 46)} ${pad(r.readyMs.toFixed(0), 9)} ${pad(r.firstMs.toFixed(0), 9)} ${pad(x(r.ratio), 7)} ${pad(x(r.sameRatio), 20)} ${r.samples.map((v) => v.toFixed(0)).join(' ')}${verdict}`,
    );
  }
  lines.push(
    `  budget: each Worker <= ${COLD_BUDGET}x the trivial JS Worker given the same D1/KV/queue bindings ("vs JS same`,
    `  bindings", which Miniflare simulates locally at start-up; what remains is the Rust Worker's own start-up: compiling`,
    `  and instantiating its wasm): the http and office Workers against its fetch, the jobs Worker against its queue handler`,
    `  measured the same way (ready + first message, Miniflare's getWorker() proxy set-up left out). "vs JS": the bare one.`,
    `  "with a D1 binding only": the trivial JS Worker with nothing but a D1 binding, against the trivial one: what`,
    `  Miniflare's local D1 alone adds to any Worker that has a database.`,
  );
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const runs = Number(process.env.BENCH_COLD_RUNS || 5);
  const builds = [{ label: '', dir: CURRENT_BUILD }];
  if (process.env.BENCH_BEFORE) builds.push({ label: 'before', dir: process.env.BENCH_BEFORE });
  const rows = await measureColdStarts({ builds, runs, log: (s) => process.stderr.write(`${s}\n`) });
  console.log(formatColdStarts(rows, runs));
}
