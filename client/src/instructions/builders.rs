//! The builders, as methods of [`MarginProgram`]: account metas and borsh data.

use crate::sdk::{
    instruction::{AccountMeta, Instruction},
    pubkey::Pubkey,
};
use borsh::to_vec;
use margin_interface::{
    instruction::MarginInstruction,
    state::{AccountKind, PoolConfig, PoolStatus, Protection},
};

use super::{Amount, OpenKind, SeizeAccounts, DEFAULT_CONFIG_DELAY_SECS, INSTRUCTIONS_SYSVAR_ID};
use crate::{pda::PoolKeys, system_program_id, MarginProgram};

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

impl MarginProgram {
    fn build(&self, accounts: Vec<AccountMeta>, data: MarginInstruction) -> Instruction {
        Instruction { program_id: self.id, accounts, data: to_vec(&data).expect("borsh to a Vec cannot fail") }
    }

    /// Creates group `self.group(admin, seed)` with `admin` as admin and the
    /// default config delay ([`DEFAULT_CONFIG_DELAY_SECS`]).
    pub fn init_group(&self, payer: &Pubkey, admin: &Pubkey, seed: u64, fee_destination: &Pubkey) -> Instruction {
        self.init_group_with_delay(payer, admin, seed, fee_destination, DEFAULT_CONFIG_DELAY_SECS)
    }

    /// [`MarginProgram::init_group`] with an explicit config delay (one to thirty days).
    pub fn init_group_with_delay(
        &self,
        payer: &Pubkey,
        admin: &Pubkey,
        seed: u64,
        fee_destination: &Pubkey,
        config_delay_secs: u32,
    ) -> Instruction {
        let (group, bump) = self.group_with_bump(admin, seed);
        self.build(
            vec![ws(*payer), rs(*admin), w(group), r(system_program_id())],
            MarginInstruction::InitGroup { seed, fee_destination: fee_destination.to_bytes(), bump, config_delay_secs },
        )
    }

