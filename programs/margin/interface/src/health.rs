//! The health engine, one copy for the program and the client.
//!
//! Health = sum of weighted collateral values - sum of weighted debt values, in USD
//! as signed Q64.64 (`i128`). Three levels:
//!
//! | level       | collateral price            | debt price                   | weights     |
//! |-------------|-----------------------------|------------------------------|-------------|
//! | Initial     | min(P - k*conf, EMA - k*ec) | max(P + k*conf, EMA + k*ec)  | initial, haircut by price age |
//! | Maintenance | P - k*conf                  | P + k*conf                   | maintenance |
//! | Equity      | P                           | P                            | none        |
//!
//! Initial gates every action that can lower health; Maintenance < 0 makes an
//! account liquidatable; Equity <= 0 means bankrupt.
//!
//! Cost model (why it looks like this): no division on the hot path. A Pyth price
//! `m * 10^expo` per whole token becomes USD per native unit as
//! `m * floor(2^128 / 10^(decimals - expo)) >> 64` with the power of ten taken from a
//! compile-time table; `k * conf` is folded in by scaling the mantissa by 100 and
//! the table index by 2; weights become a 16.48 binary fraction with one native
//! 64-bit division. Every step is a 64x64 -> 128 multiply or two.
//!
//! Health accounts: for each used position, in slot order, the pool and then its
//! oracle: `[pool_0, oracle_0, pool_1, oracle_1, ...]`. Anything omitted, extra,
//! reordered or substituted is an error, never "zero debt".

use crate::{
    error::MarginError,
    fixed,
    oracle::{is_outage, read_oracle_unchecked, validate_price, OraclePrice},
    state::{self, AccountKind, LayoutError, Pool, Position, POOL_FLAG_ISOLATED_ONLY},
    BPS,
};

/// `floor(2^128 / 10^s)` (as `u128::MAX / 10^s`) for `s` in `0..=38`.
pub const POW10_RECIPROCALS: [u128; 39] = {
    let mut table = [0u128; 39];
    let mut power: u128 = 1;
    let mut s = 0;
    while s < 39 {
        table[s] = u128::MAX / power;
        if s < 38 {
            power *= 10;
        }
        s += 1;
    }
    table
};

/// Largest supported mint decimals (keeps the power-of-ten index within the table).
pub const MAX_DECIMALS: u8 = 18;

/// Which levels to compute (bit flags).
pub type Levels = u8;
pub const INITIAL: Levels = 1;
pub const MAINTENANCE: Levels = 2;
pub const EQUITY: Levels = 4;
/// Maintenance under each pool's adverse stress move (`PoolConfig::stress_bps`,
/// widened by its oracle's EMA confidence; a pool without one counts its Initial
/// value, a lower bound of Maintenance): gates new risk only.
pub const STRESS: Levels = 8;
/// The levels the `health` instruction reports.
pub const ALL_LEVELS: Levels = INITIAL | MAINTENANCE | EQUITY;

/// Health at each level, USD Q64.64; levels not requested are zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Health {
    pub initial: i128,
    pub maintenance: i128,
    pub equity: i128,
    /// Maintenance health with every asset at its price x (1 - stress) and every
    /// liability at x (1 + stress) ([`STRESS`]); not part of the return data.
    pub stress: i128,
    /// Weighted maintenance liabilities (USD Q64.64), for the liquidation bonus
    /// and target; not part of the return data.
    pub maintenance_liabilities: u128,
}

impl Health {
    /// Encoding used for the `health` instruction's return data: three `i128` LE.
    pub fn to_bytes(&self) -> [u8; 48] {
        let mut out = [0u8; 48];
        out[..16].copy_from_slice(&self.initial.to_le_bytes());
        out[16..32].copy_from_slice(&self.maintenance.to_le_bytes());
        out[32..].copy_from_slice(&self.equity.to_le_bytes());
        out
    }

    /// Decodes [`Health::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != 48 {
            return None;
        }
        let at = |i: usize| i128::from_le_bytes(bytes[i..].first_chunk().copied().unwrap_or([0; 16]));
        Some(Self { initial: at(0), maintenance: at(16), equity: at(32), stress: 0, maintenance_liabilities: 0 })
    }
}

/// Collateral and debt value sums of one level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Sums {
    assets: u128,
    liabilities: u128,
}

impl Sums {
    // Both sums are below 2^127 (checked when added), so this cannot overflow.
    #[allow(clippy::arithmetic_side_effects)]
    fn health(&self) -> i128 {
        self.assets as i128 - self.liabilities as i128
    }
}

/// Read access to an account, implemented by the program for its runtime account
/// views and by the client for fetched accounts.
pub trait AccountRead {
    fn key(&self) -> &[u8; 32];
    fn owner(&self) -> &[u8; 32];
    fn data(&self) -> &[u8];
    /// Called on a pool account (owner checked) when a price newer than its
    /// `newest_publish_time` was read; the program stores it when the account is
    /// writable. Off chain there is nothing to store.
    fn record_publish_time(&self, _publish_time: i64) {}
}

const OVERFLOW: MarginError = MarginError::PriceOutOfRange;

