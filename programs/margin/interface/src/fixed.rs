//! Unsigned Q64.64 fixed point on plain `u128`, and the few wide operations the
//! protocol needs. Why not I80F48: the health issue's compute-unit budget (~600 CU per
//! position) rules out software division and I80F48's sign handling on the hot path;
//! share values, fees and prices are never negative, so an unsigned binary fixed
//! point with explicit rounding direction is both cheaper and clearer about who
//! each rounding favours. Values are stored in accounts as `[u8; 16]` (little
//! endian) because `u128` alignment differs between the host and the SBF targets.
//!
//! Every function returns `None` on overflow; callers turn that into `MathOverflow`.

/// 1.0 in Q64.64.
pub const ONE: u128 = 1 << 64;

/// Reads a stored Q64.64 (or any `u128`) value.
#[inline(always)]
pub const fn load(bytes: &[u8; 16]) -> u128 {
    u128::from_le_bytes(*bytes)
}

/// Encodes a Q64.64 (or any `u128`) value for storage.
#[inline(always)]
pub const fn store(value: u128) -> [u8; 16] {
    value.to_le_bytes()
}

/// The low 64 bits of `value`: splitting a `u128` into halves, where dropping the
/// high half is the point.
#[inline(always)]
#[allow(clippy::cast_possible_truncation)] // truncation to the low half is intended
pub(crate) const fn low_u64(value: u128) -> u64 {
    value as u64
}

/// The full 128-bit product of two u64.
///
/// SBF has no multiply-high, so a `u128` multiply becomes a call to the
/// `__multi3` libcall (a 128x128 product). The fast paths (a factor below 2^32)
/// stay inline; when both factors are wider, LLVM recognizes the four 32x32
/// products and calls `__multi3` after all (a constant factor avoids that:
/// [`mul_q64_limbs`]). The result is identical on every target.
#[inline(always)]
#[allow(clippy::arithmetic_side_effects)] // a, b < 2^64: the product fits u128
pub fn mul_64x64(a: u64, b: u64) -> u128 {
    #[cfg(target_arch = "bpf")]
    {
        mul_64x64_by_halves(a, b)
    }
    #[cfg(not(target_arch = "bpf"))]
    {
        (a as u128) * (b as u128)
    }
}

/// [`mul_64x64`] from 32-bit halves (what SBF runs; tested against the native
/// product on the host).
#[inline(always)]
#[allow(clippy::arithmetic_side_effects)] // factors of 32 bits: each partial product and sum fits u64 (below)
pub fn mul_64x64_by_halves(a: u64, b: u64) -> u128 {
    // Common cases on the hot path: both factors fit 32 bits (one native
    // multiply), or one does (two).
    if (a | b) >> 32 == 0 {
        return (a * b) as u128;
    }
    if b >> 32 == 0 {
        return mul_by_u32(a, b);
    }
    if a >> 32 == 0 {
        return mul_by_u32(b, a);
    }
    {
        const MASK: u64 = 0xffff_ffff;
        let (a_lo, a_hi, b_lo, b_hi) = (a & MASK, a >> 32, b & MASK, b >> 32);
        let low_low = a_lo * b_lo;
        let low_high = a_lo * b_hi;
        let high_low = a_hi * b_lo;
        // Each term is below 2^32, so the sum of three fits in 64 bits; `high` is the
        // top half of a product below 2^128, so it fits too.
        let middle = (low_low >> 32) + (low_high & MASK) + (high_low & MASK);
        let low = (low_low & MASK) | (middle << 32);
        let high = a_hi * b_hi + (low_high >> 32) + (high_low >> 32) + (middle >> 32);
        ((high as u128) << 64) | low as u128
    }
}

/// `wide * narrow` for `narrow < 2^32`: two 32x32 products.
#[inline(always)]
#[allow(clippy::arithmetic_side_effects)] // 32x32-bit products fit u64; their sum is below 2^97
fn mul_by_u32(wide: u64, narrow: u64) -> u128 {
    let low = (wide & 0xffff_ffff) * narrow;
    let high = (wide >> 32) * narrow;
    ((high as u128) << 32) + low as u128
}

