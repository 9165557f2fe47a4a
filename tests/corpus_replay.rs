//! Replays the committed fuzz corpora (fuzz/corpus/<target>/*) through the same property checks
//! the fuzz targets run, so `cargo test` catches a regression without nightly or libFuzzer.
#![cfg(not(target_arch = "wasm32"))]

use std::fs;
use std::path::Path;

use expensicat_auth::fuzzing::TARGETS;

#[test]
fn fuzz_corpora_replay_without_panics() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut total = 0;
    for (name, check) in TARGETS {
        let dir = root.join(name);
        let entries = fs::read_dir(&dir).unwrap_or_else(|_| panic!("no seed corpus at {}", dir.display()));
        let mut n = 0;
        for entry in entries {
            let path = entry.unwrap().path();
            let data = fs::read(&path).unwrap();
            let result = std::panic::catch_unwind(|| check(&data));
            assert!(result.is_ok(), "{name}: {} breaks a property", path.display());
            n += 1;
        }
        assert!(n > 0, "{name}: empty corpus");
        total += n;
    }
    println!("replayed {total} corpus entries");
}
