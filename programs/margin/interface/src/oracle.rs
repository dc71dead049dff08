//! Pyth price accounts, read zero-copy: the legacy push `SolanaPriceAccount` and
//! the pull receiver's `PriceUpdateV2`. The conformance crates prove these readers
//! against pyth-sdk-solana and pyth-solana-receiver-sdk.

use bytemuck::{Pod, Zeroable};

use crate::{
    error::MarginError,
    fixed::{key_eq, mul_64x64},
    state::{OracleConfig, OracleKind},
    BPS,
};

/// Owner of legacy push price accounts (Pyth oracle program, mainnet).
pub const PYTH_LEGACY_PROGRAM_ID: [u8; 32] = [
    220, 229, 235, 225, 228, 156, 59, 159, 17, 76, 181, 84, 76, 80, 169, 158, 192, 214, 146, 214, 63, 86, 121, 90, 224,
    41, 172, 131, 217, 234, 139, 226,
];

/// Owner of `PriceUpdateV2` accounts (`rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ`).
pub const PYTH_RECEIVER_PROGRAM_ID: [u8; 32] = [
    12, 183, 250, 187, 82, 247, 166, 72, 187, 91, 49, 125, 154, 1, 139, 144, 87, 203, 2, 71, 116, 250, 254, 1, 230,
    196, 223, 152, 204, 56, 88, 129,
];

/// Anchor discriminator of `PriceUpdateV2`: `sha256("account:PriceUpdateV2")[..8]`.
pub const PRICE_UPDATE_V2_DISCRIMINATOR: [u8; 8] = [34, 241, 35, 99, 157, 126, 244, 205];

/// Bytes up to and including `posted_slot` in the longer (Partial) layout, which
/// is also what the receiver allocates.
pub const PRICE_UPDATE_V2_MIN_LEN: usize = 8 + 32 + 2 + 84 + 8;

/// Legacy price account magic, version and account type.
pub const LEGACY_MAGIC: u32 = 0xa1b2_c3d4;
pub const LEGACY_VERSION: u32 = 2;
pub const LEGACY_ACCOUNT_TYPE_PRICE: u32 = 3;
/// Legacy aggregate status meaning "trading".
pub const LEGACY_STATUS_TRADING: u8 = 1;
/// Size of pyth-sdk-solana's `SolanaPriceAccount` (32 publisher slots); like the
/// SDK, shorter accounts are rejected even though only the first 240 bytes are read.
pub const LEGACY_MIN_LEN: usize = 3312;

/// Supported exponent range: prices are `mantissa * 10^expo`.
pub const MIN_EXPONENT: i32 = -18;
pub const MAX_EXPONENT: i32 = 0;

/// A price as Pyth publishes it: `price * 10^expo` USD per whole token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OraclePrice {
    pub price: i64,
    pub conf: u64,
    pub expo: i32,
    pub publish_time: i64,
    pub ema_price: i64,
    pub ema_conf: u64,
}

/// How a `PriceUpdateV2` was verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verification {
    /// Some Wormhole guardian signatures were checked.
    Partial { num_signatures: u8 },
    /// The full guardian set quorum was checked.
    Full,
}

/// A parsed `PriceUpdateV2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PriceUpdate {
    pub write_authority: [u8; 32],
    pub verification: Verification,
    pub feed_id: [u8; 32],
    pub price: OraclePrice,
    pub prev_publish_time: i64,
    pub posted_slot: u64,
}

/// The first 240 bytes of a legacy `SolanaPriceAccount` (pyth-sdk-solana's
/// `GenericPriceAccount` up to the aggregate price info). Packed, so it overlays
/// any buffer; SBF reads each field with one (possibly misaligned) load.
#[repr(C, packed)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct LegacyHead {
    magic: u32,
    version: u32,
    account_type: u32,
    size: u32,
    price_type: u32,
    expo: i32,
    num: u32,
    num_qt: u32,
    last_slot: u64,
    valid_slot: u64,
    ema_price: [i64; 3], // val, numer, denom
    ema_conf: [i64; 3],
    timestamp: i64,
    min_pub: u8,
    drv2: u8,
    drv3: u16,
    drv4: u32,
    product: [u8; 32],
    next: [u8; 32],
    prev_slot: u64,
    prev_price: i64,
    prev_conf: u64,
    prev_timestamp: i64,
    agg_price: i64,
    agg_conf: u64,
    /// `PriceStatus` is `repr(u8)` in the SDK, followed by the corporate action byte.
    agg_status: u8,
    agg_corp_act: u8,
    agg_padding: [u8; 6],
    agg_pub_slot: u64,
}
const _: () = assert!(core::mem::size_of::<LegacyHead>() == 240);

