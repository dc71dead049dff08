//! Issue 12, on the embedded chain: the liquidators read the accounts they
//! re-check in one batch (`Chain::accounts`), not one call per account, and
//! decide exactly as before; the streaming liquidator catches an account that
//! interest alone makes liquidatable at its next reprojection. The streaming
//! liquidator is `load`ed (no websocket): changes are `apply`d by hand.

use std::{collections::HashMap, time::Duration};

use margin_client::pda::PoolKeys;
use margin_ops::{
    bots::{self, Action, Attempt, BotError, Chain, Embedded, Liquidator, Sent},
    stream::{StreamConfig, StreamingLiquidator},
};
use margin_tests::{Env, Feed};
use solana_sdk::{
    account::Account,
    instruction::Instruction,
    message::AddressLookupTableAccount,
    pubkey::Pubkey,
    signature::{Keypair, Signer},
};

/// The embedded chain, recording every account read: one key per
/// [`Chain::account`] call, one list per [`Chain::accounts`] call.
struct Recording<'a> {
    chain: Embedded<'a>,
    single: Vec<Pubkey>,
    batches: Vec<Vec<Pubkey>>,
}

impl<'a> Recording<'a> {
    fn new(env: &'a mut Env) -> Self {
        Self { chain: Embedded(&mut env.svm), single: Vec::new(), batches: Vec::new() }
    }
}

impl Chain for Recording<'_> {
    fn now(&mut self) -> Result<i64, BotError> {
        self.chain.now()
    }
    fn slot(&mut self) -> Result<u64, BotError> {
        self.chain.slot()
    }
    fn recent_slot(&mut self) -> Result<u64, BotError> {
        self.chain.recent_slot()
    }
    fn wait_past(&mut self, slot: u64) -> Result<(), BotError> {
        self.chain.wait_past(slot)
    }
    fn program_accounts(&mut self, tag: &[u8; 8]) -> Result<Vec<(Pubkey, Account)>, BotError> {
        self.chain.program_accounts(tag)
    }
    fn account(&mut self, key: &Pubkey) -> Result<Option<Account>, BotError> {
        self.single.push(*key);
        self.chain.account(key)
    }
    fn accounts(&mut self, keys: &[Pubkey]) -> Result<Vec<Option<Account>>, BotError> {
        self.batches.push(keys.to_vec());
        self.chain.accounts(keys)
    }
    fn send(
        &mut self,
        instructions: &[Instruction],
        signer: &Keypair,
        tables: &[AddressLookupTableAccount],
    ) -> Result<Sent, BotError> {
        self.chain.send(instructions, signer, tables)
    }
    fn simulate_units(
        &mut self,
        instructions: &[Instruction],
        signer: &Keypair,
        tables: &[AddressLookupTableAccount],
    ) -> Result<u64, BotError> {
        self.chain.simulate_units(instructions, signer, tables)
    }
    fn recent_fees(&mut self, writable: &[Pubkey]) -> Result<Vec<u64>, BotError> {
        self.chain.recent_fees(writable)
    }
}

/// Three cross accounts with 10 SOL at $100 each, owing 650, 680 and 700 USDC
/// (SOL and USDC with legacy oracles, a lender of 100,000 USDC), and a
/// liquidator holding 10,000 USDC.
struct Market {
    sol: PoolKeys,
    usdc: PoolKeys,
    /// SOL's oracle account, then USDC's.
    oracles: [Pubkey; 2],
    victims: [Pubkey; 3],
    key: Keypair,
    margin: Pubkey,
    wallet: Pubkey,
}

impl Market {
    fn new() -> (Env, Self) {
        let mut env = Env::new();
        let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
        let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
        env.lend(&usdc, 100_000_000_000);
        let victims = [650_000_000, 680_000_000, 700_000_000].map(|debt| borrower(&mut env, &sol, &usdc, debt));
        let key = env.user();
        let margin = env.open_cross(&key, 0);
        let wallet = env.token_account(&usdc, &key.pubkey(), 10_000_000_000);
        let oracles = [&sol, &usdc].map(|keys| env.oracles[&keys.pool].account);
        (env, Self { sol, usdc, oracles, victims, key, margin, wallet })
    }

    fn bot(&self) -> Liquidator<'_> {
        Liquidator {
            wallets: HashMap::from([(self.usdc.mint, self.wallet)]),
            min_profit_usd: 0.0,
            ..Liquidator::new(&self.key, self.margin)
        }
    }

    /// SOL's pool and oracle, then USDC's: the addresses each account's health reads.
    fn pools_and_oracles(&self) -> Vec<Pubkey> {
        vec![self.sol.pool, self.oracles[0], self.usdc.pool, self.oracles[1]]
    }

    /// At $80 a SOL the three are below maintenance: 680 - 1.05 x debt = -$2.50,
    /// -$34 and -$55. What the bot repays each, most underwater first (the 700 and
    /// 680 USDC debts capped by the 50% close factor; the third the worked
    /// example's 202.77 USDC): the same before and after batching.
    fn expected_repays(&self) -> Vec<(Pubkey, u64)> {
        let [v650, v680, v700] = self.victims;
        vec![(v700, 350_000_000), (v680, 340_000_000), (v650, 202_773_779)]
    }
}

