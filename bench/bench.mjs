// Drives each scenario with wrk for a bounded time against Miniflare on 127.0.0.1 and prints a table.
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { execFileSync } from 'node:child_process';
import { startPortal, workerOptions, migrationStatements, PLATFORM_TOKEN } from '../tests/e2e/harness.mjs';

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

await portal.createOrganization('bench-open');
await portal.createOrganization('bench-closed');
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
  ['JS worker trivial route', () => wrk(`${baselineBase}/`)],
];

const results = {};
for (const [name, run] of scenarios) {
  results[name] = run();
  process.stderr.write(`  ${name}: ${results[name].rps.toFixed(0)} req/s\n`);
}
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
const gate = results['gate: disabled portal page (503)'].rps;
console.log(`\nupload (wrangler deploy --dry-run): ${process.env.BENCH_UPLOAD || 'n/a'}`);
console.log(`start-up, Miniflare constructed to first response: ${startupMs.toFixed(0)} ms`);
console.log(`target: gate >= 0.9x healthz: ${(gate / healthz).toFixed(2)}x ${gate / healthz >= 0.9 ? 'MET' : 'NOT MET'}`);
const gzip = Number(/gzip: ([\d.]+) KiB/.exec(process.env.BENCH_UPLOAD || '')?.[1]);
if (gzip) console.log(`target: gzip upload <= 300 KiB: ${gzip} KiB ${gzip <= 300 ? 'MET' : 'NOT MET'}`);
