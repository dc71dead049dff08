//! Every oracle rejection, for both Pyth formats, through a real borrow (on the
//! borrowed pool's oracle: an unpriced debt fails closed with the oracle's own
//! error, while an unpriced deposit only counts zero); and the paths that must
//! keep working with a stale oracle (repay, no-debt withdraw).

use margin_client::{
    instructions::{self, RepayAmount, WithdrawAmount},
    oracle as pyth,
};
use margin_interface::{
    error::MarginError,
    oracle::{OraclePrice, Verification, PYTH_LEGACY_PROGRAM_ID, PYTH_RECEIVER_PROGRAM_ID},
};
use margin_tests::{usd_price, Env, Feed};
use solana_sdk::{
    pubkey::Pubkey,
    signature::{Keypair, Signer},
};

struct Scene {
    env: Env,
    sol: margin_client::pda::PoolKeys,
    usdc: margin_client::pda::PoolKeys,
    borrower: Keypair,
    margin: Pubkey,
    wallet: Pubkey,
}

/// A SOL-collateral borrower of USDC, with USDC's oracle in `feed` format.
fn scene(feed: Feed) -> Scene {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let usdc = env.add_priced_pool(6, 1.0, feed);
    env.lend(&usdc, 10_000_000_000);
    let borrower = env.user();
    let margin = env.open_cross(&borrower, 0);
    let sol_wallet = env.token_account(&sol, &borrower.pubkey(), 10_000_000_000);
    env.deposit(&borrower, &margin, &sol, &sol_wallet, 10_000_000_000).unwrap();
    let wallet = env.token_account(&usdc, &borrower.pubkey(), 0);
    Scene { env, sol, usdc, borrower, margin, wallet }
}

impl Scene {
    fn expect_borrow_error(&mut self, expected: MarginError) {
        let ix = self.env.borrow_ix(&self.borrower, &self.margin, &self.usdc, &self.wallet, 100_000_000);
        let watched = [self.margin, self.usdc.pool, self.usdc.vault, self.wallet, self.sol.pool];
        self.env.expect_error(&[ix], &[&self.borrower], expected, &watched);
    }

    /// USDC's price now.
    fn price(&self) -> OraclePrice {
        usd_price(1.0, self.env.svm.now())
    }
}

#[test]
fn price_rejections_for_both_formats() {
    for feed in [Feed::Legacy, Feed::Pull] {
        let mut s = scene(feed);
        let base = s.price();
        let cases: Vec<(OraclePrice, MarginError)> = vec![
            (OraclePrice { price: 0, ..base }, MarginError::OracleNonPositivePrice),
            (OraclePrice { price: -5, ..base }, MarginError::OracleNonPositivePrice),
            (OraclePrice { ema_price: 0, ..base }, MarginError::OracleNonPositivePrice),
            (OraclePrice { expo: -19, ..base }, MarginError::OracleExponentOutOfRange),
            (OraclePrice { expo: 1, ..base }, MarginError::OracleExponentOutOfRange),
            // 6% confidence against a 5% limit.
            (OraclePrice { conf: base.price as u64 * 6 / 100, ..base }, MarginError::OracleConfidenceTooWide),
            (OraclePrice { publish_time: base.publish_time - 61, ..base }, MarginError::OracleStale),
        ];
        for (price, error) in cases {
            s.env.set_price(&s.usdc, price);
            s.expect_borrow_error(error);
        }
        // The same outage on the collateral values it at zero: no borrowing power.
        s.env.set_price(&s.usdc, base);
        s.env.set_price(
            &s.sol,
            OraclePrice { publish_time: base.publish_time - 61, ..usd_price(100.0, base.publish_time) },
        );
        s.expect_borrow_error(MarginError::InsufficientHealth);
        s.env.set_price(&s.sol, usd_price(100.0, base.publish_time));
        // Exactly at the limits is accepted.
        s.env.set_price(
            &s.usdc,
            OraclePrice { conf: base.price as u64 * 5 / 100, publish_time: base.publish_time - 60, ..base },
        );
        s.env.borrow(&s.borrower, &s.margin, &s.usdc, &s.wallet, 1_000_000).expect("5% conf, 60 s old");
    }
}

