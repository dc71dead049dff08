//! `update_pool_config` (admin): replaces a pool's parameters after accruing
//! interest under the old ones. Weight changes apply to existing positions at once.

use margin_interface::{error::MarginError, state::PoolConfig};
use pinocchio::{AccountView, Address, ProgramResult};

use super::shared::{admin::load_pool_as_admin, now};

pub fn process(program_id: &Address, accounts: &mut [AccountView], config: &PoolConfig) -> ProgramResult {
    let [admin, group, pool, ..] = accounts else {
        return Err(MarginError::NotEnoughAccounts.into());
    };
    config.validate()?;
    let mut pool = load_pool_as_admin(program_id, admin, group, pool)?;
    pool.accrue(now()?)?;
    pool.config = *config;
    Ok(())
}
