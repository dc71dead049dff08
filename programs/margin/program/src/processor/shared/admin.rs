//! The admin gate used by every admin instruction.

use margin_interface::{
    error::MarginError,
    fixed::key_eq,
    state::{Group, Pool},
};
use pinocchio::{
    account::{Ref, RefMut},
    error::ProgramError,
    AccountView, Address,
};

use crate::validate::{key, load, load_mut, require_signer};

/// Loads the group and checks that `admin` signed and is its admin.
pub fn load_group_as_admin<'a>(
    program_id: &Address,
    admin: &AccountView,
    group: &'a AccountView,
) -> Result<Ref<'a, Group>, ProgramError> {
    require_signer(admin)?;
    let group = load::<Group>(program_id, group)?;
    if !key_eq(&group.admin, key(admin)) {
        return Err(MarginError::Unauthorized.into());
    }
    Ok(group)
}

/// Admin gate for pool instructions: `admin` signed and administers `group`, and
/// `pool` (writable) belongs to `group`.
pub fn load_pool_as_admin<'a>(
    program_id: &Address,
    admin: &AccountView,
    group: &AccountView,
    pool: &'a mut AccountView,
) -> Result<RefMut<'a, Pool>, ProgramError> {
    load_group_as_admin(program_id, admin, group)?;
    let pool = load_mut::<Pool>(program_id, pool)?;
    if !key_eq(&pool.group, key(group)) {
        return Err(MarginError::WrongGroup.into());
    }
    Ok(pool)
}
