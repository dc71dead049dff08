//! Prints compute units per case and writes target/bench/compute-units.json, then
//! the off-chain liquidator bench (index vs full rescan), written to
//! target/bench/offchain.json. `bench offchain` runs only the latter.

use std::{fs, path::PathBuf};

/// Synthetic margin accounts in the off-chain bench.
const OFFCHAIN_ACCOUNTS: usize = 100_000;

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench");
    fs::create_dir_all(&dir).expect("create target/bench");
    if std::env::args().nth(1).as_deref() != Some("offchain") {
        let cases = margin_tests::bench::run_all();
        print!("{}", margin_tests::bench::table(&cases));
        // What a deploy writes (and the program data must hold).
        let so = margin_sim::svm::program_dir().join("margin.so");
        let size = fs::metadata(&so).map(|m| m.len()).unwrap_or(0);
        println!("program size: {size} bytes ({})", so.display());
        let path = dir.join("compute-units.json");
        fs::write(&path, margin_tests::bench::json(&cases)).expect("write JSON");
        println!("wrote {}", path.display());
    }

    let bench = margin_tests::synthetic::bench(OFFCHAIN_ACCOUNTS, 0x5eed_0012);
    println!(
        "\nliquidator, {} accounts ({} positions), SOL down 5% ({} profile, median of {}): index {:.3} ms \
         ({} decided by their model, {} by the engine), full rescan {:.1} ms, {:.0}x (fastest: {:.3} ms, \
         {:.1} ms, {:.0}x); liquidatable {} -> {}; then off the critical path the index settles in {:.3} ms \
         (index built in {:.0} ms)",
        bench.accounts,
        bench.positions,
        bench.profile,
        margin_tests::synthetic::BENCH_TRIALS,
        bench.index_ms,
        bench.predicted,
        bench.re_evaluated,
        bench.rescan_ms,
        bench.rescan_ms / bench.index_ms,
        bench.index_min_ms,
        bench.rescan_min_ms,
        bench.rescan_min_ms / bench.index_min_ms,
        bench.liquidatable_before,
        bench.liquidatable_after,
        bench.settle_ms,
        bench.build_ms
    );
    let path = dir.join("offchain.json");
    fs::write(&path, bench.json()).expect("write JSON");
    println!("wrote {}", path.display());
}
