//! `close_margin_account`: returns an empty account's lamports to the owner's
//! choice of destination. The type tag is overwritten and the account handed back
//! to the system program, so lamports sent to it later in the same transaction
//! cannot bring the old state back.

use margin_interface::error::MarginError;
use pinocchio::{AccountView, Address, ProgramResult};

use crate::loaders::margin_owned_by_mut;
use crate::validate::{require_distinct, require_signer, require_writable};

pub fn process(program_id: &Address, accounts: &mut [AccountView]) -> ProgramResult {
    let [owner, margin, destination, ..] = accounts else {
        return Err(MarginError::NotEnoughAccounts.into());
    };
    require_signer(owner)?;
    require_writable(destination)?;
    require_distinct(margin, destination)?;
    {
        let mut guard = margin_owned_by_mut(program_id, margin, owner)?;
        let account = guard.view()?;
        if account.header.in_flash() {
            return Err(MarginError::FlashActive.into());
        }
        if account.positions.iter().any(|position| !position.is_empty()) {
            return Err(MarginError::AccountNotEmpty.into());
        }
        guard.close();
    }
    let lamports = margin.lamports();
    destination.set_lamports(destination.lamports().checked_add(lamports).ok_or(MarginError::MathOverflow)?);
    margin.set_lamports(0);
    margin.close()
}
