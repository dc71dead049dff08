//! Risk report for frontends ("greeks" and predictive risk): per-asset delta,
//! liquidation prices and health under price shocks, all computed with the same
//! health engine the program runs, on copies of the fetched accounts whose oracle
//! prices are moved.

use std::collections::HashMap;

use margin_interface::{
    error::MarginError,
    health::{Health, ALL_LEVELS},
    oracle::{parse_legacy, parse_price_update, OraclePrice, PYTH_LEGACY_PROGRAM_ID},
};
use solana_sdk::{account::Account, pubkey::Pubkey};

use crate::{
    accounts::MarginAccountData,
    health::{offchain_health, to_usd},
    oracle::{legacy_price_account, price_update_v2},
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
    /// Current spot price (USD per whole token).
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

/// A fetched oracle account with its price scaled by `factor` (spot and EMA, with
/// their confidence), in the same format.
fn scaled_oracle(account: &Account, factor: f64) -> Option<Account> {
    let scale = |price: &OraclePrice| OraclePrice {
        price: (price.price as f64 * factor).round().max(1.0) as i64,
        conf: (price.conf as f64 * factor).round() as u64,
        ema_price: (price.ema_price as f64 * factor).round().max(1.0) as i64,
        ema_conf: (price.ema_conf as f64 * factor).round() as u64,
        ..*price
    };
    let data = if account.owner.to_bytes() == PYTH_LEGACY_PROGRAM_ID {
        let (price, _) = parse_legacy(&account.data).ok()?;
        legacy_price_account(&scale(&price), account.data[224])
    } else {
        let update = parse_price_update(&account.data).ok()?;
        price_update_v2(&update.feed_id, update.verification, &scale(&update.price), update.posted_slot)
    };
    Some(Account { data, ..account.clone() })
}

fn spot(account: &Account) -> Option<f64> {
    let price = if account.owner.to_bytes() == PYTH_LEGACY_PROGRAM_ID {
        parse_legacy(&account.data).ok()?.0
    } else {
        parse_price_update(&account.data).ok()?.price
    };
    Some(price.price as f64 * 10f64.powi(price.expo))
}

/// Builds the report from the account, its fetched health accounts and `oracle_of`.
/// `shocks` move every price of the account at once (e.g. `-0.3`), except the
/// pools in `unshocked` (stablecoins, typically).
pub fn risk_report(
    account: &MarginAccountData,
    accounts: &HashMap<Pubkey, Account>,
    oracle_of: impl Fn(&Pubkey) -> Pubkey + Copy,
    now: i64,
    shocks: &[f64],
    unshocked: &[Pubkey],
) -> Result<RiskReport, MarginError> {
    let health_with = |factors: &HashMap<Pubkey, f64>| -> Result<Health, MarginError> {
        let mut moved = accounts.clone();
        for (pool, factor) in factors {
            let oracle = oracle_of(pool);
            let original = accounts.get(&oracle).ok_or(MarginError::HealthAccountCount)?;
            let scaled = scaled_oracle(original, *factor).ok_or(MarginError::OracleInvalidData)?;
            moved.insert(oracle, scaled);
        }
        offchain_health(account, &moved, oracle_of, now, ALL_LEVELS)
    };
    let health = health_with(&HashMap::new())?;
    let pools: Vec<Pubkey> = account.active().iter().map(|p| Pubkey::new_from_array(p.pool)).collect();
    let mut assets = Vec::new();
    for pool in &pools {
        let up = health_with(&HashMap::from([(*pool, 1.01)]))?;
        let delta = to_usd(up.maintenance) - to_usd(health.maintenance);
        let price = accounts.get(&oracle_of(pool)).and_then(spot).unwrap_or(0.0);
        // Bisection on the price factor where Maintenance health crosses zero.
        let maintenance_at = |factor: f64| health_with(&HashMap::from([(*pool, factor)])).map(|h| h.maintenance);
        let now_sign = health.maintenance >= 0;
        let (mut low, mut high) = if delta >= 0.0 { (1e-6, 1.0) } else { (1.0, 1e6) };
        let reachable =
            maintenance_at(if delta >= 0.0 { low } else { high }).map(|h| (h >= 0) != now_sign).unwrap_or(false);
        let liquidation_price = if delta == 0.0 || !now_sign || !reachable {
            None
        } else {
            for _ in 0..60 {
                let mid = (low * high).sqrt();
                let healthy = maintenance_at(mid)? >= 0;
                if (delta >= 0.0) == healthy {
                    high = mid
                } else {
                    low = mid
                }
            }
            Some(price * if delta >= 0.0 { high } else { low })
        };
        assets.push(AssetRisk { pool: *pool, delta_per_percent: delta, liquidation_price, price });
    }
    let mut shocked = Vec::new();
    for shock in shocks {
        let factors: HashMap<Pubkey, f64> =
            pools.iter().filter(|p| !unshocked.contains(p)).map(|p| (*p, 1.0 + shock)).collect();
        shocked.push((*shock, to_usd(health_with(&factors)?.maintenance)));
    }
    Ok(RiskReport { health, assets, shocks: shocked })
}