/// `a * b` for a 64-bit count and a 128-bit value; `None` past 2^127 (so sums of
/// a few stay inside `i128`).
#[inline(always)]
fn mul_wide(a: u64, b: u128) -> Option<u128> {
    let low = fixed::mul_64x64(a, fixed::low_u64(b));
    let b_high = (b >> 64) as u64;
    if b_high == 0 {
        // The usual unit price (below one USD Q64.64 per native unit): one product.
        return (low >> 127 == 0).then_some(low);
    }
    let high = fixed::mul_64x64(a, b_high);
    if high >> 63 != 0 {
        return None;
    }
    let total = (high << 64).checked_add(low)?;
    if total >> 127 != 0 {
        None
    } else {
        Some(total)
    }
}

/// Fractional bits of a weight: bps < 2^16, so `bps << 48` fits a u64 and the
/// weight keeps ~2^-48 relative precision (a 32-bit fraction would misplace the
/// borrow limit by dollars on large accounts).
const WEIGHT_BITS: u32 = 48;

/// `(value * fraction) >> 48` for a 16.48 binary fraction; `round_up` adds the lost bits.
#[inline(always)]
fn apply_weight(value: u128, fraction: u64, round_up: bool) -> Option<u128> {
    let low = fixed::mul_64x64(fixed::low_u64(value), fraction);
    let high = fixed::mul_64x64((value >> 64) as u64, fraction);
    if high >> (128 - (64 - WEIGHT_BITS) - 1) != 0 {
        return None;
    }
    let shifted = (high << (64 - WEIGHT_BITS)).checked_add(low >> WEIGHT_BITS)?;
    if round_up && low & ((1 << WEIGHT_BITS) - 1) != 0 {
        shifted.checked_add(1)
    } else {
        Some(shifted)
    }
}

/// Weight in basis points as a 16.48 binary fraction (one native 64-bit division).
#[inline(always)]
fn weight_fraction(bps: u16, round_up: bool) -> u64 {
    let scaled = (bps as u64) << WEIGHT_BITS;
    if round_up {
        scaled.div_ceil(BPS)
    } else {
        scaled / BPS
    }
}

/// [`POW10_RECIPROCALS`] as limbs (the form `unit_price` multiplies by).
const RECIPROCAL_LIMBS: [fixed::Limbs; 39] = {
    let mut table = [fixed::limbs(0); 39];
    let mut s = 0;
    while s < 39 {
        table[s] = fixed::limbs(POW10_RECIPROCALS[s]);
        s += 1;
    }
    table
};

/// `POW10_RECIPROCALS[s] + 1` as limbs, for prices rounded up; entry 0 (where
/// the sum does not fit) is never read.
const RECIPROCAL_PLUS_ONE_LIMBS: [fixed::Limbs; 39] = {
    let mut table = [fixed::limbs(0); 39];
    let mut s = 1;
    while s < 39 {
        table[s] = fixed::limbs(POW10_RECIPROCALS[s] + 1);
        s += 1;
    }
    table
};

/// USD per native unit (Q64.64) of a mantissa already scaled by 100, for
/// `index = decimals - expo + 2`: `mantissa_x100 * floor(2^128 / 10^index)`
/// (plus one when rounding up) `>> 64`, rounded down or up.
#[inline(always)]
fn unit_price(mantissa_x100: u64, index: usize, round_up: bool) -> Option<u128> {
    let reciprocal = if round_up {
        // The reciprocal of 10^0 is u128::MAX: one more does not fit.
        RECIPROCAL_PLUS_ONE_LIMBS.get(index).filter(|_| index != 0)?
    } else {
        RECIPROCAL_LIMBS.get(index)?
    };
    Some(fixed::mul_q64_limbs(mantissa_x100, reciprocal, round_up))
}

/// Largest mantissa (price or EMA) that can be scaled by 100 inside a u64.
const MAX_MANTISSA: u64 = u64::MAX / 100;
/// Largest confidence that can be scaled by a u16 multiplier inside a u64.
const MAX_CONFIDENCE: u64 = u64::MAX >> 16;

/// A price in mantissa x 100 units with its band `k * conf` (k in hundredths),
/// both fitting a u64. Bounds are compared once so the hot path needs no
/// overflow-checked multiply (which SBF would turn into a 128-bit libcall).
#[derive(Clone, Copy)]
struct Banded {
    center: u64,
    band: u64,
}

impl Banded {
    fn low(self) -> u64 {
        self.center.saturating_sub(self.band)
    }
    fn high(self) -> Option<u64> {
        self.center.checked_add(self.band)
    }
}

/// Spot and EMA bands of one price on one scale: every mantissa divided by
/// `10^shift` (the index lowered by `shift`), so they stay comparable.
#[derive(Clone, Copy)]
struct Bands {
    spot: Banded,
    ema: Banded,
    /// `decimals - expo + 2 - shift`: the power-of-ten index of every mantissa here.
    index: usize,
    /// 1 when the wide path rounded the centers down, else 0: added to a debt's
    /// center so it is never understated.
    center_rounding: u64,
}

