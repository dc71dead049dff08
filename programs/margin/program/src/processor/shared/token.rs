//! Token accounts and transfers, for SPL Token and Token-2022 alike
//! (`TransferChecked` works on both; the pool records which program owns its mint).

use margin_interface::{error::MarginError, fixed::key_eq, pda::VAULT_AUTHORITY_SEED, state::Pool};
use pinocchio::{
    cpi::{Seed, Signer},
    error::ProgramError,
    AccountView,
};
use pinocchio_token::instructions::TransferChecked;

use crate::validate::key;

/// Base length of a token account (SPL Token; Token-2022 accounts are at least this).
pub const TOKEN_ACCOUNT_LEN: usize = 165;
/// Base length of a mint.
pub const MINT_LEN: usize = 82;

// The SPL Token layouts (Token-2022 shares them in the base part), read in place.
/// Token account: mint, bytes 0..32.
const TOKEN_ACCOUNT_MINT: core::ops::Range<usize> = 0..32;
/// Token account: owner (wallet), bytes 32..64.
const TOKEN_ACCOUNT_OWNER: core::ops::Range<usize> = 32..64;
/// Token account: amount (u64 LE), bytes 64..72.
const TOKEN_ACCOUNT_AMOUNT: core::ops::Range<usize> = 64..72;
/// Mint: decimals byte.
pub const MINT_DECIMALS: usize = 44;
/// Mint: is-initialized byte (1 when initialized).
pub const MINT_IS_INITIALIZED: usize = 45;

/// The token program passed must be the pool's.
pub fn check_token_program(pool: &Pool, token_program: &AccountView) -> Result<(), ProgramError> {
    if !key_eq(key(token_program), &pool.token_program) {
        return Err(MarginError::InvalidTokenProgram.into());
    }
    Ok(())
}

/// The mint passed must be the pool's.
pub fn check_mint(pool: &Pool, mint: &AccountView) -> Result<(), ProgramError> {
    if !key_eq(key(mint), &pool.mint) {
        return Err(MarginError::InvalidMint.into());
    }
    Ok(())
}

/// The vault passed must be the pool's.
pub fn check_vault(pool: &Pool, vault: &AccountView) -> Result<(), ProgramError> {
    if !key_eq(key(vault), &pool.vault) {
        return Err(MarginError::InvalidVault.into());
    }
    Ok(())
}

/// A user token account: owned by the pool's token program, of the pool's mint.
/// Returns the token account's owner (wallet).
pub fn check_user_token_account(pool: &Pool, account: &AccountView) -> Result<[u8; 32], ProgramError> {
    if !key_eq(account.owner().as_array(), &pool.token_program) || account.data_len() < TOKEN_ACCOUNT_LEN {
        return Err(MarginError::InvalidTokenAccount.into());
    }
    let data = account.try_borrow()?;
    if data[TOKEN_ACCOUNT_MINT] != pool.mint {
        return Err(MarginError::InvalidTokenAccount.into());
    }
    let mut owner = [0u8; 32];
    owner.copy_from_slice(&data[TOKEN_ACCOUNT_OWNER]);
    Ok(owner)
}

/// The token accounts of a user action on one pool: the pool's vault, mint and
/// token program, and a user token account of the mint that is not the vault.
pub fn check_token_accounts(
    pool: &Pool,
    vault: &AccountView,
    mint: &AccountView,
    token_program: &AccountView,
    user_account: &AccountView,
) -> Result<(), ProgramError> {
    check_vault(pool, vault)?;
    check_mint(pool, mint)?;
    check_token_program(pool, token_program)?;
    check_user_token_account(pool, user_account)?;
    crate::validate::require_distinct(vault, user_account)
}

/// Token amount held by a token account (validated by the caller).
pub fn token_amount(account: &AccountView) -> Result<u64, ProgramError> {
    let data = account.try_borrow()?;
    let mut amount = [0u8; 8];
    amount.copy_from_slice(&data[TOKEN_ACCOUNT_AMOUNT]);
    Ok(u64::from_le_bytes(amount))
}

/// Moves `amount` from a user's token account into the vault; `authority` signed.
pub fn transfer_in(
    pool: &Pool,
    source: &AccountView,
    mint: &AccountView,
    vault: &AccountView,
    authority: &AccountView,
    token_program: &AccountView,
    amount: u64,
) -> Result<(), ProgramError> {
    TransferChecked::new(source, mint, vault, authority, amount, pool.mint_decimals)
        .invoke_with_program(token_program.address())
}

/// Moves `amount` out of the vault, signed by the pool's vault authority PDA.
#[allow(clippy::too_many_arguments)] // one per account of the token CPI, plus pool and amount
pub fn transfer_out(
    pool: &Pool,
    pool_key: &[u8; 32],
    vault: &AccountView,
    mint: &AccountView,
    destination: &AccountView,
    vault_authority: &AccountView,
    token_program: &AccountView,
    amount: u64,
) -> Result<(), ProgramError> {
    if !key_eq(key(vault_authority), &pool.vault_authority) {
        return Err(MarginError::InvalidPda.into());
    }
    let bump = [pool.vault_authority_bump];
    let seeds = [Seed::from(VAULT_AUTHORITY_SEED), Seed::from(pool_key.as_slice()), Seed::from(&bump)];
    let signer = Signer::from(&seeds);
    TransferChecked::new(vault, mint, destination, vault_authority, amount, pool.mint_decimals)
        .invoke_signed_with_program(&[signer], token_program.address())
}
