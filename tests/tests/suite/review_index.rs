//! Adversarial review of the liquidator index's critical path (`decide_by_model`)
//! and of its triggers: markets at the edges of the health engine (decimals 0 to
//! 18, exponents down to -18, mantissas from 1 to near `i64::MAX`, confidence bands
//! up to the price, the wide-band and 16.48-weight paths, isolated-only and
//! zero-weight collateral, values near the engine's 2^127 limit) and accounts
//! within a few raw units of zero health. After every step the index's set must
//! equal a full rescan's, and `settle` must move no account in or out.

use margin_client::{
    config::default_pool_config,
    health::{maintenance_unit_values, scale_price, HealthCache},
};
use margin_interface::{
    fixed,
    health::MAINTENANCE,
    oracle::OraclePrice,
    state::{AccountKind, Pool, POOL_FLAG_ISOLATED_ONLY},
};
use margin_ops::index::{LiquidatorIndex, Touched};
use margin_tests::{
    fuzz::Rng,
    synthetic::{account_key, Market, SyntheticPool, NOW},
};
use solana_sdk::pubkey::Pubkey;

/// One pool of a review market: mint decimals, price mantissa, exponent and
/// confidence, confidence multiplier (pct), Maintenance weights (bps), and
/// isolated-only.
#[derive(Clone, Copy, Debug)]
struct Spec {
    decimals: u8,
    mantissa: i64,
    expo: i32,
    conf: u64,
    k_pct: u16,
    asset_bps: u16,
    liab_bps: u16,
    isolated_only: bool,
}

/// A pool at `mantissa x 10^expo` USD per whole token, no confidence band, default
/// weights (85% / 105%).
fn spec(decimals: u8, mantissa: i64, expo: i32) -> Spec {
    Spec { decimals, mantissa, expo, conf: 0, k_pct: 100, asset_bps: 8_500, liab_bps: 10_500, isolated_only: false }
}

fn price(mantissa: i64, conf: u64, expo: i32) -> OraclePrice {
    OraclePrice { price: mantissa, conf, expo, publish_time: NOW, ema_price: mantissa, ema_conf: conf }
}

/// Pool `serial` of a review market: unit share values (so amounts are shares),
/// accrued to `NOW`, half lent out (a later `now` accrues interest).
fn pool(serial: usize, spec: &Spec) -> SyntheticPool {
    let mut pool: Pool = bytemuck::Zeroable::zeroed();
    pool.mint_decimals = spec.decimals;
    pool.deposit_share_value = fixed::store(fixed::ONE);
    pool.borrow_share_value = fixed::store(fixed::ONE);
    pool.last_accrual_ts = NOW;
    pool.total_deposit_shares = u64::MAX / 4;
    pool.total_borrow_shares = u64::MAX / 8;
    let mut config = default_pool_config();
    config.oracle.confidence_multiplier_pct = spec.k_pct;
    config.maint_asset_weight_bps = spec.asset_bps;
    config.init_asset_weight_bps = spec.asset_bps;
    config.maint_liab_weight_bps = spec.liab_bps;
    config.init_liab_weight_bps = spec.liab_bps;
    config.stress_bps = (serial as u16 * 1_300) % 10_000;
    if spec.isolated_only {
        config.flags = POOL_FLAG_ISOLATED_ONLY;
    }
    pool.config = config;
    let mut key = [0u8; 32];
    key[0] = 0xa7;
    key[1..9].copy_from_slice(&(serial as u64).to_le_bytes());
    SyntheticPool {
        name: "review",
        key: Pubkey::new_from_array(key),
        pool,
        price: Some(price(spec.mantissa, spec.conf, spec.expo)),
    }
}

fn market(specs: &[Spec]) -> Market {
    Market { pools: specs.iter().enumerate().map(|(i, spec)| pool(i, spec)).collect(), accounts: Vec::new() }
}

fn maintenance(cache: &HealthCache) -> Option<i128> {
    cache.health_at(MAINTENANCE).ok().map(|health| health.maintenance)
}

/// A price move of one pool.
#[derive(Clone, Copy, Debug)]
enum Move {
    /// Spot, EMA and both confidences times a factor (`scale_price`).
    Times(f64),
    /// The mantissa (spot and EMA) plus a number of units, confidences unchanged.
    Units(i64),
    /// A given price, or an outage.
    To(Option<OraclePrice>),
}

/// The market, the index built over it, and the checks run after every step.
struct Harness {
    market: Market,
    index: LiquidatorIndex,
    steps: usize,
    serial: u64,
    /// Accounts decided by their linear model over all steps.
    predicted: usize,
    /// Accounts the engine evaluated on the critical path over all steps.
    evaluated: usize,
    /// The time interest is projected to.
    now: i64,
}

impl Harness {
    fn new(market: Market) -> Self {
        let index = market.index();
        let serial = market.accounts.len() as u64;
        let mut harness = Self { market, index, steps: 0, serial, predicted: 0, evaluated: 0, now: NOW };
        harness.check("built", Touched::default());
        harness
    }

    /// Adds an account of `kind` with `positions` (pool, deposit shares, debt shares).
    fn add(&mut self, kind: AccountKind, positions: &[(usize, u64, u64)]) -> Pubkey {
        let cache = self.cache(kind, positions);
        self.add_cache(cache)
    }

    /// An account's cache at the current prices and time.
    fn cache(&self, kind: AccountKind, positions: &[(usize, u64, u64)]) -> HealthCache {
        HealthCache { now: self.now, ..self.market.cache(kind, positions) }
    }

