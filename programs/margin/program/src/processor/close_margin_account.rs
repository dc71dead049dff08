//! `close_margin_account`: returns an empty account's lamports to the owner's
//! choice of destination. The type tag is overwritten and the account handed back
//! to the system program, so lamports sent to it later in the same transaction
//! cannot bring the old state back.

use margin_interface::{
    error::MarginError,
    fixed::key_eq,
    state::{MarginAccountMut, CLOSED_DISCRIMINATOR},
};
use pinocchio::{AccountView, Address, ProgramResult};

use crate::validate::{key, layout_error, load_margin_bytes_mut, require_distinct, require_signer, require_writable};

pub fn process(program_id: &Address, accounts: &mut [AccountView]) -> ProgramResult {
    let [owner, margin, destination, ..] = accounts else {
        return Err(MarginError::NotEnoughAccounts.into());
    };
    require_signer(owner)?;
    require_writable(destination)?;
    require_distinct(margin, destination)?;
    {
        let mut data = load_margin_bytes_mut(program_id, margin)?;
        let account = MarginAccountMut::view(&mut data).map_err(layout_error)?;
        if !key_eq(&account.header.owner, key(owner)) {
            return Err(MarginError::Unauthorized.into());
        }
        if account.positions.iter().any(|position| !position.is_empty()) {
            return Err(MarginError::AccountNotEmpty.into());
        }
        data[..8].copy_from_slice(&CLOSED_DISCRIMINATOR);
    }
    let lamports = margin.lamports();
    destination.set_lamports(destination.lamports().checked_add(lamports).ok_or(MarginError::MathOverflow)?);
    margin.set_lamports(0);
    margin.close()
}
