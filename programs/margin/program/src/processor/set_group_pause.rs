//! `set_group_pause` (admin): stops or resumes every user action in the group
//! (repay and liquidation stay open once they exist).

use margin_interface::error::MarginError;
use pinocchio::{AccountView, Address, ProgramResult};

use crate::loaders::group_as_admin_mut;

pub fn process(program_id: &Address, accounts: &mut [AccountView], paused: bool) -> ProgramResult {
    let [admin, group, ..] = accounts else {
        return Err(MarginError::NotEnoughAccounts.into());
    };
    let mut group = group_as_admin_mut(program_id, admin, group)?;
    group.paused = paused as u8;
    Ok(())
}
