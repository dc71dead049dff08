//! `apply_pool_config` (permissionless): once a queued change's delay has passed,
//! anyone may apply it; the pending account closes and its rent returns to the
//! admin who queued it.

use margin_interface::{
    error::MarginError,
    fixed::key_eq,
    state::{Group, PendingPoolConfig},
};
use pinocchio::{AccountView, Address, ProgramResult};

use super::{
    shared::{accounts::close_program_account, now},
    update_pool_config::check_pending_for,
};
use crate::loaders::pool_in_group_mut;
use crate::validate::{key, load, require_writable};

pub fn process(program_id: &Address, accounts: &mut [AccountView]) -> ProgramResult {
    let [group, pool, pending, rent_destination, ..] = accounts else {
        return Err(MarginError::NotEnoughAccounts.into());
    };
    load::<Group>(program_id, group)?;
    require_writable(rent_destination)?;
    check_pending_for(program_id, pending, pool.address())?;
    let timestamp = now()?;
    let config = {
        let state = load::<PendingPoolConfig>(program_id, pending)?;
        if !key_eq(&state.rent_payer, key(rent_destination)) {
            return Err(MarginError::Unauthorized.into());
        }
        if timestamp < state.apply_after {
            return Err(MarginError::ConfigChangeNotReady.into());
        }
        state.config
    };
    config.validate()?;
    {
        let mut pool_state = pool_in_group_mut(program_id, pool, group)?;
        // The tally may have grown during the delay.
        pool_state.check_config_change(&config)?;
        pool_state.accrue(timestamp)?;
        pool_state.config = config;
    }
    close_program_account(pending, rent_destination)
}
