//! `resolve_bad_debt`: writes off the debt an account can no longer pay, once it
//! holds no collateral worth liquidating and its Equity (spot prices) is negative.
//!
//! Every remaining deposit must be priced (its pool's oracle readable now) and worth
//! less than its pool's dust threshold (deposits in a pool without an oracle never
//! counted as collateral and stay where they are); such dust is swept into its pool's insurance
//! fund in the same instruction, so a few lamports deposited after the last
//! liquidation cannot keep bad debt accruing forever. The debt pool's insurance
//! fund absorbs the debt first; any remainder lowers the deposit share value
//! (every depositor loses pro rata), floored at one raw Q64.64 unit so the pool
//! never divides by zero. The debt shares are burned: nothing accrues on them.
//!
//! Health accounts: the standard `[pool, oracle]` pair per used position (pools
//! holding dust writable), as for `health`.

use margin_interface::{
    error::MarginError,
    fixed::{self, key_eq},
    health::{deposit_is_dust, Unpriced, EQUITY},
    state::{Group, MarginAccountMut, OracleKind, Pool, ISOLATED_COLLATERAL_SLOT},
};
use pinocchio::{error::ProgramError, AccountView, Address, ProgramResult};

use super::shared::{
    health::{read_pool_oracle, viewed_account_health},
    isolation::{release_from, take_released},
    now,
};
use crate::loaders::{pool_in_group_mut, read_margin_in_group};
use crate::validate::{key, layout_error, load, load_margin_bytes_mut, load_mut};

pub fn process(program_id: &Address, accounts: &mut [AccountView]) -> ProgramResult {
    let [margin, group, pool, health_accounts @ ..] = accounts else {
        return Err(MarginError::NotEnoughAccounts.into());
    };
    load::<Group>(program_id, group)?;
    let pool_key = *key(pool);
    let timestamp = now()?;
    let overflow = MarginError::MathOverflow;

    // Which deposits remain, and are they all dust?
    let dust_slots = read_margin_in_group(program_id, margin, group, |account| {
        // Mid-flash an account may look bankrupt for an instruction or two.
        if account.header.in_flash() {
            return Err(MarginError::FlashActive.into());
        }
        let mut dust_slots = 0u16;
        for (slot, position) in account.active().iter().enumerate() {
            if position.deposit_shares == 0 {
                continue;
            }
            let (pool_account, oracle) = health_pair(health_accounts, slot)?;
            if !key_eq(key(pool_account), &position.pool) {
                return Err(MarginError::HealthAccountMismatch.into());
            }
            let mut held = pool_in_group_mut(program_id, pool_account, group)?;
            if held.config.oracle.kind == OracleKind::None as u8 {
                // Never counted as collateral (no oracle, and one can't be removed
                // once set): it stays the owner's.
                continue;
            }
            held.accrue(timestamp)?;
            let price = read_pool_oracle(&held, oracle, timestamp)?;
            if !deposit_is_dust(&held, position.deposit_shares, &price)? {
                return Err(MarginError::NotBankrupt.into());
            }
            dust_slots |= 1 << slot;
        }
        // Insolvent at spot: a solvent account with dust on both sides is not
        // anyone's to sweep. A debt whose oracle is out counts zero (as for
        // liquidation eligibility): Equity is then an upper bound, so "< 0" still
        // proves insolvency, and one halted debt feed cannot stall the write-off
        // of the others. Without any collateral at all, the debt alone proves it
        // (no price needed).
        if dust_slots == 0 {
            return Ok(dust_slots);
        }
        let health = viewed_account_health(program_id, account, health_accounts, timestamp, EQUITY, Unpriced::ZeroAll)?;
        if health.equity >= 0 {
            return Err(MarginError::NotBankrupt.into());
        }
        Ok(dust_slots)
    })?;

    // Sweep the dust into each pool's insurance fund.
    {
        let mut data = load_margin_bytes_mut(program_id, margin)?;
        let account = MarginAccountMut::view(&mut data).map_err(layout_error)?;
        for slot in 0..account.positions.len() {
            if dust_slots & (1 << slot) == 0 {
                continue;
            }
            let shares = account.positions[slot].deposit_shares;
            let mut held = load_mut::<Pool>(program_id, &mut health_accounts[slot.saturating_mul(2)])?;
            held.total_deposit_shares = held.total_deposit_shares.checked_sub(shares).ok_or(overflow)?;
            let swept = (shares as u128).checked_mul(held.deposit_share_value()).ok_or(overflow)?;
            let insurance = fixed::load(&held.insurance_fund).checked_add(swept).ok_or(overflow)?;
            held.insurance_fund = fixed::store(insurance);
            account.positions[slot].deposit_shares = 0;
        }
    }

    let mut pool = pool_in_group_mut(program_id, pool, group)?;
    pool.accrue(timestamp)?;
    let mut data = load_margin_bytes_mut(program_id, margin)?;
    let mut account = MarginAccountMut::view(&mut data).map_err(layout_error)?;
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
    // covered = min(insurance, debt_q): neither subtraction can underflow.
    pool.insurance_fund = fixed::store(insurance.saturating_sub(covered));
    let remainder = debt_q.saturating_sub(covered);
    if remainder > 0 {
        // Lower the deposit share value by remainder / shares, rounded up; never to
        // zero (a zero share value would make every later deposit divide by zero).
        let total_shares = pool.total_deposit_shares as u128;
        let cut = if total_shares == 0 { 0 } else { remainder.div_ceil(total_shares) };
        let value = pool.deposit_share_value();
        pool.deposit_share_value = fixed::store(value.saturating_sub(cut).max(MIN_DEPOSIT_SHARE_VALUE));
    }
    pool.total_borrow_shares = pool.total_borrow_shares.checked_sub(shares).ok_or(overflow)?;
    account.positions[slot].borrow_shares = 0;
    // An isolated account's tally goes with its debt (its collateral pool is the
    // first health account, writable).
    let released = take_released(&mut account, shares, shares);
    let collateral_key = account.positions[ISOLATED_COLLATERAL_SLOT].pool;
    release_from(program_id, &collateral_key, health_accounts.first_mut(), released)?;
    // Release emptied slots from the back so earlier indices stay valid.
    for slot in (0..account.header.position_count as usize).rev() {
        account.release_if_empty(slot);
    }
    Ok(())
}

/// Smallest deposit share value a write-off leaves (one raw Q64.64 unit): lenders
/// can still burn their worthless shares (withdraw all) and close their accounts.
const MIN_DEPOSIT_SHARE_VALUE: u128 = 1;

/// The `[pool, oracle]` pair of used position `slot`.
fn health_pair(accounts: &mut [AccountView], slot: usize) -> Result<(&mut AccountView, &AccountView), ProgramError> {
    let first = slot.saturating_mul(2);
    match accounts.get_mut(first..first.saturating_add(2)) {
        Some([pool, oracle]) => Ok((pool, oracle)),
        _ => Err(MarginError::HealthAccountCount.into()),
    }
}
