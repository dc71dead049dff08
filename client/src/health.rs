//! Off-chain health with the very engine the program runs
//! (`margin_interface::health::compute_health`), the health cache frontends and
//! bots query (max borrow, max withdraw, liquidation prices), and packing of
//! health accounts.

use std::collections::HashMap;

use crate::sdk::{account::Account, instruction::AccountMeta, pubkey::Pubkey};
use margin_interface::{
    error::MarginError,
    fixed,
    health::{
        compute_health, compute_health_visiting, level_index, position_values, AccountRead, Health, HealthSums, Levels,
        PositionValues, Unpriced, ALL_LEVELS, INITIAL, MAINTENANCE, STRESS,
    },
    oracle::{read_oracle, OraclePrice},
    state::{AccountKind, Pool, Position},
};

use crate::{accounts::MarginAccountData, errors::ClientError, MarginProgram};

/// A fetched account, readable by the shared engine.
#[derive(Clone, Debug)]
pub struct FetchedAccount {
    /// Address.
    pub key: Pubkey,
    /// Contents as fetched.
    pub account: Account,
}

impl AccountRead for FetchedAccount {
    fn key(&self) -> &[u8; 32] {
        self.key.as_array()
    }
    fn owner(&self) -> &[u8; 32] {
        self.account.owner.as_array()
    }
    fn data(&self) -> &[u8] {
        &self.account.data
    }
}

/// The positions the health check will see: the account's used positions, with
/// `extra_pool` appended when an action (a first borrow or deposit in a cross
/// account) is about to open it.
pub fn positions_after(account: &MarginAccountData, extra_pool: Option<&Pubkey>) -> Vec<Position> {
    let mut positions = account.active().to_vec();
    if let Some(pool) = extra_pool {
        if account.header.kind == AccountKind::Cross as u8 && !positions.iter().any(|p| p.pool == pool.to_bytes()) {
            positions.push(Position { pool: pool.to_bytes(), deposit_shares: 0, borrow_shares: 0 });
        }
    }
    positions
}

/// Health accounts for `positions`, in the documented order: pool, oracle, ...
/// `oracle_of` maps a pool to the oracle account to pass for it.
pub fn health_account_metas(positions: &[Position], oracle_of: impl Fn(&Pubkey) -> Pubkey) -> Vec<AccountMeta> {
    positions
        .iter()
        .flat_map(|position| {
            let pool = Pubkey::new_from_array(position.pool);
            [AccountMeta::new_readonly(pool, false), AccountMeta::new_readonly(oracle_of(&pool), false)]
        })
        .collect()
}

/// `metas` (an account's health accounts) with an isolated account's collateral
/// pool writable: a borrow against isolated-only collateral adds to that pool's
/// isolation debt tally, a write-off releases it. For other accounts, unchanged.
/// (A needless write lock when the collateral is not isolated-only.)
pub fn with_collateral_writable(mut metas: Vec<AccountMeta>, account: &MarginAccountData) -> Vec<AccountMeta> {
    if account.header.kind == margin_interface::state::AccountKind::Isolated as u8 {
        if let Some(collateral) = metas.first_mut() {
            collateral.is_writable = true;
        }
    }
    metas
}

/// Health accounts for `resolve_bad_debt`: as [`health_account_metas`], with the
/// pools still holding (dust) deposits writable, since their dust is swept.
/// An isolated account's collateral pool is writable too (the write-off releases
/// its isolation debt tally).
pub fn sweep_account_metas(account: &MarginAccountData, oracle_of: impl Fn(&Pubkey) -> Pubkey) -> Vec<AccountMeta> {
    let positions = account.active();
    let mut metas = health_account_metas(positions, oracle_of);
    for (position, pair) in positions.iter().zip(metas.chunks_exact_mut(2)) {
        pair[0].is_writable = position.deposit_shares != 0;
    }
    with_collateral_writable(metas, account)
}

/// Health computed off chain from fetched accounts (`accounts` keyed by address),
/// bit for bit what the program's `health` instruction returns (unpriced deposits
/// count zero, an unpriced debt is an error). Pools must be owned by the declared
/// program ([`MarginProgram::offchain_health`] for another deployment).
pub fn offchain_health(
    account: &MarginAccountData,
    accounts: &HashMap<Pubkey, Account>,
    oracle_of: impl Fn(&Pubkey) -> Pubkey,
    now: i64,
    levels: Levels,
) -> Result<Health, MarginError> {
    MarginProgram::default().offchain_health(account, accounts, oracle_of, now, levels)
}

