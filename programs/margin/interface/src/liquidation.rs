//! Liquidation sizing: how much debt a liquidator may repay, which debt shares that
//! burns and which collateral shares it receives. Pure math shared by the program
//! and by liquidator bots.
//!
//! Prices are the settlement ones (`health::settlement_unit_prices`: spot, collateral
//! rounded down, debt rounded up); the confidence band only decides eligibility.
//! Health values the repaid debt at `P + k*conf` and the seized collateral at
//! `P - k*conf`, so it rises by at least the gain computed here (with a wide band,
//! somewhat more: the target is then passed by the band's share). With `v` the
//! USD value of debt repaid:
//!
//! - bonus `b` (the penalty ratio) grows linearly with the account's deficit
//!   `-maintenance_health / weighted_liabilities` from the collateral pool's
//!   minimum (deficit 0) to its maximum (deficit >= [`FULL_PENALTY_DEFICIT_BPS`]);
//! - the liquidatee gives up collateral worth at most `v * (1 + b)`; the share
//!   `liquidation_insurance_share_bps` of the bonus goes to the collateral pool's
//!   insurance fund, the rest to the liquidator;
//! - `v` is capped by: the liquidator's `max_repay`; the debt pool's close factor
//!   (whole debt when it is worth less than the dust threshold); and the target:
//!   Maintenance health may rise to at most `liquidation_target_bps` of the weighted
//!   liabilities, never further;
//! - at least one unit: when the caps round the repay to zero (the deficit is worth
//!   less than one unit's gain, or the close factor of a tiny debt floors to
//!   zero), one native unit is repaid; the target may be passed by that unit;
//! - collateral: when those caps allow repaying enough to take all of it, the
//!   repay is sized from the collateral, `ceil(collateral_value / ((1 + b) * price))`
//!   units (at least the rounding floor below, when it applies), and all of it is taken (no dust left to block the
//!   bad-debt write-off). Rounding the repay up keeps `seized_value <= v * (1 + b)`:
//!   the liquidatee never pays more than the bonus.
//!
//! Shares: the repay burns `floor(repay / borrow_share_value)` debt shares (all of
//! them when it covers the debt; the remainder stays with the pool); the seized
//! collateral is `floor(seized / deposit_share_value)` deposit shares (all of them
//! when everything is taken), of which the liquidator's part is rounded down too.
//!
//! Rounding floor: health's debt amount is `ceil(shares * value)` and collateral
//! `floor(shares * value)`, so a liquidation of a few units can lose its gain to
//! rounding (about one debt share and one unit) and leave an account barely under
//! Maintenance unliquidatable. The plan computes the exact change of both amounts;
//! when health (at settlement prices, which bound the band prices) would not rise
//! it repays [`min_repay`] units instead (or the whole debt when smaller), past the
//! target and the close factor if need be: health then rises by more than
//! `repay * gain - (units_per_share + 1) * w_liab > 0` (debt-unit prices). A
//! liquidator whose `max_repay` is below that is refused (`NothingToLiquidate`).
//!
//! Each repaid dollar raises Maintenance health by `gain = w_liab - (1 + b) * w_asset`, with
//! `w_asset` the weight the collateral has in *this* account (zero for isolated-only
//! collateral in a cross account); when that is not positive the liquidation is
//! refused (it could not help). `PoolConfig::validate` keeps it at least 1% for any
//! pair of validated pools, which bounds the floor to a few native units.
//!
//! Overflow: every step is checked or saturates where a cap follows; only amounts
//! (shares times share value) beyond `u64` fail with `MathOverflow`. A collateral value `collateral * asset_price` of 2^128
//! or more (about $1.8e19) is out of range: `PriceOutOfRange`.

use crate::{
    error::MarginError,
    fixed::{self, mul_div_ceil, mul_div_floor},
    oracle::OraclePrice,
    state::{AccountKind, PoolConfig, POOL_FLAG_ISOLATED_ONLY},
    BPS,
};

/// Deficit (bps of weighted maintenance liabilities) at which the bonus is maximal.
pub const FULL_PENALTY_DEFICIT_BPS: u64 = 1_000;

/// What a liquidation needs to know.
#[derive(Clone, Copy, Debug)]
pub struct LiquidationInput<'a> {
    /// Liquidatee's Maintenance health (USD Q64.64, negative).
    pub maintenance_health: i128,
    /// Liquidatee's weighted maintenance liabilities (USD Q64.64).
    pub maintenance_liabilities: u128,
    /// Collateral pool config (bonus, insurance share).
    pub asset_config: &'a PoolConfig,
    /// Debt pool config (close factor, dust, target).
    pub liability_config: &'a PoolConfig,
    /// Maintenance weight (bps) the seized collateral has in this account's health:
    /// see [`seized_asset_weight_bps`]. Sizing with the pool's weight when the
    /// collateral counts for nothing would overshoot the target several times.
    pub asset_weight_bps: u16,
    /// Collateral USD per native unit (Q64.64, rounded down).
    pub asset_price: u128,
    /// Debt USD per native unit (Q64.64, rounded up).
    pub liability_price: u128,
    /// Liquidatee's deposit shares in the asset pool.
    pub deposit_shares: u64,
    /// Native units per deposit share of the asset pool (Q64.64, accrued to now).
    pub deposit_share_value: u128,
    /// Liquidatee's debt shares in the liability pool.
    pub borrow_shares: u64,
    /// Native units per debt share of the liability pool (Q64.64, accrued to now).
    pub borrow_share_value: u128,
    /// Most the liquidator is willing to repay, native units.
    pub max_repay: u64,
    /// EMA confidence of the seized collateral's price, bps of the EMA price
    /// ([`confidence_ratio_bps`]): scales the bonus by the pool's
    /// `liquidation_confidence_bonus_pct`.
    pub asset_confidence_bps: u64,
}

