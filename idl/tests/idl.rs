//! The committed IDL is the generated one, and what it says matches the Rust
//! definitions and the Rust SDK's builders.

use std::collections::HashMap;

use borsh::BorshDeserialize;
use margin_client::{
    instructions::{self as ix, OpenKind, RepayAmount, WithdrawAmount},
    pda::{self, PoolKeys},
    sdk::{instruction::Instruction, pubkey::Pubkey},
};
use margin_idl::{instructions, layout, nodes, render, root, IDL_PATH};
use margin_interface::{error::MarginError, instruction::MarginInstruction, state::PoolConfig};
use serde_json::Value;

#[test]
fn committed_idl_is_up_to_date() {
    let committed = std::fs::read_to_string(IDL_PATH).unwrap_or_default();
    assert!(committed == render(), "idl/margin.json is stale: run `cargo run -p margin-idl` and commit the result");
}

/// Encoded size of a fixed-size Codama type.
fn size(ty: &Value, defined: &HashMap<String, Value>) -> usize {
    match ty["kind"].as_str().unwrap() {
        "numberTypeNode" => match ty["format"].as_str().unwrap() {
            "u8" => 1,
            "u16" => 2,
            "u32" => 4,
            "u64" | "i64" => 8,
            "u128" => 16,
            other => panic!("unexpected number format {other}"),
        },
        "publicKeyTypeNode" => 32,
        "booleanTypeNode" => size(&ty["size"], defined),
        "fixedSizeTypeNode" => ty["size"].as_u64().unwrap() as usize,
        "arrayTypeNode" => ty["count"]["value"].as_u64().expect("fixed count") as usize * size(&ty["item"], defined),
        "definedTypeLinkNode" => size(&defined[ty["name"].as_str().unwrap()], defined),
        "structTypeNode" => ty["fields"].as_array().unwrap().iter().map(|f| size(&f["type"], defined)).sum(),
        "enumTypeNode" => size(&ty["size"], defined),
        other => panic!("unexpected type node {other}"),
    }
}

