//! `borrow`: tokens out of the vault against the account's collateral. Debt shares
//! round up; pool status, borrow cap, liquidity and (isolated accounts on
//! isolated-only collateral) the isolation debt ceiling are checked before,
//! Initial health after (inside a flash loan: at `flash_end`, and the pool's flash
//! fee is added to the debt and paid to insurance).

use margin_interface::{error::MarginError, fixed, flash, state::OracleKind};
use pinocchio::{AccountView, Address, ProgramResult};

use super::shared::{
    health::require_health_for_new_risk,
    isolation::tally_borrow,
    now,
    token::{check_token_accounts, transfer_out},
    user::{add_debt, load_user_context, PauseRule},
};
use crate::validate::key;

pub fn process(program_id: &Address, accounts: &mut [AccountView], amount: u64) -> ProgramResult {
    let [owner, margin, group, pool, vault, vault_authority, destination, mint, token_program, health_accounts @ ..] =
        accounts
    else {
        return Err(MarginError::NotEnoughAccounts.into());
    };
    if amount == 0 {
        return Err(MarginError::ZeroAmount.into());
    }
    let pool_key = *key(pool);
    let timestamp = now()?;
    let mut context = load_user_context(program_id, owner, margin, group, pool, PauseRule::Refuse)?;
    context.pool.require_active()?;
    check_token_accounts(&context.pool, vault, mint, token_program, destination)?;
    if context.pool.config.oracle.kind == OracleKind::None as u8 {
        return Err(MarginError::OracleNotConfigured.into());
    }

    let overflow = MarginError::MathOverflow;
    // Inside a flash loan the pool's fee is owed on top (to the insurance fund).
    let fee = match context.account()?.header.in_flash() {
        true => flash::fee(amount, context.pool.config.flash_fee_bps).ok_or(overflow)?,
        false => 0,
    };
    let owed = amount.checked_add(fee).ok_or(overflow)?;
    let pool_state = &mut *context.pool;
    pool_state.accrue(timestamp)?;
    let shares = fixed::div_q64_ceil(owed, pool_state.borrow_share_value()).ok_or(overflow)?;
    let debt = pool_state.total_debt()?;
    let deposits = pool_state.total_deposits()?;
    let debt_after = debt.checked_add(owed as u128).ok_or(overflow)?;
    if debt_after > pool_state.config.borrow_cap as u128 {
        return Err(MarginError::BorrowCapExceeded.into());
    }
    // Utilization stays at or below 100%: only idle deposits can be lent.
    if debt_after > deposits {
        return Err(MarginError::InsufficientLiquidity.into());
    }
    pool_state.total_borrow_shares = pool_state.total_borrow_shares.checked_add(shares).ok_or(overflow)?;
    if fee != 0 {
        let fee_q = (fee as u128).checked_mul(fixed::ONE).ok_or(overflow)?;
        let insurance = fixed::load(&pool_state.insurance_fund).checked_add(fee_q).ok_or(overflow)?;
        pool_state.insurance_fund = fixed::store(insurance);
    }
    let pool_snapshot = *pool_state;

    {
        let mut account = context.account()?;
        add_debt(&mut account, &pool_key, shares)?;
        tally_borrow(program_id, &mut account, &pool_snapshot, owed, health_accounts, timestamp)?;
    }
    drop(context);

    require_health_for_new_risk(program_id, margin, health_accounts, timestamp)?;
    transfer_out(&pool_snapshot, &pool_key, vault, mint, destination, vault_authority, token_program, amount)
}