/// A `PriceFeedMessage` as borsh lays it out (84 bytes, packed).
#[repr(C, packed)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct FeedMessage {
    feed_id: [u8; 32],
    price: i64,
    conf: u64,
    exponent: i32,
    publish_time: i64,
    prev_publish_time: i64,
    ema_price: i64,
    ema_conf: u64,
}
const _: () = assert!(core::mem::size_of::<FeedMessage>() == 84);

impl FeedMessage {
    fn price(&self) -> OraclePrice {
        OraclePrice {
            price: self.price,
            conf: self.conf,
            expo: self.exponent,
            publish_time: self.publish_time,
            ema_price: self.ema_price,
            ema_conf: self.ema_conf,
        }
    }
}

/// Reads a legacy `SolanaPriceAccount`: header checks (magic, version, price
/// account type, the SDK's full size), then the aggregate price, conf and status,
/// the EMA price and conf, the exponent and the publish timestamp.
/// Returns the price and whether the aggregate status is Trading.
pub fn parse_legacy(data: &[u8]) -> Result<(OraclePrice, bool), MarginError> {
    if data.len() < LEGACY_MIN_LEN {
        return Err(MarginError::OracleInvalidData);
    }
    let head: &LegacyHead = bytemuck::from_bytes(&data[..core::mem::size_of::<LegacyHead>()]);
    if head.magic != LEGACY_MAGIC || head.version != LEGACY_VERSION || head.account_type != LEGACY_ACCOUNT_TYPE_PRICE {
        return Err(MarginError::OracleInvalidData);
    }
    let price = OraclePrice {
        price: head.agg_price,
        conf: head.agg_conf,
        expo: head.expo,
        publish_time: head.timestamp,
        ema_price: head.ema_price[0],
        ema_conf: head.ema_conf[0] as u64,
    };
    Ok((price, head.agg_status == LEGACY_STATUS_TRADING))
}

/// Bytes before the price feed message for each verification layout.
const PULL_FULL_MESSAGE: usize = 8 + 32 + 1;
const PULL_PARTIAL_MESSAGE: usize = 8 + 32 + 2;

/// Verification level, message and posted slot of a `PriceUpdateV2`, in place.
#[allow(clippy::arithmetic_side_effects)] // at <= 42: end + 8 <= PRICE_UPDATE_V2_MIN_LEN <= data.len()
fn pull_fields(data: &[u8]) -> Result<(Verification, &FeedMessage, u64), MarginError> {
    // The receiver allocates the Partial layout's size for both layouts; one length
    // check covers every read below.
    if data.len() < PRICE_UPDATE_V2_MIN_LEN || data[..8] != PRICE_UPDATE_V2_DISCRIMINATOR {
        return Err(MarginError::OracleInvalidData);
    }
    let (verification, at) = match (data[40], data[41]) {
        (0, num_signatures) => (Verification::Partial { num_signatures }, PULL_PARTIAL_MESSAGE),
        (1, _) => (Verification::Full, PULL_FULL_MESSAGE),
        _ => return Err(MarginError::OracleInvalidData),
    };
    let end = at + core::mem::size_of::<FeedMessage>();
    let message: &FeedMessage = bytemuck::from_bytes(&data[at..end]);
    let mut slot = [0u8; 8];
    slot.copy_from_slice(&data[end..end + 8]);
    Ok((verification, message, u64::from_le_bytes(slot)))
}

/// The parts of a `PriceUpdateV2` the health check needs, read in place:
/// verification level, feed id and price.
pub fn read_price_update(data: &[u8]) -> Result<(Verification, &[u8; 32], OraclePrice), MarginError> {
    let (verification, message, _) = pull_fields(data)?;
    Ok((verification, &message.feed_id, message.price()))
}

/// Reads a whole pull-oracle `PriceUpdateV2` (Anchor account, borsh):
/// discriminator, write authority, verification level (1 or 2 bytes), price feed
/// message, posted slot.
pub fn parse_price_update(data: &[u8]) -> Result<PriceUpdate, MarginError> {
    let (verification, message, posted_slot) = pull_fields(data)?;
    let mut write_authority = [0u8; 32];
    write_authority.copy_from_slice(&data[8..40]);
    Ok(PriceUpdate {
        write_authority,
        verification,
        feed_id: message.feed_id,
        price: message.price(),
        prev_publish_time: message.prev_publish_time,
        posted_slot,
    })
}

