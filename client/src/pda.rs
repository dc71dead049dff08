//! Program-derived addresses, from the seeds in `margin_interface::pda`.
//!
//! The free functions derive for the declared program id; the same names on
//! [`MarginProgram`] derive for any deployment.

use crate::sdk::pubkey::Pubkey;
use margin_interface::{pda::*, state::Pool};

use crate::MarginProgram;

impl MarginProgram {
    fn find(&self, seeds: &[&[u8]]) -> (Pubkey, u8) {
        Pubkey::find_program_address(seeds, &self.id)
    }

    /// Group PDA for `creator` and `seed`, with its canonical bump.
    pub fn group_with_bump(&self, creator: &Pubkey, seed: u64) -> (Pubkey, u8) {
        self.find(&[GROUP_SEED, creator.as_ref(), &seed.to_le_bytes()])
    }

    /// Group PDA for `creator` and `seed`.
    pub fn group(&self, creator: &Pubkey, seed: u64) -> Pubkey {
        self.group_with_bump(creator, seed).0
    }

    /// Pool PDA of `mint` in `group`, with its canonical bump.
    pub fn pool_with_bump(&self, group: &Pubkey, mint: &Pubkey) -> (Pubkey, u8) {
        self.find(&[POOL_SEED, group.as_ref(), mint.as_ref()])
    }

    /// Pool PDA of `mint` in `group`.
    pub fn pool(&self, group: &Pubkey, mint: &Pubkey) -> Pubkey {
        self.pool_with_bump(group, mint).0
    }

    /// Vault token account PDA of `pool`, with its canonical bump.
    pub fn vault_with_bump(&self, pool: &Pubkey) -> (Pubkey, u8) {
        self.find(&[VAULT_SEED, pool.as_ref()])
    }

    /// Vault token account PDA of `pool`.
    pub fn vault(&self, pool: &Pubkey) -> Pubkey {
        self.vault_with_bump(pool).0
    }

    /// Vault authority PDA of `pool`, with its canonical bump.
    pub fn vault_authority_with_bump(&self, pool: &Pubkey) -> (Pubkey, u8) {
        self.find(&[VAULT_AUTHORITY_SEED, pool.as_ref()])
    }

    /// Vault authority PDA of `pool`.
    pub fn vault_authority(&self, pool: &Pubkey) -> Pubkey {
        self.vault_authority_with_bump(pool).0
    }

    /// Margin account PDA of `owner` in `group` with `index`, with its canonical bump.
    pub fn margin_account_with_bump(&self, group: &Pubkey, owner: &Pubkey, index: u16) -> (Pubkey, u8) {
        self.find(&[MARGIN_ACCOUNT_SEED, group.as_ref(), owner.as_ref(), &index.to_le_bytes()])
    }

    /// Margin account PDA of `owner` in `group` with `index`.
    pub fn margin_account(&self, group: &Pubkey, owner: &Pubkey, index: u16) -> Pubkey {
        self.margin_account_with_bump(group, owner, index).0
    }

    /// Pending config PDA of `pool` (a queued risk-tightening change), with its bump.
    pub fn pending_config_with_bump(&self, pool: &Pubkey) -> (Pubkey, u8) {
        self.find(&[PENDING_CONFIG_SEED, pool.as_ref()])
    }

    /// Pending config PDA of `pool`.
    pub fn pending_config(&self, pool: &Pubkey) -> Pubkey {
        self.pending_config_with_bump(pool).0
    }

    /// Every address a pool instruction needs, derived from the pool's group,
    /// mint and token program.
    pub fn pool_keys(&self, group: &Pubkey, mint: &Pubkey, token_program: &Pubkey) -> PoolKeys {
        let pool = self.pool(group, mint);
        PoolKeys {
            group: *group,
            pool,
            mint: *mint,
            vault: self.vault(&pool),
            vault_authority: self.vault_authority(&pool),
            token_program: *token_program,
        }
    }
}

/// Group PDA for `creator` and `seed`, with its canonical bump.
pub fn group_with_bump(creator: &Pubkey, seed: u64) -> (Pubkey, u8) {
    MarginProgram::default().group_with_bump(creator, seed)
}

/// Group PDA for `creator` and `seed`.
pub fn group(creator: &Pubkey, seed: u64) -> Pubkey {
    MarginProgram::default().group(creator, seed)
}

/// Pool PDA of `mint` in `group`, with its canonical bump.
pub fn pool_with_bump(group: &Pubkey, mint: &Pubkey) -> (Pubkey, u8) {
    MarginProgram::default().pool_with_bump(group, mint)
}

/// Pool PDA of `mint` in `group`.
pub fn pool(group: &Pubkey, mint: &Pubkey) -> Pubkey {
    MarginProgram::default().pool(group, mint)
}

/// Vault token account PDA of `pool`, with its canonical bump.
pub fn vault_with_bump(pool: &Pubkey) -> (Pubkey, u8) {
    MarginProgram::default().vault_with_bump(pool)
}

/// Vault token account PDA of `pool`.
pub fn vault(pool: &Pubkey) -> Pubkey {
    MarginProgram::default().vault(pool)
}

/// Vault authority PDA of `pool`, with its canonical bump.
pub fn vault_authority_with_bump(pool: &Pubkey) -> (Pubkey, u8) {
    MarginProgram::default().vault_authority_with_bump(pool)
}

/// Vault authority PDA of `pool`.
pub fn vault_authority(pool: &Pubkey) -> Pubkey {
    MarginProgram::default().vault_authority(pool)
}

/// Margin account PDA of `owner` in `group` with `index`, with its canonical bump.
pub fn margin_account_with_bump(group: &Pubkey, owner: &Pubkey, index: u16) -> (Pubkey, u8) {
    MarginProgram::default().margin_account_with_bump(group, owner, index)
}

/// Margin account PDA of `owner` in `group` with `index`.
pub fn margin_account(group: &Pubkey, owner: &Pubkey, index: u16) -> Pubkey {
    MarginProgram::default().margin_account(group, owner, index)
}

/// Pending config PDA of `pool` (a queued risk-tightening change), with its bump.
pub fn pending_config_with_bump(pool: &Pubkey) -> (Pubkey, u8) {
    MarginProgram::default().pending_config_with_bump(pool)
}

/// Pending config PDA of `pool`.
pub fn pending_config(pool: &Pubkey) -> Pubkey {
    MarginProgram::default().pending_config(pool)
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
    /// Derives the pool's addresses from its group, mint and token program, for
    /// the declared program id ([`MarginProgram::pool_keys`] for another).
    pub fn derive(group: &Pubkey, mint: &Pubkey, token_program: &Pubkey) -> Self {
        MarginProgram::default().pool_keys(group, mint, token_program)
    }

    /// The keys a decoded pool account records about itself (whatever program
    /// id created it): what a bot or CLI that only knows a pool's address uses.
    pub fn from_pool(address: &Pubkey, pool: &Pool) -> Self {
        Self {
            group: Pubkey::new_from_array(pool.group),
            pool: *address,
            mint: Pubkey::new_from_array(pool.mint),
            vault: Pubkey::new_from_array(pool.vault),
            vault_authority: Pubkey::new_from_array(pool.vault_authority),
            token_program: Pubkey::new_from_array(pool.token_program),
        }
    }
}
