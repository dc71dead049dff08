//! Compute-unit ceilings (the runtime's count is deterministic; no timing).

#[test]
fn compute_units_stay_under_ceilings() {
    let cases = margin_tests::bench::run_all();
    print!("{}", margin_tests::bench::table(&cases));
    // Measured (scripts/bench.sh, SBPF v3 under the mainnet-beta feature set) + 5%.
    let ceilings = [
        ("init_group", 2_961),                    // 2,820
        ("create_pool", 8_489),                   // 8,085
        ("open_margin_account", 2_597),           // 2,474
        ("deposit", 2_635),                       // 2,510
        ("accrue_interest", 2_051),               // 1,954
        ("withdraw", 4_602),                      // 4,383
        ("borrow_isolated_tx", 4_605),            // 4,386
        ("repay_tx", 4_312),                      // 4,107
        ("withdraw_with_debt_tx", 5_091),         // 4,849
        ("borrow_cross_16", 13_262),              // 12,631
        ("health_cu_per_position", 620),          // 591
        ("health_cu_per_position_stressed", 854), // 814
        ("liquidate_isolated_tx", 11_058),        // 10,532
        ("liquidate_cross_8_tx", 16_960),         // 16,153
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