/// [`offchain_health`] with an explicit policy for unpriced positions;
/// `Unpriced::ZeroAll` is what `liquidate` judges eligibility by.
pub fn offchain_health_with(
    account: &MarginAccountData,
    accounts: &HashMap<Pubkey, Account>,
    oracle_of: impl Fn(&Pubkey) -> Pubkey,
    now: i64,
    levels: Levels,
    unpriced: Unpriced,
) -> Result<Health, MarginError> {
    MarginProgram::default().offchain_health_with(account, accounts, oracle_of, now, levels, unpriced)
}

/// Health off chain and the health cache for one deployment: the engine checks
/// that every pool is owned by `self.id`, as the program does.
impl MarginProgram {
    /// Health computed off chain from fetched accounts (`accounts` keyed by
    /// address), bit for bit what this program's `health` instruction returns
    /// (unpriced deposits count zero, an unpriced debt is an error).
    pub fn offchain_health(
        &self,
        account: &MarginAccountData,
        accounts: &HashMap<Pubkey, Account>,
        oracle_of: impl Fn(&Pubkey) -> Pubkey,
        now: i64,
        levels: Levels,
    ) -> Result<Health, MarginError> {
        self.offchain_health_with(account, accounts, oracle_of, now, levels, Unpriced::ZeroDeposits)
    }

    /// [`MarginProgram::offchain_health`] with an explicit policy for unpriced
    /// positions; `Unpriced::ZeroAll` is what `liquidate` judges eligibility by.
    pub fn offchain_health_with(
        &self,
        account: &MarginAccountData,
        accounts: &HashMap<Pubkey, Account>,
        oracle_of: impl Fn(&Pubkey) -> Pubkey,
        now: i64,
        levels: Levels,
        unpriced: Unpriced,
    ) -> Result<Health, MarginError> {
        let positions = account.active();
        let fetched = fetch(positions, accounts, oracle_of)?;
        let kind = AccountKind::from_u8(account.header.kind).ok_or(MarginError::InvalidAccountKind)?;
        compute_health(self.id.as_array(), kind, positions, &fetched, now, levels, unpriced)
    }

