//! Compute-unit ceilings (the runtime's count is deterministic; no timing).

#[test]
fn compute_units_stay_under_ceilings() {
    let cases = margin_tests::bench::run_all();
    print!("{}", margin_tests::bench::table(&cases));
    // Measured (scripts/bench.sh, SBPF v3 under the mainnet-beta feature set) + 5%.
    let ceilings = [
        ("init_group", 2_968),                    // 2,827
        ("create_pool", 8_606),                   // 8,196
        ("open_margin_account", 2_604),           // 2,480
        ("deposit", 2_642),                       // 2,516
        ("accrue_interest", 2_057),               // 1,959
        ("withdraw", 4_604),                      // 4,385
        ("borrow_isolated_tx", 4_619),            // 4,479
        ("repay_tx", 4_316),                      // 4,198
        ("withdraw_with_debt_tx", 5_106),         // 4,863
        ("borrow_cross_16", 13_379),              // 12,742
        ("health_cu_per_position", 628),          // 598
        ("health_cu_per_position_stressed", 858), // 817
        ("liquidate_isolated_tx", 11_349),        // 10,913
        ("liquidate_cross_8_tx", 17_361),         // 16,678
        ("deleverage_isolated_tx", 10_769),       // 10,357
        ("flash_liquidation_tx", 24_051),         // 22,905 (issue target 35,000)
        ("flash_round_trip_tx", 8_740),           // 8,323 (issue target 9,000)
        ("borrow_isolated_tallied_tx", 5_647),    // 5,378 (issue target for isolated borrows 5,500)
        ("repay_tallied_tx", 2_752),              // 2,621
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
