//! `deposit`: tokens from the owner's token account into the pool's vault, credited
//! as deposit shares rounded down. A lender is an account that only deposits.

use margin_interface::{
    fixed::key_eq,
    error::MarginError,
    fixed,
    state::{AccountKind, ISOLATED_COLLATERAL_SLOT},
};
use pinocchio::{AccountView, Address, ProgramResult};

use super::shared::{
    now,
    token::{check_token_accounts, transfer_in},
    user::{load_user_context, PauseRule},
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
    let mut context = load_user_context(program_id, owner, margin, group, pool, PauseRule::Refuse)?;
    context.pool.require_active()?;
    check_token_accounts(&context.pool, vault, mint, token_program, source)?;

    let pool_state = &mut *context.pool;
    pool_state.accrue(now()?)?;
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
    let mut account = context.account()?;
    let slot = match account.header.kind() {
        AccountKind::Isolated if key_eq(&account.positions[ISOLATED_COLLATERAL_SLOT].pool, &pool_key) => {
            ISOLATED_COLLATERAL_SLOT
        }
        AccountKind::Isolated => return Err(MarginError::IsolatedPoolMismatch.into()),
        AccountKind::Cross => account.find_or_open(&pool_key).ok_or(MarginError::PositionsFull)?,
    };
    let position = &mut account.positions[slot];
    if position.borrow_shares != 0 {
        return Err(MarginError::DebtOutstanding.into());
    }
    position.deposit_shares = position.deposit_shares.checked_add(shares).ok_or(MarginError::MathOverflow)?;
    drop(context);

    transfer_in(&pool_snapshot, source, mint, vault, owner, token_program, amount)
}
