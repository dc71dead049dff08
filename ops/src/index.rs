//! The liquidator index: the set of liquidatable margin accounts (Maintenance
//! health below zero), kept current through price updates without rescanning every
//! account.
//!
//! **Coordinates.** A position's Maintenance value is its amount times its weight
//! times a per-pool unit value: collateral at the low end of the confidence band,
//! debt at the high end ([`maintenance_unit_values`], computed by the engine). Each
//! (pool, side) is one coordinate, and an account's Maintenance health is linear
//! and monotone in each: up with its collateral's low price, down with its debt's
//! high price. Only the engine ([`health_with_values_of`], what `HealthCache`
//! evaluates through) decides whether an account is liquidatable; the coordinates
//! only choose which accounts a price update must re-evaluate.
//!
//! **Triggers.** After each exact evaluation the account's distance from zero,
//! `|H|` less a rounding margin, is split over the coordinates it holds in
//! proportion to `value x volatility` (the pool's stress move, at least 1%):
//! coordinate `v` may move `t_v = distance x volatility_v / sum(value x
//! volatility)` against the account (collateral down, debt up while healthy; the
//! reverse while liquidatable) before its trigger fires. The shares times the
//! values add up to the distance, so no moves that leave every trigger unfired can
//! flip the sign of its health, even all at once. Each trigger is a price `c x (1
//! -/+ t)` in an ordered set per (pool, side, direction). A price update walks only
//! the keys between the old and the new coordinate (range query), re-evaluates
//! those accounts exactly and splits their distance afresh. Triggers that did not
//! fire stay valid whatever else moved: their guarantee never assumed the other
//! prices fixed. So the set after any sequence of updates equals a full rescan's
//! (the `liquidator_index` and `review_index` tests). Three kinds of account are
//! instead re-checked on every move of their prices, either way: those inside
//! their rounding margin (there health is not monotone in the coordinates to the
//! raw unit: a move that leaves a coordinate unchanged, or the switch from folded
//! to 16.48 weights, still moves values), those whose values come near the
//! engine's 2^127 range ([`PEAK_LIMIT`]), and the unevaluable. A position its
//! weight's floor values at zero still has a coordinate (a large rise makes it
//! count), and a liquidatable account's debt a watch trigger where the engine
//! could overflow ([`PEAK_WATCH`]).
//!
//! **The critical path.** Each exact evaluation also keeps the account's linear
//! model: its health then and each coordinate's value and position then. When a
//! trigger fires, the model predicts the health at the new coordinates with a
//! handful of multiplies; outside the rounding margin the prediction decides the
//! account's side as the engine would, and only the accounts inside it (or whose
//! model does not apply: an outage, a move past 100%) are evaluated by the engine
//! on the spot. The accounts decided by their model still need an exact
//! evaluation and fresh triggers: [`LiquidatorIndex::settle`] does that off the
//! critical path (a bot calls it while its liquidations are in flight), and
//! every other update calls it first, so triggers are always re-armed before
//! the next move is looked up.
//!
//! The index projects interest to one fixed time (`now`); [`LiquidatorIndex::set_now`]
//! re-evaluates everything. An oracle outage (a price set to `None`) counts the
//! pool's positions zero, as `liquidate` does (`Unpriced::ZeroAll`); going in or out
//! of an outage re-evaluates every holder of the pool.

use std::collections::{BTreeSet, HashMap};

use margin_client::health::{health_with_values_of, maintenance_unit_values, HealthCache};
use margin_interface::{
    health::{level_index, stress_bps, PositionValues, MAINTENANCE},
    oracle::OraclePrice,
    state::{AccountKind, Pool, Position, POOL_FLAG_ISOLATED_ONLY},
};
use solana_sdk::pubkey::Pubkey;

/// Collateral side of a pool: the low end of its confidence band.
const LOW: u8 = 0;
/// Debt side of a pool: the high end of its confidence band.
const HIGH: u8 = 1;

/// Least volatility weight (bps): a pool without a stress move still gets a share
/// of every budget, so a stablecoin's 0.1% wobble does not re-evaluate its holders.
const MIN_VOLATILITY_BPS: u64 = 100;

