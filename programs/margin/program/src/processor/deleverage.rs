//! `deleverage`: opt-in pre-liquidation. While an account whose owner set
//! protection sits inside its band (Maintenance >= 0, health ratio below the
//! threshold), anyone may repay up to the owner's fraction of one debt for
//! collateral plus the owner's small bonus, if the health ratio strictly rises.
//! The steps are shared with `liquidate` (`shared::seizure`).

use pinocchio::{AccountView, Address, ProgramResult};

use super::shared::seizure::{self, Seizure};

pub fn process(program_id: &Address, accounts: &mut [AccountView], max_repay: u64) -> ProgramResult {
    seizure::process(program_id, accounts, max_repay, Seizure::Deleverage)
}
