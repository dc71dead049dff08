//! Predictive (stress-gated, volatility-adaptive) margin: a risk-adding action must
//! also leave Maintenance health >= 0 with every asset at price x (1 - stress) and
//! every liability at x (1 + stress); the stress widens with the EMA confidence.
//! Existing accounts are never liquidated by it.

use margin_client::{instructions, pda::PoolKeys};
use margin_interface::{error::MarginError, oracle::OraclePrice};
use margin_tests::{Env, Feed};
use solana_sdk::{pubkey::Pubkey, signature::Keypair};

/// 100 SOL ($100) deposited in a cross account, USDC ($1) lent by others.
fn sol_borrower(env: &mut Env) -> (PoolKeys, PoolKeys, Keypair, Pubkey, Pubkey) {
    let sol = env.add_priced_pool(9, 100.0, Feed::Pull);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let (user, margin) = env.borrower(&sol, &usdc, 100_000_000_000, 1);
    let wallet = env.token_account(&usdc, &solana_sdk::signer::Signer::pubkey(&user), 0);
    (sol, usdc, user, margin, wallet)
}

/// Sets the stress fields of a pool (they apply at once: they only gate new risk).
fn set_stress(env: &mut Env, keys: &PoolKeys, stress_bps: u16, multiplier_pct: u16) {
    let mut config = env.pool(keys).config;
    config.stress_bps = stress_bps;
    config.stress_confidence_multiplier_pct = multiplier_pct;
    assert!(!env.update_config(keys, config), "a stress change applies at once");
}

#[test]
fn a_borrow_inside_initial_but_not_the_stress_scenario_is_refused() {
    let mut env = Env::new();
    let (sol, usdc, user, margin, wallet) = sol_borrower(&mut env);
    // Calm market, no stress: Initial alone limits (100 SOL x $100 x 0.8 / 1.1).
    let calm = env.max_borrow(&margin, &usdc);
    assert_eq!(calm, 7_272_727_272 - 1, "minus the 1 unit already borrowed");

    // SOL -35%, USDC +2%: Maintenance under stress is 100 x 100 x 0.85 x 0.65 =
    // $5,525 against debt x 1.05 x 1.02: about 5,158.7 USDC in all.
    set_stress(&mut env, &sol, 3_500, 0);
    set_stress(&mut env, &usdc, 200, 0);
    let stressed = env.max_borrow(&margin, &usdc);
    let expected = 5_525.0 / (1.05 * 1.02) * 1e6 - 1.0;
    assert!((stressed as f64 - expected).abs() < 2.0, "{stressed} vs {expected}");
    // 6,000 USDC passes Initial but not the scenario: refused, nothing changes.
    let watched = [margin, usdc.pool, usdc.vault, wallet];
    let ix = env.borrow_ix(&user, &margin, &usdc, &wallet, 6_000_000_000);
    env.expect_error(&[ix], &[&user], MarginError::StressTestFailed, &watched);
    let ix = env.borrow_ix(&user, &margin, &usdc, &wallet, stressed + 1);
    env.expect_error(&[ix], &[&user], MarginError::StressTestFailed, &watched);
    env.borrow(&user, &margin, &usdc, &wallet, stressed).expect("the stress limit itself passes");

    // The rule gates new risk only: the account is healthy, not liquidatable.
    let health = env.health(&margin).unwrap();
    assert!(health.maintenance > 0 && health.initial > 0, "{health:?}");
    // Calm again (stress off): the same 6,000 USDC in total is allowed.
    set_stress(&mut env, &sol, 0, 0);
    set_stress(&mut env, &usdc, 0, 0);
    env.borrow(&user, &margin, &usdc, &wallet, 6_000_000_000 - stressed - 1).expect("calm market");
}

#[test]
fn wider_ema_confidence_tightens_the_limit_by_itself() {
    let mut env = Env::new();
    let (sol, usdc, _user, margin, _wallet) = sol_borrower(&mut env);
    // No fixed stress; 3x the EMA confidence interval.
    set_stress(&mut env, &sol, 0, 300);
    let with_conf = |env: &mut Env, conf_pct: f64| {
        let mantissa = 100 * 100_000_000i64;
        let ema_conf = (mantissa as f64 * conf_pct / 100.0) as u64;
        let now = env.svm.now();
        let price =
            OraclePrice { price: mantissa, conf: 0, expo: -8, publish_time: now, ema_price: mantissa, ema_conf };
        env.set_price(&sol, price);
        env.max_borrow(&margin, &usdc)
    };
    // USDC has no stress move: its debt counts at its Initial value (weight 1.1).
    // 1% EMA confidence: 3% stress, 100 x 100 x 0.85 x 0.97 / 1.1 = 7,495 > the
    // Initial limit (EMA - conf = $99: 100 x 99 x 0.8 / 1.1 = 7,200): Initial binds.
    // 5%: 15% stress, 6,568.2 < Initial's 6,909.1: the scenario binds.
    let narrow = with_conf(&mut env, 1.0);
    assert!((narrow as f64 - (7_200e6 - 1.0)).abs() < 2.0, "{narrow}");
    let wide = with_conf(&mut env, 5.0);
    let expected = 10_000.0 * 0.85 * 0.85 / 1.1 * 1e6 - 1.0;
    assert!((wide as f64 - expected).abs() < 2.0, "{wide} vs {expected}");
    // 10%: 30% stress, 5,409.1.
    let wider = with_conf(&mut env, 10.0);
    let expected = 10_000.0 * 0.85 * 0.70 / 1.1 * 1e6 - 1.0;
    assert!((wider as f64 - expected).abs() < 2.0, "{wider} vs {expected}");
}

#[test]
fn stress_bounds_are_validated() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Pull);
    let admin = env.admin.insecure_clone();
    for (stress, multiplier) in [(9_001, 0), (0, 1_001)] {
        let mut config = env.pool(&sol).config;
        config.stress_bps = stress;
        config.stress_confidence_multiplier_pct = multiplier;
        let ix = instructions::update_pool_config(&solana_sdk::signer::Signer::pubkey(&admin), &sol, config);
        env.expect_error(&[ix], &[&admin], MarginError::InvalidConfig, &[sol.pool]);
    }
}
