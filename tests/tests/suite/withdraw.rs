//! withdraw: exact and all, rounding, liquidity, status, and rejections.

use margin_client::instructions::{self, WithdrawAmount};
use margin_interface::{error::MarginError, fixed, state::PoolStatus};
use margin_tests::{strip_signer, swap_account, Env};
use solana_sdk::signature::Signer;

#[test]
fn withdraw_exact_then_all_releases_the_position() {
    let mut env = Env::new();
    let usdc = env.add_pool(6);
    let sol = env.add_pool(9);
    let user = env.user();
    let margin = env.open_cross(&user, 0);
    let usdc_source = env.token_account(&usdc, &user.pubkey(), 1_000_000);
    let sol_source = env.token_account(&sol, &user.pubkey(), 1_000_000);
    env.deposit(&user, &margin, &usdc, &usdc_source, 600_000).unwrap();
    env.deposit(&user, &margin, &sol, &sol_source, 700_000).unwrap();

    let ix = instructions::withdraw(&user.pubkey(), &margin, &usdc, &usdc_source, WithdrawAmount::Exact(100_000));
    env.svm.process(&[ix], &[&user]).expect("exact");
    assert_eq!(env.svm.token_balance(&usdc_source), 500_000);
    assert_eq!(env.margin(&margin).positions[0].deposit_shares, 500_000);

    let ix = instructions::withdraw(&user.pubkey(), &margin, &usdc, &usdc_source, WithdrawAmount::All);
    env.svm.process(&[ix], &[&user]).expect("all");
    assert_eq!(env.svm.token_balance(&usdc_source), 1_000_000);
    assert_eq!(env.svm.token_balance(&usdc.vault), 0);
    assert_eq!(env.pool(&usdc).total_deposit_shares, 0);
    // The emptied slot is released and the SOL position moves up, order kept.
    let account = env.margin(&margin);
    assert_eq!(account.header.position_count, 1);
    assert_eq!(account.positions[0].pool, sol.pool.to_bytes());
    assert_eq!(account.positions[1].pool, [0; 32]);

    let ix = instructions::withdraw(&user.pubkey(), &margin, &usdc, &usdc_source, WithdrawAmount::Exact(1));
    env.expect_error(&[ix], &[&user], MarginError::PoolNotInAccount, &[margin, usdc.pool]);
}

#[test]
fn withdraw_rejections_change_nothing() {
    let mut env = Env::new();
    let usdc = env.add_pool(6);
    let sol = env.add_pool(9);
    let admin = env.admin.insecure_clone();
    let user = env.user();
    let margin = env.open_cross(&user, 0);
    let source = env.token_account(&usdc, &user.pubkey(), 1_000_000);
    let sol_destination = env.token_account(&sol, &user.pubkey(), 0);
    env.deposit(&user, &margin, &usdc, &source, 500_000).unwrap();
    let watched = [margin, usdc.pool, usdc.vault, source, sol_destination];
    let ok = instructions::withdraw(&user.pubkey(), &margin, &usdc, &source, WithdrawAmount::Exact(1_000));

    let too_much = instructions::withdraw(&user.pubkey(), &margin, &usdc, &source, WithdrawAmount::Exact(500_001));
    env.expect_error(&[too_much], &[&user], MarginError::InsufficientShares, &watched);
    let zero = instructions::withdraw(&user.pubkey(), &margin, &usdc, &source, WithdrawAmount::Exact(0));
    env.expect_error(&[zero], &[&user], MarginError::ZeroAmount, &watched);
    env.expect_error(&[strip_signer(ok.clone(), &user.pubkey())], &[], MarginError::MissingSigner, &watched);
    env.expect_error(
        &[swap_account(ok.clone(), &source, &sol_destination)],
        &[&user],
        MarginError::InvalidTokenAccount,
        &watched,
    );
    env.expect_error(
        &[swap_account(ok.clone(), &source, &usdc.vault)],
        &[&user],
        MarginError::DuplicateAccount,
        &watched,
    );
    env.expect_error(
        &[swap_account(ok.clone(), &usdc.vault_authority, &sol.vault_authority)],
        &[&user],
        MarginError::InvalidPda,
        &watched,
    );
    env.expect_error(
        &[swap_account(ok.clone(), &usdc.vault, &sol.vault)],
        &[&user],
        MarginError::InvalidVault,
        &watched,
    );
    // Another user's account.
    let thief = env.user();
    let thief_destination = env.token_account(&usdc, &thief.pubkey(), 0);
    let ix = instructions::withdraw(&thief.pubkey(), &margin, &usdc, &thief_destination, WithdrawAmount::All);
    env.expect_error(&[ix], &[&thief], MarginError::Unauthorized, &watched);

    // Paused refuses; reduce-only allows.
    env.svm.process(&[instructions::set_pool_status(&admin.pubkey(), &usdc, PoolStatus::Paused)], &[&admin]).unwrap();
    env.expect_error(std::slice::from_ref(&ok), &[&user], MarginError::PoolPaused, &watched);
    env.svm
        .process(&[instructions::set_pool_status(&admin.pubkey(), &usdc, PoolStatus::ReduceOnly)], &[&admin])
        .unwrap();
    env.svm.process(&[ok], &[&user]).expect("reduce-only still lets depositors leave");
}

#[test]
fn repeated_small_cycles_never_gain() {
    // With a share value of 1.37, every deposit rounds shares down and every
    // withdrawal rounds shares burned up: cycling can only lose.
    let mut env = Env::new();
    let usdc = env.add_pool(6);
    env.lend(&usdc, 10_000_000);
    // Raise the deposit share value as years of interest would (vault backs it).
    env.write_pool(&usdc, |pool| pool.deposit_share_value = fixed::store(fixed::ONE + fixed::ONE * 37 / 100));
    let vault_balance = 13_700_000;
    env.svm.set_token_account(&usdc.vault, &usdc.mint, &usdc.vault_authority, vault_balance, &usdc.token_program);

    let user = env.user();
    let margin = env.open_cross(&user, 0);
    let start = 1_000;
    let source = env.token_account(&usdc, &user.pubkey(), start);
    for amount in [1u64, 2, 3, 5, 7] {
        for _ in 0..4 {
            let balance = env.svm.token_balance(&source);
            match env.deposit(&user, &margin, &usdc, &source, amount) {
                Ok(_) => {}
                Err(failure) => {
                    assert_eq!(failure.margin_error(), Some(MarginError::ZeroAmount));
                    continue;
                }
            }
            let ix = instructions::withdraw(&user.pubkey(), &margin, &usdc, &source, WithdrawAmount::All);
            if env.svm.process(&[ix], &[&user]).is_err() {
                // Shares worth less than one unit cannot be withdrawn: a loss, not a gain.
                continue;
            }
            assert!(env.svm.token_balance(&source) <= balance, "a deposit/withdraw cycle gained");
        }
    }
    assert!(env.svm.token_balance(&source) <= start);
}
