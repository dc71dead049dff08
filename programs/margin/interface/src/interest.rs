//! Utilization, the borrow rate curve and interest accrual. One copy, run by the
//! program on every pool it touches and by clients to project balances.
//!
//! Accrual over a gap `dt` is simple interest at the rate of the utilization at the
//! start of the gap: `borrow_value *= 1 + apr * dt / year`. The interest is split:
//! protocol and insurance fees (fractions of interest, kept in Q64.64 native units)
//! and the rest raises the deposit share value. Rounding: the borrow index rounds
//! up, fees and the deposit index round down, so the books never promise depositors
//! more than borrowers owe.
//!
//! Range. Share values are Q64.64, so an index can reach 2^64 (~1.8e19) times its
//! start of 1.0. Accrued every second (the most often possible, which is continuous
//! compounding) at APR `r`, the borrow index gets there after `64 ln 2 / r =
//! 44.36 / r` years: 29.6 years at [`MAX_RATE_BPS`] (150%), 14.8 at 300%, 16 days
//! at 100,000%. One accrual over a long gap is simple interest and far below that
//! (151x for a century at 150%). The deposit index grows no faster than the
//! borrow index while deposits cover the debt.
//!
//! Intermediate products are 256 bits wide, so only a result that does not fit
//! fails to be exact. Such a result saturates instead of failing: the borrow and
//! deposit indices stop at [`MAX_SHARE_VALUE`] and the fee buckets at `u128::MAX`.
//! Every instruction (repay and liquidation included) accrues first, so an error
//! here would brick the pool; a saturated index only stops interest on a debt that
//! is by then far beyond any token supply.
//!
//! [`MAX_RATE_BPS`]: crate::state::MAX_RATE_BPS

use crate::{
    error::MarginError,
    fixed,
    state::{Pool, RateCurve},
    BPS, SECONDS_PER_YEAR,
};

/// Largest share value (Q64.64): where the indices saturate.
pub const MAX_SHARE_VALUE: u128 = u128::MAX;

/// Utilization scale: 1.0 = `UTILIZATION_ONE`.
pub const UTILIZATION_ONE: u64 = 1_000_000_000;
/// Rate scale: an APR of 1.0 (100%) = `RATE_ONE`.
pub const RATE_ONE: u64 = 1_000_000_000;
const BPS_TO_SCALED: u64 = RATE_ONE / BPS;
/// Divisor of `rate * elapsed` in accrual: an APR of 1.0 over a year.
const RATE_ONE_YEAR: u64 = RATE_ONE * SECONDS_PER_YEAR;

/// `debt / deposits` in units of 1e-9, capped at 1.0 (debt above deposits can only
/// arise from bad debt not yet written off).
// Divisors are non-zero (total_deposits > 0, `.max(1)`) and both quotients are at
// most 1e9 (debt < deposits, `.min`).
#[allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)]
pub fn utilization(total_debt: u128, total_deposits: u128) -> u64 {
    if total_deposits == 0 || total_debt >= total_deposits {
        return if total_debt == 0 { 0 } else { UTILIZATION_ONE };
    }
    // total_debt < total_deposits, so the quotient is below 1e9.
    match total_debt.checked_mul(UTILIZATION_ONE as u128) {
        Some(scaled) => (scaled / total_deposits) as u64,
        None => (total_debt / (total_deposits / UTILIZATION_ONE as u128).max(1)).min(UTILIZATION_ONE as u128) as u64,
    }
}

impl RateCurve {
    /// APR (units of 1e-9) at `utilization` (units of 1e-9), by linear
    /// interpolation between the curve's points.
    // Points are u32 bps times 1e5 (< 2^49); validated curves have u0 < u1, and
    // u0 <= u <= u1 makes rise / span <= r1 - r0, so r0 + it <= r1.
    #[allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)]
    pub fn borrow_rate(&self, utilization: u64) -> u64 {
        let points = [
            (0u64, self.base_rate_bps),
            (self.kink_utilization_bps[0] as u64, self.kink_rate_bps[0]),
            (self.kink_utilization_bps[1] as u64, self.kink_rate_bps[1]),
            (self.kink_utilization_bps[2] as u64, self.kink_rate_bps[2]),
            (BPS, self.max_rate_bps),
        ];
        let u = utilization.min(UTILIZATION_ONE);
        let mut rate = self.max_rate_bps as u64 * BPS_TO_SCALED;
        for pair in points.windows(2) {
            let (u0, r0) = (pair[0].0 * BPS_TO_SCALED, pair[0].1 as u64 * BPS_TO_SCALED);
            let (u1, r1) = (pair[1].0 * BPS_TO_SCALED, pair[1].1 as u64 * BPS_TO_SCALED);
            if u <= u1 {
                // Validated curves have u0 < u1 and r0 <= r1. Products stay below
                // 1e16 * 1e9, inside u128.
                let span = (u1 - u0).max(1) as u128;
                let rise = r1.saturating_sub(r0) as u128 * (u - u0.min(u)) as u128;
                rate = r0 + (rise / span) as u64;
                break;
            }
        }
        rate
    }
}

