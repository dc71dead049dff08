//! The liquidator bot against what a cluster enforces (issue 12): a victim with
//! 13 positions, whose liquidation does not fit a legacy packet, is liquidated
//! through a v0 transaction and the bot's own lookup table; the embedded chain
//! refuses oversized and over-locked transactions as a cluster does; a bot short of
//! one debt's token liquidates through another pair; a failed send is reported,
//! not counted as a lost race; the bot's account never fills up with seized
//! collateral; bankrupt accounts are written off.

use margin_client::{
    instructions,
    transaction::{decode_lookup_table, legacy_size},
};
use margin_interface::fixed;
use margin_ops::bots::{self, Attempt, Embedded, Liquidator};
use margin_sim::svm::Refusal;
use margin_tests::{Env, Feed};
use solana_sdk::{
    instruction::AccountMeta,
    pubkey::Pubkey,
    signature::{Keypair, Signer},
};

/// A liquidator key with a cross account, repaying from `wallets` (mint ->
/// token account), taking any profit.
fn bot<'a>(key: &'a Keypair, margin: Pubkey, wallets: &[(Pubkey, Pubkey)]) -> Liquidator<'a> {
    Liquidator { wallets: wallets.iter().copied().collect(), min_profit_usd: 0.0, ..Liquidator::new(key, margin) }
}

fn deposit_shares(env: &mut Env, margin: &Pubkey, pool: &Pubkey) -> u64 {
    env.margin(margin).active().iter().find(|p| p.pool == pool.to_bytes()).map_or(0, |p| p.deposit_shares)
}

fn borrow_shares(env: &mut Env, margin: &Pubkey, pool: &Pubkey) -> u64 {
    env.margin(margin).active().iter().find(|p| p.pool == pool.to_bytes()).map_or(0, |p| p.borrow_shares)
}

/// Insurance fund of a pool in whole native units (share value one throughout:
/// no time passes once the pools exist).
fn insurance_units(env: &mut Env, keys: &margin_client::pda::PoolKeys) -> u128 {
    fixed::load(&env.pool(keys).insurance_fund) >> 64
}

/// A cross account with 10 SOL at $100, 650 USDC of debt and one-unit deposits in
/// each of `units` more pools: `2 + units.len()` positions. Returns its address.
fn victim(
    env: &mut Env,
    sol: &margin_client::pda::PoolKeys,
    usdc: &margin_client::pda::PoolKeys,
    units: &[margin_client::pda::PoolKeys],
) -> Pubkey {
    let user = env.user();
    let margin = env.open_cross(&user, 0);
    let wallet = env.token_account(sol, &user.pubkey(), 10_000_000_000);
    env.deposit(&user, &margin, sol, &wallet, 10_000_000_000).unwrap();
    let out = env.token_account(usdc, &user.pubkey(), 0);
    env.borrow(&user, &margin, usdc, &out, 650_000_000).unwrap();
    for pool in units {
        let wallet = env.token_account(pool, &user.pubkey(), 1);
        env.deposit(&user, &margin, pool, &wallet, 1).unwrap();
    }
    margin
}