#[test]
fn account_identity_rejections() {
    // Legacy: wrong owner, wrong account, not trading, garbage.
    let mut s = scene(Feed::Legacy);
    let price = s.price();
    s.env.write_oracle_raw(&s.usdc, pyth::legacy_trading(&price), Pubkey::new_unique().to_bytes());
    s.expect_borrow_error(MarginError::OracleWrongOwner);
    s.env.write_oracle_raw(&s.usdc, pyth::legacy_price_account(&price, 2), PYTH_LEGACY_PROGRAM_ID);
    s.expect_borrow_error(MarginError::OracleNotTrading);
    let mut garbage = pyth::legacy_trading(&price);
    garbage[0] ^= 0xff;
    s.env.write_oracle_raw(&s.usdc, garbage, PYTH_LEGACY_PROGRAM_ID);
    s.expect_borrow_error(MarginError::OracleInvalidData);
    s.env.set_price(&s.usdc, price);
    // USDC's (valid, legacy) oracle passed for SOL.
    let usdc_oracle = s.env.oracles[&s.usdc.pool].account;
    let sol_oracle = s.env.oracles[&s.sol.pool].account;
    let ix = s.env.borrow_ix(&s.borrower, &s.margin, &s.usdc, &s.wallet, 1_000);
    let ix = margin_tests::swap_account(ix, &sol_oracle, &usdc_oracle);
    let failure = s.env.svm.process(&[ix], &[&s.borrower]).expect_err("foreign oracle");
    assert_eq!(failure.margin_error(), Some(MarginError::OracleWrongAccount));

    // Pull: wrong owner, wrong feed id, partial verification, garbage.
    let mut s = scene(Feed::Pull);
    let price = s.price();
    let feed_id = s.env.oracles[&s.usdc.pool].address;
    s.env.write_oracle_raw(
        &s.usdc,
        pyth::price_update_v2(&feed_id, Verification::Full, &price, 1),
        PYTH_LEGACY_PROGRAM_ID,
    );
    s.expect_borrow_error(MarginError::OracleWrongOwner);
    s.env.write_oracle_raw(
        &s.usdc,
        pyth::price_update_v2(&[9; 32], Verification::Full, &price, 1),
        PYTH_RECEIVER_PROGRAM_ID,
    );
    s.expect_borrow_error(MarginError::OracleWrongAccount);
    let partial = Verification::Partial { num_signatures: 5 };
    s.env.write_oracle_raw(&s.usdc, pyth::price_update_v2(&feed_id, partial, &price, 1), PYTH_RECEIVER_PROGRAM_ID);
    s.expect_borrow_error(MarginError::OraclePartiallyVerified);
    s.env.write_oracle_raw(&s.usdc, vec![0; 134], PYTH_RECEIVER_PROGRAM_ID);
    s.expect_borrow_error(MarginError::OracleInvalidData);

    // A pool that accepts partial verification takes the same update (an oracle
    // rule change: applied after the group's delay).
    let mut config = s.env.pool(&s.usdc).config;
    config.oracle.require_full_verification = 0;
    assert!(s.env.update_config(&s.usdc, config));
    let price = s.price();
    s.env.write_oracle_raw(&s.usdc, pyth::price_update_v2(&feed_id, partial, &price, 1), PYTH_RECEIVER_PROGRAM_ID);
    s.env.borrow(&s.borrower, &s.margin, &s.usdc, &s.wallet, 1_000_000).expect("partial accepted by config");
}

#[test]
fn stale_oracle_never_blocks_repay_or_debt_free_withdrawal() {
    let mut s = scene(Feed::Pull);
    s.env.borrow(&s.borrower, &s.margin, &s.usdc, &s.wallet, 100_000_000).unwrap();
    s.env.svm.advance_time(3_600); // every price is now an hour old
    s.expect_borrow_error(MarginError::OracleStale);

    // Repay needs no price.
    let repay_wallet = s.env.token_account(&s.usdc, &s.borrower.pubkey(), 200_000_000);
    let ix = instructions::repay(&s.borrower.pubkey(), &s.margin, &s.usdc, &repay_wallet, RepayAmount::All);
    s.env.svm.process(&[ix], &[&s.borrower]).expect("repay with a stale oracle");
    assert!(s.env.margin(&s.margin).active().iter().all(|p| p.borrow_shares == 0));
    // Without debt, withdrawing needs no price either.
    let sol_back = s.env.token_account(&s.sol, &s.borrower.pubkey(), 0);
    let ix = instructions::withdraw(&s.borrower.pubkey(), &s.margin, &s.sol, &sol_back, WithdrawAmount::All);
    s.env.svm.process(&[ix], &[&s.borrower]).expect("debt-free withdraw with a stale oracle");
    assert_eq!(s.env.svm.token_balance(&sol_back), 10_000_000_000);
}
