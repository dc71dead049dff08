//! `transfer_collateral`: moves a deposit between two margin accounts of one owner
//! (isolated <-> cross) atomically; the source's Initial health is checked after.

use margin_interface::{
    error::MarginError,
    fixed::{self, key_eq},
    state::Group,
};
use pinocchio::{AccountView, Address, ProgramResult};

use super::shared::{
    health::{has_debt, require_health_for_new_risk},
    now,
    user::credit_deposit,
};
use crate::loaders::{margin_in_group_mut, pool_in_group_mut};
use crate::validate::{key, load, require_distinct, require_signer};

pub fn process(program_id: &Address, accounts: &mut [AccountView], amount: u64, all: bool) -> ProgramResult {
    let [owner, source, destination, group, pool, health_accounts @ ..] = accounts else {
        return Err(MarginError::NotEnoughAccounts.into());
    };
    require_signer(owner)?;
    require_distinct(source, destination)?;
    // Runs while the group is paused: it only moves collateral between one owner's
    // accounts (the source must keep Initial health), so a borrower can still
    // shore up an account a pause left exposed to liquidation.
    load::<Group>(program_id, group)?;
    let pool_key = *key(pool);
    let timestamp = now()?;
    let overflow = MarginError::MathOverflow;
    {
        let mut pool = pool_in_group_mut(program_id, pool, group)?;
        // Moving collateral adds borrowing power to the destination.
        pool.require_active()?;
        pool.accrue(timestamp)?;
        let share_value = pool.deposit_share_value();

        let mut source_guard = margin_in_group_mut(program_id, source, group)?;
        let mut destination_guard = margin_in_group_mut(program_id, destination, group)?;
        let (mut from, mut to) = (source_guard.view()?, destination_guard.view()?);
        if !key_eq(&from.header.owner, key(owner)) || !key_eq(&to.header.owner, key(owner)) {
            return Err(MarginError::NotSameOwner.into());
        }
        // Collateral leaving a flash would skip its health check; collateral
        // arriving could be moved back out unchecked.
        if from.header.in_flash() || to.header.in_flash() {
            return Err(MarginError::FlashActive.into());
        }

        let from_slot = from.find(&pool_key).ok_or(MarginError::PoolNotInAccount)?;
        let held = from.positions[from_slot].deposit_shares;
        let shares = if all { held } else { fixed::div_q64_ceil(amount, share_value).ok_or(overflow)? };
        if shares == 0 {
            return Err(MarginError::ZeroAmount.into());
        }
        if shares > held {
            return Err(MarginError::InsufficientShares.into());
        }
        credit_deposit(&mut to, &pool_key, &pool, shares)?;
        from.positions[from_slot].deposit_shares = held.checked_sub(shares).ok_or(overflow)?;
        from.release_if_empty(from_slot);
    }
    if has_debt(source)? {
        require_health_for_new_risk(program_id, source, health_accounts, timestamp)?;
    }
    Ok(())
}
