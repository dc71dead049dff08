//! One builder per instruction: account order and data exactly as the program
//! documents them on `MarginInstruction`.

use crate::sdk::{
    instruction::{AccountMeta, Instruction},
    pubkey::Pubkey,
};
use borsh::to_vec;
use margin_interface::{
    instruction::MarginInstruction,
    state::{AccountKind, PoolConfig, PoolStatus, Protection},
};

use crate::{pda, pda::PoolKeys, program_id, system_program_id};

fn build(accounts: Vec<AccountMeta>, data: MarginInstruction) -> Instruction {
    Instruction { program_id: program_id(), accounts, data: to_vec(&data).expect("borsh to a Vec cannot fail") }
}

fn w(key: Pubkey) -> AccountMeta {
    AccountMeta::new(key, false)
}
fn ws(key: Pubkey) -> AccountMeta {
    AccountMeta::new(key, true)
}
fn r(key: Pubkey) -> AccountMeta {
    AccountMeta::new_readonly(key, false)
}
fn rs(key: Pubkey) -> AccountMeta {
    AccountMeta::new_readonly(key, true)
}

/// Accounts of an instruction moving tokens from a user into a pool's vault
/// (deposit, repay).
fn inflow_accounts(owner: &Pubkey, margin_account: &Pubkey, keys: &PoolKeys, source: &Pubkey) -> Vec<AccountMeta> {
    vec![
        rs(*owner),
        w(*margin_account),
        r(keys.group),
        w(keys.pool),
        w(keys.vault),
        w(*source),
        r(keys.mint),
        r(keys.token_program),
    ]
}

/// Accounts of an instruction paying out of a pool's vault (withdraw, borrow).
fn outflow_accounts(
    owner: &Pubkey,
    margin_account: &Pubkey,
    keys: &PoolKeys,
    destination: &Pubkey,
) -> Vec<AccountMeta> {
    vec![
        rs(*owner),
        w(*margin_account),
        r(keys.group),
        w(keys.pool),
        w(keys.vault),
        r(keys.vault_authority),
        w(*destination),
        r(keys.mint),
        r(keys.token_program),
    ]
}

/// Creates group `pda::group(admin, seed)` with `admin` as admin.
pub fn init_group(payer: &Pubkey, admin: &Pubkey, seed: u64, fee_destination: &Pubkey) -> Instruction {
    init_group_with_delay(payer, admin, seed, fee_destination, DEFAULT_CONFIG_DELAY_SECS)
}

/// Default delay of risk-tightening pool config changes for new groups: two days.
pub const DEFAULT_CONFIG_DELAY_SECS: u32 = 2 * 86_400;

/// [`init_group`] with an explicit config delay (one to thirty days).
pub fn init_group_with_delay(
    payer: &Pubkey,
    admin: &Pubkey,
    seed: u64,
    fee_destination: &Pubkey,
    config_delay_secs: u32,
) -> Instruction {
    let (group, bump) = pda::group_with_bump(admin, seed);
    build(
        vec![ws(*payer), rs(*admin), w(group), r(system_program_id())],
        MarginInstruction::InitGroup { seed, fee_destination: fee_destination.to_bytes(), bump, config_delay_secs },
    )
}

/// Creates the pool, vault and vault authority for `keys.mint`.
pub fn create_pool(payer: &Pubkey, admin: &Pubkey, keys: &PoolKeys, config: PoolConfig) -> Instruction {
    build(
        vec![
            ws(*payer),
            rs(*admin),
            w(keys.group),
            w(keys.pool),
            r(keys.mint),
            w(keys.vault),
            r(keys.vault_authority),
            r(keys.token_program),
            r(system_program_id()),
        ],
        MarginInstruction::CreatePool {
            config,
            bumps: [
                pda::pool_with_bump(&keys.group, &keys.mint).1,
                pda::vault_with_bump(&keys.pool).1,
                pda::vault_authority_with_bump(&keys.pool).1,
            ],
        },
    )
}

/// Replaces a pool's configuration: at once when it only loosens risk, otherwise
/// queued in [`pda::pending_config`] for the group's delay (then
/// [`apply_pool_config`]). The admin pays the pending account's rent.
pub fn update_pool_config(admin: &Pubkey, group: &Pubkey, pool: &Pubkey, config: PoolConfig) -> Instruction {
    let (pending, pending_bump) = pda::pending_config_with_bump(pool);
    build(
        vec![ws(*admin), r(*group), w(*pool), w(pending), r(system_program_id())],
        MarginInstruction::UpdatePoolConfig { config, pending_bump },
    )
}