/// Issue 12: 13 positions make a 1,270-byte legacy liquidation that every RPC
/// refuses. The bot sends it as v0 through a lookup table it creates (and, for the
/// next such victim, extends rather than recreates), and the liquidation lands.
#[test]
fn a_13_position_victim_is_liquidated_through_v0_and_a_lookup_table() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let units: Vec<_> = (0..11).map(|_| env.add_pool(6)).collect();
    env.lend(&usdc, 100_000_000_000);
    let first = victim(&mut env, &sol, &usdc, &units);
    let second = victim(&mut env, &sol, &usdc, &units);
    assert_eq!(env.margin(&first).header.position_count, 13);
    env.set_usd(&sol, 80.0); // the worked example of docs/liquidator.md, plus 11 dust positions

    let key = env.user();
    let margin = env.open_cross(&key, 0);
    let wallet = env.token_account(&usdc, &key.pubkey(), 10_000_000_000);
    let bot = bot(&key, margin, &[(usdc.mint, wallet)]);
    let planned = bots::find_liquidations(&mut Embedded(&mut env.svm), &bot, &mut |_| {}).unwrap();
    assert_eq!(planned.len(), 2);
    let bots::Action::Liquidate(choices) = &planned[0].action else { panic!("a liquidation") };
    assert_eq!(legacy_size(&key.pubkey(), &choices[0].instructions), 1270, "over the 1,232-byte packet");

    let sol_before = deposit_shares(&mut env, &first, &sol.pool);
    let attempts = bots::execute(&mut Embedded(&mut env.svm), &bot, planned, &mut |_| {}).unwrap();
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    let tables = bot.tables.borrow().clone();
    assert_eq!(tables.len(), 1, "one table, created once and reused");
    let table = &tables[0];
    let mut repaid_total = 0;
    for attempt in &attempts {
        let Attempt::Liquidated { account, asset_pool, liability_pool, repaid, sent, .. } = attempt else {
            panic!("liquidated: {attempt:?}")
        };
        let account = *account;
        assert!(account == first || account == second);
        assert_eq!((*asset_pool, *liability_pool), (sol.pool, usdc.pool));
        assert!(!sent.legacy, "v0");
        assert_eq!(sent.lookup_tables, vec![table.key]);
        // With the compute-budget instructions every bot transaction starts with
        // (52 bytes: the budget program's key and two instructions).
        assert_eq!(sent.size, 335, "v0 size, against 1,270 legacy");
        assert_eq!(
            sent.compute_unit_price,
            Some(0),
            "no fee market on the embedded chain: the 75th percentile of none"
        );
        assert_eq!(*repaid, 202_773_727, "the worked example's 202.77 USDC");
        // Share values are one: the shares burned are the units repaid.
        assert_eq!(borrow_shares(&mut env, &account, &usdc.pool), 650_000_000 - repaid);
        repaid_total += repaid;
    }
    assert_eq!(env.svm.token_balance(&wallet), 10_000_000_000 - repaid_total);
    // The seized SOL is split between the liquidator and the insurance fund.
    let seized = sol_before - deposit_shares(&mut env, &first, &sol.pool);
    assert_eq!(seized, 2_592_462_099, "2.5925 SOL as in the worked example");
    assert_eq!(
        deposit_shares(&mut env, &margin, &sol.pool) as u128 + insurance_units(&mut env, &sol),
        2 * seized as u128
    );
    // The table is on chain, the bot's, and holds both victims once each (the
    // second only extended it by its own address).
    let data = env.svm.data(&table.key);
    let (authority, addresses) = decode_lookup_table(&data).expect("an active table");
    assert_eq!(authority, Some(key.pubkey()));
    assert_eq!(addresses, table.addresses);
    assert_eq!(addresses.len(), 34, "the 33 accounts of the first liquidation, then the second victim");
    assert!(addresses.contains(&first) && addresses.contains(&second));
    assert!(env.health(&first).unwrap().maintenance >= 0);
}

/// What the bot used to send: the same liquidation as a legacy transaction. The
/// embedded chain refuses it as a cluster's RPC would, naming the packet size,
/// and nothing changes.
#[test]
fn an_oversized_legacy_transaction_is_refused_with_the_packet_size_error() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let units: Vec<_> = (0..11).map(|_| env.add_pool(6)).collect();
    env.lend(&usdc, 100_000_000_000);
    let account = victim(&mut env, &sol, &usdc, &units);
    env.set_usd(&sol, 80.0);
    let liquidator = margin_tests::Liquidator::new(&mut env, &[usdc]);
    let ix = liquidator.ix(&mut env, &account, &sol, &usdc, u64::MAX);
    let before = env.snapshot(&[account, sol.pool, usdc.pool, liquidator.margin]);
    let failure = env.svm.send_as(&liquidator.key, &[ix], &[], &[]).expect_err("too large for a packet");
    assert_eq!(failure.refusal, Some(Refusal::PacketTooLarge { size: 1270 }));
    assert!(failure.to_string().contains("1270 bytes (max 1232)"), "{failure}");
    assert_eq!(env.snapshot(&[account, sol.pool, usdc.pool, liquidator.margin]), before);
}

/// Mainnet-beta does not have `increase_tx_account_lock_limit`: 64 accounts per
/// transaction. A v0 transaction loading 70 through a table is small enough for
/// the packet and still refused, with the lock count.
#[test]
fn a_transaction_locking_more_than_64_accounts_is_refused() {
    let mut env = Env::new();
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let (_, margin) = env.lend(&usdc, 1_000_000);
    assert_eq!(env.svm.account_lock_limit(), 64);
    let extra: Vec<Pubkey> = (0..70).map(|_| Pubkey::new_unique()).collect();
    let table = env.lookup_table(extra.clone());
    let metas: Vec<AccountMeta> = extra.iter().map(|k| AccountMeta::new_readonly(*k, false)).collect();
    let ix = instructions::health(&margin, &metas);
    env.svm.advance_slot();
    let payer = env.user();
    let failure = env.svm.send_as(&payer, &[ix], &[], &[table]).expect_err("over the lock limit");
    // Payer, program, margin account and the 70 from the table.
    assert_eq!(failure.refusal, Some(Refusal::TooManyAccountLocks { accounts: 73, limit: 64 }));
    assert_eq!(failure.error, solana_sdk::transaction::TransactionError::TooManyAccountLocks);
}

