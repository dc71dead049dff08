//! `health`: read-only; returns the account's Initial, Maintenance and Equity health
//! as return data, so frontends and bots can use the program as the source of truth.

use margin_interface::{
    error::MarginError,
    health::{Unpriced, ALL_LEVELS},
    state::MarginAccount,
};
use pinocchio::{cpi::set_return_data, AccountView, Address, ProgramResult};

use super::shared::{health::account_health, now};
use crate::validate::{layout_error, require_program_owned};

pub fn process(program_id: &Address, accounts: &mut [AccountView]) -> ProgramResult {
    let [margin, health_accounts @ ..] = accounts else {
        return Err(MarginError::NotEnoughAccounts.into());
    };
    require_program_owned(program_id, margin)?;
    MarginAccount::view(&margin.try_borrow()?).map_err(layout_error)?;
    let health = account_health(program_id, margin, health_accounts, now()?, ALL_LEVELS, Unpriced::ZeroDeposits)?;
    set_return_data(&health.to_bytes());
    Ok(())
}