    /// The health cache of `account` ([`HealthCache::load`] for this program),
    /// with the outage policy of the `health` instruction and of the gates of
    /// borrow and withdraw (`Unpriced::ZeroDeposits`). `accounts` holds every
    /// pool and oracle of its health accounts, keyed by address.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use margin_client::{accounts, health::to_usd, sdk::{account::Account, pubkey::Pubkey}, MarginProgram};
    /// # use margin_client::{config::default_pool_config, oracle::legacy_trading};
    /// # use margin_client::interface::{fixed, oracle::{OraclePrice, PYTH_LEGACY_PROGRAM_ID},
    /// #     state::{AccountKind, MarginAccountHeader, OracleKind, Pool, Position}};
    /// # let program = MarginProgram { id: Pubkey::new_unique() };
    /// # let now = 1_700_000_000;
    /// # let mut fetched: HashMap<Pubkey, Account> = HashMap::new();
    /// # let mut oracles: HashMap<Pubkey, Pubkey> = HashMap::new();
    /// # // A pool at `usd` per whole token holding `deposited` native units.
    /// # let mut add_pool = |decimals: u8, usd: i64, deposited: u64| {
    /// #     let (key, oracle) = (Pubkey::new_unique(), Pubkey::new_unique());
    /// #     let mut pool: Pool = bytemuck::Zeroable::zeroed();
    /// #     pool.discriminator = <Pool as margin_client::interface::state::AccountType>::DISCRIMINATOR;
    /// #     pool.mint_decimals = decimals;
    /// #     pool.deposit_share_value = fixed::ONE.to_le_bytes();
    /// #     pool.borrow_share_value = fixed::ONE.to_le_bytes();
    /// #     pool.total_deposit_shares = deposited;
    /// #     pool.last_accrual_ts = now;
    /// #     pool.config = default_pool_config();
    /// #     pool.config.oracle.kind = OracleKind::PythLegacy as u8;
    /// #     pool.config.oracle.address = oracle.to_bytes();
    /// #     let account = |data: Vec<u8>, owner| Account { lamports: 1, data, owner, executable: false, rent_epoch: 0 };
    /// #     fetched.insert(key, account(bytemuck::bytes_of(&pool).to_vec(), program.id));
    /// #     let price = OraclePrice { price: usd * 100_000_000, conf: 0, expo: -8, publish_time: now,
    /// #         ema_price: usd * 100_000_000, ema_conf: 0 };
    /// #     fetched.insert(oracle, account(legacy_trading(&price), Pubkey::new_from_array(PYTH_LEGACY_PROGRAM_ID)));
    /// #     oracles.insert(key, oracle);
    /// #     key
    /// # };
    /// # let sol_pool = add_pool(9, 100, 10_000_000_000);
    /// # let usdc_pool = add_pool(6, 1, 1_000_000_000_000);
    /// # let mut header: MarginAccountHeader = bytemuck::Zeroable::zeroed();
    /// # header.discriminator = MarginAccountHeader::DISCRIMINATOR;
    /// # header.kind = AccountKind::Cross as u8;
    /// # header.position_count = 1;
    /// # let mut positions = vec![Position { pool: [0; 32], deposit_shares: 0, borrow_shares: 0 }; 16];
    /// # positions[0] = Position { pool: sol_pool.to_bytes(), deposit_shares: 10_000_000_000, borrow_shares: 0 };
    /// # let data = accounts::MarginAccountData { header, positions }.to_bytes();
    /// // A cross account holding 10 SOL at $100 (`data`); `fetched`: its pools and
    /// // oracles and the USDC pool's, as fetched; `oracles`: pool -> oracle account.
    /// let account = accounts::margin_account(&data).expect("a margin account");
    /// let cache = program.health_cache(&account, &fetched, |pool| oracles[pool], now)?;
    ///
    /// // Initial health: $1,000 of SOL at the 80% Initial weight.
    /// assert_eq!(format!("{:.2}", to_usd(cache.health()?.initial)), "800.00");
    /// // The most USDC it can borrow: $800 at the 110% Initial liability weight.
    /// let max = cache.max_borrow_in(&usdc_pool, &fetched, |pool| oracles[pool])?;
    /// assert_eq!(max, 727_272_727);
    /// // Without debt, all of the deposit can be withdrawn.
    /// assert_eq!(cache.max_withdraw(&sol_pool)?, 10_000_000_000);
    /// # Ok::<(), margin_client::errors::ClientError>(())
    /// ```
    pub fn health_cache(
        &self,
        account: &MarginAccountData,
        accounts: &HashMap<Pubkey, Account>,
        oracle_of: impl Fn(&Pubkey) -> Pubkey,
        now: i64,
    ) -> Result<HealthCache, MarginError> {
        self.health_cache_with(account, accounts, oracle_of, now, Unpriced::ZeroDeposits)
    }

    /// [`MarginProgram::health_cache`] with `unpriced` as the outage policy.
    pub fn health_cache_with(
        &self,
        account: &MarginAccountData,
        accounts: &HashMap<Pubkey, Account>,
        oracle_of: impl Fn(&Pubkey) -> Pubkey,
        now: i64,
        unpriced: Unpriced,
    ) -> Result<HealthCache, MarginError> {
        let kind = AccountKind::from_u8(account.header.kind).ok_or(MarginError::InvalidAccountKind)?;
        let positions = account.active();
        let fetched = fetch(positions, accounts, oracle_of)?;
        let mut cached: Vec<CachedPosition> = Vec::with_capacity(positions.len());
        for (position, pair) in positions.iter().zip(fetched.chunks_exact(2)) {
            let pool = crate::accounts::pool(&pair[0].account.data).map_err(|_| MarginError::InvalidDiscriminator)?;
            cached.push(CachedPosition { pool_key: pair[0].key, pool, position: *position, price: None });
        }
        compute_health_visiting(
            self.id.as_array(),
            kind,
            positions,
            &fetched,
            now,
            ALL_LEVELS,
            unpriced,
            |slot, _, price| {
                cached[slot].price = Some(*price);
            },
        )?;
        Ok(HealthCache { kind, now, positions: cached })
    }
}

