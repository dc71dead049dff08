//! The Codama IDL of the margin program (`idl/margin.json`), generated from
//! `margin-interface`: account layouts (checked field by field against the Rust
//! structs at compile time, see `layout`), instruction tags and arguments (the
//! variants themselves, see `instructions`), error codes and messages
//! (`MarginError`), PDA seeds (`pda`) and the docs on those definitions.
//!
//! `cargo run -p margin-idl` rewrites `idl/margin.json`; the crate's test fails
//! when the committed file differs from a fresh generation.

pub mod docs;
pub mod instructions;
pub mod layout;
pub mod nodes;

use margin_interface::{
    error::MarginError,
    pda,
    state::{AccountKind, AccountType, Group, MarginAccountHeader, OracleKind, PendingPoolConfig, Pool, PoolStatus},
    PROGRAM_ID,
};
use serde_json::{json, Value};

use layout::Field;
use nodes::{bytes, camel, field, pubkey, structure, u16, u64, u8, utf8_value};

/// The Codama specification version the IDL is written for (the pinned
/// `codama` npm package of `client/ts`).
pub const CODAMA_VERSION: &str = "1.9.0";

/// Where the committed IDL lives.
pub const IDL_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/margin.json");

/// The IDL as committed: pretty JSON and a final newline.
pub fn render() -> String {
    let mut text = serde_json::to_string_pretty(&root()).expect("JSON values always serialize");
    text.push('\n');
    text
}

pub fn root() -> Value {
    json!({
        "kind": "rootNode",
        "standard": "codama",
        "version": CODAMA_VERSION,
        "program": {
            "kind": "programNode",
            "name": "margin",
            "publicKey": nodes::base58(&PROGRAM_ID),
            "version": env!("CARGO_PKG_VERSION"),
            "docs": ["On-chain margin lending: pools, isolated and cross margin accounts, Pyth-priced health, liquidation."],
            "pdas": pdas(),
            "accounts": accounts(),
            "instructions": instructions::specs().iter().map(instructions::node).collect::<Vec<_>>(),
            "definedTypes": defined_types(),
            "errors": errors(),
        },
        "additionalPrograms": [],
    })
}

fn nodes_of(fields: Vec<Field>) -> Vec<Value> {
    fields.into_iter().map(|f| f.node).collect()
}

/// The account's fields, its discriminator field defaulting to `tag`.
fn tagged(fields: Vec<Field>, tag: &[u8; 8]) -> Vec<Value> {
    let mut nodes = nodes_of(fields);
    assert_eq!(nodes[0]["name"], "discriminator", "accounts start with their discriminator");
    nodes[0]["defaultValue"] = utf8_value(tag_text(tag));
    nodes[0]["defaultValueStrategy"] = json!("omitted");
    nodes
}

fn tag_text(tag: &[u8; 8]) -> &str {
    std::str::from_utf8(tag).expect("discriminators are ASCII")
}

fn account(name: &str, src: &str, item: &str, size: Option<usize>, fields: Vec<Value>, tag: &[u8; 8]) -> Value {
    let mut node = json!({
        "kind": "accountNode",
        "name": camel(name),
        "docs": docs::item(src, item),
        "data": structure(fields),
        "pda": {"kind": "pdaLinkNode", "name": camel(name)},
        "discriminators": [{
            "kind": "constantDiscriminatorNode",
            "offset": 0,
            "constant": {"kind": "constantValueNode", "type": bytes(8), "value": utf8_value(tag_text(tag))},
        }],
    });
    if let Some(size) = size {
        node["size"] = json!(size);
    }
    node
}

fn accounts() -> Vec<Value> {
    let margin_tag = MarginAccountHeader::DISCRIMINATOR;
    let mut margin_fields = tagged(layout::margin_account_header(), &margin_tag);
    margin_fields.push(field(
        "positions",
        nodes::remainder_array(nodes::defined("position")),
        vec![
            "`kind.slots()` positions: 2 for isolated accounts (collateral, debt), 16 for cross accounts".into(),
            "(used ones packed in slots `0..position_count`).".into(),
        ],
        None,
    ));
    vec![
        account(
            "group",
            docs::STATE_GROUP,
            "Group",
            Some(Group::LEN),
            tagged(layout::group(), &Group::DISCRIMINATOR),
            &Group::DISCRIMINATOR,
        ),
        account(
            "pool",
            docs::STATE_POOL,
            "Pool",
            Some(Pool::LEN),
            tagged(layout::pool(), &Pool::DISCRIMINATOR),
            &Pool::DISCRIMINATOR,
        ),
        // Two sizes (isolated 224, cross 896): no size, the tag only.
        account("margin_account", docs::STATE_MARGIN, "MarginAccountHeader", None, margin_fields, &margin_tag),
        account(
            "pending_pool_config",
            docs::STATE_PENDING,
            "PendingPoolConfig",
            Some(PendingPoolConfig::LEN),
            tagged(layout::pending_pool_config(), &PendingPoolConfig::DISCRIMINATOR),
            &PendingPoolConfig::DISCRIMINATOR,
        ),
    ]
}