/// Equality of two 32-byte keys as four 64-bit words. The upstream BPF target's
/// `memcmp` works byte by byte (~150 CU for a key); the program is built with
/// misaligned loads allowed (as `cargo build-sbf` also does), so each word is one
/// load wherever the key sits.
#[inline(always)]
pub fn key_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    #[allow(clippy::arithmetic_side_effects)] // i <= 24: i + 7 < 32
    let word = |key: &[u8; 32], i: usize| {
        u64::from_le_bytes([key[i], key[i + 1], key[i + 2], key[i + 3], key[i + 4], key[i + 5], key[i + 6], key[i + 7]])
    };
    word(a, 0) == word(b, 0) && word(a, 8) == word(b, 8) && word(a, 16) == word(b, 16) && word(a, 24) == word(b, 24)
}

/// `(a * b) >> 64` for a `u64` count and a Q64.64 value, rounded down.
/// The exact product has up to 192 bits; it is formed from two 64x64 products.
#[inline(always)]
pub fn mul_q64_floor(count: u64, q: u128) -> Option<u128> {
    let low = mul_64x64(count, low_u64(q));
    let q_high = (q >> 64) as u64;
    // An integer part of 1 (share values near 1.0) or 0 needs no multiply.
    let high = match q_high {
        0 => 0,
        1 => count as u128,
        _ => mul_64x64(count, q_high),
    };
    high.checked_add(low >> 64)
}

/// `(a * b) >> 64` rounded up (debts and anything owed to the protocol).
#[inline(always)]
pub fn mul_q64_ceil(count: u64, q: u128) -> Option<u128> {
    let low = mul_64x64(count, low_u64(q));
    let high = mul_64x64(count, (q >> 64) as u64);
    let floor = high.checked_add(low >> 64)?;
    if low_u64(low) != 0 {
        floor.checked_add(1)
    } else {
        Some(floor)
    }
}

/// A `u128` constant as four 32-bit limbs, least significant first: the form
/// [`mul_q64_limbs`] multiplies by.
pub type Limbs = [u32; 4];

/// Splits `value` into [`Limbs`] (for `const` tables).
#[allow(clippy::cast_possible_truncation)] // each limb is the 32 bits at its place
pub const fn limbs(value: u128) -> Limbs {
    [value as u32, (value >> 32) as u32, (value >> 64) as u32, (value >> 96) as u32]
}

/// [`mul_q64_floor`] (or, with `round_up`, [`mul_q64_ceil`]) of `count` and a
/// Q64.64 value given as [`Limbs`], which cannot fail.
///
/// Why limbs: LLVM recognizes a 64-bit value split into halves and multiplied
/// crosswise and turns it back into a 128-bit multiply, which SBF runs as the
/// `__multi3` libcall (~40 CU plus the call); halves loaded from a table are
/// not recognized, so the four 32x32 products stay inline (~20 CU).
#[inline(always)]
// Products of 32-bit factors fit u64; `mid < 3 * 2^32`; `top` is the high half of
// `count * q_low < 2^128` and the result is below `2^128 - 2^64` before rounding.
#[allow(clippy::arithmetic_side_effects)]
pub fn mul_q64_limbs(count: u64, q: &Limbs, round_up: bool) -> u128 {
    const MASK: u64 = 0xffff_ffff;
    let (c0, c1) = (count & MASK, count >> 32);
    let (q0, q1) = (q[0] as u64, q[1] as u64);
    let (p00, p01, p10, p11) = (c0 * q0, c0 * q1, c1 * q0, c1 * q1);
    let mid = (p00 >> 32) + (p01 & MASK) + (p10 & MASK);
    let top = p11.wrapping_add(p01 >> 32).wrapping_add(p10 >> 32).wrapping_add(mid >> 32);
    let q_high = q[2] as u64 | (q[3] as u64) << 32;
    let floor = match q_high {
        0 => top as u128,
        _ => mul_64x64(count, q_high).wrapping_add(top as u128),
    };
    // The dropped bits are the low 64 of `count * q_low`: `mid`'s low half and `p00`'s.
    if round_up && (p00 | mid) & MASK != 0 {
        floor.wrapping_add(1)
    } else {
        floor
    }
}

