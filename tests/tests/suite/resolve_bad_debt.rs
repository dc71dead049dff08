//! resolve_bad_debt: dust collateral swept and the debt written off, refusals
//! while collateral worth liquidating remains or the account is solvent, and a
//! total write-off that leaves the pool usable (audit M-1 and the economic review).

use margin_client::instructions;
use margin_interface::{error::MarginError, fixed};
use margin_tests::{Env, Feed, Liquidator};
use solana_sdk::signature::Signer;

/// M-1: after every priced unit of collateral is seized, 10 lamports deposited by
/// the owner no longer keep the debt from being written off: they are swept to
/// the SOL pool's insurance fund in the same instruction.
#[test]
fn dust_collateral_is_swept_and_the_debt_written_off() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let (user, margin) = env.borrower(&sol, &usdc, 10_000_000_000, 700_000_000);
    env.set_usd(&sol, 20.0);
    let liquidator = Liquidator::new(&mut env, &[usdc]);
    liquidator.seize_all(&mut env, &margin, &sol, &usdc);
    let dust_wallet = env.token_account(&sol, &user.pubkey(), 10);
    env.deposit(&user, &margin, &sol, &dust_wallet, 10).unwrap();
    let insurance_before = fixed::load(&env.pool(&sol).insurance_fund);
    let shares_before = env.pool(&sol).total_deposit_shares;

    let ix = env.resolve_bad_debt_ix(&margin, &usdc);
    env.svm.process(&[ix], &[]).expect("dust does not block the write-off");
    let account = env.margin(&margin);
    assert_eq!(account.header.position_count, 0, "debt written off, dust swept");
    let sol_pool = env.pool(&sol);
    let dust_shares = shares_before - sol_pool.total_deposit_shares;
    assert_eq!(dust_shares, 10, "ten units at a share value of one");
    assert_eq!(
        fixed::load(&sol_pool.insurance_fund) - insurance_before,
        10u128 << 64,
        "the dust is the insurance fund's"
    );
}

/// M-1's converse: a solvent account with dust on both sides (collateral under the
/// threshold, an even smaller debt) is not anyone's to sweep.
#[test]
fn a_solvent_dust_account_cannot_be_written_off() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let (_user, margin) = env.borrower(&sol, &usdc, 10_000_000_000, 100_000); // 0.10 USDC of debt
    env.set_usd(&sol, 0.09); // 10 SOL = $0.90: under the $1 threshold, above the debt
    let ix = env.resolve_bad_debt_ix(&margin, &usdc);
    env.expect_error(&[ix], &[], MarginError::NotBankrupt, &[margin, sol.pool, usdc.pool]);
}

/// M-1: collateral worth more than the dust threshold still blocks the write-off
/// (it must be liquidated), and nothing changes.
#[test]
fn collateral_above_dust_blocks_the_write_off() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let (_user, margin) = env.borrower(&sol, &usdc, 10_000_000_000, 700_000_000);
    env.set_usd(&sol, 20.0);
    let ix = env.resolve_bad_debt_ix(&margin, &usdc);
    env.expect_error(&[ix], &[], MarginError::NotBankrupt, &[margin, sol.pool, usdc.pool]);
}

/// Economic review: a total write-off must not leave a pool with a deposit share
/// value of zero (every later deposit would divide by zero and old lenders could
/// never close). The value is floored at one raw unit, worthless shares can be
/// withdrawn (burned) for nothing, and an emptied pool restarts at one.
#[test]
fn a_total_write_off_leaves_a_pool_lenders_can_leave_and_others_can_reuse() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let (lender, lender_margin) = env.lend(&usdc, 100_000_000);
    let user = env.user();
    let margin = env.open_cross(&user, 0);
    let sol_wallet = env.token_account(&sol, &user.pubkey(), 2_000_000_000);
    env.deposit(&user, &margin, &sol, &sol_wallet, 2_000_000_000).unwrap();
    let usdc_wallet = env.token_account(&usdc, &user.pubkey(), 0);
    env.borrow(&user, &margin, &usdc, &usdc_wallet, 100_000_000).unwrap();
    // Years of unpaid interest double the debt (the protocol's fee share is not
    // the depositors'), then SOL collapses.
    env.write_pool(&usdc, |pool| pool.borrow_share_value = fixed::store(2 * fixed::ONE));
    env.set_usd(&sol, 1.0);
    let liquidator = Liquidator::new(&mut env, &[usdc]);
    let ix = liquidator.ix(&mut env, &margin, &sol, &usdc, u64::MAX);
    env.svm.process(&[ix], &[&liquidator.key]).expect("all collateral seized");
    let ix = env.resolve_bad_debt_ix(&margin, &usdc);
    env.svm.process(&[ix], &[]).expect("write-off");
    assert_eq!(env.pool(&usdc).deposit_share_value(), 1, "floored at one raw unit, not zero");

    // The lender's shares are worth nothing: withdrawing all burns them, and the
    // account closes.
    let lender_wallet = env.token_account(&usdc, &lender.pubkey(), 0);
    let ix = instructions::withdraw(
        &lender.pubkey(),
        &lender_margin,
        &usdc,
        &lender_wallet,
        instructions::WithdrawAmount::All,
    );
    env.svm.process(&[ix], &[&lender]).expect("burn worthless shares");
    assert_eq!(env.svm.token_balance(&lender_wallet), 0);
    assert_eq!(env.pool(&usdc).total_deposit_shares, 0);
    let ix = instructions::close_margin_account(&lender.pubkey(), &lender_margin, &lender.pubkey());
    env.svm.process(&[ix], &[&lender]).expect("the lender closes");

    // A new lender restarts the pool at one unit per share and gets it all back.
    let (late, late_margin) = env.lend(&usdc, 50_000_000);
    assert_eq!(env.pool(&usdc).deposit_share_value(), fixed::ONE);
    let late_wallet = env.token_account(&usdc, &late.pubkey(), 0);
    let ix =
        instructions::withdraw(&late.pubkey(), &late_margin, &usdc, &late_wallet, instructions::WithdrawAmount::All);
    env.svm.process(&[ix], &[&late]).expect("withdraw");
    assert_eq!(env.svm.token_balance(&late_wallet), 50_000_000);
}