impl Bands {
    /// Fast path: mantissas up to `u64::MAX / 100` and confidences up to
    /// `u64::MAX >> 16` (every real feed). Otherwise [`Bands::wide`].
    #[inline(always)]
    fn new(price: &OraclePrice, confidence_pct: u16, decimals: u8) -> Option<Self> {
        // decimals <= 18 and expo in [-18, 0] (validated), so this is in 2..=38. Checked
        // all the same: bots price unvalidated updates.
        let index = (decimals as i32).checked_sub(price.expo)?.checked_add(2)? as usize;
        let (spot, ema) = (price.price as u64, price.ema_price as u64); // validated positive
        if spot <= MAX_MANTISSA && ema <= MAX_MANTISSA && (price.conf | price.ema_conf) <= MAX_CONFIDENCE {
            let k = confidence_pct as u64;
            // Bounded just above: mantissas <= u64::MAX / 100, confidences < 2^48, k < 2^16.
            #[allow(clippy::arithmetic_side_effects)]
            let (spot, ema) = (
                Banded { center: spot * 100, band: price.conf * k },
                Banded { center: ema * 100, band: price.ema_conf * k },
            );
            return Some(Self { spot, ema, index, center_rounding: 0 });
        }
        Self::wide(spot, price.conf, ema, price.ema_conf, confidence_pct as u128, index)
    }

    /// Any price oracle validation accepts: centers and bands in u128, divided by
    /// the smallest power of ten that makes `center + band` fit a u64, centers
    /// rounded down and bands up (plus one), so lows stay low and highs high.
    // Centers < 2^71 and bands < 2^80, so sums fit u128; the loop leaves
    // `sum / divisor + 2 <= u64::MAX`, which bounds both scaled values.
    #[inline(never)]
    #[allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)]
    fn wide(spot: u64, spot_conf: u64, ema: u64, ema_conf: u64, k: u128, index: usize) -> Option<Self> {
        let wide = |center: u64, conf: u64| (center as u128 * 100, conf as u128 * k);
        let (spot, ema) = (wide(spot, spot_conf), wide(ema, ema_conf));
        let mut divisor: u128 = 1;
        let mut shift = 0;
        while (spot.0 + spot.1) / divisor + 2 > u64::MAX as u128 || (ema.0 + ema.1) / divisor + 2 > u64::MAX as u128 {
            divisor *= 10;
            shift += 1;
        }
        let scale = |(center, band): (u128, u128)| Banded {
            center: (center / divisor) as u64,
            band: (band.div_ceil(divisor) + (divisor > 1) as u128) as u64,
        };
        Some(Self {
            spot: scale(spot),
            ema: scale(ema),
            index: index.checked_sub(shift)?,
            center_rounding: (divisor > 1) as u64,
        })
    }
}

/// USD value (Q64.64) of `amount` native units at `mantissa_x100` (price x 100 in
/// units of 10^expo per whole token, `index = decimals - expo + 2`) times an
/// optional weight in bps. The weight is folded into the mantissa with one native
/// multiply and four more powers of ten, so it costs no 128-bit work and no
/// precision; very large mantissas or indices fall back to a 16.48 binary weight.
#[inline(always)]
fn weighted_value(
    amount: u64,
    mantissa_x100: u64,
    index: usize,
    weight_bps: Option<u16>,
    round_up: bool,
) -> Option<u128> {
    match weight_bps {
        None => mul_wide(amount, unit_price(mantissa_x100, index, round_up)?),
        // The guard bounds both: mantissa_x100 * bps <= u64::MAX and index + 4 < 39.
        #[allow(clippy::arithmetic_side_effects)]
        Some(bps) if mantissa_x100 <= u64::MAX / u16::MAX as u64 && index < POW10_RECIPROCALS.len() - 4 => {
            mul_wide(amount, unit_price(mantissa_x100 * bps as u64, index + 4, round_up)?)
        }
        Some(bps) => weighted_value_wide(amount, mantissa_x100, index, bps, round_up),
    }
}

/// [`weighted_value`] past its fast path's bounds (never a real feed): the
/// value, then the weight as a 16.48 binary fraction. Out of line and cold: the
/// hot path stays small.
#[cold]
#[inline(never)]
fn weighted_value_wide(amount: u64, mantissa_x100: u64, index: usize, bps: u16, round_up: bool) -> Option<u128> {
    let value = mul_wide(amount, unit_price(mantissa_x100, index, round_up)?)?;
    apply_weight(value, weight_fraction(bps, round_up), round_up)
}

/// Liquidation settlement unit prices of a pool (USD per native unit, Q64.64): spot,
/// rounded down for the collateral seized and up for the debt repaid. Not the
/// confidence-adjusted Maintenance prices: with a wide interval those would charge
/// the liquidatee `2 k conf` on top of the bonus, and at `P - k conf -> 0` a tiny
/// repay would take everything. (The band still decides eligibility.)
pub fn settlement_unit_prices(pool: &Pool, price: &OraclePrice) -> Result<(u128, u128), MarginError> {
    if pool.mint_decimals > MAX_DECIMALS {
        return Err(OVERFLOW);
    }
    let bands = Bands::new(price, pool.config.oracle.confidence_multiplier_pct, pool.mint_decimals).ok_or(OVERFLOW)?;
    let asset = unit_price(bands.spot.center, bands.index, false).ok_or(OVERFLOW)?;
    let debt_center = bands.spot.center.checked_add(bands.center_rounding).ok_or(OVERFLOW)?;
    let liability = unit_price(debt_center, bands.index, true).ok_or(OVERFLOW)?;
    Ok((asset, liability))
}

/// USD (Q64.64) per micro-USD, rounded down: dust thresholds in Q64.64.
const Q64_PER_MICRO_USD: u128 = fixed::ONE / 1_000_000;

