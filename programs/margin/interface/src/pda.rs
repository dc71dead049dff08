//! Seeds of every program-derived address. The program verifies with the stored
//! bump (one hash); clients derive with `find_program_address` over these seeds.
//!
//! | account         | seeds                                              |
//! |-----------------|----------------------------------------------------|
//! | group           | `"group"`, creator, seed (u64 LE)                  |
//! | pool            | `"pool"`, group, mint                              |
//! | vault           | `"vault"`, pool                                    |
//! | vault authority | `"vault_authority"`, pool                          |
//! | margin account  | `"margin_account"`, group, owner, index (u16 LE)   |

pub const GROUP_SEED: &[u8] = b"group";
pub const POOL_SEED: &[u8] = b"pool";
pub const VAULT_SEED: &[u8] = b"vault";
pub const VAULT_AUTHORITY_SEED: &[u8] = b"vault_authority";
pub const MARGIN_ACCOUNT_SEED: &[u8] = b"margin_account";