/// The settled amounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiquidationPlan {
    /// Debt repaid by the liquidator (liability native units transferred).
    pub repay: u64,
    /// Debt shares the repay burns.
    pub burned_debt_shares: u64,
    /// Collateral taken from the liquidatee, native units (what the shares below
    /// are sized from; the shares are worth at most this).
    pub seized: u64,
    /// Of which the liquidator receives (the rest goes to insurance).
    pub to_liquidator: u64,
    /// Deposit shares taken from the liquidatee.
    pub seized_shares: u64,
    /// Of which credited to the liquidator (the rest goes to insurance).
    pub liquidator_shares: u64,
    /// Bonus applied, bps of the repaid value.
    pub bonus_bps: u64,
}

const OVERFLOW: MarginError = MarginError::MathOverflow;

/// The maintenance weight collateral of a pool has in an account of `kind`: the
/// pool's `maint_asset_weight_bps`, or 0 for isolated-only collateral held in a
/// cross account (health counts it for nothing there, so seizing it costs none).
pub fn seized_asset_weight_bps(config: &PoolConfig, kind: AccountKind) -> u16 {
    if config.flags & POOL_FLAG_ISOLATED_ONLY != 0 && kind == AccountKind::Cross {
        0
    } else {
        config.maint_asset_weight_bps
    }
}

/// `ema_conf / ema_price` in bps, rounded down (a non-positive EMA gives 0). The
/// EMA, not the spot interval: a liquidator may pass any valid pull update, and
/// the spot interval differs from one update to the next while the EMA barely
/// moves, so the bonus cannot be chosen by picking the widest update.
pub fn confidence_ratio_bps(price: &OraclePrice) -> u64 {
    let Ok(ema) = u64::try_from(price.ema_price) else { return 0 };
    match price.ema_conf.checked_mul(BPS) {
        Some(scaled) => scaled.checked_div(ema).unwrap_or(0),
        None => price.ema_conf.checked_div((ema / BPS).max(1)).unwrap_or(0),
    }
}

/// Bonus in bps for a given deficit, plus `liquidation_confidence_bonus_pct` x
/// the seized collateral's `conf / price` (a liquidator takes the price's
/// uncertainty with the collateral), all capped by `liquidation_penalty_max_bps`.
// Divisors are non-zero (liabilities > 0 here, `.max(1)`), the ratio is capped at
// 1_000 and the penalties are u16: the result is at most max(min, max) < 2^16.
#[allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)]
pub fn bonus_bps(
    config: &PoolConfig,
    maintenance_health: i128,
    maintenance_liabilities: u128,
    asset_confidence_bps: u64,
) -> u64 {
    let max = config.liquidation_penalty_max_bps as u64;
    let dynamic = deficit_bonus_bps(config, maintenance_health, maintenance_liabilities);
    let confidence = (config.liquidation_confidence_bonus_pct as u64).saturating_mul(asset_confidence_bps) / 100;
    // Never below the deficit bonus (an unvalidated config with min > max keeps min).
    dynamic.max(dynamic.saturating_add(confidence).min(max))
}

/// The deficit-driven part of [`bonus_bps`]: min at the edge of maintenance,
/// growing linearly to max at [`FULL_PENALTY_DEFICIT_BPS`].
#[allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)] // as bonus_bps
fn deficit_bonus_bps(config: &PoolConfig, maintenance_health: i128, maintenance_liabilities: u128) -> u64 {
    let min = config.liquidation_penalty_min_bps as u64;
    let max = config.liquidation_penalty_max_bps as u64;
    if maintenance_health >= 0 || maintenance_liabilities == 0 {
        return min;
    }
    let deficit = maintenance_health.unsigned_abs();
    // deficit / liabilities in bps, capped at the full-penalty point.
    let deficit_bps = if deficit >= maintenance_liabilities {
        FULL_PENALTY_DEFICIT_BPS
    } else {
        let ratio = match deficit.checked_mul(BPS as u128) {
            Some(scaled) => scaled / maintenance_liabilities,
            None => deficit / (maintenance_liabilities / BPS as u128).max(1),
        };
        ratio.min(FULL_PENALTY_DEFICIT_BPS as u128) as u64
    };
    // Saturating: an unvalidated config with min > max gets min, not a panic.
    min + max.saturating_sub(min) * deficit_bps / FULL_PENALTY_DEFICIT_BPS
}

/// The least repay (native debt units) that raises health whatever the rounding:
/// `floor((units_per_share + 1) * w_liab / gain) + 2`, with `units_per_share` the
/// debt share value rounded up and `gain` in bps x bps (see the module docs).
/// Saturates at `u64::MAX`; `gain > 0`.
// weight (u16) * BPS < 2^30 and the divisor is at least 1.
#[allow(clippy::arithmetic_side_effects)]
pub fn min_repay(borrow_share_value: u128, liability_weight_bps: u16, gain: u64) -> u64 {
    // u64 arithmetic (cheap on chain); saturating is exact enough: a saturated
    // floor exceeds any debt and is capped to it.
    let units_per_share = u64::try_from(borrow_share_value.div_ceil(fixed::ONE)).unwrap_or(u64::MAX);
    let loss = units_per_share.saturating_add(1).saturating_mul(liability_weight_bps as u64 * BPS);
    (loss / gain.max(1)).saturating_add(2)
}

/// Native units worth `value` (USD Q64.64) at `price` (USD per native, Q64.64),
/// rounded down, saturating at `u64::MAX` (always followed by a cap). `price > 0`.
fn units_floor(value: u128, price: u128) -> u64 {
    value.checked_div(price).and_then(|units| u64::try_from(units).ok()).unwrap_or(u64::MAX)
}