    fn add_cache(&mut self, cache: HealthCache) -> Pubkey {
        let key = account_key(1_000_000 + self.serial);
        self.serial += 1;
        let touched = self.index.upsert(key, &cache);
        self.market.accounts.push((key, cache));
        self.check("an account added", touched);
        key
    }

    fn liquidatable(&self, key: &Pubkey) -> bool {
        self.index.liquidatable().contains(key)
    }

    /// Applies `moves` (pool, move) at once, in the market and in the index.
    fn set_prices(&mut self, moves: &[(usize, Move)]) -> Touched {
        let mut updates = Vec::new();
        for &(pool, how) in moves {
            let entry = &mut self.market.pools[pool];
            entry.price = match how {
                Move::Times(factor) => entry.price.map(|price| scale_price(&price, factor)),
                Move::Units(units) => entry.price.map(|price| OraclePrice {
                    price: price.price.saturating_add(units).max(1),
                    ema_price: price.ema_price.saturating_add(units).max(1),
                    ..price
                }),
                Move::To(price) => price,
            };
            updates.push((entry.key, entry.price));
        }
        let touched = self.index.set_prices(&updates);
        self.check(&format!("{moves:?}"), touched);
        touched
    }

    fn set_pool(&mut self, pool: usize, new: Pool) -> Touched {
        let key = self.market.set_pool(pool, new);
        let touched = self.index.set_pool(&key, &new);
        self.check(&format!("pool {pool} replaced"), touched);
        touched
    }

    fn set_now(&mut self, now: i64) -> Touched {
        self.now = now;
        self.market.set_now(now);
        let touched = self.index.set_now(now);
        self.check(&format!("now {now}"), touched);
        touched
    }

    /// The index equals the rescan; the accounts decided by their model are the
    /// unsettled ones, and settling them (on a copy, and on the index every other
    /// step; else the next update settles first) moves none of them.
    fn check(&mut self, what: &str, touched: Touched) {
        let step = self.steps;
        self.steps += 1;
        self.predicted += touched.predicted;
        self.evaluated += touched.evaluated;
        let expected = self.market.rescan();
        assert_eq!(
            self.index.liquidatable(),
            &expected,
            "step {step} ({what}, {touched:?}): the index and the rescan differ"
        );
        assert_eq!(self.index.len(), self.market.accounts.len());
        assert_eq!(self.index.unsettled(), touched.predicted, "step {step} ({what})");
        let mut settled = self.index.clone();
        let after = settled.settle();
        assert_eq!(
            (after.evaluated, after.entered, after.left),
            (touched.predicted, 0, 0),
            "step {step} ({what}): settling moved an account"
        );
        assert_eq!(settled.liquidatable(), &expected, "step {step} ({what}): settled");
        if step % 2 == 1 {
            self.index = settled;
        }
    }
}

/// Maintenance values as Q64.64 raw units: `2^127 x share`.
fn q64_share_of_limit(share: f64) -> f64 {
    share * 2f64.powi(127)
}

/// A healthy account whose collateral and debt are each over half the engine's
/// 2^127 limit: a debt rise of 1.9x (inside the linear model's 100% range) takes
/// the liabilities past it, and the engine cannot value the account (not
/// liquidatable, as `liquidate` would refuse it). The model, extrapolating, must
/// not call it liquidatable.
#[test]
fn review_index_debt_rise_into_the_engines_overflow() {
    // Decimals 0, exponent 0, no band: a native unit is worth the mantissa in USD.
    let mut harness = Harness::new(market(&[
        Spec { asset_bps: 10_000, liab_bps: 10_000, ..spec(0, 1_000_000_000, 0) },
        Spec { asset_bps: 10_000, liab_bps: 10_000, ..spec(0, 1_000_000_000, 0) },
    ]));
    let usd = |share: f64| q64_share_of_limit(share) / fixed::ONE as f64 / 1e9;
    let key = harness.add(AccountKind::Isolated, &[(0, usd(0.60) as u64, 0), (1, 0, usd(0.55) as u64)]);
    assert!(!harness.liquidatable(&key));
    let touched = harness.set_prices(&[(1, Move::Times(1.9))]);
    assert!(maintenance(&harness.market.accounts[0].1).is_none(), "past the engine's range");
    assert_eq!(touched.entered, 0);
    // Back in range: liquidatable (0.55 x 1.5 > 0.6).
    harness.set_prices(&[(1, Move::Times(1.5 / 1.9))]);
    assert!(harness.liquidatable(&key));
}

/// A liquidatable account's debt can rise without bound while it stays
/// liquidatable (no trigger watches that side): far enough up, the engine cannot
/// value it and it is not liquidatable any more.
#[test]
fn review_index_liquidatable_debt_rises_past_the_engines_range() {
    let mut harness = Harness::new(market(&[spec(0, 1_000_000, 0), spec(0, 1_000_000, 0)]));
    let units = |share: f64| (q64_share_of_limit(share) / fixed::ONE as f64 / 1e6) as u64;
    let key = harness.add(AccountKind::Isolated, &[(0, units(0.005), 0), (1, 0, units(0.01))]);
    assert!(harness.liquidatable(&key));
    // 20x: still in range, still liquidatable.
    harness.set_prices(&[(1, Move::Times(20.0))]);
    assert!(harness.liquidatable(&key));
    // 200x in all: 2 x 2^127 of liabilities.
    harness.set_prices(&[(1, Move::Times(10.0))]);
    assert!(maintenance(&harness.market.accounts[0].1).is_none());
    assert!(!harness.liquidatable(&key));
    // And back: liquidatable again.
    harness.set_prices(&[(1, Move::Times(0.01))]);
    assert!(harness.liquidatable(&key));
}

