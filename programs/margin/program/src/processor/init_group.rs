//! `init_group`: creates a group PDA with the signer as admin.

use margin_interface::{
    error::MarginError,
    pda::GROUP_SEED,
    state::{AccountType, Group, LAYOUT_VERSION, MAX_CONFIG_DELAY_SECS, MIN_CONFIG_DELAY_SECS},
};
use pinocchio::{
    cpi::{Seed, Signer},
    AccountView, Address, ProgramResult,
};

use super::shared::accounts::create_pda_account;
use crate::validate::{key, require_canonical_pda, require_signer, require_writable};

pub fn process(
    program_id: &Address,
    accounts: &mut [AccountView],
    seed: u64,
    fee_destination: [u8; 32],
    bump: u8,
    config_delay_secs: u32,
) -> ProgramResult {
    let [payer, admin, group, _system_program, ..] = accounts else {
        return Err(MarginError::NotEnoughAccounts.into());
    };
    require_signer(payer)?;
    require_signer(admin)?;
    require_writable(group)?;
    if !(MIN_CONFIG_DELAY_SECS..=MAX_CONFIG_DELAY_SECS).contains(&config_delay_secs) {
        return Err(MarginError::InvalidConfigDelay.into());
    }
    if !group.is_data_empty() || group.owned_by(program_id) {
        return Err(MarginError::AlreadyInitialized.into());
    }
    let seed_bytes = seed.to_le_bytes();
    require_canonical_pda(&[GROUP_SEED, admin.address().as_ref(), &seed_bytes], bump, program_id, group.address())?;
    let bump_bytes = [bump];
    let seeds = [
        Seed::from(GROUP_SEED),
        Seed::from(admin.address().as_ref()),
        Seed::from(&seed_bytes),
        Seed::from(&bump_bytes),
    ];
    create_pda_account(payer, group, Group::LEN, program_id, &Signer::from(&seeds))?;

    let mut data = group.try_borrow_mut()?;
    let state: &mut Group = bytemuck::from_bytes_mut(&mut data);
    state.discriminator = Group::DISCRIMINATOR;
    state.version = LAYOUT_VERSION;
    state.bump = bump;
    state.admin = *key(admin);
    state.creator = *key(admin);
    state.fee_destination = fee_destination;
    state.seed = seed;
    state.config_delay_secs = config_delay_secs;
    Ok(())
}
