use borsh::{BorshDeserialize, BorshSerialize};
use bytemuck::{Pod, Zeroable};

use super::AccountType;
use crate::{error::MarginError, fixed, BPS};

/// Pool status: what users may do with it.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolStatus {
    /// Everything allowed.
    Active = 0,
    /// Deposits and new borrows refused; withdraw, repay and liquidation work.
    ReduceOnly = 1,
    /// Only repay and liquidation work.
    Paused = 2,
}

impl PoolStatus {
    /// Decodes the stored byte.
    pub const fn from_u8(value: u8) -> Option<Self> {
        match value {
            0 => Some(Self::Active),
            1 => Some(Self::ReduceOnly),
            2 => Some(Self::Paused),
            _ => None,
        }
    }
}

/// Which Pyth account format the pool's oracle uses.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OracleKind {
    /// No oracle yet: the pool takes deposits, but nothing can be borrowed against
    /// it or from it until the admin configures one.
    None = 0,
    /// Legacy Pyth push price account (`SolanaPriceAccount`); `address` is the account.
    PythLegacy = 1,
    /// Pyth pull `PriceUpdateV2` owned by the receiver program; `address` is the feed id.
    PythPull = 2,
}

/// Utilization-driven borrow rate: piecewise linear through
/// `(0, base) -> (kink[0]) -> (kink[1]) -> (kink[2]) -> (100%, max)`.
/// All rates are APR in basis points; utilizations in basis points of deposits.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable, BorshSerialize, BorshDeserialize)]
pub struct RateCurve {
    /// APR at 0% utilization (bps).
    pub base_rate_bps: u32,
    /// Utilization of each kink (bps), strictly increasing, each in (0, 10_000).
    pub kink_utilization_bps: [u32; 3],
    /// APR at each kink (bps), non-decreasing.
    pub kink_rate_bps: [u32; 3],
    /// APR at 100% utilization (bps); at most [`MAX_RATE_BPS`].
    pub max_rate_bps: u32,
}

const _: () = assert!(core::mem::size_of::<RateCurve>() == 32);

/// Highest APR a curve may reach: 150%. The borrow index is Q64.64 (at most 2^64x
/// its start); compounded every second at APR `r` it gets there after
/// `64 ln 2 / r` years: 29.6 years at 150% of uninterrupted full utilization (the
/// old 100,000% did it in 16 days). See `interest` for what happens beyond.
pub const MAX_RATE_BPS: u32 = 15_000;

/// Where prices come from and how far they may be trusted.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable, BorshSerialize, BorshDeserialize)]
pub struct OracleConfig {
    /// Legacy: the price account address. Pull: the 32-byte feed id.
    pub address: [u8; 32],
    /// Oldest acceptable publish time, in seconds before the current clock.
    pub max_age_secs: u32,
    /// Largest acceptable `conf / price`, in bps.
    pub max_confidence_bps: u16,
    /// `k` in `price -/+ k * conf`, in hundredths (100 = one confidence interval),
    /// at most [`MAX_CONFIDENCE_MULTIPLIER_PCT`].
    pub confidence_multiplier_pct: u16,
    /// [`OracleKind`] as a byte.
    pub kind: u8,
    /// Pull oracles: 1 = require full Wormhole verification, 0 = partial accepted.
    pub require_full_verification: u8,
    pub _padding: [u8; 6],
}

const _: () = assert!(core::mem::size_of::<OracleConfig>() == 48);

