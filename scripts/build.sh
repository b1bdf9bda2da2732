#!/usr/bin/env bash
# Builds the two Workers of this crate: build/http (requests and the cron, feature `http`) and
# build/jobs (the queue consumer, feature `jobs`), each an index.js + index_bg.wasm.
# `build.sh http` or `build.sh jobs` builds one; wrangler runs it that way as each config's [build].
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"

workers=("$@")
[ ${#workers[@]} -gt 0 ] || workers=(http jobs)
for worker in "${workers[@]}"; do
  case "$worker" in http | jobs) ;; *) say "unknown worker $worker (http or jobs)"; exit 2 ;; esac
  worker-build --release --out-dir "build/$worker" . --no-default-features --features "$worker"
  out="build/$worker"
  # worker-build keeps the wasm name section (140 KB, 38 KB gzip) for readable panic traces. We
  # upload without it and keep the named twin beside it: no pass runs here, so the function indices
  # agree and a production trace's `wasm-function[N]` is looked up in index_bg.names.wasm (twiggy).
  cp "$out/index_bg.wasm" "$out/index_bg.names.wasm"
  "$WASM_OPT_BIN" "$out/index_bg.names.wasm" --strip-debug --strip-producers \
    --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory \
    --enable-multivalue --enable-reference-types --enable-exception-handling \
    -o "$out/index_bg.wasm"
done
