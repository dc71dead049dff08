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
    account.try_borrow_mut()
}

/// Address bytes as the interface's plain array.
#[inline(always)]
pub fn key(account: &AccountView) -> &[u8; 32] {
    account.address().as_array()
}

/// Checks that `expected` is the canonical PDA of `seeds` with `bump`: the address
/// `find_program_address` would return, at a fraction of its cost.
///
/// `find_program_address` spends 1,500 CU (one `create_program_address`) per bump
/// tried from 255 down. Here the client supplies the bump; its address is hashed
/// once (`sol_sha256`) and must be off the curve, and every higher bump must hash
/// onto the curve (`sol_curve_validate_point`), which is exactly what makes `bump`
/// the first one `find_program_address` accepts. Keeping the canonical bump keeps
/// each PDA unique: no second pool for one mint, no second account for one index.
pub fn require_canonical_pda<const N: usize>(
    seeds: &[&[u8]; N],
    bump: u8,
    program_id: &Address,
    expected: &Address,
) -> Result<(), ProgramError> {
    let derived = Address::derive_address(seeds, Some(bump), program_id);
    if !key_eq(derived.as_array(), expected.as_array()) || solana_address::bytes_are_curve_point(expected) {
        return Err(MarginError::InvalidPda.into());
    }
    let mut higher = bump;
    while higher < u8::MAX {
        higher = higher.wrapping_add(1); // below u8::MAX: no wrap
        let candidate = Address::derive_address(seeds, Some(higher), program_id);
        if !solana_address::bytes_are_curve_point(candidate) {
            return Err(MarginError::NonCanonicalBump.into());
        }
    }
    Ok(())
}
