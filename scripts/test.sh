#!/usr/bin/env bash
# Every test of the project, from a fresh machine: set-up, lints, native tests, browser tests
# (Chromium and Firefox), then the JavaScript suite, whose runner prints the closing summary.
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

run fmt cargo fmt --check
run clippy-native cargo clippy --all-targets --locked -- -D warnings
run clippy-wasm cargo clippy --all-targets --locked --target wasm32-unknown-unknown -- -D warnings
run cargo-test cargo test --locked
run build npm run --silent build
run wasm-chrome wasm-pack test --headless --chrome
run wasm-firefox wasm-pack test --headless --firefox

if [ ${#failed[@]} -gt 0 ]; then
  printf '\nFailed steps before the JavaScript suite: %s\n' "${failed[*]}"
fi
printf '\n=== node --test (JavaScript suite)\n'
node --test --test-reporter=spec --test-concurrency=1 tests/js/
node_status=$?
if [ ${#failed[@]} -gt 0 ] || [ $node_status -ne 0 ]; then exit 1; fi
