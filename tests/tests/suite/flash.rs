//! Flash loans: `flash_begin` / `flash_end` on one margin account. The use they
//! serve (a liquidator with no tokens liquidates and ends with a profit in one
//! transaction) and every refusal, each leaving the accounts as they were.

use margin_client::instructions::{self, RepayAmount, WithdrawAmount};
use margin_interface::{error::MarginError, fixed};
use margin_sim::swap;
use margin_tests::{flash::FlashMarket, Env, Feed};
use solana_sdk::{instruction::Instruction, pubkey::Pubkey, signature::Keypair, signer::Signer};

/// A borrower with 100 SOL ($100) in a cross account and nothing borrowed yet,
/// in a market whose USDC pool has 100,000 USDC to lend.
struct Borrower {
    env: Env,
    sol: margin_client::pda::PoolKeys,
    usdc: margin_client::pda::PoolKeys,
    owner: Keypair,
    margin: Pubkey,
    wallet: Pubkey,
}

fn borrower() -> Borrower {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Pull);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let (owner, margin) = env.borrower(&sol, &usdc, 100_000_000_000, 1_000_000);
    let wallet = env.token_accounts_of(&usdc.mint).last().copied().expect("borrower's USDC wallet");
    Borrower { env, sol, usdc, owner, margin, wallet }
}

impl Borrower {
    fn borrow(&self, amount: u64) -> Instruction {
        instructions::borrow(&self.owner.pubkey(), &self.margin, &self.usdc, &self.wallet, amount, &[])
    }

    fn begin(&self, end_index: u16) -> Instruction {
        instructions::flash_begin(&self.owner.pubkey(), &self.margin, end_index)
    }

    fn end(&mut self) -> Instruction {
        let metas = self.env.health_metas_after(&self.margin, None);
        instructions::flash_end(&self.owner.pubkey(), &self.margin, &metas)
    }

    /// Every account a refused flash must leave as it was.
    fn watched(&self) -> [Pubkey; 4] {
        [self.margin, self.usdc.pool, self.usdc.vault, self.wallet]
    }

    fn expect_refused(&mut self, instructions: &[Instruction], error: MarginError) {
        let watched = self.watched();
        let owner = self.owner.insecure_clone();
        self.env.expect_error(instructions, &[&owner], error, &watched);
    }
}

#[test]
fn a_liquidator_without_tokens_liquidates_in_one_transaction_and_keeps_the_profit() {
    let mut m = FlashMarket::new();
    let planned = m.plan(u64::MAX);
    // Half the 7,000 USDC debt (close factor) for 3,500 x 1.0x / 80 SOL.
    assert_eq!(planned.repay, 3_500_000_000);
    let sol_out = m.sol_for(planned.liquidator_shares);
    let usdc_out = m.quote(sol_out);
    let debt_before = m.env.margin(&m.victim).active()[1].borrow_shares;
    let transaction = m.transaction(&planned, true);
    let liquidator = m.liquidator.insecure_clone();
    let landed = m.env.svm.process(&transaction, &[&liquidator]).expect("capital-less liquidation");
    println!("flash liquidation: {} CU, {} instructions", landed.compute_units, transaction.len());

    // The profit is the venue's USDC minus the flash-borrowed repay amount; the
    // liquidator holds nothing else and its account is empty and out of flash.
    assert_eq!(m.env.svm.token_balance(&m.usdc_wallet), usdc_out - planned.repay);
    // 46.54125 SOL seized for the liquidator (3,500 x 1.0798 / 80, less the
    // insurance share), sold at 800,000 x 46.40162 / 10,046.40162 (after the
    // 0.3% fee) = 3,694.984769 USDC: 194.984769 USDC of profit.
    assert_eq!(sol_out, 46_541_250_000);
    assert_eq!(usdc_out - planned.repay, 194_984_769, "profit in USDC native units");
    assert_eq!(m.env.svm.token_balance(&m.sol_wallet), 0);
    let account = m.env.margin(&m.liquidator_margin);
    assert_eq!(account.active().len(), 0);
    assert_eq!(account.header.flash, 0);
    // The victim repaid exactly the planned debt.
    assert_eq!(m.env.margin(&m.victim).active()[1].borrow_shares, debt_before - planned.burned_debt_shares);
}

