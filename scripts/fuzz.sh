#!/usr/bin/env bash
# Runs every cargo-fuzz target for N seconds each (default 30, or FUZZ_SECONDS) and fails on any
# crash. New inputs go to target/fuzz-work/; the committed seeds in fuzz/corpus/ stay untouched.
#   npm run fuzz            # 30 s per target
#   npm run fuzz -- 300     # 5 minutes per target
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
secs=${1:-${FUZZ_SECONDS:-30}}
targets=(callback token_response oauth_error expensify_response authorize_url stored_transaction json retry_after address_bar url_whatwg www_authenticate codec_base64url codec_form_encode codec_form_decode codec_http_date codec_json)

echo "[fuzz 1/3] nightly toolchain (cargo-fuzz needs it)"
if ! rustup toolchain list | grep -q '^nightly'; then
  echo "  no nightly toolchain on this machine: install one with rustup, then re-run" >&2
  exit 1
fi
echo "[fuzz 2/3] cargo-fuzz"
command -v cargo-fuzz >/dev/null || { echo "  installing cargo-fuzz from crates.io (about 1 minute)..."; cargo install cargo-fuzz; }
echo "[fuzz 3/3] ${#targets[@]} targets, ${secs} s each"
failed=()
for t in "${targets[@]}"; do
  mkdir -p "target/fuzz-work/$t"
  echo "--- $t"
  log="target/fuzz-work/$t.log"
  status=0
  cargo +nightly fuzz run "$t" "target/fuzz-work/$t" "fuzz/corpus/$t" -- \
    -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 > "$log" 2>&1 || status=$?
  grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|SUMMARY|Test unit written)|panicked" "$log" || true
  if [ "$status" -ne 0 ]; then failed+=("$t"); tail -30 "$log"; fi
done
if [ ${#failed[@]} -gt 0 ]; then echo "fuzz: crashes in ${failed[*]} (inputs under fuzz/artifacts/)"; exit 1; fi
echo "fuzz: ${#targets[@]} passed, 0 failed"
