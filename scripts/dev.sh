#!/usr/bin/env bash
# Runs the portal locally: applies the D1 migrations, starts `wrangler dev` with both Workers (http
# and jobs) on local D1, KV and Queues, and seeds the `demo` organization (owner@demo.test / demo-owner-pass-1).
# Installs whatever is missing first. PORT (default 8787) picks the port.
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"
PORT="${PORT:-8787}"
BASE="http://127.0.0.1:$PORT"
STATE="$ROOT/.wrangler/state"

# `--var` reaches only the first Worker of a multi-config `wrangler dev`; the jobs Worker reads the
# `.dev.vars` beside its own config. So it runs from a copy of its config in .wrangler/dev-jobs/,
# beside a .dev.vars that names this run's URL: links in the e-mails it writes (an import's
# summary) then point at $PORT too. Both share the local state through --persist-to.
JOBS_DIR="$ROOT/.wrangler/dev-jobs"
mkdir -p "$JOBS_DIR"
sed -e "s|^main = \"|main = \"$ROOT/|" \
    -e "s|^migrations_dir = \"|migrations_dir = \"$ROOT/|" \
    -e "s|^command = \"bash scripts/|command = \"bash $ROOT/scripts/|" \
    wrangler.jobs.toml >"$JOBS_DIR/wrangler.jobs.toml"
grep -v '^PUBLIC_BASE_URL=' .dev.vars >"$JOBS_DIR/.dev.vars"
echo "PUBLIC_BASE_URL=$BASE" >>"$JOBS_DIR/.dev.vars"

say "applying D1 migrations (local)"
wrangler d1 migrations apply portal-access --local --persist-to "$STATE"

say "starting wrangler dev on $BASE"
wrangler dev -c wrangler.toml -c "$JOBS_DIR/wrangler.jobs.toml" --local --persist-to "$STATE" \
  --ip 127.0.0.1 --port "$PORT" --test-scheduled --var "PUBLIC_BASE_URL:$BASE" &
dev_pid=$!
trap 'kill "$dev_pid" 2>/dev/null; wait "$dev_pid" 2>/dev/null' INT TERM EXIT

for _ in $(seq 1 240); do
  curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
  kill -0 "$dev_pid" 2>/dev/null || { say "wrangler dev stopped"; exit 1; }
  sleep 0.5
done

status=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$BASE/platform/api/organizations" \
  -H 'authorization: Bearer dev-platform-token' -H 'content-type: application/json' \
  -d '{"slug":"demo","name":"Demo Swim School","owner_email":"owner@demo.test","owner_password":"demo-owner-pass-1"}')
case "$status" in
  201) say "seeded organization demo (owner@demo.test / demo-owner-pass-1)" ;;
  409) say "organization demo already exists" ;;
  *) say "seeding demo answered HTTP $status" ;;
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
