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
        Transfer { from: payer, to: target, lamports: rent - existing }.invoke()?;
    }
    Allocate { account: target, space: space as u64 }.invoke_signed(core::slice::from_ref(signer))?;
    Assign { account: target, owner }.invoke_signed(core::slice::from_ref(signer))
}
