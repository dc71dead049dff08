//! collect_fees: the protocol's share of interest leaves the vault, only to the
//! fee destination, never out of depositors' withdrawable liquidity.

use margin_client::instructions;
use margin_interface::{error::MarginError, fixed, SECONDS_PER_YEAR};
use margin_tests::{swap_account, Env};
use solana_sdk::signature::Signer;

#[test]
fn collect_fees_pays_whole_units_to_the_fee_destination() {
    let mut env = Env::new();
    let usdc = env.add_pool(6);
    let admin = env.admin.insecure_clone();
    let fee_owner = env.fee_owner.insecure_clone();
    let fee_account = env.token_account(&usdc, &fee_owner.pubkey(), 0);
    let stranger = env.user();
    let stranger_account = env.token_account(&usdc, &stranger.pubkey(), 0);

    // Deposits of 10M with 8M lent out (staged), vault holding the 2M idle plus 1M
    // of repaid interest.
    let now = env.svm.now();
    env.write_pool(&usdc, |pool| {
        pool.total_deposit_shares = 10_000_000;
        pool.total_borrow_shares = 8_000_000;
        pool.last_accrual_ts = now;
    });
    env.svm.set_token_account(&usdc.vault, &usdc.mint, &usdc.vault_authority, 3_000_000, &usdc.token_program);
    env.svm.advance_time(SECONDS_PER_YEAR as i64);

    // Nothing collected yet: wrong destination owner, not admin.
    let ix = instructions::collect_fees(&admin.pubkey(), &usdc, &stranger_account);
    env.expect_error(&[ix], &[&admin], MarginError::InvalidFeeDestination, &[usdc.pool, usdc.vault, stranger_account]);
    let ix = instructions::collect_fees(&stranger.pubkey(), &usdc, &fee_account);
    env.expect_error(&[ix], &[&stranger], MarginError::Unauthorized, &[usdc.pool, usdc.vault, fee_account]);
    let ix = swap_account(instructions::collect_fees(&admin.pubkey(), &usdc, &fee_account), &usdc.vault, &fee_account);
    env.expect_error(&[ix], &[&admin], MarginError::InvalidVault, &[usdc.pool, usdc.vault, fee_account]);

    env.svm.process(&[instructions::collect_fees(&admin.pubkey(), &usdc, &fee_account)], &[&admin]).expect("collect");
    let pool = env.pool(&usdc);
    let paid = env.svm.token_balance(&fee_account);
    // 80% utilization on the default curve: 4% + (10%-4%) * (80-50)/(80-50) = 10% APR;
    // 800,000 of interest a year, 10% of it to the protocol.
    assert_eq!(paid, 80_000);
    assert_eq!(env.svm.token_balance(&usdc.vault), 3_000_000 - 80_000);
    assert!(fixed::load(&pool.protocol_fees) < fixed::ONE, "only the fraction of a unit remains");
    assert_eq!(pool.insurance_fund_native(), 40_000, "insurance keeps its 5%");
    // Depositors can still take out everything that is idle.
    let idle = pool.total_deposits().unwrap() - pool.total_debt().unwrap();
    assert!(env.svm.token_balance(&usdc.vault) as u128 >= idle);

    // Nothing left: a second call fails cleanly.
    let ix = instructions::collect_fees(&admin.pubkey(), &usdc, &fee_account);
    env.expect_error(&[ix], &[&admin], MarginError::ZeroAmount, &[usdc.pool, usdc.vault, fee_account]);
}
