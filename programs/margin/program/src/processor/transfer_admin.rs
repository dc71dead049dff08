//! Two-step admin transfer: the admin proposes, the proposed key accepts. A typo in
//! the new key cannot lock the group, because nothing changes until it signs.

use margin_interface::{error::MarginError, fixed::key_eq, state::Group};
use pinocchio::{AccountView, Address, ProgramResult};

use crate::{
    loaders::group_as_admin_mut,
    validate::{key, load_mut, require_signer},
};

/// `propose_admin`: records `new_admin` as pending (all zeros cancels).
pub fn propose(program_id: &Address, accounts: &mut [AccountView], new_admin: [u8; 32]) -> ProgramResult {
    let [admin, group, ..] = accounts else {
        return Err(MarginError::NotEnoughAccounts.into());
    };
    let mut group = group_as_admin_mut(program_id, admin, group)?;
    group.pending_admin = new_admin;
    Ok(())
}

/// `accept_admin`: the pending admin signs and becomes the admin.
pub fn accept(program_id: &Address, accounts: &mut [AccountView]) -> ProgramResult {
    let [new_admin, group, ..] = accounts else {
        return Err(MarginError::NotEnoughAccounts.into());
    };
    require_signer(new_admin)?;
    let mut group = load_mut::<Group>(program_id, group)?;
    if group.pending_admin == [0; 32] || !key_eq(&group.pending_admin, key(new_admin)) {
        return Err(MarginError::NoPendingAdmin.into());
    }
    group.admin = group.pending_admin;
    group.pending_admin = [0; 32];
    Ok(())
}