#[test]
fn the_capital_less_bot_liquidates_with_empty_wallets() {
    use margin_ops::bots::{self, Attempt, Embedded, Liquidator, OracleBook};
    let mut m = FlashMarket::new();
    let planned = m.plan(u64::MAX);
    let router = m.router();
    let feeds = m.env.oracles.values().map(|o| (o.address, o.account)).collect();
    let bot = Liquidator {
        wallets: [(m.usdc.mint, m.usdc_wallet), (m.sol.mint, m.sol_wallet)].into_iter().collect(),
        oracles: OracleBook { feeds },
        router: Some(&router),
        ..Liquidator::new(&m.liquidator, m.liquidator_margin)
    };
    let mut lines = Vec::new();
    let attempts =
        bots::liquidator_once(&mut Embedded(&mut m.env.svm), &bot, &mut |l| lines.push(l.to_string())).expect("a pass");
    let [Attempt::Liquidated { account, repaid, bonus_usd, sent, .. }] = attempts.as_slice() else {
        panic!("one liquidation expected: {attempts:?}\n{}", lines.join("\n"))
    };
    assert_eq!((*account, *repaid), (m.victim, planned.repay));
    // The same transaction as the hand-built one: the same 194.984769 USDC profit,
    // which the bot predicted.
    assert!(sent.legacy);
    assert_eq!(m.env.svm.token_balance(&m.usdc_wallet), 194_984_769);
    assert!((bonus_usd - 194.984769).abs() < 1e-9, "{bonus_usd}");
    assert_eq!(m.env.svm.token_balance(&m.sol_wallet), 0);
    assert_eq!(m.env.margin(&m.liquidator_margin).active().len(), 0);
}

#[test]
fn without_selling_the_collateral_the_flash_ends_below_initial_health() {
    // The seized SOL (x 0.8) can't back the borrowed USDC (x 1.1): the swap is needed.
    let mut m = FlashMarket::new();
    let planned = m.plan(u64::MAX);
    let transaction = m.transaction(&planned, false);
    let liquidator = m.liquidator.insecure_clone();
    let watched = [m.victim, m.liquidator_margin, m.sol.pool, m.usdc.pool, m.usdc.vault, m.usdc_wallet, m.sol_wallet];
    m.env.expect_error(&transaction, &[&liquidator], MarginError::InsufficientHealth, &watched);
}

#[test]
fn a_round_trip_borrows_unchecked_and_repays_before_the_end() {
    let mut b = borrower();
    let owner = b.owner.insecure_clone();
    // 1,000,000 USDC is far beyond 100 SOL's limit: inside the flash it passes.
    let repay = instructions::repay(&owner.pubkey(), &b.margin, &b.usdc, &b.wallet, RepayAmount::Exact(90_000_000_000));
    let end = b.end();
    let transaction = [b.begin(3), b.borrow(90_000_000_000), repay, end];
    let before = b.env.margin(&b.margin).active()[1].borrow_shares;
    let landed = b.env.svm.process(&transaction, &[&owner]).expect("round trip");
    println!("flash round trip: {} CU", landed.compute_units);
    let account = b.env.margin(&b.margin);
    assert_eq!(account.active()[1].borrow_shares, before);
    assert_eq!(account.header.flash, 0);
    // The same borrow outside a flash is refused.
    let ix = b.env.borrow_ix(&owner, &b.margin, &b.usdc, &b.wallet, 90_000_000_000);
    b.expect_refused(&[ix], MarginError::InsufficientHealth);
}

