//! Keeper and liquidator loops on the embedded SVM, including the race where two
//! liquidators target the same account.

use std::collections::HashMap;

use margin_ops::bots::{self, Attempt, Chain, Embedded, Liquidator, OracleBook};
use margin_tests::{Env, Feed};
use solana_sdk::{pubkey::Pubkey, signature::Signer};

#[test]
fn keeper_cranks_only_stale_pools() {
    let mut env = Env::new();
    let a = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let b = env.add_priced_pool(9, 100.0, Feed::Pull);
    let keeper = env.user();
    env.svm.advance_time(7_200);
    env.svm.process(&[margin_client::instructions::accrue_interest(&a.pool)], &[]).unwrap();
    let mut lines = Vec::new();
    let cranked =
        bots::keeper_once(&mut Embedded(&mut env.svm), &keeper, 3_600, &mut |l| lines.push(l.to_string())).unwrap();
    assert_eq!(cranked, vec![b.pool], "only the pool idle for two hours");
    assert_eq!(env.pool(&b).last_accrual_ts, env.svm.now());
    assert!(lines[1].contains(&b.pool.to_string()));
    let again = bots::keeper_once(&mut Embedded(&mut env.svm), &keeper, 3_600, &mut |_| {}).unwrap();
    assert!(again.is_empty());
}

#[test]
fn the_keeper_batches_accruals_twenty_pools_per_transaction() {
    let mut env = Env::new();
    let mut pools: Vec<_> = (0..25).map(|_| env.add_pool(6).pool).collect();
    pools.sort();
    let keeper = env.user();
    env.svm.advance_time(7_200);
    let mut lines = Vec::new();
    let cranked =
        bots::keeper_once(&mut Embedded(&mut env.svm), &keeper, 3_600, &mut |l| lines.push(l.to_string())).unwrap();
    assert_eq!(cranked, pools);
    let batches: Vec<&String> = lines.iter().filter(|l| l.contains("in one transaction")).collect();
    assert_eq!(batches.len(), 2, "{lines:?}");
    assert!(batches[0].starts_with("keeper: accrued 20 pool(s) in one transaction"), "{}", batches[0]);
    assert!(batches[1].starts_with("keeper: accrued 5 pool(s) in one transaction"), "{}", batches[1]);
    let now = env.svm.now();
    for pool in &pools {
        let data = env.svm.data(pool);
        assert_eq!(margin_client::accounts::pool(&data).unwrap().last_accrual_ts, now);
    }
}

/// A victim below maintenance in a market whose SOL pool is wrapped SOL (so the
/// bot can value its bonus in lamports), and a funded liquidator.
fn priced_market() -> (Env, margin_client::pda::PoolKeys, margin_client::pda::PoolKeys, Pubkey) {
    let mut env = Env::new();
    let native = solana_sdk::pubkey!("So11111111111111111111111111111111111111112");
    let token = margin_client::spl_token_id();
    env.svm.create_mint_at(native, 9, &token);
    let sol = {
        let keys = margin_client::pda::PoolKeys::derive(&env.group, &native, &token);
        let config = margin_client::config::default_pool_config();
        let admin = env.admin.insecure_clone();
        let ix = margin_client::instructions::create_pool(&env.svm.payer().pubkey(), &admin.pubkey(), &keys, config);
        env.svm.process(&[ix], &[&admin]).expect("wrapped SOL pool");
        env.set_oracle(&keys, Feed::Legacy, margin_tests::usd_price(100.0, env.svm.now()));
        keys
    };
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let (_, victim) = env.underwater(&sol, &usdc, 10_000_000_000, 700_000_000, 86.0);
    (env, sol, usdc, victim)
}

