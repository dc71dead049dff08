//! `liquidate`: repay part of an unhealthy account's debt for its collateral plus a
//! bonus. Eligibility and settlement use the same Maintenance prices; the account's
//! Maintenance health must strictly improve and may not pass the target. The
//! steps are shared with `deleverage` (`shared::seizure`).

use pinocchio::{AccountView, Address, ProgramResult};

use super::shared::seizure::{self, Seizure};

pub fn process(program_id: &Address, accounts: &mut [AccountView], max_repay: u64) -> ProgramResult {
    seizure::process(program_id, accounts, max_repay, Seizure::Liquidate)
}