/// True when a deposit of `shares` in `pool` is worth (at spot, `price`) less than
/// the pool's `dust_threshold_micro_usd`, or nothing at all (shares worth less
/// than one native unit, e.g. after a write-off lowered the share value below
/// one): too small to liquidate, so it must not keep an insolvent account's debt
/// from being written off, whatever the threshold.
pub fn deposit_is_dust(pool: &Pool, shares: u64, price: &OraclePrice) -> Result<bool, MarginError> {
    let amount = fixed::mul_q64_floor(shares, pool.deposit_share_value()).ok_or(OVERFLOW)?;
    let amount = u64::try_from(amount).map_err(|_| OVERFLOW)?;
    let (unit, _) = settlement_unit_prices(pool, price)?;
    let value = mul_wide(amount, unit).ok_or(OVERFLOW)?;
    let threshold = (pool.config.dust_threshold_micro_usd as u128).checked_mul(Q64_PER_MICRO_USD).ok_or(OVERFLOW)?;
    Ok(amount == 0 || value < threshold)
}

/// One position's contribution to health (the load step of the health cache):
/// its amounts as health rounds them and the weighted USD values (Q64.64) it adds
/// at each level, indexed initial, maintenance, equity, stress ([`level_index`]). Levels
/// not computed, and collateral that does not count here, are zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PositionValues {
    /// Deposit in native units, interest projected to `now`, rounded down.
    pub deposit: u64,
    /// Debt in native units, interest projected to `now`, rounded up.
    pub debt: u64,
    /// Weighted collateral value per level.
    pub assets: [u128; 4],
    /// Weighted debt value per level.
    pub liabilities: [u128; 4],
}

/// Index of a single level in [`PositionValues`] arrays.
pub const fn level_index(level: Levels) -> usize {
    match level {
        INITIAL => 0,
        MAINTENANCE => 1,
        EQUITY => 2,
        _ => 3,
    }
}

/// The stress move (bps) of a pool at `price`: the larger of the configured
/// `stress_bps` and `stress_confidence_multiplier_pct` x EMA confidence / EMA
/// price, so margin tightens by itself when Pyth's uncertainty widens. At most
/// [`BPS`] (an asset stressed to zero).
pub fn stress_bps(config: &crate::state::PoolConfig, price: &OraclePrice) -> u64 {
    let configured = config.stress_bps as u64;
    let multiplier = config.stress_confidence_multiplier_pct as u64;
    let adaptive = match u64::try_from(price.ema_price) {
        // pct x conf / price in bps (x 100 for pct -> x1, x 10_000 / 100 for bps),
        // rounded up; 64-bit (native division) unless the product overflows.
        Ok(ema) if ema > 0 && multiplier > 0 => {
            // multiplier < 2^16, so below 2^48 the product fits: no checked
            // multiply, which SBF runs as a 128-bit libcall.
            #[allow(clippy::arithmetic_side_effects)]
            let scaled = match price.ema_conf >> 48 {
                0 => Some(multiplier * price.ema_conf),
                _ => multiplier.checked_mul(price.ema_conf),
            };
            match scaled {
                Some(scaled) if scaled <= u64::MAX / 100 => scaled.saturating_mul(100).div_ceil(ema),
                _ => BPS,
            }
        }
        _ => 0,
    };
    configured.max(adaptive).min(BPS)
}

/// Initial-health haircut (bps) of a pool whose price was published at
/// `publish_time`: 0 up to `age_haircut_start_secs` of age, then linear up to
/// `age_haircut_max_bps` at the oracle's `max_age_secs` (rounded up), instead of
/// a cliff at the hard age. Off (0) when the pool sets no haircut.
#[inline(always)]
pub fn age_haircut_bps(config: &crate::state::PoolConfig, publish_time: i64, now: i64) -> u64 {
    let max = config.age_haircut_max_bps as u64;
    if max == 0 {
        return 0;
    }
    // A price from the future (within the age limit) is as fresh as it gets.
    let age = u64::try_from(now.saturating_sub(publish_time)).unwrap_or(0);
    let start = config.age_haircut_start_secs as u64;
    match age.checked_sub(start) {
        Some(past) if past > 0 => {
            let span = (config.oracle.max_age_secs as u64).saturating_sub(start).max(1);
            // max < 2^16 and past <= span < 2^32: no overflow.
            #[allow(clippy::arithmetic_side_effects)]
            let haircut = (max * past.min(span)).div_ceil(span);
            haircut
        }
        _ => 0,
    }
}

/// A weight (bps) moved by a stress or an age haircut (bps): `weight x (1 - move)`
/// rounded down for an asset, `weight x (1 + move)` rounded up for a liability;
/// `None` past `u16` (a liability weight near the type's limit: then no borrow
/// passes).
fn stressed_weight(weight_bps: u16, stress: u64, up: bool) -> Option<u16> {
    let factor = if up { BPS.checked_add(stress)? } else { BPS.checked_sub(stress)? };
    let scaled = (weight_bps as u64).checked_mul(factor)?;
    let moved = if up { scaled.div_ceil(BPS) } else { scaled.checked_div(BPS)? };
    u16::try_from(moved).ok()
}

