//! The liquidator index (issue 12) against the full rescan it replaces: random
//! markets, random price moves (one pool or several, up and down, small and 5% to
//! 40%), oracle outages and account updates; after every step the index's
//! liquidatable set equals the rescan's, account for account.

use margin_interface::{oracle::OraclePrice, state::AccountKind};
use margin_ops::index::{LiquidatorIndex, Touched};
use margin_tests::{
    fuzz::Rng,
    synthetic::{account_key, Market, NOW, POOLS, SOL},
};

/// A random move factor for a price now at `level` times its start: half the
/// moves 5% to 40%, half under 5%; down or up at random, pulled back inside
/// [0.5, 2] of the start so the market stays a market.
fn factor(rng: &mut Rng, level: f64) -> f64 {
    let magnitude = if rng.below(2) == 0 { 0.05 + 0.35 * rng.unit() } else { 0.05 * rng.unit() };
    let down = level > 2.0 || (level >= 0.5 && rng.below(2) == 0);
    if down {
        1.0 - magnitude
    } else {
        1.0 + magnitude
    }
}

fn level(market: &Market, start: &[Option<OraclePrice>], pool: usize) -> f64 {
    match (market.pools[pool].price, start[pool]) {
        (Some(now), Some(start)) => now.price as f64 / start.price as f64,
        _ => 1.0,
    }
}