/// Applies `pool`'s queued config change once its delay has passed (anyone may
/// send it); the pending account's rent goes back to `rent_payer`.
pub fn apply_pool_config(group: &Pubkey, pool: &Pubkey, rent_payer: &Pubkey) -> Instruction {
    build(vec![r(*group), w(*pool), w(pda::pending_config(pool)), w(*rent_payer)], MarginInstruction::ApplyPoolConfig)
}

/// Sets a pool's status.
pub fn set_pool_status(admin: &Pubkey, group: &Pubkey, pool: &Pubkey, status: PoolStatus) -> Instruction {
    build(vec![rs(*admin), r(*group), w(*pool)], MarginInstruction::SetPoolStatus { status: status as u8 })
}

/// Pauses or resumes the group.
pub fn set_group_pause(admin: &Pubkey, group: &Pubkey, paused: bool) -> Instruction {
    build(vec![rs(*admin), w(*group)], MarginInstruction::SetGroupPause { paused })
}

/// Proposes `new_admin` (step one of two).
pub fn propose_admin(admin: &Pubkey, group: &Pubkey, new_admin: &Pubkey) -> Instruction {
    build(vec![rs(*admin), w(*group)], MarginInstruction::ProposeAdmin { new_admin: new_admin.to_bytes() })
}

/// The proposed admin accepts (step two).
pub fn accept_admin(new_admin: &Pubkey, group: &Pubkey) -> Instruction {
    build(vec![rs(*new_admin), w(*group)], MarginInstruction::AcceptAdmin)
}

/// What kind of margin account to open.
#[derive(Clone, Copy, Debug)]
pub enum OpenKind {
    /// Up to 16 pools netted together.
    Cross,
    /// One collateral pool and one debt pool, fixed for the account's life.
    Isolated {
        /// Pool whose deposits back the debt.
        collateral_pool: Pubkey,
        /// Pool the account borrows from.
        debt_pool: Pubkey,
    },
}

/// Opens margin account `pda::margin_account(group, owner, index)`.
pub fn open_margin_account(payer: &Pubkey, owner: &Pubkey, group: &Pubkey, index: u16, kind: OpenKind) -> Instruction {
    let (margin_account, bump) = pda::margin_account_with_bump(group, owner, index);
    let mut accounts = vec![ws(*payer), rs(*owner), r(*group), w(margin_account), r(system_program_id())];
    let kind = match kind {
        OpenKind::Cross => AccountKind::Cross,
        OpenKind::Isolated { collateral_pool, debt_pool } => {
            accounts.extend([r(collateral_pool), r(debt_pool)]);
            AccountKind::Isolated
        }
    };
    build(accounts, MarginInstruction::OpenMarginAccount { index, kind: kind as u8, bump })
}

/// Closes an empty margin account, sending its lamports to `destination`.
pub fn close_margin_account(owner: &Pubkey, margin_account: &Pubkey, destination: &Pubkey) -> Instruction {
    build(vec![rs(*owner), w(*margin_account), w(*destination)], MarginInstruction::CloseMarginAccount)
}

/// Deposits `amount` from `source` (a token account of `owner`).
pub fn deposit(owner: &Pubkey, margin_account: &Pubkey, keys: &PoolKeys, source: &Pubkey, amount: u64) -> Instruction {
    build(inflow_accounts(owner, margin_account, keys, source), MarginInstruction::Deposit { amount })
}

/// How much to withdraw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WithdrawAmount {
    /// Exactly this many native units (shares burned rounded up).
    Exact(u64),
    /// Every deposit share of the position.
    All,
}

/// Withdraws to `destination` (a token account of the pool's mint).
pub fn withdraw(
    owner: &Pubkey,
    margin_account: &Pubkey,
    keys: &PoolKeys,
    destination: &Pubkey,
    amount: WithdrawAmount,
) -> Instruction {
    let (amount, all) = match amount {
        WithdrawAmount::Exact(amount) => (amount, false),
        WithdrawAmount::All => (0, true),
    };
    build(outflow_accounts(owner, margin_account, keys, destination), MarginInstruction::Withdraw { amount, all })
}

/// Accrues `pool`'s interest up to now (anyone may send it).
pub fn accrue_interest(pool: &Pubkey) -> Instruction {
    build(vec![w(*pool)], MarginInstruction::AccrueInterest)
}

/// Pays accumulated protocol fees to `destination` (owned by the fee destination).
pub fn collect_fees(admin: &Pubkey, keys: &PoolKeys, destination: &Pubkey) -> Instruction {
    build(
        vec![
            rs(*admin),
            r(keys.group),
            w(keys.pool),
            w(keys.vault),
            r(keys.vault_authority),
            w(*destination),
            r(keys.mint),
            r(keys.token_program),
        ],
        MarginInstruction::CollectFees,
    )
}

