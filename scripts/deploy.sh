#!/usr/bin/env bash
# Deploys the whole product: the D1 migrations, then the jobs Worker (queue consumer), then the
# http Worker (requests, cron). `npm run deploy` or `bash scripts/deploy.sh`.
#
#   bash scripts/deploy.sh --dry-run   offline, no Cloudflare login: applies the migrations to
#                                      throwaway local D1s (every tenant database and the
#                                      directory) and bundles both Workers with
#                                      `wrangler deploy --dry-run` (dist/wrangler, dist/wrangler.jobs)
#   bash scripts/deploy.sh             the real thing: the same checks first, then
#                                      `wrangler d1 migrations apply <each database> --remote`,
#                                      `wrangler deploy -c wrangler.jobs.toml`, `wrangler deploy`
#
# Order: migrations first (the code being deployed may need them; migrations must therefore keep
# the running code working), then the consumer, then the producers (the office Worker before the
# http one, whose service binding names it), so that no new kind of job reaches an old consumer
# (which would mark it failed as unknown). A Worker over 1 MiB gzip fails the run.
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"

# Every D1 database of the http Worker: the tenant databases DB_1 ... DB_N (d1-migrations) and the
# directory (d1-migrations-directory), each with its own migrations_dir in wrangler.toml.
mapfile -t DATABASES < <(sed -n 's/^database_name = "\(.*\)"$/\1/p' wrangler.toml)
CONFIGS=(wrangler.jobs.toml wrangler.office.toml wrangler.toml) # deploy order: consumer, the office, then the front door
BUDGET_KIB=1024                           # our budget: gzip upload <= 1 MiB per Worker

dry_run=0
for arg in "$@"; do
  case "$arg" in
    --dry-run) dry_run=1 ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) say "unknown argument $arg (only --dry-run)"; exit 2 ;;
  esac
done

worker_name() { sed -n 's/^name = "\(.*\)"$/\1/p' "$1"; }

# The migrations, offline: each database's applied in order to a fresh local D1 that is thrown
# away afterwards.
check_migrations() {
  local tmp log database
  tmp="$(mktemp -d)"
  log="$tmp/migrations.log"
  for database in "${DATABASES[@]}"; do
    say "D1 migrations of $database: applying them to a throwaway local D1"
    if ! wrangler d1 migrations apply "$database" --local --persist-to "$tmp/state" </dev/null >"$log" 2>&1; then
      cat "$log" >&2
      rm -rf "$tmp"
      say "the migrations of $database do not apply to an empty database"
      return 1
    fi
    grep -oE '[0-9]{4}_[A-Za-z0-9_]+\.sql' "$log" | sort -u | sed 's/^/  applied /' || true
  done
  rm -rf "$tmp"
}

# One Worker's bundle, offline: wrangler runs the config's [build], bundles and checks the
# configuration, writes the upload to dist/<config>/ and prints its size.
check_bundle() {
  local config="$1" out log upload gzip
  out="dist/${config%.toml}"
  log="$(mktemp)"
  rm -rf "$out"
  say "$(worker_name "$config"): wrangler deploy --dry-run -c $config --outdir $out"
  if ! wrangler deploy --dry-run -c "$config" --outdir "$out" </dev/null >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    say "$config: the dry run failed"
    return 1
  fi
  upload="$(grep -o 'Total Upload: .*' "$log" || true)"
  rm -f "$log"
  if [ -z "$upload" ] || [ -z "$(ls "$out"/*.wasm 2>/dev/null)" ]; then
    say "$config: no Total Upload line or no .wasm in $out"
    return 1
  fi
  gzip="$(sed -n 's/.*gzip: \([0-9.]*\) KiB.*/\1/p' <<<"$upload")"
  if [ -n "$gzip" ] && awk -v g="$gzip" -v b="$BUDGET_KIB" 'BEGIN { exit !(g > b) }'; then
    echo "  $(worker_name "$config"): $upload  (OVER the budget of 1 MiB gzip)"
    say "$config: over the size budget"
    return 1
  else
    echo "  $(worker_name "$config"): $upload"
  fi
}

# Real ids replace the placeholders before a real deploy (README, "Deploying").
check_ids() {
  local config bad=0
  for config in "${CONFIGS[@]}"; do
    if grep -qE '^(database_)?id = "0+(-0+)*[0-9]?"' "$config"; then
      say "$config still has a placeholder id (database_id / KV id): create the resources and put their ids in (README, \"Deploying\")"
      bad=1
    fi
  done
  return "$bad"
}

[ "$dry_run" = 1 ] || check_ids
check_migrations
for config in "${CONFIGS[@]}"; do check_bundle "$config"; done

if [ "$dry_run" = 1 ]; then
  say "dry run passed: migrations apply, the three Workers bundle within the budget (nothing was uploaded)"
  exit 0
fi

for database in "${DATABASES[@]}"; do
  say "applying the D1 migrations to the remote database $database"
  wrangler d1 migrations apply "$database" --remote
done
for config in "${CONFIGS[@]}"; do
  say "deploying $(worker_name "$config") (wrangler deploy -c $config)"
  wrangler deploy -c "$config"
done
say "deployed: migrations, $(worker_name wrangler.jobs.toml), $(worker_name wrangler.office.toml), $(worker_name wrangler.toml)"
