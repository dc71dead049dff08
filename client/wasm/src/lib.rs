//! `margin-client`'s health cache for JavaScript, built to wasm with
//! wasm-bindgen (`client/ts/scripts/build-wasm.sh` writes the bindings to
//! `client/ts/wasm/`). Marshaling only: accounts come in as raw bytes (any
//! `ArrayLike<number>`: `Uint8Array`, kit's `ReadonlyUint8Array`) keyed by
//! base58 addresses, values go out as `bigint` (Q64.64 USD health as `i128`,
//! native amounts as `u64`) or `number` (display USD, prices); every formula is
//! the one the program runs (`margin_client::health::HealthCache` over
//! `margin_interface::health`).
//!
//! ```js
//! const accounts = new AccountSet();
//! accounts.add(poolAddress, programAddress, poolBytes);  // every pool the account uses (and the one to borrow from)
//! accounts.add(oracleAddress, pythReceiver, oracleBytes); // and its oracle account
//! accounts.setOracle(poolAddress, oracleAddress);         // pull oracles: which update account prices the pool
//! const cache = HealthCache.load(marginAccountBytes, accounts, clockUnixTimestamp);
//! cache.health().initial;            // bigint, bit-equal to the `health` instruction's return data
//! cache.maxBorrow(usdcPoolAddress);  // bigint, native units
//! ```

use std::{collections::HashMap, str::FromStr};

use margin_client::{
    accounts,
    health::{self, to_usd},
    interface::{
        error::MarginError,
        health::{Health, Unpriced, STRESS},
    },
    sdk::{account::Account, pubkey::Pubkey},
};
use wasm_bindgen::prelude::*;

fn key(address: &str) -> Result<Pubkey, JsError> {
    Pubkey::from_str(address).map_err(|_| JsError::new(&format!("not a base58 address: {address:?}")))
}

/// A margin error as thrown to JavaScript: `"InsufficientHealth (6054): ..."`.
fn margin(error: MarginError) -> JsError {
    JsError::new(&error.to_string())
}

/// Fetched accounts keyed by address (pools, oracle accounts), and which oracle
/// account prices each pool.
#[wasm_bindgen]
#[derive(Clone, Debug, Default)]
pub struct AccountSet {
    accounts: HashMap<Pubkey, Account>,
    oracles: HashMap<Pubkey, Pubkey>,
}

#[wasm_bindgen]
impl AccountSet {
    /// An empty set.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the account at `address` (base58) owned by `owner`
    /// (base58; the engine checks pool and oracle owners like the program does)
    /// with contents `data`.
    pub fn add(
        &mut self,
        address: &str,
        owner: &str,
        #[wasm_bindgen(unchecked_param_type = "ArrayLike<number>")] data: &[u8],
    ) -> Result<(), JsError> {
        let account =
            Account { lamports: 0, data: data.to_vec(), owner: key(owner)?, executable: false, rent_epoch: 0 };
        self.accounts.insert(key(address)?, account);
        Ok(())
    }

    /// The oracle account passed for `pool` in the health accounts (a Pyth pull
    /// pool: a `PriceUpdateV2` account of its feed). A pool without one uses the
    /// address in its config (a legacy Pyth price account).
    #[wasm_bindgen(js_name = setOracle)]
    pub fn set_oracle(&mut self, pool: &str, oracle: &str) -> Result<(), JsError> {
        self.oracles.insert(key(pool)?, key(oracle)?);
        Ok(())
    }
}

impl AccountSet {
    fn oracle_of(&self, pool: &Pubkey) -> Pubkey {
        self.oracles.get(pool).copied().unwrap_or_else(|| {
            self.accounts
                .get(pool)
                .and_then(|account| accounts::pool(&account.data).ok())
                .map_or_else(Pubkey::default, |pool| Pubkey::new_from_array(pool.config.oracle.address))
        })
    }

    fn get(&self, address: &Pubkey, what: &str) -> Result<&Account, JsError> {
        self.accounts.get(address).ok_or_else(|| JsError::new(&format!("{what} {address} is not in the account set")))
    }
}

/// Health at the three levels the `health` instruction returns, USD Q64.64
/// (`bigint`, value / 2^64 dollars), with display dollars.
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthValues {
    /// Initial health: every action that adds risk needs it >= 0.
    #[wasm_bindgen(readonly)]
    pub initial: i128,
    /// Maintenance health: below 0 the account is liquidatable.
    #[wasm_bindgen(readonly)]
    pub maintenance: i128,
    /// Equity (unweighted): at or below 0 the account is bankrupt.
    #[wasm_bindgen(readonly)]
    pub equity: i128,
}

#[wasm_bindgen]
impl HealthValues {
    /// Decodes the `health` instruction's return data (three `i128` LE).
    #[wasm_bindgen(js_name = fromReturnData)]
    pub fn from_return_data(
        #[wasm_bindgen(unchecked_param_type = "ArrayLike<number>")] data: &[u8],
    ) -> Result<HealthValues, JsError> {
        Health::from_bytes(data)
            .map(Self::from)
            .ok_or_else(|| JsError::new(&format!("health return data is 48 bytes, not {}", data.len())))
    }

    /// Initial health in dollars (display only).
    #[wasm_bindgen(getter, js_name = initialUsd)]
    pub fn initial_usd(&self) -> f64 {
        to_usd(self.initial)
    }