/// Sizes a liquidation; see the module docs for the rules.
pub fn plan(input: &LiquidationInput) -> Result<LiquidationPlan, MarginError> {
    if input.maintenance_health >= 0 {
        return Err(MarginError::NotLiquidatable);
    }
    let bonus = bonus_bps(
        input.asset_config,
        input.maintenance_health,
        input.maintenance_liabilities,
        input.asset_confidence_bps,
    );
    let w_asset = input.asset_weight_bps as u128;
    let w_liability = input.liability_config.maint_liab_weight_bps as u128;
    // Health gained per repaid dollar, scaled by 1e8 (bps x bps); below 2^33: weights
    // are u16 and the bonus is below 2^16.
    #[allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)]
    let gain = match (w_liability * BPS as u128).checked_sub((BPS as u128 + bonus as u128) * w_asset) {
        Some(g) if g > 0 => g as u64,
        _ => return Err(MarginError::LiquidationCannotImprove),
    };
    let insurance_share = (input.asset_config.liquidation_insurance_share_bps as u64).min(BPS);
    // bonus < 2^16 and insurance_share <= BPS: no overflow, no underflow.
    #[allow(clippy::arithmetic_side_effects)]
    let liquidator_bonus = bonus * (BPS - insurance_share) / BPS;
    let sizing = Sizing::new(input, bonus, liquidator_bonus)?;
    let (debt, liability_price) = (sizing.debt, input.liability_price);
    let liability = input.liability_config;

    // Target: health may rise to target_bps of the liabilities, no further. The
    // room and its repay value only cap the repay, so they saturate.
    let target =
        mul_div_floor(input.maintenance_liabilities, liability.liquidation_target_bps as u64, BPS).unwrap_or(u128::MAX);
    let room = target.saturating_add(input.maintenance_health.unsigned_abs());
    let value_to_target = mul_div_floor(room, BPS * BPS, gain).unwrap_or(u128::MAX);
    let repay_to_target = units_floor(value_to_target, liability_price);

    // Close factor, unless the debt is dust (< 2^64 * 2^45: no overflow).
    #[allow(clippy::arithmetic_side_effects)]
    let dust = (liability.dust_threshold_micro_usd as u128) * (fixed::ONE / 1_000_000);
    let debt_value = mul_wide(debt, liability_price).unwrap_or(u128::MAX);
    let close_limit = if debt_value < dust {
        debt
    } else {
        let limit = mul_div_floor(debt as u128, liability.close_factor_bps as u64, BPS).unwrap_or(u128::MAX);
        u64::try_from(limit.min(debt as u128)).unwrap_or(debt)
    };
    // At least one unit (see the module docs), within the debt and max repay.
    let repay = repay_to_target.min(close_limit).min(debt).max(1).min(input.max_repay);

    // From the floor on, health rises whatever the rounding (module docs): the
    // common case, sized once. Below it, the exact change decides.
    let floor = min_repay(input.borrow_share_value, liability.maint_liab_weight_bps, gain).min(debt);
    #[allow(clippy::cast_possible_truncation)] // repay_for_all <= repay < 2^64 where cast
    let first_repay = if sizing.repay_for_all <= repay as u128 { (sizing.repay_for_all as u64).max(1) } else { repay };
    if first_repay >= floor {
        return sizing.settle(repay, 1);
    }
    sizing.below_floor(repay, floor)
}

/// Sizes a deleverage step of an account that opted in to protection
/// (`set_protection`): repays up to `max_fraction_bps` of the debt (at least one
/// unit, within `max_repay`) for collateral worth the repaid value plus
/// `bonus_bps`, all of it to the keeper (no insurance share), rounded like a
/// liquidation. Whether the account's health ratio rises is checked on the
/// result (the program recomputes health); the band is the caller's check.
pub fn deleverage_plan(
    input: &LiquidationInput,
    max_fraction_bps: u16,
    bonus_bps: u16,
) -> Result<LiquidationPlan, MarginError> {
    let bonus = bonus_bps as u64;
    let sizing = Sizing::new(input, bonus, bonus)?;
    let fraction = mul_div_floor(sizing.debt as u128, (max_fraction_bps as u64).min(BPS), BPS).ok_or(OVERFLOW)?;
    #[allow(clippy::cast_possible_truncation)] // fraction <= debt < 2^64
    let repay = (fraction as u64).max(1).min(sizing.debt).min(input.max_repay);
    sizing.settle(repay, 1)
}

/// Everything [`plan`] sizes a repay with.
struct Sizing<'a> {
    input: &'a LiquidationInput<'a>,
    /// Collateral and debt amounts as health rounds them (native units).
    collateral: u64,
    debt: u64,
    /// Least repay that pays for all the collateral (native units, may exceed u64).
    repay_for_all: u128,
    bonus: u64,
    liquidator_bonus: u64,
}

impl<'a> Sizing<'a> {
    /// The amounts of `input` as health rounds them and the repay that takes all
    /// the collateral at `bonus`.
    fn new(input: &'a LiquidationInput<'a>, bonus: u64, liquidator_bonus: u64) -> Result<Self, MarginError> {
        let (asset_price, liability_price) = (input.asset_price, input.liability_price);
        if asset_price == 0 || liability_price == 0 || input.deposit_share_value == 0 || input.borrow_share_value == 0 {
            return Err(MarginError::PriceOutOfRange);
        }
        // The amounts health sees: collateral rounded down, debt up.
        let collateral = fixed::mul_q64_floor(input.deposit_shares, input.deposit_share_value).ok_or(OVERFLOW)?;
        let collateral = u64::try_from(collateral).map_err(|_| OVERFLOW)?;
        let debt = fixed::mul_q64_ceil(input.borrow_shares, input.borrow_share_value).ok_or(OVERFLOW)?;
        let debt = u64::try_from(debt).map_err(|_| OVERFLOW)?;
        if collateral == 0 || debt == 0 || input.max_repay == 0 {
            return Err(MarginError::NothingToLiquidate);
        }
        // Out of range (beyond ~$1.8e19), not an overflow of the plan's own steps.
        let collateral_value = mul_wide(collateral, asset_price).ok_or(MarginError::PriceOutOfRange)?;
        // Repay that takes all the collateral: ceil(collateral_value / ((1 + b) * price)).
        // ceil(ceil(x / a) / p) = ceil(x / (a * p)), and the first quotient is at most
        // collateral_value, so neither step can overflow. (BPS + bonus < 2^17.)
        #[allow(clippy::arithmetic_side_effects)]
        let value_for_all = mul_div_ceil(collateral_value, BPS, BPS + bonus).ok_or(OVERFLOW)?;
        let repay_for_all = value_for_all.div_ceil(liability_price);
        Ok(Self { input, collateral, debt, repay_for_all, bonus, liquidator_bonus })
    }
}