/// Reads and validates the oracle account a pool's `config` names, at `now`.
/// Every rejection has its own error; on success the price is positive, fresh,
/// tight enough, and its exponent is in range.
pub fn read_oracle(
    config: &OracleConfig,
    key: &[u8; 32],
    owner: &[u8; 32],
    data: &[u8],
    now: i64,
) -> Result<OraclePrice, MarginError> {
    let price = read_oracle_unchecked(config, key, owner, data)?;
    validate_price(config, &price, now)?;
    Ok(price)
}

/// The price in the oracle account, after the checks that it IS the pool's
/// oracle (key or feed id, owner, format, verification level) but before the
/// checks of the price itself ([`validate_price`]).
///
/// The legacy account is checked by key first: once it is the configured
/// account, nothing about it is the caller's choice, so an unusable owner or
/// data there is an outage ([`is_outage`]), not a substitution.
#[inline(always)]
pub fn read_oracle_unchecked(
    config: &OracleConfig,
    key: &[u8; 32],
    owner: &[u8; 32],
    data: &[u8],
) -> Result<OraclePrice, MarginError> {
    match config.kind {
        k if k == OracleKind::PythLegacy as u8 => {
            if !key_eq(key, &config.address) {
                return Err(MarginError::OracleWrongAccount);
            }
            if !key_eq(owner, &PYTH_LEGACY_PROGRAM_ID) {
                return Err(MarginError::OracleWrongOwner);
            }
            let (price, trading) = parse_legacy(data)?;
            if !trading {
                return Err(MarginError::OracleNotTrading);
            }
            Ok(price)
        }
        k if k == OracleKind::PythPull as u8 => {
            if !key_eq(owner, &PYTH_RECEIVER_PROGRAM_ID) {
                return Err(MarginError::OracleWrongOwner);
            }
            let (verification, feed_id, price) = read_price_update(data)?;
            if !key_eq(feed_id, &config.address) {
                return Err(MarginError::OracleWrongAccount);
            }
            if config.require_full_verification != 0 && verification != Verification::Full {
                return Err(MarginError::OraclePartiallyVerified);
            }
            Ok(price)
        }
        _ => Err(MarginError::OracleNotConfigured),
    }
}

/// True when `error` (from reading the pool's own oracle, kind `kind`) means the
/// market has no usable price right now, rather than that the caller passed the
/// wrong account: no oracle configured, halted, non-positive, unsupported
/// exponent; for the legacy format (whose account is fixed by key) also stale,
/// too wide, a changed owner or unreadable data.
///
/// A pull update is the caller's choice, so whatever can be cured by passing a
/// better one is never an outage: wrong feed or owner, partial verification,
/// older than the newest seen, and also **stale or too wide** (anyone can post a
/// fresh update; otherwise a liquidator could pass an old or wide one to value a
/// healthy account's collateral at zero and liquidate it). During a real pull-feed
/// outage, positions in that pool wait for the feed instead.
pub fn is_outage(error: MarginError, kind: u8) -> bool {
    match error {
        MarginError::OracleNotConfigured
        | MarginError::OracleNotTrading
        | MarginError::OracleNonPositivePrice
        | MarginError::OracleExponentOutOfRange => true,
        MarginError::OracleStale
        | MarginError::OracleConfidenceTooWide
        | MarginError::OracleWrongOwner
        | MarginError::OracleInvalidData => kind == OracleKind::PythLegacy as u8,
        _ => false,
    }
}

/// The checks shared by both formats.
#[inline(always)]
pub fn validate_price(config: &OracleConfig, price: &OraclePrice, now: i64) -> Result<(), MarginError> {
    if price.price <= 0 || price.ema_price <= 0 {
        return Err(MarginError::OracleNonPositivePrice);
    }
    if price.expo < MIN_EXPONENT || price.expo > MAX_EXPONENT {
        return Err(MarginError::OracleExponentOutOfRange);
    }
    // Like pyth-sdk's `get_price_no_older_than`, the distance counts both ways: a
    // publish time further in the future than the age limit is as suspect as an old one.
    if now.abs_diff(price.publish_time) > config.max_age_secs as u64 {
        return Err(MarginError::OracleStale);
    }
    // conf / price <= max_confidence_bps / 10_000, without dividing (and without a
    // 128-bit libcall multiply): in u64 when both products fit (price < 2^48 and
    // conf < 2^50 with a u16 limit and BPS < 2^14, every real feed), else in u128.
    let (mantissa, bps) = (price.price as u64, config.max_confidence_bps as u64);
    let too_wide = if (mantissa >> 48 | price.conf >> 50) == 0 {
        price.conf.wrapping_mul(BPS) > mantissa.wrapping_mul(bps)
    } else {
        mul_64x64(price.conf, BPS) > mul_64x64(mantissa, bps)
    };
    if too_wide {
        return Err(MarginError::OracleConfidenceTooWide);
    }
    Ok(())
}
