//! Isolation debt ceilings: borrows of isolated accounts against isolated-only
//! collateral are tallied (micro-USD at each borrow's price) and refused past the
//! pool's ceiling; every way debt goes (repay, liquidation, write-off) releases
//! its share of the tally, so the ceiling never fills with debt that no longer
//! exists (Aave's isolation-mode bug, on the liquidation path).

use margin_client::{
    instructions::{self, RepayAmount},
    pda::PoolKeys,
};
use margin_interface::{
    error::MarginError,
    isolation::{borrowed_micro_usd, released_micro_usd},
    state::POOL_FLAG_ISOLATED_ONLY,
};
use margin_tests::{Env, Feed, Liquidator};
use solana_sdk::{pubkey::Pubkey, signature::Keypair, signer::Signer};

/// $5,000 of debt at most against the isolated-only token.
const CEILING: u64 = 5_000_000_000;

pub(crate) struct Market {
    pub(crate) env: Env,
    /// Isolated-only collateral at $100 (9 decimals) with the ceiling.
    pub(crate) token: PoolKeys,
    pub(crate) usdc: PoolKeys,
    /// Two isolated borrowers ([`A`], [`B`]), 100 tokens each.
    pub(crate) borrowers: [Borrower; 2],
}

pub(crate) const A: usize = 0;
pub(crate) const B: usize = 1;

pub(crate) struct Borrower {
    pub(crate) owner: Keypair,
    pub(crate) margin: Pubkey,
    pub(crate) usdc_wallet: Pubkey,
}

pub(crate) fn market() -> Market {
    let mut env = Env::new();
    let token = env.add_priced_pool(9, 100.0, Feed::Pull);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let mut config = env.pool(&token).config;
    config.flags = POOL_FLAG_ISOLATED_ONLY;
    config.isolated_debt_ceiling_micro_usd = CEILING;
    env.update_config(&token, config);
    env.lend(&usdc, 100_000_000_000);
    let borrower = |env: &mut Env| {
        let owner = env.user();
        let margin = env.open_isolated(&owner, 0, &token, &usdc);
        let wallet = env.token_account(&token, &owner.pubkey(), 100_000_000_000);
        env.deposit(&owner, &margin, &token, &wallet, 100_000_000_000).unwrap();
        let usdc_wallet = env.token_account(&usdc, &owner.pubkey(), 0);
        Borrower { owner, margin, usdc_wallet }
    };
    let borrowers = [borrower(&mut env), borrower(&mut env)];
    Market { env, token, usdc, borrowers }
}

impl Market {
    fn margin(&self, who: usize) -> Pubkey {
        self.borrowers[who].margin
    }

    fn tally(&mut self, who: usize) -> u64 {
        let margin = self.margin(who);
        self.env.margin(&margin).header.isolated_debt_micro_usd
    }

    fn pool_tally(&mut self) -> u64 {
        self.env.pool(&self.token).isolated_debt_micro_usd
    }

    /// What borrowing `amount` USDC adds to a tally now (the shared formula).
    fn value(&mut self, amount: u64) -> u64 {
        let price = self.env.validated_price(&self.usdc);
        let pool = self.env.pool(&self.usdc);
        borrowed_micro_usd(&pool, amount, &price).unwrap()
    }

    fn borrow_ix(&mut self, who: usize, amount: u64) -> solana_sdk::instruction::Instruction {
        let (usdc, borrower) = (self.usdc, &self.borrowers[who]);
        let (owner, margin, wallet) = (borrower.owner.insecure_clone(), borrower.margin, borrower.usdc_wallet);
        self.env.borrow_ix(&owner, &margin, &usdc, &wallet, amount)
    }

    pub(crate) fn borrow(&mut self, who: usize, amount: u64) -> Result<(), MarginError> {
        let ix = self.borrow_ix(who, amount);
        let owner = self.borrowers[who].owner.insecure_clone();
        self.env.svm.process(&[ix], &[&owner]).map(|_| ()).map_err(|f| f.margin_error().unwrap())
    }

    fn repay_ix(
        &self,
        who: usize,
        amount: RepayAmount,
        collateral: Option<&Pubkey>,
    ) -> solana_sdk::instruction::Instruction {
        let b = &self.borrowers[who];
        instructions::repay_tallied(&b.owner.pubkey(), &b.margin, &self.usdc, &b.usdc_wallet, amount, collateral)
    }

    pub(crate) fn repay(&mut self, who: usize, amount: RepayAmount) {
        let ix = self.repay_ix(who, amount, Some(&self.token.pool));
        let owner = self.borrowers[who].owner.insecure_clone();
        self.env.svm.process(&[ix], &[&owner]).expect("repay");
    }

    fn debt_shares(&mut self, who: usize) -> u64 {
        let margin = self.margin(who);
        self.env.margin(&margin).active()[1].borrow_shares
    }

    /// Every account a refused action of `who` must leave as it was.
    fn watched(&self, who: usize) -> [Pubkey; 5] {
        [self.margin(who), self.token.pool, self.usdc.pool, self.usdc.vault, self.borrowers[who].usdc_wallet]
    }

    fn expect_refused(&mut self, who: usize, ix: solana_sdk::instruction::Instruction, error: MarginError) {
        let watched = self.watched(who);
        let owner = self.borrowers[who].owner.insecure_clone();
        self.env.expect_error(&[ix], &[&owner], error, &watched);
    }
}