impl Sizing<'_> {
    /// The plan for `repay` (taking everything, at least `floor`, when it pays for it).
    // Bonuses are below 2^16, so `BPS + bonus` fits; repay_for_all <= repay and
    // to_liquidator <= collateral (liquidator_bonus <= bonus) fit u64.
    #[inline(always)]
    #[allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)]
    fn settle(&self, repay: u64, floor: u64) -> Result<LiquidationPlan, MarginError> {
        let Sizing { input, collateral, debt, repay_for_all, bonus, liquidator_bonus } = *self;
        let burned_for = |repay: u64| {
            if repay >= debt {
                Ok(input.borrow_shares)
            } else {
                fixed::div_q64_floor(repay, input.borrow_share_value).ok_or(OVERFLOW)
            }
        };
        if repay_for_all <= repay as u128 {
            // The collateral binds: take all of it, split in the bonus proportions.
            let repay = (repay_for_all as u64).max(floor);
            let to_liquidator =
                mul_div_floor(collateral as u128, BPS + liquidator_bonus, BPS + bonus).ok_or(OVERFLOW)?;
            let to_liquidator = (to_liquidator as u64).min(collateral);
            let liquidator_shares = fixed::div_q64_floor(to_liquidator, input.deposit_share_value)
                .ok_or(OVERFLOW)?
                .min(input.deposit_shares);
            return Ok(LiquidationPlan {
                repay,
                burned_debt_shares: burned_for(repay)?,
                seized: collateral,
                to_liquidator,
                seized_shares: input.deposit_shares,
                liquidator_shares,
                bonus_bps: bonus,
            });
        }
        // Value repaid, then collateral at the asset price, both rounded down (the
        // liquidator gets no more). repay <= value_to_target / price (or the floor),
        // and repay < repay_for_all keeps seized_value below collateral_value, so
        // these cannot overflow and seized < collateral.
        let value = mul_wide(repay, input.liability_price).ok_or(OVERFLOW)?;
        let seized_value = mul_div_floor(value, BPS + bonus, BPS).ok_or(OVERFLOW)?;
        let liquidator_value = mul_div_floor(value, BPS + liquidator_bonus, BPS).ok_or(OVERFLOW)?;
        let seized = units_floor(seized_value, input.asset_price).min(collateral);
        let to_liquidator = units_floor(liquidator_value, input.asset_price).min(seized);
        let seized_shares =
            fixed::div_q64_floor(seized, input.deposit_share_value).ok_or(OVERFLOW)?.min(input.deposit_shares);
        let liquidator_shares =
            fixed::div_q64_floor(to_liquidator, input.deposit_share_value).ok_or(OVERFLOW)?.min(seized_shares);
        Ok(LiquidationPlan {
            repay,
            burned_debt_shares: burned_for(repay)?,
            seized,
            to_liquidator,
            seized_shares,
            liquidator_shares,
            bonus_bps: bonus,
        })
    }

    /// A repay below the rounding floor: kept if health still rises exactly, else
    /// raised to the floor (refused when `max_repay` does not reach it). Rare: out
    /// of line, off the common path's compute budget.
    #[cold]
    #[inline(never)]
    fn below_floor(&self, repay: u64, floor: u64) -> Result<LiquidationPlan, MarginError> {
        let planned = self.settle(repay, 1)?;
        if improves(self.input, self.collateral, self.debt, &planned)? {
            return Ok(planned);
        }
        if self.input.max_repay < floor {
            return Err(MarginError::NothingToLiquidate);
        }
        self.settle(repay.max(floor), floor)
    }
}

/// True when executing `p` raises Maintenance health at settlement prices (which
/// bound the band prices health uses: debt at or above, collateral at or below),
/// with the amounts rounded as health rounds them, by more than 16 bps-weighted
/// units of Q64.64 per unit moved (the unit prices' own rounding). Values too large
/// for the comparison count as improving: rounding is then irrelevant.
fn improves(input: &LiquidationInput, collateral: u64, debt: u64, p: &LiquidationPlan) -> Result<bool, MarginError> {
    let debt_left = input.borrow_shares.checked_sub(p.burned_debt_shares).ok_or(OVERFLOW)?;
    let debt_after = fixed::mul_q64_ceil(debt_left, input.borrow_share_value).ok_or(OVERFLOW)?;
    let collateral_left = input.deposit_shares.checked_sub(p.seized_shares).ok_or(OVERFLOW)?;
    let collateral_after = fixed::mul_q64_floor(collateral_left, input.deposit_share_value).ok_or(OVERFLOW)?;
    let (freed, taken) =
        ((debt as u128).saturating_sub(debt_after), (collateral as u128).saturating_sub(collateral_after));
    #[allow(clippy::cast_possible_truncation)] // freed <= debt and taken <= collateral: both fit u64
    let weighted = |units: u128, price: u128, weight: u16| {
        mul_wide(units as u64, price).and_then(|value| value.checked_mul(weight as u128))
    };
    let (Some(gained), Some(lost)) = (
        weighted(freed, input.liability_price, input.liability_config.maint_liab_weight_bps),
        weighted(taken, input.asset_price, input.asset_weight_bps),
    ) else {
        return Ok(true);
    };
    #[allow(clippy::arithmetic_side_effects)] // freed, taken < 2^64: below 2^84
    let margin = (freed + taken + 1) * 16 * BPS as u128;
    Ok(gained > lost.saturating_add(margin))
}