/// What one accrual did, for logs and the keeper.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Accrual {
    /// Seconds accrued.
    pub elapsed: u64,
    /// APR used, units of 1e-9.
    pub rate: u64,
    /// Interest charged to borrowers, native units Q64.64.
    pub interest: u128,
}

impl Pool {
    /// Current borrow APR (1e-9 units) from current utilization.
    pub fn current_borrow_rate(&self) -> Result<u64, MarginError> {
        let utilization = utilization(self.total_debt()?, self.total_deposits()?);
        Ok(self.config.rate_curve.borrow_rate(utilization))
    }

    /// Deposit and borrow share values (Q64.64) as accruing to `now` would leave
    /// them, without writing: health values every position at `now`, also in pools
    /// the instruction does not touch (a pool nobody accrued for a year must not
    /// let its debtors borrow against a year-old debt). Free when the pool is
    /// already accrued to `now` or has no debt.
    pub fn share_values_at(&self, now: i64) -> Result<(u128, u128), MarginError> {
        if now <= self.last_accrual_ts || self.total_borrow_shares == 0 {
            return Ok((self.deposit_share_value(), self.borrow_share_value()));
        }
        let mut projected = *self;
        projected.accrue(now)?;
        Ok((projected.deposit_share_value(), projected.borrow_share_value()))
    }

    /// Brings the pool's share values and fee buckets up to `now`. A no-op when no
    /// time has passed (or the clock went backwards). See the module docs for the
    /// formula, rounding and saturation; it does not fail on large values.
    pub fn accrue(&mut self, now: i64) -> Result<Accrual, MarginError> {
        let elapsed = now.saturating_sub(self.last_accrual_ts);
        if elapsed <= 0 {
            return Ok(Accrual::default());
        }
        let elapsed = elapsed as u64;
        self.last_accrual_ts = now;
        let rate = self.current_borrow_rate()?;
        if self.total_borrow_shares == 0 || rate == 0 {
            return Ok(Accrual { elapsed, rate, interest: 0 });
        }
        let borrow_value = self.borrow_share_value();
        // Index growth: borrow_value * (rate * elapsed) / (RATE_ONE * year), rounded
        // up, in one 256-bit product (rate * elapsed < 2^64 * 2^63).
        let (quotient, rest) = U256::mul(borrow_value, fixed::mul_64x64(rate, elapsed)).div_rem(RATE_ONE_YEAR);
        let headroom = MAX_SHARE_VALUE.saturating_sub(borrow_value);
        let growth =
            quotient.to_u128().and_then(|g| g.checked_add((rest != 0) as u128)).map_or(headroom, |g| g.min(headroom));
        let borrow_shares = self.total_borrow_shares;

        // Interest in native units Q64.64 = debt shares * index growth (< 2^192).
        let interest = U256::mul(growth, borrow_shares as u128);
        let fee = |bps: u16| U256::mul(growth, fixed::mul_64x64(borrow_shares, bps as u64)).div_rem(BPS).0;
        let (protocol_fee, insurance_fee) = (fee(self.config.protocol_fee_bps), fee(self.config.insurance_fee_bps));
        let protocol_fee = if self.total_deposit_shares == 0 {
            // Nobody to pay: the depositors' part goes to the protocol.
            interest.saturating_sub(insurance_fee)
        } else {
            let to_depositors = interest.saturating_sub(protocol_fee).saturating_sub(insurance_fee);
            let raise = to_depositors.div_rem(self.total_deposit_shares).0.saturating_u128();
            self.deposit_share_value = fixed::store(self.deposit_share_value().saturating_add(raise));
            protocol_fee
        };
        // growth <= headroom: this never saturates.
        self.borrow_share_value = fixed::store(borrow_value.saturating_add(growth));
        let fees = fixed::load(&self.protocol_fees).saturating_add(protocol_fee.saturating_u128());
        self.protocol_fees = fixed::store(fees);
        let insurance = fixed::load(&self.insurance_fund).saturating_add(insurance_fee.saturating_u128());
        self.insurance_fund = fixed::store(insurance);
        Ok(Accrual { elapsed, rate, interest: interest.saturating_u128() })
    }
}

/// Unsigned 256-bit integer (high, low halves): just what accrual needs so that no
/// intermediate product overflows. Off the hot path (once per pool per instruction).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct U256 {
    high: u128,
    low: u128,
}

