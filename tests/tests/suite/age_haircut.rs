//! Oracle-age haircut: between a pool's soft age and its hard age (`max_age_secs`)
//! Initial health haircuts the pool's collateral linearly with the price's age,
//! instead of a cliff at the hard age; Maintenance (liquidation) never does.

use margin_client::health::to_usd;
use margin_interface::error::MarginError;
use margin_tests::{Env, Feed};
use solana_sdk::signature::Signer;

#[test]
fn the_initial_limit_shrinks_with_price_age_and_maintenance_does_not() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Pull);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    env.lend(&usdc, 100_000_000_000);
    // 100 SOL ($100) in a cross account, no debt yet (so nothing accrues).
    let user = env.user();
    let margin = env.open_cross(&user, 0);
    let sol_wallet = env.token_account(&sol, &user.pubkey(), 100_000_000_000);
    env.deposit(&user, &margin, &sol, &sol_wallet, 100_000_000_000).unwrap();
    let wallet = env.token_account(&usdc, &user.pubkey(), 0);
    // SOL: no haircut for 20 s, then linear up to 10% at the 60 s hard age.
    let mut config = env.pool(&sol).config;
    (config.age_haircut_start_secs, config.age_haircut_max_bps) = (20, 1_000);
    assert!(!env.update_config(&sol, config), "a haircut only gates new risk: it applies at once");

    // Fresh: 100 x $100 x 0.8 / 1.1.
    assert_eq!(env.max_borrow(&margin, &usdc), 7_272_727_272);
    let fresh = env.health(&margin).unwrap();
    // At the soft age: no haircut yet.
    env.svm.advance_time(20);
    env.set_usd(&usdc, 1.0);
    assert_eq!(env.max_borrow(&margin, &usdc), 7_272_727_272);

    // 40 s old (USDC re-published, SOL not): 20 s into a 40 s span, 5%: the
    // weight is 0.8 x 0.95 = 0.76, so $7,600 of collateral for Initial health.
    env.svm.advance_time(20);
    env.set_usd(&usdc, 1.0);
    let aged = env.health(&margin).unwrap();
    assert_eq!(aged.maintenance, fresh.maintenance, "Maintenance never haircuts");
    assert_eq!(aged.equity, fresh.equity);
    assert!((to_usd(fresh.initial) - 8_000.0).abs() < 1e-6 && (to_usd(aged.initial) - 7_600.0).abs() < 1e-6);
    let limit = env.max_borrow(&margin, &usdc);
    assert_eq!(limit, 6_909_090_909);
    // The program agrees to the unit: one more is refused and changes nothing.
    let watched = [margin, usdc.pool, usdc.vault, wallet];
    let ix = env.borrow_ix(&user, &margin, &usdc, &wallet, limit + 1);
    env.expect_error(&[ix], &[&user], MarginError::InsufficientHealth, &watched);
    env.borrow(&user, &margin, &usdc, &wallet, limit).expect("the aged limit itself passes");

    // At the hard age the full 10% applies: the account is now over its Initial
    // limit but far from liquidation, and no new borrow passes.
    env.svm.advance_time(20);
    env.set_usd(&usdc, 1.0);
    let hard = env.health(&margin).unwrap();
    assert!(hard.initial < 0 && hard.maintenance > 0, "{hard:?}");
    let ix = env.borrow_ix(&user, &margin, &usdc, &wallet, 1);
    env.expect_error(&[ix], &[&user], MarginError::InsufficientHealth, &watched);
    // Past it, the pull price is stale: an error, as before the haircut existed.
    env.svm.advance_time(1);
    env.set_usd(&usdc, 1.0);
    let ix = env.borrow_ix(&user, &margin, &usdc, &wallet, 1);
    env.expect_error(&[ix], &[&user], MarginError::OracleStale, &watched);
    // A fresh SOL price lifts the haircut.
    env.set_usd(&sol, 100.0);
    let health = env.health(&margin).unwrap();
    assert!((to_usd(health.initial) - (8_000.0 - 6_909.090_909 * 1.1)).abs() < 1e-3, "{health:?}");
}

#[test]
fn haircut_bounds_are_validated() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Pull);
    let admin = env.admin.insecure_clone();
    // Over 50%, or starting at the hard age (60 s).
    for (start, max) in [(20, 5_001), (60, 1_000)] {
        let mut config = env.pool(&sol).config;
        (config.age_haircut_start_secs, config.age_haircut_max_bps) = (start, max);
        let ix = margin_client::instructions::update_pool_config(&admin.pubkey(), &sol, config);
        env.expect_error(&[ix], &[&admin], MarginError::InvalidConfig, &[sol.pool]);
    }
}
