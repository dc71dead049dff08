//! Flash loans (`flash_begin` .. `flash_end`): the fee on a borrow made inside one.

use crate::BPS;

/// Fee on a flash borrow of `amount` native units at `fee_bps`: rounded up (the
/// insurance fund's favour). `None` past `u64`.
pub fn fee(amount: u64, fee_bps: u16) -> Option<u64> {
    let scaled = (amount as u128).checked_mul(fee_bps as u128)?;
    u64::try_from(scaled.div_ceil(BPS as u128)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fee_rounds_up_and_is_zero_when_free() {
        assert_eq!(fee(1_000_000_000, 9), Some(900_000));
        assert_eq!(fee(1, 9), Some(1));
        assert_eq!(fee(1_000_000_000, 0), Some(0));
        assert_eq!(fee(u64::MAX, 100), Some(u64::MAX / 100 + 1));
    }
}
