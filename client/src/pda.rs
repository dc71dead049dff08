//! Program-derived addresses, from the seeds in `margin_interface::pda`.

use crate::sdk::pubkey::Pubkey;
use margin_interface::pda::*;

use crate::program_id;

/// Group PDA for `creator` and `seed`, with its canonical bump.
pub fn group_with_bump(creator: &Pubkey, seed: u64) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[GROUP_SEED, creator.as_ref(), &seed.to_le_bytes()], &program_id())
}

/// Group PDA for `creator` and `seed`.
pub fn group(creator: &Pubkey, seed: u64) -> Pubkey {
    group_with_bump(creator, seed).0
}

/// Pool PDA of `mint` in `group`, with its canonical bump.
pub fn pool_with_bump(group: &Pubkey, mint: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[POOL_SEED, group.as_ref(), mint.as_ref()], &program_id())
}

/// Pool PDA of `mint` in `group`.
pub fn pool(group: &Pubkey, mint: &Pubkey) -> Pubkey {
    pool_with_bump(group, mint).0
}

/// Vault token account PDA of `pool`, with its canonical bump.
pub fn vault_with_bump(pool: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[VAULT_SEED, pool.as_ref()], &program_id())
}

/// Vault token account PDA of `pool`.
pub fn vault(pool: &Pubkey) -> Pubkey {
    vault_with_bump(pool).0
}

/// Vault authority PDA of `pool`, with its canonical bump.
pub fn vault_authority_with_bump(pool: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[VAULT_AUTHORITY_SEED, pool.as_ref()], &program_id())
}

/// Vault authority PDA of `pool`.
pub fn vault_authority(pool: &Pubkey) -> Pubkey {
    vault_authority_with_bump(pool).0
}

/// Margin account PDA of `owner` in `group` with `index`, with its canonical bump.
pub fn margin_account_with_bump(group: &Pubkey, owner: &Pubkey, index: u16) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[MARGIN_ACCOUNT_SEED, group.as_ref(), owner.as_ref(), &index.to_le_bytes()],
        &program_id(),
    )
}

/// Margin account PDA of `owner` in `group` with `index`.
pub fn margin_account(group: &Pubkey, owner: &Pubkey, index: u16) -> Pubkey {
    margin_account_with_bump(group, owner, index).0
}

/// Pending config PDA of `pool` (a queued risk-tightening change), with its bump.
pub fn pending_config_with_bump(pool: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[PENDING_CONFIG_SEED, pool.as_ref()], &program_id())
}

/// Pending config PDA of `pool`.
pub fn pending_config(pool: &Pubkey) -> Pubkey {
    pending_config_with_bump(pool).0
}

/// Every address a pool instruction needs, derived once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolKeys {
    /// Group the pool belongs to.
    pub group: Pubkey,
    /// Pool PDA.
    pub pool: Pubkey,
    /// Token mint.
    pub mint: Pubkey,
    /// Vault token account PDA.
    pub vault: Pubkey,
    /// Vault authority PDA.
    pub vault_authority: Pubkey,
    /// SPL Token or Token-2022.
    pub token_program: Pubkey,
}

impl PoolKeys {
    /// Derives the pool's addresses from its group, mint and token program.
    pub fn derive(group: &Pubkey, mint: &Pubkey, token_program: &Pubkey) -> Self {
        let pool = pool(group, mint);
        Self {
            group: *group,
            pool,
            mint: *mint,
            vault: vault(&pool),
            vault_authority: vault_authority(&pool),
            token_program: *token_program,
        }
    }
}