/// `a * b` for a u64 count and a Q64.64 value (no shift): USD Q64.64 of `a` units.
/// `None` past `u128::MAX`.
fn mul_wide(a: u64, b: u128) -> Option<u128> {
    let low = fixed::mul_64x64(a, fixed::low_u64(b));
    let high = fixed::mul_64x64(a, (b >> 64) as u64);
    if high >> 64 != 0 {
        return None;
    }
    (high << 64).checked_add(low)
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)] // test code
mod tests {
    use bytemuck::Zeroable;

    use super::*;
    use crate::fixed::ONE;

    /// A pool config with only the liquidation fields set.
    fn config(asset_weight: u16, liab_weight: u16, penalty: (u16, u16), insurance_share: u16) -> PoolConfig {
        let mut config = PoolConfig::zeroed();
        config.maint_asset_weight_bps = asset_weight;
        config.maint_liab_weight_bps = liab_weight;
        config.liquidation_penalty_min_bps = penalty.0;
        config.liquidation_penalty_max_bps = penalty.1;
        config.liquidation_insurance_share_bps = insurance_share;
        config.close_factor_bps = 5_000;
        config.liquidation_target_bps = 500;
        config.dust_threshold_micro_usd = 1_000_000;
        config
    }

    /// The plan when both share values are 1: shares equal units.
    fn at_par(repay: u64, seized: u64, to_liquidator: u64, bonus_bps: u64) -> LiquidationPlan {
        LiquidationPlan {
            repay,
            burned_debt_shares: repay,
            seized,
            to_liquidator,
            seized_shares: seized,
            liquidator_shares: to_liquidator,
            bonus_bps,
        }
    }

    fn input<'a>(asset: &'a PoolConfig, liability: &'a PoolConfig) -> LiquidationInput<'a> {
        LiquidationInput {
            maintenance_health: -(ONE as i128),
            maintenance_liabilities: 10 * ONE,
            asset_config: asset,
            liability_config: liability,
            asset_weight_bps: asset.maint_asset_weight_bps,
            asset_price: ONE,
            liability_price: ONE,
            deposit_shares: 1_000,
            deposit_share_value: ONE,
            borrow_shares: 1_000,
            borrow_share_value: ONE,
            max_repay: u64::MAX,
            asset_confidence_bps: 0,
        }
    }

    /// The exact 256-bit product, as (high, low): compares products of three factors.
    fn mul256(a: u128, b: u128) -> (u128, u128) {
        let (a0, a1, b0, b1) = (a as u64 as u128, a >> 64, b as u64 as u128, b >> 64);
        let (cross, cross_carry) = (a0 * b1).overflowing_add(a1 * b0);
        let (low, low_carry) = (a0 * b0).overflowing_add(cross << 64);
        (a1 * b1 + (cross >> 64) + ((cross_carry as u128) << 64) + low_carry as u128, low)
    }

    /// USDC-like: $1 per 10^6 native units, rounded down (collateral) or up (debt).
    const MICRO_FLOOR: u128 = ONE / 1_000_000;
    const MICRO_CEIL: u128 = ONE / 1_000_000 + 1;

    #[test]
    fn room_above_2_pow_96_does_not_overflow() {
        // gain = 1e8 - 1e4 * 9_999 = 1e4 and room = 1.5 * 2^127: room * 1e8 / gain
        // exceeds u128 (it used to panic on `room / gain * 1e8`). Close factor binds.
        let asset = config(9_999, 10_000, (0, 0), 0);
        let mut liability = config(9_999, 10_000, (0, 0), 0);
        liability.liquidation_target_bps = 10_000;
        let mut at = input(&asset, &liability);
        at.maintenance_liabilities = 1 << 127;
        at.maintenance_health = -(1 << 126);
        at.deposit_shares = 1_000_000_000_000;
        at.borrow_shares = 1_000_000;
        let expected = at_par(500_000, 500_000, 500_000, 0);
        assert_eq!(plan(&at), Ok(expected));
        // Extremes: the most negative health and the largest liabilities.
        at.maintenance_health = i128::MIN;
        at.maintenance_liabilities = u128::MAX;
        assert_eq!(plan(&at), Ok(expected));
    }

    #[test]
    fn collateral_cap_sizes_the_repay_from_the_collateral() {
        // $3 of collateral (3e6 units at 2^64/10^6), $20 of debt (10 units at $2),
        // 5% bonus. Rounding the repay down would repay 1 unit ($2) for all $3;
        // rounded up it is 2 units ($4 >= $3 / 1.05).
        let asset = config(8_000, 10_000, (500, 500), 2_000);
        let liability = config(8_000, 11_000, (500, 500), 2_000);
        let mut at = input(&asset, &liability);
        at.maintenance_health = -((196 * ONE / 10) as i128);
        at.maintenance_liabilities = 22 * ONE;
        at.asset_price = MICRO_FLOOR;
        at.liability_price = 2 * ONE;
        at.deposit_shares = 3_000_000;
        at.borrow_shares = 10;
        // to_liquidator = floor(3e6 * 1.04 / 1.05).
        let all = at_par(2, 3_000_000, 2_971_428, 500);
        assert_eq!(plan(&at), Ok(all));

        // A liquidator repaying only 1 unit gets $2 * 1.05 of collateral, not all of it.
        at.max_repay = 1;
        let partial = at_par(1, 2_100_000, 2_080_000, 500);
        assert_eq!(plan(&at), Ok(partial));
    }

