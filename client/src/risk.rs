//! Risk report for frontends ("greeks" and predictive risk): per-asset delta,
//! liquidation prices and health under price shocks, all evaluated on the health
//! cache (`HealthCache`): the program's own per-position formula with the cached
//! prices moved, no oracle account rebuilt and no search.
//!
//! [`greeks`] adds per-asset gamma, distance to liquidation in volatility units,
//! liquidation probabilities over horizons (driftless GBM; see [`probability`])
//! and the penalty a liquidation at the liquidation price would cost
//! (definitions in docs/risk-parameters.md, "Greeks and probabilities").

pub mod probability;

use std::collections::HashMap;

use crate::sdk::{account::Account, pubkey::Pubkey};
use margin_interface::{
    error::MarginError,
    fixed,
    health::{level_index, settlement_unit_prices, Health, ALL_LEVELS, MAINTENANCE, STRESS},
    liquidation::{plan, seized_asset_weight_bps, LiquidationInput},
};

use self::probability::{first_passage, monte_carlo, Estimate, Exposure, MonteCarlo, SECONDS_PER_YEAR};

use crate::{
    accounts::MarginAccountData,
    health::{to_usd, CachedPosition, HealthCache},
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

/// Default horizons of [`greeks`]: 1 hour, 24 hours, 7 days (seconds).
pub const DEFAULT_HORIZONS_SECS: [f64; 3] = [3_600.0, 86_400.0, 604_800.0];

/// Default `k` in `sigma_annual = k * ema_conf / ema_price`: 1 bp of EMA confidence
/// reads as 10% annualized volatility (a heuristic: Pyth's EMA confidence of
/// 5 to 8 bp on SOL gives 50% to 80%, 3 to 5 bp on BTC 30% to 50%).
pub const DEFAULT_EMA_CONF_MULTIPLIER: f64 = 1_000.0;

/// How a price moves when the greeks re-price it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriceMove {
    /// Spot, EMA and both confidences scale together
    /// ([`HealthCache::with_price_factor`]): a move the market has settled into.
    Uniform,
    /// Spot and its confidence scale, EMA and EMA confidence stay
    /// ([`HealthCache::with_spot_factor`]): a sudden move; Initial health (and
    /// Stress for pools without a stress move) then bends where spot crosses EMA.
    SpotOnly,
}

/// Where each asset's volatility comes from.
#[derive(Clone, Debug, PartialEq)]
pub struct VolatilityModel {
    /// `k` in `sigma_annual = k * ema_conf / ema_price` (the oracle's EMA confidence
    /// as a fraction of the EMA price).
    pub ema_conf_multiplier: f64,
    /// Lower bound of the oracle-derived estimate (annualized; 0 = none).
    pub floor_annual: f64,
    /// Annualized volatility per pool, replacing the oracle-derived one.
    pub overrides: Vec<(Pubkey, f64)>,
}

impl Default for VolatilityModel {
    fn default() -> Self {
        Self { ema_conf_multiplier: DEFAULT_EMA_CONF_MULTIPLIER, floor_annual: 0.0, overrides: Vec::new() }
    }
}

impl VolatilityModel {
    /// Annualized volatility of `cached` (0 when unpriced).
    pub fn sigma(&self, cached: &CachedPosition) -> f64 {
        if let Some((_, sigma)) = self.overrides.iter().find(|(pool, _)| pool == &cached.pool_key) {
            return sigma.max(0.0);
        }
        match cached.price {
            Some(price) if price.ema_price > 0 => {
                (self.ema_conf_multiplier * price.ema_conf as f64 / price.ema_price as f64).max(self.floor_annual)
            }
            _ => 0.0,
        }
    }
}

/// Settings of [`greeks`].
#[derive(Clone, Debug, PartialEq)]
pub struct RiskOptions {
    /// Horizons of the distances and probabilities, seconds.
    pub horizons_secs: Vec<f64>,
    /// Volatility per asset.
    pub volatility: VolatilityModel,
    /// Price move of the per-level greeks ([`AssetGreeks::levels`]); the headline
    /// delta and gamma always use [`PriceMove::Uniform`].
    pub price_move: PriceMove,
    /// Monte Carlo settings, used when two or more assets are risky.
    pub monte_carlo: MonteCarlo,
}

