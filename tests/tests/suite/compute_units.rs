//! Compute-unit ceilings (the runtime's count is deterministic; no timing).

#[test]
fn compute_units_stay_under_ceilings() {
    let cases = margin_tests::bench::run_all();
    print!("{}", margin_tests::bench::table(&cases));
    // Measured (scripts/bench.sh, SBPF v3 under the mainnet-beta feature set) + 5%.
    let ceilings = [
        ("init_group", 2_961),             // 2,820
        ("create_pool", 8_439),            // 8,038
        ("open_margin_account", 2_597),    // 2,474
        ("deposit", 2_635),                // 2,510
        ("accrue_interest", 2_051),        // 1,954
        ("withdraw", 4_602),               // 4,383
        ("borrow_isolated_tx", 4_356),     // 4,149
        ("repay_tx", 4_312),               // 4,107
        ("withdraw_with_debt_tx", 4_841),  // 4,611
        ("borrow_cross_16", 12_148),       // 11,570
        ("health_cu_per_position", 558),   // 532
        ("liquidate_isolated_tx", 10_992), // 10,469
        ("liquidate_cross_8_tx", 16_843),  // 16,041
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
