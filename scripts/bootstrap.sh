#!/usr/bin/env bash
# Idempotent set-up for a fresh machine. Installs only what is missing, and says what it does.
#   scripts/bootstrap.sh          tools to build and run the demo
#   scripts/bootstrap.sh --test   also the browsers and drivers the test suite needs
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-}
if [ "$mode" = "--test" ]; then total=8; else total=4; fi
n=0
step() { n=$((n + 1)); printf '\n[bootstrap %d/%d] %s\n' "$n" "$total" "$*"; }
ok() { printf '  already there: %s\n' "$*"; }
export PATH="$HOME/.cargo/bin:$PATH"

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "  need root for: $*  (run it yourself, then re-run this command)" >&2; exit 1
  fi
}

step "Rust target wasm32-unknown-unknown"
if ! command -v cargo >/dev/null; then
  echo "  cargo not found: install Rust from your package manager or rustup first" >&2; exit 1
fi
if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then ok "wasm32-unknown-unknown"; else
  echo "  installing with rustup (about 30 s)..."; rustup target add wasm32-unknown-unknown
fi

step "wasm-bindgen-cli at the version pinned in Cargo.lock"
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" = "$want" ]; then ok "wasm-bindgen $have"; else
  echo "  installing wasm-bindgen-cli $want from crates.io (about 2-3 minutes; found: ${have:-none})..."
  cargo install wasm-bindgen-cli --version "$want" --force
fi

step "wasm-pack"
if command -v wasm-pack >/dev/null; then ok "$(wasm-pack --version)"; else
  echo "  installing wasm-pack from crates.io (about 2-3 minutes)..."; cargo install wasm-pack
fi

step "npm packages (npm ci)"
if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then ok "node_modules up to date"; else
  echo "  installing from package-lock.json (about 30 s)..."
  if ! npm ci --no-audit --no-fund --loglevel=error 2>/tmp/expensicat-npm-ci.log; then
    # Some npm 11 set-ups (omit-lockfile-registry-resolved) write locks without other platforms'
    # optional packages, which their own `npm ci` then refuses. `npm install --no-save` installs
    # the same locked tree without touching the lock file.
    echo "  npm ci refused the lock file ($(grep -m1 -o 'Missing: [^ ]*' /tmp/expensicat-npm-ci.log || echo 'see /tmp/expensicat-npm-ci.log')); installing the locked tree with npm install --no-save"
    npm install --no-save --no-audit --no-fund --loglevel=error
  fi
fi

if [ "$mode" = "--test" ]; then
  step "Browsers for the tests: Debian chromium, chromium-driver, firefox-esr"
  missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
  command -v firefox-esr >/dev/null || missing+=(firefox-esr)
  if [ ${#missing[@]} = 0 ]; then ok "chromium, chromedriver, firefox-esr"; else
    echo "  installing ${missing[*]} with apt-get (about 1-2 minutes)..."
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  fi

  step "WebKit for the tests: Debian webkit2gtk-driver (WebKitWebDriver, MiniBrowser), xvfb"
  # Debian puts WebKitWebDriver in /usr/bin; other layouts keep it beside MiniBrowser, off PATH.
  webkit_driver() { command -v WebKitWebDriver || ls /usr/lib/*/webkit2gtk-*/WebKitWebDriver /usr/libexec/webkit2gtk-*/WebKitWebDriver 2>/dev/null | head -1; }
  missing=()
  [ -n "$(webkit_driver)" ] || missing+=(webkit2gtk-driver)
  command -v Xvfb >/dev/null || missing+=(xvfb)
  if [ ${#missing[@]} = 0 ]; then ok "$(webkit_driver), $(command -v Xvfb)"; else
    echo "  installing ${missing[*]} with apt-get (about 1-2 minutes)..."
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  fi

  step "geckodriver (Firefox WebDriver)"
  if command -v geckodriver >/dev/null; then ok "$(geckodriver --version | head -1)"; else
    echo "  installing geckodriver from crates.io (about 3 minutes)..."; cargo install geckodriver
  fi

  step "cargo-audit (dependency advisories)"
  if command -v cargo-audit >/dev/null; then ok "$(cargo audit --version)"
  elif ! timeout 15 git ls-remote --heads https://github.com/RustSec/advisory-db >/dev/null 2>&1; then
    # cargo audit must fetch this database to run at all; do not spend ~6 minutes building a
    # tool that cannot run here. The test step says it was skipped.
    echo "  the RustSec advisory database is unreachable from here: skipping the install (npm test will say so)"
  else
    echo "  installing cargo-audit from crates.io (about 5-6 minutes)..."
    cargo install cargo-audit --locked || cargo install cargo-audit
  fi
fi
printf '\n[bootstrap] done\n'
