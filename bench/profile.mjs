// Where a request's CPU goes: V8's sampling profiler on the http Worker while wrk drives one route,
// through workerd's inspector. Prints each function's share of the samples taken in the Worker's
// isolate (self time), grouped as Rust (wasm), the JavaScript glue (worker-build's and
// wasm-bindgen's), and the runtime (workerd's built-ins, idle and GC).
//
//   node bench/profile.mjs [path] [build dir]     e.g. node bench/profile.mjs /healthz /tmp/build-before
//   node bench/profile.mjs [path] peer            the JS peer instead (bench/peer/worker.js, after bench/peer.mjs built it)
//   PROFILE_SECONDS (5), PROFILE_TOP (25). Organizations: bench-open, bench-closed (its portal off, for the gate).
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { CURRENT_BUILD, buildOptions } from './portal.mjs';
import { openPortal } from '../tests/e2e/harness.mjs';
import { wrk } from './wrk.mjs';
import { existsSync, readFileSync } from 'node:fs';

const path = process.argv[2] || '/healthz';
const dir = process.argv[3] || CURRENT_BUILD;
const SECONDS = Number(process.env.PROFILE_SECONDS || 5);
const TOP = Number(process.env.PROFILE_TOP || 25);
const INSPECTOR_PORT = 9239;
const PEER_OUT = new URL('./out/', import.meta.url).pathname;

const options = buildOptions(dir === 'peer' ? CURRENT_BUILD : dir);
const profiled = dir === 'peer' ? 'peer' : 'portal-access';
if (dir === 'peer') {
  // Beside the Rust Workers (which create the data), reached by its Host header as in bench/peer.mjs.
  const [http] = options.workers;
  options.workers.push({
    ...http,
    name: 'peer',
    modulesRoot: PEER_OUT,
    modules: [{ type: 'ESModule', path: `${PEER_OUT}peer.js` }],
    d1Databases: { DB: http.d1Databases.DB_1 }, // one database, where the organizations are pinned
    cronTriggers: [],
    routes: ['peer.test/*'],
  });
}
const mf = new Miniflare(convertV4MiniflareOptions({ cf: false, inspectorPort: INSPECTOR_PORT, ...options }));
const base = (await mf.ready).toString().replace(/\/$/, '');
try {
  const portal = await openPortal(mf);
  if (dir === 'peer') portal.pin = 'DB_1';
  // An open portal (its sign-in page: /portal/bench-open) and a disabled one, for the gate's routes.
  await portal.createOrganization('bench-open');
  await portal.createOrganization('bench-closed');
  const staff = await portal.staffSignIn('bench-closed', 'owner@bench-closed.test', 'owner-password-1');
  await portal.request('PUT', '/office/bench-closed/api/settings/customer-portal', { token: staff, json: { enabled: false } });

  const targets = await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json/list`)).json();
  const target = targets.find((t) => t.title === `workerd: worker core:user:${profiled}`);
  if (!target) throw new Error(`no inspector target for the http Worker: ${JSON.stringify(targets.map((t) => t.title))}`);
  const inspector = await connect(target.webSocketDebuggerUrl);
  await inspector('Profiler.enable');
  await inspector('Profiler.setSamplingInterval', { interval: 50 });
  const host = dir === 'peer' ? 'peer.test' : undefined;
  wrk(`${base}${path}`, { seconds: 2, host }); // warm up
  await inspector('Profiler.start');
  const load = wrk(`${base}${path}`, { seconds: SECONDS, host });
  const { profile } = await inspector('Profiler.stop');
  report(profile, load);
} finally {
  await mf.dispose();
}

/** A CDP session: `await send(method, params)` answers the result. */
async function connect(url) {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = reject)));
  let id = 0;
  const waiting = new Map();
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.id && waiting.has(msg.id)) {
      const { resolve, reject } = waiting.get(msg.id);
      waiting.delete(msg.id);
      msg.error ? reject(new Error(JSON.stringify(msg.error))) : resolve(msg.result);
    }
  };
  return (method, params = {}) =>
    new Promise((resolve, reject) => {
      waiting.set(++id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
}

// A stripped build names wasm functions by index; scripts/build.sh writes the index's names beside it.
var symbols; // `var`: read from the top-level code above
function wasmName(name) {
  const file = `${dir === 'peer' ? CURRENT_BUILD : dir}/http/index_bg.symbols.txt`;
  symbols ??= existsSync(file)
    ? new Map(readFileSync(file, 'utf8').split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]))
    : new Map();
  const index = /^wasm-function\[(\d+)\]$/.exec(name)?.[1];
  const known = index && symbols.get(index);
  return known ? known.replace(/::h[0-9a-f]{16}$/, '').replace(/\[[0-9a-f]{16}\]/g, '').slice(0, 110) : name;
}

function report(profile, load) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map();
  for (const id of profile.samples) counts.set(id, (counts.get(id) || 0) + 1);
  const total = profile.samples.length;
  const self = new Map();
  const groups = { 'Rust (wasm)': 0, 'JavaScript glue': 0, 'runtime: idle': 0, 'runtime: GC': 0, 'runtime: other': 0 };
  for (const [id, n] of counts) {
    const f = byId.get(id).callFrame;
    const name = f.functionName || '(anonymous)';
    const group = f.url.startsWith('wasm://') ? 'Rust (wasm)'
      : name === '(idle)' ? 'runtime: idle'
      : name === '(garbage collector)' ? 'runtime: GC'
      : f.url ? 'JavaScript glue' : 'runtime: other';
    groups[group] += n;
    const key = `${group === 'Rust (wasm)' ? 'wasm ' : f.url ? 'js   ' : '     '} ${wasmName(name)}`;
    self.set(key, (self.get(key) || 0) + n);
  }
  const ms = (profile.endTime - profile.startTime) / 1000;
  const busy = total - groups['runtime: idle'];
  console.log(`${path} on ${dir}: ${load.total} requests in ${SECONDS} s (${load.rps.toFixed(0)} req/s), ${total} samples over ${ms.toFixed(0)} ms`);
  console.log(`isolate busy ${(busy / total * 100).toFixed(1)} % of the time: ${(ms * 1000 * busy / total / load.total).toFixed(1)} µs per request in this isolate`);
  for (const [g, n] of Object.entries(groups)) {
    if (g === 'runtime: idle') continue;
    console.log(`  ${g.padEnd(18)} ${(n / busy * 100).toFixed(1).padStart(5)} % of busy   ${(ms * 1000 * n / total / load.total).toFixed(1).padStart(6)} µs per request`);
  }
  console.log(`top ${TOP} functions by self time (share of busy samples):`);
  for (const [k, n] of [...self].filter(([k]) => !k.endsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
    console.log(`  ${(n / busy * 100).toFixed(1).padStart(5)} %  ${k}`);
  }
}