impl Default for RiskOptions {
    fn default() -> Self {
        Self {
            horizons_secs: DEFAULT_HORIZONS_SECS.to_vec(),
            volatility: VolatilityModel::default(),
            price_move: PriceMove::Uniform,
            monte_carlo: MonteCarlo::default(),
        }
    }
}

/// Delta and gamma of one health level (USD).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LevelGreeks {
    /// `H(+1%) - H(0)`.
    pub delta: f64,
    /// `H(+1%) - 2 H(0) + H(-1%)` (per 1% squared).
    pub gamma: f64,
}

/// What a liquidation at the liquidation price would cost the account.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LiquidationPenalty {
    /// Collateral pool seized from (the largest collateral at that price).
    pub collateral_pool: Pubkey,
    /// Debt pool repaid (the largest debt at that price).
    pub debt_pool: Pubkey,
    /// Bonus (bps of the repaid value), `liquidation::bonus_bps` of the collateral pool.
    pub bonus_bps: u64,
    /// Debt repaid, USD at settlement prices.
    pub repaid_usd: f64,
    /// Collateral seized minus debt repaid, USD at settlement prices: the penalty.
    pub penalty_usd: f64,
}

/// One asset's greeks, distance and probabilities.
#[derive(Clone, Debug, PartialEq)]
pub struct AssetGreeks {
    /// The asset's pool.
    pub pool: Pubkey,
    /// Spot price, USD per whole token (0 when unpriced).
    pub price: f64,
    /// Annualized volatility used ([`VolatilityModel`]).
    pub sigma_annual: f64,
    /// Net Maintenance value (USD): weighted collateral minus weighted debt. Maintenance
    /// health is `H + exposure * (S / S_0 - 1)` in this asset's price `S`.
    pub exposure: f64,
    /// Maintenance health change (USD) for +1% of this price (uniform move).
    pub delta: f64,
    /// Second difference of Maintenance health over -1%, 0, +1% (uniform move): 0
    /// up to rounding while the price stays above `k * conf` (the curve is linear).
    pub gamma: f64,
    /// Delta and gamma at each level, indexed by `level_index` (Initial,
    /// Maintenance, Equity, Stress), under [`RiskOptions::price_move`].
    pub levels: [LevelGreeks; 4],
    /// Price at which Maintenance health reaches zero, others fixed
    /// ([`HealthCache::liquidation_price`]).
    pub liquidation_price: Option<f64>,
    /// `|ln(price / liquidation_price)| / (sigma sqrt(T))` per horizon: how many
    /// standard deviations of the log-price over the horizon separate the price from
    /// liquidation (0 when already liquidatable; `None` without a liquidation price
    /// or volatility).
    pub distance: Vec<Option<f64>>,
    /// Probability (per horizon) that this asset alone, others fixed, takes
    /// Maintenance health below zero: the first passage of its liquidation price.
    pub probability_alone: Vec<f64>,
    /// The penalty of a liquidation at the liquidation price (`None` when there is
    /// none or it cannot be sized).
    pub penalty: Option<LiquidationPenalty>,
}

/// How [`GreeksReport::probability`] was computed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ProbabilityMethod {
    /// No asset moves (no volatility or no exposure): 1 if liquidatable now, else 0.
    Deterministic,
    /// One risky asset: the closed-form first passage of its liquidation price.
    ClosedForm {
        /// The risky asset's pool.
        pool: Pubkey,
    },
    /// Two or more risky assets: Monte Carlo, discrete monitoring.
    MonteCarlo(MonteCarlo),
}

/// The account's greeks and liquidation probabilities.
#[derive(Clone, Debug, PartialEq)]
pub struct GreeksReport {
    /// Health now at every level (Initial, Maintenance, Equity, Stress).
    pub health: Health,
    /// The horizons (seconds) of every per-horizon vector below.
    pub horizons_secs: Vec<f64>,
    /// One entry per position.
    pub assets: Vec<AssetGreeks>,
    /// Probability that Maintenance health goes below zero within each horizon,
    /// all risky assets moving.
    pub probability: Vec<f64>,
    /// Standard error of each probability (0 unless Monte Carlo).
    pub standard_error: Vec<f64>,
    /// How the probabilities were computed.
    pub method: ProbabilityMethod,
}

