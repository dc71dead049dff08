//! margin-interface's legacy Pyth reader against pyth-sdk-solana 0.10.6: random
//! `SolanaPriceAccount`s built with the SDK's own struct, read by both.

use margin_interface::{
    error::MarginError,
    oracle::{parse_legacy, validate_price},
    state::{OracleConfig, OracleKind},
};
use pyth_sdk_solana::state::{load_price_account, PriceStatus, SolanaPriceAccount};
use solana_program::pubkey::Pubkey;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn i64(&mut self) -> i64 {
        self.next() as i64
    }
}

fn random_account(rng: &mut Rng) -> SolanaPriceAccount {
    let mut account = SolanaPriceAccount::default();
    account.magic = pyth_sdk_solana::state::MAGIC;
    account.ver = pyth_sdk_solana::state::VERSION_2;
    account.atype = 3; // AccountType::Price
    account.size = std::mem::size_of::<SolanaPriceAccount>() as u32;
    account.expo = -((rng.next() % 19) as i32);
    account.timestamp = 1_700_000_000 + (rng.next() % 100_000) as i64;
    account.prev_timestamp = account.timestamp - (rng.next() % 1000) as i64;
    account.ema_price.val = rng.i64() >> (rng.next() % 40);
    account.ema_conf.val = (rng.next() >> (rng.next() % 50 + 1)) as i64;
    account.agg.price = rng.i64() >> (rng.next() % 40);
    account.agg.conf = rng.next() >> (rng.next() % 50);
    account.prev_price = rng.i64();
    account.prev_conf = rng.next();
    account.agg.pub_slot = rng.next();
    account.agg.status = match rng.next() % 5 {
        0 => PriceStatus::Unknown,
        1 | 2 => PriceStatus::Trading,
        3 => PriceStatus::Halted,
        _ => PriceStatus::Auction,
    };
    account
}

#[test]
fn reader_matches_pyth_sdk_on_random_accounts() {
    let mut rng = Rng(0xfeed_beef_1234_5678);
    let key = Pubkey::new_unique();
    let mut trading = 0;
    for _ in 0..5_000 {
        let account = random_account(&mut rng);
        let bytes = bytemuck::bytes_of(&account).to_vec();
        let sdk = load_price_account::<32, ()>(&bytes).expect("sdk loads its own account");
        let feed = sdk.to_price_feed(&key);
        let (ours, is_trading) = parse_legacy(&bytes).expect("we load it too");
        assert_eq!(is_trading, sdk.agg.status == PriceStatus::Trading);
        let ema = feed.get_ema_price_unchecked();
        assert_eq!(ours.ema_price, ema.price);
        assert_eq!(ours.ema_conf, ema.conf);
        assert_eq!(ours.expo, ema.expo);
        if is_trading {
            trading += 1;
            let price = feed.get_price_unchecked();
            assert_eq!(ours.price, price.price);
            assert_eq!(ours.conf, price.conf);
            assert_eq!(ours.expo, price.expo);
            assert_eq!(ours.publish_time, price.publish_time);
            assert_eq!(ours.publish_time, ema.publish_time);
        }
    }
    assert!(trading > 1_000);
}

#[test]
fn rejects_what_pyth_rejects() {
    let mut rng = Rng(42);
    let good = bytemuck::bytes_of(&random_account(&mut rng)).to_vec();
    let mut cases: Vec<Vec<u8>> = Vec::new();
    for (offset, value) in [(0usize, 0xdead_beefu32), (4, 1), (4, 3), (8, 1), (8, 2)] {
        let mut bytes = good.clone();
        bytes[offset..offset + 4].copy_from_slice(&value.to_le_bytes());
        cases.push(bytes);
    }
    cases.push(good[..good.len() - 1].to_vec()); // one byte short
    cases.push(good[..240].to_vec());
    cases.push(Vec::new());
    for bytes in cases {
        assert!(load_price_account::<32, ()>(&bytes).is_err(), "the SDK accepts what this case meant to break");
        assert_eq!(parse_legacy(&bytes).unwrap_err(), MarginError::OracleInvalidData);
    }
}

#[test]
fn staleness_agrees_with_the_sdk_age_rule() {
    // The SDK's PriceFeed::get_price_no_older_than(now, age) accepts
    // publish_time >= now - age; validate_price must accept exactly the same.
    let mut rng = Rng(7);
    let key = Pubkey::new_unique();
    for _ in 0..2_000 {
        let mut account = random_account(&mut rng);
        account.agg.status = PriceStatus::Trading;
        account.agg.price = 1 + (rng.next() % 1_000_000_000) as i64;
        account.ema_price.val = account.agg.price;
        account.agg.conf = 0;
        let bytes = bytemuck::bytes_of(&account).to_vec();
        let feed = load_price_account::<32, ()>(&bytes).unwrap().to_price_feed(&key);
        let (ours, _) = parse_legacy(&bytes).unwrap();
        let age = rng.next() % 120;
        let now = account.timestamp + (rng.next() % 240) as i64 - 60;
        let config = OracleConfig {
            address: key.to_bytes(),
            max_age_secs: age as u32,
            max_confidence_bps: 10_000,
            confidence_multiplier_pct: 100,
            kind: OracleKind::PythLegacy as u8,
            require_full_verification: 0,
            _padding: [0; 6],
        };
        let sdk_ok = feed.get_price_no_older_than(now, age).is_some();
        let ours_ok = validate_price(&config, &ours, now).is_ok();
        assert_eq!(sdk_ok, ours_ok, "now {now} publish {} age {age}", ours.publish_time);
    }
}
