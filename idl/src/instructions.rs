//! Every `MarginInstruction` variant: its arguments (tied to the variant's fields
//! by the compiler), its fixed accounts with writable/signer flags, and the health
//! accounts appended after them. The discriminator is the borsh tag the interface
//! itself writes.

use bytemuck::Zeroable;
use margin_interface::{
    instruction::MarginInstruction,
    state::{PoolConfig, Protection},
    SYSTEM_PROGRAM_ID,
};
use serde_json::{json, Value};

use crate::{
    docs,
    nodes::{self, array, base58, boolean, defined, number_value, pubkey, u16, u32, u64, u8},
};

/// A value of each argument type, to build a variant with every field present.
pub trait Sample {
    fn sample() -> Self;
}

macro_rules! sample_default {
    ($($t:ty),*) => { $(impl Sample for $t { fn sample() -> Self { Default::default() } })* };
}
sample_default!(u8, u16, u32, u64, bool, [u8; 3], [u8; 32], Protection);

impl Sample for PoolConfig {
    fn sample() -> Self {
        PoolConfig::zeroed()
    }
}

/// An instruction of the IDL before it becomes a node.
pub struct Spec {
    pub variant: &'static str,
    /// The variant with every field (the struct expression names them all, with
    /// their Rust types): its borsh bytes give the tag and the data length.
    pub sample: MarginInstruction,
    /// (field, Codama type, Rust size).
    pub args: Vec<(&'static str, Value, usize)>,
    /// (name, writable, signer, optional, docs).
    pub accounts: Vec<(&'static str, bool, bool, bool, &'static str)>,
    /// (name, optional, docs) of the account lists appended after the fixed ones.
    pub remaining: Vec<(&'static str, bool, &'static str)>,
}

macro_rules! args {
    ($variant:ident { $( $arg:ident : $rust:ty => $idl:expr ),* $(,)? }) => {
        (
            stringify!($variant),
            MarginInstruction::$variant { $( $arg: <$rust as Sample>::sample() ),* },
            vec![ $( (stringify!($arg), $idl, core::mem::size_of::<$rust>()) ),* ],
        )
    };
}

type Acct = (&'static str, bool, bool, bool, &'static str);
const fn ws(name: &'static str, doc: &'static str) -> Acct {
    (name, true, true, false, doc)
}
const fn w(name: &'static str, doc: &'static str) -> Acct {
    (name, true, false, false, doc)
}
const fn s(name: &'static str, doc: &'static str) -> Acct {
    (name, false, true, false, doc)
}
const fn r(name: &'static str, doc: &'static str) -> Acct {
    (name, false, false, false, doc)
}
const fn optional(account: Acct) -> Acct {
    (account.0, account.1, account.2, true, account.4)
}

const SYSTEM: Acct = r("system_program", "System program.");
const HEALTH: &str = "Health accounts: (pool, oracle) for each used position in slot order, as the account stands after the action (docs/integrator.md, \"Health accounts\").";

fn spec(
    (variant, sample, args): (&'static str, MarginInstruction, Vec<(&'static str, Value, usize)>),
    accounts: Vec<Acct>,
    remaining: Vec<(&'static str, bool, &'static str)>,
) -> Spec {
    Spec { variant, sample, args, accounts, remaining }
}

/// Accounts of a transfer into a pool's vault (deposit, repay).
fn inflow() -> Vec<Acct> {
    vec![
        s("owner", "Owner of the margin account; authority of the source token account."),
        w("margin_account", "The owner's margin account."),
        r("group", "The pool's group."),
        w("pool", "The pool (interest is accrued first)."),
        w("vault", "The pool's vault (`pool.vault`)."),
        w("source", "Token account of the pool's mint the tokens come from."),
        r("mint", "The pool's mint."),
        r("token_program", "The mint's token program (SPL Token or Token-2022)."),
    ]
}