impl U256 {
    /// The exact product `a * b`.
    // The product is below 2^256, so the high half's sum cannot overflow.
    #[allow(clippy::arithmetic_side_effects)]
    fn mul(a: u128, b: u128) -> Self {
        let (a0, a1, b0, b1) = (fixed::low_u64(a), (a >> 64) as u64, fixed::low_u64(b), (b >> 64) as u64);
        if a1 == 0 && b1 == 0 {
            return Self { high: 0, low: fixed::mul_64x64(a0, b0) };
        }
        let (cross, cross_carry) = fixed::mul_64x64(a0, b1).overflowing_add(fixed::mul_64x64(a1, b0));
        let (low, low_carry) = fixed::mul_64x64(a0, b0).overflowing_add(cross << 64);
        // The product is below 2^256, so the high half cannot overflow.
        let high = fixed::mul_64x64(a1, b1) + (cross >> 64) + ((cross_carry as u128) << 64) + low_carry as u128;
        Self { high, low }
    }

    /// Quotient and remainder by a non-zero `divisor`, limb by limb.
    // divisor >= 1 (`.max(1)`); remainder < divisor < 2^64, so each quotient digit
    // and the remainder fit u64.
    #[allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)]
    fn div_rem(self, divisor: u64) -> (Self, u64) {
        let divisor = divisor.max(1) as u128;
        if self.high == 0 {
            // The usual case (any real pool): one 128-bit division, not four.
            return (Self { high: 0, low: self.low / divisor }, (self.low % divisor) as u64);
        }
        let limbs = [(self.high >> 64) as u64, self.high as u64, (self.low >> 64) as u64, self.low as u64];
        let mut quotient = [0u64; 4];
        let mut remainder = 0u128;
        for (digit, limb) in quotient.iter_mut().zip(limbs) {
            // remainder < divisor < 2^64, so this fits.
            let current = (remainder << 64) | limb as u128;
            *digit = (current / divisor) as u64;
            remainder = current % divisor;
        }
        let join = |high: u64, low: u64| ((high as u128) << 64) | low as u128;
        (Self { high: join(quotient[0], quotient[1]), low: join(quotient[2], quotient[3]) }, remainder as u64)
    }

    /// `self - other`, or zero if `other` is larger.
    // self > other: the high halves' difference minus the borrow cannot underflow.
    #[allow(clippy::arithmetic_side_effects)]
    fn saturating_sub(self, other: Self) -> Self {
        if self <= other {
            return Self { high: 0, low: 0 };
        }
        let (low, borrow) = self.low.overflowing_sub(other.low);
        Self { high: self.high - other.high - borrow as u128, low }
    }

    fn to_u128(self) -> Option<u128> {
        (self.high == 0).then_some(self.low)
    }

    fn saturating_u128(self) -> u128 {
        self.to_u128().unwrap_or(u128::MAX)
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)] // test code
mod tests {
    use bytemuck::Zeroable;

    use super::*;
    use crate::{fixed::ONE, state::MAX_RATE_BPS};

    /// A pool with a flat curve at `rate_bps`, 10% protocol and 5% insurance fee.
    fn pool(rate_bps: u32, borrow_shares: u64, deposit_shares: u64) -> Pool {
        let mut pool = Pool::zeroed();
        pool.config.rate_curve = RateCurve {
            base_rate_bps: rate_bps,
            kink_utilization_bps: [1, 2, 3],
            kink_rate_bps: [rate_bps; 3],
            max_rate_bps: rate_bps,
        };
        pool.config.protocol_fee_bps = 1_000;
        pool.config.insurance_fee_bps = 500;
        pool.total_borrow_shares = borrow_shares;
        pool.total_deposit_shares = deposit_shares;
        pool.borrow_share_value = fixed::store(ONE);
        pool.deposit_share_value = fixed::store(ONE);
        pool
    }

    fn q(value: u128) -> f64 {
        value as f64 / ONE as f64
    }

    #[test]
    fn wide_product_and_division() {
        let product = U256::mul(u128::MAX, u128::MAX);
        assert_eq!(product, U256 { high: u128::MAX - 1, low: 1 });
        assert_eq!(U256::mul(u128::MAX, 3).div_rem(3), (U256 { high: 0, low: u128::MAX }, 0));
        assert_eq!(U256::mul(1 << 100, 1 << 100).div_rem(1 << 40), (U256 { high: 1 << 32, low: 0 }, 0));
        assert_eq!(U256::mul(1 << 100, (1 << 100) + 5).div_rem(1 << 40), (U256 { high: 1 << 32, low: 5 << 60 }, 0));
        assert_eq!(U256::mul(10, 10).div_rem(7), (U256 { high: 0, low: 14 }, 2));
        assert_eq!(U256::mul(5, 1).saturating_sub(U256::mul(7, 1)), U256 { high: 0, low: 0 });
        assert_eq!(U256 { high: 1, low: 0 }.saturating_sub(U256::mul(1, 1)), U256 { high: 0, low: u128::MAX });
    }