/// Greeks, liquidation distances and probabilities of the account in `cache`;
/// every health value comes from the shared engine on re-priced caches.
pub fn greeks(cache: &HealthCache, options: &RiskOptions) -> Result<GreeksReport, MarginError> {
    let levels = ALL_LEVELS | STRESS;
    let health = cache.health_at(levels)?;
    let maintenance = to_usd(health.maintenance);
    let years: Vec<f64> = options.horizons_secs.iter().map(|s| s.max(0.0) / SECONDS_PER_YEAR).collect();
    let mut assets = Vec::new();
    let mut risky = Vec::new();
    for (index, cached) in cache.positions.iter().enumerate() {
        let pool = cached.pool_key;
        let moved = |factor: f64, how: PriceMove| -> Result<Health, MarginError> {
            match how {
                PriceMove::Uniform => cache.with_price_factor(&pool, factor).health_at(levels),
                PriceMove::SpotOnly => cache.with_spot_factor(&pool, factor).health_at(levels),
            }
        };
        let (up, down) = (moved(1.01, PriceMove::Uniform)?, moved(0.99, PriceMove::Uniform)?);
        let maint = |h: &Health| to_usd(h.maintenance);
        let delta = maint(&up) - maintenance;
        let gamma = maint(&up) - 2.0 * maintenance + maint(&down);
        let (level_up, level_down) = match options.price_move {
            PriceMove::Uniform => (up, down),
            how => (moved(1.01, how)?, moved(0.99, how)?),
        };
        let mut per_level = [LevelGreeks::default(); 4];
        let pick = |h: &Health| [h.initial, h.maintenance, h.equity, h.stress].map(to_usd);
        let (now_v, up_v, down_v) = (pick(&health), pick(&level_up), pick(&level_down));
        for (i, greeks) in per_level.iter_mut().enumerate() {
            *greeks = LevelGreeks { delta: up_v[i] - now_v[i], gamma: up_v[i] - 2.0 * now_v[i] + down_v[i] };
        }

        let values = cache.values_at(index, MAINTENANCE)?;
        let m = level_index(MAINTENANCE);
        let exposure = to_usd(values.assets[m] as i128) - to_usd(values.liabilities[m] as i128);
        let price = cached.price.map_or(0.0, |p| p.price as f64 * 10f64.powi(p.expo));
        let sigma = options.volatility.sigma(cached);
        let liquidation_price = cache.liquidation_price(&pool)?;
        let log_distance = liquidation_price.filter(|_| price > 0.0).map(|liq| (price / liq).ln().abs());
        let distance = years
            .iter()
            .map(|t| {
                let scale = sigma * t.sqrt();
                match log_distance {
                    _ if health.maintenance < 0 => Some(0.0),
                    Some(d) if scale > 0.0 => Some(d / scale),
                    _ => None,
                }
            })
            .collect();
        let probability_alone = years
            .iter()
            .map(|t| match liquidation_price {
                _ if health.maintenance < 0 => 1.0,
                Some(liq) => first_passage(price, liq, sigma, *t),
                None => 0.0,
            })
            .collect();
        if sigma > 0.0 && exposure != 0.0 && price > 0.0 {
            risky.push((pool, Exposure { exposure, sigma_annual: sigma }, price, liquidation_price));
        }
        let penalty = match (liquidation_price, cached.price) {
            (Some(liq), Some(p)) if price > 0.0 => {
                // 1 bp past the liquidation price, in the adverse direction.
                let factor = liq / price * if exposure > 0.0 { 0.9999 } else { 1.0001 };
                penalty_at(&cache.with_price_factor(&pool, factor)).filter(|_| p.price > 0)
            }
            _ => None,
        };
        assets.push(AssetGreeks {
            pool,
            price,
            sigma_annual: sigma,
            exposure,
            delta,
            gamma,
            levels: per_level,
            liquidation_price,
            distance,
            probability_alone,
            penalty,
        });
    }

    let (method, estimates): (ProbabilityMethod, Vec<Estimate>) = match risky.as_slice() {
        _ if health.maintenance < 0 => (
            ProbabilityMethod::Deterministic,
            years.iter().map(|_| Estimate { probability: 1.0, standard_error: 0.0 }).collect(),
        ),
        [] => (
            ProbabilityMethod::Deterministic,
            years.iter().map(|_| Estimate { probability: 0.0, standard_error: 0.0 }).collect(),
        ),
        [(pool, exposure, price, liquidation_price)] => (
            ProbabilityMethod::ClosedForm { pool: *pool },
            years
                .iter()
                .map(|t| Estimate {
                    probability: liquidation_price
                        .map_or(0.0, |liq| first_passage(*price, liq, exposure.sigma_annual, *t)),
                    standard_error: 0.0,
                })
                .collect(),
        ),
        many => {
            let exposures: Vec<Exposure> = many.iter().map(|(_, e, _, _)| *e).collect();
            (
                ProbabilityMethod::MonteCarlo(options.monte_carlo),
                years.iter().map(|t| monte_carlo(maintenance, &exposures, *t, &options.monte_carlo)).collect(),
            )
        }
    };
    Ok(GreeksReport {
        health,
        horizons_secs: options.horizons_secs.clone(),
        assets,
        probability: estimates.iter().map(|e| e.probability).collect(),
        standard_error: estimates.iter().map(|e| e.standard_error).collect(),
        method,
    })
}

