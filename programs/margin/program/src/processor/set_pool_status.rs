//! `set_pool_status` (admin): active, reduce-only or paused.

use margin_interface::{error::MarginError, state::PoolStatus};
use pinocchio::{AccountView, Address, ProgramResult};

use super::shared::now;
use crate::loaders::pool_as_admin;

pub fn process(program_id: &Address, accounts: &mut [AccountView], status: u8) -> ProgramResult {
    let [admin, group, pool, ..] = accounts else {
        return Err(MarginError::NotEnoughAccounts.into());
    };
    let status = PoolStatus::from_u8(status).ok_or(MarginError::InvalidStatus)?;
    let mut pool = pool_as_admin(program_id, admin, group, pool)?;
    // Interest up to now accrues under the status it was earned in.
    pool.accrue(now()?)?;
    pool.status = status as u8;
    Ok(())
}
