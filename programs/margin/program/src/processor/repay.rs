//! `repay`: tokens from the owner into the vault, burning debt shares. Allowed while
//! paused and never health-checked, so a stale oracle cannot trap a borrower. An
//! isolated account's debt tallied against its isolated-only collateral releases
//! its share of the tally (the collateral pool comes after the fixed accounts).

use margin_interface::{error::MarginError, fixed, state::ISOLATED_COLLATERAL_SLOT};
use pinocchio::{AccountView, Address, ProgramResult};

use super::shared::{
    isolation::{release_from, take_released},
    now,
    token::{check_token_accounts, transfer_in},
    user::{load_user_context, PauseRule},
};
use crate::validate::key;

pub fn process(program_id: &Address, accounts: &mut [AccountView], amount: u64, all: bool) -> ProgramResult {
    let [owner, margin, group, pool, vault, source, mint, token_program, rest @ ..] = accounts else {
        return Err(MarginError::NotEnoughAccounts.into());
    };
    let pool_key = *key(pool);
    let mut context = load_user_context(program_id, owner, margin, group, pool, PauseRule::Allow)?;
    check_token_accounts(&context.pool, vault, mint, token_program, source)?;

    let overflow = MarginError::MathOverflow;
    let pool_state = &mut *context.pool;
    pool_state.accrue(now()?)?;
    let share_value = pool_state.borrow_share_value();
    let slot = context.account()?.find(&pool_key).ok_or(MarginError::PoolNotInAccount)?;
    let owed_shares = context.account()?.positions[slot].borrow_shares;
    if owed_shares == 0 {
        return Err(MarginError::RepayExceedsDebt.into());
    }
    let debt = u64::try_from(fixed::mul_q64_ceil(owed_shares, share_value).ok_or(overflow)?).map_err(|_| overflow)?;
    let (shares, amount) = if all || amount == debt {
        (owed_shares, debt)
    } else if amount > debt {
        return Err(MarginError::RepayExceedsDebt.into());
    } else {
        // Burn the shares the amount fully pays for, rounded down.
        (fixed::div_q64_floor(amount, share_value).ok_or(overflow)?, amount)
    };
    if shares == 0 || amount == 0 {
        return Err(MarginError::ZeroAmount.into());
    }
    let pool_state = &mut *context.pool;
    pool_state.total_borrow_shares = pool_state.total_borrow_shares.checked_sub(shares).ok_or(overflow)?;
    let pool_snapshot = *pool_state;
    let mut account = context.account()?;
    account.positions[slot].borrow_shares = owed_shares.checked_sub(shares).ok_or(overflow)?;
    account.release_if_empty(slot);
    let released = take_released(&mut account, shares, owed_shares);
    let collateral_key = account.positions[ISOLATED_COLLATERAL_SLOT].pool;
    drop(context);
    release_from(program_id, &collateral_key, rest.first_mut(), released)?;

    transfer_in(&pool_snapshot, source, mint, vault, owner, token_program, amount)
}