/// `amount / q` as a share count for a Q64.64 share value `q`, rounded down
/// (shares minted for a deposit). `None` when `q` is zero or the result exceeds u64.
#[inline]
pub fn div_q64_floor(amount: u64, q: u128) -> Option<u64> {
    u64::try_from(((amount as u128) << 64).checked_div(q)?).ok()
}

/// `amount / q` rounded up (shares burned for a withdrawal, debt shares for a borrow).
#[inline]
pub fn div_q64_ceil(amount: u64, q: u128) -> Option<u64> {
    if q == 0 {
        return None;
    }
    u64::try_from(((amount as u128) << 64).div_ceil(q)).ok()
}

/// `a * b / c` with a 192-bit intermediate, rounded down. Used off the hot path
/// (interest accrual), where a product of a Q64.64 value and a u64 can exceed 128 bits.
pub fn mul_div_floor(a: u128, b: u64, c: u64) -> Option<u128> {
    let (quotient, _) = mul_div_rem(a, b, c)?;
    Some(quotient)
}

/// `a * b / c` with a 192-bit intermediate, rounded up.
pub fn mul_div_ceil(a: u128, b: u64, c: u64) -> Option<u128> {
    let (quotient, remainder) = mul_div_rem(a, b, c)?;
    if remainder != 0 {
        quotient.checked_add(1)
    } else {
        Some(quotient)
    }
}

/// Long division of the 192-bit product `a * b` by `c`, limb by limb, so no
/// 256-bit type is needed. Returns `None` if `c == 0` or the quotient exceeds u128.
// Each product is of two values below 2^64; remainder < c < 2^64 (c != 0, checked),
// so each quotient digit `current / c` and the remainder fit u64.
#[allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)]
fn mul_div_rem(a: u128, b: u64, c: u64) -> Option<(u128, u64)> {
    if c == 0 {
        return None;
    }
    let b = b as u128;
    let low = (a as u64 as u128) * b; // < 2^128
    let high = (a >> 64) * b; // < 2^128
                              // product = high * 2^64 + low, split into three 64-bit limbs.
    let (mid, carry) = (high as u64).overflowing_add((low >> 64) as u64);
    let limb0 = low as u64;
    let limb1 = mid;
    let limb2 = ((high >> 64) as u64).checked_add(carry as u64)?;
    let c = c as u128;
    let mut remainder: u128 = 0;
    let mut quotient = [0u64; 3];
    for (i, limb) in [limb2, limb1, limb0].into_iter().enumerate() {
        let current = (remainder << 64) | limb as u128;
        quotient[i] = (current / c) as u64;
        remainder = current % c;
    }
    if quotient[0] != 0 {
        return None;
    }
    Some((((quotient[1] as u128) << 64) | quotient[2] as u128, remainder as u64))
}

/// The exact 256-bit product `a * b` as (high, low) 128-bit halves: compares
/// ratios by cross-multiplication without dividing.
// Each partial product is of two 64-bit limbs (< 2^128); the carries are summed
// in u128 limbs of at most three 64-bit values.
#[allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)]
pub fn mul_u128_wide(a: u128, b: u128) -> (u128, u128) {
    let (a0, a1, b0, b1) = (low_u64(a), (a >> 64) as u64, low_u64(b), (b >> 64) as u64);
    let low_low = mul_64x64(a0, b0);
    let low_high = mul_64x64(a0, b1);
    let high_low = mul_64x64(a1, b0);
    let high_high = mul_64x64(a1, b1);
    // Middle limb: bits 64..128 of the sum of the cross terms and low_low's top.
    let middle = (low_low >> 64) + (low_high & u64::MAX as u128) + (high_low & u64::MAX as u128);
    let low = (low_low & u64::MAX as u128) | (middle << 64);
    let high = high_high + (low_high >> 64) + (high_low >> 64) + (middle >> 64);
    (high, low)
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)] // test code
mod tests {
    use super::*;