fn run(seed: u64, pools: usize, accounts: usize, steps: usize) {
    let mut rng = Rng::new(seed);
    let mut market = Market::new(&mut rng, pools, accounts);
    let start: Vec<Option<OraclePrice>> = market.pools.iter().map(|pool| pool.price).collect();
    let mut index = market.index();
    let expected = market.rescan();
    assert_eq!(index.liquidatable(), &expected, "seed {seed}: at the start");
    println!("seed {seed}: {accounts} accounts over {pools} pools, {} liquidatable at the start", expected.len());
    let mut outage: Option<(usize, Option<OraclePrice>)> = None;
    let mut serial = accounts as u64;
    let (mut entered, mut left, mut predicted) = (0, 0, 0);
    for step in 0..steps {
        let mut roll = rng.below(20);
        if outage.is_some() && (14..=18).contains(&roll) {
            roll = 14; // accounts are made at live prices: end the outage first
        }
        let (what, touched): (String, Touched) = match roll {
            0..=8 => {
                let pool = rng.below(pools as u64) as usize;
                let factor = factor(&mut rng, level(&market, &start, pool));
                let update = market.move_price(pool, factor);
                (format!("{} x{factor:.4}", market.pools[pool].name), index.set_prices(&[update]))
            }
            9..=13 => {
                let mut updates = Vec::new();
                let mut what = Vec::new();
                for pool in 0..pools {
                    if rng.below(2) == 0 {
                        let factor = factor(&mut rng, level(&market, &start, pool));
                        updates.push(market.move_price(pool, factor));
                        what.push(format!("{} x{factor:.4}", market.pools[pool].name));
                    }
                }
                (what.join(", "), index.set_prices(&updates))
            }
            14 => match outage.take() {
                Some((pool, price)) => {
                    market.pools[pool].price = price;
                    (
                        format!("{} back from an outage", market.pools[pool].name),
                        index.set_prices(&[(market.pools[pool].key, price)]),
                    )
                }
                None => {
                    let pool = rng.below(pools as u64) as usize;
                    outage = Some((pool, market.pools[pool].price));
                    market.pools[pool].price = None;
                    (format!("{} outage", market.pools[pool].name), index.set_prices(&[(market.pools[pool].key, None)]))
                }
            },
            15..=16 => {
                let at = rng.below(market.accounts.len() as u64) as usize;
                let cache = market.account(&mut rng);
                let key = market.accounts[at].0;
                let touched = index.upsert(key, &cache);
                market.accounts[at].1 = cache;
                ("an account replaced".to_string(), touched)
            }
            17 => {
                let cache = market.account(&mut rng);
                let key = account_key(serial);
                serial += 1;
                let touched = index.upsert(key, &cache);
                market.accounts.push((key, cache));
                ("an account added".to_string(), touched)
            }
            18 => {
                let at = rng.below(market.accounts.len() as u64) as usize;
                let (key, _) = market.accounts.swap_remove(at);
                let was = index.liquidatable().contains(&key);
                assert!(index.remove(&key));
                ("an account removed".to_string(), Touched { left: usize::from(was), ..Touched::default() })
            }
            _ => {
                let updates: Vec<_> = (0..pools)
                    .map(|pool| {
                        let factor = 1.0 + 0.004 * (rng.unit() - 0.5);
                        market.move_price(pool, factor)
                    })
                    .collect();
                ("every pool within 0.2%".to_string(), index.set_prices(&updates))
            }
        };
        let expected = market.rescan();
        assert_eq!(index.liquidatable(), &expected, "seed {seed}, step {step} ({what})");
        assert_eq!(index.len(), market.accounts.len());
        // Every side a linear model decided is the engine's: settling (here, every
        // other step, or else at the start of the next update) moves no account in
        // or out.
        assert_eq!(index.unsettled(), touched.predicted, "seed {seed}, step {step}");
        if step % 2 == 1 {
            let settled = index.settle();
            assert_eq!((settled.evaluated, settled.entered, settled.left), (touched.predicted, 0, 0), "step {step}");
            assert_eq!(index.liquidatable(), &expected, "seed {seed}, step {step}: settled");
        }
        predicted += touched.predicted;
        entered += touched.entered;
        left += touched.left;
        println!(
            "step {step:>3} {what}: {} liquidatable (+{} -{}), of {} accounts {} decided by their model, {} by the engine",
            expected.len(),
            touched.entered,
            touched.left,
            market.accounts.len(),
            touched.predicted,
            touched.evaluated,
        );
    }
    println!(
        "seed {seed}: {entered} entries and {left} exits over {steps} steps, each equal to the rescan; {predicted} \
         accounts decided by their model"
    );
    assert!(predicted > steps, "seed {seed}: the models decided {predicted} accounts in {steps} steps");

    // A month of interest: every debt grows, every account is re-evaluated.
    let later = NOW + 30 * 86_400;
    let touched = index.set_now(later);
    market.set_now(later);
    let expected = market.rescan();
    assert_eq!(index.liquidatable(), &expected, "seed {seed}: a month later");
    assert_eq!(touched.evaluated, market.accounts.len());
    println!("a month later: {} liquidatable (+{} -{})", expected.len(), touched.entered, touched.left);

    // SOL's Maintenance asset weight cut by 10 points: its holders are re-evaluated.
    if market.pools[SOL].price.is_some() {
        let mut pool = market.pools[SOL].pool;
        pool.config.maint_asset_weight_bps -= 1_000;
        let key = market.set_pool(SOL, pool);
        let touched = index.set_pool(&key, &pool);
        let expected = market.rescan();
        assert_eq!(index.liquidatable(), &expected, "seed {seed}: SOL weight cut");
        let holders = market.accounts.iter().filter(|(_, cache)| cache.find(&key).is_some()).count();
        assert_eq!(touched.evaluated, holders);
        println!("SOL weight cut: {} liquidatable (+{} -{})", expected.len(), touched.entered, touched.left);
    }
}

#[test]
fn liquidator_index_equals_a_full_rescan_after_every_update() {
    run(0x1d3e_5eed, POOLS.len(), 4_000, 120);
}

#[test]
fn liquidator_index_equals_a_full_rescan_in_a_small_market() {
    run(42, 3, 800, 120);
}