#[test]
fn borrows_past_the_ceiling_are_refused_and_the_tally_is_the_sum_of_the_accounts() {
    let mut m = market();
    let added = m.value(3_000_000_000);
    // $3,000 at the debt's settlement price, rounded up (USDC at $1 exactly, but
    // one native unit is a fraction of a Q64.64 micro-USD): 3,000.000001.
    assert_eq!(added, 3_000_000_001);
    m.borrow(A, 3_000_000_000).unwrap();
    assert_eq!((m.tally(A), m.pool_tally()), (added, added));

    // B's $2,500 would take the tally to $5,500: refused, nothing changes.
    let ix = m.borrow_ix(B, 2_500_000_000);
    m.expect_refused(B, ix, MarginError::IsolationDebtCeilingExceeded);
    // $1,999 fits (4,999.000002 <= 5,000).
    let b_added = m.value(1_999_000_000);
    m.borrow(B, 1_999_000_000).unwrap();
    assert_eq!(m.tally(B), b_added);
    assert_eq!(m.pool_tally(), added + b_added);
    // The ceiling is now the limit, not health: $1,001 more is refused although
    // B's Initial health allows $7,272.
    assert_eq!(m.borrow(B, 1_001_000_000), Err(MarginError::IsolationDebtCeilingExceeded));

    // A repays half: the tally falls by the same proportion of its debt shares,
    // rounded down, in the account and in the pool.
    let held = m.debt_shares(A);
    m.repay(A, RepayAmount::Exact(1_500_000_000));
    let burned = held - m.debt_shares(A);
    let released = released_micro_usd(added, burned, held);
    assert_eq!(released, 1_500_000_000);
    assert_eq!(m.tally(A), added - released);
    assert_eq!(m.pool_tally(), added - released + b_added);
    // That room is B's now.
    m.borrow(B, 1_000_000_000).unwrap();
    // Repaying everything releases all of it.
    m.repay(A, RepayAmount::All);
    assert_eq!(m.tally(A), 0);
    assert_eq!(m.pool_tally(), m.tally(B));
}

#[test]
fn a_repay_without_the_collateral_pool_is_refused_and_changes_nothing() {
    let mut m = market();
    m.borrow(A, 1_000_000_000).unwrap();
    let plain = m.repay_ix(A, RepayAmount::All, None);
    m.expect_refused(A, plain, MarginError::CollateralPoolRequired);
    // Another pool in its place, or the right one read-only.
    let wrong = m.repay_ix(A, RepayAmount::All, Some(&m.usdc.pool));
    m.expect_refused(A, wrong, MarginError::CollateralPoolRequired);
    let mut read_only = m.repay_ix(A, RepayAmount::All, Some(&m.token.pool));
    read_only.accounts[8].is_writable = false;
    m.expect_refused(A, read_only, MarginError::CollateralPoolRequired);
    // A borrow whose collateral pool (the first health account) is read-only
    // cannot tally either.
    let mut borrow = m.borrow_ix(A, 1_000_000);
    assert_eq!(borrow.accounts[9].pubkey, m.token.pool);
    borrow.accounts[9].is_writable = false;
    m.expect_refused(A, borrow, MarginError::CollateralPoolRequired);
}

#[test]
fn liquidations_and_write_offs_release_the_tally_they_burn() {
    let mut m = market();
    m.borrow(A, 3_000_000_000).unwrap();
    m.borrow(B, 1_500_000_000).unwrap();
    let (a_added, b_added) = (m.tally(A), m.tally(B));
    let (token, usdc, a) = (m.token, m.usdc, m.margin(A));

    // The token falls to $35: A (100 x 35 x 0.85 = 2,975 < 3,150) is liquidated;
    // B (1,575) is not.
    m.env.set_usd(&token, 35.0);
    let liquidator = Liquidator::new(&mut m.env, &[usdc]);
    let held = m.debt_shares(A);
    let ix = liquidator.ix(&mut m.env, &a, &token, &usdc, u64::MAX);
    m.env.svm.process(&[ix], &[&liquidator.key]).expect("liquidation");
    let burned = held - m.debt_shares(A);
    // The close factor: half the debt.
    assert_eq!(burned, held / 2);
    let released = released_micro_usd(a_added, burned, held);
    assert_eq!(m.tally(A), a_added - released);
    assert_eq!(m.pool_tally(), a_added - released + b_added, "the liquidation released A's burned share");

    // The token collapses to $5: A's collateral is seized to the last unit, and
    // the debt left is written off with the rest of its tally.
    m.env.set_usd(&token, 5.0);
    liquidator.seize_all(&mut m.env, &a, &token, &usdc);
    assert_eq!(m.pool_tally(), m.tally(A) + b_added);
    let ix = m.env.resolve_bad_debt_ix(&a, &usdc);
    m.env.svm.process(&[ix], &[]).expect("write-off");
    assert_eq!(m.tally(A), 0);
    assert_eq!(m.pool_tally(), b_added, "only B's debt is left against the ceiling");
}

#[test]
fn the_ceiling_changes_at_once_and_only_gates_new_borrows() {
    let mut m = market();
    m.borrow(A, 3_000_000_000).unwrap();
    // Lowered below the tally: applied without the delay; the existing debt and
    // A's health are untouched, only new borrows are refused.
    let a = m.margin(A);
    let health = m.env.health(&a).unwrap();
    let token = m.token;
    let mut config = m.env.pool(&token).config;
    config.isolated_debt_ceiling_micro_usd = 1_000_000_000;
    assert!(!m.env.update_config(&token, config), "a ceiling change applies at once");
    assert_eq!(m.env.health(&a).unwrap(), health);
    assert_eq!(m.borrow(A, 1_000_000), Err(MarginError::IsolationDebtCeilingExceeded));
    // Removed (0): no ceiling.
    config.isolated_debt_ceiling_micro_usd = 0;
    assert!(!m.env.update_config(&token, config));
    m.borrow(A, 3_000_000_000).unwrap();
    assert_eq!(m.pool_tally(), m.tally(A));
}
