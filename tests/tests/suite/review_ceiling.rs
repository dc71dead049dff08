//! Security review of the isolation debt ceilings (commit 86c7f0b) and the flash
//! fee (commit 46d7092). Each test asserts the SAFE behaviour, so it fails while
//! the weakness it demonstrates is present.

use margin_client::instructions::{self, RepayAmount};
use margin_interface::{error::MarginError, state::POOL_FLAG_ISOLATED_ONLY};
use margin_tests::{Env, Feed};
use solana_sdk::{pubkey::Pubkey, signer::Signer};

use super::isolation_ceiling::{market, Market, A, B};

impl Market {
    fn set_flags(&mut self, flags: u16) -> bool {
        let token = self.token;
        let mut config = self.env.pool(&token).config;
        config.flags = flags;
        self.env.update_config(&token, config)
    }
}

/// Finding (low, needs the admin to lift and restore the flag): releases are
/// proportional to ALL the account's debt shares, but only borrows made while the
/// flag is set are tallied. Lifting `POOL_FLAG_ISOLATED_ONLY` applies at once
/// (a loosening); a borrower then borrows untallied, repays that same amount, and
/// the repay releases half of the tally of the debt it still owes. Once the flag
/// is back (after the delay), the ceiling admits new debt on top of debt that is
/// still owed: total isolated debt against the token passes the ceiling.
/// Fixed: the flag cannot be lifted while the pool's tally is non-zero
/// (`IsolatedDebtOutstanding`, `Pool::check_config_change`), so tallied and
/// untallied debt never mix. The attack's first step is refused, changing nothing.
#[test]
fn review_lifting_the_flag_cannot_free_ceiling_room_that_is_still_owed() {
    let mut m = market();
    // A borrows $2,000 under the flag: tally ~$2,000.
    m.borrow(A, 2_000_000_000).unwrap();
    // The admin tries to lift the flag: refused while A's debt is tallied.
    let token = m.token;
    let mut lifted = m.env.pool(&token).config;
    lifted.flags = 0;
    let admin = m.env.admin.insecure_clone();
    let ix = instructions::update_pool_config(&admin.pubkey(), &token, lifted);
    m.env.expect_error(&[ix], &[&admin], MarginError::IsolatedDebtOutstanding, &[token.pool]);
    // Once the tally is back to zero, the flag may go (at once: a loosening).
    m.repay(A, RepayAmount::All);
    assert_eq!(m.env.pool(&token).isolated_debt_micro_usd, 0);
    assert!(!m.set_flags(0), "lifting the flag applies at once");
    // What the attack needed next is now harmless: debt borrowed without the flag
    // is untallied (documented: a flag set later counts only later borrows), and
    // A has no tallied debt whose share a repay could release.
    m.borrow(A, 2_000_000_000).unwrap();
    assert!(m.set_flags(POOL_FLAG_ISOLATED_ONLY), "setting the flag waits");
    m.repay(A, RepayAmount::Exact(1_000_000_000));
    assert_eq!(m.env.pool(&token).isolated_debt_micro_usd, 0);
    // New borrows count again from zero.
    m.borrow(B, 3_500_000_000).unwrap();
    let b = m.borrowers[B].margin;
    assert_eq!(m.env.pool(&token).isolated_debt_micro_usd, m.env.margin(&b).header.isolated_debt_micro_usd);
}

/// Finding (low, admin): `flash_fee_bps` is not compared in
/// `applies_immediately_over`, so raising it applies at once, unlike every other
/// fee (`protocol_fee_bps`, `insurance_fee_bps` and the rate curve wait out the
/// group's delay). The admin can front-run a user's signed flash transaction and
/// charge it up to 1% of its borrow (the instruction has no maximum fee); a
/// capital-less liquidation sized for the old fee fails instead. Fix: add
/// `new.flash_fee_bps <= old.flash_fee_bps` to `fees_not_higher` (or give
/// `borrow` a max-fee argument).
#[test]
fn review_raising_the_flash_fee_waits_for_the_delay() {
    let mut env = Env::new();
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let mut config = env.pool(&usdc).config;
    // Raising the protocol fee waits for the delay (a tightening)...
    let mut protocol = config;
    protocol.protocol_fee_bps = config.protocol_fee_bps + 100;
    assert!(env.update_config(&usdc, protocol), "a higher protocol fee waits for the delay");
    // ...and so must raising the flash fee.
    config = env.pool(&usdc).config;
    config.flash_fee_bps = 100;
    assert!(env.update_config(&usdc, config), "a higher flash fee must wait for the delay too");
}

/// Finding (informational, client): the documented way to repay a tallied
/// account, `repay_tallied(.., account.tallied_collateral())`, reads the tally
/// before the transaction. In a flash (or any transaction that borrows and then
/// repays) on an isolated account whose tally is still 0, the borrow starts the
/// tally and the repay built by the helper lacks the collateral pool:
/// `CollateralPoolRequired`, the whole transaction fails. (The fuzzer passes the
/// collateral by hand for exactly this reason.) Fix: have the helper take the
/// account and pass an isolated account's collateral pool always (the program
/// ignores it when nothing is released).
#[test]
fn review_the_repay_helper_works_after_a_borrow_in_the_same_transaction() {
    let mut m = market();
    let b = &m.borrowers[A];
    let (owner, margin) = (b.owner.insecure_clone(), b.margin);
    let usdc = m.usdc;
    // The borrow lands in a wallet holding 10 USDC more, which the repay pays from
    // (room for the rounding of the debt).
    let wallet = m.env.token_account(&usdc, &owner.pubkey(), 10_000_000);
    let account = m.env.margin(&margin);
    assert_eq!(account.header.isolated_debt_micro_usd, 0);
    // Control: the same flash with the collateral pool passed by hand lands.
    let token_pool = m.token.pool;
    let borrow = m.env.borrow_ix(&owner, &margin, &usdc, &wallet, 1_000_000_000);
    let repay =
        instructions::repay_tallied(&owner.pubkey(), &margin, &usdc, &wallet, RepayAmount::All, Some(&token_pool));
    let ixs = instructions::flash_wrap(&owner.pubkey(), &margin, 0, vec![borrow, repay], &[]);
    m.env.svm.process(&ixs, &[&owner]).expect("the flash with the collateral pool passed by hand");
    assert_eq!(m.env.margin(&margin).header.isolated_debt_micro_usd, 0);
    // The documented helper, from the account as fetched (tally 0).
    let borrow = m.env.borrow_ix(&owner, &margin, &usdc, &wallet, 1_000_000_000);
    let repay = instructions::repay_tallied(
        &owner.pubkey(),
        &margin,
        &usdc,
        &wallet,
        RepayAmount::All,
        account.tallied_collateral().map(Pubkey::new_from_array).as_ref(),
    );
    let steps = vec![borrow, repay];
    let ixs = instructions::flash_wrap(&owner.pubkey(), &margin, 0, steps, &[]);
    let outcome = m.env.svm.process(&ixs, &[&owner]).map(|_| ()).map_err(|f| f.margin_error());
    assert_eq!(outcome, Ok(()), "borrow and repay in one flash with the documented helper");
}
