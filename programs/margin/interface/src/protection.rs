//! Opt-in pre-liquidation: the band in which `deleverage` may act and the
//! "health ratio strictly rises" rule, on the Maintenance level.
//!
//! Health ratio = weighted collateral / weighted debt at Maintenance (the
//! account is liquidatable below 1). Compared by exact cross-multiplication,
//! never divided, so no rounding can let a step that lowers it through.

use crate::{fixed::mul_u128_wide, health::Health, state::Protection, BPS};

/// Weighted Maintenance collateral of `health` (health + weighted debt); `None`
/// below zero (not possible for a health the engine computed).
fn maintenance_assets(health: &Health) -> Option<u128> {
    let liabilities = i128::try_from(health.maintenance_liabilities).ok()?;
    u128::try_from(health.maintenance.checked_add(liabilities)?).ok()
}

/// True when `health` (Maintenance level) is inside `protection`'s band: not
/// liquidatable (Maintenance >= 0), with debt, and a health ratio below the
/// threshold. Always false while protection is off.
pub fn in_band(health: &Health, protection: &Protection) -> bool {
    if !protection.is_on() || health.maintenance < 0 || health.maintenance_liabilities == 0 {
        return false;
    }
    let Some(assets) = maintenance_assets(health) else { return false };
    // assets / liabilities < threshold / BPS  <=>  assets * BPS < threshold * liabilities.
    mul_u128_wide(assets, BPS as u128) < mul_u128_wide(protection.threshold_bps as u128, health.maintenance_liabilities)
}

/// True when the health ratio of `after` is strictly above that of `before`
/// (which has debt); repaying every debt counts as a rise.
pub fn ratio_rose(before: &Health, after: &Health) -> bool {
    let (Some(assets_before), Some(assets_after)) = (maintenance_assets(before), maintenance_assets(after)) else {
        return false;
    };
    if after.maintenance_liabilities == 0 {
        return before.maintenance_liabilities != 0;
    }
    // after.assets / after.liabilities > before.assets / before.liabilities.
    mul_u128_wide(assets_after, before.maintenance_liabilities)
        > mul_u128_wide(assets_before, after.maintenance_liabilities)
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)] // test code
mod tests {
    use super::*;
    use crate::fixed::ONE;

    fn health(assets: u128, liabilities: u128) -> Health {
        Health {
            maintenance: assets as i128 - liabilities as i128,
            maintenance_liabilities: liabilities,
            ..Health::default()
        }
    }

    fn on(threshold_bps: u16) -> Protection {
        Protection { threshold_bps, max_fraction_bps: 2_500, bonus_bps: 100, _padding: [0; 2] }
    }

    #[test]
    fn the_band_is_from_the_liquidation_line_to_the_threshold() {
        let p = on(11_000);
        // Ratio 1.0 (Maintenance exactly 0) is inside; 1.1 is not; 1.0999 is.
        assert!(in_band(&health(100 * ONE, 100 * ONE), &p));
        assert!(!in_band(&health(110 * ONE, 100 * ONE), &p));
        assert!(in_band(&health(110 * ONE - 1, 100 * ONE), &p));
        // Liquidatable, debt-free or opted out: never.
        assert!(!in_band(&health(100 * ONE - 1, 100 * ONE), &p));
        assert!(!in_band(&health(100 * ONE, 0), &p));
        assert!(!in_band(&health(105 * ONE, 100 * ONE), &Protection::default()));
        // Values near the top of the range compare exactly.
        let big = u128::MAX >> 2;
        assert!(in_band(&health(big, big - big / 20), &p));
    }

    #[test]
    fn the_ratio_must_strictly_rise() {
        let before = health(105 * ONE, 100 * ONE);
        assert!(ratio_rose(&before, &health(104 * ONE, 99 * ONE)));
        // Same ratio (both 1.05): no rise.
        assert!(!ratio_rose(&before, &health(105 * ONE / 2, 50 * ONE)));
        // Health up but the ratio down: 1.05 -> 1.04.
        assert!(!ratio_rose(&before, &health(208 * ONE, 200 * ONE)));
        assert!(ratio_rose(&before, &health(ONE, 0)));
    }

    #[test]
    fn protection_bounds() {
        use crate::{error::MarginError, state::MAX_PROTECTION_BONUS_BPS};
        assert_eq!(Protection::default().validate(), Ok(()));
        assert_eq!(on(11_000).validate(), Ok(()));
        let invalid = [
            on(10_000),
            on(30_001),
            Protection { max_fraction_bps: 0, ..on(11_000) },
            Protection { max_fraction_bps: 10_001, ..on(11_000) },
            Protection { bonus_bps: MAX_PROTECTION_BONUS_BPS + 1, ..on(11_000) },
            Protection { threshold_bps: 0, ..on(11_000) },
        ];
        for protection in invalid {
            assert_eq!(protection.validate(), Err(MarginError::InvalidProtection), "{protection:?}");
        }
    }
}
