//! Off-chain health with the very engine the program runs
//! (`margin_interface::health::compute_health`), and packing of health accounts.

use std::collections::HashMap;

use margin_interface::{
    error::MarginError,
    health::{compute_health, AccountRead, Health, Levels, Unpriced},
    state::{AccountKind, Position},
};
use solana_sdk::{account::Account, instruction::AccountMeta, pubkey::Pubkey};

use crate::{accounts::MarginAccountData, program_id};

/// A fetched account, readable by the shared engine.
#[derive(Clone, Debug)]
pub struct FetchedAccount {
    /// Address.
    pub key: Pubkey,
    /// Contents as fetched.
    pub account: Account,
}

impl AccountRead for FetchedAccount {
    fn key(&self) -> &[u8; 32] {
        self.key.as_array()
    }
    fn owner(&self) -> &[u8; 32] {
        self.account.owner.as_array()
    }
    fn data(&self) -> &[u8] {
        &self.account.data
    }
}

/// The positions the health check will see: the account's used positions, with
/// `extra_pool` appended when an action (a first borrow or deposit in a cross
/// account) is about to open it.
pub fn positions_after(account: &MarginAccountData, extra_pool: Option<&Pubkey>) -> Vec<Position> {
    let mut positions = account.active().to_vec();
    if let Some(pool) = extra_pool {
        if account.header.kind == AccountKind::Cross as u8 && !positions.iter().any(|p| p.pool == pool.to_bytes()) {
            positions.push(Position { pool: pool.to_bytes(), deposit_shares: 0, borrow_shares: 0 });
        }
    }
    positions
}

/// Health accounts for `positions`, in the documented order: pool, oracle, ...
/// `oracle_of` maps a pool to the oracle account to pass for it.
pub fn health_account_metas(positions: &[Position], oracle_of: impl Fn(&Pubkey) -> Pubkey) -> Vec<AccountMeta> {
    positions
        .iter()
        .flat_map(|position| {
            let pool = Pubkey::new_from_array(position.pool);
            [AccountMeta::new_readonly(pool, false), AccountMeta::new_readonly(oracle_of(&pool), false)]
        })
        .collect()
}

/// Health accounts for `resolve_bad_debt`: as [`health_account_metas`], with the
/// pools still holding (dust) deposits writable, since their dust is swept.
pub fn sweep_account_metas(positions: &[Position], oracle_of: impl Fn(&Pubkey) -> Pubkey) -> Vec<AccountMeta> {
    let mut metas = health_account_metas(positions, oracle_of);
    for (position, pair) in positions.iter().zip(metas.chunks_exact_mut(2)) {
        pair[0].is_writable = position.deposit_shares != 0;
    }
    metas
}

/// Health computed off chain from fetched accounts (`accounts` keyed by address),
/// bit for bit what the program's `health` instruction returns (unpriced deposits
/// count zero, an unpriced debt is an error).
pub fn offchain_health(
    account: &MarginAccountData,
    accounts: &HashMap<Pubkey, Account>,
    oracle_of: impl Fn(&Pubkey) -> Pubkey,
    now: i64,
    levels: Levels,
) -> Result<Health, MarginError> {
    offchain_health_with(account, accounts, oracle_of, now, levels, Unpriced::ZeroDeposits)
}

/// [`offchain_health`] with an explicit policy for unpriced positions;
/// `Unpriced::ZeroAll` is what `liquidate` judges eligibility by.
pub fn offchain_health_with(
    account: &MarginAccountData,
    accounts: &HashMap<Pubkey, Account>,
    oracle_of: impl Fn(&Pubkey) -> Pubkey,
    now: i64,
    levels: Levels,
    unpriced: Unpriced,
) -> Result<Health, MarginError> {
    let positions = account.active();
    let mut fetched = Vec::with_capacity(positions.len() * 2);
    for meta in health_account_metas(positions, oracle_of) {
        let account = accounts.get(&meta.pubkey).cloned().ok_or(MarginError::HealthAccountCount)?;
        fetched.push(FetchedAccount { key: meta.pubkey, account });
    }
    let kind = AccountKind::from_u8(account.header.kind).ok_or(MarginError::InvalidAccountKind)?;
    compute_health(program_id().as_array(), kind, positions, &fetched, now, levels, unpriced)
}

/// Converts a Q64.64 USD health value to dollars (for display).
pub fn to_usd(value: i128) -> f64 {
    value as f64 / 18_446_744_073_709_551_616.0
}