/// Where a position's weighted values go: summed straight into [`HealthSums`] on
/// chain (no per-position storage), kept in [`PositionValues`] off chain. One
/// formula ([`add_position`]) feeds both.
pub trait ValueSink {
    /// Weighted collateral value at level index `level`.
    fn asset(&mut self, level: usize, value: u128) -> Result<(), MarginError>;
    /// Weighted debt value at level index `level`.
    fn liability(&mut self, level: usize, value: u128) -> Result<(), MarginError>;
}

impl ValueSink for PositionValues {
    #[inline(always)]
    fn asset(&mut self, level: usize, value: u128) -> Result<(), MarginError> {
        self.assets[level] = value;
        Ok(())
    }
    #[inline(always)]
    fn liability(&mut self, level: usize, value: u128) -> Result<(), MarginError> {
        self.liabilities[level] = value;
        Ok(())
    }
}

/// The values `position` in `pool` contributes at `levels`, priced at `price`
/// (already validated) with interest projected to `now`. Pure: the client scales
/// `price` and calls it again to move one asset (one copy of the formula).
pub fn position_values(
    pool: &Pool,
    position: &Position,
    price: &OraclePrice,
    kind: AccountKind,
    levels: Levels,
    now: i64,
) -> Result<PositionValues, MarginError> {
    let mut values = PositionValues::default();
    let (deposit, debt) = add_position(&mut values, pool, position, price, kind, levels, now)?;
    values.deposit = deposit;
    values.debt = debt;
    Ok(values)
}

/// Adds one position's weighted values at `levels` to `sink`; returns its
/// (deposit, debt) amounts in native units as health rounds them.
#[inline(always)]
pub fn add_position<S: ValueSink>(
    sink: &mut S,
    pool: &Pool,
    position: &Position,
    price: &OraclePrice,
    kind: AccountKind,
    levels: Levels,
    now: i64,
) -> Result<(u64, u64), MarginError> {
    // The levels of the new-risk gate (every borrow and withdrawal with debt) get
    // their own copy with them as constants: no tests of levels not asked for,
    // fewer values to keep per position. Same formula either way.
    if levels == INITIAL | STRESS {
        add_position_at::<{ INITIAL | STRESS }, S>(sink, pool, position, price, kind, levels, now)
    } else {
        add_position_at::<ANY_LEVELS, S>(sink, pool, position, price, kind, levels, now)
    }
}

/// `LEVELS` of [`add_position_at`] meaning "the `levels` argument".
const ANY_LEVELS: Levels = 0;

/// [`add_position`] at `LEVELS`, or at `levels` for [`ANY_LEVELS`].
#[inline(never)]
fn add_position_at<const LEVELS: Levels, S: ValueSink>(
    sink: &mut S,
    pool: &Pool,
    position: &Position,
    price: &OraclePrice,
    kind: AccountKind,
    levels: Levels,
    now: i64,
) -> Result<(u64, u64), MarginError> {
    let levels = if LEVELS == ANY_LEVELS { levels } else { LEVELS };
    let config = &pool.config;
    if pool.mint_decimals > MAX_DECIMALS {
        return Err(OVERFLOW);
    }
    let Bands { spot, ema, index, center_rounding } =
        Bands::new(price, config.oracle.confidence_multiplier_pct, pool.mint_decimals).ok_or(OVERFLOW)?;
    let isolated_only = config.flags & POOL_FLAG_ISOLATED_ONLY != 0;
    let counts_as_collateral = !(isolated_only && kind == AccountKind::Cross);
    let (mut deposit, mut debt) = (0, 0);
    let stress = if levels & STRESS != 0 { stress_bps(config, price) } else { 0 };
    let stressed_level = levels & STRESS != 0;
    // Initial weights, haircut by the price's age (Maintenance never is).
    let (init_asset_weight, init_liab_weight) = if levels & INITIAL != 0 || (stressed_level && stress == 0) {
        match age_haircut_bps(config, price.publish_time, now) {
            0 => (config.init_asset_weight_bps, config.init_liab_weight_bps),
            haircut => (
                stressed_weight(config.init_asset_weight_bps, haircut, false).ok_or(OVERFLOW)?,
                stressed_weight(config.init_liab_weight_bps, haircut, true).ok_or(OVERFLOW)?,
            ),
        }
    } else {
        (0, 0)
    };

    // Interest projected to `now` (deposits rounded down, debt up, as accrual does).
    let (deposit_value, borrow_value) = pool.share_values_at(now)?;
    // Stress: pools with a move are valued at Maintenance with it; pools without
    // one (stress 0) count their Initial value, a lower bound of Maintenance that
    // is already computed (the stress check then costs those positions nothing).
    if position.deposit_shares != 0 {
        let amount = fixed::mul_q64_floor(position.deposit_shares, deposit_value).ok_or(OVERFLOW)?;
        let amount = u64::try_from(amount).map_err(|_| OVERFLOW)?;
        deposit = amount;
        let value = |mantissa: u64, weight_bps: Option<u16>| {
            weighted_value(amount, mantissa, index, weight_bps, false).ok_or(OVERFLOW)
        };
        if counts_as_collateral && (levels & INITIAL != 0 || (stressed_level && stress == 0)) {
            let initial = value(spot.low().min(ema.low()), Some(init_asset_weight))?;
            if levels & INITIAL != 0 {
                sink.asset(0, initial)?;
            }
            if stressed_level && stress == 0 {
                sink.asset(3, initial)?;
            }
        }
        if levels & MAINTENANCE != 0 && counts_as_collateral {
            sink.asset(1, value(spot.low(), Some(config.maint_asset_weight_bps))?)?;
        }
        if levels & EQUITY != 0 {
            sink.asset(2, value(spot.center, None)?)?;
        }
        if stressed_level && stress != 0 && counts_as_collateral {
            let weight = stressed_weight(config.maint_asset_weight_bps, stress, false).ok_or(OVERFLOW)?;
            sink.asset(3, value(spot.low(), Some(weight))?)?;
        }
    }
    if position.borrow_shares != 0 {
        let amount = fixed::mul_q64_ceil(position.borrow_shares, borrow_value).ok_or(OVERFLOW)?;
        let amount = u64::try_from(amount).map_err(|_| OVERFLOW)?;
        debt = amount;
        let value = |mantissa: u64, weight_bps: Option<u16>| {
            weighted_value(amount, mantissa, index, weight_bps, true).ok_or(OVERFLOW)
        };
        if levels & INITIAL != 0 || (stressed_level && stress == 0) {
            let high = spot.high().ok_or(OVERFLOW)?.max(ema.high().ok_or(OVERFLOW)?);
            let initial = value(high, Some(init_liab_weight))?;
            if levels & INITIAL != 0 {
                sink.liability(0, initial)?;
            }
            if stressed_level && stress == 0 {
                sink.liability(3, initial)?;
            }
        }
        if levels & MAINTENANCE != 0 {
            sink.liability(1, value(spot.high().ok_or(OVERFLOW)?, Some(config.maint_liab_weight_bps))?)?;
        }
        if levels & EQUITY != 0 {
            sink.liability(2, value(spot.center.checked_add(center_rounding).ok_or(OVERFLOW)?, None)?)?;
        }
        if stressed_level && stress != 0 {
            let weight = stressed_weight(config.maint_liab_weight_bps, stress, true).ok_or(OVERFLOW)?;
            sink.liability(3, value(spot.high().ok_or(OVERFLOW)?, Some(weight))?)?;
        }
    }
    Ok((deposit, debt))
}

