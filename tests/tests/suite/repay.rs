//! repay: partial, exact, all (zero debt shares left), over-repayment, paused pools
//! and groups, and rounding in the protocol's favour.

use margin_client::instructions::{self, RepayAmount};
use margin_interface::{error::MarginError, fixed, state::PoolStatus};
use margin_tests::{Env, Feed};
use solana_sdk::signature::Signer;

#[test]
fn repay_partial_then_all_leaves_no_debt() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Pull);
    let admin = env.admin.insecure_clone();
    let group = env.group;
    env.lend(&usdc, 10_000_000_000);
    let user = env.user();
    let margin = env.open_cross(&user, 0);
    let sol_wallet = env.token_account(&sol, &user.pubkey(), 10_000_000_000);
    env.deposit(&user, &margin, &sol, &sol_wallet, 10_000_000_000).unwrap();
    let wallet = env.token_account(&usdc, &user.pubkey(), 0);
    env.borrow(&user, &margin, &usdc, &wallet, 400_000_000).unwrap();
    // A month of interest makes the debt a non-round number.
    env.svm.advance_time(30 * 86_400);
    env.refresh_prices();
    env.svm.set_token_account(&wallet, &usdc.mint, &user.pubkey(), 1_000_000_000, &usdc.token_program);
    let watched = [margin, usdc.pool, usdc.vault, wallet];

    let over = instructions::repay(&user.pubkey(), &margin, &usdc, &wallet, RepayAmount::Exact(900_000_000));
    env.expect_error(&[over], &[&user], MarginError::RepayExceedsDebt, &watched);

    // Partial repayment burns shares rounded down: the remaining debt never shrinks
    // by more than was paid.
    let before = env.margin(&margin).positions[1].borrow_shares;
    let value = env.pool(&usdc).borrow_share_value();
    let debt_before = fixed::mul_q64_ceil(before, value).unwrap();
    env.svm
        .process(
            &[instructions::repay(&user.pubkey(), &margin, &usdc, &wallet, RepayAmount::Exact(100_000_000))],
            &[&user],
        )
        .unwrap();
    let after = env.margin(&margin).positions[1].borrow_shares;
    let value = env.pool(&usdc).borrow_share_value();
    let debt_after = fixed::mul_q64_ceil(after, value).unwrap();
    assert!(debt_after >= debt_before - 100_000_000, "paid 100 USDC, debt fell by {}", debt_before - debt_after);
    assert_eq!(env.svm.token_balance(&wallet), 900_000_000);

    // Pause the pool and the group: repaying still works.
    env.svm
        .process(&[instructions::set_pool_status(&admin.pubkey(), &group, &usdc.pool, PoolStatus::Paused)], &[&admin])
        .unwrap();
    env.svm.process(&[instructions::set_group_pause(&admin.pubkey(), &group, true)], &[&admin]).unwrap();
    let vault_before = env.svm.token_balance(&usdc.vault);
    env.svm
        .process(&[instructions::repay(&user.pubkey(), &margin, &usdc, &wallet, RepayAmount::All)], &[&user])
        .expect("repay all while paused");
    let paid = vault_before.abs_diff(env.svm.token_balance(&usdc.vault)) as u128;
    assert_eq!(paid, debt_after, "repay-all pays the debt rounded up");
    let account = env.margin(&margin);
    assert_eq!(account.header.position_count, 1, "the emptied debt position is released");
    assert!(account.active().iter().all(|p| p.borrow_shares == 0));
    assert_eq!(env.pool(&usdc).total_borrow_shares, 0);

    // Nothing left to repay.
    let again = instructions::repay(&user.pubkey(), &margin, &usdc, &wallet, RepayAmount::All);
    env.expect_error(&[again], &[&user], MarginError::PoolNotInAccount, &watched);
}