    #[test]
    fn collateral_worth_less_than_one_debt_unit_is_seized_for_one_unit() {
        // $0.0005 of collateral against $1 debt units: it used to round to a zero
        // repay and NothingToLiquidate.
        let asset = config(8_000, 10_000, (500, 500), 2_000);
        let liability = config(8_000, 11_000, (500, 500), 2_000);
        let mut at = input(&asset, &liability);
        at.maintenance_health = -((54_996 * ONE / 10_000) as i128);
        at.maintenance_liabilities = 55 * ONE / 10;
        at.asset_price = MICRO_FLOOR;
        at.deposit_shares = 500;
        at.borrow_shares = 5;
        let expected = at_par(1, 500, 495, 500);
        assert_eq!(plan(&at), Ok(expected));
    }

    #[test]
    fn a_deficit_below_one_units_gain_repays_one_unit() {
        // Target 0 and a deficit of $0.01: a $1 debt unit passes the target, so the
        // caps round the repay to zero. One unit is repaid and all the collateral
        // ($0.0005) is taken, whatever the dust threshold.
        let asset = config(8_000, 10_000, (500, 500), 2_000);
        let mut liability = config(8_000, 11_000, (500, 500), 2_000);
        liability.liquidation_target_bps = 0;
        let mut at = input(&asset, &liability);
        at.maintenance_health = -((ONE / 100) as i128);
        at.maintenance_liabilities = ONE;
        at.asset_price = MICRO_FLOOR;
        at.deposit_shares = 500;
        at.borrow_shares = 5;
        assert_eq!(plan(&at), Ok(at_par(1, 500, 495, 500)));
        let mut strict = liability;
        strict.dust_threshold_micro_usd = 0;
        assert_eq!(plan(&LiquidationInput { liability_config: &strict, ..at }), Ok(at_par(1, 500, 495, 500)));

        // Collateral worth more than one debt unit plus bonus ($0.50 against $0.01
        // units): one unit is repaid for its normal share; the bonus bound holds.
        at.maintenance_health = -((ONE / 1_000) as i128);
        at.liability_price = ONE / 100 + 1;
        at.deposit_shares = 500_000;
        assert_eq!(plan(&at), Ok(at_par(1, 10_500, 10_400, 500)));

        // A one-unit debt under a 50% close factor (floor 0) is repaid whole.
        at.borrow_shares = 1;
        assert_eq!(plan(&at), Ok(at_par(1, 10_500, 10_400, 500)));
    }

    #[test]
    fn rounding_that_would_eat_the_gain_raises_the_repay_to_the_floor() {
        // Share values 1.5: one repaid unit burns no debt share and one seized unit
        // no deposit share, so a one-unit repay changes nothing. Gain per dollar
        // 1.1 - 0.8 = 0.3: floor = (2 + 1) * 1.1 / 0.3 + 2 = 13 units.
        let asset = config(8_000, 10_000, (0, 0), 0);
        let mut liability = config(8_000, 11_000, (0, 0), 0);
        liability.liquidation_target_bps = 0;
        assert_eq!(min_repay(3 * ONE / 2, 11_000, 30_000_000), 13);
        let mut at = input(&asset, &liability);
        at.maintenance_health = -1;
        at.asset_price = ONE / 50;
        at.liability_price = ONE / 100;
        at.deposit_share_value = 3 * ONE / 2;
        at.borrow_share_value = 3 * ONE / 2;
        // 13 units burn floor(13 / 1.5) = 8 shares (debt 1,500 -> ceil(992 * 1.5) =
        // 1,488: 12 units freed, $0.132 weighted); $0.13 buys 6 collateral units,
        // floor(6 / 1.5) = 4 shares (1,500 -> 1,494: $0.096 weighted).
        let expected = LiquidationPlan {
            repay: 13,
            burned_debt_shares: 8,
            seized: 6,
            to_liquidator: 6,
            seized_shares: 4,
            liquidator_shares: 4,
            bonus_bps: 0,
        };
        assert_eq!(plan(&at), Ok(expected));
        // A liquidator unwilling to repay the floor is refused.
        assert_eq!(plan(&LiquidationInput { max_repay: 12, ..at }), Err(MarginError::NothingToLiquidate));
        // At par nothing is lost to rounding: one unit suffices.
        let par = LiquidationInput { deposit_share_value: ONE, borrow_share_value: ONE, ..at };
        assert_eq!(plan(&par), Ok(at_par(1, 0, 0, 0)));
    }

    #[test]
    fn empty_cases_are_nothing_to_liquidate() {
        let asset = config(8_000, 10_000, (500, 500), 2_000);
        let liability = config(8_000, 11_000, (500, 500), 2_000);
        let at = input(&asset, &liability);
        assert!(plan(&at).is_ok());
        for empty in [
            LiquidationInput { deposit_shares: 0, ..at },
            LiquidationInput { borrow_shares: 0, ..at },
            LiquidationInput { max_repay: 0, ..at },
        ] {
            assert_eq!(plan(&empty), Err(MarginError::NothingToLiquidate));
        }
        assert_eq!(plan(&LiquidationInput { maintenance_health: 0, ..at }), Err(MarginError::NotLiquidatable));
    }

