//! repay: over-repayment refused, partial repayment rounded in the protocol's
//! favour, repay-all (zero debt shares left, position released) even while the pool
//! and the group are paused, and nothing left to repay afterwards.

use margin_client::{
    instructions::{self, RepayAmount},
    pda::PoolKeys,
};
use margin_interface::{error::MarginError, fixed, state::PoolStatus};
use margin_tests::{Env, Feed};
use solana_sdk::{
    pubkey::Pubkey,
    signature::{Keypair, Signer},
};

/// A borrower of 400 USDC against 10 SOL, a month of interest later (the debt is a
/// non-round number), holding 1,000 USDC to repay with.
struct Indebted {
    env: Env,
    usdc: PoolKeys,
    user: Keypair,
    margin: Pubkey,
    wallet: Pubkey,
}

impl Indebted {
    fn new() -> Self {
        let mut env = Env::new();
        let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
        let usdc = env.add_priced_pool(6, 1.0, Feed::Pull);
        let (user, margin) = env.borrower(&sol, &usdc, 10_000_000_000, 400_000_000);
        env.svm.advance_time(30 * 86_400);
        env.refresh_prices();
        let wallet = env.token_account(&usdc, &user.pubkey(), 1_000_000_000);
        Self { env, usdc, user, margin, wallet }
    }

    fn repay(&self, amount: RepayAmount) -> solana_sdk::instruction::Instruction {
        instructions::repay(&self.user.pubkey(), &self.margin, &self.usdc, &self.wallet, amount)
    }

    fn watched(&self) -> [Pubkey; 4] {
        [self.margin, self.usdc.pool, self.usdc.vault, self.wallet]
    }

    /// The debt in native units, rounded up as health rounds it.
    fn debt(&mut self) -> u128 {
        let shares = self.env.margin(&self.margin).positions[1].borrow_shares;
        fixed::mul_q64_ceil(shares, self.env.pool(&self.usdc).borrow_share_value()).unwrap()
    }
}

#[test]
fn repay_more_than_the_debt_is_refused() {
    let mut t = Indebted::new();
    let (over, watched) = (t.repay(RepayAmount::Exact(900_000_000)), t.watched());
    let user = t.user.insecure_clone();
    t.env.expect_error(&[over], &[&user], MarginError::RepayExceedsDebt, &watched);
}

#[test]
fn repay_partial_never_lowers_the_debt_by_more_than_was_paid() {
    let mut t = Indebted::new();
    t.env.svm.process(&[instructions::accrue_interest(&t.usdc.pool)], &[]).unwrap();
    let before = t.debt();
    t.env.svm.process(&[t.repay(RepayAmount::Exact(100_000_000))], &[&t.user]).unwrap();
    let after = t.debt();
    // Shares burned round down: the debt falls by the payment or less.
    assert!(after >= before - 100_000_000, "paid 100 USDC, debt fell by {}", before - after);
    assert!(after <= before - 100_000_000 + 1, "and by at most one unit less: {}", before - after);
    assert_eq!(t.env.svm.token_balance(&t.wallet), 1_000_000_000 - 100_000_000);
}

#[test]
fn repay_all_works_while_paused_and_releases_the_position() {
    let mut t = Indebted::new();
    let (admin, group) = (t.env.admin.insecure_clone(), t.env.group);
    let pause_pool = instructions::set_pool_status(&admin.pubkey(), &t.usdc, PoolStatus::Paused);
    let pause_group = instructions::set_group_pause(&admin.pubkey(), &group, true);
    t.env.svm.process(&[pause_pool, pause_group], &[&admin]).unwrap();
    // Accrue first so the debt read below is what repay-all pays.
    t.env.svm.process(&[instructions::accrue_interest(&t.usdc.pool)], &[]).unwrap();
    let debt = t.debt();
    let vault_before = t.env.svm.token_balance(&t.usdc.vault);
    t.env.svm.process(&[t.repay(RepayAmount::All)], &[&t.user]).expect("repay all while paused");
    let paid = (t.env.svm.token_balance(&t.usdc.vault) - vault_before) as u128;
    assert_eq!(paid, debt, "repay-all pays the debt rounded up");
    let account = t.env.margin(&t.margin);
    assert_eq!(account.header.position_count, 1, "the emptied debt position is released");
    assert!(account.active().iter().all(|p| p.borrow_shares == 0));
    assert_eq!(t.env.pool(&t.usdc).total_borrow_shares, 0);

    // Nothing left to repay.
    let (again, watched) = (t.repay(RepayAmount::All), t.watched());
    let user = t.user.insecure_clone();
    t.env.expect_error(&[again], &[&user], MarginError::PoolNotInAccount, &watched);
}
