//! margin-interface's `PriceUpdateV2` reader against pyth-solana-receiver-sdk
//! 2.0.0: random updates serialized by the SDK (Anchor discriminator + borsh) are
//! read back field for field, and every update the SDK refuses we refuse too.

use anchor_lang::{prelude::Clock, AccountSerialize, Discriminator};
use margin_interface::{
    error::MarginError,
    oracle::{parse_price_update, read_oracle, Verification, PRICE_UPDATE_V2_DISCRIMINATOR, PYTH_RECEIVER_PROGRAM_ID},
    state::{OracleConfig, OracleKind},
};
use pyth_solana_receiver_sdk::price_update::{PriceFeedMessage, PriceUpdateV2, VerificationLevel};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn bytes32(&mut self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for chunk in out.chunks_mut(8) {
            chunk.copy_from_slice(&self.next().to_le_bytes());
        }
        out
    }
}

fn random_update(rng: &mut Rng, feed_id: [u8; 32]) -> PriceUpdateV2 {
    PriceUpdateV2 {
        write_authority: anchor_lang::prelude::Pubkey::new_from_array(rng.bytes32()),
        verification_level: if rng.next().is_multiple_of(2) {
            VerificationLevel::Full
        } else {
            VerificationLevel::Partial { num_signatures: (rng.next() % 19) as u8 }
        },
        price_message: PriceFeedMessage {
            feed_id,
            price: 1 + (rng.next() >> (rng.next() % 40 + 1)) as i64,
            conf: rng.next() >> (rng.next() % 60 + 4),
            exponent: -((rng.next() % 19) as i32),
            publish_time: 1_700_000_000 + (rng.next() % 100_000) as i64,
            prev_publish_time: 1_699_999_000,
            ema_price: 1 + (rng.next() >> (rng.next() % 40 + 1)) as i64,
            ema_conf: rng.next() >> (rng.next() % 60 + 4),
        },
        posted_slot: rng.next(),
    }
}

fn serialize(update: &PriceUpdateV2) -> Vec<u8> {
    let mut data = Vec::new();
    update.try_serialize(&mut data).expect("anchor serialize");
    data.resize(PriceUpdateV2::LEN, 0); // the receiver allocates the full size
    data
}

#[test]
fn constants_match_the_sdk() {
    assert_eq!(PriceUpdateV2::DISCRIMINATOR, PRICE_UPDATE_V2_DISCRIMINATOR);
    assert_eq!(pyth_solana_receiver_sdk::ID.to_bytes(), PYTH_RECEIVER_PROGRAM_ID);
}

#[test]
fn reader_matches_the_sdk_field_for_field() {
    let mut rng = Rng(0x0dd_c0ffee);
    for _ in 0..5_000 {
        let feed_id = rng.bytes32();
        let update = random_update(&mut rng, feed_id);
        let ours = parse_price_update(&serialize(&update)).expect("parse");
        let message = &update.price_message;
        assert_eq!(ours.write_authority, update.write_authority.to_bytes());
        let level = match ours.verification {
            Verification::Full => VerificationLevel::Full,
            Verification::Partial { num_signatures } => VerificationLevel::Partial { num_signatures },
        };
        assert_eq!(level, update.verification_level);
        assert_eq!(ours.feed_id, message.feed_id);
        assert_eq!(ours.price.price, message.price);
        assert_eq!(ours.price.conf, message.conf);
        assert_eq!(ours.price.expo, message.exponent);
        assert_eq!(ours.price.publish_time, message.publish_time);
        assert_eq!(ours.prev_publish_time, message.prev_publish_time);
        assert_eq!(ours.price.ema_price, message.ema_price);
        assert_eq!(ours.price.ema_conf, message.ema_conf);
        assert_eq!(ours.posted_slot, update.posted_slot);
    }
}

#[test]
fn everything_the_sdk_refuses_we_refuse() {
    let mut rng = Rng(99);
    let configured = rng.bytes32();
    let (mut sdk_refusals, mut both_accept) = (0, 0);
    for i in 0..5_000 {
        let feed = if i % 4 == 0 { rng.bytes32() } else { configured };
        let update = random_update(&mut rng, feed);
        let data = serialize(&update);
        let now = update.price_message.publish_time + (rng.next() % 200) as i64 - 20;
        let max_age = rng.next() % 120;
        let require_full = rng.next().is_multiple_of(2);
        let clock = Clock { unix_timestamp: now, ..Clock::default() };
        let required =
            if require_full { VerificationLevel::Full } else { VerificationLevel::Partial { num_signatures: 0 } };
        let sdk = update.get_price_no_older_than_with_custom_verification_level(&clock, max_age, &configured, required);
        let config = OracleConfig {
            address: configured,
            max_age_secs: max_age as u32,
            max_confidence_bps: 10_000,
            confidence_multiplier_pct: 100,
            kind: OracleKind::PythPull as u8,
            require_full_verification: require_full as u8,
            _padding: [0; 6],
        };
        let ours = read_oracle(&config, &[1; 32], &PYTH_RECEIVER_PROGRAM_ID, &data, now);
        match (&sdk, &ours) {
            (Err(_), Ok(_)) => panic!("the SDK refused ({sdk:?}) what we accepted"),
            (Err(_), Err(_)) => sdk_refusals += 1,
            (Ok(price), Ok(read)) => {
                both_accept += 1;
                assert_eq!(
                    (read.price, read.conf, read.expo, read.publish_time),
                    (price.price, price.conf, price.exponent, price.publish_time)
                );
            }
            // Stricter on our side: prices from further in the future than the age
            // limit, confidence above 100%, out-of-range exponents.
            (Ok(_), Err(error)) => assert!(
                matches!(
                    error,
                    MarginError::OracleStale
                        | MarginError::OracleConfidenceTooWide
                        | MarginError::OracleExponentOutOfRange
                ),
                "unexpected extra refusal {error:?}"
            ),
        }
    }
    assert!(sdk_refusals > 500 && both_accept > 500, "{sdk_refusals} refusals, {both_accept} accepted");
}