/// Converts a Q64.64 USD health value to dollars (for display).
pub fn to_usd(value: i128) -> f64 {
    value as f64 / fixed::ONE as f64
}

/// One position as the health engine read it: its pool and, when priced, the
/// validated oracle price.
#[derive(Clone, Copy, Debug)]
pub struct CachedPosition {
    /// The pool's address.
    pub pool_key: Pubkey,
    /// The pool as fetched.
    pub pool: Pool,
    /// The account's balances in it.
    pub position: Position,
    /// The price health used; `None` for an outage counted at zero.
    pub price: Option<OraclePrice>,
}

/// The health cache: every position's pool and price, read and validated once by
/// the program's own engine (`compute_health_visiting`), then evaluated as often
/// as needed with the engine's per-position formula (`position_values`): health,
/// the same health with one price moved, max borrow, max withdraw, liquidation
/// prices. Health from the cache equals the program's to the bit.
#[derive(Clone, Debug)]
pub struct HealthCache {
    /// Isolated or cross.
    pub kind: AccountKind,
    /// The time interest is projected to.
    pub now: i64,
    /// The used positions, in slot order.
    pub positions: Vec<CachedPosition>,
}

impl HealthCache {
    /// Reads the account's health accounts from `accounts` (keyed by address)
    /// through the engine, with `unpriced` as the outage policy. Pools must be
    /// owned by the declared program ([`MarginProgram::health_cache_with`] for
    /// another deployment).
    pub fn load(
        account: &MarginAccountData,
        accounts: &HashMap<Pubkey, Account>,
        oracle_of: impl Fn(&Pubkey) -> Pubkey,
        now: i64,
        unpriced: Unpriced,
    ) -> Result<Self, MarginError> {
        MarginProgram::default().health_cache_with(account, accounts, oracle_of, now, unpriced)
    }

    /// Values of position `index` at every level the `health` instruction reports
    /// (zero when unpriced).
    pub fn values(&self, index: usize) -> Result<PositionValues, MarginError> {
        self.values_at(index, ALL_LEVELS)
    }

    /// Values of position `index` at `levels` (zero when unpriced).
    pub fn values_at(&self, index: usize, levels: Levels) -> Result<PositionValues, MarginError> {
        let cached = &self.positions[index];
        values_or_zero(&cached.pool, &cached.position, cached.price.as_ref(), self.kind, levels, self.now)
    }

    /// EMA confidence (bps of the EMA price) of `pool`'s price as health read it,
    /// the input of the confidence-scaled liquidation bonus; 0 when unpriced or
    /// not a position.
    pub fn confidence_bps(&self, pool: &Pubkey) -> u64 {
        self.positions
            .iter()
            .find(|p| &p.pool_key == pool)
            .and_then(|p| p.price)
            .map_or(0, |price| margin_interface::liquidation::confidence_ratio_bps(&price))
    }

    /// Health at every level.
    pub fn health(&self) -> Result<Health, MarginError> {
        let mut sums = HealthSums::default();
        for index in 0..self.positions.len() {
            sums.add(&self.values(index)?, ALL_LEVELS)?;
        }
        Ok(sums.health())
    }

    /// Health at `levels` (e.g. `ALL_LEVELS | STRESS`); levels not asked for are zero.
    pub fn health_at(&self, levels: Levels) -> Result<Health, MarginError> {
        let mut sums = HealthSums::default();
        for index in 0..self.positions.len() {
            sums.add(&self.values_at(index, levels)?, levels)?;
        }
        Ok(sums.health())
    }

    /// Health at `levels` with every position's values, from one evaluation: for
    /// callers that need both (the liquidator index sizes its price triggers from
    /// the per-position Maintenance values of the health it just judged).
    pub fn health_with_values(&self, levels: Levels) -> Result<(Health, Vec<PositionValues>), MarginError> {
        let positions = self.positions.iter().map(|cached| (&cached.pool, &cached.position, cached.price.as_ref()));
        health_with_values_of(self.kind, self.now, levels, positions)
    }

