//! The program side of the health engine: runtime accounts as `AccountRead`.

use margin_interface::{
    error::MarginError,
    health::{compute_health_visiting, AccountRead, Health, Levels, Unpriced, INITIAL, STRESS},
    oracle::{read_oracle, OraclePrice},
    state::{MarginAccount, Pool},
};
use pinocchio::{error::ProgramError, AccountView, Address};

use crate::validate::layout_error;

/// A runtime account seen through the shared engine's trait.
#[repr(transparent)]
pub struct HealthView(AccountView);

impl AccountRead for HealthView {
    fn key(&self) -> &[u8; 32] {
        self.0.address().as_array()
    }
    fn owner(&self) -> &[u8; 32] {
        self.0.owner().as_array()
    }
    fn data(&self) -> &[u8] {
        // SAFETY: health is computed after every processor has dropped its
        // mutable borrows; nothing writes account data while this slice lives.
        unsafe { self.0.borrow_unchecked() }
    }
    fn record_publish_time(&self, publish_time: i64) {
        // Only writable accounts may change; the engine calls this for a pool it
        // has viewed (program-owned, `Pool` layout) after its data slice is gone.
        if !self.0.is_writable() {
            return;
        }
        const AT: usize = core::mem::offset_of!(Pool, newest_publish_time);
        // SAFETY: no borrow of this account's data is live (see `data`), and the
        // pool layout was checked by the engine, so the field is in bounds.
        // The view is a pointer to the runtime's account: a copy writes the same bytes.
        let mut account = self.0;
        let data = unsafe { account.borrow_unchecked_mut() };
        data[AT..AT + 8].copy_from_slice(&publish_time.to_le_bytes());
    }
}

fn as_health_views(accounts: &[AccountView]) -> &[HealthView] {
    // SAFETY: `HealthView` is `repr(transparent)` over `AccountView`.
    unsafe { core::slice::from_raw_parts(accounts.as_ptr() as *const HealthView, accounts.len()) }
}

/// Health of `margin` (already validated by the caller) at `levels`.
pub fn account_health(
    program_id: &Address,
    margin: &AccountView,
    health_accounts: &[AccountView],
    now: i64,
    levels: Levels,
    unpriced: Unpriced,
) -> Result<Health, ProgramError> {
    let data = margin.try_borrow()?;
    let account = MarginAccount::view(&data).map_err(layout_error)?;
    viewed_account_health(program_id, &account, health_accounts, now, levels, unpriced)
}

/// [`account_health`] of an account the caller already views.
pub fn viewed_account_health(
    program_id: &Address,
    account: &MarginAccount,
    health_accounts: &[AccountView],
    now: i64,
    levels: Levels,
    unpriced: Unpriced,
) -> Result<Health, ProgramError> {
    viewed_account_health_visiting(program_id, account, health_accounts, now, levels, unpriced, |_, _, _| {})
}

/// [`viewed_account_health`] handing each priced position to `visit` (slot, pool,
/// price), e.g. to keep settlement prices without reading oracles twice.
#[allow(clippy::too_many_arguments)] // viewed_account_health's inputs plus the visitor
pub fn viewed_account_health_visiting(
    program_id: &Address,
    account: &MarginAccount,
    health_accounts: &[AccountView],
    now: i64,
    levels: Levels,
    unpriced: Unpriced,
    visit: impl FnMut(usize, &Pool, &OraclePrice),
) -> Result<Health, ProgramError> {
    Ok(compute_health_visiting(
        program_id.as_array(),
        account.header.kind(),
        account.active(),
        as_health_views(health_accounts),
        now,
        levels,
        unpriced,
        visit,
    )?)
}

/// True when any position of `margin` carries debt.
pub fn has_debt(margin: &AccountView) -> Result<bool, ProgramError> {
    let data = margin.try_borrow()?;
    let account = MarginAccount::view(&data).map_err(layout_error)?;
    Ok(account.active().iter().any(|p| p.borrow_shares != 0))
}

/// True between the account's `flash_begin` and `flash_end`.
pub fn in_flash(margin: &AccountView) -> Result<bool, ProgramError> {
    let data = margin.try_borrow()?;
    let account = MarginAccount::view(&data).map_err(layout_error)?;
    Ok(account.header.in_flash())
}

/// The gate of every action that adds risk (borrow, withdraw with debt, moving
/// collateral out of an indebted account): Initial health >= 0
/// (`InsufficientHealth`) and Maintenance health >= 0 under every pool's stress
/// move (`StressTestFailed`). Neither can make an existing account liquidatable.
/// Inside a flash loan the check waits for `flash_end`, which runs it.
pub fn require_health_for_new_risk(
    program_id: &Address,
    margin: &AccountView,
    health_accounts: &[AccountView],
    now: i64,
) -> Result<(), ProgramError> {
    let data = margin.try_borrow()?;
    let account = MarginAccount::view(&data).map_err(layout_error)?;
    if account.header.in_flash() {
        return Ok(());
    }
    let health =
        viewed_account_health(program_id, &account, health_accounts, now, INITIAL | STRESS, Unpriced::ZeroDeposits)?;
    if health.initial < 0 {
        return Err(MarginError::InsufficientHealth.into());
    }
    if health.stress < 0 {
        return Err(MarginError::StressTestFailed.into());
    }
    Ok(())
}

/// The pool's oracle price from `oracle`, fully validated at `now` and not older
/// than the newest the pool has used (for settlement and write-off decisions,
/// where an outage must fail rather than count zero).
pub fn read_pool_oracle(pool: &Pool, oracle: &AccountView, now: i64) -> Result<OraclePrice, ProgramError> {
    let data = oracle.try_borrow()?;
    let price = read_oracle(&pool.config.oracle, oracle.address().as_array(), oracle.owner().as_array(), &data, now)?;
    if price.publish_time < pool.newest_publish_time {
        return Err(MarginError::OracleOutdated.into());
    }
    Ok(price)
}
