//! One builder per instruction: account order and data exactly as the program
//! documents them on `MarginInstruction`.
//!
//! Every builder is a method of [`MarginProgram`] (instructions for that
//! deployment, PDAs derived from its id); the free functions of the same name
//! build for the declared program id (`MarginProgram::default()`).
//!
//! A deposit, then a borrow with the health accounts of the account after it,
//! for a deployment of one's own:
//!
//! ```
//! use margin_client::{
//!     accounts,
//!     health::{health_account_metas, positions_after},
//!     sdk::pubkey::Pubkey,
//!     spl_token_id, MarginProgram,
//! };
//! # use margin_client::interface::state::{AccountKind, MarginAccountHeader, Position};
//! # let (group_creator, user, user_sol, user_usdc) =
//! #     (Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique());
//! # let (sol_mint, usdc_mint, sol_oracle, usdc_oracle) =
//! #     (Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique());
//! let program = MarginProgram { id: Pubkey::new_unique() }; // or MarginProgram::default()
//! let group = program.group(&group_creator, 0);
//! let sol = program.pool_keys(&group, &sol_mint, &spl_token_id());
//! let usdc = program.pool_keys(&group, &usdc_mint, &spl_token_id());
//! let margin_account = program.margin_account(&group, &user, 0);
//!
//! let deposit = program.deposit(&user, &margin_account, &sol, &user_sol, 10_000_000_000);
//! assert_eq!(deposit.program_id, program.id);
//!
//! // The account as fetched after the deposit: one position, SOL.
//! # let mut header: MarginAccountHeader = bytemuck::Zeroable::zeroed();
//! # header.discriminator = MarginAccountHeader::DISCRIMINATOR;
//! # header.kind = AccountKind::Cross as u8;
//! # header.position_count = 1;
//! # let mut positions = vec![Position { pool: [0; 32], deposit_shares: 0, borrow_shares: 0 }; 16];
//! # positions[0] = Position { pool: sol.pool.to_bytes(), deposit_shares: 10_000_000_000, borrow_shares: 0 };
//! # let data = accounts::MarginAccountData { header, positions }.to_bytes();
//! let account = accounts::margin_account(&data)?;
//! // (pool, oracle) per position after the borrow: SOL, then USDC (which it opens).
//! let oracle_of = |pool: &Pubkey| if *pool == sol.pool { sol_oracle } else { usdc_oracle };
//! let health = health_account_metas(&positions_after(&account, Some(&usdc.pool)), oracle_of);
//! let borrow = program.borrow(&user, &margin_account, &usdc, &user_usdc, 500_000_000, &health);
//! let tail: Vec<Pubkey> = borrow.accounts[9..].iter().map(|meta| meta.pubkey).collect();
//! assert_eq!(tail, [sol.pool, sol_oracle, usdc.pool, usdc_oracle]);
//! # Ok::<(), accounts::DecodeError>(())
//! ```

mod builders;

use crate::sdk::{
    instruction::{AccountMeta, Instruction},
    pubkey::Pubkey,
};
use margin_interface::state::{PoolConfig, PoolStatus, Protection};

use crate::{pda::PoolKeys, MarginProgram};

/// Default delay of risk-tightening pool config changes for new groups: two days.
pub const DEFAULT_CONFIG_DELAY_SECS: u32 = 2 * 86_400;

/// The instructions sysvar, which `flash_begin` reads to find its `flash_end`.
pub const INSTRUCTIONS_SYSVAR_ID: Pubkey = Pubkey::from_str_const("Sysvar1nstructions1111111111111111111111111");

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

/// How much of a balance an instruction moves, for every instruction that can
/// also move "all of it": `withdraw` / `withdraw_with_health` and
/// `transfer_collateral` (of a deposit) and `repay` / `repay_tallied` (of a
/// debt). `deposit` and `borrow` take a plain `u64`, the program having no
/// "all" for them.
///
/// ```
/// use margin_client::instructions::{Amount, RepayAmount, WithdrawAmount};
///
/// assert_eq!(Amount::from(1_000_000), Amount::Exact(1_000_000));
/// // The older names are the same type.
/// let all: WithdrawAmount = Amount::All;
/// assert_eq!(all, RepayAmount::All);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Amount {
    /// Exactly this many native units: of a deposit, burning shares rounded up;
    /// of a debt, at most the debt (`RepayExceedsDebt` otherwise).
    Exact(u64),
    /// All of it: every deposit share of the position (the amount paid out is
    /// then rounded down), or the whole debt (rounded up, leaving zero debt
    /// shares).
    All,
}

impl Amount {
    /// The `(amount, all)` fields of the instruction data.
    fn encode(self) -> (u64, bool) {
        match self {
            Self::Exact(amount) => (amount, false),
            Self::All => (0, true),
        }
    }
}

