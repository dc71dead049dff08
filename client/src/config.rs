//! Ready-made pool configurations for integrators, the demo and tests.

use margin_interface::state::{OracleConfig, OracleKind, PoolConfig, RateCurve};

/// A conservative blue-chip configuration: 80%/85% collateral weights, 110%/105%
/// liability weights, liquidations stop at 5% of liabilities above zero health, a curve of 0% -> 4% at 50% -> 10% at 80% -> 30% at 90% -> 150%
/// at 100% utilization, 10% protocol and 5% insurance fee, no caps, no oracle yet.
pub fn default_pool_config() -> PoolConfig {
    PoolConfig {
        rate_curve: RateCurve {
            base_rate_bps: 0,
            kink_utilization_bps: [5_000, 8_000, 9_000],
            kink_rate_bps: [400, 1_000, 3_000],
            max_rate_bps: 15_000,
        },
        oracle: OracleConfig {
            address: [0; 32],
            max_age_secs: 60,
            max_confidence_bps: 200,
            confidence_multiplier_pct: 100,
            kind: OracleKind::None as u8,
            require_full_verification: 1,
            _padding: [0; 6],
        },
        deposit_cap: u64::MAX,
        borrow_cap: u64::MAX,
        protocol_fee_bps: 1_000,
        insurance_fee_bps: 500,
        init_asset_weight_bps: 8_000,
        maint_asset_weight_bps: 8_500,
        init_liab_weight_bps: 11_000,
        maint_liab_weight_bps: 10_500,
        liquidation_penalty_min_bps: 200,
        liquidation_penalty_max_bps: 1_000,
        liquidation_insurance_share_bps: 2_000,
        close_factor_bps: 5_000,
        flags: 0,
        _padding: [0; 2],
        dust_threshold_micro_usd: 1_000_000,
        liquidation_target_bps: 500,
        // Off by default: a pool's stress move is the risk admin's call (the demo
        // sets SOL 35%, USDC 2%).
        stress_bps: 0,
        stress_confidence_multiplier_pct: 0,
        // Off by default too: both are per-market risk choices.
        liquidation_confidence_bonus_pct: 0,
        age_haircut_start_secs: 0,
        age_haircut_max_bps: 0,
        // Flash borrows are free unless the market charges for them.
        flash_fee_bps: 0,
        // No isolation debt ceiling: a per-market choice for isolated-only pools.
        isolated_debt_ceiling_micro_usd: 0,
        reserved: [0; 8],
    }
}
