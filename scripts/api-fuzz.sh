#!/usr/bin/env bash
# Fuzzes the HTTP API against its own OpenAPI document with schemathesis: the built Workers
# (build/http, build/jobs; scripts/build.sh makes them) serve in Miniflare on a loopback port,
# seeded by tests/fuzz/server.mjs, and every operation the document lists gets generated requests,
# valid and invalid, with a fixed seed and a bounded number of examples (about 3,000 requests, a
# minute and a half on 2 cores), with all of schemathesis' checks. Fails on any 5xx, a status code
# the document does not list for the operation, a wrong content type, a body or a documented header
# (Allow, Retry-After) that does not match the document, a method the path does not take answered
# with anything but 405 and its Allow header, a request the document calls valid that is refused
# (400/422; tests/fuzz/schemathesis.toml names the few rules no schema can state), one it calls
# invalid that is accepted (2xx), and a request without its credentials that gets in.
#
#   FUZZ_SEED (default 20261129), FUZZ_MAX_EXAMPLES (per operation and phase, default 8),
#   FUZZ_CHECKS (schemathesis' --checks, default all; e.g. not_a_server_error for a quick look),
#   FUZZ_SCHEMA (default: the served /openapi.json; a file such as src/openapi.json checks an
#   edited document without rebuilding), FUZZ_PORT (default: any free port), FUZZ_REPORT_DIR (keep
#   each run's log and a HAR file of every request and answer there).
#
# Arguments go to both schemathesis runs, e.g. `--include-name 'POST /portal/{org}/api/payments'`.
#
# Two runs, so that no staff action (switching the Customer Portal off ends every guardian session)
# lands before a Customer Portal operation: first everything outside /office, with the guardian's
# token; then the Office Portal, with the staff token. schemathesis comes from PyPI into
# .venv-fuzz (git-ignored) the first time.
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"

SCHEMATHESIS_VERSION="4.32.5"
SEED="${FUZZ_SEED:-20261129}"
MAX_EXAMPLES="${FUZZ_MAX_EXAMPLES:-8}"
VENV="$ROOT/.venv-fuzz"
CHECKS="${FUZZ_CHECKS:-all}"
ST="$VENV/bin/schemathesis"

if [ "$("$ST" --version 2>/dev/null | awk '{print $NF}')" != "$SCHEMATHESIS_VERSION" ]; then
  say "installing schemathesis $SCHEMATHESIS_VERSION into .venv-fuzz (about a minute)"
  if [ ! -x "$VENV/bin/python" ]; then
    if ! python3 -m venv "$VENV" 2>/dev/null; then
      say "installing python3-venv (Debian)"
      rm -rf "$VENV"
      { apt-get install -y python3-venv >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y python3-venv >/dev/null; }; } \
        && python3 -m venv "$VENV" || { say "python3 -m venv failed"; exit 1; }
    fi
  fi
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

for f in build/http/index.js build/http/index_bg.wasm build/jobs/index.js build/jobs/index_bg.wasm; do
  [ -f "$f" ] || { say "$f is missing: run scripts/build.sh first"; exit 1; }
done

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

started=$SECONDS
say "api fuzz: starting the Workers in Miniflare and seeding organization fuzz"
FUZZ_ENV_FILE="$work/seeded.env" FUZZ_PORT="${FUZZ_PORT:-0}" node tests/fuzz/server.mjs >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 180); do
  [ -f "$work/seeded.env" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.5
done
if [ ! -f "$work/seeded.env" ]; then
  say "api fuzz: the server did not come up"
  cat "$work/server.log" >&2
  exit 1
fi
set -a
# shellcheck disable=SC1091
source "$work/seeded.env"
set +a
schema="${FUZZ_SCHEMA:-$FUZZ_BASE_URL/openapi.json}"
[ -f "$schema" ] && schema="$(realpath "$schema")"

# One schemathesis run over the operations its filter selects; its report goes to $work/NAME.log.
fuzz() {
  local name="$1"
  shift
  local status=0 report=()
  if [ -n "${FUZZ_REPORT_DIR:-}" ]; then
    mkdir -p "$FUZZ_REPORT_DIR"
    report=(--report har --report-har-path "$(realpath "$FUZZ_REPORT_DIR")/$name.har.json")
  fi
  (cd "$work" && "$ST" --no-color --config-file "$ROOT/tests/fuzz/schemathesis.toml" run "$schema" \
    --url "$FUZZ_BASE_URL" \
    --checks "$CHECKS" \
    --phases examples,coverage,fuzzing \
    --seed "$SEED" --max-examples "$MAX_EXAMPLES" --generation-database none \
    --workers 1 --request-timeout 30 \
    "${report[@]}" "$@") >"$work/$name.log" 2>&1 || status=$?
  [ -z "${FUZZ_REPORT_DIR:-}" ] || cp "$work/$name.log" "$FUZZ_REPORT_DIR/$name.log"
  return "$status"
}

failed=0
for run in portal office; do
  case "$run" in
    portal) filter=(--exclude-path-regex '^/office/') ;;
    office) filter=(--include-path-regex '^/office/') ;;
  esac
  run_start=$SECONDS
  if fuzz "$run" "${filter[@]}" "$@"; then
    result="passed"
  else
    result="FAILED"
    failed=1
  fi
  cases=$(sed -n 's/^ *\([0-9]*\) generated.*/\1/p' "$work/$run.log" | tail -1)
  tested=$(sed -n 's/^ *Tested: *\([0-9]*\).*/\1/p' "$work/$run.log" | tail -1)
  say "api fuzz ($run): $result, ${tested:-?} operations, ${cases:-?} test cases, $((SECONDS - run_start)) s"
  if [ "$result" = "FAILED" ]; then
    # schemathesis' failures (each with a curl line to reproduce it) and its summary.
    sed -n '/^=* \(FAILURES\|ERRORS\) =*$/,$p' "$work/$run.log" >&2
    grep -q '^=* \(FAILURES\|ERRORS\) =*$' "$work/$run.log" || cat "$work/$run.log" >&2
  fi
done

say "api fuzz: seed $SEED, at most $MAX_EXAMPLES examples per operation and phase, $((SECONDS - started)) s in all"
if [ "$failed" -ne 0 ]; then
  say "api fuzz: the server log follows"
  tail -n 50 "$work/server.log" >&2
  exit 1
fi
