#!/usr/bin/env bash
# Benchmarks the built Workers in Miniflare with wrk on loopback, beside a plain JS worker: requests/s,
# p50/p99 latency and ratios per scenario, both Workers' cold start against the JS worker's, the
# upload sizes, then the bulk-import benchmark.
#   BENCH_SECONDS (default 10)   each wrk run
#   BENCH_COLD_RUNS (default 5)  fresh Miniflare instances per Worker for the cold start (median)
#   BENCH_BEFORE=<dir>           also compare build/ with an earlier build in interleaved rounds
#                                (<dir> holds http/ and jobs/ as scripts/build.sh writes build/)
#   BENCH_FULL=0                 skip the full scenario table and the import and enrollment benchmarks
#   BENCH_SIGN_INS (default 20)  sequential sign-ins per password-hashing cost (bench/sign_in.mjs)
#   BENCH_PEER=1                 also run bench/peer.mjs: the Rust worker against a Hono + D1 JS Worker
#                                doing the same work, side by side in one Miniflare (PEER_* settings there);
#   BENCH_PEER=only              build, then only that comparison
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/tools.sh"
cd "$ROOT"
if [ -n "${BENCH_BEFORE:-}" ]; then
  for f in http/index.js http/index_bg.wasm jobs/index.js jobs/index_bg.wasm; do
    [ -f "$BENCH_BEFORE/$f" ] || { say "BENCH_BEFORE=$BENCH_BEFORE has no $f (copy a build/ directory there)"; exit 2; }
  done
  BENCH_BEFORE="$(cd "$BENCH_BEFORE" && pwd)"
  export BENCH_BEFORE
fi
if ! command -v wrk >/dev/null 2>&1; then
  say "installing wrk"
  apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi
say "building the Workers"
bash scripts/build.sh >/dev/null 2>&1
if [ "${BENCH_PEER:-0}" = only ]; then
  node bench/peer.mjs
  exit
fi
upload() { wrangler deploy --dry-run -c "$1" --outdir "dist/${1%.toml}" 2>&1 | grep -o 'Total Upload: .*' || true; }
say "measuring the uploads (wrangler deploy --dry-run)"
BENCH_UPLOAD="$(upload wrangler.toml)" BENCH_UPLOAD_OFFICE="$(upload wrangler.office.toml)" BENCH_UPLOAD_JOBS="$(upload wrangler.jobs.toml)" \
  node bench/bench.mjs
node bench/sign_in.mjs
if [ "${BENCH_FULL:-1}" != 0 ]; then node bench/import.mjs; node bench/enrollments.mjs; node bench/pages.mjs; fi
# My Account with every Your Student(s) section, and a class of 30's attendance sheet (issue 25).
if [ "${BENCH_FULL:-1}" != 0 ]; then node bench/my_account.mjs; fi
if [ "${BENCH_PEER:-0}" = 1 ]; then node bench/peer.mjs; fi