/// An 18-decimal token at $0.08: one native unit is worth 1.48 Q64.64 raw units
/// (a coordinate of 1 per unit), and at a 60% weight 0.89, which the engine
/// floors to zero: the collateral counts nothing (at most ~$1.5 of it, a u64 of
/// native units). With SOL (0.3% band) and USDC.
fn zero_valued_market() -> Market {
    market(&[
        Spec { asset_bps: 6_000, ..spec(18, 8_000_000, -8) },
        spec(6, 100_000_000, -8),
        Spec { conf: 5_000_000, ..spec(9, 15_000_000_000, -8) },
    ])
}

/// 18 tokens of the zero-valued collateral.
const ZERO_VALUED_TOKENS: u64 = 18_000_000_000_000_000_000;

/// The zero-valued collateral's price rising 20x makes it count ($15.6 for 18
/// tokens): a liquidatable account holding it against $6 of debt (outside the
/// model's margin, $3.9 here: 4 raw units per native unit) must leave the set,
/// though no trigger of a valued position fires.
#[test]
fn review_index_zero_valued_collateral_that_starts_to_count() {
    let mut harness = Harness::new(zero_valued_market());
    let key = harness.add(AccountKind::Isolated, &[(0, ZERO_VALUED_TOKENS, 0), (1, 0, 6_000_000)]);
    assert_eq!(harness.market.accounts[0].1.values(0).unwrap().assets[1], 0, "the engine floors it to zero");
    assert!(harness.liquidatable(&key));
    harness.set_prices(&[(0, Move::Times(20.0))]);
    assert!(!harness.liquidatable(&key));
    harness.set_prices(&[(0, Move::Times(0.05))]);
    assert!(harness.liquidatable(&key));
    // Up 1.9x and 2x from there: still floored to at most two raw units per native
    // unit (inside the margin), the triggers at 100% see the rest.
    for factor in [1.9, 2.0 / 1.9, 1.5, 0.25, 3.0, 1.0 / 3.0, 10.0, 2.0, 0.05] {
        harness.set_prices(&[(0, Move::Times(factor))]);
    }
}

/// The linear model must not ignore a zero-valued position. 18 tokens of it are
/// 1.8e19 native units: the model's margin (4 raw units per native unit) is
/// $3.9. SOL collateral $8 short of covering $105 of weighted debt; SOL up 3%
/// fires its trigger and the model (SOL's term alone) finds it $5 short, outside
/// the margin; but the zero-valued token's 20x move in the same update has made
/// it worth $16.6 at its weight.
#[test]
fn review_index_model_does_not_ignore_a_zero_valued_position() {
    let mut harness = Harness::new(zero_valued_market());
    let sol = harness.market.pools[2].price.unwrap();
    let sol_unit = (sol.price - sol.conf as i64) as f64 * 1e-8 / 1e9 * 0.85;
    let sol_units = (97.0 / sol_unit) as u64;
    let key = harness.add(AccountKind::Cross, &[(0, ZERO_VALUED_TOKENS, 0), (2, sol_units, 0), (1, 0, 100_000_000)]);
    assert!(harness.liquidatable(&key));
    harness.set_prices(&[(2, Move::Times(1.03)), (0, Move::Times(20.0))]);
    assert!(!harness.liquidatable(&key));
}

/// A delisted pool (0% collateral weight) on the 16.48-weight path (a mantissa
/// past `u64::MAX / 100 / 65_535`, as BTC at exponent -8): the engine multiplies
/// amount and unit price before the weight, so a large enough deposit that counts
/// nothing still makes the account unvaluable when its price rises 1.8x.
#[test]
fn review_index_zero_weight_collateral_past_the_engines_range() {
    let specs = [Spec { asset_bps: 0, ..spec(0, 6_000_000_000_000, -8) }, spec(6, 100_000_000, -8)];
    let mut harness = Harness::new(market(&specs));
    let units = (q64_share_of_limit(0.6) / fixed::ONE as f64 / 60_000.0) as u64;
    let key = harness.add(AccountKind::Isolated, &[(0, units, 0), (1, 0, 1_000_000_000)]);
    assert!(harness.liquidatable(&key));
    harness.set_prices(&[(0, Move::Times(1.8))]);
    assert!(maintenance(&harness.market.accounts[0].1).is_none());
    assert!(!harness.liquidatable(&key));
    harness.set_prices(&[(0, Move::Times(0.5))]);
    assert!(harness.liquidatable(&key));
}

/// Largest mantissa on the folded-weight path (`mantissa x 100 <= u64::MAX /
/// 65_535`); one more takes the 16.48 path.
const FOLD_LIMIT: i64 = (u64::MAX / 65_535 / 100) as i64;
/// Largest mantissa on the fast band path (`u64::MAX / 100`); more is
/// `Bands::wide`.
const FAST_LIMIT: i64 = (u64::MAX / 100) as i64;

/// A pool worth ~2 raw units (Q64.64) per native unit at full weight: 18 decimals
/// at $0.108, for topping accounts up to within a few raw units of zero.
fn fine_spec() -> Spec {
    Spec { asset_bps: 10_000, ..spec(18, 10_800_000, -8) }
}

/// The largest `x` in `0..=ceiling` with `ok(x)` (`ok(0)` assumed, monotone).
fn largest(ceiling: u64, ok: impl Fn(u64) -> bool) -> u64 {
    let (mut low, mut high) = (0u64, ceiling);
    if ok(high) {
        return high;
    }
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        if ok(middle) {
            low = middle;
        } else {
            high = middle;
        }
    }
    low
}