/// Everything the admin sets on a pool. Passed whole to `create_pool` and
/// `update_pool_config`, validated by [`PoolConfig::validate`].
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable, BorshSerialize, BorshDeserialize)]
pub struct PoolConfig {
    /// Borrow APR as a function of utilization.
    pub rate_curve: RateCurve,
    /// Price source.
    pub oracle: OracleConfig,
    /// Largest total deposits, native units.
    pub deposit_cap: u64,
    /// Largest total debt, native units.
    pub borrow_cap: u64,
    /// Share of interest kept by the protocol (bps).
    pub protocol_fee_bps: u16,
    /// Share of interest paid into the insurance fund (bps).
    pub insurance_fee_bps: u16,
    /// Collateral weight for opening debt and withdrawing (bps, <= maintenance).
    pub init_asset_weight_bps: u16,
    /// Collateral weight for the liquidation threshold (bps, <= 10_000).
    pub maint_asset_weight_bps: u16,
    /// Debt weight for opening debt (bps, >= maintenance).
    pub init_liab_weight_bps: u16,
    /// Debt weight for the liquidation threshold (bps, >= 10_000).
    pub maint_liab_weight_bps: u16,
    /// Liquidation bonus at the edge of maintenance health (bps of repaid value).
    pub liquidation_penalty_min_bps: u16,
    /// Liquidation bonus for a deeply unhealthy account (bps, >= min, at most
    /// [`MAX_LIQUIDATION_PENALTY_BPS`], and `(1 + max) * maint_asset_weight <= 99%`:
    /// [`MIN_LIQUIDATION_GAIN_BPS`]).
    pub liquidation_penalty_max_bps: u16,
    /// Share of the liquidation bonus paid to the insurance fund (bps).
    pub liquidation_insurance_share_bps: u16,
    /// Largest fraction of a debt one liquidation may repay (bps).
    pub close_factor_bps: u16,
    /// Bit 0: usable as collateral only in isolated accounts.
    pub flags: u16,
    pub _padding: [u8; 2],
    /// Positions worth less than this (micro-USD) may be liquidated in full.
    pub dust_threshold_micro_usd: u64,
    /// Liquidations repaying this pool's debt stop once Maintenance health reaches
    /// this fraction (bps) of the account's weighted maintenance liabilities before
    /// the liquidation: no over-liquidation.
    pub liquidation_target_bps: u16,
    /// Adverse move (bps) a risk-adding action must survive: Maintenance health
    /// stays >= 0 with every asset at price x (1 - stress), every liability at x
    /// (1 + stress). 0 = only the confidence term below. At most [`MAX_STRESS_BPS`].
    pub stress_bps: u16,
    /// Widens the stress with the market: effective stress = max(`stress_bps`,
    /// this / 100 x EMA confidence / EMA price). At most
    /// [`MAX_STRESS_CONFIDENCE_MULTIPLIER_PCT`]; 0 turns it off.
    pub stress_confidence_multiplier_pct: u16,
    /// Bonus on top of the dynamic liquidation bonus per EMA confidence interval
    /// of the seized collateral: `this / 100 x ema_conf / ema_price`. The bonus
    /// stays capped by `liquidation_penalty_max_bps`. At most
    /// [`MAX_LIQUIDATION_CONFIDENCE_BONUS_PCT`]; 0 turns it off.
    pub liquidation_confidence_bonus_pct: u16,
    /// Oracle age (seconds) from which Initial health haircuts this pool's
    /// collateral and marks up its debt, growing linearly to
    /// `age_haircut_max_bps` at the oracle's `max_age_secs`. Below
    /// `max_age_secs`; ignored while the haircut is 0. Maintenance never
    /// haircuts: a liquidator must not gain by waiting for a price to age.
    pub age_haircut_start_secs: u32,
    /// Haircut (bps) at the hard age: Initial asset weights x (1 - h), liability
    /// weights x (1 + h). At most [`MAX_AGE_HAIRCUT_BPS`]; 0 turns it off.
    pub age_haircut_max_bps: u16,
    /// Fee (bps of the amount, rounded up) on a borrow made inside a flash loan
    /// (the health check deferred to `flash_end`): added to the debt and paid to
    /// the insurance fund. At most [`MAX_FLASH_FEE_BPS`]; 0 = free. A lower fee
    /// applies at once, a higher one waits out the delay like every fee.
    pub flash_fee_bps: u16,
    /// Isolation debt ceiling of an isolated-only collateral pool: the most debt
    /// (micro-USD, each borrow valued at its oracle price when it was made)
    /// isolated accounts may owe against this collateral at once; borrows past it
    /// are refused (`IsolationDebtCeilingExceeded`). 0 = no ceiling. The tally
    /// (`Pool::isolated_debt_micro_usd`) is kept whatever the ceiling. Applies at
    /// once: it only gates new borrows.
    pub isolated_debt_ceiling_micro_usd: u64,
    /// Room for growth; zero.
    pub reserved: [u8; 8],
}

const _: () = assert!(core::mem::size_of::<PoolConfig>() == 160);

/// `PoolConfig::flags` bit: the asset counts as collateral only in isolated accounts.
pub const POOL_FLAG_ISOLATED_ONLY: u16 = 1;

/// Largest `liquidation_penalty_max_bps`: 20%.
pub const MAX_LIQUIDATION_PENALTY_BPS: u16 = 2_000;

