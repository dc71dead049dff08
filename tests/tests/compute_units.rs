//! Compute-unit ceilings (the runtime's count is deterministic; no timing).

#[test]
fn compute_units_stay_under_ceilings() {
    let cases = margin_tests::bench::run_all();
    let ceilings = [
        ("deposit", 6_000),
        ("accrue_interest", 5_000),
        ("withdraw", 9_000),
        ("borrow_isolated_tx", 14_000),
        ("repay_tx", 9_000),
        ("withdraw_with_debt_tx", 14_000),
        ("borrow_cross_16", 40_000),
        ("health_cu_per_position", 600),
        ("liquidate_isolated_tx", 25_000),
        ("liquidate_cross_8_tx", 40_000),
    ];
    for (name, ceiling) in ceilings {
        let case = cases.iter().find(|c| c.name == name).expect("case measured");
        assert!(case.compute_units <= ceiling, "{name}: {} CU exceeds the ceiling of {ceiling}", case.compute_units);
    }
    // Every measured transaction fits a packet (v0 + lookup table where needed).
    for case in &cases {
        if let Some(bytes) = case.tx_bytes {
            assert!(bytes <= margin_tests::bench::PACKET_LIMIT, "{}: {bytes} bytes", case.name);
        }
    }
    print!("{}", margin_tests::bench::table(&cases));
}