/// Running sums of position values (the evaluation step): [`HealthSums::health`]
/// at the end. Each sum stays below 2^127, so health fits `i128`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HealthSums {
    sums: [Sums; 4],
}

impl ValueSink for HealthSums {
    #[inline(always)]
    fn asset(&mut self, level: usize, value: u128) -> Result<(), MarginError> {
        add_below_2_pow_127(&mut self.sums[level].assets, value)
    }
    #[inline(always)]
    fn liability(&mut self, level: usize, value: u128) -> Result<(), MarginError> {
        add_below_2_pow_127(&mut self.sums[level].liabilities, value)
    }
}

/// `*sum += value`, staying below 2^127 so that health fits `i128`.
#[inline(always)]
fn add_below_2_pow_127(sum: &mut u128, value: u128) -> Result<(), MarginError> {
    // `*sum` is below 2^127 (only ever set here), so with `value` below 2^127 too the
    // sum cannot overflow: what `checked_add` would check, in fewer steps on SBF.
    if value >> 127 != 0 {
        return Err(OVERFLOW);
    }
    let total = sum.wrapping_add(value);
    if total >> 127 != 0 {
        return Err(OVERFLOW);
    }
    *sum = total;
    Ok(())
}

impl HealthSums {
    /// Adds one position's stored values at `levels` (`PriceOutOfRange` past 2^127).
    pub fn add(&mut self, values: &PositionValues, levels: Levels) -> Result<(), MarginError> {
        for (index, level) in [INITIAL, MAINTENANCE, EQUITY, STRESS].into_iter().enumerate() {
            if levels & level != 0 {
                self.asset(index, values.assets[index])?;
                self.liability(index, values.liabilities[index])?;
            }
        }
        Ok(())
    }

    /// Health at each level.
    pub fn health(&self) -> Health {
        Health {
            initial: self.sums[0].health(),
            maintenance: self.sums[1].health(),
            equity: self.sums[2].health(),
            stress: self.sums[3].health(),
            maintenance_liabilities: self.sums[1].liabilities,
        }
    }
}

/// Runs `f` on the pool stored in `data`, viewing in place when aligned (always, on
/// chain) and copying otherwise (buffers fetched by clients).
fn with_pool<R>(data: &[u8], f: impl FnOnce(&Pool) -> Result<R, MarginError>) -> Result<R, MarginError> {
    match state::view::<Pool>(data) {
        Ok(pool) => f(pool),
        Err(LayoutError::Alignment) => f(&bytemuck::pod_read_unaligned::<Pool>(data)),
        Err(LayoutError::Discriminator) => Err(MarginError::InvalidDiscriminator),
        Err(LayoutError::Size) => Err(MarginError::InvalidAccountSize),
    }
}

/// What a position whose oracle has no usable price right now (an outage, see
/// [`crate::oracle::is_outage`]) contributes. A wrong or substituted oracle
/// account is always an error, whatever the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unpriced {
    /// Deposits count zero at every level; debts fail with the oracle's error.
    /// For actions that add risk (borrow, withdraw with debt) and for reports:
    /// an unpriced deposit can never be borrowed against, an unpriced debt never
    /// ignored when new risk is taken.
    ZeroDeposits,
    /// Deposits and debts both count zero. For liquidation: an unpriced 1-unit
    /// deposit or an unpriced debt must not make an account unliquidatable. With
    /// the debt left out, Maintenance health is an upper bound on the truth, so an
    /// account found liquidatable is liquidatable; only priced collateral and
    /// priced debt are settled.
    ZeroAll,
    /// Nothing counts zero: any outage fails with the oracle's error. For
    /// `deleverage`, which is never urgent (the account is not liquidatable): an
    /// outage must not make a healthy account look deleverageable.
    Refuse,
}

