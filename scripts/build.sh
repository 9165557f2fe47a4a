#!/usr/bin/env bash
# Builds the npm package: two WebAssembly modules from one crate, so a page pays only for what it
# imports. pkg/ is the sign-in entry (`expensicat-auth`: session and low-level functions);
# pkg/expensify/ is `expensicat-auth/expensify` (partner credentials). Then scripts/postbuild.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf pkg
wasm-pack build --target web --release --out-dir pkg --out-name expensicat_auth --no-pack -- --no-default-features --features signin,lean
node scripts/wasm-opt-extra.mjs pkg/expensicat_auth_bg.wasm
wasm-pack build --target web --release --out-dir pkg/expensify --out-name expensicat_auth_expensify --no-pack -- --no-default-features --features expensify,lean
node scripts/postbuild.mjs
