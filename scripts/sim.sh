#!/usr/bin/env bash
# Runs the session simulation (tests/session_sim.rs) over many more seeds than `cargo test` does,
# in release mode. Usage: scripts/sim.sh [seeds] [first seed] [steps per seed]
#   scripts/sim.sh 100000            100,000 seeds from 3,000 (cargo test runs 0..3,000)
#   scripts/sim.sh 2000 100000 3000  longer runs
# A failing seed prints its trace; replay it with
#   SIM_SEED=<seed> SIM_SETTINGS=<storage,share|noshare,idb|noidb> SIM_TRACE=500 \
#     cargo test --release --test session_sim the_shipped -- --nocapture
# and keep it as a regression case.
set -euo pipefail
cd "$(dirname "$0")/.."
SIM_SEEDS=${1:-100000} SIM_FROM=${2:-3000} SIM_STEPS=${3:-400} \
  cargo test --release --locked --test session_sim the_shipped_machine_keeps_every_invariant -- --nocapture
