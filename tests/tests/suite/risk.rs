//! The client's risk report against the program: deltas, liquidation prices and
//! shocks predicted off chain are what the on-chain health check then reports.

use std::collections::HashMap;

use margin_client::{health::to_usd, risk::risk_report};
use margin_tests::{Env, Feed};
use solana_sdk::signature::Signer;

#[test]
fn risk_report_predicts_the_programs_health() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 150.0, Feed::Pull);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    env.lend(&usdc, 100_000_000_000);
    let user = env.user();
    let margin = env.open_cross(&user, 0);
    let wallet = env.token_account(&sol, &user.pubkey(), 20_000_000_000);
    env.deposit(&user, &margin, &sol, &wallet, 20_000_000_000).unwrap(); // 20 SOL
    let out = env.token_account(&usdc, &user.pubkey(), 0);
    env.borrow(&user, &margin, &usdc, &out, 1_500_000_000).unwrap(); // 1,500 USDC

    let account = env.margin(&margin);
    let oracles = env.oracles.clone();
    let mut fetched = HashMap::new();
    for keys in [&sol, &usdc] {
        for key in [keys.pool, oracles[&keys.pool].account] {
            fetched.insert(key, env.svm.account(&key).unwrap());
        }
    }
    let now = env.svm.now();
    let report =
        risk_report(&account, &fetched, |p| oracles[p].account, now, &[-0.1, -0.3, 0.3], &[usdc.pool]).unwrap();

    // Delta: 20 SOL * $150 * 1% * 0.85 maintenance weight.
    let sol_risk = report.assets.iter().find(|a| a.pool == sol.pool).unwrap();
    assert!((sol_risk.delta_per_percent - 25.5).abs() < 1e-6, "delta {}", sol_risk.delta_per_percent);
    let usdc_risk = report.assets.iter().find(|a| a.pool == usdc.pool).unwrap();
    assert!(usdc_risk.delta_per_percent < 0.0, "debt loses value as its price rises");

    // Liquidation price: 1,500 * 1.05 / (20 * 0.85) = 92.647...
    let expected = 1_500.0 * 1.05 / (20.0 * 0.85);
    let predicted = sol_risk.liquidation_price.expect("SOL can fall far enough");
    assert!((predicted - expected).abs() < 1e-6 * expected, "{predicted} vs {expected}");
    // The program agrees on both sides of it.
    env.set_usd(&sol, expected * 1.0001);
    assert!(env.health(&margin).unwrap().maintenance > 0);
    env.set_usd(&sol, expected * 0.9999);
    assert!(env.health(&margin).unwrap().maintenance < 0);

    // A -30% shock predicted off chain equals the program's health at that price.
    let (_, predicted) = report.shocks.iter().find(|(s, _)| *s == -0.3).copied().unwrap();
    env.set_usd(&sol, 150.0 * 0.7);
    let actual = to_usd(env.health(&margin).unwrap().maintenance);
    assert!((predicted - actual).abs() < 1e-6, "shock {predicted} vs program {actual}");
}