/// Accounts of a transfer out of a pool's vault (withdraw, borrow).
fn outflow() -> Vec<Acct> {
    vec![
        s("owner", "Owner of the margin account."),
        w("margin_account", "The owner's margin account."),
        r("group", "The pool's group."),
        w("pool", "The pool (interest is accrued first)."),
        w("vault", "The pool's vault (`pool.vault`)."),
        r("vault_authority", "The vault authority PDA (`pool.vault_authority`)."),
        w("destination", "Token account of the pool's mint that receives the tokens."),
        r("mint", "The pool's mint."),
        r("token_program", "The mint's token program (SPL Token or Token-2022)."),
    ]
}

/// Every instruction, in tag order.
pub fn specs() -> Vec<Spec> {
    vec![
        spec(
            args!(InitGroup { seed: u64 => u64(), fee_destination: [u8; 32] => pubkey(), bump: u8 => u8(), config_delay_secs: u32 => u32() }),
            vec![
                ws("payer", "Pays the group account's rent."),
                s("admin", "Creator and first admin of the group (PDA seed)."),
                w("group", "Group PDA `[\"group\", admin, seed (u64 LE)]`."),
                SYSTEM,
            ],
            vec![],
        ),
        spec(
            args!(CreatePool { config: PoolConfig => defined("pool_config"), bumps: [u8; 3] => array(u8(), 3) }),
            vec![
                ws("payer", "Pays the pool's and the vault's rent."),
                s("admin", "The group's admin."),
                w("group", "The group (its pool count grows)."),
                w("pool", "Pool PDA `[\"pool\", group, mint]`."),
                r("mint", "The pool's mint (base mint size: SPL Token, or Token-2022 without extensions)."),
                w("vault", "Vault token account PDA `[\"vault\", pool]`."),
                r("vault_authority", "Vault authority PDA `[\"vault_authority\", pool]`."),
                r("token_program", "The mint's owner (SPL Token or Token-2022)."),
                SYSTEM,
            ],
            vec![],
        ),
        spec(
            args!(UpdatePoolConfig { config: PoolConfig => defined("pool_config"), pending_bump: u8 => u8() }),
            vec![
                ws("admin", "The group's admin; pays the pending account's rent when a change is queued."),
                r("group", "The pool's group."),
                w("pool", "The pool."),
                w("pending_config", "Pending config PDA `[\"pending_config\", pool]`."),
                SYSTEM,
            ],
            vec![],
        ),
        spec(
            args!(SetPoolStatus { status: u8 => u8() }),
            vec![s("admin", "The group's admin."), r("group", "The pool's group."), w("pool", "The pool.")],
            vec![],
        ),
        spec(
            args!(ProposeAdmin { new_admin: [u8; 32] => pubkey() }),
            vec![s("admin", "The group's admin."), w("group", "The group.")],
            vec![],
        ),
        spec(
            args!(AcceptAdmin {}),
            vec![s("pending_admin", "The proposed admin."), w("group", "The group.")],
            vec![],
        ),
        spec(
            args!(OpenMarginAccount { index: u16 => u16(), kind: u8 => u8(), bump: u8 => u8() }),
            vec![
                ws("payer", "Pays the margin account's rent."),
                s("owner", "Owner of the new account."),
                r("group", "The group."),
                w("margin_account", "Margin account PDA `[\"margin_account\", group, owner, index (u16 LE)]`."),
                SYSTEM,
                optional(r("collateral_pool", "Isolated accounts only: the collateral pool (slot 0).")),
                optional(r("debt_pool", "Isolated accounts only: the debt pool (slot 1), distinct from the collateral pool.")),
            ],
            vec![],
        ),
        spec(
            args!(CloseMarginAccount {}),
            vec![
                s("owner", "Owner of the margin account."),
                w("margin_account", "The empty margin account to close."),
                w("destination", "Receives the account's lamports."),
            ],
            vec![],
        ),
        spec(args!(Deposit { amount: u64 => u64() }), inflow(), vec![]),
        spec(
            args!(Withdraw { amount: u64 => u64(), all: bool => boolean() }),
            outflow(),
            vec![("health_accounts", true, "Only if the account has debt: health accounts of the account after the withdrawal ((pool, oracle) per used position in slot order; a position the withdrawal empties is left out).")],
        ),
        spec(args!(AccrueInterest {}), vec![w("pool", "The pool to accrue.")], vec![]),
        spec(
            args!(CollectFees {}),
            vec![
                s("admin", "The group's admin."),
                r("group", "The pool's group."),
                w("pool", "The pool."),
                w("vault", "The pool's vault."),
                r("vault_authority", "The vault authority PDA."),
                w("destination", "Token account of the pool's mint owned by the group's fee destination."),
                r("mint", "The pool's mint."),
                r("token_program", "The mint's token program."),
            ],
            vec![],
        ),
        spec(
            args!(SetGroupPause { paused: bool => boolean() }),
            vec![s("admin", "The group's admin."), w("group", "The group.")],
            vec![],
        ),
        spec(
            args!(Borrow { amount: u64 => u64() }),
            outflow(),
            vec![("health_accounts", false, "Health accounts of the account after the borrow ((pool, oracle) per used position in slot order), which include the borrowed pool.")],
        ),
        spec(
            args!(Repay { amount: u64 => u64(), all: bool => boolean() }),
            {
                let mut accounts = inflow();
                accounts.push(optional(w("collateral_pool", "Only for an isolated account with an isolation debt tally (`isolated_debt_micro_usd` != 0): its collateral pool, which releases the repaid share of the tally.")));
                accounts
            },
            vec![],
        ),
        spec(
            args!(TransferCollateral { amount: u64 => u64(), all: bool => boolean() }),
            vec![
                s("owner", "Owner of both margin accounts."),
                w("source", "Margin account the deposit leaves."),
                w("destination", "Margin account the deposit joins."),
                r("group", "The group of both accounts."),
                w("pool", "The pool of the deposit."),
            ],
            vec![("health_accounts", true, "Only if the source has debt: the source's health accounts after the move.")],
        ),
        spec(
            args!(Health {}),
            vec![r("margin_account", "The account whose health is returned (three i128 LE: Initial, Maintenance, Equity; USD Q64.64).")],
            vec![("health_accounts", true, HEALTH)],
        ),
        spec(
            args!(Liquidate { max_repay: u64 => u64() }),
            seize_accounts(),
            vec![
                ("liquidatee_health_accounts", false, "The liquidatee's health accounts as it stands."),
                ("liquidator_health_accounts", true, "Only if the liquidator's account has debt: its health accounts after receiving the collateral."),
            ],
        ),
        spec(
            args!(ResolveBadDebt {}),
            vec![
                w("margin_account", "The bankrupt margin account."),
                r("group", "The account's group."),
                w("debt_pool", "The pool whose debt is written off."),
            ],
            vec![("health_accounts", false, "The account's health accounts as it stands; pools that still hold dust deposits must be writable (set their role after building).")],
        ),
        spec(
            args!(ApplyPoolConfig {}),
            vec![
                r("group", "The pool's group."),
                w("pool", "The pool."),
                w("pending_config", "The pending config PDA (closed)."),
                w("rent_destination", "The pending account's `rent_payer`: receives its rent."),
            ],
            vec![],
        ),
        spec(
            args!(SetProtection { protection: Protection => defined("protection") }),
            vec![s("owner", "Owner of the margin account."), w("margin_account", "The account opting in or out.")],
            vec![],
        ),
        spec(
            args!(Deleverage { max_repay: u64 => u64() }),
            seize_accounts(),
            vec![
                ("liquidatee_health_accounts", false, "The protected account's health accounts as it stands."),
                ("liquidator_health_accounts", true, "Only if the keeper's account has debt: its health accounts after receiving the collateral."),
            ],
        ),
        spec(
            args!(FlashBegin { end_index: u16 => u16() }),
            vec![
                s("owner", "Owner of the margin account."),
                w("margin_account", "The account opening the flash loan."),
                r("instructions_sysvar", "The instructions sysvar (finds the matching flash_end)."),
            ],
            vec![],
        ),
        spec(
            args!(FlashEnd {}),
            vec![s("owner", "Owner of the margin account."), w("margin_account", "The account closing its flash loan.")],
            vec![("health_accounts", false, HEALTH)],
        ),
    ]
}

