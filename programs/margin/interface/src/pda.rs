//! Seeds of every program-derived address. Clients derive with
//! `find_program_address` over these seeds and pass the bump when an account is
//! created; the program checks it is the canonical one (one hash per bump at or
//! above it, no 1,500-CU `create_program_address` loop) and stores it.
//!
//! | account         | seeds                                              |
//! |-----------------|----------------------------------------------------|
//! | group           | `"group"`, creator, seed (u64 LE)                  |
//! | pool            | `"pool"`, group, mint                              |
//! | vault           | `"vault"`, pool                                    |
//! | vault authority | `"vault_authority"`, pool                          |
//! | margin account  | `"margin_account"`, group, owner, index (u16 LE)   |
//! | pending config  | `"pending_config"`, pool                            |

pub const GROUP_SEED: &[u8] = b"group";
pub const POOL_SEED: &[u8] = b"pool";
pub const VAULT_SEED: &[u8] = b"vault";
pub const VAULT_AUTHORITY_SEED: &[u8] = b"vault_authority";
pub const MARGIN_ACCOUNT_SEED: &[u8] = b"margin_account";
pub const PENDING_CONFIG_SEED: &[u8] = b"pending_config";
