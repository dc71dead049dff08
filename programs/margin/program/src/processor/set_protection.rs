//! `set_protection`: the owner opts in to (or out of) pre-liquidation by keepers
//! (`deleverage`). Settings are bounded (`Protection::validate`): the bonus a
//! keeper can take is capped far below a liquidation's.

use margin_interface::{error::MarginError, state::Protection};
use pinocchio::{AccountView, Address, ProgramResult};

use crate::loaders::margin_owned_by_mut;
use crate::validate::require_signer;

pub fn process(program_id: &Address, accounts: &mut [AccountView], protection: &Protection) -> ProgramResult {
    let [owner, margin, ..] = accounts else {
        return Err(MarginError::NotEnoughAccounts.into());
    };
    require_signer(owner)?;
    protection.validate()?;
    let mut guard = margin_owned_by_mut(program_id, margin, owner)?;
    guard.view()?.header.protection = *protection;
    Ok(())
}
