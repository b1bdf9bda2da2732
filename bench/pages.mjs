// Page benchmark: the sign-in page and My Account (signed in, by the session cookie) with wrk
// against the built Workers in Miniflare: req/s, p50/p99 and each page's bytes (HTML, and with its
// stylesheet). BENCH_SECONDS (10) per run; BENCH_CONNECTIONS (16).
import { CURRENT_BUILD, startBuild } from './portal.mjs';
import { CONNECTIONS, SECONDS, wrk } from './wrk.mjs';



const portal = await startBuild(CURRENT_BUILD);
const slug = 'bench-pages';
const f = await portal.familyWithSecondary(slug);
const base = (await portal.mf.ready).toString().replace(/\/$/, '');
const cookie = `Cookie: portal_session=${f.primary.token}`;

async function bytes(path, headers = {}) {
  const res = await fetch(`${base}${path}`, { headers });
  const html = await res.text();
  if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
  const css = /href="(\/portal\/static\/[^"]+)"/.exec(html)?.[1];
  const cssBytes = css ? (await (await fetch(`${base}${css}`)).arrayBuffer()).byteLength : 0;
  return { html: Buffer.byteLength(html), total: Buffer.byteLength(html) + cssBytes };
}

const rows = [
  ['sign-in page', wrk(`${base}/portal/${slug}`), await bytes(`/portal/${slug}`)],
  ['My Account (primary, signed in)', wrk(`${base}/portal/${slug}/account`, { header: cookie }), await bytes(`/portal/${slug}/account`, { cookie: `portal_session=${f.primary.token}` })],
];
console.log(`\npage benchmark: wrk -t1 -c${CONNECTIONS} -d${SECONDS}s, Miniflare on 127.0.0.1, ${new Date().toISOString()}`);
console.log('| page | req/s | p50 ms | p99 ms | non-2xx | HTML bytes | with stylesheet |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const [name, r, b] of rows) {
  console.log(`| ${name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.non2xx} | ${b.html} | ${b.total} |`);
}
await portal.close();