fn defined_types() -> HashMap<String, Value> {
    root()["program"]["definedTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap().to_string(), t["type"].clone()))
        .collect()
}

#[test]
fn every_field_has_the_size_of_its_rust_type() {
    let defined = defined_types();
    let layouts = [
        layout::group(),
        layout::pool(),
        layout::pending_pool_config(),
        layout::margin_account_header(),
        layout::position(),
        layout::rate_curve(),
        layout::oracle_config(),
        layout::pool_config(),
    ];
    for field in layouts.iter().flatten() {
        assert_eq!(size(&field.node["type"], &defined), field.rust_size, "field {}", field.node["name"]);
    }
    let sizes: HashMap<_, _> = root()["program"]["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["name"].as_str().unwrap().to_string(), a["size"].as_u64()))
        .collect();
    assert_eq!(sizes["group"], Some(216));
    assert_eq!(sizes["pool"], Some(512));
    assert_eq!(sizes["pendingPoolConfig"], Some(280));
    assert_eq!(sizes["marginAccount"], None); // 224 or 896
    for account in root()["program"]["accounts"].as_array().unwrap() {
        let fields = account["data"]["fields"].as_array().unwrap();
        if let Some(expected) = account["size"].as_u64() {
            let total: usize = fields.iter().map(|f| size(&f["type"], &defined)).sum();
            assert_eq!(total as u64, expected, "account {}", account["name"]);
        }
    }
}

#[test]
fn instruction_tags_and_data_are_the_interfaces() {
    let specs = instructions::specs();
    let defined = defined_types();
    for (index, spec) in specs.iter().enumerate() {
        assert_eq!(usize::from(instructions::discriminator(spec)), index, "{} is out of tag order", spec.variant);
        let node = instructions::node(spec);
        let data_len: usize = node["arguments"].as_array().unwrap().iter().map(|a| size(&a["type"], &defined)).sum();
        assert_eq!(data_len, borsh::to_vec(&spec.sample).unwrap().len(), "{} data length", spec.variant);
        for (name, ty, rust_size) in &spec.args {
            assert_eq!(size(ty, &defined), *rust_size, "{}.{name}", spec.variant);
        }
    }
    // No variant after the last one: the IDL lists every instruction.
    assert!(MarginInstruction::try_from_slice(&[specs.len() as u8]).is_err());
    assert_eq!(std::mem::size_of::<PoolConfig>(), 160);
}

#[test]
fn errors_are_every_margin_error() {
    let errors = root()["program"]["errors"].as_array().unwrap().clone();
    assert_eq!(errors.len(), 81);
    for (i, error) in errors.iter().enumerate() {
        let code = 6000 + i as u32;
        let rust = MarginError::from_code(code).unwrap();
        assert_eq!(error["code"], code);
        assert_eq!(error["name"], nodes::camel(&format!("{rust:?}")));
        assert_eq!(error["message"], rust.message());
    }
    assert_eq!(errors[54]["name"], "insufficientHealth");
    assert_eq!(errors[54]["code"], 6054);
}

fn flags(ix: &Instruction) -> Vec<(bool, bool)> {
    ix.accounts.iter().map(|m| (m.is_writable, m.is_signer)).collect()
}

/// The fixed accounts of every instruction have the flags the Rust SDK's
/// builder (tested on the .so) gives them, in the same number.
#[test]
fn account_flags_match_the_rust_builders() {
    let k = Pubkey::new_unique;
    let (a, b, c, d) = (k(), k(), k(), k());
    let keys = PoolKeys::derive(&a, &b, &margin_client::spl_token_id());
    let built: Vec<Vec<Instruction>> = vec![
        vec![ix::init_group(&a, &b, 7, &c)],
        vec![ix::create_pool(&a, &b, &keys, margin_client::config::default_pool_config())],
        vec![ix::update_pool_config(&a, &keys, margin_client::config::default_pool_config())],
        vec![ix::set_pool_status(&a, &keys, margin_interface::state::PoolStatus::Paused)],
        vec![ix::propose_admin(&a, &b, &c)],
        vec![ix::accept_admin(&a, &b)],
        vec![
            ix::open_margin_account(&a, &b, &c, 0, OpenKind::Cross),
            ix::open_margin_account(&a, &b, &c, 0, OpenKind::Isolated { collateral_pool: d, debt_pool: k() }),
        ],
        vec![ix::close_margin_account(&a, &b, &c)],
        vec![ix::deposit(&a, &b, &keys, &c, 1)],
        vec![ix::withdraw(&a, &b, &keys, &c, WithdrawAmount::All)],
        vec![ix::accrue_interest(&a)],
        vec![ix::collect_fees(&a, &keys, &c)],
        vec![ix::set_group_pause(&a, &b, true)],
        vec![ix::borrow(&a, &b, &keys, &c, 1, &[])],
        vec![ix::repay(&a, &b, &keys, &c, RepayAmount::All)],
        vec![ix::transfer_collateral(&a, &b, &c, &keys, WithdrawAmount::All, &[])],
        vec![ix::health(&a, &[])],
        vec![ix::liquidate(&a, &b, &c, &keys, &keys, &d, 1, &[], &[])],
        vec![ix::resolve_bad_debt(&a, &keys, &[])],
        vec![ix::apply_pool_config(&keys, &c)],
        vec![ix::set_protection(&a, &b, margin_interface::state::Protection::default())],
        vec![ix::deleverage(
            &ix::SeizeAccounts {
                keeper: a,
                keeper_margin: b,
                account: c,
                asset: &keys,
                liability: &keys,
                source: d,
                account_health: &[],
                keeper_health: &[],
            },
            1,
        )],
        vec![ix::flash_begin(&a, &b, 2)],
        vec![ix::flash_end(&a, &b, &[])],
    ];
    let specs = instructions::specs();
    assert_eq!(built.len(), specs.len());
    for (spec, variants) in specs.iter().zip(&built) {
        let required: Vec<(bool, bool)> =
            spec.accounts.iter().filter(|a| !a.3).map(|(_, w, s, _, _)| (*w, *s)).collect();
        let all: Vec<(bool, bool)> = spec.accounts.iter().map(|(_, w, s, _, _)| (*w, *s)).collect();
        for built in variants {
            assert_eq!(built.data[0], instructions::discriminator(spec), "{}", spec.variant);
            let got = flags(built);
            assert!(got == required || got == all, "{}: IDL {all:?}, builder {got:?}", spec.variant);
        }
    }
}

/// PDA seeds as the IDL lists them derive the SDK's addresses.
#[test]
fn pda_seeds_derive_the_sdks_addresses() {
    let program = margin_client::program_id();
    let (group, mint, owner) = (Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique());
    let derive = |name: &str, values: Vec<Vec<u8>>| {
        let pdas = root()["program"]["pdas"].as_array().unwrap().clone();
        let node = pdas.iter().find(|p| p["name"] == name).unwrap().clone();
        let seeds = node["seeds"].as_array().unwrap();
        let mut bytes: Vec<Vec<u8>> = vec![seeds[0]["value"]["string"].as_str().unwrap().as_bytes().to_vec()];
        for (seed, value) in seeds[1..].iter().zip(&values) {
            let expected = match seed["type"]["kind"].as_str().unwrap() {
                "publicKeyTypeNode" => 32,
                _ => size(&seed["type"], &HashMap::new()),
            };
            assert_eq!(value.len(), expected, "{name}.{}", seed["name"]);
            bytes.push(value.clone());
        }
        assert_eq!(seeds.len(), values.len() + 1);
        let refs: Vec<&[u8]> = bytes.iter().map(|b| b.as_slice()).collect();
        Pubkey::find_program_address(&refs, &program).0
    };
    let pool = pda::pool(&group, &mint);
    assert_eq!(derive("group", vec![owner.to_bytes().to_vec(), 9u64.to_le_bytes().to_vec()]), pda::group(&owner, 9));
    assert_eq!(derive("pool", vec![group.to_bytes().to_vec(), mint.to_bytes().to_vec()]), pool);
    assert_eq!(derive("vault", vec![pool.to_bytes().to_vec()]), pda::vault(&pool));
    assert_eq!(derive("vaultAuthority", vec![pool.to_bytes().to_vec()]), pda::vault_authority(&pool));
    assert_eq!(
        derive(
            "marginAccount",
            vec![group.to_bytes().to_vec(), owner.to_bytes().to_vec(), 3u16.to_le_bytes().to_vec()]
        ),
        pda::margin_account(&group, &owner, 3)
    );
    assert_eq!(derive("pendingPoolConfig", vec![pool.to_bytes().to_vec()]), pda::pending_config(&pool));
    assert_eq!(nodes::base58(&margin_interface::PROGRAM_ID), program.to_string());
}
