//! The invariant fuzzer's default run: 10,000 random steps from fixed seeds
//! (longer runs: `cargo run -p margin-tests --bin fuzz -- --steps N --seed S`).

#[test]
fn ten_thousand_random_steps_keep_every_invariant() {
    let mut total = 0;
    for seed in [1u64, 2] {
        match margin_tests::fuzz::run(seed, 5_000) {
            Ok(report) => {
                total += report.steps;
                println!(
                    "seed {seed}: {} steps, {} landed, {} refused, {} liquidations landed, {} write-offs",
                    report.steps, report.landed, report.failed, report.liquidations, report.bad_debt
                );
                for (name, (landed, refused)) in &report.by_action {
                    println!("  {name:<26} landed {landed:>6}  refused {refused:>6}");
                }
                for ((name, error), count) in &report.refusals {
                    println!("    {name:<26} {error:<40} {count:>6}");
                }
                // The run must exercise what it checks: liquidations (users' and the
                // keeper's) and the actions the attacks used must actually land.
                let landed = |name: &str| report.by_action.get(name).map_or(0, |(landed, _)| *landed);
                assert!(report.liquidations > 0, "no liquidation landed: {:?}", report.by_action);
                assert_eq!(
                    report.liquidations,
                    landed("liquidate") + landed("keeper_liquidate"),
                    "liquidations counted once each"
                );
                for name in [
                    "deposit",
                    "dust_deposit",
                    "borrow",
                    "withdraw",
                    "repay",
                    "keeper_liquidate",
                    "admin_config_loosen",
                    "admin_config_apply",
                ] {
                    assert!(landed(name) > 0, "no {name} landed: {:?}", report.by_action);
                }
                // Refusals the fuzzer provokes on purpose, with their exact errors.
                let refused = |name: &'static str, error: &str| {
                    report.refusals.get(&(name, error.to_string())).copied().unwrap_or(0)
                };
                assert!(refused("older_update_health", "OracleOutdated") > 0, "the older pull update was never tried");
                assert_eq!(
                    refused("admin_config_apply_early", "ConfigChangeNotReady"),
                    landed("admin_config_apply"),
                    "every tightening was refused before its delay"
                );
                assert!(
                    refused("dust_deposit", "OracleNotConfigured") > 0,
                    "no dust deposit tried the unpriced pool from a cross account"
                );
            }
            Err(violation) => panic!("{violation}"),
        }
    }
    assert_eq!(total, 10_000);
}
