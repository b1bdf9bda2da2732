#!/usr/bin/env bash
# Runs every test: the rules natively (cargo test), then the built worker end to end in Miniflare
# (real workerd, D1, KV, Queues), the pages in Chromium, the API fuzzing, then
# `scripts/deploy.sh --dry-run` to validate the migrations and both Workers' configuration and
# bundle offline.
# Installs whatever is missing first.
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"

say "unit tests of the rules (portal-core, native)"
cargo test -p portal-core --quiet

say "building the worker"
bash scripts/build.sh

say "end-to-end tests in Miniflare"
node --test --test-concurrency=1 'tests/e2e/*.test.mjs'

say "browser tests: Chromium (Debian's, driven by playwright-core) against the pages in Miniflare"
ensure_chromium
node --test --test-concurrency=1 'tests/browser/*.test.mjs'

say "API fuzzing: schemathesis against the OpenAPI document, both Workers in Miniflare (fixed seed)"
bash scripts/api-fuzz.sh

say "deploy dry run: migrations on a throwaway local D1, both Workers' bundles (offline)"
bash scripts/deploy.sh --dry-run
