//! Attack classes not already covered instruction by instruction (see
//! docs/security.md for the full map): type cosplay across every account type,
//! dust liquidation, and over-liquidation.

use margin_client::instructions;
use margin_interface::{error::MarginError, fixed};
use margin_tests::{Env, Feed};
use solana_sdk::{pubkey::Pubkey, signature::Signer};

#[test]
fn type_cosplay_every_account_type_in_every_program_slot() {
    let mut env = Env::new();
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let sol = env.add_priced_pool(9, 100.0, Feed::Pull);
    let user = env.user();
    let margin = env.open_cross(&user, 0);
    let wallet = env.token_account(&usdc, &user.pubkey(), 1_000_000);
    let group = env.group;
    let oracle = env.oracles[&usdc.pool].account;
    let ok = instructions::deposit(&user.pubkey(), &margin, &usdc, &wallet, 1_000);
    // (slot account, impostor, expected error)
    let cases: Vec<(Pubkey, Pubkey, MarginError)> = vec![
        (group, sol.pool, MarginError::InvalidDiscriminator), // pool as group
        (group, margin, MarginError::InvalidDiscriminator),   // margin account as group
        (group, usdc.vault, MarginError::InvalidAccountOwner), // token account as group
        (group, oracle, MarginError::InvalidAccountOwner),    // oracle as group
        (usdc.pool, group, MarginError::InvalidDiscriminator), // group as pool
        (usdc.pool, usdc.vault, MarginError::InvalidAccountOwner),
        (usdc.pool, oracle, MarginError::InvalidAccountOwner),
        (margin, group, MarginError::InvalidDiscriminator), // group as margin account
        (margin, sol.pool, MarginError::InvalidDiscriminator), // pool as margin account
        (margin, oracle, MarginError::InvalidAccountOwner),
        (usdc.vault, wallet, MarginError::InvalidVault), // user token account as vault
        (wallet, oracle, MarginError::InvalidTokenAccount), // oracle as token account
        (usdc.mint, usdc.vault, MarginError::InvalidMint), // token account as mint
    ];
    for (slot, impostor, error) in cases {
        let ix = margin_tests::swap_account(ok.clone(), &slot, &impostor);
        env.expect_error(&[ix], &[&user], error, &[margin, usdc.pool, usdc.vault, wallet, group]);
    }
    env.svm.process(&[ok], &[&user]).expect("the honest deposit still works");
}

/// A borrower of `debt_usdc` against 10 SOL, crashed to `crash_usd`.
fn crashed(
    debt_usdc: u64,
    crash_usd: f64,
    dust_micro_usd: u64,
) -> (Env, margin_client::pda::PoolKeys, margin_client::pda::PoolKeys, Pubkey) {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Pull);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let mut config = env.pool(&usdc).config;
    config.dust_threshold_micro_usd = dust_micro_usd;
    env.update_config(&usdc, config);
    let (_, victim) = env.underwater(&sol, &usdc, 10_000_000_000, debt_usdc, crash_usd);
    (env, sol, usdc, victim)
}

fn liquidate_all(
    env: &mut Env,
    sol: &margin_client::pda::PoolKeys,
    usdc: &margin_client::pda::PoolKeys,
    victim: &Pubkey,
) -> u64 {
    let liquidator = env.user();
    let margin = env.open_cross(&liquidator, 0);
    let wallet = env.token_account(usdc, &liquidator.pubkey(), 1_000_000_000_000);
    let metas = env.health_metas_after(victim, None);
    let ix = instructions::liquidate(&liquidator.pubkey(), &margin, victim, sol, usdc, &wallet, u64::MAX, &metas, &[]);
    env.svm.process(&[ix], &[&liquidator]).expect("liquidate");
    1_000_000_000_000 - env.svm.token_balance(&wallet)
}

#[test]
fn dust_debt_is_closed_in_full_despite_the_close_factor() {
    // 0.8 USDC of debt, dust threshold $1: one liquidation repays all of it.
    let (mut env, sol, usdc, victim) = crashed(800_000, 0.09, 1_000_000);
    let repaid = liquidate_all(&mut env, &sol, &usdc, &victim);
    assert_eq!(repaid, 800_000, "the whole dust debt");
    assert!(env.margin(&victim).active().iter().all(|p| p.borrow_shares == 0));
    // Without the dust rule the close factor (50%) applies.
    let (mut env, sol, usdc, victim) = crashed(800_000, 0.09, 0);
    assert_eq!(liquidate_all(&mut env, &sol, &usdc, &victim), 400_000);
}

#[test]
fn liquidation_never_overshoots_the_target() {
    // Barely unhealthy: the target (5% of weighted liabilities) binds before the
    // close factor, so the liquidation stops there.
    let (mut env, sol, usdc, victim) = crashed(700_000_000, 86.0, 1_000_000);
    let before = env.health(&victim).unwrap();
    assert!(before.maintenance < 0);
    let repaid = liquidate_all(&mut env, &sol, &usdc, &victim);
    assert!(repaid < 350_000_000, "stopped before the close factor ({repaid})");
    let after = env.health(&victim).unwrap();
    let debt = fixed::mul_q64_ceil(env.margin(&victim).active()[1].borrow_shares, env.pool(&usdc).borrow_share_value())
        .unwrap();
    let liabilities_before = (700_000_000.0 / 1e6) * 1.05;
    let after_usd = margin_client::health::to_usd(after.maintenance);
    assert!(after_usd > 0.0, "healthy again");
    assert!(after_usd <= 0.05 * liabilities_before + 0.01, "no over-liquidation: {after_usd} > target");
    assert!(debt < 700_000_000);
}
