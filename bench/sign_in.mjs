// What one sign-in costs at each password-hashing cost (PASSWORD_ITERATIONS): sequential,
// successful staff sign-ins (each from its own address, so the throttle stays out of the way),
// one at a time so that the time per sign-in is the isolate's own work (PBKDF2 through WebCrypto,
// which runs on the CPU, plus the D1 reads and one batch), beside `/healthz` and a sign-in at the
// lowest cost, whose difference is the hashing alone. A Worker is billed (and, on the free plan,
// cut off at 10 ms) for that CPU time.
// Run alone: `node bench/sign_in.mjs` (BENCH_SIGN_INS, default 20, per cost).
import { startPortal } from '../tests/e2e/harness.mjs';

const N = Number(process.env.BENCH_SIGN_INS || 20);
const COSTS = [10_000, 50_000, 100_000, 600_000];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed(portal, n, request) {
  const ms = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await request(i);
    ms.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`answered ${res.status}: ${res.text}`);
  }
  return median(ms);
}

const rows = [];
for (const cost of COSTS) {
  const portal = await startPortal({ bindings: { PASSWORD_ITERATIONS: String(cost) } });
  try {
    const org = await portal.createOrganization('bench-sign-in');
    await portal.staffSignIn('bench-sign-in', org.owner_email, org.owner_password); // warm the isolate
    const healthz = await timed(portal, N, () => portal.request('GET', '/healthz'));
    const signIn = await timed(portal, N, (i) =>
      portal.request('POST', '/office/bench-sign-in/api/session', {
        json: { email: org.owner_email, password: org.owner_password },
        headers: { 'cf-connecting-ip': `10.77.${Math.floor(i / 250)}.${i % 250}` },
      }),
    );
    rows.push({ cost, healthz, signIn });
  } finally {
    await portal.close();
  }
}
const base = rows[0].signIn;
console.log(`\nsign-in cost by PASSWORD_ITERATIONS (median of ${N} sequential successful staff sign-ins, Miniflare):`);
console.log('iterations   sign-in ms   of which hashing (vs 10,000) ms   /healthz ms');
for (const r of rows) {
  const hashing = r.signIn - base; // above the 10,000-iteration floor
  console.log(
    `${String(r.cost).padEnd(12)} ${r.signIn.toFixed(1).padStart(10)}   ${hashing.toFixed(1).padStart(31)}   ${r.healthz.toFixed(1).padStart(11)}`,
  );
}