/// Adds accounts at the edge of zero Maintenance health: `deposit` in
/// `collateral` against the most debt in `debt` that keeps health >= 0, and one
/// unit more; with `fine` (a [`fine_spec`] pool) also cross accounts one unit of
/// debt over, topped up with fine collateral to just >= 0 and just < 0 (within a
/// few raw units). Returns how many it added.
fn edge_accounts(
    harness: &mut Harness,
    kind: AccountKind,
    collateral: usize,
    deposit: u64,
    debt: usize,
    fine: Option<usize>,
) -> usize {
    let health = |positions: &[(usize, u64, u64)]| maintenance(&harness.cache(kind, positions));
    let healthy = |borrow: u64| health(&[(collateral, deposit, 0), (debt, 0, borrow)]).is_some_and(|h| h >= 0);
    if !healthy(1) {
        return 0;
    }
    let borrow = largest(u64::MAX / 2, healthy);
    let mut accounts = vec![vec![(collateral, deposit, 0), (debt, 0, borrow)]];
    if borrow < u64::MAX / 2 {
        accounts.push(vec![(collateral, deposit, 0), (debt, 0, borrow + 1)]);
        if let Some(fine) = fine.filter(|_| kind == AccountKind::Cross) {
            let with = |top_up: u64| vec![(collateral, deposit, 0), (debt, 0, borrow + 1), (fine, top_up, 0)];
            let topped = |top_up: u64| health(&with(top_up)).is_some_and(|h| h < 0);
            let top_up = largest(u64::MAX / 2, topped);
            if top_up < u64::MAX / 2 {
                accounts.push(with(top_up));
                accounts.push(with(top_up + 1));
                let near = [top_up, top_up + 1].map(|t| health(&with(t)).unwrap_or(i128::MAX));
                assert!(near[0] < 0 && near[1] >= 0 && near[1] - near[0] <= 4, "{near:?}");
            }
        }
    }
    let added = accounts.len();
    for positions in accounts {
        harness.add(kind, &positions);
    }
    added
}

/// Small moves (one mantissa unit, 0.01%), then the model's 100% edge (x2,
/// x1.999, x2.001 and back) and a fall towards zero, of each pool in `pools`,
/// one at a time and all at once, ending back at the start prices.
fn edge_moves(harness: &mut Harness, pools: &[usize]) {
    let start: Vec<Option<OraclePrice>> = harness.market.pools.iter().map(|pool| pool.price).collect();
    let back = |harness: &mut Harness| {
        let moves: Vec<(usize, Move)> = pools.iter().map(|&pool| (pool, Move::To(start[pool]))).collect();
        harness.set_prices(&moves);
    };
    let battery = [
        Move::Units(1),
        Move::Units(-1),
        Move::Units(-1),
        Move::Units(1),
        Move::Times(1.0001),
        Move::Times(1.0 / 1.0001),
        Move::Times(0.9999),
        Move::Times(2.0),
        Move::Times(0.5),
        Move::Times(0.5),
        Move::Times(2.0),
        Move::Times(1.999),
        Move::Times(2.001 / 1.999),
        Move::Times(1.0 / 2.001),
        Move::Times(0.001),
        Move::Times(0.5),
        Move::Times(2_000.0),
    ];
    for &pool in pools {
        for how in battery {
            harness.set_prices(&[(pool, how)]);
        }
        back(harness);
    }
    for how in battery {
        let moves: Vec<(usize, Move)> = pools.iter().map(|&pool| (pool, how)).collect();
        harness.set_prices(&moves);
    }
    // Opposite directions at once.
    if let [first, second, ..] = pools {
        for (a, b) in [(1.5, 0.75), (0.75, 1.5), (1.999, 0.5), (0.5, 2.0)] {
            harness.set_prices(&[(*first, Move::Times(a)), (*second, Move::Times(b))]);
        }
    }
    back(harness);
}

/// Collateral `c` against debt `d` at the edge of zero (isolated and cross, with
/// a fine top-up), then [`edge_moves`] of both.
fn edge_scenario(specs: &[Spec], c: usize, deposit: u64, d: usize) -> Harness {
    println!("edge scenario: {specs:?}, collateral {c} ({deposit}), debt {d}");
    let mut specs = specs.to_vec();
    specs.push(fine_spec());
    let fine = specs.len() - 1;
    let mut harness = Harness::new(market(&specs));
    let mut added = 0;
    for kind in [AccountKind::Isolated, AccountKind::Cross] {
        added += edge_accounts(&mut harness, kind, c, deposit, d, Some(fine));
    }
    assert!(added >= 2, "no account at the edge");
    edge_moves(&mut harness, &[c, d]);
    println!(
        "  {} steps: {} decided by their model, {} by the engine",
        harness.steps, harness.predicted, harness.evaluated
    );
    harness
}

/// Decimals 0 to 18 on both sides: collateral at $0.11 (~2 raw units per native
/// unit at 18 decimals, floored to 1 at its weight), debt at $0.15 with 18 minus
/// as many decimals.
#[test]
fn review_index_edge_decimals_0_to_18() {
    for decimals in [0u8, 1, 5, 6, 9, 12, 17, 18] {
        let collateral = spec(decimals, 11_000_000, -8);
        let debt = Spec { conf: 1_000, ..spec(18 - decimals, 15_000_000, -8) };
        let deposit = 10u64.pow(decimals as u32).saturating_mul(17);
        edge_scenario(&[collateral, debt], 0, deposit, 1);
    }
}

