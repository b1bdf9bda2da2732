#!/usr/bin/env bash
# Runs the portal locally: applies the D1 migrations, starts `wrangler dev` with the three Workers
# (http, office and jobs) on local D1, KV and Queues, and seeds the `demo` organization (owner@demo.test / demo-owner-pass-1).
# Installs whatever is missing first. PORT (default 8787) picks the port.
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"
PORT="${PORT:-8787}"
BASE="http://127.0.0.1:$PORT"
STATE="$ROOT/.wrangler/state"

# `--var` reaches only the first Worker of a multi-config `wrangler dev`; the others read the
# `.dev.vars` beside their own config. So the office and jobs Workers run from copies of their
# configs in .wrangler/dev-office/ and .wrangler/dev-jobs/, beside a .dev.vars that names this
# run's URL: links in the pages and e-mails they write then point at $PORT too. All share the
# local state through --persist-to.
others=()
for worker in office jobs; do
  dir="$ROOT/.wrangler/dev-$worker"
  mkdir -p "$dir"
  sed -e "s|^main = \"|main = \"$ROOT/|" \
      -e "s|^migrations_dir = \"|migrations_dir = \"$ROOT/|" \
      -e "s|^command = \"bash scripts/|command = \"bash $ROOT/scripts/|" \
      "wrangler.$worker.toml" >"$dir/wrangler.$worker.toml"
  grep -v '^PUBLIC_BASE_URL=' .dev.vars >"$dir/.dev.vars"
  echo "PUBLIC_BASE_URL=$BASE" >>"$dir/.dev.vars"
  others+=(-c "$dir/wrangler.$worker.toml")
done

# Every tenant database (DB_1 ... DB_N) and the directory, each with its own migrations_dir.
for database in $(sed -n 's/^database_name = "\(.*\)"$/\1/p' wrangler.toml); do
  say "applying D1 migrations to $database (local)"
  wrangler d1 migrations apply "$database" --local --persist-to "$STATE"
done

# Someone else's server on this port would answer /healthz below and get seeded instead.
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  say "port $PORT is already in use (another wrangler dev?): stop it, or run with PORT=<another port>"
  exit 1
fi

say "starting wrangler dev on $BASE (it builds the three Workers first: its [custom build] lines below)"
wrangler dev -c wrangler.toml "${others[@]}" --local --persist-to "$STATE" \
  --ip 127.0.0.1 --port "$PORT" --test-scheduled --var "PUBLIC_BASE_URL:$BASE" &
dev_pid=$!
trap 'kill "$dev_pid" 2>/dev/null; wait "$dev_pid" 2>/dev/null' INT TERM EXIT

# What wrangler dev is busy with, from the processes under it: a build compiling the crate from an
# empty target/ takes several minutes on a 2-core machine, and nothing else says it is still going.
busy_with() {
  local programs
  # The program each process under wrangler dev runs (for a node script, the script's name).
  programs=" $(ps -e -o pid=,ppid=,args= | awk -v root="$dev_pid" '
    { n = split($3, a, "/"); prog = a[n]; if (prog == "node" && NF > 3) { n = split($4, b, "/"); prog = b[n] }
      parent[$1] = $2; name[$1] = prog }
    END { for (p in parent) { q = p; while (q in parent && q != root && q > 1) q = parent[q]; if (q == root && p != root) printf "%s ", name[p] } }')"
  case "$programs" in
    *" wasm-opt "*) echo "optimizing the wasm (wasm-opt)" ;;
    *" wasm-bindgen "*) echo "generating the JavaScript glue (wasm-bindgen)" ;;
    *" rustc "* | *" cargo "*) echo "compiling the crate (cargo: from an empty target/, several minutes)" ;;
    *" esbuild "*) echo "bundling the entry (esbuild)" ;;
    *" worker-build "*) echo "building (worker-build)" ;;
    *" workerd "*) echo "starting the Workers in the local runtime (workerd)" ;;
    *) echo "starting" ;;
  esac
}

# Wait for /healthz as long as wrangler dev runs, however long its build takes; if it stops, say so.
started=$SECONDS
next_note=$((SECONDS + 15))
# (--max-time: wrangler's proxy holds a request until the Workers are up.)
until curl -fsS --max-time 5 "$BASE/healthz" >/dev/null 2>&1; do
  if ! kill -0 "$dev_pid" 2>/dev/null; then
    status=0
    wait "$dev_pid" || status=$?
    trap - INT TERM EXIT
    say "wrangler dev stopped (exit status $status) after $((SECONDS - started)) s, before the portal answered on $BASE."
    say "Its output above says why: a failed build shows as [custom build] lines and an ERROR."
    exit 1
  fi
  if [ "$SECONDS" -ge "$next_note" ]; then
    say "waiting for wrangler dev ($((SECONDS - started)) s): $(busy_with)"
    next_note=$((SECONDS + 15))
  fi
  sleep 1
done
say "the portal answers on $BASE after $((SECONDS - started)) s"

status=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$BASE/platform/api/organizations" \
  -H 'authorization: Bearer dev-platform-token' -H 'content-type: application/json' \
  -d '{"slug":"demo","name":"Demo Swim School","owner_email":"owner@demo.test","owner_password":"demo-owner-pass-1"}') || true
case "$status" in
  201) say "seeded organization demo (owner@demo.test / demo-owner-pass-1)" ;;
  409) say "organization demo already exists" ;;
  *) say "seeding demo failed (HTTP ${status:-none}); wrangler dev keeps running" ;;
esac

cat >&2 <<MSG

  portal-access is running at $BASE
    Customer Portal:  $BASE/portal/demo
    Office API:       curl -X POST $BASE/office/demo/api/session -H 'content-type: application/json' \\
                        -d '{"email":"owner@demo.test","password":"demo-owner-pass-1"}'
    Mailbox:          $BASE/dev/mailbox?to=owner@demo.test
    Run the cron:     curl "$BASE/__scheduled?cron=*+*+*+*+*"
  Ctrl-C stops it.

MSG
wait "$dev_pid"
