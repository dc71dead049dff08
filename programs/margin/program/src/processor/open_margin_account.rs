//! `open_margin_account`: a cross account (up to 16 pools) or an isolated account
//! bound at open to one collateral pool and one debt pool.

use margin_interface::{
    error::MarginError,
    pda::MARGIN_ACCOUNT_SEED,
    state::{
        AccountKind, Group, MarginAccountHeader, MarginAccountMut, ISOLATED_COLLATERAL_SLOT, ISOLATED_DEBT_SLOT,
        LAYOUT_VERSION,
    },
};
use pinocchio::{
    cpi::{Seed, Signer},
    AccountView, Address, ProgramResult,
};

use super::shared::accounts::create_pda_account;
use crate::loaders::pool_in_group;
use crate::validate::{
    key, layout_error, load, require_canonical_pda, require_distinct, require_signer, require_writable,
};

pub fn process(program_id: &Address, accounts: &mut [AccountView], index: u16, kind: u8, bump: u8) -> ProgramResult {
    let [payer, owner, group, margin, _system_program, rest @ ..] = accounts else {
        return Err(MarginError::NotEnoughAccounts.into());
    };
    require_signer(payer)?;
    require_signer(owner)?;
    require_writable(margin)?;
    let kind = AccountKind::from_u8(kind).ok_or(MarginError::InvalidAccountKind)?;
    if load::<Group>(program_id, group)?.paused != 0 {
        return Err(MarginError::GroupPaused.into());
    }

    // Isolated accounts name their two pools now; they can never change.
    let isolated_pools = match kind {
        AccountKind::Cross => None,
        AccountKind::Isolated => {
            let [collateral, debt, ..] = rest else {
                return Err(MarginError::NotEnoughAccounts.into());
            };
            require_distinct(collateral, debt).map_err(|_| MarginError::SamePool)?;
            for pool in [&*collateral, &*debt] {
                pool_in_group(program_id, pool, group)?;
            }
            Some((*key(collateral), *key(debt)))
        }
    };

    if !margin.is_data_empty() || margin.owned_by(program_id) {
        return Err(MarginError::AlreadyInitialized.into());
    }
    let index_bytes = index.to_le_bytes();
    require_canonical_pda(
        &[MARGIN_ACCOUNT_SEED, group.address().as_ref(), owner.address().as_ref(), &index_bytes],
        bump,
        program_id,
        margin.address(),
    )?;
    let bump_bytes = [bump];
    let seeds = [
        Seed::from(MARGIN_ACCOUNT_SEED),
        Seed::from(group.address().as_ref()),
        Seed::from(owner.address().as_ref()),
        Seed::from(&index_bytes),
        Seed::from(&bump_bytes),
    ];
    create_pda_account(payer, margin, kind.account_len(), program_id, &Signer::from(&seeds))?;

    let mut data = margin.try_borrow_mut()?;
    data[..8].copy_from_slice(&MarginAccountHeader::DISCRIMINATOR);
    data[9] = kind as u8;
    let account = MarginAccountMut::view(&mut data).map_err(layout_error)?;
    account.header.version = LAYOUT_VERSION;
    account.header.bump = bump;
    account.header.index = index;
    account.header.group = *key(group);
    account.header.owner = *key(owner);
    if let Some((collateral, debt)) = isolated_pools {
        account.positions[ISOLATED_COLLATERAL_SLOT].pool = collateral;
        account.positions[ISOLATED_DEBT_SLOT].pool = debt;
        account.header.position_count = 2;
    }
    Ok(())
}