fn defined_struct(name: &str, src: &str, item: &str, fields: Vec<Field>) -> Value {
    json!({"kind": "definedTypeNode", "name": camel(name), "docs": docs::item(src, item), "type": structure(nodes_of(fields))})
}

/// A `repr(u8)` enum: the exhaustive match fails to compile when a variant is added.
macro_rules! byte_enum {
    ($src:expr, $ty:ident { $($variant:ident),* $(,)? }) => {{
        #[allow(dead_code)]
        fn exhaustive(value: $ty) {
            match value { $( $ty::$variant => {} )* }
        }
        let variants: Vec<Value> = vec![ $( json!({
            "kind": "enumEmptyVariantTypeNode",
            "name": camel(stringify!($variant)),
            "discriminator": $ty::$variant as u8,
        }) ),* ];
        json!({
            "kind": "definedTypeNode",
            "name": camel(stringify!($ty)),
            "docs": docs::item($src, stringify!($ty)),
            "type": {"kind": "enumTypeNode", "variants": variants, "size": u8()},
        })
    }};
}

fn defined_types() -> Vec<Value> {
    vec![
        defined_struct("pool_config", docs::STATE_POOL, "PoolConfig", layout::pool_config()),
        defined_struct("rate_curve", docs::STATE_POOL, "RateCurve", layout::rate_curve()),
        defined_struct("oracle_config", docs::STATE_POOL, "OracleConfig", layout::oracle_config()),
        defined_struct("position", docs::STATE_MARGIN, "Position", layout::position()),
        defined_struct("protection", docs::STATE_MARGIN, "Protection", layout::protection()),
        byte_enum!(docs::STATE_POOL, PoolStatus { Active, ReduceOnly, Paused }),
        byte_enum!(docs::STATE_POOL, OracleKind { None, PythLegacy, PythPull }),
        byte_enum!(docs::STATE_MARGIN, AccountKind { Isolated, Cross }),
    ]
}

fn pda_node(name: &str, seed: &[u8], variables: Vec<(&str, Value, &str)>) -> Value {
    let mut seeds = vec![json!({
        "kind": "constantPdaSeedNode",
        "type": {"kind": "stringTypeNode", "encoding": "utf8"},
        "value": {"kind": "stringValueNode", "string": std::str::from_utf8(seed).expect("seeds are ASCII")},
    })];
    for (name, ty, doc) in variables {
        seeds.push(json!({"kind": "variablePdaSeedNode", "name": camel(name), "type": ty, "docs": [doc]}));
    }
    json!({"kind": "pdaNode", "name": camel(name), "seeds": seeds})
}

fn pdas() -> Vec<Value> {
    vec![
        pda_node(
            "group",
            pda::GROUP_SEED,
            vec![
                ("creator", pubkey(), "The key that created the group."),
                ("seed", u64(), "Any number chosen at creation (u64 LE)."),
            ],
        ),
        pda_node(
            "pool",
            pda::POOL_SEED,
            vec![("group", pubkey(), "The group."), ("mint", pubkey(), "The pool's mint.")],
        ),
        pda_node("vault", pda::VAULT_SEED, vec![("pool", pubkey(), "The pool.")]),
        pda_node("vault_authority", pda::VAULT_AUTHORITY_SEED, vec![("pool", pubkey(), "The pool.")]),
        pda_node(
            "margin_account",
            pda::MARGIN_ACCOUNT_SEED,
            vec![
                ("group", pubkey(), "The group."),
                ("owner", pubkey(), "The account's owner."),
                ("index", u16(), "Index among the owner's accounts (u16 LE)."),
            ],
        ),
        pda_node("pending_pool_config", pda::PENDING_CONFIG_SEED, vec![("pool", pubkey(), "The pool.")]),
    ]
}

/// Every code `MarginError::from_code` knows, with its name and message.
pub fn margin_errors() -> Vec<MarginError> {
    (0..=u32::from(u16::MAX)).filter_map(MarginError::from_code).collect()
}

fn errors() -> Vec<Value> {
    margin_errors()
        .into_iter()
        .map(|e| {
            json!({
                "kind": "errorNode",
                "name": camel(&format!("{e:?}")),
                "code": e.code(),
                "message": e.message(),
                "docs": [],
            })
        })
        .collect()
}
