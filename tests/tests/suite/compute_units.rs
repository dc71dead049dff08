//! Compute-unit ceilings (the runtime's count is deterministic; no timing).

#[test]
fn compute_units_stay_under_ceilings() {
    let cases = margin_tests::bench::run_all();
    print!("{}", margin_tests::bench::table(&cases));
    // Measured (scripts/bench.sh, SBPF v3 under the mainnet-beta feature set) + 5%.
    let ceilings = [
        ("init_group", 2_967),                    // 2,826
        ("create_pool", 8_606),                   // 8,196
        ("open_margin_account", 2_604),           // 2,480
        ("deposit", 2_637),                       // 2,511
        ("accrue_interest", 2_052),               // 1,954
        ("withdraw", 4_587),                      // 4,369
        ("borrow_isolated_tx", 4_358),            // 4,150
        ("repay_tx", 4_316),                      // 4,180
        ("withdraw_with_debt_tx", 4_722),         // 4,497
        ("borrow_cross_16", 11_465),              // 10,919
        ("health_cu_per_position", 512),          // 488
        ("health_cu_per_position_stressed", 617), // 588
        ("liquidate_isolated_tx", 11_349),        // 10,893
        ("liquidate_cross_8_tx", 16_695),         // 15,900
        ("deleverage_isolated_tx", 10_769),       // 10,304
        ("flash_liquidation_tx", 24_051),         // 22,982 (issue target 35,000)
        ("flash_round_trip_tx", 8_517),           // 8,111 (issue target 9,000)
        ("borrow_isolated_tallied_tx", 5_405),    // 5,148 (issue target for isolated borrows 5,500)
        ("repay_tallied_tx", 2_736),              // 2,606
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