#[test]
fn a_flash_borrow_owes_the_pools_fee_to_insurance_and_an_ordinary_borrow_does_not() {
    let mut b = borrower();
    let mut config = b.env.pool(&b.usdc).config;
    config.flash_fee_bps = 9;
    assert!(b.env.update_config(&b.usdc.clone(), config), "a higher flash fee waits out the delay, like every fee");
    let owner = b.owner.insecure_clone();
    let debt = |b: &mut Borrower| {
        let shares = b.env.margin(&b.margin).active()[1].borrow_shares;
        fixed::mul_q64_ceil(shares, b.env.pool(&b.usdc).borrow_share_value()).unwrap()
    };
    let insurance = |b: &mut Borrower| fixed::load(&b.env.pool(&b.usdc).insurance_fund);
    let (debt_before, insurance_before) = (debt(&mut b), insurance(&mut b));
    // 1,000 USDC inside a flash: 0.09% on top, 0.9 USDC, to insurance.
    let end = b.end();
    b.env.svm.process(&[b.begin(2), b.borrow(1_000_000_000), end], &[&owner]).expect("flash borrow");
    assert_eq!(debt(&mut b), debt_before + 1_000_900_000);
    assert_eq!(insurance(&mut b) - insurance_before, 900_000u128 << 64);
    assert_eq!(b.env.svm.token_balance(&b.wallet), 1_000_000 + 1_000_000_000);
    // The same borrow outside a flash: no fee.
    let ix = b.env.borrow_ix(&owner, &b.margin, &b.usdc.clone(), &b.wallet, 1_000_000_000);
    b.env.svm.process(&[ix], &[&owner]).expect("ordinary borrow");
    assert_eq!(debt(&mut b), debt_before + 2_000_900_000);
    assert_eq!(insurance(&mut b) - insurance_before, 900_000u128 << 64);
    // Out of bounds: above 1%.
    config.flash_fee_bps = 101;
    let admin = b.env.admin.insecure_clone();
    let ix = instructions::update_pool_config(&admin.pubkey(), &b.usdc, config);
    b.env.expect_error(&[ix], &[&admin], MarginError::InvalidConfig, &[b.usdc.pool]);
}

#[test]
fn the_capital_less_bot_pays_the_flash_fee_out_of_the_sale() {
    use margin_ops::bots::{self, Attempt, Embedded, Liquidator, OracleBook};
    let mut m = FlashMarket::new();
    // Staged directly (a fee change waits out the delay, and interest would move
    // the numbers).
    m.env.write_pool(&m.usdc.clone(), |pool| pool.config.flash_fee_bps = 9);
    let planned = m.plan(u64::MAX);
    let sol_out = m.sol_for(planned.liquidator_shares);
    let proceeds = m.quote(sol_out);
    let router = m.router();
    let feeds = m.env.oracles.values().map(|o| (o.address, o.account)).collect();
    let bot = Liquidator {
        wallets: [(m.usdc.mint, m.usdc_wallet), (m.sol.mint, m.sol_wallet)].into_iter().collect(),
        oracles: OracleBook { feeds },
        router: Some(&router),
        ..Liquidator::new(&m.liquidator, m.liquidator_margin)
    };
    let attempts = bots::liquidator_once(&mut Embedded(&mut m.env.svm), &bot, &mut |_| {}).expect("a pass");
    assert!(matches!(attempts.as_slice(), [Attempt::Liquidated { .. }]), "{attempts:?}");
    // 3,500 USDC borrowed plus 3.15 of fee repaid out of the sale.
    assert_eq!(m.env.svm.token_balance(&m.usdc_wallet), proceeds - 3_500_000_000 - 3_150_000);
    assert_eq!(m.env.margin(&m.liquidator_margin).active().len(), 0);
}

#[test]
fn flash_end_runs_the_initial_check_the_borrows_skipped() {
    let mut b = borrower();
    let end = b.end();
    // 100 SOL x $100 x 0.8 / 1.1 = 7,272.72 USDC at most; 1 USDC is owed already.
    let transaction = [b.begin(2), b.borrow(7_300_000_000), end];
    b.expect_refused(&transaction, MarginError::InsufficientHealth);
    // Within the limit the same flash lands.
    let end = b.end();
    let transaction = [b.begin(2), b.borrow(7_000_000_000), end];
    let owner = b.owner.insecure_clone();
    b.env.svm.process(&transaction, &[&owner]).expect("a flash within the limit");
}

