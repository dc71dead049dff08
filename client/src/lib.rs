#![warn(missing_docs)]
//! Rust SDK for the margin lending program: PDAs, instruction builders, account
//! decoders, health-account packing, the health cache and risk report, error
//! decoding and transaction assembly. Light by design: no runtime, RPC or async
//! dependency (the embedded SVM is `margin-sim`, the CLI and bots `margin-ops`).
//!
//! The layouts, math and instruction encoding come from `margin-interface`, the same
//! crate the program compiles, so the client can never drift from the chain.

pub mod accounts;
pub mod budget;
pub mod config;
pub mod errors;
pub mod health;
pub mod instructions;
pub mod oracle;
pub mod pda;
pub mod risk;
pub mod transaction;

pub use margin_interface as interface;

/// The Solana types this crate speaks, from the small crates (the ones
/// `solana-sdk` re-exports), under the paths `solana_sdk` gives them.
pub mod sdk {
    pub use solana_account as account;
    pub use solana_hash as hash;
    pub use solana_pubkey as pubkey;
    pub use solana_signer as signer;
    /// Instructions and their errors.
    pub mod instruction {
        pub use solana_instruction::{error::InstructionError, AccountMeta, Instruction};
    }
    /// Messages, legacy and v0.
    pub mod message {
        pub use solana_message::{v0, AddressLookupTableAccount, Message, VersionedMessage};
    }
    /// Transactions and their errors.
    pub mod transaction {
        pub use solana_transaction::{versioned::VersionedTransaction, Transaction};
        pub use solana_transaction_error::TransactionError;
    }
}
use sdk::pubkey::Pubkey;

/// The margin program's address, `Lyteq51gQm4HPK8shkXx4n4CvT5v6bMGS9gZr674cXh`.
pub fn program_id() -> Pubkey {
    Pubkey::new_from_array(margin_interface::PROGRAM_ID)
}

/// One deployment of the margin program: every PDA ([`pda`]), instruction builder
/// ([`instructions`]) and owner check ([`health`]) of this crate, for the program
/// at `id`. `MarginProgram::default()` is the declared id ([`program_id`]), the
/// one the free functions (`pda::group`, `instructions::borrow`, ...) target; an
/// integrator running their own deployment builds `MarginProgram { id }` and
/// calls the same names as methods.
///
/// ```
/// use margin_client::{program_id, sdk::pubkey::Pubkey, MarginProgram};
///
/// let ours = MarginProgram { id: Pubkey::new_unique() };
/// let creator = Pubkey::new_unique();
/// // Same seeds, another program: another address.
/// assert_ne!(ours.group(&creator, 0), MarginProgram::default().group(&creator, 0));
/// assert_eq!(MarginProgram::default().id, program_id());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MarginProgram {
    /// The program's address.
    pub id: Pubkey,
}

impl MarginProgram {
    /// The program deployed at `id`.
    pub const fn new(id: Pubkey) -> Self {
        Self { id }
    }
}

impl Default for MarginProgram {
    /// The declared program id, [`program_id`].
    fn default() -> Self {
        Self { id: program_id() }
    }
}

/// SPL Token program id.
pub fn spl_token_id() -> Pubkey {
    Pubkey::new_from_array(margin_interface::SPL_TOKEN_PROGRAM_ID)
}

/// Token-2022 program id.
pub fn token_2022_id() -> Pubkey {
    Pubkey::new_from_array(margin_interface::TOKEN_2022_PROGRAM_ID)
}

/// System program id.
pub fn system_program_id() -> Pubkey {
    Pubkey::new_from_array(margin_interface::SYSTEM_PROGRAM_ID)
}

#[cfg(test)]
mod tests {
    #[test]
    fn program_id_in_base58_is_the_one_the_docs_give() {
        assert_eq!(super::program_id().to_string(), "Lyteq51gQm4HPK8shkXx4n4CvT5v6bMGS9gZr674cXh");
    }
}