/// Tiny and huge amounts: one native unit of collateral, and u64::MAX / 4 of a
/// cheap token.
#[test]
fn review_index_edge_tiny_and_huge_amounts() {
    edge_scenario(&[spec(0, 500_000_000_000, -8), spec(0, 3, -8)], 0, 1, 1);
    edge_scenario(&[spec(9, 1, -8), spec(6, 100_000_000, -8)], 0, u64::MAX / 4, 1);
    edge_scenario(&[spec(6, 100_000_000, -8), spec(18, 1, -12)], 0, 1_000_000, 1);
}

/// Exponents -18 and -12 with a mantissa of 1 to 37 (a unit price a few raw units
/// wide), and mantissas near i64::MAX / 100.
#[test]
fn review_index_edge_extreme_exponents_and_mantissas() {
    edge_scenario(&[spec(0, 1, -12), spec(0, 37, -18)], 0, 1_000_000_000, 1);
    edge_scenario(&[spec(6, i64::MAX / 100, -12), spec(9, i64::MAX / 100 - 7, -18)], 0, 1_000_000, 1);
    edge_scenario(&[spec(0, i64::MAX / 100, -18), spec(3, 1, 0)], 0, 77_777, 1);
}

/// Confidence bands from 1% to within one unit of the price (collateral worth
/// almost nothing at the low end, debt twice its price at the high end), and a
/// 3x multiplier: banded collateral against USDC, and SOL against banded debt.
#[test]
fn review_index_edge_wide_confidence_bands() {
    let m = 15_000_000_000i64;
    let (sol, usdc) = (spec(9, m, -8), spec(6, 100_000_000, -8));
    for (conf, k_pct) in [(m as u64 / 100, 100), (m as u64 / 2, 100), (m as u64 - 1, 100), (m as u64 / 4, 300)] {
        let banded = Spec { conf, k_pct, ..spec(9, m, -8) };
        edge_scenario(&[banded, usdc], 0, u64::MAX / 4, 1);
        edge_scenario(&[sol, banded], 0, 10_000_000_000, 1);
    }
}

/// `Bands::wide`: mantissas past `u64::MAX / 100` (rescaled by powers of ten,
/// bands rounded out) and confidences past 2^48; moves cross in and out of the
/// fast path.
#[test]
fn review_index_edge_wide_band_path() {
    let huge = 9_000_000_000_000_000_000i64;
    edge_scenario(&[spec(6, huge, -12), Spec { conf: 90_000_000_000_000_000, ..spec(9, huge, -18) }], 0, 1_000_000, 1);
    edge_scenario(
        &[Spec { conf: 1 << 50, k_pct: 300, ..spec(6, FAST_LIMIT, -12) }, spec(6, FAST_LIMIT + 1, -12)],
        0,
        3_000_000,
        1,
    );
    edge_scenario(&[spec(8, FAST_LIMIT / 2 + 3, -8), spec(8, FAST_LIMIT / 2, -10)], 0, 100, 1);
}

/// Weights folded into the mantissa against the 16.48 fallback: mantissas at the
/// fold limit (a x2 move crosses it), with odd weights, 0% collateral and the 300%
/// liability cap.
#[test]
fn review_index_edge_folded_and_fallback_weights() {
    for (asset_bps, liab_bps) in [(8_501, 10_001), (1, 29_999), (10_000, 30_000), (3_333, 17_777)] {
        let at_limit = Spec { asset_bps, liab_bps, ..spec(8, FOLD_LIMIT, -8) };
        let past = Spec { asset_bps, liab_bps, ..spec(8, FOLD_LIMIT / 2 + 1, -8) };
        edge_scenario(&[at_limit, past], 0, 1_000_000, 1);
        edge_scenario(&[past, at_limit], 0, 1_000_000, 1);
    }
    // 0% collateral next to valued collateral.
    let mut harness = Harness::new(market(&[
        Spec { asset_bps: 0, ..spec(8, FOLD_LIMIT * 3, -8) },
        spec(6, 100_000_000, -8),
        spec(9, 15_000_000_000, -8),
        fine_spec(),
    ]));
    for kind in [AccountKind::Isolated, AccountKind::Cross] {
        let market = &harness.market;
        let ok = |borrow: u64| {
            let cache = market.cache(kind, &[(0, 1_000_000_000, 0), (2, 3_000_000_000, 0), (1, 0, borrow)]);
            maintenance(&cache).is_some_and(|h| h >= 0)
        };
        let borrow = largest(u64::MAX / 2, ok);
        harness.add(kind, &[(0, 1_000_000_000, 0), (2, 3_000_000_000, 0), (1, 0, borrow)]);
        harness.add(kind, &[(0, 1_000_000_000, 0), (2, 3_000_000_000, 0), (1, 0, borrow + 1)]);
    }
    edge_moves(&mut harness, &[0, 2]);
}

/// Isolated-only collateral in cross accounts counts zero (in isolated accounts it
/// counts): its moves, outages and a flag flip must not move the cross accounts
/// on their own.
#[test]
fn review_index_edge_isolated_only_collateral_in_cross_accounts() {
    let bonk = Spec { isolated_only: true, conf: 600, ..spec(5, 2_000_000, -11) };
    let mut harness = Harness::new(market(&[bonk, spec(9, 15_000_000_000, -8), spec(6, 100_000_000, -8), fine_spec()]));
    // Cross: BONK (zero) and SOL against USDC at the edge; isolated: BONK against USDC.
    let market = &harness.market;
    let cross = |borrow: u64| vec![(0, 10u64.pow(15), 0), (1, 1_000_000_000, 0), (2, 0, borrow)];
    let borrow =
        largest(u64::MAX / 2, |b| maintenance(&market.cache(AccountKind::Cross, &cross(b))).is_some_and(|h| h >= 0));
    harness.add(AccountKind::Cross, &cross(borrow));
    harness.add(AccountKind::Cross, &cross(borrow + 1));
    edge_accounts(&mut harness, AccountKind::Isolated, 0, 10u64.pow(13), 2, None);
    edge_moves(&mut harness, &[0, 1]);
    harness.set_prices(&[(0, Move::To(None))]);
    harness.set_prices(&[(0, Move::Times(3.0))]);
    let bonk_price = harness.market.pools[0].price;
    assert!(bonk_price.is_none());
    harness.set_prices(&[(0, Move::To(Some(price(2_000_000, 600, -11))))]);
    // The flag off: BONK counts in the cross accounts; on again.
    let mut pool = harness.market.pools[0].pool;
    pool.config.flags = 0;
    harness.set_pool(0, pool);
    edge_moves(&mut harness, &[0]);
    pool.config.flags = POOL_FLAG_ISOLATED_ONLY;
    harness.set_pool(0, pool);
    edge_moves(&mut harness, &[0, 1]);
}

