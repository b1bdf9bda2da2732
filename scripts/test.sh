#!/usr/bin/env bash
# Runs every test: the import-circle check, the rules and the adapter's unit tests natively (cargo
# test), then the built worker end to end in Miniflare
# (real workerd, D1, KV, Queues), the pages in Chromium, the API fuzzing, then
# `scripts/deploy.sh --dry-run` to validate the migrations and the three Workers' configuration and
# bundle offline.
# Installs whatever is missing first.
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"

say "import circles among the files of src/ (scripts/import-circles.mjs)"
node scripts/import-circles.mjs

say "unit tests of the rules (portal-core) and of the adapter (bodies, pages: portal-access), native"
cargo test -p portal-core --quiet
cargo test -p portal-access --lib --quiet

say "building the worker"
bash scripts/build.sh

# The statement PDF is read back by a PDF reader in the e2e tests (issue 26, stmt): Debian's
# poppler-utils (`pdftotext`). Without it that test fails, never skips.
if ! command -v pdftotext >/dev/null 2>&1; then
  say "installing Debian's poppler-utils (pdftotext, for the statement PDF test)"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  { $sudo apt-get install -y poppler-utils >/dev/null 2>&1 || { $sudo apt-get update >/dev/null && $sudo apt-get install -y poppler-utils >/dev/null; }; } \
    || say "apt-get install poppler-utils failed: the statement PDF test will fail"
fi

say "end-to-end tests in Miniflare"
node --test --test-concurrency=1 'tests/e2e/*.test.mjs'

say "browser tests: Chromium (Debian's, driven by playwright-core) against the pages in Miniflare"
ensure_chromium
node --test --test-concurrency=1 'tests/browser/*.test.mjs'

say "API fuzzing: schemathesis against the OpenAPI document, the Workers in Miniflare (fixed seed)"
bash scripts/api-fuzz.sh

say "deploy dry run: migrations on a throwaway local D1, the Workers' bundles within 1 MiB gzip (offline)"
bash scripts/deploy.sh --dry-run