/// Largest liability weight: 300%. With a stress of up to 100% the stressed
/// weight (x 2) still fits the `u16` the health engine folds weights into.
pub const MAX_LIAB_WEIGHT_BPS: u16 = 30_000;

/// Largest `stress_bps`: 90% (an asset stressed to a tenth of its price).
pub const MAX_STRESS_BPS: u16 = 9_000;

/// Largest `stress_confidence_multiplier_pct`: 10x the EMA confidence interval.
pub const MAX_STRESS_CONFIDENCE_MULTIPLIER_PCT: u16 = 1_000;

/// Largest `liquidation_confidence_bonus_pct`: 10x the confidence ratio.
pub const MAX_LIQUIDATION_CONFIDENCE_BONUS_PCT: u16 = 1_000;

/// Largest `flash_fee_bps`: 1%.
pub const MAX_FLASH_FEE_BPS: u16 = 100;

/// Largest `age_haircut_max_bps`: 50% (the marked-up liability weight stays
/// within `u16` at [`MAX_LIAB_WEIGHT_BPS`]).
pub const MAX_AGE_HAIRCUT_BPS: u16 = 5_000;

/// Least Maintenance health a liquidation must gain per repaid dollar at the
/// maximum bonus, bps: `(1 + max bonus) * maint asset weight <= 99%`.
pub const MIN_LIQUIDATION_GAIN_BPS: u64 = 100;

/// Largest `confidence_multiplier_pct`: prices may be pushed by at most three
/// confidence intervals.
pub const MAX_CONFIDENCE_MULTIPLIER_PCT: u16 = 300;

/// [`BPS`] at the width of the bps fields.
const BPS_U16: u16 = 10_000;
const _: () = assert!(BPS_U16 as u64 == BPS);

impl PoolConfig {
    /// Checks every bound; the admin gets the specific error of the first violation.
    /// Liquidation bounds (`InvalidConfig`): penalty min <= max <=
    /// [`MAX_LIQUIDATION_PENALTY_BPS`] and `(BPS + penalty max) * maint asset weight
    /// < BPS^2`.
    pub fn validate(&self) -> Result<(), MarginError> {
        let bps = BPS_U16;
        let weights_ok = self.init_asset_weight_bps <= self.maint_asset_weight_bps
            && self.maint_asset_weight_bps <= bps
            && self.maint_liab_weight_bps >= bps
            && self.init_liab_weight_bps >= self.maint_liab_weight_bps
            && self.init_liab_weight_bps <= MAX_LIAB_WEIGHT_BPS;
        if !weights_ok {
            return Err(MarginError::InvalidWeights);
        }
        // Saturating: a sum past u16::MAX is past BPS all the same.
        if self.protocol_fee_bps.saturating_add(self.insurance_fee_bps) >= bps {
            return Err(MarginError::InvalidFees);
        }
        self.rate_curve.validate()?;
        // Every liquidation at the maximum bonus must raise Maintenance health by at
        // least MIN_LIQUIDATION_GAIN_BPS of the repaid value, for any debt pool: a
        // repaid dollar frees `w_liab >= 1`, the collateral seized for it costs
        // `(1 + max bonus) * w_asset`. The margin keeps the liquidation rounding
        // floor (`liquidation::min_repay`) to a few native units.
        #[allow(clippy::arithmetic_side_effects)] // u16 fields: (BPS + penalty) * weight < 2^33
        let bonus_costs_less_than_a_dollar = (BPS + self.liquidation_penalty_max_bps as u64)
            * (self.maint_asset_weight_bps as u64)
            <= BPS * (BPS - MIN_LIQUIDATION_GAIN_BPS);
        let liquidation_ok = self.liquidation_penalty_min_bps <= self.liquidation_penalty_max_bps
            && self.liquidation_penalty_max_bps <= MAX_LIQUIDATION_PENALTY_BPS
            && bonus_costs_less_than_a_dollar
            && self.liquidation_insurance_share_bps <= bps
            && self.close_factor_bps <= bps
            && self.close_factor_bps > 0
            && self.liquidation_target_bps <= bps
            && self.stress_bps <= MAX_STRESS_BPS
            && self.stress_confidence_multiplier_pct <= MAX_STRESS_CONFIDENCE_MULTIPLIER_PCT
            && self.liquidation_confidence_bonus_pct <= MAX_LIQUIDATION_CONFIDENCE_BONUS_PCT
            && self.age_haircut_max_bps <= MAX_AGE_HAIRCUT_BPS
            && self.flash_fee_bps <= MAX_FLASH_FEE_BPS
            && (self.age_haircut_max_bps == 0 || self.age_haircut_start_secs < self.oracle.max_age_secs)
            && self.flags & !POOL_FLAG_ISOLATED_ONLY == 0;
        if !liquidation_ok {
            return Err(MarginError::InvalidConfig);
        }
        self.oracle.validate()
    }
}

