//! `update_pool_config` (admin): a change that only loosens risk applies at once
//! (after accruing interest under the old curve) and cancels any queued change;
//! any other change is queued for the group's delay (`apply_pool_config` applies
//! it). Users therefore see every risk-tightening change before it can touch them:
//! the admin cannot cut a weight, liquidate and restore in one transaction.

use margin_interface::{
    error::MarginError,
    fixed::key_eq,
    pda::PENDING_CONFIG_SEED,
    state::{AccountType, Group, PendingPoolConfig, PoolConfig, LAYOUT_VERSION},
};
use pinocchio::{
    cpi::{Seed, Signer},
    AccountView, Address, ProgramResult,
};

use super::shared::{
    accounts::{close_program_account, create_pda_account},
    now,
};
use crate::{
    loaders::pool_as_admin,
    validate::{key, load, load_mut, require_canonical_pda, require_writable},
};

pub fn process(
    program_id: &Address,
    accounts: &mut [AccountView],
    config: &PoolConfig,
    pending_bump: u8,
) -> ProgramResult {
    let [admin, group, pool, pending, _system_program, ..] = accounts else {
        return Err(MarginError::NotEnoughAccounts.into());
    };
    config.validate()?;
    require_writable(pending)?;
    let timestamp = now()?;
    let pool_key = *pool.address();
    let immediate = {
        let mut pool_state = pool_as_admin(program_id, admin, group, pool)?;
        let current = pool_state.config;
        pool_state.check_config_change(config)?;
        let immediate = config.applies_immediately_over(&current);
        if immediate {
            pool_state.accrue(timestamp)?;
            pool_state.config = *config;
        }
        immediate
    };
    let pending_exists = pending.owned_by(program_id);

    if immediate {
        // Cancels a queued change (its rent goes back to the admin).
        if pending_exists {
            check_pending_for(program_id, pending, &pool_key)?;
            require_writable(admin)?;
            close_program_account(pending, admin)?;
        }
        return Ok(());
    }

    let delay = load::<Group>(program_id, group)?.config_delay_secs;
    if !pending_exists {
        require_canonical_pda(&[PENDING_CONFIG_SEED, pool_key.as_ref()], pending_bump, program_id, pending.address())?;
        let bump = [pending_bump];
        let seeds = [Seed::from(PENDING_CONFIG_SEED), Seed::from(pool_key.as_ref()), Seed::from(&bump)];
        create_pda_account(admin, pending, PendingPoolConfig::LEN, program_id, &Signer::from(&seeds))?;
        let mut data = pending.try_borrow_mut()?;
        let state: &mut PendingPoolConfig = bytemuck::from_bytes_mut(&mut data);
        state.discriminator = PendingPoolConfig::DISCRIMINATOR;
        state.version = LAYOUT_VERSION;
        state.bump = pending_bump;
        state.pool = *pool_key.as_array();
    } else {
        check_pending_for(program_id, pending, &pool_key)?;
    }
    let mut state = load_mut::<PendingPoolConfig>(program_id, pending)?;
    state.rent_payer = *key(admin);
    state.apply_after = timestamp.checked_add(delay as i64).ok_or(MarginError::MathOverflow)?;
    state.config = *config;
    Ok(())
}

/// The pending account is this program's `PendingPoolConfig` for `pool`.
pub fn check_pending_for(program_id: &Address, pending: &AccountView, pool: &Address) -> ProgramResult {
    let state = load::<PendingPoolConfig>(program_id, pending)?;
    if !key_eq(&state.pool, pool.as_array()) {
        return Err(MarginError::InvalidPda.into());
    }
    Ok(())
}