impl From<u64> for Amount {
    /// `Amount::Exact(amount)`.
    fn from(amount: u64) -> Self {
        Self::Exact(amount)
    }
}

/// How much to withdraw (or move, in `transfer_collateral`): the same type as
/// [`Amount`], under its older name.
pub type WithdrawAmount = Amount;

/// How much debt to repay: the same type as [`Amount`], under its older name.
pub type RepayAmount = Amount;

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

// The declared program's builders: thin wrappers over `MarginProgram::default()`.

/// Creates group `pda::group(admin, seed)` with `admin` as admin.
pub fn init_group(payer: &Pubkey, admin: &Pubkey, seed: u64, fee_destination: &Pubkey) -> Instruction {
    MarginProgram::default().init_group(payer, admin, seed, fee_destination)
}

/// [`init_group`] with an explicit config delay (one to thirty days).
pub fn init_group_with_delay(
    payer: &Pubkey,
    admin: &Pubkey,
    seed: u64,
    fee_destination: &Pubkey,
    config_delay_secs: u32,
) -> Instruction {
    MarginProgram::default().init_group_with_delay(payer, admin, seed, fee_destination, config_delay_secs)
}

/// Creates the pool, vault and vault authority for `keys.mint`.
pub fn create_pool(payer: &Pubkey, admin: &Pubkey, keys: &PoolKeys, config: PoolConfig) -> Instruction {
    MarginProgram::default().create_pool(payer, admin, keys, config)
}

/// Replaces a pool's configuration: at once when it only loosens risk, otherwise
/// queued in [`crate::pda::pending_config`] for the group's delay (then
/// [`apply_pool_config`]). The admin pays the pending account's rent.
pub fn update_pool_config(admin: &Pubkey, keys: &PoolKeys, config: PoolConfig) -> Instruction {
    MarginProgram::default().update_pool_config(admin, keys, config)
}

/// Applies `pool`'s queued config change once its delay has passed (anyone may
/// send it); the pending account's rent goes back to `rent_payer`.
pub fn apply_pool_config(keys: &PoolKeys, rent_payer: &Pubkey) -> Instruction {
    MarginProgram::default().apply_pool_config(keys, rent_payer)
}

/// Sets a pool's status.
pub fn set_pool_status(admin: &Pubkey, keys: &PoolKeys, status: PoolStatus) -> Instruction {
    MarginProgram::default().set_pool_status(admin, keys, status)
}

/// Pauses or resumes the group.
pub fn set_group_pause(admin: &Pubkey, group: &Pubkey, paused: bool) -> Instruction {
    MarginProgram::default().set_group_pause(admin, group, paused)
}

/// Proposes `new_admin` (step one of two).
pub fn propose_admin(admin: &Pubkey, group: &Pubkey, new_admin: &Pubkey) -> Instruction {
    MarginProgram::default().propose_admin(admin, group, new_admin)
}

/// The proposed admin accepts (step two).
pub fn accept_admin(new_admin: &Pubkey, group: &Pubkey) -> Instruction {
    MarginProgram::default().accept_admin(new_admin, group)
}

/// Opens margin account `pda::margin_account(group, owner, index)`.
pub fn open_margin_account(payer: &Pubkey, owner: &Pubkey, group: &Pubkey, index: u16, kind: OpenKind) -> Instruction {
    MarginProgram::default().open_margin_account(payer, owner, group, index, kind)
}

/// Closes an empty margin account, sending its lamports to `destination`.
pub fn close_margin_account(owner: &Pubkey, margin_account: &Pubkey, destination: &Pubkey) -> Instruction {
    MarginProgram::default().close_margin_account(owner, margin_account, destination)
}

/// Deposits `amount` from `source` (a token account of `owner`).
pub fn deposit(owner: &Pubkey, margin_account: &Pubkey, keys: &PoolKeys, source: &Pubkey, amount: u64) -> Instruction {
    MarginProgram::default().deposit(owner, margin_account, keys, source, amount)
}

/// Withdraws to `destination` (a token account of the pool's mint).
pub fn withdraw(
    owner: &Pubkey,
    margin_account: &Pubkey,
    keys: &PoolKeys,
    destination: &Pubkey,
    amount: Amount,
) -> Instruction {
    MarginProgram::default().withdraw(owner, margin_account, keys, destination, amount)
}

/// Accrues `pool`'s interest up to now (anyone may send it).
pub fn accrue_interest(pool: &Pubkey) -> Instruction {
    MarginProgram::default().accrue_interest(pool)
}