/// An account whose Maintenance sums, or a position's value at 100% weight
/// (Q64.64), reach this is re-checked on every move of its prices: a 2x move
/// might take it past the engine's 2^127 range (then it is unevaluable, not
/// liquidatable), which neither its triggers nor its linear model foresee.
const PEAK_LIMIT: f64 = (1u128 << 124) as f64;

/// A liquidatable account's debt may rise without bound while it stays
/// liquidatable, until the engine cannot value it: each debt coordinate gets a
/// rising trigger where the account's peak (see [`PEAK_LIMIT`]) would reach this.
const PEAK_WATCH: f64 = (1u128 << 125) as f64;

/// Bits of a trigger key holding the account id: at most 2^24 (16.7 million)
/// accounts.
const ACCOUNT_BITS: u32 = 24;

/// Largest number of accounts an index holds.
pub const MAX_ACCOUNTS: usize = 1 << ACCOUNT_BITS;

/// A non-negative price as an ordered 40-bit integer: for non-negative finite
/// `f64`, the bit pattern orders as the value does; its top 40 bits keep a relative
/// precision of 2^-28, rounded `up` or down so a trigger only ever fires early.
fn price_key(price: f64, up: bool) -> u64 {
    let bits = price.max(0.0).to_bits();
    let round = if up { (1 << ACCOUNT_BITS) - 1 } else { 0 };
    bits.saturating_add(round) >> ACCOUNT_BITS
}

/// A trigger in its set: price key in the high 40 bits, account id in the low 24,
/// so the set orders by price with one integer compare per step.
type Trigger = u64;

fn trigger(price_key: u64, account: u32) -> Trigger {
    price_key << ACCOUNT_BITS | account as u64
}

/// The account id of a trigger.
fn trigger_account(trigger: &Trigger) -> u32 {
    (*trigger & ((1 << ACCOUNT_BITS) - 1)) as u32
}

/// Index of the trigger set of (pool, side, direction) in `LiquidatorIndex::sets`.
fn set_index(pool: u32, side: u8, rising: bool) -> usize {
    (pool as usize * 2 + side as usize) * 2 + rising as usize
}

/// One pool as the index prices it.
#[derive(Clone, Debug)]
struct PoolEntry {
    /// The pool (its decimals and band multiplier give the coordinates).
    pool: Pool,
    /// Current price; `None` is an outage (positions count zero).
    price: Option<OraclePrice>,
    /// `[low, high]` Maintenance unit values (USD Q64.64 as f64) at `price`; `None`
    /// in an outage or where they cannot order triggers (then every change of the
    /// price re-evaluates the pool's holders).
    coordinates: Option<[f64; 2]>,
    /// Relative rounding error of the coordinates: one raw unit per native unit of
    /// the one-token value.
    coordinate_error: f64,
    /// Volatility weight (bps) for the budget split.
    volatility: f64,
}

impl PoolEntry {
    fn new(pool: Pool, price: Option<OraclePrice>) -> Self {
        let mut entry = Self { pool, price: None, coordinates: None, coordinate_error: 0.0, volatility: 0.0 };
        entry.set_price(price);
        entry
    }

    fn set_price(&mut self, price: Option<OraclePrice>) {
        self.price = price;
        // A collateral value of zero (a band as wide as the price) is no coordinate:
        // from zero any move is an infinite relative one, so the pool's holders are
        // checked on every change instead.
        let unit_values =
            price.and_then(|price| maintenance_unit_values(&self.pool, &price).ok()).filter(|(low, _)| *low != 0);
        self.coordinates = unit_values.map(|(low, high)| [low as f64, high as f64]);
        let one_token = 10f64.powi(self.pool.mint_decimals as i32);
        self.coordinate_error = unit_values.map_or(0.0, |(low, _)| one_token / low as f64);
        let stress = price.map_or(0, |price| stress_bps(&self.pool.config, &price));
        self.volatility = stress.max(MIN_VOLATILITY_BPS) as f64;
    }
}

/// One margin account in the index.
#[derive(Clone, Debug)]
struct AccountEntry {
    key: Pubkey,
    kind: AccountKind,
    /// The used positions, in slot order.
    positions: Vec<Position>,
    /// Pool id of each position.
    pools: Vec<u32>,
    triggers: Vec<Installed>,
    state: State,
    /// The linear model of its last exact evaluation.
    model: Model,
}