/// A cross account depositing 10 SOL and borrowing `debt` native USDC.
fn borrower(env: &mut Env, sol: &PoolKeys, usdc: &PoolKeys, debt: u64) -> Pubkey {
    let user = env.user();
    let margin = env.open_cross(&user, 0);
    let wallet = env.token_account(sol, &user.pubkey(), 10_000_000_000);
    env.deposit(&user, &margin, sol, &wallet, 10_000_000_000).unwrap();
    let out = env.token_account(usdc, &user.pubkey(), 0);
    env.borrow(&user, &margin, usdc, &out, debt).unwrap();
    margin
}

fn liquidated(attempts: &[Attempt]) -> Vec<(Pubkey, u64)> {
    attempts
        .iter()
        .map(|attempt| match attempt {
            Attempt::Liquidated { account, repaid, .. } => (*account, *repaid),
            other => panic!("not a liquidation: {other:?}"),
        })
        .collect()
}

/// The polling pass used to read the 2 pools and 2 oracles of its candidates one
/// call each; now it reads them in one batch, and plans and liquidates as before.
#[test]
fn the_polling_pass_reads_its_candidates_pools_and_oracles_in_one_batch() {
    let (mut env, market) = Market::new();
    env.set_usd(&market.sol, 80.0);
    let bot = market.bot();
    let mut chain = Recording::new(&mut env);
    let planned = bots::find_liquidations(&mut chain, &bot, &mut |_| {}).unwrap();
    // Every victim holds SOL then USDC: one batch of the four addresses, each once.
    assert_eq!(chain.batches, vec![market.pools_and_oracles()]);
    assert_eq!(chain.single, vec![market.wallet], "one read alone: the wallet's balance, which caps each repay");
    let plans: Vec<(Pubkey, u64)> = planned
        .iter()
        .map(|plan| match &plan.action {
            Action::Liquidate(choices) => {
                assert_eq!(choices.len(), 1, "one pair: SOL for USDC");
                (plan.account, choices[0].repay)
            }
            other => panic!("not a liquidation: {other:?}"),
        })
        .collect();
    assert_eq!(plans, market.expected_repays());

    let (single, batches) = (chain.single.len(), chain.batches.len());
    let attempts = bots::execute(&mut chain, &bot, planned, &mut |_| {}).unwrap();
    assert_eq!(liquidated(&attempts), market.expected_repays());
    // Sending reads only the bot's own account (room for the seized SOL), once
    // per liquidation.
    assert_eq!(chain.single[single..], [market.margin; 3]);
    assert_eq!(chain.batches.len(), batches);
}

/// The streaming liquidator used to read each flagged account with its own call,
/// then each pool and oracle: now one batch of the flagged accounts and one of
/// their pools and oracles; the same liquidations follow.
#[test]
fn the_streaming_liquidator_reads_its_flagged_accounts_in_one_batch() {
    let (mut env, market) = Market::new();
    let bot = market.bot();
    // `load` subscribes to nothing: no websocket URL is used.
    let config = StreamConfig { tick: Duration::ZERO, ..StreamConfig::new("") };
    let mut streaming = {
        let mut chain = Recording::new(&mut env);
        let streaming = StreamingLiquidator::load(&mut chain, &bot, config, &mut |_| {}).unwrap();
        // The full load reads both oracles in one batch, nothing alone.
        assert_eq!(chain.batches.len(), 1);
        let mut read = chain.batches[0].clone();
        read.sort();
        let mut oracles = market.oracles.to_vec();
        oracles.sort();
        assert_eq!(read, oracles);
        assert!(chain.single.is_empty(), "{:?}", chain.single);
        streaming
    };
    assert_eq!((streaming.index().len(), streaming.index().liquidatable().len()), (3, 0));

    // SOL to $80, as its oracle's notification would bring it: all three flagged.
    env.set_usd(&market.sol, 80.0);
    let sol_oracle = market.oracles[0];
    streaming.apply(sol_oracle, env.svm.account(&sol_oracle).unwrap());
    let mut flagged: Vec<Pubkey> = market.victims.to_vec();
    flagged.sort();
    assert_eq!(streaming.index().liquidatable().iter().copied().collect::<Vec<_>>(), flagged);

    let mut chain = Recording::new(&mut env);
    let attempts = streaming.act(&mut chain, &mut |_| {}).unwrap();
    // The three flagged accounts in one batch (the index's order), their pools and
    // oracles in another; before, seven calls.
    assert_eq!(chain.batches, vec![flagged, market.pools_and_oracles()]);
    // Alone: the wallet's balance when planning, the bot's own account per send.
    assert_eq!(chain.single, vec![market.wallet, market.margin, market.margin, market.margin]);
    assert_eq!(liquidated(&attempts), market.expected_repays(), "as the polling pass");
    let stats = streaming.stats();
    assert_eq!((stats.full_scans, stats.price_updates, stats.passes, stats.liquidations), (1, 1, 1, 3));
}

