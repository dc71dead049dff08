//! Utilization, the borrow rate curve and interest accrual. One copy, run by the
//! program on every pool it touches and by clients to project balances.
//!
//! Accrual over a gap `dt` is simple interest at the rate of the utilization at the
//! start of the gap: `borrow_value *= 1 + apr * dt / year`. The interest is split:
//! protocol and insurance fees (fractions of interest, kept in Q64.64 native units)
//! and the rest raises the deposit share value. Rounding: the borrow index rounds
//! up, fees and the deposit index round down, so the books never promise depositors
//! more than borrowers owe.

use crate::{
    error::MarginError,
    fixed::{self, mul_div_ceil, mul_div_floor},
    state::{Pool, RateCurve},
    BPS, SECONDS_PER_YEAR,
};

/// Utilization scale: 1.0 = `UTILIZATION_ONE`.
pub const UTILIZATION_ONE: u64 = 1_000_000_000;
/// Rate scale: an APR of 1.0 (100%) = `RATE_ONE`.
pub const RATE_ONE: u64 = 1_000_000_000;
const BPS_TO_SCALED: u64 = RATE_ONE / BPS;

/// `debt / deposits` in units of 1e-9, capped at 1.0 (debt above deposits can only
/// arise from bad debt not yet written off).
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

    /// Brings the pool's share values and fee buckets up to `now`. A no-op when no
    /// time has passed (or the clock went backwards). See the module docs for the
    /// formula and rounding.
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
        let overflow = MarginError::MathOverflow;
        let borrow_value = self.borrow_share_value();
        // Index growth: borrow_value * rate * elapsed / (RATE_ONE * year), rounded up.
        let per_year = mul_div_ceil(borrow_value, rate, RATE_ONE).ok_or(overflow)?;
        let growth = mul_div_ceil(per_year, elapsed, SECONDS_PER_YEAR).ok_or(overflow)?;
        let new_borrow_value = borrow_value.checked_add(growth).ok_or(overflow)?;

        // Interest in native units Q64.64 = debt shares * index growth.
        let interest = growth.checked_mul(self.total_borrow_shares as u128).ok_or(overflow)?;
        let protocol_fee = mul_div_floor(interest, self.config.protocol_fee_bps as u64, BPS).ok_or(overflow)?;
        let insurance_fee = mul_div_floor(interest, self.config.insurance_fee_bps as u64, BPS).ok_or(overflow)?;
        // Validated fees sum below 100%, so this cannot underflow.
        let to_depositors = interest - protocol_fee - insurance_fee;

        let (protocol_fee, insurance_fee) = if self.total_deposit_shares == 0 {
            // Nobody to pay: the depositors' part goes to the protocol.
            (protocol_fee + to_depositors, insurance_fee)
        } else {
            let deposit_value = self.deposit_share_value();
            let raise = to_depositors / self.total_deposit_shares as u128;
            self.deposit_share_value = fixed::store(deposit_value.checked_add(raise).ok_or(overflow)?);
            (protocol_fee, insurance_fee)
        };
        self.borrow_share_value = fixed::store(new_borrow_value);
        let fees = fixed::load(&self.protocol_fees).checked_add(protocol_fee).ok_or(overflow)?;
        self.protocol_fees = fixed::store(fees);
        let insurance = fixed::load(&self.insurance_fund).checked_add(insurance_fee).ok_or(overflow)?;
        self.insurance_fund = fixed::store(insurance);
        Ok(Accrual { elapsed, rate, interest })
    }
}