    /// Index of `pool` among the positions.
    pub fn find(&self, pool: &Pubkey) -> Option<usize> {
        self.positions.iter().position(|p| &p.pool_key == pool)
    }

    /// The same cache with `pool`'s price (spot, EMA and both confidences)
    /// multiplied by `factor`: health "if this asset moved".
    pub fn with_price_factor(&self, pool: &Pubkey, factor: f64) -> Self {
        let mut moved = self.clone();
        if let Some(cached) = moved.positions.iter_mut().find(|p| &p.pool_key == pool) {
            cached.price = cached.price.map(|price| scale_price(&price, factor));
        }
        moved
    }

    /// The same cache with only `pool`'s spot price and spot confidence multiplied
    /// by `factor`, its EMA and EMA confidence unchanged: a sudden move the EMA has
    /// not followed yet (where the Initial level's EMA bound bends health).
    pub fn with_spot_factor(&self, pool: &Pubkey, factor: f64) -> Self {
        let mut moved = self.clone();
        if let Some(cached) = moved.positions.iter_mut().find(|p| &p.pool_key == pool) {
            cached.price = cached.price.map(|price| {
                let scaled = scale_price(&price, factor);
                OraclePrice { ema_price: price.ema_price, ema_conf: price.ema_conf, ..scaled }
            });
        }
        moved
    }

    /// The price (USD per whole token) of `pool` at which Maintenance health
    /// reaches zero, every other price fixed; `None` if no positive price does.
    /// Solved, not searched: a position's Maintenance value is linear in its price
    /// (spot and confidence scale together), so `H(s) = H + (s - 1) * (A - L)`.
    pub fn liquidation_price(&self, pool: &Pubkey) -> Result<Option<f64>, MarginError> {
        let Some(index) = self.find(pool) else { return Ok(None) };
        let Some(price) = self.positions[index].price else { return Ok(None) };
        let level = level_index(MAINTENANCE);
        let values = self.values(index)?;
        let net = to_usd(values.assets[level] as i128) - to_usd(values.liabilities[level] as i128);
        let health = to_usd(self.health()?.maintenance);
        if net == 0.0 {
            return Ok(None);
        }
        let factor = 1.0 - health / net;
        Ok((factor > 0.0).then(|| factor * price.price as f64 * 10f64.powi(price.expo)))
    }

    /// The largest amount (native units) of `pool` this account can borrow now:
    /// Initial health and the stress scenario stay >= 0 (the program's gate and
    /// rounding: debt shares rounded up),
    /// within the pool's liquidity and borrow cap. `pool` and `price` describe the
    /// debt pool (fetched and validated by the caller when it is not a position
    /// yet); zero when the account may not borrow there.
    pub fn max_borrow(&self, pool_key: &Pubkey, pool: &Pool, price: &OraclePrice) -> Result<u64, MarginError> {
        let existing = self.find(pool_key);
        if let Some(index) = existing {
            if self.positions[index].position.deposit_shares != 0 {
                return Ok(0); // DepositOutstanding
            }
        } else if self.kind == AccountKind::Isolated {
            return Ok(0); // IsolatedPoolMismatch
        }
        let mut projected = *pool;
        projected.accrue(self.now)?;
        let debt = projected.total_debt()?;
        let liquidity = projected.total_deposits()?.saturating_sub(debt);
        let cap_room = (projected.config.borrow_cap as u128).saturating_sub(debt);
        let ceiling = u64::try_from(liquidity.min(cap_room)).unwrap_or(u64::MAX);
        let share_value = projected.borrow_share_value();
        let held = existing.map_or(0, |i| self.positions[i].position.borrow_shares);
        let passes = |amount: u64| -> Result<bool, MarginError> {
            let shares = fixed::div_q64_ceil(amount, share_value).ok_or(MarginError::MathOverflow)?;
            let position = Position {
                pool: pool_key.to_bytes(),
                deposit_shares: 0,
                borrow_shares: held.checked_add(shares).ok_or(MarginError::MathOverflow)?,
            };
            self.passes_with(existing, &projected, &position, price)
        };
        largest_passing(ceiling, passes)
    }

