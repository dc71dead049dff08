//! Synthetic markets for the liquidator index: priced pools and many margin
//! accounts as health caches (no SVM: the index and the rescan only evaluate
//! health), for the `liquidator_index` test and the off-chain bench.

use std::collections::BTreeSet;

use margin_client::{
    config::default_pool_config,
    health::{scale_price, CachedPosition, HealthCache},
};
use margin_interface::{
    fixed,
    health::MAINTENANCE,
    oracle::OraclePrice,
    state::{AccountKind, Pool, Position, POOL_FLAG_ISOLATED_ONLY},
};
use margin_ops::index::LiquidatorIndex;
use solana_sdk::pubkey::Pubkey;

use crate::fuzz::Rng;

/// The time interest is projected to; every pool was accrued to it (a keeper just
/// cranked), so health needs no interest projection.
pub const NOW: i64 = 1_750_000_000;

/// A pool's market: name, USD price, decimals, price exponent, confidence (bps of
/// the price), stress move (bps), Maintenance asset and liability weights (bps).
type PoolSpec = (&'static str, f64, u8, i32, u64, u16, u16, u16);

/// Eight pools, SOL first (the asset most accounts hold). BONK is isolated-only: a
/// cross account's BONK collateral counts zero.
pub const POOLS: [PoolSpec; 8] = [
    ("SOL", 150.0, 9, -8, 5, 3_500, 8_500, 10_500),
    ("USDC", 1.0, 6, -8, 1, 200, 9_500, 10_200),
    ("ETH", 3_000.0, 8, -8, 5, 3_000, 8_500, 10_500),
    ("BTC", 60_000.0, 8, -8, 4, 2_500, 8_800, 10_400),
    ("JITOSOL", 170.0, 9, -8, 6, 3_500, 8_000, 11_000),
    ("USDT", 1.0, 6, -8, 1, 200, 9_500, 10_200),
    ("JUP", 0.8, 6, -8, 20, 5_000, 7_000, 12_000),
    ("BONK", 0.000_02, 5, -12, 30, 6_000, 6_000, 13_000),
];

/// Index of SOL in [`POOLS`].
pub const SOL: usize = 0;

/// One pool of the market.
#[derive(Clone, Debug)]
pub struct SyntheticPool {
    pub name: &'static str,
    pub key: Pubkey,
    pub pool: Pool,
    /// Current price; `None` is an outage.
    pub price: Option<OraclePrice>,
}

/// Pools and accounts.
#[derive(Clone, Debug)]
pub struct Market {
    pub pools: Vec<SyntheticPool>,
    pub accounts: Vec<(Pubkey, HealthCache)>,
}

impl Market {
    /// `accounts` accounts over the first `pools` pools of [`POOLS`].
    pub fn new(rng: &mut Rng, pools: usize, accounts: usize) -> Self {
        let pools: Vec<SyntheticPool> = POOLS[..pools].iter().enumerate().map(|(i, spec)| pool(i, spec)).collect();
        let mut market = Self { pools, accounts: Vec::with_capacity(accounts) };
        for serial in 0..accounts as u64 {
            let cache = market.account(rng);
            market.accounts.push((account_key(serial), cache));
        }
        market
    }

    /// The current prices, as the index and the rescan take them.
    pub fn prices(&self) -> Vec<(Pubkey, Option<OraclePrice>)> {
        self.pools.iter().map(|pool| (pool.key, pool.price)).collect()
    }

    /// Multiplies pool `index`'s price (spot, EMA, both confidences) by `factor`;
    /// returns the update.
    pub fn move_price(&mut self, index: usize, factor: f64) -> (Pubkey, Option<OraclePrice>) {
        let pool = &mut self.pools[index];
        pool.price = pool.price.map(|price| scale_price(&price, factor));
        (pool.key, pool.price)
    }

    /// Replaces pool `index` (a new config, accrued interest) in the market and in
    /// every account's cache; returns its key.
    pub fn set_pool(&mut self, index: usize, pool: Pool) -> Pubkey {
        let key = self.pools[index].key;
        self.pools[index].pool = pool;
        for (_, cache) in &mut self.accounts {
            for cached in cache.positions.iter_mut().filter(|cached| cached.pool_key == key) {
                cached.pool = pool;
            }
        }
        key
    }

    /// Projects every account's interest to `now`.
    pub fn set_now(&mut self, now: i64) {
        for (_, cache) in &mut self.accounts {
            cache.now = now;
        }
    }

    /// An index holding every account.
    pub fn index(&self) -> LiquidatorIndex {
        let mut index = LiquidatorIndex::new(NOW);
        for (key, cache) in &self.accounts {
            index.upsert(*key, cache);
        }
        index
    }

    /// The full rescan: every account's Maintenance health from its health cache at
    /// the current prices; below zero is liquidatable (an account whose health
    /// cannot be computed is not, as `liquidate` would refuse it).
    pub fn rescan(&mut self) -> BTreeSet<Pubkey> {
        let prices = self.prices();
        rescan(&mut self.accounts, &prices)
    }

    /// An account of `kind` with `positions` as (pool index, deposit shares, debt
    /// shares), at the current prices.
    pub fn cache(&self, kind: AccountKind, positions: &[(usize, u64, u64)]) -> HealthCache {
        let positions = positions
            .iter()
            .map(|&(index, deposit_shares, borrow_shares)| {
                let pool = &self.pools[index];
                let position = Position { pool: pool.key.to_bytes(), deposit_shares, borrow_shares };
                CachedPosition { pool_key: pool.key, pool: pool.pool, position, price: pool.price }
            })
            .collect();
        HealthCache { kind, now: NOW, positions }
    }

    /// A random account at the current prices: isolated (one collateral, one debt)
    /// or cross with 1 to 8 positions (fewer more likely, see [`positions`]), most
    /// holding SOL, sized so its Maintenance health is a random share of its
    /// collateral: a few already below zero, most from 2% to 80% above.
    pub fn account(&self, rng: &mut Rng) -> HealthCache {
        let count = self.pools.len();
        let isolated = rng.below(10) < 3;
        let mut chosen: Vec<usize> = Vec::new();
        if rng.below(10) < 7 {
            chosen.push(SOL);
        }
        let wanted = if isolated { 2 } else { positions(rng, 8.min(count)) };
        while chosen.len() < wanted {
            let pool = rng.below(count as u64) as usize;
            if !chosen.contains(&pool) {
                chosen.push(pool);
            }
        }
        // Sides: true for collateral. Most debt is in stablecoins and most volatile
        // holdings are collateral, as in lending markets; at least one collateral,
        // and one debt unless alone.
        let mut collateral: Vec<bool> =
            chosen.iter().map(|&pool| rng.below(10) < if POOLS[pool].1 == 1.0 { 2 } else { 8 }).collect();
        if wanted == 1 {
            collateral[0] = true;
        } else if isolated {
            collateral = vec![true, false];
        } else if collateral.iter().all(|side| *side) {
            collateral[wanted - 1] = false;
        } else if collateral.iter().all(|side| !side) {
            collateral[0] = true;
        }
        let kind = if isolated { AccountKind::Isolated } else { AccountKind::Cross };
        let bonk = POOLS.len() - 1;
        if !isolated && wanted > 1 && chosen.iter().zip(&collateral).all(|(&pool, &side)| !side || pool == bonk) {
            // Cross collateral that all counts zero: back the debt with another pool.
            let other = chosen.iter().position(|&pool| pool != bonk).expect("distinct pools");
            collateral[other] = true;
            if collateral.iter().all(|side| *side) {
                collateral[1 - other.min(1)] = false;
            }
        }
        // Maintenance collateral value (USD) log-uniform from $50 to $500k.
        let assets = 50.0 * 10f64.powf(4.0 * rng.unit());
        // Maintenance health over collateral: 0.3% of accounts already under water,
        // the others from 2% to 80%, denser towards the safe end (about 1% of
        // them within 5%, 10% within 20%).
        let ratio = if rng.below(1_000) < 3 { -0.05 * rng.unit() } else { 0.02 + 0.78 * rng.unit().powf(0.7) };
        let liabilities = assets * (1.0 - ratio);
        let shares: Vec<f64> = chosen.iter().map(|_| 0.2 + rng.unit()).collect();
        // Isolated-only collateral in a cross account counts zero: a nominal $100.
        let counts = |pool: usize, is_collateral: bool| !(is_collateral && kind == AccountKind::Cross && pool == bonk);
        let total = |want_collateral: bool| -> f64 {
            chosen
                .iter()
                .zip(&shares)
                .zip(&collateral)
                .filter(|((pool, _), side)| **side == want_collateral && counts(**pool, **side))
                .map(|((_, s), _)| *s)
                .sum()
        };
        let (collateral_total, debt_total) = (total(true), total(false));
        let positions = chosen
            .iter()
            .zip(&shares)
            .zip(&collateral)
            .map(|((&index, share), &is_collateral)| {
                let pool = &self.pools[index];
                let spec = POOLS[index];
                let price = pool.price.expect("accounts are made while every pool is priced");
                let unit = price.price as f64 * 10f64.powi(price.expo) / 10f64.powi(spec.2 as i32);
                let band = price.conf as f64 / price.price as f64;
                let position = if is_collateral {
                    let value = if counts(index, true) { assets * share / collateral_total } else { 100.0 };
                    let amount = value / (unit * (1.0 - band) * spec.6 as f64 / 1e4);
                    Position { pool: pool.key.to_bytes(), deposit_shares: (amount / 1.02) as u64, borrow_shares: 0 }
                } else {
                    let amount = liabilities * share / debt_total / (unit * (1.0 + band) * spec.7 as f64 / 1e4);
                    Position { pool: pool.key.to_bytes(), deposit_shares: 0, borrow_shares: (amount / 1.05) as u64 }
                };
                CachedPosition { pool_key: pool.key, pool: pool.pool, position, price: pool.price }
            })
            .collect();
        HealthCache { kind, now: NOW, positions }
    }
}

/// A cross account's position count, 1 to `most`, `k` with odds `1/k` (mean 2.9
/// for 8): most accounts in lending markets hold one or two assets, a few many.
fn positions(rng: &mut Rng, most: usize) -> usize {
    let total: f64 = (1..=most).map(|k| 1.0 / k as f64).sum();
    let mut draw = rng.unit() * total;
    for k in 1..most {
        draw -= 1.0 / k as f64;
        if draw < 0.0 {
            return k;
        }
    }
    most
}

/// The full rescan of `accounts` at `prices` (see [`Market::rescan`]).
pub fn rescan(accounts: &mut [(Pubkey, HealthCache)], prices: &[(Pubkey, Option<OraclePrice>)]) -> BTreeSet<Pubkey> {
    let mut liquidatable = BTreeSet::new();
    for (key, cache) in accounts.iter_mut() {
        for cached in &mut cache.positions {
            cached.price = prices.iter().find(|(pool, _)| pool == &cached.pool_key).and_then(|(_, price)| *price);
        }
        if cache.health_at(MAINTENANCE).is_ok_and(|health| health.maintenance < 0) {
            liquidatable.insert(*key);
        }
    }
    liquidatable
}

/// A fixed, distinct address per serial number.
pub fn account_key(serial: u64) -> Pubkey {
    let mut bytes = [7u8; 32];
    bytes[..8].copy_from_slice(&serial.to_le_bytes());
    Pubkey::new_from_array(bytes)
}

/// Pool `index` of [`POOLS`]: share values 1.02 (deposits) and 1.05 (debt),
/// accrued to [`NOW`], default config with the spec's weights and stress move.
fn pool(index: usize, spec: &PoolSpec) -> SyntheticPool {
    let (name, usd, decimals, expo, conf_bps, stress_bps, maint_asset, maint_liab) = *spec;
    let mut pool: Pool = bytemuck::Zeroable::zeroed();
    pool.mint_decimals = decimals;
    pool.deposit_share_value = fixed::store(fixed::ONE + fixed::ONE / 50);
    pool.borrow_share_value = fixed::store(fixed::ONE + fixed::ONE / 20);
    pool.last_accrual_ts = NOW;
    pool.total_deposit_shares = u64::MAX / 4;
    pool.total_borrow_shares = u64::MAX / 8;
    let mut config = default_pool_config();
    config.maint_asset_weight_bps = maint_asset;
    config.maint_liab_weight_bps = maint_liab;
    config.init_asset_weight_bps = maint_asset - 500;
    config.init_liab_weight_bps = maint_liab + 500;
    config.stress_bps = stress_bps;
    if index == POOLS.len() - 1 {
        config.flags = POOL_FLAG_ISOLATED_ONLY;
    }
    pool.config = config;
    let mantissa = (usd * 10f64.powi(-expo)).round() as i64;
    let conf = (mantissa as u64 * conf_bps).div_ceil(10_000);
    let price = OraclePrice { price: mantissa, conf, expo, publish_time: NOW, ema_price: mantissa, ema_conf: conf };
    let mut key = [0u8; 32];
    key[0] = 0x90;
    key[1] = index as u8;
    SyntheticPool { name, key: Pubkey::new_from_array(key), pool, price: Some(price) }
}

/// What the off-chain bench measured (see [`bench`]).
#[derive(Clone, Debug)]
pub struct OffchainBench {
    pub accounts: usize,
    pub positions: usize,
    /// Liquidatable before the move.
    pub liquidatable_before: usize,
    /// Liquidatable after it (index and rescan agree; checked).
    pub liquidatable_after: usize,
    /// Accounts the index re-evaluated exactly on the critical path.
    pub re_evaluated: usize,
    /// Accounts decided by their linear model, evaluated and re-armed by `settle`.
    pub predicted: usize,
    /// `settle` after the move (off the critical path), median.
    pub settle_ms: f64,
    /// Filling the index with every account.
    pub build_ms: f64,
    /// The move through the index, up to its liquidatable set.
    pub index_ms: f64,
    /// The fastest index trial.
    pub index_min_ms: f64,
    /// The same set by a full rescan.
    pub rescan_ms: f64,
    /// The fastest rescan trial.
    pub rescan_min_ms: f64,
    /// The build profile the numbers come from.
    pub profile: &'static str,
}

impl OffchainBench {
    /// `{"accounts": N, "liquidator_index_ms": x, "liquidator_rescan_ms": y, ...}`.
    pub fn json(&self) -> String {
        format!(
            "{{\"accounts\": {}, \"liquidator_index_ms\": {:.3}, \"liquidator_rescan_ms\": {:.3}, \"speedup\": {:.1}, \
             \"liquidator_index_min_ms\": {:.3}, \"liquidator_rescan_min_ms\": {:.3}, \
             \"positions\": {}, \"move\": \"SOL x0.95\", \"liquidatable_before\": {}, \"liquidatable_after\": {}, \
             \"re_evaluated\": {}, \"predicted\": {}, \"index_settle_ms\": {:.3}, \"index_build_ms\": {:.1}, \
             \"profile\": \"{}\"}}\n",
            self.accounts,
            self.index_ms,
            self.rescan_ms,
            self.rescan_ms / self.index_ms,
            self.index_min_ms,
            self.rescan_min_ms,
            self.positions,
            self.liquidatable_before,
            self.liquidatable_after,
            self.re_evaluated,
            self.predicted,
            self.settle_ms,
            self.build_ms,
            self.profile
        )
    }
}

/// Times each measurement is taken; the bench reports the median and the fastest
/// (the machine may be shared).
pub const BENCH_TRIALS: usize = 9;

/// The off-chain bench: `accounts` random accounts over the eight pools, SOL
/// (held by ~70% of them) moves down 5%; the time to the new liquidatable set
/// through the index (range query, then each account it touches decided by its
/// linear model or, inside the model's margin, by the engine; on a fresh copy of
/// the index each trial) and through a full rescan, medians (and minimums) of
/// [`BENCH_TRIALS`]; and, apart, the index's `settle` after the move (exact
/// evaluation and fresh triggers for the accounts their models decided), the
/// work left off the critical path. Panics if the two sets differ, or if
/// settling changes the set.
pub fn bench(accounts: usize, seed: u64) -> OffchainBench {
    use std::time::Instant;
    let median = |times: &[f64]| {
        let mut times = times.to_vec();
        times.sort_by(f64::total_cmp);
        times[times.len() / 2]
    };
    let mut rng = Rng::new(seed);
    let mut market = Market::new(&mut rng, POOLS.len(), accounts);
    let positions = market.accounts.iter().map(|(_, cache)| cache.positions.len()).sum();
    let started = Instant::now();
    let index = market.index();
    let build_ms = started.elapsed().as_secs_f64() * 1e3;
    let liquidatable_before = index.liquidatable().len();
    let update = market.move_price(SOL, 0.95);

    // Trials alternate, so both see the same load on a shared machine.
    let (mut index_times, mut rescan_times, mut settle_times) = (Vec::new(), Vec::new(), Vec::new());
    let mut last = None;
    let mut rescanned = BTreeSet::new();
    for _ in 0..BENCH_TRIALS {
        let mut moved = index.clone();
        let started = Instant::now();
        let touched = moved.set_prices(&[update]);
        let liquidatable = moved.liquidatable().len();
        index_times.push(started.elapsed().as_secs_f64() * 1e3);
        let started = Instant::now();
        let settled = moved.settle();
        settle_times.push(started.elapsed().as_secs_f64() * 1e3);
        assert_eq!((settled.entered, settled.left, settled.evaluated), (0, 0, touched.predicted));
        last = Some((moved, touched, liquidatable));

        let started = Instant::now();
        rescanned = market.rescan();
        rescan_times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    drop(index);
    let (moved, touched, _) = last.expect("at least one trial");

    assert_eq!(moved.liquidatable(), &rescanned, "the index and the rescan disagree");
    let profile = if cfg!(debug_assertions) { "dev" } else { "release" };
    OffchainBench {
        accounts,
        positions,
        liquidatable_before,
        liquidatable_after: rescanned.len(),
        re_evaluated: touched.evaluated,
        predicted: touched.predicted,
        settle_ms: median(&settle_times),
        build_ms,
        index_ms: median(&index_times),
        index_min_ms: index_times.iter().copied().fold(f64::INFINITY, f64::min),
        rescan_ms: median(&rescan_times),
        rescan_min_ms: rescan_times.iter().copied().fold(f64::INFINITY, f64::min),
        profile,
    }
}
