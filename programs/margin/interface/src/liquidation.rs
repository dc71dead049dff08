//! Liquidation sizing: how much debt a liquidator may repay and how much collateral
//! it receives. Pure math shared by the program and by liquidator bots.
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
//! - collateral: when those caps allow repaying enough to take all of it, the
//!   repay is sized from the collateral, `ceil(collateral_value / ((1 + b) * price))`
//!   units, and all of it is taken (no dust left to block the bad-debt write-off).
//!   Rounding the repay up keeps `seized_value <= v * (1 + b)`: the liquidatee never
//!   pays more than the bonus;
//! - dust: when the caps round the repay to zero but the collateral is worth less
//!   than the debt pool's dust threshold, one native unit is repaid (the target may
//!   be passed by that unit) so dust cannot stay stuck in an unhealthy account. It
//!   takes all the collateral when that unit pays for it (the rule above), else the
//!   unit's normal share: the bonus bound holds either way.
//!
//! Each repaid dollar raises Maintenance health by `w_liab - (1 + b) * w_asset`, with
//! `w_asset` the weight the collateral has in *this* account (zero for isolated-only
//! collateral in a cross account); when that is not positive the liquidation is
//! refused (it could not help). `PoolConfig::validate` makes it positive for any
//! pair of validated pools.
//!
//! Overflow: every step is checked or saturates where a cap follows, and none can
//! fail with `MathOverflow`. A collateral value `collateral * asset_price` of 2^128
//! or more (about $1.8e19) is out of range: `PriceOutOfRange`.

use crate::{
    error::MarginError,
    fixed::{self, mul_div_ceil, mul_div_floor},
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
    // Saturating: an unvalidated config with min > max gets min, not a panic.
    min + max.saturating_sub(min) * deficit_bps / FULL_PENALTY_DEFICIT_BPS
}

/// Native units worth `value` (USD Q64.64) at `price` (USD per native, Q64.64),
/// rounded down, saturating at `u64::MAX` (always followed by a cap). `price > 0`.
fn units_floor(value: u128, price: u128) -> u64 {
    u64::try_from(value / price).unwrap_or(u64::MAX)
}

