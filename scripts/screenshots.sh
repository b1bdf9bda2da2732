#!/usr/bin/env bash
# Refreshes docs/screenshots/: every Customer Portal page at 1280 and 360 px wide (PNG), taken by
# Debian's chromium from the built Workers in Miniflare with data seeded through the API.
# Builds the http and jobs Workers first unless `--no-build` is given.
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"

if [ "${1:-}" != "--no-build" ]; then
  bash scripts/build.sh
fi
ensure_chromium
node scripts/screenshots.mjs
