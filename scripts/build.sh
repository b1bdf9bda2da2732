#!/usr/bin/env bash
# Builds the worker into build/ (index.js + index_bg.wasm). wrangler runs this as its [build] command.
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"
worker-build --release

# worker-build keeps the wasm name section (140 KB, 38 KB gzip) for readable panic traces. We upload
# without it and keep the named twin beside it: no pass runs here, so the function indices agree and a
# production trace's `wasm-function[N]` is looked up in build/index_bg.names.wasm (twiggy, wasm-tools).
cp build/index_bg.wasm build/index_bg.names.wasm
"$WASM_OPT_BIN" build/index_bg.names.wasm --strip-debug --strip-producers \
  --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory \
  --enable-multivalue --enable-reference-types --enable-exception-handling \
  -o build/index_bg.wasm
