//! Keeper and liquidator loops on the embedded SVM, including the race where two
//! liquidators target the same account.

use std::collections::HashMap;

use margin_ops::bots::{self, Attempt, Embedded, Liquidator, OracleBook};
use margin_tests::{Env, Feed};
use solana_sdk::signature::Signer;

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
