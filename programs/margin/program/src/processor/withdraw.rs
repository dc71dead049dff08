//! `withdraw`: burns deposit shares (rounded up, or all of them) and pays tokens out
//! of the vault. Only idle liquidity (deposits minus debt) can leave.
//!
//! An account with debt anywhere must keep Initial health >= 0 after the withdrawal
//! (health accounts follow the fixed ones); an account without debt needs no
//! prices at all, so a stale oracle never traps a lender's funds.

use margin_interface::{error::MarginError, fixed, state::PoolStatus};
use pinocchio::{AccountView, Address, ProgramResult};

use super::shared::{
    health::{has_debt, require_health_for_new_risk},
    now,
    token::{check_token_accounts, transfer_out},
    user::{load_user_context, PauseRule},
};
use crate::validate::key;

pub fn process(program_id: &Address, accounts: &mut [AccountView], amount: u64, all: bool) -> ProgramResult {
    let [owner, margin, group, pool, vault, vault_authority, destination, mint, token_program, health_accounts @ ..] =
        accounts
    else {
        return Err(MarginError::NotEnoughAccounts.into());
    };
    let pool_key = *key(pool);
    let mut context = load_user_context(program_id, owner, margin, group, pool, PauseRule::Refuse)?;
    if context.pool.status() == PoolStatus::Paused {
        return Err(MarginError::PoolPaused.into());
    }
    check_token_accounts(&context.pool, vault, mint, token_program, destination)?;

    let pool_state = &mut *context.pool;
    let timestamp = now()?;
    pool_state.accrue(timestamp)?;
    let share_value = pool_state.deposit_share_value();
    let overflow = MarginError::MathOverflow;

    let pool_snapshot;
    let amount = {
        let slot = {
            let account = context.account()?;
            account.find(&pool_key).ok_or(MarginError::PoolNotInAccount)?
        };
        let held = context.account()?.positions[slot].deposit_shares;
        let (shares, amount) = if all {
            let amount =
                u64::try_from(fixed::mul_q64_floor(held, share_value).ok_or(overflow)?).map_err(|_| overflow)?;
            (held, amount)
        } else {
            (fixed::div_q64_ceil(amount, share_value).ok_or(overflow)?, amount)
        };
        // Withdrawing everything may pay out nothing (shares a write-off made
        // worthless): the shares are burned so the position can close.
        if shares == 0 || (amount == 0 && !all) {
            return Err(MarginError::ZeroAmount.into());
        }
        if shares > held {
            return Err(MarginError::InsufficientShares.into());
        }
        let pool_state = &mut *context.pool;
        let idle = pool_state.total_deposits()?.saturating_sub(pool_state.total_debt()?);
        if amount as u128 > idle {
            return Err(MarginError::InsufficientLiquidity.into());
        }
        pool_state.total_deposit_shares = pool_state.total_deposit_shares.checked_sub(shares).ok_or(overflow)?;
        pool_snapshot = *pool_state;
        let mut account = context.account()?;
        account.positions[slot].deposit_shares = held.checked_sub(shares).ok_or(MarginError::MathOverflow)?;
        account.release_if_empty(slot);
        amount
    };
    drop(context);

    if has_debt(margin)? {
        require_health_for_new_risk(program_id, margin, health_accounts, timestamp)?;
    }
    if amount == 0 {
        return Ok(());
    }
    transfer_out(&pool_snapshot, &pool_key, vault, mint, destination, vault_authority, token_program, amount)
}