    /// Creates the pool, vault and vault authority for `keys.mint` (`keys` from
    /// [`MarginProgram::pool_keys`]).
    pub fn create_pool(&self, payer: &Pubkey, admin: &Pubkey, keys: &PoolKeys, config: PoolConfig) -> Instruction {
        self.build(
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
                    self.pool_with_bump(&keys.group, &keys.mint).1,
                    self.vault_with_bump(&keys.pool).1,
                    self.vault_authority_with_bump(&keys.pool).1,
                ],
            },
        )
    }

    /// Replaces a pool's configuration: at once when it only loosens risk,
    /// otherwise queued in the pool's pending config PDA for the group's delay
    /// (then [`MarginProgram::apply_pool_config`]). The admin pays the pending
    /// account's rent.
    pub fn update_pool_config(&self, admin: &Pubkey, keys: &PoolKeys, config: PoolConfig) -> Instruction {
        let (pending, pending_bump) = self.pending_config_with_bump(&keys.pool);
        self.build(
            vec![ws(*admin), r(keys.group), w(keys.pool), w(pending), r(system_program_id())],
            MarginInstruction::UpdatePoolConfig { config, pending_bump },
        )
    }

    /// Applies `pool`'s queued config change once its delay has passed (anyone
    /// may send it); the pending account's rent goes back to `rent_payer`.
    pub fn apply_pool_config(&self, keys: &PoolKeys, rent_payer: &Pubkey) -> Instruction {
        self.build(
            vec![r(keys.group), w(keys.pool), w(self.pending_config(&keys.pool)), w(*rent_payer)],
            MarginInstruction::ApplyPoolConfig,
        )
    }

    /// Sets a pool's status.
    pub fn set_pool_status(&self, admin: &Pubkey, keys: &PoolKeys, status: PoolStatus) -> Instruction {
        self.build(
            vec![rs(*admin), r(keys.group), w(keys.pool)],
            MarginInstruction::SetPoolStatus { status: status as u8 },
        )
    }

    /// Pauses or resumes the group.
    pub fn set_group_pause(&self, admin: &Pubkey, group: &Pubkey, paused: bool) -> Instruction {
        self.build(vec![rs(*admin), w(*group)], MarginInstruction::SetGroupPause { paused })
    }

    /// Proposes `new_admin` (step one of two; all zeros cancels).
    pub fn propose_admin(&self, admin: &Pubkey, group: &Pubkey, new_admin: &Pubkey) -> Instruction {
        self.build(vec![rs(*admin), w(*group)], MarginInstruction::ProposeAdmin { new_admin: new_admin.to_bytes() })
    }

    /// The proposed admin accepts (step two).
    pub fn accept_admin(&self, new_admin: &Pubkey, group: &Pubkey) -> Instruction {
        self.build(vec![rs(*new_admin), w(*group)], MarginInstruction::AcceptAdmin)
    }

    /// Opens margin account `self.margin_account(group, owner, index)`.
    pub fn open_margin_account(
        &self,
        payer: &Pubkey,
        owner: &Pubkey,
        group: &Pubkey,
        index: u16,
        kind: OpenKind,
    ) -> Instruction {
        let (margin_account, bump) = self.margin_account_with_bump(group, owner, index);
        let mut accounts = vec![ws(*payer), rs(*owner), r(*group), w(margin_account), r(system_program_id())];
        let kind = match kind {
            OpenKind::Cross => AccountKind::Cross,
            OpenKind::Isolated { collateral_pool, debt_pool } => {
                accounts.extend([r(collateral_pool), r(debt_pool)]);
                AccountKind::Isolated
            }
        };
        self.build(accounts, MarginInstruction::OpenMarginAccount { index, kind: kind as u8, bump })
    }

    /// Closes an empty margin account, sending its lamports to `destination`.
    pub fn close_margin_account(&self, owner: &Pubkey, margin_account: &Pubkey, destination: &Pubkey) -> Instruction {
        self.build(vec![rs(*owner), w(*margin_account), w(*destination)], MarginInstruction::CloseMarginAccount)
    }

    /// Deposits `amount` (native units) from `source` (a token account of `owner`).
    pub fn deposit(
        &self,
        owner: &Pubkey,
        margin_account: &Pubkey,
        keys: &PoolKeys,
        source: &Pubkey,
        amount: u64,
    ) -> Instruction {
        self.build(inflow_accounts(owner, margin_account, keys, source), MarginInstruction::Deposit { amount })
    }

    /// Withdraws to `destination` (a token account of the pool's mint), from an
    /// account without debt ([`MarginProgram::withdraw_with_health`] otherwise).
    pub fn withdraw(
        &self,
        owner: &Pubkey,
        margin_account: &Pubkey,
        keys: &PoolKeys,
        destination: &Pubkey,
        amount: Amount,
    ) -> Instruction {
        self.withdraw_with_health(owner, margin_account, keys, destination, amount, &[])
    }

    /// Withdraw with the health accounts an account with debt must add (its
    /// positions after the withdrawal).
    pub fn withdraw_with_health(
        &self,
        owner: &Pubkey,
        margin_account: &Pubkey,
        keys: &PoolKeys,
        destination: &Pubkey,
        amount: Amount,
        health_accounts: &[AccountMeta],
    ) -> Instruction {
        let (amount, all) = amount.encode();
        let mut accounts = outflow_accounts(owner, margin_account, keys, destination);
        accounts.extend_from_slice(health_accounts);
        self.build(accounts, MarginInstruction::Withdraw { amount, all })
    }

    /// Accrues `pool`'s interest up to now (anyone may send it).
    pub fn accrue_interest(&self, pool: &Pubkey) -> Instruction {
        self.build(vec![w(*pool)], MarginInstruction::AccrueInterest)
    }

    /// Pays accumulated protocol fees to `destination` (owned by the fee destination).
    pub fn collect_fees(&self, admin: &Pubkey, keys: &PoolKeys, destination: &Pubkey) -> Instruction {
        self.build(
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

    /// Borrows `amount` (native units) into `destination`. `health_accounts` are
    /// the margin account's health accounts *after* the borrow (see
    /// [`crate::health::health_account_metas`]).
    pub fn borrow(
        &self,
        owner: &Pubkey,
        margin_account: &Pubkey,
        keys: &PoolKeys,
        destination: &Pubkey,
        amount: u64,
        health_accounts: &[AccountMeta],
    ) -> Instruction {
        let mut accounts = outflow_accounts(owner, margin_account, keys, destination);
        accounts.extend_from_slice(health_accounts);
        self.build(accounts, MarginInstruction::Borrow { amount })
    }

    /// Repays from `source` (a token account of the pool's mint).
    pub fn repay(
        &self,
        owner: &Pubkey,
        margin_account: &Pubkey,
        keys: &PoolKeys,
        source: &Pubkey,
        amount: Amount,
    ) -> Instruction {
        let (amount, all) = amount.encode();
        self.build(inflow_accounts(owner, margin_account, keys, source), MarginInstruction::Repay { amount, all })
    }

    /// [`MarginProgram::repay`] of an isolated account whose debt is tallied
    /// against its isolated-only collateral
    /// ([`crate::accounts::MarginAccountData::tallied_collateral`]): the
    /// collateral pool follows, writable, and releases its share of the tally.
    pub fn repay_tallied(
        &self,
        owner: &Pubkey,
        margin_account: &Pubkey,
        keys: &PoolKeys,
        source: &Pubkey,
        amount: Amount,
        collateral_pool: Option<&Pubkey>,
    ) -> Instruction {
        let mut ix = self.repay(owner, margin_account, keys, source, amount);
        ix.accounts.extend(collateral_pool.map(|pool| w(*pool)));
        ix
    }

    /// Moves a deposit in `pool` from `source` to `destination` (same owner);
    /// `source_health_accounts` are the source's after the move, when it has debt.
    pub fn transfer_collateral(
        &self,
        owner: &Pubkey,
        source: &Pubkey,
        destination: &Pubkey,
        keys: &PoolKeys,
        amount: Amount,
        source_health_accounts: &[AccountMeta],
    ) -> Instruction {
        let (amount, all) = amount.encode();
        let mut accounts = vec![rs(*owner), w(*source), w(*destination), r(keys.group), w(keys.pool)];
        accounts.extend_from_slice(source_health_accounts);
        self.build(accounts, MarginInstruction::TransferCollateral { amount, all })
    }

    /// Read-only health query; the result is the transaction's return data
    /// (decode with `margin_interface::health::Health::from_bytes`).
    pub fn health(&self, margin_account: &Pubkey, health_accounts: &[AccountMeta]) -> Instruction {
        let mut accounts = vec![r(*margin_account)];
        accounts.extend_from_slice(health_accounts);
        self.build(accounts, MarginInstruction::Health)
    }

    /// Liquidates `accounts.account`: repays up to `max_repay` of its debt in
    /// `accounts.liability` from `accounts.source` and takes collateral from
    /// `accounts.asset` into the keeper's margin account.
    pub fn liquidate(&self, accounts: &SeizeAccounts, max_repay: u64) -> Instruction {
        self.build(accounts.metas(), MarginInstruction::Liquidate { max_repay })
    }

    /// Pre-liquidation of an account that opted in (`set_protection`) and sits
    /// in its band: repays up to its owner's fraction of one debt, at most
    /// `max_repay`.
    pub fn deleverage(&self, accounts: &SeizeAccounts, max_repay: u64) -> Instruction {
        self.build(accounts.metas(), MarginInstruction::Deleverage { max_repay })
    }

    /// The owner opts `margin_account` in to deleverage (or out, with
    /// `Protection::default()`).
    pub fn set_protection(&self, owner: &Pubkey, margin_account: &Pubkey, protection: Protection) -> Instruction {
        self.build(vec![rs(*owner), w(*margin_account)], MarginInstruction::SetProtection { protection })
    }

    /// Writes off the debt of a bankrupt margin account whose remaining deposits
    /// are dust (swept to insurance); `health_accounts` as for `health`, dust
    /// pools writable ([`crate::health::sweep_account_metas`]).
    pub fn resolve_bad_debt(
        &self,
        margin_account: &Pubkey,
        keys: &PoolKeys,
        health_accounts: &[AccountMeta],
    ) -> Instruction {
        let mut accounts = vec![w(*margin_account), r(keys.group), w(keys.pool)];
        accounts.extend_from_slice(health_accounts);
        self.build(accounts, MarginInstruction::ResolveBadDebt)
    }

    /// Opens a flash loan on `margin_account`: its borrows and withdrawals skip
    /// the health check until the `flash_end` at top-level index `end_index` of
    /// the same transaction. See [`MarginProgram::flash_wrap`].
    pub fn flash_begin(&self, owner: &Pubkey, margin_account: &Pubkey, end_index: u16) -> Instruction {
        self.build(
            vec![rs(*owner), w(*margin_account), r(INSTRUCTIONS_SYSVAR_ID)],
            MarginInstruction::FlashBegin { end_index },
        )
    }

    /// Closes the flash loan on `margin_account` and checks its health;
    /// `health_accounts` as for `health`, after every step of the flash.
    pub fn flash_end(&self, owner: &Pubkey, margin_account: &Pubkey, health_accounts: &[AccountMeta]) -> Instruction {
        let mut accounts = vec![rs(*owner), w(*margin_account)];
        accounts.extend_from_slice(health_accounts);
        self.build(accounts, MarginInstruction::FlashEnd)
    }

    /// `inner` inside a flash loan: `[flash_begin, inner.., flash_end]`, where
    /// `flash_begin` will sit at top-level index `begin_index` of the transaction
    /// (0 unless e.g. compute-budget instructions come first).
    pub fn flash_wrap(
        &self,
        owner: &Pubkey,
        margin_account: &Pubkey,
        begin_index: u16,
        inner: Vec<Instruction>,
        end_health_accounts: &[AccountMeta],
    ) -> Vec<Instruction> {
        let end_index = usize::from(begin_index) + inner.len() + 1;
        let end_index = u16::try_from(end_index).expect("a transaction holds far fewer than 65,536 instructions");
        let mut instructions = Vec::with_capacity(inner.len() + 2);
        instructions.push(self.flash_begin(owner, margin_account, end_index));
        instructions.extend(inner);
        instructions.push(self.flash_end(owner, margin_account, end_health_accounts));
        instructions
    }
}