/// Outages going in and out around edge accounts: alone, with other moves in the
/// same update, in and out within one update, and a move while out.
#[test]
fn review_index_edge_outages() {
    let mut harness = edge_scenario(&[spec(9, 15_000_000_000, -8), spec(6, 100_000_000, -8)], 0, 1_000_000_000, 1);
    let sol = harness.market.pools[0].price;
    let usdc = harness.market.pools[1].price;
    harness.set_prices(&[(0, Move::To(None))]);
    harness.set_prices(&[(0, Move::To(sol))]);
    harness.set_prices(&[(1, Move::To(None)), (0, Move::Times(0.999))]);
    harness.set_prices(&[(0, Move::Times(1.0 / 0.999))]);
    harness.set_prices(&[(1, Move::To(usdc))]);
    // Out and back within one update, with a move.
    harness.set_prices(&[(0, Move::To(None)), (0, Move::To(sol)), (1, Move::Units(1))]);
    harness.set_prices(&[
        (1, Move::Units(-1)),
        (0, Move::To(None)),
        (0, Move::To(sol.map(|p| scale_price(&p, 0.9999)))),
    ]);
    harness.set_prices(&[(0, Move::To(sol))]);
    // Both out, then back one at a time.
    harness.set_prices(&[(0, Move::To(None)), (1, Move::To(None))]);
    harness.set_prices(&[(1, Move::To(usdc))]);
    harness.set_prices(&[(0, Move::To(sol))]);
    edge_moves(&mut harness, &[0, 1]);
}

/// `set_pool` with new weights, a new confidence multiplier and new decimals
/// around edge accounts, and `set_now` (a day and a month of interest).
#[test]
fn review_index_edge_set_pool_and_set_now() {
    let mut harness = edge_scenario(
        &[spec(9, 15_000_000_000, -8), Spec { conf: 10_000, ..spec(6, 100_000_000, -8) }],
        0,
        1_000_000_000,
        1,
    );
    let mut sol = harness.market.pools[0].pool;
    for (asset, liab) in [(8_499, 10_501), (8_500, 10_500), (10_000, 10_000), (0, 30_000), (8_500, 10_500)] {
        sol.config.maint_asset_weight_bps = asset;
        sol.config.maint_liab_weight_bps = liab;
        harness.set_pool(0, sol);
        harness.set_prices(&[(0, Move::Units(-1))]);
        harness.set_prices(&[(0, Move::Units(1))]);
    }
    let mut usdc = harness.market.pools[1].pool;
    usdc.config.oracle.confidence_multiplier_pct = 300;
    harness.set_pool(1, usdc);
    edge_moves(&mut harness, &[0, 1]);
    usdc.mint_decimals = 18;
    harness.set_pool(1, usdc);
    edge_moves(&mut harness, &[1]);
    usdc.mint_decimals = 6;
    harness.set_pool(1, usdc);
    harness.set_now(NOW + 86_400);
    edge_moves(&mut harness, &[0, 1]);
    harness.set_now(NOW + 30 * 86_400);
    edge_moves(&mut harness, &[0]);
}

/// A pool at the engine's edges: any decimals and exponent, a mantissa from 1 to
/// near `i64::MAX` (often at the fold and fast-path limits), no band to a band
/// as wide as the price or past 2^48, odd multipliers and weights (0% collateral,
/// the 300% liability cap), sometimes isolated-only.
fn random_spec(rng: &mut Rng) -> Spec {
    let decimals = rng.below(19) as u8;
    let expo = -(rng.below(19) as i32);
    let mantissa = match rng.below(8) {
        0 => 1 + rng.below(40) as i64,
        1 => FOLD_LIMIT - 2 + rng.below(4) as i64,
        2 => FAST_LIMIT - 2 + rng.below(4) as i64,
        3 => i64::MAX - rng.below(1_000) as i64,
        _ => 10f64.powf(18.9 * rng.unit()).max(1.0) as i64,
    };
    let conf = match rng.below(8) {
        0 | 1 => 0,
        2 => (mantissa as u64).saturating_sub(rng.below(mantissa as u64 / 50 + 2)),
        3 => (1u64 << 48) + rng.below(1 << 52),
        _ => (mantissa as f64 * 10f64.powf(-1.0 - 5.0 * rng.unit())) as u64,
    };
    let k_pct = if rng.below(2) == 0 { 100 } else { 1 + rng.below(300) as u16 };
    let asset_bps = match rng.below(8) {
        0 => 0,
        1 => 10_000,
        _ => rng.below(10_001) as u16,
    };
    let liab_bps = match rng.below(8) {
        0 | 1 => 10_000,
        2 => 30_000,
        _ => 10_000 + rng.below(20_001) as u16,
    };
    Spec { decimals, mantissa, expo, conf, k_pct, asset_bps, liab_bps, isolated_only: rng.below(8) == 0 }
}

