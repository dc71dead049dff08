//! Admin risk levers on every path: weight changes apply to existing positions,
//! isolated-only collateral, reduce-only, and isolation on the liquidator's side.

use margin_client::instructions::{self, WithdrawAmount};
use margin_interface::{
    error::MarginError,
    state::{PoolStatus, POOL_FLAG_ISOLATED_ONLY},
};
use margin_tests::{Env, Feed};
use solana_sdk::signature::Signer;

#[test]
fn weight_changes_apply_to_existing_positions() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Pull);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    env.lend(&usdc, 10_000_000_000);
    let user = env.user();
    let margin = env.open_cross(&user, 0);
    let wallet = env.token_account(&sol, &user.pubkey(), 10_000_000_000);
    env.deposit(&user, &margin, &sol, &wallet, 10_000_000_000).unwrap();
    let out = env.token_account(&usdc, &user.pubkey(), 0);
    env.borrow(&user, &margin, &usdc, &out, 700_000_000).unwrap();
    assert!(env.health(&margin).unwrap().maintenance > 0);

    // The admin halves SOL's collateral weights: the same position is now liquidatable.
    let admin = env.admin.insecure_clone();
    let mut config = env.pool(&sol).config;
    config.init_asset_weight_bps = 4_000;
    config.maint_asset_weight_bps = 4_500;
    // A tightening: it waits out the group's delay (borrowers see it coming) first.
    assert!(env.update_config(&sol, config));
    assert!(env.health(&margin).unwrap().maintenance < 0);

    // Reduce-only pools still liquidate.
    env.svm
        .process(&[instructions::set_pool_status(&admin.pubkey(), &sol, PoolStatus::ReduceOnly)], &[&admin])
        .unwrap();
    env.svm
        .process(&[instructions::set_pool_status(&admin.pubkey(), &usdc, PoolStatus::ReduceOnly)], &[&admin])
        .unwrap();
    let liquidator = env.user();
    let liquidator_margin = env.open_cross(&liquidator, 0);
    let source = env.token_account(&usdc, &liquidator.pubkey(), 1_000_000_000);
    // A liquidator using an isolated account can only take its own collateral pool.
    let btc = env.add_priced_pool(8, 50_000.0, Feed::Legacy);
    let isolated = env.open_isolated(&liquidator, 1, &btc, &usdc);
    let metas = env.health_metas_after(&margin, None);
    let ix =
        instructions::liquidate(&liquidator.pubkey(), &isolated, &margin, &sol, &usdc, &source, u64::MAX, &metas, &[]);
    env.expect_error(
        &[ix],
        &[&liquidator],
        MarginError::IsolatedPoolMismatch,
        &[margin, isolated, sol.pool, usdc.pool, source],
    );

    let ix = instructions::liquidate(
        &liquidator.pubkey(),
        &liquidator_margin,
        &margin,
        &sol,
        &usdc,
        &source,
        u64::MAX,
        &metas,
        &[],
    );
    env.svm.process(&[ix], &[&liquidator]).expect("liquidation in reduce-only pools");
}

#[test]
fn isolated_only_collateral_counts_only_in_isolated_accounts() {
    let mut env = Env::new();
    let meme = env.add_priced_pool(6, 1.0, Feed::Pull);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let mut config = env.pool(&meme).config;
    config.flags = POOL_FLAG_ISOLATED_ONLY;
    assert!(env.update_config(&meme, config), "setting the flag tightens risk: queued, then applied");
    env.lend(&usdc, 10_000_000_000);

    let user = env.user();
    let cross = env.open_cross(&user, 0);
    let isolated = env.open_isolated(&user, 1, &meme, &usdc);
    let wallet = env.token_account(&meme, &user.pubkey(), 2_000_000_000);
    env.deposit(&user, &cross, &meme, &wallet, 1_000_000_000).unwrap();
    env.deposit(&user, &isolated, &meme, &wallet, 1_000_000_000).unwrap();
    let out = env.token_account(&usdc, &user.pubkey(), 0);
    let ix = env.borrow_ix(&user, &cross, &usdc, &out, 1_000_000);
    env.expect_error(&[ix], &[&user], MarginError::InsufficientHealth, &[cross, usdc.pool]);
    env.borrow(&user, &isolated, &usdc, &out, 100_000_000).expect("isolated-only collateral works in isolation");
    // Moving more of it into the cross account (from a debt-free isolated account)
    // is allowed but adds no borrowing power there.
    let spare = env.open_isolated(&user, 2, &meme, &usdc);
    let spare_wallet = env.token_account(&meme, &user.pubkey(), 5_000_000_000);
    env.deposit(&user, &spare, &meme, &spare_wallet, 5_000_000_000).unwrap();
    let ix = instructions::transfer_collateral(&user.pubkey(), &spare, &cross, &meme, WithdrawAmount::All, &[]);
    env.svm.process(&[ix], &[&user]).expect("move into cross");
    assert_eq!(env.margin(&cross).positions[0].deposit_shares, 6_000_000_000);
    let ix = env.borrow_ix(&user, &cross, &usdc, &out, 1);
    env.expect_error(&[ix], &[&user], MarginError::InsufficientHealth, &[cross, usdc.pool]);
}