impl RateCurve {
    /// Kink utilizations strictly increasing inside (0, 100%); rates non-decreasing
    /// from base to max; max within [`MAX_RATE_BPS`].
    pub fn validate(&self) -> Result<(), MarginError> {
        let u = self.kink_utilization_bps;
        let r = self.kink_rate_bps;
        let utilizations_ok = 0 < u[0] && u[0] < u[1] && u[1] < u[2] && u[2] < u32::from(BPS_U16);
        let rates_ok = self.base_rate_bps <= r[0]
            && r[0] <= r[1]
            && r[1] <= r[2]
            && r[2] <= self.max_rate_bps
            && self.max_rate_bps <= MAX_RATE_BPS;
        if utilizations_ok && rates_ok {
            Ok(())
        } else {
            Err(MarginError::InvalidRateCurve)
        }
    }
}

impl OracleConfig {
    /// Known kind, positive age limit, confidence limit within 100%, multiplier
    /// within [`MAX_CONFIDENCE_MULTIPLIER_PCT`].
    pub fn validate(&self) -> Result<(), MarginError> {
        let ok = self.confidence_multiplier_pct <= MAX_CONFIDENCE_MULTIPLIER_PCT
            && match self.kind {
                k if k == OracleKind::None as u8 => true,
                k if k == OracleKind::PythLegacy as u8 || k == OracleKind::PythPull as u8 => {
                    self.max_age_secs > 0
                        && self.max_confidence_bps as u64 <= BPS
                        && self.require_full_verification <= 1
                }
                _ => false,
            };
        if ok {
            Ok(())
        } else {
            Err(MarginError::InvalidOracleConfig)
        }
    }
}

/// One lending pool: a mint's vault, its share accounting and its parameters.
///
/// PDA: `["pool", group, mint]`. The vault is the token account PDA
/// `["vault", pool]`, owned by the authority PDA `["vault_authority", pool]`.
///
/// Amounts are in the mint's native units. A deposit share is worth
/// `deposit_share_value` native units; a debt share `borrow_share_value`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct Pool {
    /// `Pool::DISCRIMINATOR`. ABI: offset 0.
    pub discriminator: [u8; 8],
    /// Layout version.
    pub version: u8,
    /// [`PoolStatus`] as a byte.
    pub status: u8,
    /// Decimals of `mint`.
    pub mint_decimals: u8,
    /// Bump of the pool PDA.
    pub bump: u8,
    /// Bump of the vault PDA.
    pub vault_bump: u8,
    /// Bump of the vault authority PDA.
    pub vault_authority_bump: u8,
    pub _padding0: [u8; 2],
    /// Owning group. ABI: offset 16.
    pub group: [u8; 32],
    /// Token mint. ABI: offset 48.
    pub mint: [u8; 32],
    /// SPL Token or Token-2022: whichever owns `mint`.
    pub token_program: [u8; 32],
    /// Vault token account.
    pub vault: [u8; 32],
    /// Owner of the vault (PDA); signs transfers out.
    pub vault_authority: [u8; 32],
    /// Native units per deposit share, Q64.64.
    pub deposit_share_value: [u8; 16],
    /// Native units per debt share, Q64.64.
    pub borrow_share_value: [u8; 16],
    /// Protocol fees not yet collected, native units Q64.64.
    pub protocol_fees: [u8; 16],
    /// Insurance fund balance, native units Q64.64.
    pub insurance_fund: [u8; 16],
    /// Sum of every account's deposit shares.
    pub total_deposit_shares: u64,
    /// Sum of every account's debt shares.
    pub total_borrow_shares: u64,
    /// Unix time (seconds) interest was last accrued to.
    pub last_accrual_ts: i64,
    /// Admin parameters.
    pub config: PoolConfig,
    /// Newest oracle publish time any instruction has read for this pool (unix
    /// seconds). Prices published before it are refused, so nobody can pick an
    /// older price that is still within `max_age_secs` (pull updates are many).
    pub newest_publish_time: i64,
    /// Isolated-only pools: debt isolated accounts owe against this collateral
    /// (micro-USD at each borrow's price), the sum of those accounts'
    /// `MarginAccountHeader::isolated_debt_micro_usd`; capped by
    /// `config.isolated_debt_ceiling_micro_usd`. See `crate::isolation`.
    pub isolated_debt_micro_usd: u64,
    /// Room for growth; zero.
    pub reserved: [u8; 72],
}

