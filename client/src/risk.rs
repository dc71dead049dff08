//! Risk report for frontends ("greeks" and predictive risk): per-asset delta,
//! liquidation prices and health under price shocks, all evaluated on the health
//! cache (`HealthCache`): the program's own per-position formula with the cached
//! prices moved, no oracle account rebuilt and no search.

use std::collections::HashMap;

use crate::sdk::{account::Account, pubkey::Pubkey};
use margin_interface::{error::MarginError, health::Health};

use crate::{
    accounts::MarginAccountData,
    health::{to_usd, HealthCache},
};

/// One asset's sensitivities.
#[derive(Clone, Debug, PartialEq)]
pub struct AssetRisk {
    /// The asset's pool.
    pub pool: Pubkey,
    /// Maintenance health change (USD) for a +1% move of this asset's price.
    pub delta_per_percent: f64,
    /// The price (USD per whole token) at which Maintenance health reaches zero
    /// with every other price fixed; `None` when no price of this asset can.
    pub liquidation_price: Option<f64>,
    /// Current spot price (USD per whole token); 0 when unpriced.
    pub price: f64,
}

/// Health now, per asset, and under uniform shocks of every price.
#[derive(Clone, Debug, PartialEq)]
pub struct RiskReport {
    /// Health now (all levels).
    pub health: Health,
    /// One entry per position.
    pub assets: Vec<AssetRisk>,
    /// (shock, e.g. -0.3 for -30%, Maintenance health USD after it).
    pub shocks: Vec<(f64, f64)>,
}

/// Builds the report from the account, its fetched health accounts and `oracle_of`.
/// `shocks` move every price of the account at once (e.g. `-0.3`), except the
/// pools in `unshocked` (stablecoins, typically).
pub fn risk_report(
    account: &MarginAccountData,
    accounts: &HashMap<Pubkey, Account>,
    oracle_of: impl Fn(&Pubkey) -> Pubkey,
    now: i64,
    shocks: &[f64],
    unshocked: &[Pubkey],
) -> Result<RiskReport, MarginError> {
    let cache = HealthCache::load(account, accounts, oracle_of, now, margin_interface::health::Unpriced::ZeroDeposits)?;
    report_from_cache(&cache, shocks, unshocked)
}

/// [`risk_report`] from an already loaded cache.
pub fn report_from_cache(cache: &HealthCache, shocks: &[f64], unshocked: &[Pubkey]) -> Result<RiskReport, MarginError> {
    let health = cache.health()?;
    let mut assets = Vec::new();
    for cached in &cache.positions {
        let pool = cached.pool_key;
        let up = cache.with_price_factor(&pool, 1.01).health()?;
        let price = cached.price.map_or(0.0, |p| p.price as f64 * 10f64.powi(p.expo));
        assets.push(AssetRisk {
            pool,
            delta_per_percent: to_usd(up.maintenance) - to_usd(health.maintenance),
            liquidation_price: cache.liquidation_price(&pool)?,
            price,
        });
    }
    let mut shocked = Vec::new();
    for shock in shocks {
        let mut moved = cache.clone();
        for cached in cache.positions.iter().filter(|p| !unshocked.contains(&p.pool_key)) {
            moved = moved.with_price_factor(&cached.pool_key, 1.0 + shock);
        }
        shocked.push((*shock, to_usd(moved.health()?.maintenance)));
    }
    Ok(RiskReport { health, assets, shocks: shocked })
}
