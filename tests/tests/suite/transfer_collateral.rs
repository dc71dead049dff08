//! transfer_collateral between an owner's isolated and cross accounts.

use margin_client::instructions::{self, WithdrawAmount};
use margin_interface::error::MarginError;
use margin_tests::{Env, Feed};
use solana_sdk::signature::Signer;

#[test]
fn move_collateral_between_isolated_and_cross() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Pull);
    let btc = env.add_priced_pool(8, 50_000.0, Feed::Legacy);
    env.lend(&usdc, 10_000_000_000);

    let user = env.user();
    let isolated = env.open_isolated(&user, 0, &sol, &usdc);
    let cross = env.open_cross(&user, 1);
    let sol_wallet = env.token_account(&sol, &user.pubkey(), 10_000_000_000);
    env.deposit(&user, &isolated, &sol, &sol_wallet, 10_000_000_000).unwrap();
    let usdc_wallet = env.token_account(&usdc, &user.pubkey(), 0);
    let debt = 500_000_001u128;
    env.borrow(&user, &isolated, &usdc, &usdc_wallet, debt as u64).unwrap();

    // Moving too much out of the indebted isolated account fails its health check.
    // SOL that must stay: debt * $1 * 1.1 / ($100 * 0.8), in native units, rounded up.
    let needed = (debt * 11_000 * 1_000_000_000).div_ceil(1_000_000 * 100 * 8_000) as u64;
    let movable = 10_000_000_000 - needed;
    let metas = env.health_metas_after(&isolated, None);
    let ix = instructions::transfer_collateral(
        &user.pubkey(),
        &isolated,
        &cross,
        &sol,
        WithdrawAmount::Exact(movable + 1),
        &metas,
    );
    env.expect_error(&[ix], &[&user], MarginError::InsufficientHealth, &[isolated, cross, sol.pool]);
    let ix = instructions::transfer_collateral(
        &user.pubkey(),
        &isolated,
        &cross,
        &sol,
        WithdrawAmount::Exact(movable),
        &metas,
    );
    env.svm.process(&[ix], &[&user]).expect("move to the limit");
    assert_eq!(env.margin(&isolated).positions[0].deposit_shares, needed);
    assert_eq!(env.margin(&cross).positions[0].deposit_shares, movable);
    assert_eq!(env.pool(&sol).total_deposit_shares, 10_000_000_000, "pool totals unchanged");

    // Back from cross (no debt: no health accounts needed) into the isolated account.
    let ix = instructions::transfer_collateral(&user.pubkey(), &cross, &isolated, &sol, WithdrawAmount::All, &[]);
    env.svm.process(&[ix], &[&user]).expect("move back");
    assert_eq!(env.margin(&isolated).positions[0].deposit_shares, 10_000_000_000);
    assert_eq!(env.margin(&cross).header.position_count, 0);

    // Into an isolated account whose collateral pool differs.
    let btc_wallet = env.token_account(&btc, &user.pubkey(), 1_000_000);
    env.deposit(&user, &cross, &btc, &btc_wallet, 1_000_000).unwrap();
    let ix = instructions::transfer_collateral(&user.pubkey(), &cross, &isolated, &btc, WithdrawAmount::All, &[]);
    env.expect_error(&[ix], &[&user], MarginError::IsolatedPoolMismatch, &[cross, isolated, btc.pool]);
    // Same account twice.
    let ix = instructions::transfer_collateral(&user.pubkey(), &cross, &cross, &btc, WithdrawAmount::All, &[]);
    env.expect_error(&[ix], &[&user], MarginError::DuplicateAccount, &[cross, btc.pool]);
    // Someone else's account as the destination.
    let other = env.user();
    let other_cross = env.open_cross(&other, 0);
    let ix = instructions::transfer_collateral(&user.pubkey(), &cross, &other_cross, &btc, WithdrawAmount::All, &[]);
    env.expect_error(&[ix], &[&user], MarginError::NotSameOwner, &[cross, other_cross, btc.pool]);
    // The owner must sign.
    let ix = margin_tests::strip_signer(
        instructions::transfer_collateral(&user.pubkey(), &cross, &isolated, &sol, WithdrawAmount::All, &[]),
        &user.pubkey(),
    );
    env.expect_error(&[ix], &[], MarginError::MissingSigner, &[cross, isolated]);
}
