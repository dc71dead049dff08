//! The program side of isolation debt ceilings (`margin_interface::isolation`):
//! tallying borrows against isolated-only collateral, and releasing the tally as
//! the debt goes.

use margin_interface::{
    error::MarginError,
    fixed::key_eq,
    isolation::{borrowed_micro_usd, released_micro_usd, tallies, tally_after_borrow},
    state::{AccountKind, MarginAccountMut, Pool, ISOLATED_COLLATERAL_SLOT},
};
use pinocchio::{error::ProgramError, AccountView, Address};

use super::health::read_pool_oracle;
use crate::validate::{key, load, load_mut};

/// After a borrow of `amount` from `debt_pool` into `account`: an isolated
/// account whose collateral pool is isolated-only adds the borrow's value to its
/// tally and the pool's, refused past the pool's ceiling. The collateral pool
/// (writable) and the debt's oracle are the health accounts' first pool and last
/// oracle (`[collateral, its oracle, debt pool, debt oracle]`).
pub fn tally_borrow(
    program_id: &Address,
    account: &mut MarginAccountMut,
    debt_pool: &Pool,
    amount: u64,
    health_accounts: &mut [AccountView],
    now: i64,
) -> Result<(), ProgramError> {
    if account.header.kind() != AccountKind::Isolated {
        return Ok(());
    }
    let [collateral, _, _, debt_oracle, ..] = health_accounts else {
        return Err(MarginError::HealthAccountCount.into());
    };
    if !key_eq(key(collateral), &account.positions[ISOLATED_COLLATERAL_SLOT].pool) {
        return Err(MarginError::HealthAccountMismatch.into());
    }
    if !tallies(&load::<Pool>(program_id, collateral)?.config) {
        return Ok(());
    }
    let price = read_pool_oracle(debt_pool, debt_oracle, now)?;
    let added = borrowed_micro_usd(debt_pool, amount, &price)?;
    let mut collateral = load_mut::<Pool>(program_id, collateral).map_err(|_| MarginError::CollateralPoolRequired)?;
    collateral.isolated_debt_micro_usd = tally_after_borrow(&collateral, added)?;
    let header = &mut account.header;
    header.isolated_debt_micro_usd =
        header.isolated_debt_micro_usd.checked_add(added).ok_or(MarginError::MathOverflow)?;
    Ok(())
}

/// Takes from `account`'s tally the part `burned` of its `held` debt shares
/// carried; the caller releases it from the collateral pool with [`release`].
pub fn take_released(account: &mut MarginAccountMut, burned: u64, held: u64) -> u64 {
    let header = &mut account.header;
    let released = released_micro_usd(header.isolated_debt_micro_usd, burned, held);
    // released <= the tally.
    header.isolated_debt_micro_usd = header.isolated_debt_micro_usd.saturating_sub(released);
    released
}

/// Lowers the collateral pool's tally by `released`. Saturating: the pool's tally
/// is the sum of its accounts', and nothing may block a repayment.
pub fn release(collateral: &mut Pool, released: u64) {
    collateral.isolated_debt_micro_usd = collateral.isolated_debt_micro_usd.saturating_sub(released);
}

/// [`release`] on the collateral pool account `collateral` of `account` (checked
/// against its collateral slot; `CollateralPoolRequired` when missing, another
/// pool or read-only). Nothing to do when nothing was released.
pub fn release_from(
    program_id: &Address,
    account_collateral: &[u8; 32],
    collateral: Option<&mut AccountView>,
    released: u64,
) -> Result<(), ProgramError> {
    if released == 0 {
        return Ok(());
    }
    let required = MarginError::CollateralPoolRequired;
    let collateral = collateral.ok_or(required)?;
    if !key_eq(key(collateral), account_collateral) {
        return Err(required.into());
    }
    release(&mut *load_mut::<Pool>(program_id, collateral).map_err(|_| required)?, released);
    Ok(())
}