    #[test]
    fn isolated_only_collateral_in_a_cross_account_sizes_to_the_target() {
        // 10 SOL at $84 (weight 85%) + $1,000 of an isolated-only asset (weight 0 in a
        // cross account), 700 USDC of debt (weight 105%): health = 714 - 735 = -$21.
        let mut asset = config(8_500, 10_000, (200, 1_000), 2_000);
        asset.flags = POOL_FLAG_ISOLATED_ONLY;
        let liability = config(8_000, 10_500, (0, 0), 0);
        assert_eq!(seized_asset_weight_bps(&asset, AccountKind::Cross), 0);
        assert_eq!(seized_asset_weight_bps(&asset, AccountKind::Isolated), 8_500);
        assert_eq!(seized_asset_weight_bps(&liability, AccountKind::Cross), 8_000);
        let at = LiquidationInput {
            maintenance_health: -21 * ONE as i128,
            maintenance_liabilities: 735 * ONE,
            asset_config: &asset,
            liability_config: &liability,
            asset_weight_bps: seized_asset_weight_bps(&asset, AccountKind::Cross),
            asset_price: MICRO_FLOOR,
            liability_price: MICRO_CEIL,
            deposit_shares: 1_000_000_000,
            deposit_share_value: ONE,
            borrow_shares: 700_000_000,
            borrow_share_value: ONE,
            max_repay: u64::MAX,
            asset_confidence_bps: 0,
        };
        // Deficit 285 bps: bonus 200 + 800 * 285 / 1000 = 428. Room to the target
        // (5% of 735 = 36.75) is 57.75; each repaid dollar adds 1.05: $55.
        let sized = plan(&at).unwrap();
        assert_eq!(sized, at_par(54_999_999, 57_353_998, 56_880_998, 428));
        // Health after (the seized asset counts for nothing): within one unit's gain
        // below the target.
        let target = 735 * ONE * 500 / 10_000;
        let after = (sized.repay as u128 * MICRO_CEIL * 10_500 / 10_000) - 21 * ONE;
        assert!(after <= target && target - after < MICRO_CEIL * 10_500 / 10_000);
        // With the pool's weight the gain would be 1.05 - 1.0428 * 0.85 and the plan
        // 6.4x larger ($352.95, cut to the $350 close factor).
        let wrong = plan(&LiquidationInput { asset_weight_bps: 8_500, ..at }).unwrap();
        assert_eq!(wrong.repay, 350_000_000);
    }

    #[test]
    fn bonus_of_an_unvalidated_config_does_not_panic() {
        let reversed = config(0, 10_000, (900, 100), 0);
        assert_eq!(bonus_bps(&reversed, -(ONE as i128), ONE, 0), 900);
    }

