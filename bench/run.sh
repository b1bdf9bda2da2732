#!/usr/bin/env bash
# Benchmarks the built worker in Miniflare with wrk on loopback, beside a plain JS worker, and
# prints requests/s, p50/p99 latency, ratios, the upload size and the start-up time.
# BENCH_SECONDS (default 10) sets each scenario's duration.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/tools.sh"
cd "$ROOT"
if ! command -v wrk >/dev/null 2>&1; then
  say "installing wrk"
  apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi
bash scripts/build.sh >/dev/null 2>&1
upload() { wrangler deploy --dry-run -c "$1" --outdir "dist/${1%.toml}" 2>&1 | grep -o 'Total Upload: .*' || true; }
BENCH_UPLOAD="$(upload wrangler.toml)" BENCH_UPLOAD_JOBS="$(upload wrangler.jobs.toml)" node bench/bench.mjs
node bench/import.mjs
