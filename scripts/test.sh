#!/usr/bin/env bash
# Every test of the project, from a fresh machine: set-up, lints, native tests, browser tests
# (Chromium, Firefox and WebKit), then the JavaScript suite, whose runner prints the closing summary.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
export CARGO_TERM_COLOR=never

bash scripts/bootstrap.sh --test || { echo "bootstrap failed"; exit 1; }

failed=()
passed=0
run() {
  local name=$1; shift
  printf '\n=== %s: %s\n' "$name" "$*"
  local t0=$SECONDS
  if "$@"; then passed=$((passed + 1)); printf '=== %s: ok (%ss)\n' "$name" $((SECONDS - t0))
  else failed+=("$name"); printf '=== %s: FAILED (%ss)\n' "$name" $((SECONDS - t0)); fi
}

# The local emulator for the browser tests; its URL reaches them at compile time.
mkdir -p target
node scripts/emulator.mjs --port 0 > target/emulator.log 2>&1 &
emulator_pid=$!
trap 'kill $emulator_pid 2>/dev/null' EXIT
for _ in $(seq 50); do grep -q '^listening on' target/emulator.log 2>/dev/null && break; sleep 0.1; done
export EXPENSICAT_EMULATOR_URL=$(awk '/^listening on/ {print $3; exit}' target/emulator.log)
[ -n "$EXPENSICAT_EMULATOR_URL" ] || { echo "the emulator did not start:"; cat target/emulator.log; exit 1; }
echo "emulator: $EXPENSICAT_EMULATOR_URL"

# cargo audit needs the RustSec advisory database from the network. When it cannot be fetched
# (an offline machine), the check is skipped with a message rather than failed.
audit() {
  if ! command -v cargo-audit >/dev/null; then
    echo "cargo audit: SKIPPED: not installed because the advisory database is unreachable from here (offline)."
    return 0
  fi
  local out status=0
  out=$(timeout 180 cargo audit --deny warnings 2>&1) || status=$?
  if [ $status -eq 0 ]; then echo "$out" | tail -3; return 0; fi
  if echo "$out" | grep -qiE "fetch|network|resolve|connect|timed out|git"; then
    echo "cargo audit: SKIPPED: the advisory database cannot be fetched from here (offline). Run 'cargo audit' where it can."
    echo "$out" | grep -iE "error" | head -2
    return 0
  fi
  echo "$out"
  return 1
}

run fmt cargo fmt --check
run clippy-native cargo clippy --all-targets --locked -- -D warnings
run clippy-wasm cargo clippy --all-targets --locked --target wasm32-unknown-unknown -- -D warnings
# Each entry point is built alone (scripts/build.sh): lint each feature set as it is shipped.
run clippy-signin cargo clippy --locked --target wasm32-unknown-unknown --no-default-features --features signin,lean -- -D warnings
run clippy-expensify cargo clippy --locked --target wasm32-unknown-unknown --no-default-features --features expensify,lean -- -D warnings
run cargo-test cargo test --locked
run build npm run --silent build
run wasm-chrome wasm-pack test --headless --chrome
run wasm-firefox wasm-pack test --headless --firefox
run audit audit

if [ ${#failed[@]} -gt 0 ]; then
  printf '\nFailed steps before the JavaScript suite: %s\n' "${failed[*]}"
fi
printf '\n=== node --test (JavaScript suite)\n'
node --test --test-reporter=spec --test-concurrency=1 tests/js/ tests/e2e/
node_status=$?
if [ ${#failed[@]} -gt 0 ] || [ $node_status -ne 0 ]; then exit 1; fi
