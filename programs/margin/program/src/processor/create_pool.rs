//! `create_pool`: the pool PDA for a mint, its vault token account and the vault's
//! authority PDA. One pool per mint per group (the PDA enforces it).

use margin_interface::{
    error::MarginError,
    fixed,
    fixed::key_eq,
    health::MAX_DECIMALS,
    pda::{POOL_SEED, VAULT_AUTHORITY_SEED, VAULT_SEED},
    state::{AccountType, Pool, PoolConfig, PoolStatus, LAYOUT_VERSION},
    SPL_TOKEN_PROGRAM_ID, TOKEN_2022_PROGRAM_ID,
};
use pinocchio::{
    cpi::{Seed, Signer},
    AccountView, Address, ProgramResult,
};
use pinocchio_token::instructions::InitializeAccount3;

use super::shared::{
    accounts::create_pda_account,
    now,
    token::{MINT_DECIMALS, MINT_IS_INITIALIZED, MINT_LEN, TOKEN_ACCOUNT_LEN},
};
use crate::loaders::group_as_admin_mut;
use crate::validate::{key, require_canonical_pda, require_signer, require_writable};

pub fn process(
    program_id: &Address,
    accounts: &mut [AccountView],
    config: &PoolConfig,
    bumps: [u8; 3],
) -> ProgramResult {
    let [payer, admin, group, pool, mint, vault, vault_authority, token_program, _system_program, ..] = accounts else {
        return Err(MarginError::NotEnoughAccounts.into());
    };
    require_signer(payer)?;
    require_signer(admin)?;
    require_writable(pool)?;
    require_writable(vault)?;
    config.validate()?;
    {
        let mut group_state = group_as_admin_mut(program_id, admin, group)?;
        group_state.pool_count = group_state.pool_count.checked_add(1).ok_or(MarginError::MathOverflow)?;
    }

    // The mint decides the token program; only plain mints (no extensions) for now,
    // so vault accounts have the base size and transfers move exact amounts.
    let token_program_id = key(token_program);
    if !key_eq(token_program_id, &SPL_TOKEN_PROGRAM_ID) && !key_eq(token_program_id, &TOKEN_2022_PROGRAM_ID) {
        return Err(MarginError::InvalidTokenProgram.into());
    }
    if !key_eq(mint.owner().as_array(), token_program_id) {
        return Err(MarginError::InvalidTokenProgram.into());
    }
    let decimals = {
        let data = mint.try_borrow()?;
        if data.len() != MINT_LEN || data[MINT_IS_INITIALIZED] != 1 || data[MINT_DECIMALS] > MAX_DECIMALS {
            return Err(MarginError::InvalidMint.into());
        }
        data[MINT_DECIMALS]
    };

    if !pool.is_data_empty() || pool.owned_by(program_id) || !vault.is_data_empty() {
        return Err(MarginError::AlreadyInitialized.into());
    }
    let [pool_bump, vault_bump, authority_bump] = bumps;
    let pool_key = *pool.address();
    require_canonical_pda(
        &[POOL_SEED, group.address().as_ref(), mint.address().as_ref()],
        pool_bump,
        program_id,
        &pool_key,
    )?;
    require_canonical_pda(&[VAULT_SEED, pool_key.as_ref()], vault_bump, program_id, vault.address())?;
    require_canonical_pda(
        &[VAULT_AUTHORITY_SEED, pool_key.as_ref()],
        authority_bump,
        program_id,
        vault_authority.address(),
    )?;
    let (vault_key, authority_key) = (*vault.address(), *vault_authority.address());

    let bump = [pool_bump];
    let pool_seeds = [
        Seed::from(POOL_SEED),
        Seed::from(group.address().as_ref()),
        Seed::from(mint.address().as_ref()),
        Seed::from(&bump),
    ];
    create_pda_account(payer, pool, Pool::LEN, program_id, &Signer::from(&pool_seeds))?;

    let bump = [vault_bump];
    let vault_seeds = [Seed::from(VAULT_SEED), Seed::from(pool_key.as_ref()), Seed::from(&bump)];
    create_pda_account(payer, vault, TOKEN_ACCOUNT_LEN, token_program.address(), &Signer::from(&vault_seeds))?;
    InitializeAccount3::new(vault, mint, &authority_key).invoke_with_program(token_program.address())?;

    let mut data = pool.try_borrow_mut()?;
    let state: &mut Pool = bytemuck::from_bytes_mut(&mut data);
    state.discriminator = Pool::DISCRIMINATOR;
    state.version = LAYOUT_VERSION;
    state.status = PoolStatus::Active as u8;
    state.mint_decimals = decimals;
    state.bump = pool_bump;
    state.vault_bump = vault_bump;
    state.vault_authority_bump = authority_bump;
    state.group = *key(group);
    state.mint = *key(mint);
    state.token_program = *token_program_id;
    state.vault = *vault_key.as_array();
    state.vault_authority = *authority_key.as_array();
    state.deposit_share_value = fixed::store(fixed::ONE);
    state.borrow_share_value = fixed::store(fixed::ONE);
    state.last_accrual_ts = now()?;
    state.config = *config;
    Ok(())
}
