//! The invariant fuzzer's default run: 10,000 random steps from fixed seeds
//! (longer runs: `cargo run -p margin-tests --bin fuzz -- --steps N --seed S`).

#[test]
fn ten_thousand_random_steps_keep_every_invariant() {
    let mut total = 0;
    for seed in [1u64, 2] {
        match margin_tests::fuzz::run(seed, 5_000) {
            Ok(report) => {
                total += report.steps;
                println!("seed {seed}: {report:?}");
                assert!(report.landed > 1_000, "most actions should land: {report:?}");
                assert!(report.liquidations > 0 || report.by_action.contains_key("liquidate"));
            }
            Err(violation) => panic!("{violation}"),
        }
    }
    assert_eq!(total, 10_000);
}
