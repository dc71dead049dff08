//! The client's greeks against the program: the delta, the liquidation price and
//! the penalty predicted off chain (`margin_client::risk::greeks`) are what the
//! on-chain health check and `liquidate` then do.

use margin_client::{
    health::{scale_price, to_usd},
    risk::{greeks, ProbabilityMethod, RiskOptions},
};
use margin_tests::{usd_price, Env, Feed, Liquidator};
use solana_sdk::signature::Signer;

#[test]
fn greeks_predict_the_programs_health_and_liquidation() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 150.0, Feed::Pull);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let (_, margin) = env.borrower(&sol, &usdc, 20_000_000_000, 1_500_000_000); // 20 SOL, 1,500 USDC
                                                                                // Spot confidence 0.1% of the price, EMA confidence 0.05%: sigma = 1,000 x 0.0005 = 50%.
    let mut price = usd_price(150.0, env.svm.now());
    (price.conf, price.ema_conf) = (15_000_000, 7_500_000);
    env.set_price(&sol, price);

    let report = greeks(&env.health_cache(&margin), &RiskOptions::default()).unwrap();
    let asset = report.assets.iter().find(|a| a.pool == sol.pool).unwrap();
    let collateral = 20.0 * (150.0 - 0.15) * 0.85;
    assert!((asset.delta - collateral * 0.01).abs() < 1e-6, "delta {}", asset.delta);
    assert!(asset.gamma.abs() < 1e-6, "gamma {}", asset.gamma);
    assert!((asset.sigma_annual - 0.5).abs() < 1e-12);
    assert_eq!(report.method, ProbabilityMethod::ClosedForm { pool: sol.pool });
    assert!(report.probability.windows(2).all(|p| p[0] <= p[1]), "longer horizons, likelier: {:?}", report.probability);

    // The program moves by delta for +1%.
    let before = to_usd(env.health(&margin).unwrap().maintenance);
    assert!((before - to_usd(report.health.maintenance)).abs() < 1e-9);
    env.set_price(&sol, scale_price(&price, 1.01));
    let after = to_usd(env.health(&margin).unwrap().maintenance);
    assert!((after - before - asset.delta).abs() < 1e-6, "program {} vs delta {}", after - before, asset.delta);

    // Liquidation price: 1,575 / (20 x 0.85 x 0.999); the program agrees on both sides.
    let liquidation = asset.liquidation_price.unwrap();
    assert!((liquidation - 1_575.0 / (20.0 * 0.85 * 0.999)).abs() < 1e-6, "{liquidation}");
    env.set_price(&sol, scale_price(&price, liquidation / 150.0 * 1.0001));
    assert!(env.health(&margin).unwrap().maintenance > 0);

    // Penalty: liquidated 1 bp past that price, the account loses what was predicted.
    env.set_price(&sol, scale_price(&price, liquidation / 150.0 * 0.9999));
    let penalty = asset.penalty.expect("a penalty at the liquidation price");
    assert_eq!((penalty.collateral_pool, penalty.debt_pool, penalty.bonus_bps), (sol.pool, usdc.pool, 200));
    let equity = to_usd(env.health(&margin).unwrap().equity);
    let liquidator = Liquidator::new(&mut env, &[usdc]);
    let ix = liquidator.ix(&mut env, &margin, &sol, &usdc, u64::MAX);
    env.svm.process(&[ix], &[&liquidator.key]).expect("liquidate");
    let lost = equity - to_usd(env.health(&margin).unwrap().equity);
    assert!((lost - penalty.penalty_usd).abs() < 1e-3, "lost {lost} vs predicted {}", penalty.penalty_usd);
    assert!(to_usd(env.health(&margin).unwrap().maintenance) > 0.0, "back above zero: one liquidation, as assumed");
}

#[test]
fn several_risky_assets_are_simulated_reproducibly() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 150.0, Feed::Pull);
    let eth = env.add_priced_pool(8, 3_000.0, Feed::Legacy);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    env.lend(&usdc, 100_000_000_000);
    let user = env.user();
    let margin = env.open_cross(&user, 0);
    for (keys, amount) in [(&sol, 10_000_000_000), (&eth, 50_000_000)] {
        let wallet = env.token_account(keys, &user.pubkey(), amount);
        env.deposit(&user, &margin, keys, &wallet, amount).unwrap(); // 10 SOL, 0.5 ETH
    }
    let out = env.token_account(&usdc, &user.pubkey(), 0);
    env.borrow(&user, &margin, &usdc, &out, 2_000_000_000).unwrap(); // 2,000 USDC
    for (keys, usd) in [(&sol, 150.0), (&eth, 3_000.0)] {
        let mut price = usd_price(usd, env.svm.now());
        price.ema_conf = (price.ema_price as f64 * 0.0008) as u64; // sigma 80%
        env.set_price(keys, price);
    }
    let cache = env.health_cache(&margin);
    let options = RiskOptions { horizons_secs: vec![7.0 * 86_400.0], ..RiskOptions::default() };
    let report = greeks(&cache, &options).unwrap();
    assert!(matches!(report.method, ProbabilityMethod::MonteCarlo(_)), "{:?}", report.method);
    assert_eq!(report, greeks(&cache, &options).unwrap(), "fixed seed: the same report twice");
    // Either asset alone is less likely to liquidate the account than both moving.
    let alone = report.assets.iter().map(|a| a.probability_alone[0]).fold(0.0, f64::max);
    assert!(report.probability[0] > alone, "{} vs {alone}", report.probability[0]);
}