/// One isolated SOL/USDC account around its liquidation price: the index
/// looks at it when a move crosses one of its triggers, and flips it on the price
/// `HealthCache::liquidation_price` solves for: decided by its linear model (a
/// cent of health is far outside the model's rounding margin), then evaluated
/// exactly and re-armed by `settle`.
#[test]
fn liquidator_index_flips_an_account_at_its_liquidation_price() {
    let mut rng = Rng::new(7);
    let mut market = Market::new(&mut rng, 2, 0);
    // 10 SOL against 1,000 USDC of debt (shares worth 1.02 and 1.05 units).
    let cache = market.cache(AccountKind::Isolated, &[(SOL, 10_000_000_000, 0), (1, 0, 952_380_953)]);
    let liquidation_price = cache.liquidation_price(&market.pools[SOL].key).unwrap().unwrap();
    let key = account_key(1);
    let mut index = LiquidatorIndex::new(NOW);
    let inserted = index.upsert(key, &cache);
    market.accounts.push((key, cache));
    assert_eq!(inserted, Touched { evaluated: 1, ..Touched::default() });
    assert!(index.liquidatable().is_empty());

    let sol_usd = |market: &Market| {
        let price = market.pools[SOL].price.unwrap();
        price.price as f64 * 10f64.powi(price.expo)
    };
    // The move, and then what `settle` found: it never changes a side the model
    // decided.
    let mut move_to = |market: &mut Market, usd: f64| {
        let update = market.move_price(SOL, usd / sol_usd(market));
        let touched = index.set_prices(&[update]);
        let (indexed, rescanned) = (index.liquidatable().contains(&key), market.rescan().contains(&key));
        let settled = index.settle();
        assert_eq!((settled.entered, settled.left, index.unsettled()), (0, 0, 0));
        assert_eq!(index.liquidatable().contains(&key), indexed);
        (touched, settled.evaluated, indexed, rescanned)
    };
    // A 1% rise helps a healthy account: nothing to look at.
    assert_eq!(move_to(&mut market, 151.5), (Touched::default(), 0, false, false));
    // Down to 0.01% above the liquidation price: the trigger fires, still healthy.
    let predicted = |entered, left| Touched { predicted: 1, entered, left, ..Touched::default() };
    assert_eq!(move_to(&mut market, liquidation_price * 1.0001), (predicted(0, 0), 1, false, false));
    // 0.01% below it: liquidatable.
    assert_eq!(move_to(&mut market, liquidation_price * 0.9999), (predicted(1, 0), 1, true, true));
    // Further down only deepens the deficit: not looked at.
    assert_eq!(move_to(&mut market, liquidation_price * 0.9), (Touched::default(), 0, true, true));
    // Back above: it leaves the set.
    assert_eq!(move_to(&mut market, liquidation_price * 1.0001), (predicted(0, 1), 1, false, false));
    assert!(index.remove(&key));
    assert!(index.is_empty() && index.liquidatable().is_empty());
}

/// An account whose value the engine cannot compute (past 2^127) is not
/// liquidatable, for the index as for the rescan, and any move of its prices
/// re-checks it: once SOL is in range, the debt makes it liquidatable.
#[test]
fn liquidator_index_rechecks_an_account_the_engine_cannot_value() {
    let mut rng = Rng::new(9);
    let mut market = Market::new(&mut rng, 2, 0);
    let huge = 1_000_000_000_000_000; // $10^15 per SOL, exponent 0
    market.pools[SOL].price =
        Some(OraclePrice { price: huge, conf: 0, expo: 0, publish_time: NOW, ema_price: huge, ema_conf: 0 });
    // 4.7e9 SOL of collateral ($4.7e24) against 1.7e10 USDC of debt.
    let cache = market.cache(AccountKind::Cross, &[(SOL, u64::MAX / 4, 0), (1, 0, u64::MAX / 1_000_000 * 900)]);
    assert!(cache.health_at(margin_interface::health::MAINTENANCE).is_err());
    let key = account_key(3);
    let mut index = LiquidatorIndex::new(NOW);
    assert_eq!(index.upsert(key, &cache), Touched { evaluated: 1, ..Touched::default() });
    market.accounts.push((key, cache));
    assert!(index.liquidatable().is_empty() && market.rescan().is_empty());

    // SOL to $1: 4.7e9 SOL x 0.85 = $4.0e9 of Maintenance collateral.
    let update = market.move_price(SOL, 1e-15);
    assert_eq!(market.pools[SOL].price.unwrap().price, 1);
    // No model to predict with: the engine decides on the spot.
    assert_eq!(index.set_prices(&[update]), Touched { evaluated: 1, entered: 1, ..Touched::default() });
    assert_eq!(index.liquidatable(), &market.rescan());
    assert!(index.liquidatable().contains(&key));
}