/// Health of an account's `positions` (the used ones, in slot order) from its
/// health accounts, at `now`, for the requested `levels`. Every position is valued
/// with its pool's interest projected to `now` (`Pool::share_values_at`).
///
/// Every price must be published no earlier than its pool's
/// `newest_publish_time` (else `OracleOutdated`); pools passed writable record
/// the newest price read through [`AccountRead::record_publish_time`].
pub fn compute_health<A: AccountRead>(
    program_id: &[u8; 32],
    kind: AccountKind,
    positions: &[Position],
    accounts: &[A],
    now: i64,
    levels: Levels,
    unpriced: Unpriced,
) -> Result<Health, MarginError> {
    compute_health_visiting(program_id, kind, positions, accounts, now, levels, unpriced, |_, _, _| {})
}

/// [`compute_health`] that also hands each priced position to `visit` (slot, its
/// pool, the validated price): the health cache's load step. Liquidation takes
/// its settlement prices from here instead of reading the oracles twice; the
/// client keeps pool and price to re-price positions ([`position_values`]).
#[allow(clippy::too_many_arguments)] // compute_health's inputs plus the visitor
pub fn compute_health_visiting<A: AccountRead>(
    program_id: &[u8; 32],
    kind: AccountKind,
    positions: &[Position],
    accounts: &[A],
    now: i64,
    levels: Levels,
    unpriced: Unpriced,
    mut visit: impl FnMut(usize, &Pool, &OraclePrice),
) -> Result<Health, MarginError> {
    if Some(accounts.len()) != positions.len().checked_mul(2) {
        return Err(MarginError::HealthAccountCount);
    }
    let mut sums = HealthSums::default();
    for (slot, (position, pair)) in positions.iter().zip(accounts.chunks_exact(2)).enumerate() {
        let (pool_account, oracle_account) = (&pair[0], &pair[1]);
        if !fixed::key_eq(pool_account.key(), &position.pool) {
            return Err(MarginError::HealthAccountMismatch);
        }
        if !fixed::key_eq(pool_account.owner(), program_id) {
            return Err(MarginError::InvalidAccountOwner);
        }
        if position.is_empty() {
            // An isolated slot without a balance: its pool must still be named
            // (checked above), but its price is irrelevant.
            continue;
        }
        let newer_price = with_pool(pool_account.data(), |pool| {
            let oracle = &pool.config.oracle;
            let read =
                read_oracle_unchecked(oracle, oracle_account.key(), oracle_account.owner(), oracle_account.data())
                    .and_then(|price| {
                        if price.publish_time < pool.newest_publish_time {
                            return Err(MarginError::OracleOutdated);
                        }
                        validate_price(oracle, &price, now).map(|()| price)
                    });
            match read {
                Ok(price) => {
                    add_position(&mut sums, pool, position, &price, kind, levels, now)?;
                    visit(slot, pool, &price);
                    Ok((price.publish_time > pool.newest_publish_time).then_some(price.publish_time))
                }
                Err(error) if is_outage(error, oracle.kind) => {
                    let counts_zero = match unpriced {
                        Unpriced::ZeroDeposits => position.borrow_shares == 0,
                        Unpriced::ZeroAll => true,
                        Unpriced::Refuse => false,
                    };
                    if counts_zero {
                        Ok(None)
                    } else {
                        Err(error)
                    }
                }
                Err(error) => Err(error),
            }
        })?;
        if let Some(publish_time) = newer_price {
            pool_account.record_publish_time(publish_time);
        }
    }
    Ok(sums.health())
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)] // test code
mod tests {
    use super::*;

