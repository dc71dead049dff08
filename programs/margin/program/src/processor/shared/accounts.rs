//! Creating program-owned PDA accounts.

use pinocchio::{cpi::Signer, error::ProgramError, AccountView, Address};
use pinocchio_system::instructions::{Allocate, Assign, CreateAccount, Transfer};

/// Creates `target` (a PDA signed for by `signer`) with `space` bytes owned by
/// `owner`. If someone pre-funded the address to block creation, tops up the
/// balance and allocates/assigns instead, so the grief does not work.
pub fn create_pda_account(
    payer: &AccountView,
    target: &AccountView,
    space: usize,
    owner: &Address,
    signer: &Signer,
) -> Result<(), ProgramError> {
    let rent = crate::sysvar::minimum_balance(space)?;
    let existing = target.lamports();
    if existing == 0 {
        return CreateAccount { from: payer, to: target, lamports: rent, space: space as u64, owner }
            .invoke_signed(core::slice::from_ref(signer));
    }
    if existing < rent {
        Transfer { from: payer, to: target, lamports: rent.saturating_sub(existing) }.invoke()?;
    }
    Allocate { account: target, space: space as u64 }.invoke_signed(core::slice::from_ref(signer))?;
    Assign { account: target, owner }.invoke_signed(core::slice::from_ref(signer))
}

/// Closes a program-owned account: tags it closed (so its bytes can never load
/// again, even if lamports come back in the same transaction) and moves all its
/// lamports to `destination`.
pub fn close_program_account(account: &mut AccountView, destination: &mut AccountView) -> Result<(), ProgramError> {
    account.try_borrow_mut()?[..8].copy_from_slice(&margin_interface::state::CLOSED_DISCRIMINATOR);
    let lamports = account.lamports();
    let credited =
        destination.lamports().checked_add(lamports).ok_or(margin_interface::error::MarginError::MathOverflow)?;
    destination.set_lamports(credited);
    account.set_lamports(0);
    account.close()
}
