//! `flash_begin`: opens a flash loan on the owner's margin account. Until its
//! `flash_end` the account's borrows and withdrawals skip the health check (so a
//! liquidator without capital can borrow, liquidate, sell the seized collateral
//! and repay in one transaction); `flash_end` runs the check once.
//!
//! The end must already be in the transaction: the instructions sysvar shows a
//! later top-level `FlashEnd` of this program naming this margin account, so a
//! transaction that lands always ran it. Both halves refuse CPI: a program
//! calling them could otherwise open a flash whose end it controls.

use margin_interface::{
    error::MarginError,
    instruction::{FLASH_END_TAG, FLASH_MARGIN_ACCOUNT_INDEX},
};
use pinocchio::{sysvars::instructions::Instructions, AccountView, Address, ProgramResult};

use crate::{
    loaders::margin_owned_by_mut,
    sysvar::{stack_height, TOP_LEVEL},
    validate::require_signer,
};

pub fn process(program_id: &Address, accounts: &mut [AccountView], end_index: u16) -> ProgramResult {
    let [owner, margin, instructions_sysvar, ..] = accounts else {
        return Err(MarginError::NotEnoughAccounts.into());
    };
    require_signer(owner)?;
    if stack_height() != TOP_LEVEL {
        return Err(MarginError::FlashNotTopLevel.into());
    }
    let margin_key = *margin.address();
    let mut guard = margin_owned_by_mut(program_id, margin, owner)?;
    let account = guard.view()?;
    if account.header.in_flash() {
        return Err(MarginError::FlashActive.into());
    }
    {
        // `try_from` checks the sysvar's address.
        let instructions = Instructions::try_from(&*instructions_sysvar)?;
        if end_index <= instructions.load_current_index() {
            return Err(MarginError::FlashEndMissing.into());
        }
        let end = instructions.load_instruction_at(end_index as usize).map_err(|_| MarginError::FlashEndMissing)?;
        let ends_this_flash = end.get_program_id() == program_id
            && end.get_instruction_data() == [FLASH_END_TAG]
            && end.get_instruction_account_at(FLASH_MARGIN_ACCOUNT_INDEX).is_ok_and(|meta| meta.key == margin_key);
        if !ends_this_flash {
            return Err(MarginError::FlashEndMissing.into());
        }
    }
    account.header.flash = 1;
    Ok(())
}
