//! Pyth account writers for tests, the demo and local setups. The program's
//! readers live in `margin_interface::oracle` and are checked against the Pyth
//! SDKs by the conformance tests; these writers produce the same layouts.

use margin_interface::oracle::{
    OraclePrice, Verification, LEGACY_ACCOUNT_TYPE_PRICE, LEGACY_MAGIC, LEGACY_STATUS_TRADING, LEGACY_VERSION,
    PRICE_UPDATE_V2_DISCRIMINATOR,
};

/// Size of a legacy price account with 32 publisher slots.
pub const LEGACY_PRICE_ACCOUNT_LEN: usize = 3312;
/// Size Anchor allocates for `PriceUpdateV2`.
pub const PRICE_UPDATE_V2_LEN: usize = 134;

/// A legacy `SolanaPriceAccount` with the given aggregate, EMA and status.
pub fn legacy_price_account(price: &OraclePrice, status: u8) -> Vec<u8> {
    let mut data = vec![0u8; LEGACY_PRICE_ACCOUNT_LEN];
    let mut put = |offset: usize, bytes: &[u8]| data[offset..offset + bytes.len()].copy_from_slice(bytes);
    put(0, &LEGACY_MAGIC.to_le_bytes());
    put(4, &LEGACY_VERSION.to_le_bytes());
    put(8, &LEGACY_ACCOUNT_TYPE_PRICE.to_le_bytes());
    put(12, &(LEGACY_PRICE_ACCOUNT_LEN as u32).to_le_bytes());
    put(16, &1u32.to_le_bytes()); // price type: price
    put(20, &price.expo.to_le_bytes());
    put(48, &price.ema_price.to_le_bytes());
    put(56, &price.ema_price.to_le_bytes()); // numer
    put(64, &1i64.to_le_bytes()); // denom
    put(72, &(price.ema_conf as i64).to_le_bytes());
    put(80, &(price.ema_conf as i64).to_le_bytes());
    put(88, &1i64.to_le_bytes());
    put(96, &price.publish_time.to_le_bytes());
    put(184, &price.price.to_le_bytes()); // prev price
    put(192, &price.conf.to_le_bytes());
    put(200, &price.publish_time.to_le_bytes());
    put(208, &price.price.to_le_bytes());
    put(216, &price.conf.to_le_bytes());
    put(224, &[status]);
    data
}

/// A legacy price account that is trading.
pub fn legacy_trading(price: &OraclePrice) -> Vec<u8> {
    legacy_price_account(price, LEGACY_STATUS_TRADING)
}

/// A `PriceUpdateV2` for `feed_id` (Anchor discriminator + borsh, padded to the
/// allocated size).
pub fn price_update_v2(
    feed_id: &[u8; 32],
    verification: Verification,
    price: &OraclePrice,
    posted_slot: u64,
) -> Vec<u8> {
    let mut data = Vec::with_capacity(PRICE_UPDATE_V2_LEN);
    data.extend_from_slice(&PRICE_UPDATE_V2_DISCRIMINATOR);
    data.extend_from_slice(&[7u8; 32]); // write authority
    match verification {
        Verification::Partial { num_signatures } => data.extend_from_slice(&[0, num_signatures]),
        Verification::Full => data.push(1),
    }
    data.extend_from_slice(feed_id);
    data.extend_from_slice(&price.price.to_le_bytes());
    data.extend_from_slice(&price.conf.to_le_bytes());
    data.extend_from_slice(&price.expo.to_le_bytes());
    data.extend_from_slice(&price.publish_time.to_le_bytes());
    data.extend_from_slice(&(price.publish_time - 1).to_le_bytes()); // prev publish time
    data.extend_from_slice(&price.ema_price.to_le_bytes());
    data.extend_from_slice(&price.ema_conf.to_le_bytes());
    data.extend_from_slice(&posted_slot.to_le_bytes());
    data.resize(PRICE_UPDATE_V2_LEN, 0);
    data
}