/// A borrower 50 cents above maintenance, in a USDC pool 72% lent out (8.4% a
/// year): thirty days of interest, with prices unchanged and not one account
/// touched, put it below. No notification says so; the index sees it when its
/// interest projection moves to the present, and only then.
#[test]
fn interest_alone_makes_an_account_liquidatable_at_the_next_reprojection() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    env.lend(&usdc, 1_000_000_000);
    let victim = borrower(&mut env, &sol, &usdc, 720_000_000);
    // 10 SOL x $89 x 85% = $756.50 against 720 USDC x 105% = $756.00.
    env.set_usd(&sol, 89.0);
    let key = env.user();
    let margin = env.open_cross(&key, 0);
    let wallet = env.token_account(&usdc, &key.pubkey(), 10_000_000_000);
    let bot = Liquidator {
        wallets: HashMap::from([(usdc.mint, wallet)]),
        min_profit_usd: 0.0,
        ..Liquidator::new(&key, margin)
    };
    assert!(bots::find_liquidations(&mut Embedded(&mut env.svm), &bot, &mut |_| {}).unwrap().is_empty());

    // Two streaming liquidators: one that never reprojects within the test, one
    // that reprojects at every step.
    let never = StreamConfig { reproject: Duration::from_secs(3_600), tick: Duration::ZERO, ..StreamConfig::new("") };
    let always = StreamConfig { reproject: Duration::ZERO, ..never.clone() };
    let mut stale = StreamingLiquidator::load(&mut Embedded(&mut env.svm), &bot, never, &mut |_| {}).unwrap();
    let mut current = StreamingLiquidator::load(&mut Embedded(&mut env.svm), &bot, always, &mut |_| {}).unwrap();
    let mut lines = Vec::new();
    let attempts = current.step(&mut Embedded(&mut env.svm), &mut |line| lines.push(line.to_string())).unwrap();
    assert!(attempts.is_empty());
    let start = env.svm.now();
    assert_eq!(
        lines,
        [format!(
            "liquidator (streaming): interest projected to {start}: 0 of 1 account(s) entered the liquidatable set, 0 left"
        )]
    );

    // Thirty days on; the oracles republish the same prices (no notification is
    // applied: the price did not move).
    env.svm.advance_time(30 * 86_400);
    env.refresh_prices();
    let planned = bots::find_liquidations(&mut Embedded(&mut env.svm), &bot, &mut |_| {}).unwrap();
    let [plan] = planned.as_slice() else { panic!("one account: {planned:?}") };
    assert_eq!(plan.account, victim, "a fresh scan finds it below maintenance");
    // $0.50 less 105% of the interest: 720 USDC x 8.4% x 30/365 = 4.97 USDC.
    assert_eq!(format!("{:.2}", plan.health_usd), "-4.72");
    let Action::Liquidate(choices) = &plan.action else { panic!("a liquidation: {plan:?}") };
    assert_eq!(choices[0].repay, 239_103_969, "239.10 USDC: what lifts health to the 5% liquidation target");
    let planned_repay = choices[0].repay;

    // Not reprojected: the index still projects interest to the start.
    let attempts = stale.step(&mut Embedded(&mut env.svm), &mut |_| {}).unwrap();
    assert!(attempts.is_empty());
    assert!(stale.index().liquidatable().is_empty());
    assert_eq!(stale.stats().reprojections, 0);

    // Reprojected: it enters, and the same step liquidates it as planned.
    lines.clear();
    let attempts = current.step(&mut Embedded(&mut env.svm), &mut |line| lines.push(line.to_string())).unwrap();
    let now = start + 30 * 86_400;
    assert_eq!(
        lines[0],
        format!("liquidator (streaming): interest projected to {now}: 1 of 1 account(s) entered the liquidatable set, 0 left")
    );
    assert_eq!(liquidated(&attempts), vec![(victim, planned_repay)]);
    let stats = current.stats();
    assert_eq!(
        (stats.full_scans, stats.notifications, stats.reprojections, stats.passes, stats.liquidations),
        (1, 0, 2, 1, 1),
        "no rescan, no notification: the reprojection found it"
    );
}