/// Pays accumulated protocol fees to `destination` (owned by the fee destination).
pub fn collect_fees(admin: &Pubkey, keys: &PoolKeys, destination: &Pubkey) -> Instruction {
    MarginProgram::default().collect_fees(admin, keys, destination)
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
    MarginProgram::default().borrow(owner, margin_account, keys, destination, amount, health_accounts)
}

/// Repays from `source` (a token account of the pool's mint).
pub fn repay(owner: &Pubkey, margin_account: &Pubkey, keys: &PoolKeys, source: &Pubkey, amount: Amount) -> Instruction {
    MarginProgram::default().repay(owner, margin_account, keys, source, amount)
}

/// [`repay`] of an isolated account whose debt is tallied against its
/// isolated-only collateral (`MarginAccountData::tallied_collateral`): the
/// collateral pool follows, writable, and releases its share of the tally.
pub fn repay_tallied(
    owner: &Pubkey,
    margin_account: &Pubkey,
    keys: &PoolKeys,
    source: &Pubkey,
    amount: Amount,
    collateral_pool: Option<&Pubkey>,
) -> Instruction {
    MarginProgram::default().repay_tallied(owner, margin_account, keys, source, amount, collateral_pool)
}

/// Withdraw with the health accounts an account with debt must add.
pub fn withdraw_with_health(
    owner: &Pubkey,
    margin_account: &Pubkey,
    keys: &PoolKeys,
    destination: &Pubkey,
    amount: Amount,
    health_accounts: &[AccountMeta],
) -> Instruction {
    MarginProgram::default().withdraw_with_health(owner, margin_account, keys, destination, amount, health_accounts)
}

/// Moves a deposit in `pool` from `source` to `destination` (same owner).
pub fn transfer_collateral(
    owner: &Pubkey,
    source: &Pubkey,
    destination: &Pubkey,
    keys: &PoolKeys,
    amount: Amount,
    source_health_accounts: &[AccountMeta],
) -> Instruction {
    MarginProgram::default().transfer_collateral(owner, source, destination, keys, amount, source_health_accounts)
}

/// Read-only health query; the result is the transaction's return data
/// (decode with `margin_interface::health::Health::from_bytes`).
pub fn health(margin_account: &Pubkey, health_accounts: &[AccountMeta]) -> Instruction {
    MarginProgram::default().health(margin_account, health_accounts)
}

/// Liquidates `liquidatee`: repays up to `max_repay` of its debt in `liability`
/// from `source` (the liquidator's token account) and takes collateral from
/// `asset` into `liquidator_margin`. `liquidatee_health` are the liquidatee's
/// health accounts as it stands; `liquidator_health` only when the liquidator's
/// account has debt (its positions after receiving the collateral).
/// [`MarginProgram::liquidate`] takes the accounts as a [`SeizeAccounts`].
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

/// [`liquidate`] from a [`SeizeAccounts`].
pub fn liquidate_with(accounts: &SeizeAccounts, max_repay: u64) -> Instruction {
    MarginProgram::default().liquidate(accounts, max_repay)
}

/// Pre-liquidation of an account that opted in (`set_protection`) and sits in
/// its band: repays up to its owner's fraction of one debt, at most `max_repay`.
pub fn deleverage(accounts: &SeizeAccounts, max_repay: u64) -> Instruction {
    MarginProgram::default().deleverage(accounts, max_repay)
}

/// The owner opts `margin_account` in to deleverage (or out, with
/// `Protection::default()`).
pub fn set_protection(owner: &Pubkey, margin_account: &Pubkey, protection: Protection) -> Instruction {
    MarginProgram::default().set_protection(owner, margin_account, protection)
}

/// Writes off the debt of a bankrupt margin account whose remaining deposits are
/// dust (swept to insurance); `health_accounts` as for `health`, dust pools writable.
pub fn resolve_bad_debt(margin_account: &Pubkey, keys: &PoolKeys, health_accounts: &[AccountMeta]) -> Instruction {
    MarginProgram::default().resolve_bad_debt(margin_account, keys, health_accounts)
}

/// Opens a flash loan on `margin_account`: its borrows and withdrawals skip the
/// health check until the `flash_end` at top-level index `end_index` of the same
/// transaction. See [`flash_wrap`] to build the whole sequence.
pub fn flash_begin(owner: &Pubkey, margin_account: &Pubkey, end_index: u16) -> Instruction {
    MarginProgram::default().flash_begin(owner, margin_account, end_index)
}

/// Closes the flash loan on `margin_account` and checks its health;
/// `health_accounts` as for `health`, after every step of the flash.
pub fn flash_end(owner: &Pubkey, margin_account: &Pubkey, health_accounts: &[AccountMeta]) -> Instruction {
    MarginProgram::default().flash_end(owner, margin_account, health_accounts)
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
    MarginProgram::default().flash_wrap(owner, margin_account, begin_index, inner, end_health_accounts)
}