/// Native units of `pool` worth about `usd` at its spot price (1 to u64::MAX).
fn units_worth(market: &Market, pool: usize, usd: f64) -> u64 {
    let entry = &market.pools[pool];
    let Some(price) = entry.price else { return 1 };
    let unit = price.price as f64 * 10f64.powi(price.expo) / 10f64.powi(entry.pool.mint_decimals as i32);
    (usd / unit).clamp(1.0, u64::MAX as f64) as u64
}

/// A random account: isolated (one collateral, one debt) or cross (up to four
/// positions, the last a debt), worth from a micro-dollar to a trillion (rarely
/// 2^60 dollars), its debt half the time at the edge of zero health, else a
/// random share of the collateral's value; with the fine pool sometimes.
fn random_account(harness: &Harness, rng: &mut Rng, fine: usize) -> HealthCache {
    let pools = harness.market.pools.len();
    let isolated = rng.below(3) == 0;
    let count = if isolated { 2 } else { 2 + rng.below(3) as usize };
    let mut chosen: Vec<usize> = Vec::new();
    while chosen.len() < count {
        let pool = rng.below(pools as u64) as usize;
        if !chosen.contains(&pool) {
            chosen.push(pool);
        }
    }
    let kind = if isolated { AccountKind::Isolated } else { AccountKind::Cross };
    let usd = if rng.below(40) == 0 { 2f64.powi(60) } else { 10f64.powf(-6.0 + 18.0 * rng.unit()) };
    let mut positions: Vec<(usize, u64, u64)> = chosen[..count - 1]
        .iter()
        .map(|&pool| (pool, units_worth(&harness.market, pool, usd * (0.2 + rng.unit())), 0))
        .collect();
    let debt = chosen[count - 1];
    let with = |positions: &[(usize, u64, u64)], borrow: u64| {
        let mut all = positions.to_vec();
        all.push((debt, 0, borrow));
        all
    };
    let borrow = if rng.below(2) == 0 {
        let healthy =
            |borrow: u64| maintenance(&harness.cache(kind, &with(&positions, borrow))).is_some_and(|h| h >= 0);
        largest(u64::MAX / 2, healthy) + rng.below(2)
    } else {
        units_worth(&harness.market, debt, usd * rng.unit() * 1.2)
    };
    if !isolated && rng.below(3) == 0 && !chosen.contains(&fine) {
        positions.push((fine, rng.below(1 << 40), 0));
    }
    harness.cache(kind, &with(&positions, borrow))
}

/// A move factor at the model's edges: a hair, ~1%, exactly 2x or 0.5x, just
/// inside and outside 2x, towards zero and far up, or anything from 0.3x to 3x.
fn random_move(rng: &mut Rng) -> Move {
    match rng.below(12) {
        0 => Move::Units(rng.below(7) as i64 - 3),
        1 => Move::Times(1.0 + (rng.unit() - 0.5) * 1e-6),
        2 => Move::Times(1.0 + (rng.unit() - 0.5) * 0.04),
        3 => Move::Times(2.0),
        4 => Move::Times(0.5),
        5 => Move::Times(1.999),
        6 => Move::Times(2.001),
        7 => Move::Times(1.0 / 1.999),
        8 => Move::Times(10f64.powf(-3.0 * rng.unit())),
        9 => Move::Times(10f64.powf(3.0 * rng.unit())),
        _ => Move::Times(0.3 + 2.7 * rng.unit()),
    }
}

fn random_market_run(seed: u64, pools: usize, accounts: usize, steps: usize) -> Harness {
    let mut rng = Rng::new(seed);
    let mut specs: Vec<Spec> = (0..pools).map(|_| random_spec(&mut rng)).collect();
    specs.push(fine_spec());
    let fine = pools;
    let mut harness = Harness::new(market(&specs));
    let start: Vec<Option<OraclePrice>> = harness.market.pools.iter().map(|pool| pool.price).collect();
    for _ in 0..accounts {
        let cache = random_account(&harness, &mut rng, fine);
        harness.add_cache(cache);
    }
    let mut out: Vec<(usize, Option<OraclePrice>)> = Vec::new();
    for _ in 0..steps {
        match rng.below(20) {
            0..=8 => {
                let pool = rng.below(pools as u64 + 1) as usize;
                if harness.market.pools[pool].price.is_some() {
                    harness.set_prices(&[(pool, random_move(&mut rng))]);
                }
            }
            9..=11 => {
                let mut moves: Vec<(usize, Move)> = Vec::new();
                for pool in 0..=pools {
                    if harness.market.pools[pool].price.is_some() && rng.below(2) == 0 {
                        moves.push((pool, random_move(&mut rng)));
                    }
                }
                harness.set_prices(&moves);
            }
            12 => {
                // Back to the start (prices drift far in a long run).
                let moves: Vec<(usize, Move)> = (0..=pools)
                    .filter(|&pool| harness.market.pools[pool].price.is_some())
                    .map(|pool| (pool, Move::To(start[pool])))
                    .collect();
                harness.set_prices(&moves);
            }
            13 => {
                if let Some(at) = (!out.is_empty()).then(|| rng.below(out.len() as u64) as usize) {
                    let (pool, price) = out.swap_remove(at);
                    harness.set_prices(&[(pool, Move::To(price))]);
                } else {
                    let pool = rng.below(pools as u64 + 1) as usize;
                    out.push((pool, harness.market.pools[pool].price));
                    harness.set_prices(&[(pool, Move::To(None))]);
                }
            }
            14 => {
                let pool = rng.below(pools as u64) as usize;
                let mut new = harness.market.pools[pool].pool;
                let config = &mut new.config;
                match rng.below(4) {
                    0 => config.maint_asset_weight_bps = rng.below(10_001) as u16,
                    1 => config.maint_liab_weight_bps = 10_000 + rng.below(20_001) as u16,
                    2 => config.oracle.confidence_multiplier_pct = 1 + rng.below(300) as u16,
                    _ => config.flags ^= POOL_FLAG_ISOLATED_ONLY,
                }
                harness.set_pool(pool, new);
            }
            15 => {
                let now = harness.now + rng.below(30 * 86_400) as i64;
                harness.set_now(now);
            }
            16 | 17 if out.is_empty() => {
                let cache = random_account(&harness, &mut rng, fine);
                if rng.below(2) == 0 {
                    harness.add_cache(cache);
                } else {
                    let at = rng.below(harness.market.accounts.len() as u64) as usize;
                    let key = harness.market.accounts[at].0;
                    let touched = harness.index.upsert(key, &cache);
                    harness.market.accounts[at].1 = cache;
                    harness.check("an account replaced", touched);
                }
            }
            _ => {
                if harness.market.accounts.len() > 1 {
                    let at = rng.below(harness.market.accounts.len() as u64) as usize;
                    let (key, _) = harness.market.accounts.swap_remove(at);
                    assert!(harness.index.remove(&key));
                    harness.check("an account removed", Touched::default());
                }
            }
        }
    }
    harness
}

