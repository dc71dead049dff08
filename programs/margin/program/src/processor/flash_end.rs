//! `flash_end`: closes the owner's flash loan and runs the health check its
//! borrows and withdrawals skipped: Initial health >= 0 and the stress rule, as
//! any risk-adding action (an account without debt needs no prices).

use margin_interface::error::MarginError;
use pinocchio::{AccountView, Address, ProgramResult};

use super::shared::{
    health::{has_debt, require_health_for_new_risk},
    now,
};
use crate::{
    loaders::margin_owned_by_mut,
    sysvar::{stack_height, TOP_LEVEL},
    validate::require_signer,
};

pub fn process(program_id: &Address, accounts: &mut [AccountView]) -> ProgramResult {
    let [owner, margin, health_accounts @ ..] = accounts else {
        return Err(MarginError::NotEnoughAccounts.into());
    };
    require_signer(owner)?;
    if stack_height() != TOP_LEVEL {
        return Err(MarginError::FlashNotTopLevel.into());
    }
    {
        let mut guard = margin_owned_by_mut(program_id, margin, owner)?;
        let account = guard.view()?;
        if !account.header.in_flash() {
            return Err(MarginError::NotInFlash.into());
        }
        account.header.flash = 0;
    }
    if has_debt(margin)? {
        require_health_for_new_risk(program_id, margin, health_accounts, now()?)?;
    }
    Ok(())
}
