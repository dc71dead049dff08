//! Pyth price accounts, read zero-copy: the legacy push `SolanaPriceAccount` and
//! the pull receiver's `PriceUpdateV2`. The conformance crates prove these readers
//! against pyth-sdk-solana and pyth-solana-receiver-sdk.

use crate::{
    error::MarginError,
    fixed::{key_eq, mul_64x64},
    state::{OracleConfig, OracleKind},
    BPS,
};

/// Owner of legacy push price accounts (Pyth oracle program, mainnet).
pub const PYTH_LEGACY_PROGRAM_ID: [u8; 32] = [
    220, 229, 235, 225, 228, 156, 59, 159, 17, 76, 181, 84, 76, 80, 169, 158, 192, 214, 146, 214,
    63, 86, 121, 90, 224, 41, 172, 131, 217, 234, 139, 226,
];

/// Owner of `PriceUpdateV2` accounts (`rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ`).
pub const PYTH_RECEIVER_PROGRAM_ID: [u8; 32] = [
    12, 183, 250, 187, 82, 247, 166, 72, 187, 91, 49, 125, 154, 1, 139, 144, 87, 203, 2, 71, 116,
    250, 254, 1, 230, 196, 223, 152, 204, 56, 88, 129,
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

fn bytes_at(data: &[u8], offset: usize, len: usize) -> Result<&[u8], MarginError> {
    data.get(offset..offset + len).ok_or(MarginError::OracleInvalidData)
}
fn read<const N: usize>(data: &[u8], offset: usize) -> Result<[u8; N], MarginError> {
    bytes_at(data, offset, N).map(|bytes| bytes.try_into().unwrap_or([0; N]))
}
/// A little-endian u64 field (the pull format's fields sit at odd offsets; SBF
/// loads them in one instruction since misaligned access is allowed there).
fn u64_at(data: &[u8], offset: usize) -> Result<u64, MarginError> {
    read::<8>(data, offset).map(u64::from_le_bytes)
}
fn i64_at(data: &[u8], offset: usize) -> Result<i64, MarginError> {
    u64_at(data, offset).map(|v| v as i64)
}
fn u32_at(data: &[u8], offset: usize) -> Result<u32, MarginError> {
    read::<4>(data, offset).map(u32::from_le_bytes)
}
fn i32_at(data: &[u8], offset: usize) -> Result<i32, MarginError> {
    u32_at(data, offset).map(|v| v as i32)
}

/// Reads a legacy `SolanaPriceAccount` (layout of pyth-sdk-solana's
/// `GenericPriceAccount`): header checks, then the aggregate price, conf and
/// status, the EMA price and conf, and the publish timestamp.
///
/// Offsets: magic 0, version 4, type 8, expo 20, ema_price.val 48, ema_conf.val 72,
/// timestamp 96, agg.price 208, agg.conf 216, agg.status 224 (one byte: the SDK's
/// `PriceStatus` is `repr(u8)`, followed by the corporate-action byte).
/// Returns the price and whether the aggregate status is Trading.
pub fn parse_legacy(data: &[u8]) -> Result<(OraclePrice, bool), MarginError> {
    if data.len() < LEGACY_MIN_LEN
        || u32_at(data, 0)? != LEGACY_MAGIC
        || u32_at(data, 4)? != LEGACY_VERSION
        || u32_at(data, 8)? != LEGACY_ACCOUNT_TYPE_PRICE
    {
        return Err(MarginError::OracleInvalidData);
    }
    let price = OraclePrice {
        price: i64_at(data, 208)?,
        conf: u64_at(data, 216)?,
        expo: i32_at(data, 20)?,
        publish_time: i64_at(data, 96)?,
        ema_price: i64_at(data, 48)?,
        ema_conf: u64_at(data, 72)?,
    };
    Ok((price, read::<1>(data, 224)?[0] == LEGACY_STATUS_TRADING))
}

/// The parts of a `PriceUpdateV2` the health check needs, read in place:
/// verification level, feed id and price.
pub fn read_price_update(data: &[u8]) -> Result<(Verification, &[u8; 32], OraclePrice), MarginError> {
    // Every field read below lies within the Partial layout's 134 bytes; one length
    // check up front lets the compiler drop the per-field checks.
    if data.len() < PRICE_UPDATE_V2_MIN_LEN || u64_at(data, 0)? != u64::from_le_bytes(PRICE_UPDATE_V2_DISCRIMINATOR) {
        return Err(MarginError::OracleInvalidData);
    }
    let (verification, message) = match read::<2>(data, 40)? {
        [0, num_signatures] => (Verification::Partial { num_signatures }, 42),
        [1, _] => (Verification::Full, 41),
        _ => return Err(MarginError::OracleInvalidData),
    };
    // PriceFeedMessage: feed_id, price, conf, exponent, publish_time,
    // prev_publish_time, ema_price, ema_conf; then posted_slot.
    let feed_id: &[u8; 32] = bytes_at(data, message, 32)?.try_into().map_err(|_| MarginError::OracleInvalidData)?;
    let price = OraclePrice {
        price: i64_at(data, message + 32)?,
        conf: u64_at(data, message + 40)?,
        expo: i32_at(data, message + 48)?,
        publish_time: i64_at(data, message + 52)?,
        ema_price: i64_at(data, message + 68)?,
        ema_conf: u64_at(data, message + 76)?,
    };
    Ok((verification, feed_id, price))
}

/// Reads a whole pull-oracle `PriceUpdateV2` (Anchor account, borsh):
/// discriminator, write authority, verification level (1 or 2 bytes), price feed
/// message, posted slot.
pub fn parse_price_update(data: &[u8]) -> Result<PriceUpdate, MarginError> {
    let (verification, feed_id, price) = read_price_update(data)?;
    let message = match verification {
        Verification::Partial { .. } => 42,
        Verification::Full => 41,
    };
    Ok(PriceUpdate {
        write_authority: read::<32>(data, 8)?,
        verification,
        feed_id: *feed_id,
        price,
        prev_publish_time: i64_at(data, message + 60)?,
        posted_slot: u64_at(data, message + 84)?,
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
    let price = match config.kind {
        k if k == OracleKind::PythLegacy as u8 => {
            if !key_eq(owner, &PYTH_LEGACY_PROGRAM_ID) {
                return Err(MarginError::OracleWrongOwner);
            }
            if !key_eq(key, &config.address) {
                return Err(MarginError::OracleWrongAccount);
            }
            let (price, trading) = parse_legacy(data)?;
            if !trading {
                return Err(MarginError::OracleNotTrading);
            }
            price
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
            price
        }
        _ => return Err(MarginError::OracleNotConfigured),
    };
    validate_price(config, &price, now)?;
    Ok(price)
}

/// The checks shared by both formats.
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
    // 128-bit libcall multiply).
    let limit = mul_64x64(price.price as u64, config.max_confidence_bps as u64);
    if mul_64x64(price.conf, BPS) > limit {
        return Err(MarginError::OracleConfidenceTooWide);
    }
    Ok(())
}