    /// [`HealthCache::max_borrow`] with the debt pool and its price taken from
    /// what was fetched: the cached pool and price when `pool_key` is a priced
    /// position, else `pool_key` and its oracle (`oracle_of(pool_key)`) decoded
    /// from `accounts` (the map the cache was loaded from, which before a first
    /// borrow in that pool must hold those two as well).
    pub fn max_borrow_in(
        &self,
        pool_key: &Pubkey,
        accounts: &HashMap<Pubkey, Account>,
        oracle_of: impl Fn(&Pubkey) -> Pubkey,
    ) -> Result<u64, ClientError> {
        if let Some(cached) = self.find(pool_key).map(|index| &self.positions[index]) {
            if let Some(price) = &cached.price {
                return Ok(self.max_borrow(pool_key, &cached.pool, price)?);
            }
        }
        let fetched = |key: &Pubkey| accounts.get(key).ok_or(ClientError::MissingAccount(*key));
        let pool = crate::accounts::pool(&fetched(pool_key)?.data)
            .map_err(|error| ClientError::Decode { address: *pool_key, error })?;
        let oracle_key = oracle_of(pool_key);
        let price = pool_price(&pool, &oracle_key, fetched(&oracle_key)?, self.now)?;
        Ok(self.max_borrow(pool_key, &pool, &price)?)
    }

    /// The largest amount (native units) of `pool` this account can withdraw now:
    /// all of it without debt, else what keeps Initial health and the stress
    /// scenario >= 0 (shares burned
    /// rounded up, as the program does), within the pool's idle liquidity.
    pub fn max_withdraw(&self, pool_key: &Pubkey) -> Result<u64, MarginError> {
        let Some(index) = self.find(pool_key) else { return Ok(0) };
        let cached = &self.positions[index];
        let mut projected = cached.pool;
        projected.accrue(self.now)?;
        let share_value = projected.deposit_share_value();
        let held = cached.position.deposit_shares;
        let owned = u64::try_from(fixed::mul_q64_floor(held, share_value).ok_or(MarginError::MathOverflow)?)
            .map_err(|_| MarginError::MathOverflow)?;
        let liquidity = projected.total_deposits()?.saturating_sub(projected.total_debt()?);
        let ceiling = owned.min(u64::try_from(liquidity).unwrap_or(u64::MAX));
        let has_debt = self.positions.iter().any(|p| p.position.borrow_shares != 0);
        if !has_debt {
            return Ok(ceiling);
        }
        let Some(price) = cached.price else { return Ok(ceiling) }; // counts zero already
        let passes = |amount: u64| -> Result<bool, MarginError> {
            let burned = fixed::div_q64_ceil(amount, share_value).ok_or(MarginError::MathOverflow)?;
            let Some(left) = held.checked_sub(burned) else { return Ok(false) };
            let position = Position { pool: pool_key.to_bytes(), deposit_shares: left, borrow_shares: 0 };
            self.passes_with(Some(index), &projected, &position, &price)
        };
        largest_passing(ceiling, passes)
    }

    /// Whether the program's gate for new risk (Initial >= 0 and the stress
    /// scenario >= 0) passes with position `replaced` (or a new one) swapped for
    /// `position`.
    fn passes_with(
        &self,
        replaced: Option<usize>,
        pool: &Pool,
        position: &Position,
        price: &OraclePrice,
    ) -> Result<bool, MarginError> {
        let levels = INITIAL | STRESS;
        let mut sums = HealthSums::default();
        for index in (0..self.positions.len()).filter(|i| Some(*i) != replaced) {
            sums.add(&self.values_at(index, levels)?, levels)?;
        }
        sums.add(&position_values(pool, position, price, self.kind, levels, self.now)?, levels)?;
        let health = sums.health();
        Ok(health.initial >= 0 && health.stress >= 0)
    }
}

/// A position's values at `levels`, zero when unpriced (`price` `None`).
fn values_or_zero(
    pool: &Pool,
    position: &Position,
    price: Option<&OraclePrice>,
    kind: AccountKind,
    levels: Levels,
    now: i64,
) -> Result<PositionValues, MarginError> {
    match price {
        Some(price) => position_values(pool, position, price, kind, levels, now),
        None => Ok(PositionValues::default()),
    }
}

