#!/usr/bin/env bash
# Builds the worker into build/ (index.js + index_bg.wasm). wrangler runs this as its [build] command.
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"
worker-build --release
