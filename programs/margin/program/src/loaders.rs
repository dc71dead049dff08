//! Loaders that check an account *and* its relation to the others: a pool in a
//! group, a group as its admin, a margin account of a group for its owner. Each
//! returns the checked view, so no processor repeats a `WrongGroup` or admin check.
//! Per-account checks (owner program, writability, tag, size) are in `validate`.

use margin_interface::{
    error::MarginError,
    fixed::key_eq,
    state::{Group, MarginAccount, MarginAccountHeader, MarginAccountMut, Pool},
};
use pinocchio::{
    account::{Ref, RefMut},
    error::ProgramError,
    AccountView, Address,
};

use crate::validate::{
    key, layout_error, load, load_margin_bytes_mut, load_mut, require_program_owned, require_signer,
};

// Group

/// The group, read-only, with `admin` its admin and a signer.
pub fn group_as_admin<'a>(
    program_id: &Address,
    admin: &AccountView,
    group: &'a AccountView,
) -> Result<Ref<'a, Group>, ProgramError> {
    require_signer(admin)?;
    let group = load::<Group>(program_id, group)?;
    require_admin(&group, admin)?;
    Ok(group)
}

/// The group, writable, with `admin` its admin and a signer.
pub fn group_as_admin_mut<'a>(
    program_id: &Address,
    admin: &AccountView,
    group: &'a mut AccountView,
) -> Result<RefMut<'a, Group>, ProgramError> {
    require_signer(admin)?;
    let group = load_mut::<Group>(program_id, group)?;
    require_admin(&group, admin)?;
    Ok(group)
}

#[inline(always)]
fn require_admin(group: &Group, admin: &AccountView) -> Result<(), ProgramError> {
    if key_eq(&group.admin, key(admin)) {
        Ok(())
    } else {
        Err(MarginError::Unauthorized.into())
    }
}

// Pool

/// A pool of `group`, read-only.
pub fn pool_in_group<'a>(
    program_id: &Address,
    pool: &'a AccountView,
    group: &AccountView,
) -> Result<Ref<'a, Pool>, ProgramError> {
    let pool = load::<Pool>(program_id, pool)?;
    require_group(&pool.group, group)?;
    Ok(pool)
}

/// A pool of `group`, writable.
pub fn pool_in_group_mut<'a>(
    program_id: &Address,
    pool: &'a mut AccountView,
    group: &AccountView,
) -> Result<RefMut<'a, Pool>, ProgramError> {
    let pool = load_mut::<Pool>(program_id, pool)?;
    require_group(&pool.group, group)?;
    Ok(pool)
}

/// A pool of `group`, writable, with `admin` the group's admin and a signer.
pub fn pool_as_admin<'a>(
    program_id: &Address,
    admin: &AccountView,
    group: &AccountView,
    pool: &'a mut AccountView,
) -> Result<RefMut<'a, Pool>, ProgramError> {
    group_as_admin(program_id, admin, group)?;
    pool_in_group_mut(program_id, pool, group)
}

#[inline(always)]
fn require_group(member_of: &[u8; 32], group: &AccountView) -> Result<(), ProgramError> {
    if key_eq(member_of, key(group)) {
        Ok(())
    } else {
        Err(MarginError::WrongGroup.into())
    }
}

// Margin account

/// A writable margin account whose layout was checked at load: view it in place
/// with [`MarginAccountGuard::view`] as often as needed.
pub struct MarginAccountGuard<'a> {
    data: RefMut<'a, [u8]>,
}

impl MarginAccountGuard<'_> {
    /// The account viewed in place (tag, kind and size checked again: a few CU).
    pub fn view(&mut self) -> Result<MarginAccountMut<'_>, ProgramError> {
        MarginAccountMut::view(&mut self.data).map_err(layout_error)
    }

    /// Tags the account closed: its bytes never load again, even if lamports
    /// come back within the transaction.
    pub fn close(&mut self) {
        self.data[..8].copy_from_slice(&margin_interface::state::CLOSED_DISCRIMINATOR);
    }
}

/// Runs `read` on a margin account of `group`, read-only (a liquidatee, an account
/// to write off), viewed once.
pub fn read_margin_in_group<R>(
    program_id: &Address,
    margin: &AccountView,
    group: &AccountView,
    read: impl FnOnce(&MarginAccount) -> Result<R, ProgramError>,
) -> Result<R, ProgramError> {
    require_program_owned(program_id, margin)?;
    let data = margin.try_borrow()?;
    let account = MarginAccount::view(&data).map_err(layout_error)?;
    require_group(&account.header.group, group)?;
    read(&account)
}

/// Runs `write` on a margin account of `group` that `owner` owns, writable, viewed
/// once (for a single update; [`margin_of_owner_mut`] keeps the account loaded).
pub fn write_margin_of_owner<R>(
    program_id: &Address,
    margin: &mut AccountView,
    owner: &AccountView,
    group: &AccountView,
    write: impl FnOnce(&mut MarginAccountMut) -> Result<R, ProgramError>,
) -> Result<R, ProgramError> {
    let mut data = load_margin_bytes_mut(program_id, margin)?;
    let mut account = MarginAccountMut::view(&mut data).map_err(layout_error)?;
    require_owner(account.header, owner)?;
    require_group(&account.header.group, group)?;
    write(&mut account)
}

/// A margin account of `group`, writable.
pub fn margin_in_group_mut<'a>(
    program_id: &Address,
    margin: &'a mut AccountView,
    group: &AccountView,
) -> Result<MarginAccountGuard<'a>, ProgramError> {
    margin_checked_mut(program_id, margin, |header| require_group(&header.group, group))
}

/// A margin account, writable, that `owner` owns (`Unauthorized` otherwise; the
/// caller decides whether the owner must sign).
pub fn margin_owned_by_mut<'a>(
    program_id: &Address,
    margin: &'a mut AccountView,
    owner: &AccountView,
) -> Result<MarginAccountGuard<'a>, ProgramError> {
    margin_checked_mut(program_id, margin, |header| require_owner(header, owner))
}

/// A margin account of `group`, writable, that `owner` owns.
pub fn margin_of_owner_mut<'a>(
    program_id: &Address,
    margin: &'a mut AccountView,
    owner: &AccountView,
    group: &AccountView,
) -> Result<MarginAccountGuard<'a>, ProgramError> {
    margin_checked_mut(program_id, margin, |header| {
        require_owner(header, owner)?;
        require_group(&header.group, group)
    })
}

/// Loads a writable margin account and runs `check` on its header (one view).
#[inline(always)]
fn margin_checked_mut<'a>(
    program_id: &Address,
    margin: &'a mut AccountView,
    check: impl FnOnce(&MarginAccountHeader) -> Result<(), ProgramError>,
) -> Result<MarginAccountGuard<'a>, ProgramError> {
    let mut guard = MarginAccountGuard { data: load_margin_bytes_mut(program_id, margin)? };
    check(guard.view()?.header)?;
    Ok(guard)
}

#[inline(always)]
fn require_owner(header: &MarginAccountHeader, owner: &AccountView) -> Result<(), ProgramError> {
    if key_eq(&header.owner, key(owner)) {
        Ok(())
    } else {
        Err(MarginError::Unauthorized.into())
    }
}