/// An account's health as a linear function of its coordinates, from its last
/// exact evaluation (see the module docs).
#[derive(Clone, Debug, Default)]
struct Model {
    /// Maintenance health then (USD Q64.64 as f64).
    health: f64,
    /// How far the model may be from the engine (rounding), for moves up to 100%.
    margin: f64,
    /// The coordinates it holds, with their values and positions then.
    terms: Vec<Variable>,
    /// False when a position's value did not follow a coordinate then (an outage,
    /// a pool without coordinates), or when its values were near the engine's
    /// range ([`PEAK_LIMIT`]): only the engine can value the account.
    linear: bool,
}

/// An account's standing at its last evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Healthy,
    Liquidatable,
    /// Health could not be computed; every move of its prices re-checks it.
    Unevaluable,
}

/// One installed trigger of an account.
#[derive(Clone, Copy, Debug)]
struct Installed {
    /// Its set ([`set_index`]).
    set: usize,
    trigger: Trigger,
}

/// What one update did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Touched {
    /// Accounts re-evaluated exactly.
    pub evaluated: usize,
    /// Accounts whose side their linear model decided (outside its rounding
    /// margin), left for [`LiquidatorIndex::settle`] to evaluate and re-arm.
    pub predicted: usize,
    /// Accounts that became liquidatable.
    pub entered: usize,
    /// Accounts that stopped being liquidatable.
    pub left: usize,
}

/// The liquidatable set of many margin accounts, maintained through price and
/// account updates (see the module docs).
#[derive(Clone, Debug, Default)]
pub struct LiquidatorIndex {
    now: i64,
    pools: Vec<PoolEntry>,
    pool_ids: HashMap<Pubkey, u32>,
    accounts: Vec<Option<AccountEntry>>,
    account_ids: HashMap<Pubkey, u32>,
    free: Vec<u32>,
    /// Per pool, side and direction ([`set_index`]): triggers that fire when the
    /// coordinate falls to their price or below, or rises to it or above.
    sets: Vec<BTreeSet<Trigger>>,
    /// (pool id, account id) of every position, for outages.
    holders: BTreeSet<(u32, u32)>,
    liquidatable: BTreeSet<Pubkey>,
    /// Accounts decided by their model since the last [`Self::settle`].
    unsettled: Vec<u32>,
}

impl LiquidatorIndex {
    /// An empty index projecting interest to `now`.
    pub fn new(now: i64) -> Self {
        Self { now, ..Self::default() }
    }

    /// The accounts whose Maintenance health is below zero at the current prices.
    pub fn liquidatable(&self) -> &BTreeSet<Pubkey> {
        &self.liquidatable
    }

    /// Number of accounts held.
    pub fn len(&self) -> usize {
        self.account_ids.len()
    }

    /// True when no account is held.
    pub fn is_empty(&self) -> bool {
        self.account_ids.is_empty()
    }

    /// Current price of `pool` (`None` when unknown or in an outage).
    pub fn price(&self, pool: &Pubkey) -> Option<OraclePrice> {
        self.pool_ids.get(pool).and_then(|id| self.pools[*id as usize].price)
    }