/// The largest debt is USDC, but the bot's USDC wallet is empty: it liquidates
/// the USDT debt instead, paying exactly the planned repay.
#[test]
fn a_bot_without_the_first_pairs_token_liquidates_through_another_pair() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let usdt = env.add_priced_pool(6, 1.0, Feed::Legacy);
    env.lend(&usdt, 10_000_000_000);
    let (user, account) = env.borrower(&sol, &usdc, 10_000_000_000, 500_000_000);
    let out = env.token_account(&usdt, &user.pubkey(), 0);
    env.borrow(&user, &account, &usdt, &out, 150_000_000).unwrap();
    env.set_usd(&sol, 75.0);

    let key = env.user();
    let margin = env.open_cross(&key, 0);
    let empty = env.token_account(&usdc, &key.pubkey(), 0);
    let funded = env.token_account(&usdt, &key.pubkey(), 1_000_000_000);
    let bot = bot(&key, margin, &[(usdc.mint, empty), (usdt.mint, funded)]);
    let mut lines = Vec::new();
    let attempts =
        bots::liquidator_once(&mut Embedded(&mut env.svm), &bot, &mut |l| lines.push(l.to_string())).unwrap();
    let [Attempt::Liquidated { asset_pool, liability_pool, repaid, .. }] = attempts.as_slice() else {
        panic!("one liquidation: {attempts:?}")
    };
    assert_eq!((*asset_pool, *liability_pool), (sol.pool, usdt.pool));
    assert_eq!(*repaid, 75_000_000, "the close factor: half the USDT debt");
    assert!(lines.iter().any(|l| l.contains(&format!("wallet {empty} is empty"))), "{lines:?}");
    assert_eq!(env.svm.token_balance(&empty), 0);
    assert_eq!(env.svm.token_balance(&funded), 1_000_000_000 - 75_000_000);
    assert_eq!(borrow_shares(&mut env, &account, &usdt.pool), 75_000_000);
    assert_eq!(borrow_shares(&mut env, &account, &usdc.pool), 500_000_000, "the USDC debt untouched");
}

/// A send that fails for another reason than health (here: the wallet was
/// emptied between planning and sending) is reported as failed, never as a lost
/// race; once the wallet is funded the next pass liquidates.
#[test]
fn a_failed_send_is_reported_not_counted_as_a_lost_race() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let (_, account) = env.underwater(&sol, &usdc, 10_000_000_000, 650_000_000, 80.0);
    let key = env.user();
    let margin = env.open_cross(&key, 0);
    let wallet = env.token_account(&usdc, &key.pubkey(), 1_000_000_000);
    let bot = bot(&key, margin, &[(usdc.mint, wallet)]);
    let planned = bots::find_liquidations(&mut Embedded(&mut env.svm), &bot, &mut |_| {}).unwrap();
    let spl = margin_client::spl_token_id();
    env.svm.set_token_account(&wallet, &usdc.mint, &key.pubkey(), 0, &spl);
    let before = env.snapshot(&[account, sol.pool, usdc.pool, margin]);
    let attempts = bots::execute(&mut Embedded(&mut env.svm), &bot, planned, &mut |_| {}).unwrap();
    let [Attempt::Failed { account: failed, reasons }] = attempts.as_slice() else {
        panic!("reported as failed: {attempts:?}")
    };
    assert_eq!(*failed, account);
    assert_eq!(reasons.len(), 1, "one pair to try: {reasons:?}");
    assert!(reasons[0].contains("Custom(1)"), "the token program's InsufficientFunds: {reasons:?}");
    assert_eq!(env.snapshot(&[account, sol.pool, usdc.pool, margin]), before);

    env.svm.set_token_account(&wallet, &usdc.mint, &key.pubkey(), 1_000_000_000, &spl);
    let attempts = bots::liquidator_once(&mut Embedded(&mut env.svm), &bot, &mut |_| {}).unwrap();
    assert!(matches!(attempts.as_slice(), [Attempt::Liquidated { repaid: 202_773_779, .. }]), "{attempts:?}");
}