/// Sizes a liquidation; see the module docs for the rules.
pub fn plan(input: &LiquidationInput) -> Result<LiquidationPlan, MarginError> {
    if input.maintenance_health >= 0 {
        return Err(MarginError::NotLiquidatable);
    }
    let bonus = bonus_bps(input.asset_config, input.maintenance_health, input.maintenance_liabilities);
    let w_asset = input.asset_weight_bps as u128;
    let w_liability = input.liability_config.maint_liab_weight_bps as u128;
    // Health gained per repaid dollar, scaled by 1e8 (bps x bps); below 2^33.
    let gain = (w_liability * BPS as u128).checked_sub((BPS as u128 + bonus as u128) * w_asset);
    let gain = match gain {
        Some(g) if g > 0 => g as u64,
        _ => return Err(MarginError::LiquidationCannotImprove),
    };
    let (asset_price, liability_price) = (input.asset_price, input.liability_price);
    if asset_price == 0 || liability_price == 0 {
        return Err(MarginError::PriceOutOfRange);
    }
    if input.collateral == 0 || input.debt == 0 || input.max_repay == 0 {
        return Err(MarginError::NothingToLiquidate);
    }
    // Out of range (beyond ~$1.8e19), not an overflow of the plan's own steps.
    let collateral_value = mul_wide(input.collateral, asset_price).ok_or(MarginError::PriceOutOfRange)?;
    let liability = input.liability_config;

    // Target: health may rise to target_bps of the liabilities, no further. The
    // room and its repay value only cap the repay, so they saturate.
    let target = mul_div_floor(input.maintenance_liabilities, liability.liquidation_target_bps as u64, BPS).unwrap_or(u128::MAX);
    let room = target.saturating_add(input.maintenance_health.unsigned_abs());
    let value_to_target = mul_div_floor(room, BPS * BPS, gain).unwrap_or(u128::MAX);
    let repay_to_target = units_floor(value_to_target, liability_price);

    // Close factor, unless the debt is dust (< 2^64 * 2^45: no overflow).
    let dust = (liability.dust_threshold_micro_usd as u128) * (fixed::ONE / 1_000_000);
    let debt_value = mul_wide(input.debt, liability_price).unwrap_or(u128::MAX);
    let close_limit = if debt_value < dust {
        input.debt
    } else {
        let limit = mul_div_floor(input.debt as u128, liability.close_factor_bps as u64, BPS).unwrap_or(u128::MAX);
        limit.min(input.debt as u128) as u64
    };
    let mut limit = repay_to_target.min(close_limit).min(input.debt);
    if limit == 0 && collateral_value < dust {
        // Dust collateral would otherwise stay stuck: repay one unit.
        limit = 1;
    }
    let repay = limit.min(input.max_repay);
    if repay == 0 {
        return Err(MarginError::NothingToLiquidate);
    }

    let insurance_share = (input.asset_config.liquidation_insurance_share_bps as u64).min(BPS);
    let liquidator_bonus = bonus * (BPS - insurance_share) / BPS;

    // Repay that takes all the collateral: ceil(collateral_value / ((1 + b) * price)).
    // ceil(ceil(x / a) / p) = ceil(x / (a * p)), and the first quotient is at most
    // collateral_value, so neither step can overflow.
    let value_for_all = mul_div_ceil(collateral_value, BPS, BPS + bonus).ok_or(OVERFLOW)?;
    let repay_for_all = value_for_all.div_ceil(liability_price);
    if repay_for_all <= repay as u128 {
        // The collateral binds: take all of it, split in the bonus proportions.
        let to_liquidator = mul_div_floor(input.collateral as u128, BPS + liquidator_bonus, BPS + bonus).ok_or(OVERFLOW)?;
        return Ok(LiquidationPlan {
            repay: repay_for_all as u64,
            seized: input.collateral,
            to_liquidator: (to_liquidator as u64).min(input.collateral),
            bonus_bps: bonus,
        });
    }

    // Value repaid, then collateral at the asset price, both rounded down (the
    // liquidator gets no more). repay <= value_to_target / price (or is one unit),
    // and repay < repay_for_all keeps seized_value below collateral_value, so
    // these cannot overflow and seized < collateral.
    let value = mul_wide(repay, liability_price).ok_or(OVERFLOW)?;
    let seized_value = mul_div_floor(value, BPS + bonus, BPS).ok_or(OVERFLOW)?;
    let liquidator_value = mul_div_floor(value, BPS + liquidator_bonus, BPS).ok_or(OVERFLOW)?;
    let seized = units_floor(seized_value, asset_price).min(input.collateral);
    let to_liquidator = units_floor(liquidator_value, asset_price).min(seized);
    Ok(LiquidationPlan { repay, seized, to_liquidator, bonus_bps: bonus })
}

/// `a * b` for a u64 count and a Q64.64 value (no shift): USD Q64.64 of `a` units.
/// `None` past `u128::MAX`.
fn mul_wide(a: u64, b: u128) -> Option<u128> {
    let low = fixed::mul_64x64(a, b as u64);
    let high = fixed::mul_64x64(a, (b >> 64) as u64);
    if high >> 64 != 0 {
        return None;
    }
    (high << 64).checked_add(low)
}

