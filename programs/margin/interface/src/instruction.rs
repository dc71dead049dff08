//! Instruction encoding: borsh of [`MarginInstruction`] (a one-byte variant tag
//! followed by the variant's fields). Each variant documents its accounts in order;
//! `[w]` = writable, `[s]` = signer.

use borsh::{BorshDeserialize, BorshSerialize};

use crate::state::{PoolConfig, Protection};

/// Every instruction of the margin program.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum MarginInstruction {
    /// Instruction 0: Creates a group with the signer as admin.
    ///
    /// Accounts: 0 `[w,s]` payer, 1 `[s]` admin (creator), 2 `[w]` group PDA
    /// `["group", admin, seed]`, 3 system program.
    InitGroup {
        /// Any number; lets one admin create several groups.
        seed: u64,
        /// Owner of the token accounts fees are collected into.
        fee_destination: [u8; 32],
        /// Canonical bump of the group PDA (checked on chain, see `pda`).
        bump: u8,
        /// Delay of risk-tightening pool config changes, seconds, within
        /// [`crate::state::MIN_CONFIG_DELAY_SECS`]..=[`crate::state::MAX_CONFIG_DELAY_SECS`].
        config_delay_secs: u32,
    },
    /// Instruction 1: Creates the pool for a mint, its vault and vault authority.
    ///
    /// Accounts: 0 `[w,s]` payer, 1 `[s]` admin, 2 `[w]` group, 3 `[w]` pool PDA
    /// `["pool", group, mint]`, 4 mint, 5 `[w]` vault PDA `["vault", pool]`,
    /// 6 vault authority PDA `["vault_authority", pool]`, 7 token program (owner of
    /// the mint), 8 system program.
    CreatePool {
        /// Initial parameters, validated like `UpdatePoolConfig`.
        config: PoolConfig,
        /// Canonical bumps of the pool, vault and vault authority PDAs.
        bumps: [u8; 3],
    },
    /// Instruction 2: Replaces a pool's parameters (admin). A change that only loosens risk
    /// (`PoolConfig::applies_immediately_over`) applies at once, after accruing
    /// interest under the old curve, and cancels any queued change; any other is
    /// queued in the pending-config PDA until the group's `config_delay_secs` have
    /// passed (replacing a queued one restarts the clock). An oracle, once set,
    /// cannot be removed.
    ///
    /// Accounts: 0 `[w,s]` admin (pays the pending account's rent), 1 group,
    /// 2 `[w]` pool, 3 `[w]` pending config PDA `["pending_config", pool]`,
    /// 4 system program.
    UpdatePoolConfig {
        /// New parameters.
        config: PoolConfig,
        /// Canonical bump of the pending config PDA (used when it is created).
        pending_bump: u8,
    },
    /// Instruction 3: Sets a pool's status (admin): 0 active, 1 reduce-only, 2 paused.
    ///
    /// Accounts: 0 `[s]` admin, 1 group, 2 `[w]` pool.
    SetPoolStatus {
        /// New [`crate::state::PoolStatus`] byte.
        status: u8,
    },
    /// Instruction 4: First step of an admin transfer: records the proposed admin (admin).
    /// Proposing all zeros cancels a pending transfer.
    ///
    /// Accounts: 0 `[s]` admin, 1 `[w]` group.
    ProposeAdmin {
        /// Proposed admin.
        new_admin: [u8; 32],
    },
    /// Instruction 5: Second step: the proposed admin accepts.
    ///
    /// Accounts: 0 `[s]` pending admin, 1 `[w]` group.
    AcceptAdmin,
    /// Instruction 6: Opens a margin account for the signer.
    ///
    /// Accounts: 0 `[w,s]` payer, 1 `[s]` owner, 2 group, 3 `[w]` margin account
    /// PDA `["margin_account", group, owner, index]`, 4 system program; isolated
    /// accounts add 5 collateral pool, 6 debt pool (distinct pools of the group).
    OpenMarginAccount {
        /// Distinguishes an owner's accounts.
        index: u16,
        /// 0 isolated, 1 cross.
        kind: u8,
        /// Canonical bump of the margin account PDA.
        bump: u8,
    },
    /// Instruction 7: Closes an empty margin account and returns its lamports.
    ///
    /// Accounts: 0 `[s]` owner, 1 `[w]` margin account, 2 `[w]` lamport destination.
    CloseMarginAccount,
    /// Instruction 8: Moves tokens from the owner's token account into the pool's vault and
    /// credits deposit shares (rounded down). Accrues the pool first.
    ///
    /// Accounts: 0 `[s]` owner (token authority), 1 `[w]` margin account, 2 group,
    /// 3 `[w]` pool, 4 `[w]` vault, 5 `[w]` source token account, 6 mint, 7 token
    /// program.
    Deposit {
        /// Native units to deposit.
        amount: u64,
    },
    /// Instruction 9: Burns deposit shares (rounded up) and pays tokens out of the vault.
    /// Accrues the pool first.
    ///
    /// Accounts: 0 `[s]` owner, 1 `[w]` margin account, 2 group, 3 `[w]` pool,
    /// 4 `[w]` vault, 5 vault authority, 6 `[w]` destination token account, 7 mint,
    /// 8 token program.
    Withdraw {
        /// Native units to withdraw; ignored when `all` is set.
        amount: u64,
        /// Withdraw every deposit share of the position.
        all: bool,
    },
    /// Instruction 10: Permissionless crank: accrues a pool's interest up to now.
    ///
    /// Accounts: 0 `[w]` pool.
    AccrueInterest,
    /// Instruction 11: Pays the pool's accumulated protocol fees (whole units) out of the vault
    /// (admin). Accrues first.
    ///
    /// Accounts: 0 `[s]` admin, 1 group, 2 `[w]` pool, 3 `[w]` vault, 4 vault
    /// authority, 5 `[w]` destination token account (owned by the group's fee
    /// destination), 6 mint, 7 token program.
    CollectFees,
    /// Instruction 12: Pauses or resumes the whole group (admin).
    ///
    /// Accounts: 0 `[s]` admin, 1 `[w]` group.
    SetGroupPause {
        /// True to pause.
        paused: bool,
    },
    /// Instruction 13: Borrows `amount` from the pool into the owner's token account: debt shares
    /// rounded up; checks pool status, borrow cap, liquidity (utilization <= 100%)
    /// and, after acting, Initial health >= 0. Accrues the pool first.
    ///
    /// Accounts: 0 `[s]` owner, 1 `[w]` margin account, 2 group, 3 `[w]` pool,
    /// 4 `[w]` vault, 5 vault authority, 6 `[w]` destination token account, 7 mint,
    /// 8 token program, then the health accounts of the margin account *after* the
    /// borrow (see `health`), which include this pool. An isolated account always
    /// passes them (even inside a flash loan), its collateral pool writable when
    /// that pool is isolated-only: the borrow is added to the pool's isolation debt
    /// tally and refused past its ceiling (`crate::isolation`).
    Borrow {
        /// Native units to borrow.
        amount: u64,
    },
    /// Instruction 14: Repays debt from the owner's token account. Works while the pool or the
    /// group is paused and with stale oracles (no health check: repaying only
    /// raises health). Shares burned round down for an exact amount.
    ///
    /// Accounts: 0 `[s]` owner, 1 `[w]` margin account, 2 group, 3 `[w]` pool,
    /// 4 `[w]` vault, 5 `[w]` source token account, 6 mint, 7 token program; an
    /// isolated account with an isolation debt tally adds 8 `[w]` its collateral
    /// pool (`CollateralPoolRequired` otherwise), which releases the repaid share.
    Repay {
        /// Native units to repay, at most the debt; ignored when `all` is set.
        amount: u64,
        /// Repay the whole debt (amount rounded up), leaving zero debt shares.
        all: bool,
    },
    /// Instruction 15: Moves a deposit between two margin accounts of the same owner (e.g.
    /// isolated <-> cross) and checks the source's Initial health after the move.
    ///
    /// Accounts: 0 `[s]` owner, 1 `[w]` source margin account, 2 `[w]` destination
    /// margin account, 3 group, 4 `[w]` pool, then the source's health accounts
    /// after the move.
    TransferCollateral {
        /// Native units of deposit to move (shares rounded up); ignored with `all`.
        amount: u64,
        /// Move the whole deposit.
        all: bool,
    },
    /// Instruction 16: Read-only: returns the account's health as return data, three `i128`
    /// little endian (Initial, Maintenance, Equity; USD Q64.64).
    ///
    /// Accounts: 0 margin account, then its health accounts: for each used
    /// position in slot order, the pool then its oracle.
    Health,
    /// Instruction 17: Permissionless liquidation of an account whose Maintenance health is
    /// below zero. The liquidator repays part of one debt from its own token
    /// account and receives the liquidatee's collateral, worth the repaid value plus
    /// a bonus, as deposit shares in its own margin account (no transfer out; it
    /// can withdraw them at will). Sizing: see `margin_interface::liquidation`.
    /// Allowed while the group or the pools are paused or reduce-only.
    ///
    /// Accounts: 0 `[s]` liquidator, 1 `[w]` liquidator's margin account, 2 `[w]`
    /// liquidatee's margin account, 3 group, 4 `[w]` collateral (asset) pool,
    /// 5 `[w]` debt (liability) pool, 6 `[w]` liability vault, 7 `[w]` liquidator's
    /// token account of the liability mint, 8 liability mint, 9 liability token
    /// program; then the liquidatee's health accounts; then, only if the
    /// liquidator's account has debt, its own health accounts (after receiving the
    /// collateral).
    Liquidate {
        /// Most debt (liability native units) the liquidator will repay.
        max_repay: u64,
    },
    /// Instruction 18: Permissionless: writes off the debt of a bankrupt account (Equity < 0
    /// at spot) whose remaining priced deposits are all worth less than their pools'
    /// dust thresholds; that dust is swept into each pool's insurance fund. The debt
    /// pool's insurance fund pays first; any remainder lowers the deposit share
    /// value (socialized, floored at one raw unit).
    ///
    /// Accounts: 0 `[w]` bankrupt margin account, 1 group, 2 `[w]` debt pool, then the
    /// account's health accounts (`[pool, oracle]` per used position; pools holding
    /// dust writable, and an isolated account's collateral pool when it has an
    /// isolation debt tally, which the write-off releases).
    ResolveBadDebt,
    /// Instruction 19: Permissionless: applies a queued pool config change once its delay has
    /// passed (accruing interest under the old curve first), and closes the pending
    /// account, returning its rent to the admin who queued it.
    ///
    /// Accounts: 0 group, 1 `[w]` pool, 2 `[w]` pending config PDA, 3 `[w]` rent
    /// destination (the pending account's `rent_payer`).
    ApplyPoolConfig,
    /// Instruction 20: The owner opts in to (or out of, all zero) pre-liquidation:
    /// see [`Protection`]. Checked by `Protection::validate`.
    ///
    /// Accounts: 0 `[s]` owner, 1 `[w]` margin account.
    SetProtection {
        /// New settings; all zero turns protection off.
        protection: Protection,
    },
    /// Instruction 21: Permissionless pre-liquidation of an account that opted in and
    /// sits inside its band (Maintenance >= 0, health ratio below the threshold):
    /// the keeper repays up to the account's `max_fraction_bps` of one debt and
    /// receives collateral worth the repaid value plus the account's `bonus_bps`,
    /// as deposit shares in its own margin account; refused unless the account's
    /// health ratio strictly rises. Sizing: `liquidation::deleverage_plan`.
    ///
    /// Accounts: as `Liquidate` (0 `[s]` keeper, 1 `[w]` keeper's margin account,
    /// 2 `[w]` protected margin account, 3 group, 4 `[w]` collateral pool, 5 `[w]`
    /// debt pool, 6 `[w]` debt vault, 7 `[w]` keeper's token account of the debt
    /// mint, 8 debt mint, 9 debt token program; then the protected account's
    /// health accounts; then, only if the keeper's account has debt, its own).
    Deleverage {
        /// Most debt (native units) the keeper will repay.
        max_repay: u64,
    },
    /// Instruction 22: Opens a flash loan on the owner's margin account: until the
    /// `FlashEnd` at top-level index `end_index` of this transaction, the account's
    /// borrows and withdrawals (and liquidations it performs) skip their health
    /// checks; `FlashEnd` runs them once. Refused when invoked by CPI, when the
    /// instruction at `end_index` is not a later `FlashEnd` of this program on this
    /// account (`FlashEndMissing`), or when a flash is already open (`FlashActive`).
    ///
    /// Accounts: 0 `[s]` owner, 1 `[w]` margin account, 2 instructions sysvar.
    FlashBegin {
        /// Top-level index of the matching `FlashEnd` in this transaction.
        end_index: u16,
    },
    /// Instruction 23: Closes the flash loan: Initial health >= 0 and the stress
    /// rule, as for any risk-adding action (only when the account has debt).
    /// Refused when invoked by CPI or when no flash is open (`NotInFlash`).
    ///
    /// Accounts: 0 `[s]` owner, 1 `[w]` margin account, then its health accounts.
    FlashEnd,
}

/// Position of the margin account among `FlashBegin`'s and `FlashEnd`'s
/// accounts (what `flash_begin` checks in the introspected end).
pub const FLASH_MARGIN_ACCOUNT_INDEX: usize = 1;

/// Borsh tag of `FlashEnd` (its whole instruction data).
pub const FLASH_END_TAG: u8 = 23;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flash_end_is_its_tag_alone() {
        // flash_begin compares the introspected data with exactly this.
        assert_eq!(borsh::to_vec(&MarginInstruction::FlashEnd).unwrap(), [FLASH_END_TAG]);
        assert_eq!(borsh::to_vec(&MarginInstruction::FlashBegin { end_index: 0x0102 }).unwrap(), [22, 2, 1]);
    }
}