/// Issue 12 (d): seized collateral lands as deposits in the bot's account, which
/// holds 16 pools. Seventeen victims, each with collateral in its own pool: the
/// bot withdraws its seized collateral when the account is full instead of
/// failing with `PositionsFull`, and every unit seized ends in its wallet or
/// account.
#[test]
fn a_liquidator_seizing_from_17_pools_never_fills_its_account() {
    let mut env = Env::new();
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let pools: Vec<_> = (0..17).map(|_| env.add_priced_pool(6, 100.0, Feed::Legacy)).collect();
    env.lend(&usdc, 100_000_000_000);
    let mut victims = Vec::new();
    for pool in &pools {
        let user = env.user();
        let margin = env.open_cross(&user, 0);
        let wallet = env.token_account(pool, &user.pubkey(), 1_000_000);
        env.deposit(&user, &margin, pool, &wallet, 1_000_000).unwrap();
        let out = env.token_account(&usdc, &user.pubkey(), 0);
        env.borrow(&user, &margin, &usdc, &out, 70_000_000).unwrap();
        victims.push(margin);
    }
    for pool in &pools {
        env.set_usd(pool, 82.0);
    }

    let key = env.user();
    let margin = env.open_cross(&key, 0);
    let wallet = env.token_account(&usdc, &key.pubkey(), 10_000_000_000);
    let bot = Liquidator { keep_positions: 16, ..bot(&key, margin, &[(usdc.mint, wallet)]) };
    let attempts = bots::liquidator_once(&mut Embedded(&mut env.svm), &bot, &mut |_| {}).unwrap();
    assert_eq!(attempts.len(), 17);
    assert!(attempts.iter().all(|a| matches!(a, Attempt::Liquidated { repaid: 35_000_000, .. })), "{attempts:?}");
    assert_eq!(env.svm.token_balance(&wallet), 10_000_000_000 - 17 * 35_000_000);
    // Full at 16: everything was withdrawn before the 17th, which stays.
    let account = env.margin(&margin);
    assert_eq!(account.header.position_count, 1);
    let mut withdrawn = 0;
    for (pool, victim) in pools.iter().zip(&victims) {
        let seized = 1_000_000 - deposit_shares(&mut env, victim, &pool.pool) as u128;
        let ata = bots::associated_token_address(&key.pubkey(), &pool.mint, &pool.token_program);
        let held = env.svm.token_balance(&ata) as u128 + deposit_shares(&mut env, &margin, &pool.pool) as u128;
        assert_eq!(held + insurance_units(&mut env, pool), seized, "every seized unit is the bot's or insurance's");
        if env.svm.token_balance(&ata) > 0 {
            withdrawn += 1;
        }
    }
    assert_eq!(withdrawn, 16);
}

/// Issue 12 (e): an account with no collateral but dust and negative Equity is
/// written off by the bot (`resolve_bad_debt`), the dust swept to insurance.
#[test]
fn the_bot_writes_off_an_eligible_bad_debt_account() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let (user, account) = env.borrower(&sol, &usdc, 10_000_000_000, 700_000_000);
    env.set_usd(&sol, 20.0);
    let helper = margin_tests::Liquidator::new(&mut env, &[usdc]);
    helper.seize_all(&mut env, &account, &sol, &usdc);
    let dust = env.token_account(&sol, &user.pubkey(), 10);
    env.deposit(&user, &account, &sol, &dust, 10).unwrap();
    let debt_shares = borrow_shares(&mut env, &account, &usdc.pool);
    let total_before = env.pool(&usdc).total_borrow_shares;
    let sol_insurance_before = insurance_units(&mut env, &sol);

    let key = env.user();
    let margin = env.open_cross(&key, 0);
    let wallet = env.token_account(&usdc, &key.pubkey(), 1_000_000_000);
    let bot = bot(&key, margin, &[(usdc.mint, wallet)]);
    let attempts = bots::liquidator_once(&mut Embedded(&mut env.svm), &bot, &mut |_| {}).unwrap();
    let [Attempt::BadDebtResolved { account: resolved, pool, .. }] = attempts.as_slice() else {
        panic!("one write-off: {attempts:?}")
    };
    assert_eq!((*resolved, *pool), (account, usdc.pool));
    assert_eq!(env.margin(&account).header.position_count, 0);
    assert_eq!(env.pool(&usdc).total_borrow_shares, total_before - debt_shares);
    assert_eq!(insurance_units(&mut env, &sol) - sol_insurance_before, 10, "the dust is insurance's");
    assert_eq!(env.svm.token_balance(&wallet), 1_000_000_000, "a write-off costs the bot only the fee");
    assert!(bots::liquidator_once(&mut Embedded(&mut env.svm), &bot, &mut |_| {}).unwrap().is_empty());
}