/// Borrows `amount` into `destination`. `health_accounts` are the margin account's
/// health accounts *after* the borrow (see [`crate::health::health_account_metas`]).
pub fn borrow(
    owner: &Pubkey,
    margin_account: &Pubkey,
    keys: &PoolKeys,
    destination: &Pubkey,
    amount: u64,
    health_accounts: &[AccountMeta],
) -> Instruction {
    let mut accounts = outflow_accounts(owner, margin_account, keys, destination);
    accounts.extend_from_slice(health_accounts);
    build(accounts, MarginInstruction::Borrow { amount })
}

/// How much debt to repay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RepayAmount {
    /// Exactly this many native units (at most the debt).
    Exact(u64),
    /// All of it; leaves zero debt shares.
    All,
}

/// Repays from `source` (a token account of the pool's mint).
pub fn repay(
    owner: &Pubkey,
    margin_account: &Pubkey,
    keys: &PoolKeys,
    source: &Pubkey,
    amount: RepayAmount,
) -> Instruction {
    let (amount, all) = match amount {
        RepayAmount::Exact(amount) => (amount, false),
        RepayAmount::All => (0, true),
    };
    build(inflow_accounts(owner, margin_account, keys, source), MarginInstruction::Repay { amount, all })
}

/// [`repay`] of an isolated account whose debt is tallied against its
/// isolated-only collateral (`MarginAccountData::tallied_collateral`): the
/// collateral pool follows, writable, and releases its share of the tally.
pub fn repay_tallied(
    owner: &Pubkey,
    margin_account: &Pubkey,
    keys: &PoolKeys,
    source: &Pubkey,
    amount: RepayAmount,
    collateral_pool: Option<&Pubkey>,
) -> Instruction {
    let mut ix = repay(owner, margin_account, keys, source, amount);
    ix.accounts.extend(collateral_pool.map(|pool| w(*pool)));
    ix
}

/// Withdraw with the health accounts an account with debt must add.
pub fn withdraw_with_health(
    owner: &Pubkey,
    margin_account: &Pubkey,
    keys: &PoolKeys,
    destination: &Pubkey,
    amount: WithdrawAmount,
    health_accounts: &[AccountMeta],
) -> Instruction {
    let mut ix = withdraw(owner, margin_account, keys, destination, amount);
    ix.accounts.extend_from_slice(health_accounts);
    ix
}

/// Moves a deposit in `pool` from `source` to `destination` (same owner).
pub fn transfer_collateral(
    owner: &Pubkey,
    source: &Pubkey,
    destination: &Pubkey,
    group: &Pubkey,
    pool: &Pubkey,
    amount: WithdrawAmount,
    source_health_accounts: &[AccountMeta],
) -> Instruction {
    let (amount, all) = match amount {
        WithdrawAmount::Exact(amount) => (amount, false),
        WithdrawAmount::All => (0, true),
    };
    let mut accounts = vec![rs(*owner), w(*source), w(*destination), r(*group), w(*pool)];
    accounts.extend_from_slice(source_health_accounts);
    build(accounts, MarginInstruction::TransferCollateral { amount, all })
}

/// Read-only health query; the result is the transaction's return data
/// (decode with `margin_interface::health::Health::from_bytes`).
pub fn health(margin_account: &Pubkey, health_accounts: &[AccountMeta]) -> Instruction {
    let mut accounts = vec![r(*margin_account)];
    accounts.extend_from_slice(health_accounts);
    build(accounts, MarginInstruction::Health)
}

/// Liquidates `liquidatee`: repays up to `max_repay` of its debt in `liability`
/// from `source` (the liquidator's token account) and takes collateral from
/// `asset` into `liquidator_margin`. `liquidatee_health` are the liquidatee's
/// health accounts as it stands; `liquidator_health` only when the liquidator's
/// account has debt (its positions after receiving the collateral).
#[allow(clippy::too_many_arguments)]
pub fn liquidate(
    liquidator: &Pubkey,
    liquidator_margin: &Pubkey,
    liquidatee: &Pubkey,
    asset: &PoolKeys,
    liability: &PoolKeys,
    source: &Pubkey,
    max_repay: u64,
    liquidatee_health: &[AccountMeta],
    liquidator_health: &[AccountMeta],
) -> Instruction {
    let accounts = SeizeAccounts {
        keeper: *liquidator,
        keeper_margin: *liquidator_margin,
        account: *liquidatee,
        asset,
        liability,
        source: *source,
        account_health: liquidatee_health,
        keeper_health: liquidator_health,
    };
    liquidate_with(&accounts, max_repay)
}

