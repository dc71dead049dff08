//! `deposit`: tokens from the owner's token account into the pool's vault, credited
//! as deposit shares rounded down. A lender is an account that only deposits.
//! Runs while the group is paused (it only raises health: liquidations keep
//! running then, so borrowers must be able to add collateral).

use margin_interface::{error::MarginError, fixed};
use pinocchio::{AccountView, Address, ProgramResult};

use super::shared::{
    now,
    token::{check_token_accounts, transfer_in},
    user::{credit_deposit, load_user_context, PauseRule},
};
use crate::validate::key;

pub fn process(program_id: &Address, accounts: &mut [AccountView], amount: u64) -> ProgramResult {
    let [owner, margin, group, pool, vault, source, mint, token_program, ..] = accounts else {
        return Err(MarginError::NotEnoughAccounts.into());
    };
    if amount == 0 {
        return Err(MarginError::ZeroAmount.into());
    }
    let pool_key = *key(pool);
    let mut context = load_user_context(program_id, owner, margin, group, pool, PauseRule::Allow)?;
    context.pool.require_active()?;
    check_token_accounts(&context.pool, vault, mint, token_program, source)?;

    let pool_state = &mut *context.pool;
    pool_state.accrue(now()?)?;
    if pool_state.total_deposit_shares == 0 {
        // Nobody holds shares: start again at one unit per share (a write-off may
        // have left the value near zero, where new shares would overflow).
        pool_state.deposit_share_value = fixed::store(fixed::ONE);
    }
    let shares = fixed::div_q64_floor(amount, pool_state.deposit_share_value()).ok_or(MarginError::MathOverflow)?;
    if shares == 0 {
        return Err(MarginError::ZeroAmount.into());
    }
    let deposits_after = pool_state.total_deposits()?.checked_add(amount as u128).ok_or(MarginError::MathOverflow)?;
    if deposits_after > pool_state.config.deposit_cap as u128 {
        return Err(MarginError::DepositCapExceeded.into());
    }
    pool_state.total_deposit_shares =
        pool_state.total_deposit_shares.checked_add(shares).ok_or(MarginError::MathOverflow)?;

    let pool_snapshot = *pool_state;
    credit_deposit(&mut context.account()?, &pool_key, &pool_snapshot, shares)?;
    drop(context);

    transfer_in(&pool_snapshot, source, mint, vault, owner, token_program, amount)
}
