//! `collect_fees` (admin): pays the pool's accumulated protocol fees, in whole
//! native units, to a token account owned by the group's fee destination. Never
//! touches the liquidity that depositors can withdraw.

use crate::loaders::pool_as_admin;
use margin_interface::{error::MarginError, fixed, state::Group};
use pinocchio::{AccountView, Address, ProgramResult};

use super::shared::{
    now,
    token::{check_mint, check_token_program, check_user_token_account, check_vault, token_amount, transfer_out},
};
use crate::validate::{key, load};

pub fn process(program_id: &Address, accounts: &mut [AccountView]) -> ProgramResult {
    let [admin, group, pool, vault, vault_authority, destination, mint, token_program, ..] = accounts else {
        return Err(MarginError::NotEnoughAccounts.into());
    };
    let pool_key = *key(pool);
    let fee_destination = load::<Group>(program_id, group)?.fee_destination;
    let mut pool = pool_as_admin(program_id, admin, group, pool)?;
    check_vault(&pool, vault)?;
    check_mint(&pool, mint)?;
    check_token_program(&pool, token_program)?;
    if check_user_token_account(&pool, destination)? != fee_destination {
        return Err(MarginError::InvalidFeeDestination.into());
    }
    pool.accrue(now()?)?;

    // Fees are paid by borrowers' interest, so part may still be lent out: pay only
    // what the vault holds beyond what depositors can withdraw.
    let reserved = pool.total_deposits()?.saturating_sub(pool.total_debt()?);
    let spare = (token_amount(vault)? as u128).saturating_sub(reserved);
    // At most the fees in native units, a u64.
    let amount = pool.protocol_fees_native().min(u64::try_from(spare).unwrap_or(u64::MAX));
    if amount == 0 {
        return Err(MarginError::ZeroAmount.into());
    }
    let remaining =
        fixed::load(&pool.protocol_fees).checked_sub((amount as u128) << 64).ok_or(MarginError::MathOverflow)?;
    pool.protocol_fees = fixed::store(remaining);
    let snapshot = *pool;
    drop(pool);
    transfer_out(&snapshot, &pool_key, vault, mint, destination, vault_authority, token_program, amount)
}