const _: () = assert!(core::mem::size_of::<Pool>() == 512);
const _: () = assert!(core::mem::align_of::<Pool>() == 8);
// The ABI offsets the field docs state (clients filter accounts by them).
const _: () = assert!(core::mem::offset_of!(Pool, discriminator) == 0);
const _: () = assert!(core::mem::offset_of!(Pool, group) == 16);
const _: () = assert!(core::mem::offset_of!(Pool, mint) == 48);

impl AccountType for Pool {
    const DISCRIMINATOR: [u8; 8] = *b"mrgPOOL_";
}

impl Pool {
    /// What no config change may do to this pool, queued or not: remove its
    /// oracle once set (`OracleCannotBeRemoved`), or lift the isolated-only flag
    /// while its isolation tally is non-zero (`IsolatedDebtOutstanding`: debt
    /// borrowed without the flag would mix with tallied debt, and repaying it would
    /// release ceiling room that is still owed).
    pub fn check_config_change(&self, new: &PoolConfig) -> Result<(), MarginError> {
        let (old, none) = (&self.config, super::OracleKind::None as u8);
        if new.oracle.kind == none && old.oracle.kind != none {
            return Err(MarginError::OracleCannotBeRemoved);
        }
        let lifted = old.flags & POOL_FLAG_ISOLATED_ONLY != 0 && new.flags & POOL_FLAG_ISOLATED_ONLY == 0;
        if lifted && self.isolated_debt_micro_usd != 0 {
            return Err(MarginError::IsolatedDebtOutstanding);
        }
        Ok(())
    }

    /// Native units per deposit share (Q64.64).
    pub fn deposit_share_value(&self) -> u128 {
        fixed::load(&self.deposit_share_value)
    }

    /// Native units per debt share (Q64.64).
    pub fn borrow_share_value(&self) -> u128 {
        fixed::load(&self.borrow_share_value)
    }

    /// Total deposits, native units, rounded down.
    pub fn total_deposits(&self) -> Result<u128, MarginError> {
        fixed::mul_q64_floor(self.total_deposit_shares, self.deposit_share_value()).ok_or(MarginError::MathOverflow)
    }

    /// Total debt, native units, rounded up.
    pub fn total_debt(&self) -> Result<u128, MarginError> {
        fixed::mul_q64_ceil(self.total_borrow_shares, self.borrow_share_value()).ok_or(MarginError::MathOverflow)
    }

    /// Uncollected protocol fees, whole native units (rounded down).
    pub fn protocol_fees_native(&self) -> u64 {
        (fixed::load(&self.protocol_fees) >> 64) as u64
    }

    /// Insurance fund, whole native units (rounded down).
    pub fn insurance_fund_native(&self) -> u64 {
        (fixed::load(&self.insurance_fund) >> 64) as u64
    }

    /// Refuses unless the pool is Active (actions that add exposure: deposits,
    /// borrows, collateral moves).
    pub fn require_active(&self) -> Result<(), MarginError> {
        match self.status() {
            PoolStatus::Active => Ok(()),
            PoolStatus::ReduceOnly => Err(MarginError::PoolReduceOnly),
            PoolStatus::Paused => Err(MarginError::PoolPaused),
        }
    }

    /// Decoded status; an unknown byte reads as paused (fail closed).
    pub fn status(&self) -> PoolStatus {
        PoolStatus::from_u8(self.status).unwrap_or(PoolStatus::Paused)
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)] // test code
mod tests {
    use super::*;

    /// A valid config (the client's default shape).
    fn valid() -> PoolConfig {
        let mut config = PoolConfig::zeroed();
        config.rate_curve = RateCurve {
            base_rate_bps: 0,
            kink_utilization_bps: [5_000, 8_000, 9_000],
            kink_rate_bps: [400, 1_000, 3_000],
            max_rate_bps: 15_000,
        };
        config.oracle.confidence_multiplier_pct = 100;
        config.init_asset_weight_bps = 8_000;
        config.maint_asset_weight_bps = 8_500;
        config.init_liab_weight_bps = 11_000;
        config.maint_liab_weight_bps = 10_500;
        config.liquidation_penalty_min_bps = 200;
        config.liquidation_penalty_max_bps = 1_000;
        config.close_factor_bps = 5_000;
        config
    }