#[test]
fn every_bot_transaction_sets_a_simulated_limit_and_its_priority_fee() {
    use margin_client::budget;
    let (mut env, _sol, usdc, victim) = priced_market();
    let key = env.user();
    let margin = env.open_cross(&key, 0);
    let wallet = env.token_account(&usdc, &key.pubkey(), 10_000_000_000);
    let fixed = bots::FeePolicy { price: bots::PriorityFee::Fixed(5_000), ..bots::FeePolicy::default() };
    let bot = Liquidator {
        wallets: HashMap::from([(usdc.mint, wallet)]),
        min_profit_usd: 0.0,
        fees: fixed,
        ..Liquidator::new(&key, margin)
    };
    let planned = bots::find_liquidations(&mut Embedded(&mut env.svm), &bot, &mut |_| {}).unwrap();
    let bots::Action::Liquidate(choices) = &planned[0].action else { panic!("a liquidation") };
    let (body, bonus_usd) = (choices[0].instructions.clone(), choices[0].bonus_usd);
    // The bot's budget: a fifth of the bonus, in lamports at SOL's price now ($86).
    assert_eq!(choices[0].fee_budget_lamports, Some((bonus_usd * 0.2 / 86.0 * 1e9) as u64));
    let probe = budget::with_budget(budget::MAX_COMPUTE_UNIT_LIMIT, 0, &body);
    let units = Embedded(&mut env.svm).simulate_units(&probe, &key, &[]).unwrap();
    let attempts = bots::execute(&mut Embedded(&mut env.svm), &bot, planned, &mut |_| {}).unwrap();
    let [Attempt::Liquidated { sent, account, .. }] = attempts.as_slice() else { panic!("{attempts:?}") };
    assert_eq!(*account, victim);
    // The limit is the simulation plus 10%; 5,000 micro-lamports/CU costs far
    // less than a fifth of the bonus, so the fixed price stands.
    assert_eq!(sent.compute_unit_limit, Some(budget::limit_from_simulation(units, 10)));
    assert_eq!(sent.compute_unit_price, Some(5_000));

    // A bid above the budget is cut to it.
    let (mut env, _sol, usdc, _) = priced_market();
    let key = env.user();
    let margin = env.open_cross(&key, 0);
    let wallet = env.token_account(&usdc, &key.pubkey(), 10_000_000_000);
    let greedy = bots::FeePolicy { price: bots::PriorityFee::Fixed(u64::MAX / 2), ..bots::FeePolicy::default() };
    let bot = Liquidator {
        wallets: HashMap::from([(usdc.mint, wallet)]),
        min_profit_usd: 0.0,
        fees: greedy,
        ..Liquidator::new(&key, margin)
    };
    let planned = bots::find_liquidations(&mut Embedded(&mut env.svm), &bot, &mut |_| {}).unwrap();
    let bots::Action::Liquidate(choices) = &planned[0].action else { panic!("a liquidation") };
    let budget_lamports = choices[0].fee_budget_lamports.expect("SOL is priced");
    let attempts = bots::execute(&mut Embedded(&mut env.svm), &bot, planned, &mut |_| {}).unwrap();
    let [Attempt::Liquidated { sent, .. }] = attempts.as_slice() else { panic!("{attempts:?}") };
    let limit = sent.compute_unit_limit.expect("a limit");
    assert_eq!(sent.compute_unit_price, Some(budget::price_within(budget_lamports, limit)));

    // The keeper's accruals are priced too.
    env.svm.advance_time(7_200);
    let mut lines = Vec::new();
    bots::keeper_once(&mut Embedded(&mut env.svm), &key, 3_600, &mut |l| lines.push(l.to_string())).unwrap();
    assert_eq!(lines.iter().filter(|l| l.contains("in one transaction")).count(), 1);
}

#[test]
fn two_liquidators_race_and_the_loser_moves_on() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Pull);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    env.lend(&usdc, 100_000_000_000);
    let user = env.user();
    let victim = env.open_cross(&user, 0);
    let wallet = env.token_account(&sol, &user.pubkey(), 10_000_000_000);
    env.deposit(&user, &victim, &sol, &wallet, 10_000_000_000).unwrap();
    let out = env.token_account(&usdc, &user.pubkey(), 0);
    env.borrow(&user, &victim, &usdc, &out, 700_000_000).unwrap();
    env.set_usd(&sol, 86.0); // slightly underwater: one liquidation restores it

    // Pull pools name a feed id; the bot maps it to the update account to pass.
    let feeds: HashMap<[u8; 32], _> = env.oracles.values().map(|o| (o.address, o.account)).collect();
    let keys: Vec<_> = (0..2).map(|_| env.user()).collect();
    let margins: Vec<_> = keys.iter().map(|k| env.open_cross(k, 0)).collect();
    let wallets: Vec<_> = keys.iter().map(|k| env.token_account(&usdc, &k.pubkey(), 10_000_000_000)).collect();
    let bots_config: Vec<Liquidator> = (0..2)
        .map(|i| Liquidator {
            wallets: HashMap::from([(usdc.mint, wallets[i])]),
            oracles: OracleBook { feeds: feeds.clone() },
            min_profit_usd: 0.01,
            ..Liquidator::new(&keys[i], margins[i])
        })
        .collect();

    // A minimum profit above any bonus here keeps a bot out.
    let picky = Liquidator {
        min_profit_usd: 1e9,
        oracles: OracleBook { feeds: feeds.clone() },
        wallets: HashMap::from([(usdc.mint, wallets[0])]),
        ..Liquidator::new(&keys[0], margins[0])
    };
    assert!(bots::find_liquidations(&mut Embedded(&mut env.svm), &picky, &mut |_| {}).unwrap().is_empty());

    // Both see the same unhealthy account, both send.
    let first = bots::find_liquidations(&mut Embedded(&mut env.svm), &bots_config[0], &mut |_| {}).unwrap();
    let second = bots::find_liquidations(&mut Embedded(&mut env.svm), &bots_config[1], &mut |_| {}).unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(second.len(), 1);
    let won = bots::execute(&mut Embedded(&mut env.svm), &bots_config[0], first, &mut |_| {}).unwrap();
    let lost = bots::execute(&mut Embedded(&mut env.svm), &bots_config[1], second, &mut |_| {}).unwrap();
    assert!(matches!(won[0], Attempt::Liquidated { account, .. } if account == victim));
    assert!(
        matches!(&lost[0], Attempt::LostRace { account, reason } if *account == victim && reason.contains("NotLiquidatable")),
        "{lost:?}"
    );
    assert_eq!(env.svm.token_balance(&wallets[1]), 10_000_000_000, "the loser paid nothing");
    assert!(env.health(&victim).unwrap().maintenance >= 0);
    // A later pass finds nothing to do.
    assert!(bots::liquidator_once(&mut Embedded(&mut env.svm), &bots_config[1], &mut |_| {}).unwrap().is_empty());
}
