//! `accrue_interest`: permissionless crank that brings one pool up to date, so idle
//! pools' share values stay current for health checks and frontends.

use margin_interface::{error::MarginError, state::Pool};
use pinocchio::{AccountView, Address, ProgramResult};

use super::shared::now;
use crate::validate::load_mut;

pub fn process(program_id: &Address, accounts: &mut [AccountView]) -> ProgramResult {
    let [pool, ..] = accounts else {
        return Err(MarginError::NotEnoughAccounts.into());
    };
    let mut pool = load_mut::<Pool>(program_id, pool)?;
    pool.accrue(now()?)?;
    Ok(())
}