    /// Whatever oracle validation accepts, health prices: a 10^16 mantissa at expo
    /// -12 with 3% confidence (conf > 2^48) used to be `PriceOutOfRange`.
    #[test]
    fn wide_prices_are_priced_conservatively() {
        let price = OraclePrice {
            price: 10_000_000_000_000_000,
            conf: 300_000_000_000_000,
            expo: -12,
            publish_time: 0,
            ema_price: 10_000_000_000_000_000,
            ema_conf: 300_000_000_000_000,
        };
        // 10^4 USD per whole token, 6 decimals: 10^-2 USD per native unit.
        // k * conf = 9e16 does not fit the fast path's bound, but the sums fit a u64
        // once computed wide: no rescaling needed.
        let bands = Bands::new(&price, 300, 6).expect("priced");
        assert_eq!(bands.center_rounding, 0);
        let usd = |mantissa: u64| unit_price(mantissa, bands.index, false).unwrap() as f64 / fixed::ONE as f64;
        let exact = |multiple: f64| 0.01 * multiple;
        // Low <= exact (1 - 0.09), high >= exact (1 + 0.09) (up to f64's own 1e-15),
        // center within 1e-12.
        assert!(
            usd(bands.spot.low()) <= exact(0.91) * (1.0 + 1e-15) && usd(bands.spot.low()) > exact(0.91) * (1.0 - 1e-12)
        );
        let high = unit_price(bands.spot.high().unwrap(), bands.index, true).unwrap() as f64 / fixed::ONE as f64;
        assert!(high >= exact(1.09) * (1.0 - 1e-15) && high < exact(1.09) * (1.0 + 1e-12));
        assert!((usd(bands.spot.center) - exact(1.0)).abs() < exact(1.0) * 1e-12);
        // A mantissa near i64::MAX: scaled by 100 it needs two fewer digits.
        let huge = OraclePrice {
            price: 9_000_000_000_000_000_000,
            conf: 90_000_000_000_000_000,
            ema_price: 9_000_000_000_000_000_000,
            ema_conf: 0,
            ..price
        };
        let wide = Bands::new(&huge, 100, 6).expect("priced");
        assert_eq!((wide.center_rounding, wide.index), (1, 6 + 12 + 2 - 2));
        assert!(wide.spot.low() <= 8_910_000_000_000_000_000 && wide.spot.high().unwrap() >= 9_090_000_000_000_000_000);
        // A real feed stays on the fast path.
        let usdc = OraclePrice {
            price: 100_000_000,
            conf: 10_000,
            expo: -8,
            publish_time: 0,
            ema_price: 100_000_000,
            ema_conf: 10_000,
        };
        assert_eq!(Bands::new(&usdc, 100, 6).unwrap().center_rounding, 0);
    }

    #[test]
    fn age_haircut_grows_linearly_from_the_soft_to_the_hard_age() {
        let mut config: crate::state::PoolConfig = bytemuck::Zeroable::zeroed();
        config.oracle.max_age_secs = 60;
        config.age_haircut_start_secs = 20;
        config.age_haircut_max_bps = 1_000;
        let at = |config: &crate::state::PoolConfig, age: i64| age_haircut_bps(config, 1_000, 1_000 + age);
        // Fresh, future and up to the soft age: none.
        assert_eq!((at(&config, 0), at(&config, -5), at(&config, 20)), (0, 0, 0));
        // 1 s past the soft age of a 40 s span: 1_000 / 40 = 25; 13 s: 325; then
        // rounded up (7 s: 175; 1/3 of the way over a 30 s span: 333.3 -> 334).
        assert_eq!((at(&config, 21), at(&config, 33), at(&config, 27)), (25, 325, 175));
        assert_eq!((at(&config, 60), at(&config, 61)), (1_000, 1_000));
        config.age_haircut_start_secs = 30;
        assert_eq!(at(&config, 40), 334);
        config.age_haircut_max_bps = 0;
        assert_eq!(at(&config, 60), 0);
    }

    #[test]
    fn reciprocal_table_is_floor_of_two_to_128_over_powers_of_ten() {
        assert_eq!(POW10_RECIPROCALS[0], u128::MAX);
        assert_eq!(POW10_RECIPROCALS[1], u128::MAX / 10);
        assert_eq!(POW10_RECIPROCALS[38], u128::MAX / 10u128.pow(38));
    }

    /// `unit_price` is the Q64.64 product of the mantissa and the reciprocal
    /// (plus one when rounding up) at every index, rounded as asked.
    #[test]
    fn unit_price_matches_the_reciprocal_product() {
        let mantissas = [0u64, 1, 99, 100_000_000 * 100, 0xffff_ffff, 0x1_2345_6789, u64::MAX / 100, u64::MAX];
        for index in 0..POW10_RECIPROCALS.len() + 2 {
            for m in mantissas {
                let reciprocal = POW10_RECIPROCALS.get(index).copied();
                let floor = reciprocal.and_then(|r| fixed::mul_q64_floor(m, r));
                let ceil = reciprocal.and_then(|r| r.checked_add(1)).and_then(|r| fixed::mul_q64_ceil(m, r));
                assert_eq!(unit_price(m, index, false), floor, "{m} at {index}");
                assert_eq!(unit_price(m, index, true), ceil, "{m} at {index}");
            }
        }
    }

    #[test]
    fn unit_price_of_one_dollar_usdc() {
        // 1.00 USD with expo -8 (mantissa 1e8), 6 decimals: 1e-6 USD per unit.
        let floor = unit_price(100_000_000 * 100, (6 + 8 + 2) as usize, false).unwrap();
        let ceil = unit_price(100_000_000 * 100, (6 + 8 + 2) as usize, true).unwrap();
        let exact = (1u128 << 64) as f64 / 1e6;
        assert!((floor as f64 - exact).abs() / exact < 1e-12);
        assert!(floor < ceil && ceil - floor <= 2);
    }

    #[test]
    fn weights_round_in_the_protocols_favour() {
        assert!(weight_fraction(8_000, false) <= weight_fraction(8_000, true));
        assert_eq!(weight_fraction(10_000, false), 1 << WEIGHT_BITS);
        assert_eq!(apply_weight(1000, 1 << WEIGHT_BITS, false), Some(1000));
        assert_eq!(apply_weight(3, 1 << (WEIGHT_BITS - 1), false), Some(1));
        assert_eq!(apply_weight(3, 1 << (WEIGHT_BITS - 1), true), Some(2));
        assert_eq!(apply_weight(u128::MAX >> 1, 1 << WEIGHT_BITS, false), Some(u128::MAX >> 1));
    }
}