    /// Inserts or replaces `key`'s account, as loaded in `cache` (with
    /// `Unpriced::ZeroAll`, as `liquidate` judges). The index keeps its positions
    /// and one copy of each pool: its own pools and prices win over the cache's
    /// (move them with [`Self::set_prices`] and [`Self::set_pool`]); a pool it has
    /// not seen yet joins with the cache's copy and price.
    ///
    /// # Panics
    ///
    /// Past [`MAX_ACCOUNTS`] accounts.
    pub fn upsert(&mut self, key: Pubkey, cache: &HealthCache) -> Touched {
        let mut touched = self.settle_before_update();
        let was_liquidatable = self.liquidatable.contains(&key);
        self.remove_entry(&key);
        let pools =
            cache.positions.iter().map(|cached| self.pool_id(cached.pool_key, &cached.pool, cached.price)).collect();
        let id = self.free.pop().unwrap_or_else(|| {
            assert!(self.accounts.len() < MAX_ACCOUNTS, "a liquidator index holds at most {MAX_ACCOUNTS} accounts");
            self.accounts.push(None);
            (self.accounts.len() - 1) as u32
        });
        let positions = cache.positions.iter().map(|cached| cached.position).collect();
        let entry = AccountEntry {
            key,
            kind: cache.kind,
            positions,
            pools,
            triggers: Vec::new(),
            state: State::Healthy,
            model: Model::default(),
        };
        for &pool in &entry.pools {
            self.holders.insert((pool, id));
        }
        self.accounts[id as usize] = Some(entry);
        self.account_ids.insert(key, id);
        self.evaluate(id, &mut touched);
        // Entered or left compared with the replaced account, not with an empty slot.
        let liquidatable = self.liquidatable.contains(&key);
        touched.entered += usize::from(liquidatable && !was_liquidatable);
        touched.left += usize::from(!liquidatable && was_liquidatable);
        touched
    }

    /// Replaces the index's copy of pool `key` (accrued interest, a new config)
    /// and re-evaluates every account holding it; its price stays. Unknown pools
    /// are ignored.
    pub fn set_pool(&mut self, key: &Pubkey, pool: &Pool) -> Touched {
        let mut touched = self.settle_before_update();
        let Some(&id) = self.pool_ids.get(key) else { return touched };
        let entry = &mut self.pools[id as usize];
        entry.pool = *pool;
        entry.set_price(entry.price);
        let holders: Vec<u32> = self.holders.range((id, 0)..=(id, u32::MAX)).map(|holder| holder.1).collect();
        for account in holders {
            self.evaluate(account, &mut touched);
        }
        touched
    }

    /// Removes `key`'s account; true when it was held.
    pub fn remove(&mut self, key: &Pubkey) -> bool {
        self.settle();
        self.remove_entry(key)
    }

    /// Moves the interest projection to `now` and re-evaluates every account.
    pub fn set_now(&mut self, now: i64) -> Touched {
        self.now = now;
        // Every account is evaluated below anyway.
        self.unsettled.clear();
        let mut touched = Touched::default();
        for id in 0..self.accounts.len() as u32 {
            self.evaluate(id, &mut touched);
        }
        touched
    }