    /// Maintenance health in dollars (display only).
    #[wasm_bindgen(getter, js_name = maintenanceUsd)]
    pub fn maintenance_usd(&self) -> f64 {
        to_usd(self.maintenance)
    }

    /// Equity in dollars (display only).
    #[wasm_bindgen(getter, js_name = equityUsd)]
    pub fn equity_usd(&self) -> f64 {
        to_usd(self.equity)
    }
}

impl From<Health> for HealthValues {
    fn from(health: Health) -> Self {
        Self { initial: health.initial, maintenance: health.maintenance, equity: health.equity }
    }
}

/// The health cache of one margin account (`margin_client::health::HealthCache`):
/// its pools and prices read and validated once by the program's engine.
#[wasm_bindgen]
#[derive(Clone, Debug)]
pub struct HealthCache {
    cache: health::HealthCache,
    accounts: AccountSet,
}

#[wasm_bindgen]
impl HealthCache {
    /// Reads the margin account (`marginAccount`: its raw bytes) and, from
    /// `accounts`, each used position's pool and oracle account, at clock time
    /// `now` (unix seconds; interest is projected to it and prices are checked
    /// against it). Unpriced deposits count zero, an unpriced debt throws, as in
    /// the `health` instruction. Throws the program's error
    /// (`"OracleStale (6043): ..."`) where the program would fail.
    pub fn load(
        #[wasm_bindgen(unchecked_param_type = "ArrayLike<number>")] margin_account: &[u8],
        accounts: &AccountSet,
        now: i64,
    ) -> Result<HealthCache, JsError> {
        let data = accounts::margin_account(margin_account)
            .map_err(|error| JsError::new(&format!("not a margin account: {error:?}")))?;
        let cache = health::HealthCache::load(
            &data,
            &accounts.accounts,
            |pool| accounts.oracle_of(pool),
            now,
            Unpriced::ZeroDeposits,
        )
        .map_err(margin)?;
        Ok(Self { cache, accounts: accounts.clone() })
    }

    /// Health at Initial, Maintenance and Equity: bit-equal to what the `health`
    /// instruction returns for the same accounts and clock.
    pub fn health(&self) -> Result<HealthValues, JsError> {
        self.cache.health().map(HealthValues::from).map_err(margin)
    }

    /// Maintenance health under every pool's stress move (USD Q64.64), which
    /// actions adding risk also keep >= 0 (`StressTestFailed`).
    #[wasm_bindgen(js_name = stressHealth)]
    pub fn stress_health(&self) -> Result<i128, JsError> {
        self.cache.health_at(STRESS).map(|health| health.stress).map_err(margin)
    }

    /// The largest amount (native units) of `pool` the account can borrow now:
    /// Initial health and the stress scenario stay >= 0 with the program's
    /// rounding, within the pool's liquidity and borrow cap; 0 where it may not
    /// borrow. `pool` and its oracle account must be in the account set (also when
    /// the borrow would open the position).
    #[wasm_bindgen(js_name = maxBorrow)]
    pub fn max_borrow(&self, pool: &str) -> Result<u64, JsError> {
        let pool_key = key(pool)?;
        let pool = accounts::pool(&self.accounts.get(&pool_key, "pool")?.data)
            .map_err(|error| JsError::new(&format!("not a pool: {error:?}")))?;
        let oracle_key = self.accounts.oracle_of(&pool_key);
        let oracle = self.accounts.get(&oracle_key, "oracle account")?;
        let price = health::pool_price(&pool, &oracle_key, oracle, self.cache.now).map_err(margin)?;
        self.cache.max_borrow(&pool_key, &pool, &price).map_err(margin)
    }

    /// The largest amount (native units) of `pool` the account can withdraw now
    /// (all of it without debt, else what keeps Initial health and the stress
    /// scenario >= 0), within idle liquidity; 0 when it holds no position there.
    #[wasm_bindgen(js_name = maxWithdraw)]
    pub fn max_withdraw(&self, pool: &str) -> Result<u64, JsError> {
        self.cache.max_withdraw(&key(pool)?).map_err(margin)
    }

    /// The price (USD per whole token) of `pool` at which Maintenance health
    /// reaches zero, every other price fixed; `undefined` if no positive price
    /// does (or the pool is not a priced position).
    #[wasm_bindgen(js_name = liquidationPrice)]
    pub fn liquidation_price(&self, pool: &str) -> Result<Option<f64>, JsError> {
        self.cache.liquidation_price(&key(pool)?).map_err(margin)
    }

    /// The same cache with `pool`'s price (spot, EMA and confidences) multiplied
    /// by `factor`: health "if this asset moved".
    #[wasm_bindgen(js_name = withPriceFactor)]
    pub fn with_price_factor(&self, pool: &str, factor: f64) -> Result<HealthCache, JsError> {
        Ok(Self { cache: self.cache.with_price_factor(&key(pool)?, factor), accounts: self.accounts.clone() })
    }

    /// The clock time the cache was loaded at (unix seconds).
    #[wasm_bindgen(getter)]
    pub fn now(&self) -> i64 {
        self.cache.now
    }

    /// The pools of the used positions, in slot order (the health accounts'
    /// order: pool, then its oracle).
    pub fn pools(&self) -> Vec<String> {
        self.cache.positions.iter().map(|position| position.pool_key.to_string()).collect()
    }
}
