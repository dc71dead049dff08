//! Account and config layouts, field by field. The `layout!` macro ties every
//! field list to its Rust struct at compile time: fields in declaration order, each
//! starting where the previous one ends (no implicit padding), adding up to
//! `size_of` the struct, and an exhaustive destructuring with each field's Rust
//! type. A field added, removed, renamed, reordered or resized in the interface
//! stops this crate from compiling instead of drifting from the IDL.

use margin_interface::state::{
    Group, MarginAccountHeader, OracleConfig, PendingPoolConfig, Pool, PoolConfig, Position, Protection, RateCurve,
};
use serde_json::Value;

use crate::{
    docs,
    nodes::{self, bytes, bytes_value, defined, i64, pubkey, q64, u16, u32, u64, u8},
};

/// One field: its Codama node and the size of its Rust type.
pub struct Field {
    pub node: Value,
    pub rust_size: usize,
}

/// Padding and reserved bytes are zero: encoders write them, inputs leave them out.
pub fn field(src: &str, item: &str, name: &str, ty: Value, rust_size: usize) -> Field {
    let zeros = (name.starts_with("_padding") || name == "reserved").then(|| bytes_value(&vec![0; rust_size]));
    let mut docs = docs::member(src, item, &[name]);
    if ty == q64() {
        docs.push("Stored as `[u8; 16]`: a little-endian u128 equal to the value times 2^64.".into());
    }
    Field { node: nodes::field(name, ty, docs, zeros), rust_size }
}

macro_rules! layout {
    ($src:expr, $ty:ident { $( $field:ident : $rust:ty => $idl:expr ),* $(,)? }) => {{
        const _: () = {
            let mut offset = 0;
            $(
                assert!(core::mem::offset_of!($ty, $field) == offset);
                offset += core::mem::size_of::<$rust>();
            )*
            assert!(offset == core::mem::size_of::<$ty>());
        };
        #[allow(dead_code)]
        fn exhaustive(value: $ty) {
            let $ty { $( $field ),* } = value;
            $( let _: $rust = $field; )*
        }
        vec![ $( field($src, stringify!($ty), stringify!($field), $idl, core::mem::size_of::<$rust>()) ),* ]
    }};
}

pub fn group() -> Vec<Field> {
    layout!(docs::STATE_GROUP, Group {
        discriminator: [u8; 8] => bytes(8),
        version: u8 => u8(),
        bump: u8 => u8(),
        paused: u8 => u8(),
        _padding0: [u8; 1] => bytes(1),
        pool_count: u32 => u32(),
        admin: [u8; 32] => pubkey(),
        pending_admin: [u8; 32] => pubkey(),
        fee_destination: [u8; 32] => pubkey(),
        creator: [u8; 32] => pubkey(),
        seed: u64 => u64(),
        config_delay_secs: u32 => u32(),
        _padding1: [u8; 4] => bytes(4),
        reserved: [u8; 56] => bytes(56),
    })
}

pub fn pool() -> Vec<Field> {
    layout!(docs::STATE_POOL, Pool {
        discriminator: [u8; 8] => bytes(8),
        version: u8 => u8(),
        status: u8 => u8(),
        mint_decimals: u8 => u8(),
        bump: u8 => u8(),
        vault_bump: u8 => u8(),
        vault_authority_bump: u8 => u8(),
        _padding0: [u8; 2] => bytes(2),
        group: [u8; 32] => pubkey(),
        mint: [u8; 32] => pubkey(),
        token_program: [u8; 32] => pubkey(),
        vault: [u8; 32] => pubkey(),
        vault_authority: [u8; 32] => pubkey(),
        deposit_share_value: [u8; 16] => q64(),
        borrow_share_value: [u8; 16] => q64(),
        protocol_fees: [u8; 16] => q64(),
        insurance_fund: [u8; 16] => q64(),
        total_deposit_shares: u64 => u64(),
        total_borrow_shares: u64 => u64(),
        last_accrual_ts: i64 => i64(),
        config: PoolConfig => defined("pool_config"),
        newest_publish_time: i64 => i64(),
        isolated_debt_micro_usd: u64 => u64(),
        reserved: [u8; 72] => bytes(72),
    })
}

