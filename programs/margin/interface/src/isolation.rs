//! Isolation debt ceilings (Aave's isolation mode): collateral a pool allows only
//! in isolated accounts caps the total debt borrowed against it. Each borrow of
//! an isolated account whose collateral pool is isolated-only adds its value at
//! that moment's price to the account's tally and the collateral pool's; every
//! burn of the account's debt shares (repay, liquidation, deleverage, write-off)
//! releases the same proportion of the account's tally from both, all of it with
//! the last share, so the pool's tally is always the sum of its accounts'.
//! (Aave once forgot the liquidation path: its ceiling filled up with debt that
//! no longer existed.)

use crate::{
    error::MarginError,
    health::settlement_unit_prices,
    oracle::OraclePrice,
    state::{Pool, PoolConfig, POOL_FLAG_ISOLATED_ONLY},
};

/// USD (Q64.64) per micro-USD, rounded down (dividing by it rounds a value up).
const Q64_PER_MICRO_USD: u128 = crate::fixed::ONE / 1_000_000;

/// Whether isolated accounts borrowing against `collateral` are tallied.
pub fn tallies(collateral: &PoolConfig) -> bool {
    collateral.flags & POOL_FLAG_ISOLATED_ONLY != 0
}

/// What borrowing `amount` native units of `debt_pool` at `price` adds to a
/// tally: micro-USD at the debt's settlement price, rounded up.
pub fn borrowed_micro_usd(debt_pool: &Pool, amount: u64, price: &OraclePrice) -> Result<u64, MarginError> {
    let (_, unit) = settlement_unit_prices(debt_pool, price)?;
    let value = (amount as u128).checked_mul(unit).ok_or(MarginError::MathOverflow)?;
    u64::try_from(value.div_ceil(Q64_PER_MICRO_USD)).map_err(|_| MarginError::MathOverflow)
}

/// The collateral pool's tally after adding `added`, refused past a non-zero
/// ceiling.
pub fn tally_after_borrow(collateral: &Pool, added: u64) -> Result<u64, MarginError> {
    let tally = collateral.isolated_debt_micro_usd.checked_add(added).ok_or(MarginError::MathOverflow)?;
    let ceiling = collateral.config.isolated_debt_ceiling_micro_usd;
    if ceiling != 0 && tally > ceiling {
        return Err(MarginError::IsolationDebtCeilingExceeded);
    }
    Ok(tally)
}

/// Part of an account's `tally` released when `burned` of its `held` debt
/// shares go: proportional, rounded down (the ceiling frees no faster than the
/// debt), and all of it with the last share.
pub fn released_micro_usd(tally: u64, burned: u64, held: u64) -> u64 {
    if burned >= held {
        return tally;
    }
    // burned < held, so the quotient is below `tally` and fits u64.
    #[allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)]
    let released = (tally as u128 * burned as u128 / held as u128) as u64;
    released
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_are_proportional_rounded_down_and_whole_with_the_last_share() {
        assert_eq!(released_micro_usd(1_000, 1, 3), 333);
        assert_eq!(released_micro_usd(1_000, 2, 3), 666);
        assert_eq!(released_micro_usd(1_000, 3, 3), 1_000);
        assert_eq!(released_micro_usd(u64::MAX, u64::MAX - 1, u64::MAX), u64::MAX - 1);
        assert_eq!(released_micro_usd(0, 5, 9), 0);
    }
}
