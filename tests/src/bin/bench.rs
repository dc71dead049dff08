//! Prints compute units per case and writes target/bench/compute-units.json.

use std::{fs, path::PathBuf};

fn main() {
    let cases = margin_tests::bench::run_all();
    print!("{}", margin_tests::bench::table(&cases));
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench");
    fs::create_dir_all(&dir).expect("create target/bench");
    let path = dir.join("compute-units.json");
    fs::write(&path, margin_tests::bench::json(&cases)).expect("write JSON");
    println!("wrote {}", path.display());
}