/// The accounts of a seizure: a liquidation ([`liquidate_with`]) or a
/// deleverage ([`deleverage`]).
#[derive(Clone, Copy, Debug)]
pub struct SeizeAccounts<'a> {
    /// Signer: the liquidator or keeper.
    pub keeper: Pubkey,
    /// The keeper's margin account (receives the collateral as a deposit).
    pub keeper_margin: Pubkey,
    /// The account seized from.
    pub account: Pubkey,
    /// Collateral pool seized from.
    pub asset: &'a PoolKeys,
    /// Debt pool repaid.
    pub liability: &'a PoolKeys,
    /// The keeper's token account of the debt mint.
    pub source: Pubkey,
    /// The seized account's health accounts as it stands.
    pub account_health: &'a [AccountMeta],
    /// The keeper's own health accounts after receiving the collateral, only
    /// when its account has debt.
    pub keeper_health: &'a [AccountMeta],
}

impl SeizeAccounts<'_> {
    fn metas(&self) -> Vec<AccountMeta> {
        let mut accounts = vec![
            rs(self.keeper),
            w(self.keeper_margin),
            w(self.account),
            r(self.liability.group),
            w(self.asset.pool),
            w(self.liability.pool),
            w(self.liability.vault),
            w(self.source),
            r(self.liability.mint),
            r(self.liability.token_program),
        ];
        accounts.extend_from_slice(self.account_health);
        accounts.extend_from_slice(self.keeper_health);
        accounts
    }
}

/// [`liquidate`] from a [`SeizeAccounts`].
pub fn liquidate_with(accounts: &SeizeAccounts, max_repay: u64) -> Instruction {
    build(accounts.metas(), MarginInstruction::Liquidate { max_repay })
}

/// Pre-liquidation of an account that opted in (`set_protection`) and sits in
/// its band: repays up to its owner's fraction of one debt, at most `max_repay`.
pub fn deleverage(accounts: &SeizeAccounts, max_repay: u64) -> Instruction {
    build(accounts.metas(), MarginInstruction::Deleverage { max_repay })
}

/// The owner opts `margin_account` in to deleverage (or out, with
/// `Protection::default()`).
pub fn set_protection(owner: &Pubkey, margin_account: &Pubkey, protection: Protection) -> Instruction {
    build(vec![rs(*owner), w(*margin_account)], MarginInstruction::SetProtection { protection })
}

/// Writes off the debt of a bankrupt margin account whose remaining deposits are
/// dust (swept to insurance); `health_accounts` as for `health`, dust pools writable.
pub fn resolve_bad_debt(
    margin_account: &Pubkey,
    group: &Pubkey,
    pool: &Pubkey,
    health_accounts: &[AccountMeta],
) -> Instruction {
    let mut accounts = vec![w(*margin_account), r(*group), w(*pool)];
    accounts.extend_from_slice(health_accounts);
    build(accounts, MarginInstruction::ResolveBadDebt)
}

/// The instructions sysvar, which `flash_begin` reads to find its `flash_end`.
pub const INSTRUCTIONS_SYSVAR_ID: Pubkey = Pubkey::from_str_const("Sysvar1nstructions1111111111111111111111111");

/// Opens a flash loan on `margin_account`: its borrows and withdrawals skip the
/// health check until the `flash_end` at top-level index `end_index` of the same
/// transaction. See [`flash_wrap`] to build the whole sequence.
pub fn flash_begin(owner: &Pubkey, margin_account: &Pubkey, end_index: u16) -> Instruction {
    build(vec![rs(*owner), w(*margin_account), r(INSTRUCTIONS_SYSVAR_ID)], MarginInstruction::FlashBegin { end_index })
}

/// Closes the flash loan on `margin_account` and checks its health;
/// `health_accounts` as for `health`, after every step of the flash.
pub fn flash_end(owner: &Pubkey, margin_account: &Pubkey, health_accounts: &[AccountMeta]) -> Instruction {
    let mut accounts = vec![rs(*owner), w(*margin_account)];
    accounts.extend_from_slice(health_accounts);
    build(accounts, MarginInstruction::FlashEnd)
}

/// `inner` inside a flash loan: `[flash_begin, inner.., flash_end]`, where
/// `flash_begin` will sit at top-level index `begin_index` of the transaction
/// (0 unless e.g. compute-budget instructions come first).
pub fn flash_wrap(
    owner: &Pubkey,
    margin_account: &Pubkey,
    begin_index: u16,
    inner: Vec<Instruction>,
    end_health_accounts: &[AccountMeta],
) -> Vec<Instruction> {
    let end_index = usize::from(begin_index) + inner.len() + 1;
    let end_index = u16::try_from(end_index).expect("a transaction holds far fewer than 65,536 instructions");
    let mut instructions = Vec::with_capacity(inner.len() + 2);
    instructions.push(flash_begin(owner, margin_account, end_index));
    instructions.extend(inner);
    instructions.push(flash_end(owner, margin_account, end_health_accounts));
    instructions
}