    #[test]
    fn century_gap_at_max_rate_with_u64_scale_totals() {
        // u64::MAX debt and deposit shares at 1.0, fully utilized, 100 years at 150%:
        // `growth * shares` is 150 * 2^128 (it used to fail with MathOverflow).
        let mut pool = pool(MAX_RATE_BPS, u64::MAX, u64::MAX);
        let gap = 100 * SECONDS_PER_YEAR;
        let accrual = pool.accrue(gap as i64).unwrap();
        assert_eq!(accrual, Accrual { elapsed: gap, rate: 1_500_000_000, interest: u128::MAX });
        // Simple interest: 1 + 1.5 * 100; depositors get 85% of it.
        assert_eq!(pool.borrow_share_value(), 151 * ONE);
        assert_eq!(pool.deposit_share_value(), 257 * ONE / 2);
        // The fees (15 and 7.5 x 2^64 native units) do not fit Q64.64: saturated.
        assert_eq!(fixed::load(&pool.protocol_fees), u128::MAX);
        assert_eq!(fixed::load(&pool.insurance_fund), u128::MAX);

        // The index already at 2^62: 151x does not fit, so it stops at the maximum and
        // depositors get 85% of the growth that was charged.
        let mut pool = pool_at(2 << 125);
        pool.accrue(gap as i64).unwrap();
        assert_eq!(pool.borrow_share_value(), MAX_SHARE_VALUE);
        assert_eq!(pool.deposit_share_value(), 216_930_008_912_098_270_476_348_056_311_461_786_418);
        // Saturated: later accruals succeed and change nothing but the clock.
        let before = pool;
        assert_eq!(pool.accrue(2 * gap as i64).unwrap().interest, 0);
        assert_eq!(pool.borrow_share_value(), before.borrow_share_value());
        assert_eq!(pool.deposit_share_value(), before.deposit_share_value());
        assert_eq!(pool.last_accrual_ts, 2 * gap as i64);
    }

    fn pool_at(borrow_value: u128) -> Pool {
        let mut pool = pool(MAX_RATE_BPS, u64::MAX, u64::MAX);
        pool.borrow_share_value = fixed::store(borrow_value);
        pool
    }

    /// Accrues every `step` seconds for `steps` steps, checking the borrow index
    /// against `(1 + apr * step / year)^n` in f64 while it fits. Returns the first
    /// step at which it saturated, if any.
    fn compound(rate_bps: u32, step: u64, steps: u64) -> Option<u64> {
        let mut pool = pool(rate_bps, 1_000_000_000_000, 1_000_000_000_000);
        let factor = 1.0 + rate_bps as f64 / 1e4 * step as f64 / SECONDS_PER_YEAR as f64;
        let mut model = 1.0f64;
        let mut saturated = None;
        for n in 1..=steps {
            let accrual = pool.accrue((n * step) as i64).expect("accrual never fails");
            assert_eq!(accrual.rate, rate_bps as u64 * 100_000, "step {n}: still fully utilized");
            model *= factor;
            let index = pool.borrow_share_value();
            if model < q(MAX_SHARE_VALUE) * (1.0 - 1e-9) {
                let error = (q(index) - model).abs() / model;
                assert!(error < 1e-9, "step {n}: index {} vs model {model}", q(index));
            } else if index == MAX_SHARE_VALUE && saturated.is_none() {
                saturated = Some(n);
            }
            assert!(pool.deposit_share_value() <= index, "step {n}");
        }
        saturated
    }

    #[test]
    fn daily_accrual_at_300_percent_for_30_years_saturates_without_failing() {
        // (1 + 3/365)^n passes 2^64 on day 5,420 (14.85 years). The old arithmetic
        // failed after ~7.2 years with these totals (`growth * shares` past u128) and
        // from day 5,286 with any (`borrow_value * rate`). Afterwards every accrual
        // still succeeds with the index held at the maximum.
        assert_eq!(compound(30_000, 86_400, 30 * 365), Some(5_420));
    }

    #[test]
    fn max_rate_index_stays_representable_for_29_years() {
        // Daily and hourly compounding at the cap for 29 years stay below 2^64
        // (the f64 model is checked at every step).
        assert_eq!(compound(MAX_RATE_BPS, 86_400, 29 * 365), None);
        assert_eq!(compound(MAX_RATE_BPS, 3_600, 29 * 365 * 24), None);
    }
}
