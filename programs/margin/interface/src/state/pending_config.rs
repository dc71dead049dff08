use bytemuck::{Pod, Zeroable};

use super::{AccountType, PoolConfig};

/// A pool config change that tightens risk, waiting out its group's
/// `config_delay_secs` so users can react before it applies (anyone may apply it
/// after `apply_after`; the admin can replace or cancel it before).
///
/// PDA: `["pending_config", pool]`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct PendingPoolConfig {
    /// `PendingPoolConfig::DISCRIMINATOR`. ABI: offset 0.
    pub discriminator: [u8; 8],
    /// Layout version.
    pub version: u8,
    /// PDA bump.
    pub bump: u8,
    pub _padding0: [u8; 6],
    /// The pool the change is for. ABI: offset 16.
    pub pool: [u8; 32],
    /// Receives the rent when the change is applied or cancelled (the admin who queued it).
    pub rent_payer: [u8; 32],
    /// Unix time from which the change may be applied.
    pub apply_after: i64,
    /// The config that will replace the pool's.
    pub config: PoolConfig,
    /// Room for growth; zero.
    pub reserved: [u8; 32],
}

const _: () = assert!(core::mem::size_of::<PendingPoolConfig>() == 280);
const _: () = assert!(core::mem::align_of::<PendingPoolConfig>() == 8);
const _: () = assert!(core::mem::offset_of!(PendingPoolConfig, pool) == 16);
const _: () = assert!(core::mem::offset_of!(PendingPoolConfig, discriminator) == 0);

impl AccountType for PendingPoolConfig {
    const DISCRIMINATOR: [u8; 8] = *b"mrgPEND_";
}

impl PoolConfig {
    /// True when replacing `current` by `self` can only help users (or changes
    /// nothing that affects them), so it may apply at once: the emergency path.
    /// Everything else waits out the group's delay, because in one transaction an
    /// admin could otherwise cut a weight, raise the bonus, liquidate a healthy
    /// borrower from a second wallet and restore the config.
    ///
    /// Loosening means: asset weights not lower, liability weights not higher,
    /// bonuses (including the confidence bonus), close factor, liquidation target, dust threshold and every point of
    /// the rate curve not higher, fees not higher, the isolated-only flag not newly
    /// set, the same oracle (kind, address, verification rule) with an age and
    /// confidence limit not stricter (a wider confidence limit only without a
    /// confidence bonus) and a confidence multiplier not higher (or the
    /// pool's first oracle).
    /// Caps, the stress move, the age haircut and the insurance share of the bonus
    /// may move either way: caps, stress and the haircut only gate new risk (they
    /// never make an existing account liquidatable), so raising them is the
    /// admin's crisis brake.
    pub fn applies_immediately_over(&self, current: &PoolConfig) -> bool {
        let (new, old) = (self, current);
        let curve = |c: &super::RateCurve| {
            [c.base_rate_bps, c.kink_rate_bps[0], c.kink_rate_bps[1], c.kink_rate_bps[2], c.max_rate_bps]
        };
        let rates_not_higher = curve(&new.rate_curve).iter().zip(curve(&old.rate_curve)).all(|(n, o)| *n <= o)
            && new.rate_curve.kink_utilization_bps == old.rate_curve.kink_utilization_bps;
        let weights_looser = new.init_asset_weight_bps >= old.init_asset_weight_bps
            && new.maint_asset_weight_bps >= old.maint_asset_weight_bps
            && new.init_liab_weight_bps <= old.init_liab_weight_bps
            && new.maint_liab_weight_bps <= old.maint_liab_weight_bps;
        let liquidation_looser = new.liquidation_penalty_min_bps <= old.liquidation_penalty_min_bps
            && new.liquidation_penalty_max_bps <= old.liquidation_penalty_max_bps
            && new.liquidation_confidence_bonus_pct <= old.liquidation_confidence_bonus_pct
            && new.close_factor_bps <= old.close_factor_bps
            && new.liquidation_target_bps <= old.liquidation_target_bps
            && new.dust_threshold_micro_usd <= old.dust_threshold_micro_usd;
        let fees_not_higher = new.protocol_fee_bps <= old.protocol_fee_bps
            && new.insurance_fee_bps <= old.insurance_fee_bps
            && new.flash_fee_bps <= old.flash_fee_bps;
        let flags_not_added = new.flags & !old.flags == 0;
        let (no, oo) = (&new.oracle, &old.oracle);
        // A pool's first oracle prices positions nobody could borrow against yet.
        let first_oracle = oo.kind == super::OracleKind::None as u8;
        let oracle_looser = first_oracle
            || (no.kind == oo.kind
                && no.address == oo.address
                && no.require_full_verification == oo.require_full_verification
                && no.max_age_secs >= oo.max_age_secs
                && no.max_confidence_bps >= oo.max_confidence_bps
                // With a confidence bonus, wider accepted intervals raise bonuses.
                && (no.max_confidence_bps == oo.max_confidence_bps || new.liquidation_confidence_bonus_pct == 0)
                && no.confidence_multiplier_pct <= oo.confidence_multiplier_pct);
        rates_not_higher && weights_looser && liquidation_looser && fees_not_higher && flags_not_added && oracle_looser
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn priced() -> PoolConfig {
        let mut config: PoolConfig = bytemuck::Zeroable::zeroed();
        config.oracle.kind = super::super::OracleKind::PythPull as u8;
        config.oracle.max_confidence_bps = 200;
        config
    }

    #[test]
    fn a_higher_confidence_bonus_waits_and_so_does_a_wider_interval_while_it_is_on() {
        let current = priced();
        let with = |edit: fn(&mut PoolConfig)| {
            let mut new = current;
            edit(&mut new);
            new
        };
        // Raising the bonus is a tightening; lowering it is not.
        assert!(!with(|c| c.liquidation_confidence_bonus_pct = 100).applies_immediately_over(&current));
        let mut on = current;
        on.liquidation_confidence_bonus_pct = 100;
        assert!(current.applies_immediately_over(&on));
        // A wider accepted interval loosens without a bonus, but raises bonuses with one.
        assert!(with(|c| c.oracle.max_confidence_bps = 300).applies_immediately_over(&current));
        let mut wider = on;
        wider.oracle.max_confidence_bps = 300;
        assert!(!wider.applies_immediately_over(&on));
        // The age haircut only gates new risk: either way at once.
        assert!(with(|c| (c.age_haircut_start_secs, c.age_haircut_max_bps) = (10, 1_000))
            .applies_immediately_over(&current));
    }
}