#[test]
fn flash_begin_needs_its_own_end_later_in_the_transaction() {
    let mut b = borrower();
    let end = b.end();
    // No end at all.
    b.expect_refused(&[b.begin(1), b.borrow(1_000_000)], MarginError::FlashEndMissing);
    // The index names a borrow, not an end.
    b.expect_refused(&[b.begin(1), b.borrow(1_000_000), end.clone()], MarginError::FlashEndMissing);
    // The index is past the transaction.
    b.expect_refused(&[b.begin(9), b.borrow(1_000_000), end.clone()], MarginError::FlashEndMissing);
    // The index is this very instruction, or an earlier one.
    b.expect_refused(&[b.begin(0), b.borrow(1_000_000), end.clone()], MarginError::FlashEndMissing);
    let health = instructions::health(&b.margin, &b.env.health_metas_after(&b.margin, None));
    b.expect_refused(&[health, b.begin(0), end.clone()], MarginError::FlashEndMissing);

    // A foreign end: the flash_end of another account of the same owner.
    let owner = b.owner.insecure_clone();
    let other = b.env.open_cross(&owner, 1);
    let foreign_end = instructions::flash_end(&owner.pubkey(), &other, &[]);
    b.expect_refused(&[b.begin(2), b.borrow(1_000_000), foreign_end], MarginError::FlashEndMissing);

    // An instruction of another program with the end's data and accounts.
    let mut fake_end = end.clone();
    fake_end.program_id = swap::SWAP_PROGRAM_ID;
    b.expect_refused(&[b.begin(2), b.borrow(1_000_000), fake_end], MarginError::FlashEndMissing);

    // The sysvar must be the instructions sysvar.
    let mut begin = b.begin(2);
    begin.accounts[2].pubkey = solana_sdk::sysvar::clock::ID;
    let failure = b.env.svm.process(&[begin, b.borrow(1_000_000), end], &[&owner]).expect_err("wrong sysvar");
    assert_eq!(
        failure.error,
        solana_sdk::transaction::TransactionError::InstructionError(
            0,
            solana_sdk::instruction::InstructionError::UnsupportedSysvar
        )
    );
}

#[test]
fn nested_flashes_and_ends_without_a_begin_are_refused() {
    let mut b = borrower();
    let end = b.end();
    b.expect_refused(&[b.begin(2), b.begin(2), end.clone()], MarginError::FlashActive);
    b.expect_refused(std::slice::from_ref(&end), MarginError::NotInFlash);
    // Two ends for one begin: the second finds no flash.
    b.expect_refused(&[b.begin(1), end.clone(), end], MarginError::NotInFlash);
}

#[test]
fn flash_instructions_refuse_to_run_under_cpi() {
    let mut b = borrower();
    let end = b.end();
    let relayed_begin = swap::relay(&b.begin(2));
    b.expect_refused(&[relayed_begin, b.borrow(1_000_000), end.clone()], MarginError::FlashNotTopLevel);
    // A relayed end is no end for flash_begin; with the real end later, the
    // relayed one runs first and refuses itself.
    let relayed_end = swap::relay(&end);
    b.expect_refused(&[b.begin(2), b.borrow(1_000_000), relayed_end.clone()], MarginError::FlashEndMissing);
    b.expect_refused(&[b.begin(3), b.borrow(1_000_000), relayed_end, end], MarginError::FlashNotTopLevel);
}

