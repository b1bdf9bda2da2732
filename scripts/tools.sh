# Sourced by the other scripts. Installs whatever is missing (quick when all is there) and exports
# the tool paths that make worker-build and wrangler work offline.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORKER_BUILD_VERSION="0.8.7"
# Must equal the wasm-bindgen pinned in Cargo.toml.
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = "=\(.*\)"$/\1/p' "$ROOT/Cargo.toml")"

say() { printf '\033[1m[tools]\033[0m %s\n' "$*" >&2; }

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(worker-build --version 2>/dev/null | awk '{print $NF}')" != "$WORKER_BUILD_VERSION" ]; then
  say "installing worker-build $WORKER_BUILD_VERSION (about 6 minutes)"
  cargo install worker-build --version "$WORKER_BUILD_VERSION" --locked
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 4 minutes)"
  # No --locked: its lockfile names a crate version the registry here lacks.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

stamp="$ROOT/node_modules/.portal-access-installed"
if [ ! -f "$stamp" ] || [ "$ROOT/package.json" -nt "$stamp" ] || [ ! -x "$ROOT/node_modules/.bin/wrangler" ] \
  || [ ! -f "$ROOT/node_modules/playwright-core/package.json" ] || [ ! -f "$ROOT/node_modules/axe-core/axe.min.js" ]; then
  say "installing npm packages (wrangler, miniflare, Node 22, binaryen, playwright-core, axe-core)"
  # `npm install`, not `npm ci`: the lockfile names other platforms' workerd builds.
  (cd "$ROOT" && npm install --no-audit --no-fund --loglevel=error)
  touch "$stamp"
fi

# Node 22 from node_modules comes first: wrangler and Miniflare need it.
export PATH="$ROOT/node_modules/.bin:$PATH"
export WASM_BINDGEN_BIN="$(command -v wasm-bindgen)"
export WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$ROOT/node_modules/@esbuild/linux-x64/bin/esbuild"
# Nothing phones home; wrangler keeps its state inside the project.
export WRANGLER_SEND_METRICS=false
export CLOUDFLARE_CF_FETCH_ENABLED=false
export XDG_CONFIG_HOME="$ROOT/.wrangler-config"

# The browser tests drive Debian's chromium through playwright-core (Playwright's own browser
# download cannot reach its servers from here). Called by scripts/test.sh, not by every script.
ensure_chromium() {
  command -v chromium >/dev/null 2>&1 && return 0
  say "installing Debian's chromium (for the browser tests)"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  { $sudo apt-get install -y chromium >/dev/null 2>&1 || { $sudo apt-get update >/dev/null && $sudo apt-get install -y chromium >/dev/null; }; } \
    || { say "apt-get install chromium failed"; return 1; }
}
