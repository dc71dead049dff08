//! `resolve_bad_debt`: writes off the debt of an account with no collateral left.
//! The pool's insurance fund absorbs it first; the remainder lowers the deposit share
//! value (every depositor loses pro rata, never below zero). The written-off debt
//! shares are burned, so no interest accrues on them afterwards.

use margin_interface::{
    error::MarginError,
    fixed::{self, key_eq},
    state::{Group, MarginAccountMut, Pool},
};
use pinocchio::{AccountView, Address, ProgramResult};

use super::shared::now;
use crate::validate::{key, layout_error, load, load_margin_bytes_mut, load_mut};

pub fn process(program_id: &Address, accounts: &mut [AccountView]) -> ProgramResult {
    let [margin, group, pool, ..] = accounts else {
        return Err(MarginError::NotEnoughAccounts.into());
    };
    load::<Group>(program_id, group)?;
    let pool_key = *key(pool);
    let overflow = MarginError::MathOverflow;
    let mut pool = load_mut::<Pool>(program_id, pool)?;
    if !key_eq(&pool.group, key(group)) {
        return Err(MarginError::WrongGroup.into());
    }
    pool.accrue(now()?)?;

    let mut data = load_margin_bytes_mut(program_id, margin)?;
    let mut account = MarginAccountMut::view(&mut data).map_err(layout_error)?;
    if !key_eq(&account.header.group, key(group)) {
        return Err(MarginError::WrongGroup.into());
    }
    if account.positions.iter().any(|p| p.deposit_shares != 0) {
        return Err(MarginError::NotBankrupt.into());
    }
    let slot = account.find(&pool_key).ok_or(MarginError::PoolNotInAccount)?;
    let shares = account.positions[slot].borrow_shares;
    if shares == 0 {
        return Err(MarginError::NotBankrupt.into());
    }
    // Q64.64 native units, rounded up: the whole debt is written off.
    let debt = fixed::mul_q64_ceil(shares, pool.borrow_share_value()).ok_or(overflow)?;
    let debt_q = debt.checked_mul(fixed::ONE).ok_or(overflow)?;
    let insurance = fixed::load(&pool.insurance_fund);
    let covered = insurance.min(debt_q);
    pool.insurance_fund = fixed::store(insurance - covered);
    let remainder = debt_q - covered;
    if remainder > 0 {
        // Lower the deposit share value by remainder / shares, rounded up, floored at 0.
        let total_shares = pool.total_deposit_shares as u128;
        let cut = if total_shares == 0 { 0 } else { remainder.div_ceil(total_shares) };
        let value = pool.deposit_share_value();
        pool.deposit_share_value = fixed::store(value.saturating_sub(cut));
    }
    pool.total_borrow_shares = pool.total_borrow_shares.checked_sub(shares).ok_or(overflow)?;
    account.positions[slot].borrow_shares = 0;
    account.release_if_empty(slot);
    Ok(())
}
