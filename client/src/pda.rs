//! Program-derived addresses, from the seeds in `margin_interface::pda`.

use margin_interface::pda::*;
use solana_sdk::pubkey::Pubkey;

use crate::program_id;

/// Group PDA for `creator` and `seed`.
pub fn group(creator: &Pubkey, seed: u64) -> Pubkey {
    Pubkey::find_program_address(&[GROUP_SEED, creator.as_ref(), &seed.to_le_bytes()], &program_id()).0
}

/// Pool PDA of `mint` in `group`.
pub fn pool(group: &Pubkey, mint: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[POOL_SEED, group.as_ref(), mint.as_ref()], &program_id()).0
}

/// Vault token account PDA of `pool`.
pub fn vault(pool: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[VAULT_SEED, pool.as_ref()], &program_id()).0
}

/// Vault authority PDA of `pool`.
pub fn vault_authority(pool: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[VAULT_AUTHORITY_SEED, pool.as_ref()], &program_id()).0
}

/// Margin account PDA of `owner` in `group` with `index`.
pub fn margin_account(group: &Pubkey, owner: &Pubkey, index: u16) -> Pubkey {
    Pubkey::find_program_address(
        &[MARGIN_ACCOUNT_SEED, group.as_ref(), owner.as_ref(), &index.to_le_bytes()],
        &program_id(),
    )
    .0
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