/// The penalty of one liquidation of the account in `moved` (already past its
/// liquidation price) as `liquidation::plan` sizes it: the largest debt repaid
/// against the largest collateral, both by value at settlement prices, no
/// `max_repay` limit. One liquidation: when the close factor stops it short of
/// the target, later ones would add to the penalty.
fn penalty_at(moved: &HealthCache) -> Option<LiquidationPenalty> {
    let health = moved.health().ok()?;
    if health.maintenance >= 0 {
        return None;
    }
    // (pool index, value USD, shares, share value, settlement unit price)
    let side = |debt: bool| {
        moved
            .positions
            .iter()
            .enumerate()
            .filter_map(|(i, cached)| {
                let price = cached.price?;
                let (asset_price, liability_price) = settlement_unit_prices(&cached.pool, &price).ok()?;
                let (deposit_value, borrow_value) = cached.pool.share_values_at(moved.now).ok()?;
                let p = &cached.position;
                let (amount, shares, share_value, unit) = if debt {
                    (
                        fixed::mul_q64_ceil(p.borrow_shares, borrow_value)?,
                        p.borrow_shares,
                        borrow_value,
                        liability_price,
                    )
                } else {
                    (
                        fixed::mul_q64_floor(p.deposit_shares, deposit_value)?,
                        p.deposit_shares,
                        deposit_value,
                        asset_price,
                    )
                };
                (shares > 0).then(|| (i, amount as f64 * unit as f64 / fixed::ONE as f64, shares, share_value, unit))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1))
    };
    let (debt_index, _, borrow_shares, borrow_share_value, liability_price) = side(true)?;
    let (asset_index, _, deposit_shares, deposit_share_value, asset_price) = side(false)?;
    let (asset, liability) = (&moved.positions[asset_index], &moved.positions[debt_index]);
    let sized = plan(&LiquidationInput {
        maintenance_health: health.maintenance,
        maintenance_liabilities: health.maintenance_liabilities,
        asset_config: &asset.pool.config,
        liability_config: &liability.pool.config,
        asset_weight_bps: seized_asset_weight_bps(&asset.pool.config, moved.kind),
        asset_price,
        liability_price,
        deposit_shares,
        deposit_share_value,
        borrow_shares,
        borrow_share_value,
        max_repay: u64::MAX,
        asset_confidence_bps: moved.confidence_bps(&asset.pool_key),
    })
    .ok()?;
    let usd = |units: u64, unit_price: u128| units as f64 * unit_price as f64 / fixed::ONE as f64;
    let repaid_usd = usd(sized.repay, liability_price);
    Some(LiquidationPenalty {
        collateral_pool: asset.pool_key,
        debt_pool: liability.pool_key,
        bonus_bps: sized.bonus_bps,
        repaid_usd,
        penalty_usd: usd(sized.seized, asset_price) - repaid_usd,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{config::default_pool_config, health::CachedPosition};
    use bytemuck::Zeroable;
    use margin_interface::{
        oracle::OraclePrice,
        state::{AccountKind, Pool, Position},
    };
    use probability::{first_passage, monte_carlo, Exposure, MonteCarlo};

    const NOW: i64 = 1_700_000_000;
    const DAY: f64 = 86_400.0;

    fn pool(decimals: u8) -> Pool {
        let mut pool = Pool::zeroed();
        pool.mint_decimals = decimals;
        pool.deposit_share_value = fixed::ONE.to_le_bytes();
        pool.borrow_share_value = fixed::ONE.to_le_bytes();
        pool.last_accrual_ts = NOW;
        pool.config = default_pool_config();
        pool
    }

    /// `usd` per whole token (expo -8), spot and EMA confidence `conf_fraction` of it.
    fn price(usd: f64, conf_fraction: f64) -> OraclePrice {
        let mantissa = (usd * 1e8).round() as i64;
        let conf = (mantissa as f64 * conf_fraction).round() as u64;
        OraclePrice { price: mantissa, conf, expo: -8, publish_time: NOW, ema_price: mantissa, ema_conf: conf }
    }

    /// (decimals, whole tokens deposited, whole tokens borrowed, price).
    fn cache(kind: AccountKind, legs: &[(u8, f64, f64, OraclePrice)]) -> HealthCache {
        let positions = legs
            .iter()
            .map(|&(decimals, deposit, debt, price)| {
                let units = |whole: f64| (whole * 10f64.powi(decimals as i32)).round() as u64;
                let pool_key = Pubkey::new_unique();
                let position =
                    Position { pool: pool_key.to_bytes(), deposit_shares: units(deposit), borrow_shares: units(debt) };
                CachedPosition { pool_key, pool: pool(decimals), position, price: Some(price) }
            })
            .collect();
        HealthCache { kind, now: NOW, positions }
    }

    /// Isolated: 20 SOL at $150 (confidence 0.1% of price: sigma = 1,000 x 0.001 =
    /// 100%) against 1,500 USDC at $1 (no confidence).
    fn isolated() -> HealthCache {
        cache(AccountKind::Isolated, &[(9, 20.0, 0.0, price(150.0, 0.001)), (6, 0.0, 1_500.0, price(1.0, 0.0))])
    }

    fn close(actual: f64, expected: f64, tolerance: f64) {
        assert!((actual - expected).abs() <= tolerance, "{actual} vs {expected} (tolerance {tolerance})");
    }

    #[test]
    fn isolated_greeks_are_the_analytic_ones() {
        let cache = isolated();
        let report = greeks(&cache, &RiskOptions::default()).unwrap();
        let (sol, usdc) = (&report.assets[0], &report.assets[1]);
        // Maintenance collateral: 20 x (150 - 0.15) x 0.85; debt 1,500 x 1.05.
        let collateral = 20.0 * 149.85 * 0.85;
        close(to_usd(report.health.maintenance), collateral - 1_575.0, 1e-6);
        close(sol.exposure, collateral, 1e-6);
        // Delta: collateral value x weight x 1%; the stable debt's: -1,575 x 1%.
        close(sol.delta, collateral * 0.01, 1e-6);
        close(usdc.delta, -15.75, 1e-6);
        // Linear curve: no gamma (up to the engine's rounding of scaled mantissas).
        close(sol.gamma, 0.0, 1e-6);
        close(usdc.gamma, 0.0, 1e-6);
        // Every level is linear under a uniform move: delta per level, no gamma.
        close(sol.levels[0].delta, 20.0 * 149.85 * 0.80 * 0.01, 1e-6); // Initial
        close(sol.levels[2].delta, 20.0 * 150.0 * 0.01, 1e-6); // Equity
        assert!(sol.levels.iter().all(|l| l.gamma.abs() < 1e-6), "{:?}", sol.levels);
        // Liquidation price: 1,575 / (20 x 0.85 x 0.999).
        let liquidation = 1_575.0 / (20.0 * 0.85 * 0.999);
        close(sol.liquidation_price.unwrap(), liquidation, 1e-6);
        // Volatility from the EMA confidence, distance in horizon sigmas.
        close(sol.sigma_annual, 1.0, 1e-9);
        close(usdc.sigma_annual, 0.0, 0.0);
        for (i, horizon) in report.horizons_secs.iter().enumerate() {
            let years = horizon / probability::SECONDS_PER_YEAR;
            close(sol.distance[i].unwrap(), (150.0f64 / liquidation).ln() / years.sqrt(), 1e-6);
            let expected = first_passage(150.0, liquidation, 1.0, years);
            close(sol.probability_alone[i], expected, 1e-12);
            close(report.probability[i], expected, 1e-12);
        }
        assert_eq!(usdc.distance, vec![None; 3], "no volatility, no distance");
        assert_eq!(report.method, ProbabilityMethod::ClosedForm { pool: sol.pool });
        println!("distance {:?}, probability {:?}", sol.distance, report.probability);
        // 1 h and 24 h are remote at 100% volatility (3.5 sigmas over 7 days), but not zero.
        assert!(report.probability[0] < report.probability[1] && report.probability[1] < report.probability[2]);
        assert!(report.probability[2] > 1e-5 && report.probability[2] < 1e-3, "{:?}", report.probability);
    }

    #[test]
    fn spot_only_moves_bend_initial_health_at_the_ema() {
        // Spot = EMA, no confidence: Initial values collateral at min(spot, EMA), so a
        // spot rise adds nothing and a fall costs 1%: gamma = -20 x 150 x 0.80 x 1%.
        let cache =
            cache(AccountKind::Isolated, &[(9, 20.0, 0.0, price(150.0, 0.0)), (6, 0.0, 1_500.0, price(1.0, 0.0))]);
        let options = RiskOptions { price_move: PriceMove::SpotOnly, ..RiskOptions::default() };
        let sol = &greeks(&cache, &options).unwrap().assets[0];
        let initial = sol.levels[level_index(margin_interface::health::INITIAL)];
        close(initial.delta, 0.0, 1e-6);
        close(initial.gamma, -24.0, 1e-6);
        // Stress of a pool without a stress move is its Initial value: the same kink.
        close(sol.levels[3].gamma, -24.0, 1e-6);
        // Maintenance ignores the EMA: still linear.
        close(sol.levels[1].gamma, 0.0, 1e-6);
        close(sol.gamma, 0.0, 1e-6);
        // No volatility at all: nothing moves, so no liquidation within any horizon.
        let report = greeks(&cache, &RiskOptions::default()).unwrap();
        assert_eq!(report.method, ProbabilityMethod::Deterministic);
        assert_eq!(report.probability, vec![0.0; 3]);
    }

    #[test]
    fn penalty_at_the_liquidation_price_is_the_minimum_bonus_on_the_repay_to_target() {
        let cache = isolated();
        let sol = &greeks(&cache, &RiskOptions::default()).unwrap().assets[0];
        let penalty = sol.penalty.expect("liquidatable past its liquidation price");
        assert_eq!((penalty.collateral_pool, penalty.debt_pool), (sol.pool, cache.positions[1].pool_key));
        // Zero deficit: the minimum bonus, 2%. The repay takes health to the target,
        // 5% of the weighted liabilities, at a gain of 1.05 - 1.02 x 0.85 per dollar
        // (below the 50% close factor).
        assert_eq!(penalty.bonus_bps, 200);
        println!("penalty {penalty:?}");
        let repay = 0.05 * 1_575.0 / (1.05 - 1.02 * 0.85);
        close(penalty.repaid_usd, repay, 0.01 * repay);
        close(penalty.penalty_usd, 0.02 * penalty.repaid_usd, 0.01);
    }

    #[test]
    fn liquidatable_accounts_are_certain_and_at_distance_zero() {
        let base = isolated();
        let crashed = base.with_price_factor(&base.positions[0].pool_key, 0.5);
        let report = greeks(&crashed, &RiskOptions::default()).unwrap();
        assert!(report.health.maintenance < 0);
        assert_eq!(report.probability, vec![1.0; 3]);
        assert_eq!(report.assets[0].distance, vec![Some(0.0); 3]);
    }

    /// The closed form against a Monte Carlo of the same model (fixed seed). The
    /// simulation checks health only at the end of each step, which misses
    /// crossings in between: it estimates the first passage of a barrier moved away
    /// by about `0.5826 sigma sqrt(dt)` (Broadie-Glasserman-Kou). Tolerance: four
    /// standard errors plus, against the continuous closed form, that shift's effect.
    #[test]
    fn closed_form_first_passage_agrees_with_monte_carlo() {
        let (health, exposure, sigma) = (972.45, 2_547.45, 1.5);
        let barrier = 150.0 * (1.0 - health / exposure); // the liquidation price
        let years = 30.0 * DAY / probability::SECONDS_PER_YEAR;
        let closed = first_passage(150.0, barrier, sigma, years);
        for steps in [200, 2_000] {
            let settings = MonteCarlo { paths: 20_000, steps, ..MonteCarlo::default() };
            let estimate = monte_carlo(health, &[Exposure { exposure, sigma_annual: sigma }], years, &settings);
            let dt = years / steps as f64;
            let shifted = first_passage(150.0, barrier * (-0.5826 * sigma * dt.sqrt()).exp(), sigma, years);
            let noise = 4.0 * (closed * (1.0 - closed) / 20_000.0).sqrt();
            println!(
                "steps {steps}: closed form {closed:.5}, discrete-corrected {shifted:.5}, Monte Carlo {:.5} +- {:.5}",
                estimate.probability, estimate.standard_error
            );
            close(estimate.probability, shifted, noise + 0.002);
            close(estimate.probability, closed, noise + (closed - shifted) + 0.002);
        }
    }

    /// Two assets moving together (correlation 1, the same volatility) are one asset
    /// with their summed exposure: the Monte Carlo the report runs for them matches
    /// the closed form within the tolerance above.
    #[test]
    fn cross_account_monte_carlo_with_perfect_correlation_is_the_single_asset_closed_form() {
        let cache = cache(
            AccountKind::Cross,
            &[
                (9, 10.0, 0.0, price(150.0, 0.0)),
                (8, 1.0, 0.0, price(1_500.0, 0.0)),
                (6, 0.0, 2_000.0, price(1.0, 0.0)),
            ],
        );
        let volatility = VolatilityModel {
            overrides: cache.positions[..2].iter().map(|p| (p.pool_key, 1.2)).collect(),
            ..VolatilityModel::default()
        };
        let settings = MonteCarlo { paths: 20_000, steps: 2_000, correlation: 1.0, ..MonteCarlo::default() };
        let options = RiskOptions {
            horizons_secs: vec![30.0 * DAY],
            volatility,
            monte_carlo: settings,
            ..RiskOptions::default()
        };
        let report = greeks(&cache, &options).unwrap();
        assert_eq!(report.method, ProbabilityMethod::MonteCarlo(settings));
        // 3,000 x 0.85 of collateral against 2,100: liquidated when both fall to 2,100 / 2,550.
        let health = to_usd(report.health.maintenance);
        close(health, 2_550.0 - 2_100.0, 1e-6);
        let years = 30.0 * DAY / probability::SECONDS_PER_YEAR;
        let closed = first_passage(1.0, 2_100.0 / 2_550.0, 1.2, years);
        let dt = years / 2_000.0;
        let shifted = first_passage(1.0, 2_100.0 / 2_550.0 * (-0.5826 * 1.2 * dt.sqrt()).exp(), 1.2, years);
        let noise = 4.0 * (closed * (1.0 - closed) / 20_000.0).sqrt();
        println!("correlated pair: closed form {closed:.5}, Monte Carlo {:.5}", report.probability[0]);
        close(report.probability[0], closed, noise + (closed - shifted) + 0.002);
        // Independent assets diversify: a lower probability.
        let independent = RiskOptions { monte_carlo: MonteCarlo { correlation: 0.0, ..settings }, ..options.clone() };
        let diversified = greeks(&cache, &independent).unwrap();
        assert!(diversified.probability[0] < report.probability[0] - noise, "{:?}", diversified.probability);
    }
}
