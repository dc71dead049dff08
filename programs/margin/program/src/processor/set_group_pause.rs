//! `set_group_pause` (admin): stops or resumes every user action in the group
//! (repay and liquidation stay open once they exist).

use margin_interface::{error::MarginError, fixed::key_eq, state::Group};
use pinocchio::{AccountView, Address, ProgramResult};

use crate::validate::{key, load_mut, require_signer};

pub fn process(program_id: &Address, accounts: &mut [AccountView], paused: bool) -> ProgramResult {
    let [admin, group, ..] = accounts else {
        return Err(MarginError::NotEnoughAccounts.into());
    };
    require_signer(admin)?;
    let mut group = load_mut::<Group>(program_id, group)?;
    if !key_eq(&group.admin, key(admin)) {
        return Err(MarginError::Unauthorized.into());
    }
    group.paused = paused as u8;
    Ok(())
}