#[test]
fn an_account_in_flash_cannot_close_move_collateral_or_be_liquidated_or_written_off() {
    let mut b = borrower();
    let owner = b.owner.insecure_clone();
    let end = b.end();

    // Closing mid-flash (an empty account of the owner).
    let empty = b.env.open_cross(&owner, 1);
    let close = instructions::close_margin_account(&owner.pubkey(), &empty, &owner.pubkey());
    let transaction = [
        instructions::flash_begin(&owner.pubkey(), &empty, 2),
        close,
        instructions::flash_end(&owner.pubkey(), &empty, &[]),
    ];
    let watched = [empty];
    b.env.expect_error(&transaction, &[&owner], MarginError::FlashActive, &watched);

    // Moving collateral out of, or into, an account in flash.
    let out = instructions::transfer_collateral(
        &owner.pubkey(),
        &b.margin,
        &empty,
        &b.sol,
        instructions::WithdrawAmount::Exact(1_000_000_000),
        &[],
    );
    b.expect_refused(&[b.begin(2), out, end.clone()], MarginError::FlashActive);
    let back = instructions::transfer_collateral(
        &owner.pubkey(),
        &empty,
        &b.margin,
        &b.sol,
        instructions::WithdrawAmount::Exact(1),
        &[],
    );
    b.expect_refused(&[b.begin(2), back, end.clone()], MarginError::FlashActive);

    // Liquidating it mid-flash, after a borrow that left it below maintenance
    // (the owner's second wallet would pocket the bonus).
    let accomplice = b.env.user();
    let accomplice_margin = b.env.open_cross(&accomplice, 0);
    let accomplice_usdc = b.env.token_account(&b.usdc, &accomplice.pubkey(), 20_000_000_000);
    let victim_health = b.env.health_metas_after(&b.margin, None);
    let liquidate = instructions::liquidate(
        &accomplice.pubkey(),
        &accomplice_margin,
        &b.margin,
        &b.sol,
        &b.usdc,
        &accomplice_usdc,
        u64::MAX,
        &victim_health,
        &[],
    );
    let transaction = [b.begin(3), b.borrow(9_500_000_000), liquidate, end.clone()];
    let watched = [b.margin, accomplice_margin, accomplice_usdc, b.usdc.pool, b.sol.pool];
    b.env.expect_error(&transaction, &[&owner, &accomplice], MarginError::FlashActive, &watched);

    // Writing it off mid-flash.
    let write_off = b.env.resolve_bad_debt_ix(&b.margin, &b.usdc);
    b.expect_refused(&[b.begin(2), write_off, end], MarginError::FlashActive);
}

#[test]
fn flash_halves_are_the_owners() {
    let mut b = borrower();
    let stranger = b.env.user();
    // A stranger can't open or close a flash on someone else's account.
    let begin = instructions::flash_begin(&stranger.pubkey(), &b.margin, 1);
    let end = instructions::flash_end(&stranger.pubkey(), &b.margin, &[]);
    let watched = b.watched();
    b.env.expect_error(&[begin, end], &[&stranger], MarginError::Unauthorized, &watched);
}

#[test]
fn the_flash_flag_never_outlives_its_transaction() {
    let mut b = borrower();
    let owner = b.owner.insecure_clone();
    let end = b.end();
    b.env.svm.process(&[b.begin(1), end], &[&owner]).expect("an empty flash");
    assert_eq!(b.env.margin(&b.margin).header.flash, 0);
    // A lender's withdrawal inside a flash needs no health accounts either.
    let sol_wallet = b.env.token_account(&b.sol, &owner.pubkey(), 0);
    let withdraw =
        instructions::withdraw(&owner.pubkey(), &b.margin, &b.sol, &sol_wallet, WithdrawAmount::Exact(1_000_000_000));
    let end = b.end();
    b.env.svm.process(&[b.begin(2), withdraw, end], &[&owner]).expect("withdraw in flash");
    assert_eq!(b.env.svm.token_balance(&sol_wallet), 1_000_000_000);
    let deposit = b.env.margin(&b.margin).active()[0].deposit_shares;
    let value = b.env.pool(&b.sol).deposit_share_value();
    assert_eq!(fixed::mul_q64_floor(deposit, value).unwrap(), 99_000_000_000);
}
