//! Account checks shared by every processor: signer, writable, owner, type tag and
//! size in one call per account, returning the zero-copy view.

use margin_interface::{
    error::MarginError,
    fixed::key_eq,
    state::{self, AccountType, LayoutError},
};
use pinocchio::{
    account::{Ref, RefMut},
    error::ProgramError,
    AccountView, Address,
};

/// Maps a layout failure to the program error that names it.
pub fn layout_error(error: LayoutError) -> ProgramError {
    match error {
        LayoutError::Discriminator => MarginError::InvalidDiscriminator,
        LayoutError::Size | LayoutError::Alignment => MarginError::InvalidAccountSize,
    }
    .into()
}

/// The account must have signed.
#[inline(always)]
pub fn require_signer(account: &AccountView) -> Result<(), ProgramError> {
    if account.is_signer() {
        Ok(())
    } else {
        Err(MarginError::MissingSigner.into())
    }
}

/// The account must be writable.
#[inline(always)]
pub fn require_writable(account: &AccountView) -> Result<(), ProgramError> {
    if account.is_writable() {
        Ok(())
    } else {
        Err(MarginError::AccountNotWritable.into())
    }
}

/// The two accounts must be different.
#[inline(always)]
pub fn require_distinct(a: &AccountView, b: &AccountView) -> Result<(), ProgramError> {
    if key_eq(key(a), key(b)) {
        Err(MarginError::DuplicateAccount.into())
    } else {
        Ok(())
    }
}

/// The account must be owned by this program.
#[inline(always)]
pub fn require_program_owned(program_id: &Address, account: &AccountView) -> Result<(), ProgramError> {
    if key_eq(account.owner().as_array(), program_id.as_array()) {
        Ok(())
    } else {
        Err(MarginError::InvalidAccountOwner.into())
    }
}

/// Read-only view of a program account of type `T` (owner, tag, size checked).
pub fn load<'a, T: AccountType>(program_id: &Address, account: &'a AccountView) -> Result<Ref<'a, T>, ProgramError> {
    require_program_owned(program_id, account)?;
    let data = account.try_borrow()?;
    state::view::<T>(&data).map_err(layout_error)?;
    Ok(Ref::map(data, |bytes| bytemuck::from_bytes::<T>(bytes)))
}

/// Writable view of a program account of type `T` (also checks writability).
pub fn load_mut<'a, T: AccountType>(
    program_id: &Address,
    account: &'a mut AccountView,
) -> Result<RefMut<'a, T>, ProgramError> {
    require_program_owned(program_id, account)?;
    require_writable(account)?;
    let data = account.try_borrow_mut()?;
    state::view::<T>(&data).map_err(layout_error)?;
    Ok(RefMut::map(data, |bytes| bytemuck::from_bytes_mut::<T>(bytes)))
}

/// Writable margin account bytes (owner, writability checked; the caller views
/// them with `MarginAccountMut::view`, which checks tag, kind and size).
pub fn load_margin_bytes_mut<'a>(
    program_id: &Address,
    account: &'a mut AccountView,
) -> Result<RefMut<'a, [u8]>, ProgramError> {
    require_program_owned(program_id, account)?;
    require_writable(account)?;
    Ok(account.try_borrow_mut()?)
}

/// Address bytes as the interface's plain array.
#[inline(always)]
pub fn key(account: &AccountView) -> &[u8; 32] {
    account.address().as_array()
}