/// Fuzzer find (seed 102): a bankrupt account with two debts, one of whose feeds
/// is out. Equity counted that debt as an error, so neither debt could be written
/// off until the feed returned. An unpriced debt now counts zero (Equity stays an
/// upper bound, so "< 0" still proves insolvency), and an account with no
/// collateral left needs no price at all: both debts are written off.
#[test]
fn a_halted_debt_feed_does_not_stall_the_write_off() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let usdt = env.add_priced_pool(6, 1.0, Feed::Legacy);
    env.lend(&usdt, 10_000_000_000);
    let (user, margin) = env.borrower(&sol, &usdc, 10_000_000_000, 700_000_000);
    let usdt_wallet = env.token_account(&usdt, &user.pubkey(), 0);
    env.borrow(&user, &margin, &usdt, &usdt_wallet, 10_000_000).unwrap(); // 10 USDT
                                                                          // SOL collapses; every unit of it is seized against the USDC debt.
    env.set_usd(&sol, 20.0);
    let liquidator = Liquidator::new(&mut env, &[usdc]);
    liquidator.seize_all(&mut env, &margin, &sol, &usdc);
    // USDT's feed halts.
    let mut halted = margin_client::oracle::legacy_trading(&env.oracles[&usdt.pool].price);
    halted[224] = 0; // aggregate status: not Trading
    env.write_oracle_raw(&usdt, halted, margin_interface::oracle::PYTH_LEGACY_PROGRAM_ID);

    for debt in [&usdc, &usdt] {
        let ix = env.resolve_bad_debt_ix(&margin, debt);
        env.svm.process(&[ix], &[]).expect("written off despite the halted feed");
        assert_eq!(env.pool(debt).total_borrow_shares, 0, "nothing else borrowed there");
    }
    assert_eq!(env.margin(&margin).header.position_count, 0);
}

/// Fuzzer find (seed 102): after a write-off lowered a pool's deposit share value
/// below one, a 1-share deposit is worth 0 native units. With a dust threshold of 0
/// it was "not dust", and it can't be liquidated (nothing to seize): the debt was
/// stuck. A deposit worth nothing is dust whatever the threshold.
#[test]
fn a_deposit_worth_zero_units_never_blocks_the_write_off() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let (user, margin) = env.borrower(&sol, &usdc, 10_000_000_000, 700_000_000);
    env.set_usd(&sol, 20.0);
    let liquidator = Liquidator::new(&mut env, &[usdc]);
    liquidator.seize_all(&mut env, &margin, &sol, &usdc);
    let wallet = env.token_account(&sol, &user.pubkey(), 1);
    env.deposit(&user, &margin, &sol, &wallet, 1).unwrap(); // one share
                                                            // A past write-off left SOL's share value at one half; no dust threshold.
    env.write_pool(&sol, |pool| {
        pool.deposit_share_value = fixed::store(fixed::ONE / 2);
        pool.config.dust_threshold_micro_usd = 0;
    });
    let ix = liquidator.ix(&mut env, &margin, &sol, &usdc, u64::MAX);
    let watched = [margin, sol.pool, usdc.pool];
    env.expect_error(&[ix], &[&liquidator.key], MarginError::NothingToLiquidate, &watched);
    let ix = env.resolve_bad_debt_ix(&margin, &usdc);
    env.svm.process(&[ix], &[]).expect("the worthless share is swept and the debt written off");
    assert_eq!(env.margin(&margin).header.position_count, 0);
}
