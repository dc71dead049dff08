//! Compute-unit ceilings (the runtime's count, deterministic; no timing).

#[test]
fn compute_units_stay_under_ceilings() {
    let results = margin_tests::bench::run_all();
    let ceilings = [("deposit", 6_000), ("accrue_interest", 5_000), ("withdraw", 9_000)];
    for (name, ceiling) in ceilings {
        let (_, cu) = results.iter().find(|(n, _)| *n == name).expect("case measured");
        assert!(*cu <= ceiling, "{name}: {cu} CU exceeds the ceiling of {ceiling}");
    }
}
