//! The swap test fixture (`tests/fixtures/swap`, built by `scripts/build-sbf.sh`
//! into `swap.so`): a constant-product pool the embedded SVM loads next to the
//! margin program, standing in for the DEX a capital-less liquidator sells seized
//! collateral on.

use solana_sdk::{
    instruction::{AccountMeta, Instruction},
    pubkey::Pubkey,
};

/// Where the embedded SVM loads `swap.so`.
pub const SWAP_PROGRAM_ID: Pubkey = Pubkey::from_str_const("Swap111111111111111111111111111111111111111");

/// The PDA owning every vault of the fixture, and its bump.
pub fn authority() -> (Pubkey, u8) {
    Pubkey::find_program_address(&[swap_fixture::AUTHORITY_SEED], &SWAP_PROGRAM_ID)
}

/// One direction of a fixture pool: the vault tokens go into and the one they
/// come out of (both owned by [`authority`]).
#[derive(Clone, Copy, Debug)]
pub struct SwapRoute {
    pub vault_in: Pubkey,
    pub vault_out: Pubkey,
    pub token_program: Pubkey,
}

impl SwapRoute {
    /// The reverse direction.
    pub fn reversed(self) -> Self {
        Self { vault_in: self.vault_out, vault_out: self.vault_in, ..self }
    }

    /// Swaps `amount_in` from `source` (signed by `user`) into `destination`,
    /// failing unless at least `min_out` comes out.
    pub fn swap(
        &self,
        user: &Pubkey,
        source: &Pubkey,
        destination: &Pubkey,
        amount_in: u64,
        min_out: u64,
    ) -> Instruction {
        let (authority, bump) = authority();
        let mut data = Vec::with_capacity(18);
        data.push(0);
        data.extend_from_slice(&amount_in.to_le_bytes());
        data.extend_from_slice(&min_out.to_le_bytes());
        data.push(bump);
        Instruction {
            program_id: SWAP_PROGRAM_ID,
            accounts: vec![
                AccountMeta::new_readonly(*user, true),
                AccountMeta::new(*source, false),
                AccountMeta::new(*destination, false),
                AccountMeta::new(self.vault_in, false),
                AccountMeta::new(self.vault_out, false),
                AccountMeta::new_readonly(authority, false),
                AccountMeta::new_readonly(self.token_program, false),
            ],
            data,
        }
    }
}

/// Output of swapping `amount_in` against `(reserve_in, reserve_out)`: the
/// fixture's own formula (x · y = k after a 0.3% fee, rounded down).
pub fn quote(amount_in: u64, reserve_in: u64, reserve_out: u64) -> u64 {
    swap_fixture::quote(amount_in, reserve_in, reserve_out).expect("quote within u64")
}

/// `inner` run by the fixture through a CPI instead of by the transaction.
pub fn relay(inner: &Instruction) -> Instruction {
    let mut accounts = vec![AccountMeta::new_readonly(inner.program_id, false)];
    accounts.extend(inner.accounts.iter().cloned());
    let mut data = vec![1];
    data.extend_from_slice(&inner.data);
    Instruction { program_id: SWAP_PROGRAM_ID, accounts, data }
}