    #[test]
    fn mul_64x64_matches_native() {
        let values = [0u64, 1, 2, 0xffff_ffff, 0x1_0000_0000, u64::MAX, u64::MAX - 1, 0x1234_5678_9abc_def0];
        for a in values {
            for b in values {
                assert_eq!(mul_64x64_by_halves(a, b), a as u128 * b as u128);
                assert_eq!(mul_64x64(a, b), a as u128 * b as u128);
            }
        }
    }

    #[test]
    fn wide_product_of_two_u128() {
        assert_eq!(mul_u128_wide(u128::MAX, u128::MAX), (u128::MAX - 1, 1));
        assert_eq!(mul_u128_wide(1 << 64, 1 << 64), (1, 0));
        assert_eq!(mul_u128_wide(3, 5), (0, 15));
        let (a, b) = (0x1234_5678_9abc_def0_1122_3344_5566_7788u128, 0xffee_ddcc_bbaa_9988u128);
        assert_eq!(mul_u128_wide(a, b), mul_u128_wide(b, a));
        // b < 2^64: the product's low half is the wrapping product, the high half its carry.
        assert_eq!(mul_u128_wide(a, b).1, a.wrapping_mul(b));
        assert_eq!(mul_u128_wide(a, 1 << 100), (a >> 28, a << 100));
    }

    #[test]
    fn key_eq_matches_array_equality() {
        let a = [7u8; 32];
        let mut b = a;
        assert!(key_eq(&a, &b));
        b[31] = 8;
        assert!(!key_eq(&a, &b));
    }

    #[test]
    fn mul_q64_rounds_both_ways() {
        let half = ONE / 2;
        assert_eq!(mul_q64_floor(3, half), Some(1));
        assert_eq!(mul_q64_ceil(3, half), Some(2));
        assert_eq!(mul_q64_ceil(4, half), Some(2));
        assert_eq!(mul_q64_floor(u64::MAX, ONE), Some(u64::MAX as u128));
    }

    #[test]
    fn mul_q64_limbs_matches_mul_q64() {
        let counts = [0u64, 1, 3, 0xffff_ffff, 0x1_0000_0000, 0x1234_5678_9abc_def0, u64::MAX / 100, u64::MAX];
        let qs = [
            0u128,
            1,
            ONE / 2,
            ONE,
            ONE + 1,
            0xffff_ffff,
            0x1_0000_0000,
            u64::MAX as u128,
            u128::MAX / 10u128.pow(20),
            u128::MAX / 10u128.pow(19) + 1,
            u128::MAX / 7,
            u128::MAX,
        ];
        for count in counts {
            for q in qs {
                let limbs = limbs(q);
                assert_eq!(Some(mul_q64_limbs(count, &limbs, false)), mul_q64_floor(count, q), "{count} {q}");
                assert_eq!(Some(mul_q64_limbs(count, &limbs, true)), mul_q64_ceil(count, q), "{count} {q}");
            }
        }
    }

    #[test]
    fn div_q64_rounds_both_ways() {
        let three_halves = ONE + ONE / 2;
        assert_eq!(div_q64_floor(4, three_halves), Some(2));
        assert_eq!(div_q64_ceil(4, three_halves), Some(3));
        assert_eq!(div_q64_ceil(3, three_halves), Some(2));
        assert_eq!(div_q64_floor(1, 0), None);
        assert_eq!(div_q64_floor(u64::MAX, ONE / 2), None);
    }

    #[test]
    fn mul_div_matches_wide_reference() {
        // Reference with a 256-bit-free check: cases whose product fits u128.
        let cases = [(7u128, 3u64, 2u64), (u64::MAX as u128, u64::MAX, 3), (ONE * 5, 1_000, 7)];
        for (a, b, c) in cases {
            let exact = a * b as u128;
            assert_eq!(mul_div_floor(a, b, c), Some(exact / c as u128));
            let ceil = exact / c as u128 + u128::from(!exact.is_multiple_of(c as u128));
            assert_eq!(mul_div_ceil(a, b, c), Some(ceil));
        }
        // Product above 2^128 whose quotient fits.
        assert_eq!(mul_div_floor(u128::MAX, 4, 8), Some(u128::MAX / 2));
        assert_eq!(mul_div_floor(u128::MAX, 2, 1), None);
        assert_eq!(mul_div_floor(1, 1, 0), None);
    }
}