#[cfg(test)]
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

    fn input<'a>(asset: &'a PoolConfig, liability: &'a PoolConfig) -> LiquidationInput<'a> {
        LiquidationInput {
            maintenance_health: -(ONE as i128),
            maintenance_liabilities: 10 * ONE,
            asset_config: asset,
            liability_config: liability,
            asset_weight_bps: asset.maint_asset_weight_bps,
            asset_price: ONE,
            liability_price: ONE,
            collateral: 1_000,
            debt: 1_000,
            max_repay: u64::MAX,
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
        at.collateral = 1_000_000_000_000;
        at.debt = 1_000_000;
        let expected = LiquidationPlan { repay: 500_000, seized: 500_000, to_liquidator: 500_000, bonus_bps: 0 };
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
        at.collateral = 3_000_000;
        at.debt = 10;
        // to_liquidator = floor(3e6 * 1.04 / 1.05).
        let all = LiquidationPlan { repay: 2, seized: 3_000_000, to_liquidator: 2_971_428, bonus_bps: 500 };
        assert_eq!(plan(&at), Ok(all));

        // A liquidator repaying only 1 unit gets $2 * 1.05 of collateral, not all of it.
        at.max_repay = 1;
        let partial = LiquidationPlan { repay: 1, seized: 2_100_000, to_liquidator: 2_080_000, bonus_bps: 500 };
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
        at.collateral = 500;
        at.debt = 5;
        let expected = LiquidationPlan { repay: 1, seized: 500, to_liquidator: 495, bonus_bps: 500 };
        assert_eq!(plan(&at), Ok(expected));
    }

    #[test]
    fn dust_rule_repays_one_unit_when_the_target_rounds_to_zero() {
        // Target 0 and a deficit of $0.01: a $1 debt unit would pass the target, so the
        // caps round the repay to zero. The collateral ($0.0005) is below the $1 dust
        // threshold: one unit is repaid and all of it is taken.
        let asset = config(8_000, 10_000, (500, 500), 2_000);
        let mut liability = config(8_000, 11_000, (500, 500), 2_000);
        liability.liquidation_target_bps = 0;
        let mut at = input(&asset, &liability);
        at.maintenance_health = -((ONE / 100) as i128);
        at.maintenance_liabilities = ONE;
        at.asset_price = MICRO_FLOOR;
        at.collateral = 500;
        at.debt = 5;
        assert_eq!(plan(&at), Ok(LiquidationPlan { repay: 1, seized: 500, to_liquidator: 495, bonus_bps: 500 }));

        // Not dust (threshold $0.0001 < $0.0005): nothing to do at the target.
        let mut strict = liability;
        strict.dust_threshold_micro_usd = 100;
        assert_eq!(plan(&LiquidationInput { liability_config: &strict, ..at }), Err(MarginError::NothingToLiquidate));

        // Dust worth more than one debt unit plus bonus ($0.50 against $0.01 units):
        // one unit is repaid for its normal share; the bonus bound still holds.
        at.maintenance_health = -((ONE / 1_000) as i128);
        at.liability_price = ONE / 100 + 1;
        at.collateral = 500_000;
        assert_eq!(plan(&at), Ok(LiquidationPlan { repay: 1, seized: 10_500, to_liquidator: 10_400, bonus_bps: 500 }));
    }

    #[test]
    fn empty_cases_are_nothing_to_liquidate() {
        let asset = config(8_000, 10_000, (500, 500), 2_000);
        let liability = config(8_000, 11_000, (500, 500), 2_000);
        let at = input(&asset, &liability);
        assert!(plan(&at).is_ok());
        for empty in [LiquidationInput { collateral: 0, ..at }, LiquidationInput { debt: 0, ..at }, LiquidationInput { max_repay: 0, ..at }] {
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
            collateral: 1_000_000_000,
            debt: 700_000_000,
            max_repay: u64::MAX,
        };
        // Deficit 285 bps: bonus 200 + 800 * 285 / 1000 = 428. Room to the target
        // (5% of 735 = 36.75) is 57.75; each repaid dollar adds 1.05: $55.
        let sized = plan(&at).unwrap();
        assert_eq!(sized, LiquidationPlan { repay: 54_999_999, seized: 57_353_998, to_liquidator: 56_880_998, bonus_bps: 428 });
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
        assert_eq!(bonus_bps(&reversed, -(ONE as i128), ONE), 900);
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
            if width == 0 { 0 } else { wide >> (128 - width) }
        }
    }

    #[test]
    fn seized_value_never_exceeds_repay_plus_bonus() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut ok, mut took_all, mut dust) = (0, 0, 0);
        for round in 0..200_000 {
            // Validated pools: (1 + max bonus) * maint asset weight < 1.
            let max_bonus = rng.range(0, 2_000) as u16;
            let min_bonus = rng.range(0, max_bonus as u64) as u16;
            let max_weight = (BPS * BPS - 1) / (BPS + max_bonus as u64);
            let asset_weight = rng.range(0, max_weight) as u16;
            let mut asset = config(asset_weight, 10_000, (min_bonus, max_bonus), rng.range(0, 10_000) as u16);
            asset.flags = (rng.next() & 1) as u16;
            let mut liability = config(8_000, rng.range(10_000, 15_000) as u16, (0, 0), 0);
            liability.close_factor_bps = rng.range(1, 10_000) as u16;
            liability.liquidation_target_bps = rng.range(0, 10_000) as u16;
            liability.dust_threshold_micro_usd = rng.bits(40) as u64;
            let kind = if rng.next() & 1 == 0 { AccountKind::Cross } else { AccountKind::Isolated };
            let liabilities = rng.bits(127);
            let deficit = (rng.bits(127) % (liabilities + 1)).max(1);
            let max_repay = if rng.next() & 1 == 0 { u64::MAX } else { rng.bits(64) as u64 };
            let at = LiquidationInput {
                maintenance_health: -(deficit as i128),
                maintenance_liabilities: liabilities,
                asset_config: &asset,
                liability_config: &liability,
                asset_weight_bps: seized_asset_weight_bps(&asset, kind),
                asset_price: rng.bits(100).max(1),
                liability_price: rng.bits(100).max(1),
                collateral: rng.bits(64) as u64,
                debt: rng.bits(64) as u64,
                max_repay,
            };
            let collateral_value = mul256(at.collateral as u128, at.asset_price);
            let in_range = collateral_value.0 == 0;
            let result = plan(&at);
            let Ok(p) = result else {
                match result {
                    Err(MarginError::PriceOutOfRange) => assert!(!in_range, "round {round}: {at:?}"),
                    Err(MarginError::NothingToLiquidate) => {
                        let dust_value = liability.dust_threshold_micro_usd as u128 * (ONE / 1_000_000);
                        let dusty = collateral_value.1 < dust_value;
                        assert!(at.collateral == 0 || at.debt == 0 || max_repay == 0 || !dusty, "round {round}: {at:?}");
                    }
                    other => panic!("round {round}: {other:?} for {at:?}"),
                }
                continue;
            };
            ok += 1;
            let bonus = p.bonus_bps as u128;
            assert_eq!(p.bonus_bps, bonus_bps(&asset, at.maintenance_health, at.maintenance_liabilities));
            assert!(p.repay >= 1 && p.repay <= at.debt && p.repay <= max_repay, "round {round}: {p:?}");
            assert!(p.to_liquidator <= p.seized && p.seized <= at.collateral, "round {round}: {p:?}");
            // seized * P_a <= repay * P_l * (1 + b): the liquidatee pays at most the bonus.
            let seized_value = mul256(p.seized as u128 * BPS as u128, at.asset_price);
            let repay_value = |units: u64, bonus: u128| mul256(units as u128 * (BPS as u128 + bonus), at.liability_price);
            assert!(seized_value <= repay_value(p.repay, bonus), "round {round}: {p:?} for {at:?}");
            let liquidator_bonus = bonus * (BPS as u128 - asset.liquidation_insurance_share_bps as u128) / BPS as u128;
            let liquidator_value = mul256(p.to_liquidator as u128 * BPS as u128, at.asset_price);
            assert!(liquidator_value <= repay_value(p.repay, liquidator_bonus), "round {round}: {p:?}");
            if p.seized == at.collateral {
                // Taking everything: the repay is the least that pays for it.
                took_all += 1;
                assert!(repay_value(p.repay - 1, bonus) < seized_value, "round {round}: {p:?} for {at:?}");
            } else {
                // Otherwise the liquidatee gives the full bonus, less under one unit.
                assert!(mul256((p.seized as u128 + 1) * BPS as u128, at.asset_price) > repay_value(p.repay, bonus), "round {round}");
            }
            let dust_value = liability.dust_threshold_micro_usd as u128 * (ONE / 1_000_000);
            if collateral_value.1 >= dust_value {
                // No dust rule: the repay never lifts health past the target.
                let gain = liability.maint_liab_weight_bps as u128 * BPS as u128 - (BPS as u128 + bonus) * at.asset_weight_bps as u128;
                let target = mul_div_floor(liabilities, liability.liquidation_target_bps as u64, BPS).unwrap();
                let room = target.saturating_add(deficit);
                let lifted = mul256(p.repay as u128 * gain, at.liability_price);
                assert!(lifted <= mul256(room, (BPS * BPS) as u128), "round {round}: {p:?} for {at:?}");
            } else {
                dust += 1;
            }
        }
        // The generator reaches every branch.
        assert!(ok > 50_000 && took_all > 1_000 && dust > 1_000, "ok {ok}, took all {took_all}, dust {dust}");
    }
}