    /// xorshift64*: deterministic randomness without a dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn range(&mut self, low: u64, high: u64) -> u64 {
            low + self.next() % (high - low + 1)
        }
        /// Log-uniform-ish: random bits of a random width.
        fn bits(&mut self, max_bits: u32) -> u128 {
            let width = self.range(0, max_bits as u64) as u32;
            let wide = ((self.next() as u128) << 64) | self.next() as u128;
            if width == 0 {
                0
            } else {
                wide >> (128 - width)
            }
        }
    }

    /// Exact health change of executing `p` at settlement prices, with the amounts
    /// rounded as health rounds them: (gained, lost) as 256-bit values.
    fn health_change(at: &LiquidationInput, p: &LiquidationPlan) -> ((u128, u128), (u128, u128)) {
        let amount = |shares: u64, value: u128, up: bool| {
            if up { fixed::mul_q64_ceil(shares, value) } else { fixed::mul_q64_floor(shares, value) }.unwrap()
        };
        let freed = amount(at.borrow_shares, at.borrow_share_value, true)
            - amount(at.borrow_shares - p.burned_debt_shares, at.borrow_share_value, true);
        let taken = amount(at.deposit_shares, at.deposit_share_value, false)
            - amount(at.deposit_shares - p.seized_shares, at.deposit_share_value, false);
        let gained = mul256(freed * at.liability_config.maint_liab_weight_bps as u128, at.liability_price);
        let lost = mul256(taken * at.asset_weight_bps as u128, at.asset_price);
        (gained, lost)
    }

    #[test]
    fn confidence_widens_the_bonus_up_to_the_cap() {
        let mut asset = config(8_000, 10_000, (200, 1_000), 0);
        asset.liquidation_confidence_bonus_pct = 200;
        // At the edge of maintenance the deficit bonus is the min, 200 bps; a 1.5%
        // confidence interval adds 2 x 150 = 300.
        let edge = (-1, ONE);
        assert_eq!(bonus_bps(&asset, edge.0, edge.1, 150), 500);
        // Capped by the max penalty: 200 + 2 x 600 = 1_400 -> 1_000.
        assert_eq!(bonus_bps(&asset, edge.0, edge.1, 600), 1_000);
        // Off: the deficit bonus alone.
        asset.liquidation_confidence_bonus_pct = 0;
        assert_eq!(bonus_bps(&asset, edge.0, edge.1, 600), 200);
        // conf / price: 1.5 / 100 = 150 bps, rounded down.
        let price = |price: i64, conf: u64| OraclePrice {
            price,
            conf,
            expo: -8,
            publish_time: 0,
            ema_price: price,
            ema_conf: conf,
        };
        assert_eq!(confidence_ratio_bps(&price(100_000_000, 1_500_000)), 150);
        assert_eq!(confidence_ratio_bps(&price(3, 1)), 3_333);
        assert_eq!(confidence_ratio_bps(&price(i64::MAX, u64::MAX)), 20_000);
    }

    #[test]
    fn seized_value_never_exceeds_repay_plus_bonus_and_health_always_rises() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut ok, mut took_all, mut floored) = (0, 0, 0);
        for round in 0..200_000 {
            // Validated pools: (1 + max bonus) * maint asset weight <= 99%.
            let max_bonus = rng.range(0, 2_000) as u16;
            let min_bonus = rng.range(0, max_bonus as u64) as u16;
            let max_weight = BPS * (BPS - crate::state::MIN_LIQUIDATION_GAIN_BPS) / (BPS + max_bonus as u64);
            let asset_weight = rng.range(0, max_weight) as u16;
            let mut asset = config(asset_weight, 10_000, (min_bonus, max_bonus), rng.range(0, 10_000) as u16);
            asset.flags = (rng.next() & 1) as u16;
            asset.liquidation_confidence_bonus_pct = rng.range(0, 1_000) as u16;
            let mut liability = config(8_000, rng.range(10_000, 15_000) as u16, (0, 0), 0);
            liability.close_factor_bps = rng.range(1, 10_000) as u16;
            liability.liquidation_target_bps = rng.range(0, 10_000) as u16;
            liability.dust_threshold_micro_usd = rng.bits(40) as u64;
            let kind = if rng.next() & 1 == 0 { AccountKind::Cross } else { AccountKind::Isolated };
            let liabilities = rng.bits(127);
            let deficit = (rng.bits(127) % (liabilities + 1)).max(1);
            let max_repay = if rng.next() & 1 == 0 { u64::MAX } else { rng.bits(64) as u64 };
            // Share values in [1, 9): half of them exactly whole.
            let mut share_value = || {
                let whole = ONE * rng.range(1, 8) as u128;
                if rng.next() & 1 == 0 {
                    whole
                } else {
                    whole + (rng.next() as u128)
                }
            };
            let (deposit_share_value, borrow_share_value) = (share_value(), share_value());
            let at = LiquidationInput {
                maintenance_health: -(deficit as i128),
                maintenance_liabilities: liabilities,
                asset_config: &asset,
                liability_config: &liability,
                asset_weight_bps: seized_asset_weight_bps(&asset, kind),
                asset_price: rng.bits(100).max(1),
                liability_price: rng.bits(100).max(1),
                deposit_shares: rng.bits(60) as u64,
                deposit_share_value,
                borrow_shares: rng.bits(60) as u64,
                borrow_share_value,
                max_repay,
                asset_confidence_bps: rng.range(0, 300),
            };
            let collateral = fixed::mul_q64_floor(at.deposit_shares, deposit_share_value).unwrap() as u64;
            let debt = fixed::mul_q64_ceil(at.borrow_shares, borrow_share_value).unwrap() as u64;
            let gain = liability.maint_liab_weight_bps as u64 * BPS
                - (BPS + bonus_bps(&asset, at.maintenance_health, liabilities, at.asset_confidence_bps))
                    * at.asset_weight_bps as u64;
            let floor = min_repay(borrow_share_value, liability.maint_liab_weight_bps, gain).min(debt);
            let collateral_value = mul256(collateral as u128, at.asset_price);
            let in_range = collateral_value.0 == 0;
            let result = plan(&at);
            let Ok(p) = result else {
                match result {
                    Err(MarginError::PriceOutOfRange) => assert!(!in_range, "round {round}: {at:?}"),
                    Err(MarginError::NothingToLiquidate) => {
                        assert!(collateral == 0 || debt == 0 || max_repay < floor.max(1), "round {round}: {at:?}")
                    }
                    other => panic!("round {round}: {other:?} for {at:?}"),
                }
                continue;
            };
            ok += 1;
            let bonus = p.bonus_bps as u128;
            assert_eq!(
                p.bonus_bps,
                bonus_bps(&asset, at.maintenance_health, at.maintenance_liabilities, at.asset_confidence_bps)
            );
            assert!(p.bonus_bps <= max_bonus.max(min_bonus) as u64, "round {round}: the cap holds");
            assert!(p.repay >= 1 && p.repay <= debt && p.repay <= max_repay, "round {round}: {p:?}");
            assert!(p.to_liquidator <= p.seized && p.seized <= collateral, "round {round}: {p:?}");
            assert!(
                p.liquidator_shares <= p.seized_shares && p.seized_shares <= at.deposit_shares,
                "round {round}: {p:?}"
            );
            assert!(p.burned_debt_shares <= at.borrow_shares, "round {round}: {p:?}");
            // The shares are worth no more than the units they were sized from.
            assert!(
                fixed::mul_q64_floor(p.seized_shares, deposit_share_value).unwrap() <= p.seized as u128
                    || p.seized == collateral
            );
            assert!(
                fixed::mul_q64_floor(p.burned_debt_shares, borrow_share_value).unwrap() <= p.repay as u128
                    || p.repay == debt
            );
            // Health at settlement prices strictly rises, rounding included.
            let (gained, lost) = health_change(&at, &p);
            assert!(gained > lost, "round {round}: {p:?} for {at:?}");
            // seized * P_a <= repay * P_l * (1 + b): the liquidatee pays at most the bonus.
            let seized_value = mul256(p.seized as u128 * BPS as u128, at.asset_price);
            let repay_value =
                |units: u64, bonus: u128| mul256(units as u128 * (BPS as u128 + bonus), at.liability_price);
            assert!(seized_value <= repay_value(p.repay, bonus), "round {round}: {p:?} for {at:?}");
            let liquidator_bonus = bonus * (BPS as u128 - asset.liquidation_insurance_share_bps as u128) / BPS as u128;
            let liquidator_value = mul256(p.to_liquidator as u128 * BPS as u128, at.asset_price);
            assert!(liquidator_value <= repay_value(p.repay, liquidator_bonus), "round {round}: {p:?}");
            let at_floor = p.repay <= floor.max(1);
            floored += at_floor as u32;
            if p.seized == collateral {
                // Taking everything: the repay is the least that pays for it (or the floor).
                took_all += 1;
                assert!(at_floor || repay_value(p.repay - 1, bonus) < seized_value, "round {round}: {p:?} for {at:?}");
            } else {
                // Otherwise the liquidatee gives the full bonus, less under one unit.
                assert!(
                    mul256((p.seized as u128 + 1) * BPS as u128, at.asset_price) > repay_value(p.repay, bonus),
                    "round {round}"
                );
            }
            if !at_floor {
                // Above the floor the repay never lifts health past the target.
                let target = mul_div_floor(liabilities, liability.liquidation_target_bps as u64, BPS).unwrap();
                let room = target.saturating_add(deficit);
                let lifted = mul256(p.repay as u128 * gain as u128, at.liability_price);
                assert!(lifted <= mul256(room, (BPS * BPS) as u128), "round {round}: {p:?} for {at:?}");
            }
        }
        // The generator reaches every branch.
        assert!(ok > 50_000 && took_all > 1_000 && floored > 1_000, "ok {ok}, took all {took_all}, floored {floored}");
    }
}
