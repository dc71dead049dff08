//! Compute-unit ceilings (the runtime's count is deterministic; no timing).

#[test]
fn compute_units_stay_under_ceilings() {
    let cases = margin_tests::bench::run_all();
    print!("{}", margin_tests::bench::table(&cases));
    // Measured (scripts/bench.sh, SBPF v3 under the mainnet-beta feature set) + 5%.
    let ceilings = [
        ("init_group", 2_963),             // 2,822
        ("create_pool", 8_442),            // 8,040
        ("open_margin_account", 2_600),    // 2,477
        ("deposit", 2_628),                // 2,503
        ("accrue_interest", 2_046),        // 1,949
        ("withdraw", 4_594),               // 4,376
        ("borrow_isolated_tx", 4_363),     // 4,156
        ("repay_tx", 4_298),               // 4,094
        ("withdraw_with_debt_tx", 4_853),  // 4,622
        ("borrow_cross_16", 12_258),       // 11,675
        ("health_cu_per_position", 566),   // 539
        ("liquidate_isolated_tx", 11_451), // 10,906
        ("liquidate_cross_8_tx", 17_378),  // 16,550
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
}
