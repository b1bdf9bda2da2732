#!/usr/bin/env bash
# Builds the three Workers of this crate, each an index.js + index_bg.wasm: build/http (the Customer
# Portal, the platform and the cron, feature `portal`), build/office (the Office Portal, feature
# `office`) and build/jobs (the queue consumer, feature `jobs`).
# `build.sh http`, `build.sh office` or `build.sh jobs` builds one; wrangler runs it that way as
# each config's [build].
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"

workers=("$@")
[ ${#workers[@]} -gt 0 ] || workers=(http office jobs)
for worker in "${workers[@]}"; do
  case "$worker" in
    http) features=portal ;;
    office | jobs) features="$worker" ;;
    *) say "unknown worker $worker (http, office or jobs)"; exit 2 ;;
  esac
  worker-build --release --out-dir "build/$worker" . --no-default-features --features "$features"
  out="build/$worker"
  # Our entry (src/entry.js: the handlers without worker-build's per-request proxies) bundled with
  # the generated glue, still as index.js beside index_bg.wasm.
  mv "$out/index.js" "$out/generated.js"
  cp src/entry.js "$out/entry.js"
  "$ESBUILD_BIN" "$out/entry.js" --bundle --format=esm --minify --log-level=warning \
    --inject:src/microtask.js --external:cloudflare:workers --external:./index_bg.wasm --outfile="$out/index.js"
  rm "$out/entry.js" "$out/generated.js"
  # worker-build's wasm-opt keeps the name section (for readable panic traces), and keeping it also
  # holds back some of -Oz. A second -Oz without it gives the upload (-2 KB gzip); its symbol map
  # turns a production trace's `wasm-function[N]` into a name. The named build stays beside it for
  # twiggy (`twiggy top build/http/index_bg.names.wasm`).
  cp "$out/index_bg.wasm" "$out/index_bg.names.wasm"
  "$WASM_OPT_BIN" "$out/index_bg.names.wasm" -Oz --strip-debug --strip-producers \
    --symbolmap="$out/index_bg.symbols.txt" \
    --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory \
    --enable-multivalue --enable-reference-types --enable-exception-handling \
    -o "$out/index_bg.wasm"
done
