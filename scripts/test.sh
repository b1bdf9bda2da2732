#!/usr/bin/env bash
# Runs every test: the rules natively (cargo test), then the built worker end to end in Miniflare
# (real workerd, D1, KV, Queues), then `wrangler deploy --dry-run` to validate config and bundle.
# Installs whatever is missing first.
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"

say "unit tests of the rules (portal-core, native)"
cargo test -p portal-core --quiet

say "building the worker"
bash scripts/build.sh

say "end-to-end tests in Miniflare"
node --test --test-concurrency=1 'tests/e2e/*.test.mjs'

for config in wrangler.toml wrangler.jobs.toml; do
  say "wrangler deploy --dry-run -c $config"
  out="dist/${config%.toml}"
  rm -rf "$out"
  wrangler deploy --dry-run -c "$config" --outdir "$out" 2>&1 | grep -E "Total Upload|--dry-run|ERROR|Error" || true
  test -n "$(ls "$out"/*.wasm 2>/dev/null)"
done