/// [`HealthCache::health_with_values`] for positions whose pools and prices are
/// kept elsewhere, `(pool, position, price)` with `None` for an unpriced one: one
/// copy of each pool shared by many accounts (the liquidator index keeps them so,
/// 512 bytes per pool instead of per position).
pub fn health_with_values_of<'a>(
    kind: AccountKind,
    now: i64,
    levels: Levels,
    positions: impl IntoIterator<Item = (&'a Pool, &'a Position, Option<&'a OraclePrice>)>,
) -> Result<(Health, Vec<PositionValues>), MarginError> {
    let mut sums = HealthSums::default();
    let mut values = Vec::new();
    for (pool, position, price) in positions {
        let position = values_or_zero(pool, position, price, kind, levels, now)?;
        sums.add(&position, levels)?;
        values.push(position);
    }
    Ok((sums.health(), values))
}

/// The largest `x` in `0..=ceiling` with `passes(x)` (monotone: true up to a point).
fn largest_passing(ceiling: u64, passes: impl Fn(u64) -> Result<bool, MarginError>) -> Result<u64, MarginError> {
    if passes(ceiling)? {
        return Ok(ceiling);
    }
    let (mut low, mut high) = (0u64, ceiling); // passes(low) (0 changes nothing), !passes(high)
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        if passes(middle)? {
            low = middle
        } else {
            high = middle
        }
    }
    Ok(low)
}

/// `price` with spot, EMA and both confidences multiplied by `factor`.
pub fn scale_price(price: &OraclePrice, factor: f64) -> OraclePrice {
    OraclePrice {
        price: (price.price as f64 * factor).round().max(1.0) as i64,
        conf: (price.conf as f64 * factor).round() as u64,
        ema_price: (price.ema_price as f64 * factor).round().max(1.0) as i64,
        ema_conf: (price.ema_conf as f64 * factor).round() as u64,
        ..*price
    }
}

/// The USD value (Q64.64) of one whole token of `pool` at full weight as the
/// Maintenance level values it: `(collateral, debt)`, i.e. at the low and the high
/// end of the confidence band. Every position's Maintenance value is its amount
/// times these times its weight (to rounding), so they are the coordinates along
/// which an account's health moves with this price (the liquidator index orders
/// its triggers by them). Computed by the engine itself (`position_values` on a
/// one-token position of a copy of `pool` with unit share values and 100%
/// weights), so they follow any change to how Maintenance prices a position.
pub fn maintenance_unit_values(pool: &Pool, price: &OraclePrice) -> Result<(u128, u128), MarginError> {
    let one_token = 10u64.checked_pow(pool.mint_decimals as u32).ok_or(MarginError::PriceOutOfRange)?;
    let mut unit = *pool;
    unit.deposit_share_value = fixed::store(fixed::ONE);
    unit.borrow_share_value = fixed::store(fixed::ONE);
    unit.total_borrow_shares = 0; // no interest projection
    unit.config.maint_asset_weight_bps = margin_interface::BPS as u16;
    unit.config.maint_liab_weight_bps = margin_interface::BPS as u16;
    let position = Position { pool: [0; 32], deposit_shares: one_token, borrow_shares: one_token };
    let values = position_values(&unit, &position, price, AccountKind::Isolated, MAINTENANCE, unit.last_accrual_ts)?;
    let level = level_index(MAINTENANCE);
    Ok((values.assets[level], values.liabilities[level]))
}

/// The validated price of `pool` from its fetched oracle account (for a pool that
/// is not a position yet, e.g. before a first borrow).
pub fn pool_price(pool: &Pool, oracle_key: &Pubkey, oracle: &Account, now: i64) -> Result<OraclePrice, MarginError> {
    read_oracle(&pool.config.oracle, oracle_key.as_array(), oracle.owner.as_array(), &oracle.data, now)
}

/// The fetched health accounts of `positions`, in order.
fn fetch(
    positions: &[Position],
    accounts: &HashMap<Pubkey, Account>,
    oracle_of: impl Fn(&Pubkey) -> Pubkey,
) -> Result<Vec<FetchedAccount>, MarginError> {
    health_account_metas(positions, oracle_of)
        .into_iter()
        .map(|meta| {
            let account = accounts.get(&meta.pubkey).cloned().ok_or(MarginError::HealthAccountCount)?;
            Ok(FetchedAccount { key: meta.pubkey, account })
        })
        .collect()
}
