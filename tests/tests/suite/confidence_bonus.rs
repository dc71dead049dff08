//! Confidence-scaled liquidation bonus: the dynamic bonus plus
//! `liquidation_confidence_bonus_pct` x EMA conf / EMA price of the seized collateral,
//! capped by the pool's maximum penalty.

use margin_client::pda::PoolKeys;
use margin_interface::{
    liquidation::{bonus_bps, plan, LiquidationPlan},
    oracle::OraclePrice,
};
use margin_tests::{Env, Feed, Liquidator};
use solana_sdk::pubkey::Pubkey;

/// SOL at $86 with a confidence interval of `conf_bps` of the price.
fn sol_price(env: &Env, conf_bps: u64) -> OraclePrice {
    let mantissa = 86 * 100_000_000i64;
    let conf = mantissa as u64 * conf_bps / 10_000;
    OraclePrice { price: mantissa, conf, expo: -8, publish_time: env.svm.now(), ema_price: mantissa, ema_conf: conf }
}

/// The program's own sizing of a liquidation of `victim` (SOL for USDC) now,
/// with the seized collateral's confidence as the oracle reports it; and the
/// deficit bonus alone, for comparison.
fn expected(env: &mut Env, victim: &Pubkey, sol: &PoolKeys, usdc: &PoolKeys, max_repay: u64) -> (LiquidationPlan, u64) {
    env.seizure_input(victim, sol, usdc, max_repay, |input| {
        let deficit_bonus = bonus_bps(input.asset_config, input.maintenance_health, input.maintenance_liabilities, 0);
        (plan(input).unwrap(), deficit_bonus)
    })
}

#[test]
fn the_collaterals_confidence_widens_the_bonus_up_to_the_cap() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Pull);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    // Two confidence intervals of bonus: raising a bonus waits out the delay.
    let mut config = env.pool(&sol).config;
    config.liquidation_confidence_bonus_pct = 200;
    assert!(env.update_config(&sol, config), "a higher bonus is queued");
    let (_, victim) = env.borrower(&sol, &usdc, 100_000_000_000, 7_000_000_000);
    let liquidator = Liquidator::new(&mut env, &[usdc]);

    // SOL -14% with a 1% confidence interval (just under maintenance: a deficit
    // bonus of about 3%): +2 x 100 bps.
    let price = sol_price(&env, 100);
    env.set_price(&sol, price);
    let (plan, deficit_bonus) = expected(&mut env, &victim, &sol, &usdc, 100_000_000);
    assert_eq!(plan.bonus_bps, deficit_bonus + 200);
    assert!(plan.bonus_bps < 1_000, "under the cap: {plan:?}");
    let ix = liquidator.ix(&mut env, &victim, &sol, &usdc, 100_000_000);
    env.svm.process(&[ix], &[&liquidator.key]).expect("liquidation");
    let credited = env.margin(&liquidator.margin).active()[0].deposit_shares;
    assert_eq!(credited, plan.liquidator_shares);
    // 100 USDC repaid for 100 x (1 + bonus) / 86 SOL in all (insurance included).
    let seized = 100.0 * (1.0 + plan.bonus_bps as f64 / 1e4) / 86.0 * 1e9;
    assert!((plan.seized as f64 - seized).abs() <= 1.0, "{plan:?}");

    // A 4.5% interval would add 900 bps: the 10% maximum caps the bonus.
    let price = sol_price(&env, 450);
    env.set_price(&sol, price);
    let (plan, deficit_bonus) = expected(&mut env, &victim, &sol, &usdc, 100_000_000);
    assert!(deficit_bonus + 900 > 1_000);
    assert_eq!(plan.bonus_bps, 1_000);
    let ix = liquidator.ix(&mut env, &victim, &sol, &usdc, 100_000_000);
    env.svm.process(&[ix], &[&liquidator.key]).expect("liquidation");
    assert_eq!(env.margin(&liquidator.margin).active()[0].deposit_shares, credited + plan.liquidator_shares);
}