pub fn pending_pool_config() -> Vec<Field> {
    layout!(docs::STATE_PENDING, PendingPoolConfig {
        discriminator: [u8; 8] => bytes(8),
        version: u8 => u8(),
        bump: u8 => u8(),
        _padding0: [u8; 6] => bytes(6),
        pool: [u8; 32] => pubkey(),
        rent_payer: [u8; 32] => pubkey(),
        apply_after: i64 => i64(),
        config: PoolConfig => defined("pool_config"),
        reserved: [u8; 32] => bytes(32),
    })
}

pub fn margin_account_header() -> Vec<Field> {
    layout!(docs::STATE_MARGIN, MarginAccountHeader {
        discriminator: [u8; 8] => bytes(8),
        version: u8 => u8(),
        kind: u8 => u8(),
        bump: u8 => u8(),
        position_count: u8 => u8(),
        index: u16 => u16(),
        _padding0: [u8; 2] => bytes(2),
        group: [u8; 32] => pubkey(),
        owner: [u8; 32] => pubkey(),
        protection: Protection => defined("protection"),
        flash: u8 => u8(),
        _padding1: [u8; 7] => bytes(7),
        isolated_debt_micro_usd: u64 => u64(),
        reserved: [u8; 24] => bytes(24),
    })
}

pub fn protection() -> Vec<Field> {
    layout!(docs::STATE_MARGIN, Protection {
        threshold_bps: u16 => u16(),
        max_fraction_bps: u16 => u16(),
        bonus_bps: u16 => u16(),
        _padding: [u8; 2] => bytes(2),
    })
}

pub fn position() -> Vec<Field> {
    layout!(docs::STATE_MARGIN, Position {
        pool: [u8; 32] => pubkey(),
        deposit_shares: u64 => u64(),
        borrow_shares: u64 => u64(),
    })
}

pub fn rate_curve() -> Vec<Field> {
    layout!(docs::STATE_POOL, RateCurve {
        base_rate_bps: u32 => u32(),
        kink_utilization_bps: [u32; 3] => nodes::array(u32(), 3),
        kink_rate_bps: [u32; 3] => nodes::array(u32(), 3),
        max_rate_bps: u32 => u32(),
    })
}

pub fn oracle_config() -> Vec<Field> {
    layout!(docs::STATE_POOL, OracleConfig {
        // Legacy: an account address; pull: a feed id (not an address): raw bytes.
        address: [u8; 32] => bytes(32),
        max_age_secs: u32 => u32(),
        max_confidence_bps: u16 => u16(),
        confidence_multiplier_pct: u16 => u16(),
        kind: u8 => u8(),
        require_full_verification: u8 => u8(),
        _padding: [u8; 6] => bytes(6),
    })
}

pub fn pool_config() -> Vec<Field> {
    layout!(docs::STATE_POOL, PoolConfig {
        rate_curve: RateCurve => defined("rate_curve"),
        oracle: OracleConfig => defined("oracle_config"),
        deposit_cap: u64 => u64(),
        borrow_cap: u64 => u64(),
        protocol_fee_bps: u16 => u16(),
        insurance_fee_bps: u16 => u16(),
        init_asset_weight_bps: u16 => u16(),
        maint_asset_weight_bps: u16 => u16(),
        init_liab_weight_bps: u16 => u16(),
        maint_liab_weight_bps: u16 => u16(),
        liquidation_penalty_min_bps: u16 => u16(),
        liquidation_penalty_max_bps: u16 => u16(),
        liquidation_insurance_share_bps: u16 => u16(),
        close_factor_bps: u16 => u16(),
        flags: u16 => u16(),
        _padding: [u8; 2] => bytes(2),
        dust_threshold_micro_usd: u64 => u64(),
        liquidation_target_bps: u16 => u16(),
        stress_bps: u16 => u16(),
        stress_confidence_multiplier_pct: u16 => u16(),
        liquidation_confidence_bonus_pct: u16 => u16(),
        age_haircut_start_secs: u32 => u32(),
        age_haircut_max_bps: u16 => u16(),
        flash_fee_bps: u16 => u16(),
        isolated_debt_ceiling_micro_usd: u64 => u64(),
        reserved: [u8; 8] => bytes(8),
    })
}
