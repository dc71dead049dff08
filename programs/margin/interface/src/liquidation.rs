//! Liquidation sizing: how much debt a liquidator may repay and how much collateral
//! it receives. Pure math shared by the program and by liquidator bots.
//!
//! Prices are the Maintenance ones (collateral `P - k*conf`, debt `P + k*conf`), the
//! same that made the account liquidatable. With `v` the USD value of debt repaid:
//!
//! - bonus `b` (the penalty ratio) grows linearly with the account's deficit
//!   `-maintenance_health / weighted_liabilities` from the collateral pool's
//!   minimum (deficit 0) to its maximum (deficit >= [`FULL_PENALTY_DEFICIT_BPS`]);
//! - the liquidatee gives up collateral worth `v * (1 + b)`; the share
//!   `liquidation_insurance_share_bps` of the bonus goes to the collateral pool's
//!   insurance fund, the rest to the liquidator;
//! - `v` is capped by: the liquidator's `max_repay`; the debt pool's close factor
//!   (whole debt when it is worth less than the dust threshold); the collateral
//!   available; and the target: Maintenance health may rise to at most
//!   `liquidation_target_bps` of the weighted liabilities, never further.
//!
//! Each repaid dollar raises Maintenance health by `w_liab - (1 + b) * w_asset`;
//! when that is not positive the liquidation is refused (it could not help).

use crate::{
    error::MarginError,
    fixed::{self, mul_div_floor},
    state::PoolConfig,
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
    /// Collateral USD per native unit (Q64.64, rounded down).
    pub asset_price: u128,
    /// Debt USD per native unit (Q64.64, rounded up).
    pub liability_price: u128,
    /// Liquidatee's collateral in the asset pool, native units.
    pub collateral: u64,
    /// Liquidatee's debt in the liability pool, native units.
    pub debt: u64,
    /// Most the liquidator is willing to repay, native units.
    pub max_repay: u64,
}

/// The settled amounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiquidationPlan {
    /// Debt repaid by the liquidator (liability native units).
    pub repay: u64,
    /// Collateral taken from the liquidatee (asset native units).
    pub seized: u64,
    /// Of which the liquidator receives (the rest goes to insurance).
    pub to_liquidator: u64,
    /// Bonus applied, bps of the repaid value.
    pub bonus_bps: u64,
}

const OVERFLOW: MarginError = MarginError::MathOverflow;

/// Bonus in bps for a given deficit.
pub fn bonus_bps(config: &PoolConfig, maintenance_health: i128, maintenance_liabilities: u128) -> u64 {
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
    min + (max - min) * deficit_bps / FULL_PENALTY_DEFICIT_BPS
}

/// Native units worth `value` (USD Q64.64) at `price` (USD per native, Q64.64), rounded down.
fn units_for(value: u128, price: u128) -> Result<u64, MarginError> {
    if price == 0 {
        return Err(MarginError::PriceOutOfRange);
    }
    Ok(u64::try_from(value / price).unwrap_or(u64::MAX))
}

/// Sizes a liquidation; see the module docs for the rules.
pub fn plan(input: &LiquidationInput) -> Result<LiquidationPlan, MarginError> {
    if input.maintenance_health >= 0 {
        return Err(MarginError::NotLiquidatable);
    }
    let bonus = bonus_bps(input.asset_config, input.maintenance_health, input.maintenance_liabilities);
    let w_asset = input.asset_config.maint_asset_weight_bps as u128;
    let w_liability = input.liability_config.maint_liab_weight_bps as u128;
    // Health gained per repaid dollar, scaled by 1e8 (bps x bps).
    let gain = (w_liability * BPS as u128).checked_sub((BPS as u128 + bonus as u128) * w_asset);
    let gain = match gain {
        Some(g) if g > 0 => g,
        _ => return Err(MarginError::LiquidationCannotImprove),
    };

    // Target: health may rise to target_bps of the liabilities, no further.
    let target = mul_div_floor(input.maintenance_liabilities, input.liability_config.liquidation_target_bps as u64, BPS)
        .ok_or(OVERFLOW)?;
    let room = (target as i128).checked_sub(input.maintenance_health).ok_or(OVERFLOW)? as u128;
    // room * 1e8 / gain, without overflowing: room < 2^127, gain < 2^32.
    let value_to_target = if room >> 96 == 0 { room * (BPS as u128 * BPS as u128) / gain } else { room / gain * (BPS as u128 * BPS as u128) };
    let mut repay = units_for(value_to_target, input.liability_price)?;

    // Close factor, unless the debt is dust.
    let debt_value = mul_wide(input.debt, input.liability_price)?;
    let dust = (input.liability_config.dust_threshold_micro_usd as u128) * ((1u128 << 64) / 1_000_000);
    let close_limit = if debt_value < dust {
        input.debt
    } else {
        mul_div_floor(input.debt as u128, input.liability_config.close_factor_bps as u64, BPS).ok_or(OVERFLOW)? as u64
    };
    repay = repay.min(close_limit).min(input.debt).min(input.max_repay);

    // Collateral available: collateral_value / (1 + b).
    let collateral_value = mul_wide(input.collateral, input.asset_price)?;
    let value_for_collateral = mul_div_floor(collateral_value, BPS, BPS + bonus).ok_or(OVERFLOW)?;
    let repay_for_all_collateral = units_for(value_for_collateral, input.liability_price)?;
    let takes_all_collateral = repay_for_all_collateral <= repay;
    repay = repay.min(repay_for_all_collateral);
    if repay == 0 {
        return Err(MarginError::NothingToLiquidate);
    }
    let insurance_share = input.asset_config.liquidation_insurance_share_bps as u64;
    let liquidator_bonus = bonus * (BPS - insurance_share) / BPS;
    if takes_all_collateral {
        // The collateral is the binding limit: take all of it (no dust left behind
        // to block the bad-debt write-off) and split it in the bonus proportions.
        let to_liquidator = mul_div_floor(input.collateral as u128, BPS + liquidator_bonus, BPS + bonus).ok_or(OVERFLOW)?;
        return Ok(LiquidationPlan {
            repay,
            seized: input.collateral,
            to_liquidator: (to_liquidator as u64).min(input.collateral),
            bonus_bps: bonus,
        });
    }

    // Value repaid (rounded down: the liatee is credited no more than paid), then
    // collateral at the asset price (rounded down: the liquidator gets no more).
    let value = mul_wide(repay, input.liability_price)?;
    let seized_value = mul_div_floor(value, BPS + bonus, BPS).ok_or(OVERFLOW)?;
    let liquidator_value = mul_div_floor(value, BPS + liquidator_bonus, BPS).ok_or(OVERFLOW)?;
    let seized = units_for(seized_value, input.asset_price)?.min(input.collateral);
    let to_liquidator = units_for(liquidator_value, input.asset_price)?.min(seized);
    Ok(LiquidationPlan { repay, seized, to_liquidator, bonus_bps: bonus })
}

/// `a * b` for a u64 count and a Q64.64 value (no shift): USD Q64.64 of `a` units.
fn mul_wide(a: u64, b: u128) -> Result<u128, MarginError> {
    let low = fixed::mul_64x64(a, b as u64);
    let high = fixed::mul_64x64(a, (b >> 64) as u64);
    if high >> 64 != 0 {
        return Err(OVERFLOW);
    }
    (high << 64).checked_add(low).ok_or(OVERFLOW)
}