    fn with(change: impl FnOnce(&mut PoolConfig)) -> Result<(), MarginError> {
        let mut config = valid();
        change(&mut config);
        config.validate()
    }

    #[test]
    fn max_bonus_times_asset_weight_must_stay_at_most_99_percent() {
        assert_eq!(valid().validate(), Ok(()));
        let set = |max_bonus: u16, weight: u16| {
            with(|c| {
                (c.liquidation_penalty_min_bps, c.liquidation_penalty_max_bps) = (0, max_bonus);
                (c.init_asset_weight_bps, c.maint_asset_weight_bps) = (0, weight);
            })
        };
        // (1 + 0) * 0.99 is the edge; one bps more of weight is refused.
        assert_eq!(set(0, 9_900), Ok(()));
        assert_eq!(set(0, 9_901), Err(MarginError::InvalidConfig));
        // 1.1 * 0.9 = 0.99 exactly; one bps more of bonus is refused.
        assert_eq!(set(1_000, 9_000), Ok(()));
        assert_eq!(set(1_001, 9_000), Err(MarginError::InvalidConfig));
        // At the 20% cap: 1.2 * 0.8250 = 0.99 < 1.2 * 0.8251.
        assert_eq!(set(2_000, 8_250), Ok(()));
        assert_eq!(set(2_000, 8_251), Err(MarginError::InvalidConfig));
    }

    #[test]
    fn penalty_and_confidence_multiplier_caps() {
        let penalty = |max: u16| {
            with(|c| (c.init_asset_weight_bps, c.maint_asset_weight_bps, c.liquidation_penalty_max_bps) = (0, 0, max))
        };
        assert_eq!(penalty(MAX_LIQUIDATION_PENALTY_BPS), Ok(()));
        assert_eq!(penalty(MAX_LIQUIDATION_PENALTY_BPS + 1), Err(MarginError::InvalidConfig));
        let multiplier = |pct: u16| with(|c| c.oracle.confidence_multiplier_pct = pct);
        assert_eq!(multiplier(MAX_CONFIDENCE_MULTIPLIER_PCT), Ok(()));
        assert_eq!(multiplier(MAX_CONFIDENCE_MULTIPLIER_PCT + 1), Err(MarginError::InvalidOracleConfig));
    }

    #[test]
    fn liability_weight_cap_keeps_stressed_weights_in_u16() {
        let weight = |w: u16| with(|c| (c.maint_liab_weight_bps, c.init_liab_weight_bps) = (10_500, w));
        assert_eq!(weight(MAX_LIAB_WEIGHT_BPS), Ok(()));
        assert_eq!(weight(MAX_LIAB_WEIGHT_BPS + 1), Err(MarginError::InvalidWeights));
    }

    #[test]
    fn age_haircut_and_confidence_bonus_bounds() {
        let haircut = |start: u32, max: u16| {
            with(|c| (c.oracle.max_age_secs, c.age_haircut_start_secs, c.age_haircut_max_bps) = (60, start, max))
        };
        assert_eq!(haircut(59, MAX_AGE_HAIRCUT_BPS), Ok(()));
        assert_eq!(haircut(59, MAX_AGE_HAIRCUT_BPS + 1), Err(MarginError::InvalidConfig));
        // The haircut must start before the hard age; a start is ignored while off.
        assert_eq!(haircut(60, 100), Err(MarginError::InvalidConfig));
        assert_eq!(haircut(60, 0), Ok(()));
        let bonus = |pct: u16| with(|c| c.liquidation_confidence_bonus_pct = pct);
        assert_eq!(bonus(MAX_LIQUIDATION_CONFIDENCE_BONUS_PCT), Ok(()));
        assert_eq!(bonus(MAX_LIQUIDATION_CONFIDENCE_BONUS_PCT + 1), Err(MarginError::InvalidConfig));
    }

    #[test]
    fn rate_cap() {
        assert_eq!(with(|c| c.rate_curve.max_rate_bps = MAX_RATE_BPS), Ok(()));
        assert_eq!(with(|c| c.rate_curve.max_rate_bps = MAX_RATE_BPS + 1), Err(MarginError::InvalidRateCurve));
    }
}