    /// Applies new prices (several pools at once, `None` for an outage) and
    /// re-evaluates exactly the accounts whose triggers the moves cross. Unknown
    /// pools are ignored (no account holds them).
    pub fn set_prices(&mut self, updates: &[(Pubkey, Option<OraclePrice>)]) -> Touched {
        let mut touched = self.settle_before_update();
        let mut candidates: Vec<u32> = Vec::new();
        for (key, price) in updates {
            let Some(&pool) = self.pool_ids.get(key) else { continue };
            let entry = &mut self.pools[pool as usize];
            let (before, before_price) = (entry.coordinates, entry.price);
            entry.set_price(*price);
            match (before, entry.coordinates) {
                (Some(before), Some(after)) => {
                    for side in [LOW, HIGH] {
                        let (from, to) = (before[side as usize], after[side as usize]);
                        // A coordinate unchanged (to f64's precision, or the engine's
                        // floor of the unit value) by a new band still moves values by
                        // their rounding: the accounts inside their rounding margin,
                        // whose triggers sit at the coordinate both ways, are checked.
                        let directions: &[bool] = if to > from {
                            &[true]
                        } else if to < from {
                            &[false]
                        } else if !same_band(before_price.as_ref(), price.as_ref()) {
                            &[false, true]
                        } else {
                            &[]
                        };
                        let (low, high) = (from.min(to), from.max(to));
                        let last_account = (MAX_ACCOUNTS - 1) as u32;
                        let range = trigger(price_key(low, false), 0)..=trigger(price_key(high, true), last_account);
                        for &rising in directions {
                            let set = &self.sets[set_index(pool, side, rising)];
                            candidates.extend(set.range(range.clone()).map(trigger_account));
                        }
                    }
                }
                // Still in an outage, or a price without coordinates unchanged.
                (None, None) if before_price == *price => {}
                // In or out of an outage (the positions' values jump), or a price
                // without coordinates changing: every holder is checked.
                _ => candidates.extend(self.holders.range((pool, 0)..=(pool, u32::MAX)).map(|holder| holder.1)),
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        for id in candidates {
            if !self.decide_by_model(id, &mut touched) {
                self.evaluate(id, &mut touched);
            }
        }
        touched
    }

    /// Evaluates exactly, and re-arms, the accounts the last update decided by
    /// their linear model: off the critical path, e.g. while liquidations are in
    /// flight. Every update does it first if it is still due, so calling it is
    /// never needed for correctness, only to keep the next update fast. Their
    /// sides do not change (the models decided them as the engine does).
    pub fn settle(&mut self) -> Touched {
        let mut touched = Touched::default();
        for id in std::mem::take(&mut self.unsettled) {
            self.evaluate(id, &mut touched);
        }
        touched
    }

    /// Accounts still to [`Self::settle`].
    pub fn unsettled(&self) -> usize {
        self.unsettled.len()
    }

    /// [`Self::settle`] at the start of an update: its entries and exits (none
    /// unless a model was wrong) count in the update's, its evaluations do not.
    fn settle_before_update(&mut self) -> Touched {
        Touched { evaluated: 0, ..self.settle() }
    }

    /// Decides account `id`'s side from its linear model at the current
    /// coordinates when the prediction is outside the model's margin: updates the
    /// set, leaves the triggers for [`Self::settle`] and returns true. False (nothing
    /// changed) when only the engine can tell.
    fn decide_by_model(&mut self, id: u32, touched: &mut Touched) -> bool {
        let Some(entry) = self.accounts[id as usize].as_mut() else { return false };
        if entry.state == State::Unevaluable || !entry.model.linear {
            return false;
        }
        let mut health = entry.model.health;
        for term in &entry.model.terms {
            let Some(coordinates) = self.pools[term.pool as usize].coordinates else { return false };
            let ratio = coordinates[term.side as usize] / term.current;
            // The margin covers moves up to 100%.
            if !(ratio > 0.0 && ratio <= 2.0) {
                return false;
            }
            let change = term.value * (ratio - 1.0);
            health += if term.side == LOW { change } else { -change };
        }
        // Only clearly outside the margin (a NaN never is).
        if health.is_nan() || health.abs() <= entry.model.margin {
            return false;
        }
        let liquidatable = health < 0.0;
        if liquidatable != (entry.state == State::Liquidatable) {
            change_side(&mut self.liquidatable, entry.key, liquidatable, touched);
            entry.state = if liquidatable { State::Liquidatable } else { State::Healthy };
        }
        touched.predicted += 1;
        self.unsettled.push(id);
        true
    }

    fn pool_id(&mut self, key: Pubkey, pool: &Pool, price: Option<OraclePrice>) -> u32 {
        if let Some(&id) = self.pool_ids.get(&key) {
            return id;
        }
        let id = self.pools.len() as u32;
        self.pools.push(PoolEntry::new(*pool, price));
        self.sets.extend((0..4).map(|_| BTreeSet::new()));
        self.pool_ids.insert(key, id);
        id
    }

    fn remove_entry(&mut self, key: &Pubkey) -> bool {
        let Some(id) = self.account_ids.remove(key) else { return false };
        let Some(entry) = self.accounts[id as usize].take() else { return false };
        for installed in &entry.triggers {
            self.sets[installed.set].remove(&installed.trigger);
        }
        for &pool in &entry.pools {
            self.holders.remove(&(pool, id));
        }
        self.liquidatable.remove(key);
        self.free.push(id);
        true
    }

    /// Evaluates account `id` exactly at the current prices, updates the set and
    /// refreshes its triggers.
    fn evaluate(&mut self, id: u32, touched: &mut Touched) {
        let Some(mut entry) = self.accounts[id as usize].take() else { return };
        touched.evaluated += 1;
        let positions = entry.positions.iter().zip(&entry.pools).map(|(position, &pool)| {
            let pool = &self.pools[pool as usize];
            (&pool.pool, position, pool.price.as_ref())
        });
        let state = match health_with_values_of(entry.kind, self.now, MAINTENANCE, positions) {
            Ok((health, values)) => {
                let healthy = health.maintenance >= 0;
                let (variables, margin, linear, peak) = self.variables(entry.kind, &entry.pools, &values);
                // How far health may move before its sign can flip, rounding set aside.
                let distance = (health.maintenance as f64).abs() - margin;
                // A fired trigger means its share of the distance is spent: every
                // share is split afresh from the new distance.
                self.clear_triggers(&mut entry);
                if distance.is_nan() || distance <= 0.0 || peak >= PEAK_LIMIT {
                    // Inside its rounding margin an account's health is not monotone in
                    // its coordinates to the raw unit (floors of the weighted unit
                    // values, the switch between folded and 16.48 weights), and near
                    // 2^127 a 2x move may leave the engine's range: any move of its
                    // prices, either way, re-checks it.
                    self.install_everywhere(&mut entry, id);
                } else {
                    let weighted: f64 = variables.iter().map(|v| v.value * v.volatility).sum();
                    for variable in &variables {
                        // A position valued zero (its weighted unit value floored away)
                        // gains at most two raw units per native unit up to a 100% move,
                        // inside its share of the margin (four per native unit); past
                        // that its trigger fires and its term stops the model.
                        let tolerance = if variable.value == 0.0 {
                            1.0
                        } else {
                            tolerance(distance, variable.volatility, weighted)
                        };
                        self.install(&mut entry, id, healthy, variable, tolerance);
                        if !healthy && variable.side == HIGH {
                            // Rising debt keeps it liquidatable until the engine cannot
                            // value it (then it is not): watched where its peak could
                            // reach PEAK_WATCH, more than 2x away.
                            let watch = Variable { current: variable.current * (PEAK_WATCH / peak), ..*variable };
                            self.install(&mut entry, id, true, &watch, 0.0);
                        }
                    }
                }
                let linear = linear && peak < PEAK_LIMIT;
                entry.model = Model { health: health.maintenance as f64, margin, terms: variables, linear };
                if healthy {
                    State::Healthy
                } else {
                    State::Liquidatable
                }
            }
            // Unevaluable (a value past the engine's range): not liquidatable (the
            // program would refuse it too), and any move of its prices re-checks it.
            Err(_) => {
                self.clear_triggers(&mut entry);
                entry.model = Model::default();
                self.install_everywhere(&mut entry, id);
                State::Unevaluable
            }
        };
        let liquidatable = state == State::Liquidatable;
        if liquidatable != (entry.state == State::Liquidatable) {
            change_side(&mut self.liquidatable, entry.key, liquidatable, touched);
        }
        entry.state = state;
        self.accounts[id as usize] = Some(entry);
    }

    /// The coordinates an evaluated account holds, with their Maintenance values,
    /// the rounding margin of the linear model (see the module docs), whether
    /// every position's value follows a coordinate, and its peak: the larger of its
    /// Maintenance sums and of its positions' values at 100% weight (Q64.64, see
    /// [`PEAK_LIMIT`]).
    fn variables(
        &self,
        kind: AccountKind,
        pools: &[u32],
        values: &[PositionValues],
    ) -> (Vec<Variable>, f64, bool, f64) {
        let level = level_index(MAINTENANCE);
        let mut variables = Vec::with_capacity(values.len());
        let (mut margin, mut gross, mut linear) = (0.0, 0.0, true);
        let (mut assets, mut liabilities, mut peak) = (0.0, 0.0, 0.0f64);
        for (position, &pool) in values.iter().zip(pools) {
            let entry = &self.pools[pool as usize];
            linear &= entry.coordinates.is_some();
            assets += position.assets[level] as f64;
            liabilities += position.liabilities[level] as f64;
            if let Some(coordinates) = entry.coordinates {
                // Collateral the engine values (not isolated-only collateral of a cross
                // account), and debt.
                let isolated_only = entry.pool.config.flags & POOL_FLAG_ISOLATED_ONLY != 0;
                let counts = !(isolated_only && kind == AccountKind::Cross);
                let one_token = 10f64.powi(entry.pool.mint_decimals as i32);
                for (side, value, amount) in [
                    (LOW, position.assets[level], if counts { position.deposit } else { 0 }),
                    (HIGH, position.liabilities[level], position.debt),
                ] {
                    // Also a position its weight's floor valued zero: a large enough move
                    // makes it count (its term bounds the move the model extrapolates).
                    if value != 0 || amount != 0 {
                        let value = value as f64;
                        let current = coordinates[side as usize];
                        peak = peak.max(amount as f64 * current / one_token);
                        variables.push(Variable { pool, side, value, current, volatility: entry.volatility });
                        gross += value;
                        // The value is proportional to the coordinate up to one raw
                        // unit per native unit, in the value and in the coordinate, at
                        // both ends of a move of at most 100% (tolerances stop there).
                        margin += 8.0 * value * entry.coordinate_error;
                    }
                }
            }
            margin += 4.0 * (position.deposit as f64 + position.debt as f64 + 2.0);
        }
        // f64 rounding of the values and their sums.
        (variables, margin + gross * 1e-9, linear, peak.max(assets).max(liabilities))
    }

    /// Installs the trigger of `variable` at `tolerance` from its coordinate, in the
    /// direction that hurts: collateral falling and debt rising while healthy, the
    /// reverse while liquidatable. None when it would sit at or below zero (a
    /// falling coordinate may then lose all its value).
    fn install(&mut self, entry: &mut AccountEntry, id: u32, healthy: bool, variable: &Variable, tolerance: f64) {
        let rising = healthy == (variable.side == HIGH);
        let price = if rising { variable.current * (1.0 + tolerance) } else { variable.current * (1.0 - tolerance) };
        if !price.is_finite() || price <= 0.0 {
            return;
        }
        let set = set_index(variable.pool, variable.side, rising);
        let trigger = trigger(price_key(price, !rising), id);
        self.sets[set].insert(trigger);
        entry.triggers.push(Installed { set, trigger });
    }

    /// Triggers at the current coordinates of every pool the account holds, both
    /// sides, both directions: any move of its prices re-checks it.
    fn install_everywhere(&mut self, entry: &mut AccountEntry, id: u32) {
        for &pool in &entry.pools {
            let Some(coordinates) = self.pools[pool as usize].coordinates else { continue };
            for side in [LOW, HIGH] {
                let price = coordinates[side as usize];
                for rising in [false, true] {
                    let set = set_index(pool, side, rising);
                    let trigger = trigger(price_key(price, !rising), id);
                    self.sets[set].insert(trigger);
                    entry.triggers.push(Installed { set, trigger });
                }
            }
        }
    }

    fn clear_triggers(&mut self, entry: &mut AccountEntry) {
        for installed in std::mem::take(&mut entry.triggers) {
            self.sets[installed.set].remove(&installed.trigger);
        }
    }
}

/// Puts `key` in the liquidatable `set` (or takes it out) now that its side
/// changed, counting the entry or exit.
fn change_side(set: &mut BTreeSet<Pubkey>, key: Pubkey, liquidatable: bool, touched: &mut Touched) {
    if liquidatable {
        set.insert(key);
        touched.entered += 1;
    } else {
        set.remove(&key);
        touched.left += 1;
    }
}

/// Share of `distance` for a coordinate of volatility weight `volatility`, as a
/// relative move: `distance x volatility / sum(value x volatility)`, so that the
/// coordinates' shares times their values add up to `distance`. Capped at a 100%
/// move, which bounds the rounding the margin covers (a smaller tolerance only
/// fires earlier).
fn tolerance(distance: f64, volatility: f64, weighted: f64) -> f64 {
    if distance > 0.0 && weighted > 0.0 {
        (distance * volatility / weighted).min(1.0)
    } else {
        0.0
    }
}

/// True when two prices give the same Maintenance values: the same spot,
/// confidence and exponent (the EMA and the publish time do not count there).
fn same_band(a: Option<&OraclePrice>, b: Option<&OraclePrice>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a.price, a.conf, a.expo) == (b.price, b.conf, b.expo),
        (None, None) => true,
        _ => false,
    }
}

/// One coordinate an evaluated account holds.
#[derive(Clone, Copy, Debug)]
struct Variable {
    pool: u32,
    side: u8,
    /// Its Maintenance value now (USD Q64.64 as f64).
    value: f64,
    /// The coordinate now.
    current: f64,
    volatility: f64,
}