/// Random markets of pools at the engine's edges, accounts at the edge of zero
/// and far from it, adversarial moves (see [`random_move`]), several pools at
/// once, outages in and out, new weights, bands and flags, later `now`s, accounts
/// added, replaced and removed: the index equals the rescan after every step and
/// settling never moves an account. The models must decide a fair share.
#[test]
fn review_index_random_adversarial_markets() {
    let (mut predicted, mut evaluated) = (0, 0);
    for seed in 1..=6u64 {
        let harness = random_market_run(0x5eed_0000 + seed, 5, 120, 150);
        println!(
            "seed {seed}: {} steps, {} decided by their model, {} by the engine, {} liquidatable",
            harness.steps,
            harness.predicted,
            harness.evaluated,
            harness.index.liquidatable().len()
        );
        predicted += harness.predicted;
        evaluated += harness.evaluated;
    }
    assert!(predicted > 500, "the models decided only {predicted} accounts ({evaluated} by the engine)");
}

/// Edge accounts (inside the model's margin, down to a raw unit from zero) on
/// collateral of `spec` against `debt`, the collateral moved by `units` of its
/// mantissa; returns whether any account changed sides.
fn nudge_edge_collateral(collateral: Spec, debt: Spec, units: i64) -> bool {
    let mut harness = Harness::new(market(&[collateral, debt, fine_spec()]));
    edge_accounts(&mut harness, AccountKind::Isolated, 0, 1_000_000, 1, Some(2));
    edge_accounts(&mut harness, AccountKind::Cross, 0, 1_000_000, 1, Some(2));
    let before = harness.index.liquidatable().clone();
    harness.set_prices(&[(0, Move::Units(units))]);
    &before != harness.index.liquidatable()
}

/// At a mantissa near `i64::MAX / 100` a coordinate is ~1e24: one unit of the
/// mantissa moves it (and the engine's values) by less than an f64 ulp of it, so
/// the index sees no move; the accounts inside their margin must be re-checked
/// all the same (one of them flips).
#[test]
fn review_index_a_move_below_the_coordinates_f64_precision() {
    let collateral = spec(6, i64::MAX / 100, -12);
    let pool = pool(0, &collateral).pool;
    let at = |mantissa: i64| maintenance_unit_values(&pool, &price(mantissa, 0, -12)).unwrap().0;
    let (before, after) = (at(i64::MAX / 100), at(i64::MAX / 100 + 1));
    assert!(before < after && before as f64 == after as f64, "{before} {after}");
    assert!(nudge_edge_collateral(collateral, spec(9, i64::MAX / 100 - 7, -18), 1));
}

/// At the fold limit one more unit of mantissa switches a weight from folded into
/// the mantissa to the 16.48 fallback: the collateral's coordinate rises but its
/// value at a 0.01% weight falls (the fallback floors the unweighted unit value
/// first). Health is not monotone in the coordinate to the raw unit, so an account
/// at zero health becomes liquidatable on a rise of its collateral: the accounts
/// inside their margin are re-checked on moves either way.
#[test]
fn review_index_collateral_rise_across_the_fold_limit_lowers_its_value() {
    let collateral = Spec { asset_bps: 1, ..spec(8, FOLD_LIMIT, -8) };
    let market = market(&[collateral]);
    let cache = market.cache(AccountKind::Cross, &[(0, 1_000_000, 0)]);
    let value = |cache: &HealthCache| cache.values(0).unwrap().assets[1];
    let pool = market.pools[0].pool;
    let coordinate = |mantissa: i64| maintenance_unit_values(&pool, &price(mantissa, 0, -8)).unwrap().0;
    let folded = value(&cache);
    let mut moved = cache.clone();
    moved.positions[0].price = Some(price(FOLD_LIMIT + 1, 0, -8));
    assert!(coordinate(FOLD_LIMIT + 1) > coordinate(FOLD_LIMIT));
    assert!(value(&moved) < folded, "{} {folded}", value(&moved));
    assert!(nudge_edge_collateral(collateral, spec(0, 37, -18), 1));
}