/// The fixed accounts of `liquidate` and `deleverage` (the keeper is the liquidator).
fn seize_accounts() -> Vec<Acct> {
    vec![
        s("liquidator", "Pays the debt; owner of the liquidator's margin account."),
        w("liquidator_margin_account", "Receives the seized collateral as deposit shares."),
        w("liquidatee", "The account being liquidated."),
        r("group", "The group of both accounts."),
        w("asset_pool", "The collateral pool seized from."),
        w("liability_pool", "The debt pool repaid."),
        w("liability_vault", "The debt pool's vault."),
        w("liquidator_token_account", "The liquidator's token account of the debt mint."),
        r("liability_mint", "The debt pool's mint."),
        r("liability_token_program", "The debt mint's token program."),
    ]
}

/// The instruction's tag: the first byte borsh writes for it.
pub fn discriminator(spec: &Spec) -> u8 {
    borsh::to_vec(&spec.sample).expect("borsh to a Vec cannot fail")[0]
}

pub fn node(spec: &Spec) -> Value {
    let tag = discriminator(spec);
    let mut arguments = vec![json!({
        "kind": "instructionArgumentNode",
        "name": "discriminator",
        "type": u8(),
        "defaultValue": number_value(tag.into()),
        "defaultValueStrategy": "omitted",
        "docs": [],
    })];
    for (name, ty, _) in &spec.args {
        let docs = docs::member(docs::INSTRUCTION, "MarginInstruction", &[spec.variant, name]);
        arguments
            .push(json!({"kind": "instructionArgumentNode", "name": nodes::camel(name), "type": ty, "docs": docs}));
    }
    let accounts: Vec<Value> = spec
        .accounts
        .iter()
        .map(|(name, writable, signer, optional, doc)| {
            let mut node = json!({
                "kind": "instructionAccountNode",
                "name": nodes::camel(name),
                "isWritable": writable,
                "isSigner": signer,
                "isOptional": optional,
                "docs": [doc],
            });
            if *name == "system_program" {
                node["defaultValue"] =
                    json!({"kind": "publicKeyValueNode", "publicKey": base58(&SYSTEM_PROGRAM_ID), "identifier": "systemProgram"});
            }
            if *name == "instructions_sysvar" {
                node["defaultValue"] = json!({"kind": "publicKeyValueNode", "publicKey": "Sysvar1nstructions1111111111111111111111111", "identifier": "sysvarInstructions"});
            }
            node
        })
        .collect();
    let remaining: Vec<Value> = spec
        .remaining
        .iter()
        .map(|(name, optional, doc)| {
            json!({
                "kind": "instructionRemainingAccountsNode",
                "isOptional": optional,
                "isSigner": false,
                "isWritable": false,
                "docs": [doc],
                "value": {"kind": "argumentValueNode", "name": nodes::camel(name)},
            })
        })
        .collect();
    let mut node = json!({
        "kind": "instructionNode",
        "name": nodes::camel(spec.variant),
        "docs": docs::member(docs::INSTRUCTION, "MarginInstruction", &[spec.variant]),
        "optionalAccountStrategy": "omitted",
        "accounts": accounts,
        "arguments": arguments,
        "discriminators": [{"kind": "fieldDiscriminatorNode", "name": "discriminator", "offset": 0}],
    });
    if !remaining.is_empty() {
        node["remainingAccounts"] = Value::Array(remaining);
    }
    node
}
