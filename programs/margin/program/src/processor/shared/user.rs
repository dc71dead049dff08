//! The prologue of every user instruction on one pool: owner signed, group not
//! paused, margin account and pool both belong to the group and the account to the
//! owner.

use margin_interface::{
    error::MarginError,
    fixed::key_eq,
    state::{AccountKind, Group, MarginAccountMut, OracleKind, Pool, ISOLATED_COLLATERAL_SLOT, ISOLATED_DEBT_SLOT},
};
use pinocchio::{account::RefMut, error::ProgramError, AccountView, Address};

use crate::{
    loaders::{margin_of_owner_mut, pool_in_group_mut, MarginAccountGuard},
    validate::{load, require_distinct, require_signer},
};

/// Whether the instruction runs while the group is paused (only what raises
/// health does: deposit, repay, liquidation).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PauseRule {
    Refuse,
    Allow,
}

/// Validated, writable views of a user's margin account and one pool.
pub struct UserContext<'a> {
    pub margin: MarginAccountGuard<'a>,
    pub pool: RefMut<'a, Pool>,
}

impl UserContext<'_> {
    /// The margin account viewed in place.
    pub fn account(&mut self) -> Result<MarginAccountMut<'_>, ProgramError> {
        self.margin.view()
    }
}

/// Loads and cross-checks owner, margin account, group and pool.
pub fn load_user_context<'a>(
    program_id: &Address,
    owner: &AccountView,
    margin: &'a mut AccountView,
    group: &AccountView,
    pool: &'a mut AccountView,
    pause: PauseRule,
) -> Result<UserContext<'a>, ProgramError> {
    require_signer(owner)?;
    require_distinct(margin, pool)?;
    {
        let group_state = load::<Group>(program_id, group)?;
        if group_state.paused != 0 && pause == PauseRule::Refuse {
            return Err(MarginError::GroupPaused.into());
        }
    }
    let margin = margin_of_owner_mut(program_id, margin, owner, group)?;
    let pool = pool_in_group_mut(program_id, pool, group)?;
    Ok(UserContext { margin, pool })
}

/// Credits `shares` of deposit in `pool` to `account`: the isolated collateral
/// slot, or a cross slot (found or opened). The one place that decides where a
/// deposit may land:
/// - an isolated account takes only its collateral pool;
/// - a cross account opens no new position in a pool without an oracle (it could
///   be neither valued nor liquidated);
/// - a position never holds deposit and debt in one pool.
pub fn credit_deposit(
    account: &mut MarginAccountMut,
    pool_key: &[u8; 32],
    pool: &Pool,
    shares: u64,
) -> Result<(), ProgramError> {
    let slot = match account.header.kind() {
        AccountKind::Isolated if key_eq(&account.positions[ISOLATED_COLLATERAL_SLOT].pool, pool_key) => {
            ISOLATED_COLLATERAL_SLOT
        }
        AccountKind::Isolated => return Err(MarginError::IsolatedPoolMismatch.into()),
        AccountKind::Cross => match account.find(pool_key) {
            Some(slot) => slot,
            None if pool.config.oracle.kind == OracleKind::None as u8 => {
                return Err(MarginError::OracleNotConfigured.into())
            }
            None => account.open(pool_key).ok_or(MarginError::PositionsFull)?,
        },
    };
    let position = &mut account.positions[slot];
    if position.borrow_shares != 0 {
        return Err(MarginError::DebtOutstanding.into());
    }
    position.deposit_shares = position.deposit_shares.checked_add(shares).ok_or(MarginError::MathOverflow)?;
    Ok(())
}

/// Adds `shares` of debt in the pool `pool_key` to `account`: the isolated debt
/// slot, or a cross slot (found or opened); never in a position holding a deposit.
/// The one place that decides where debt may land.
pub fn add_debt(account: &mut MarginAccountMut, pool_key: &[u8; 32], shares: u64) -> Result<(), ProgramError> {
    let slot = match account.header.kind() {
        AccountKind::Isolated if key_eq(&account.positions[ISOLATED_DEBT_SLOT].pool, pool_key) => ISOLATED_DEBT_SLOT,
        AccountKind::Isolated => return Err(MarginError::IsolatedPoolMismatch.into()),
        AccountKind::Cross => account.find_or_open(pool_key).ok_or(MarginError::PositionsFull)?,
    };
    let position = &mut account.positions[slot];
    if position.deposit_shares != 0 {
        return Err(MarginError::DepositOutstanding.into());
    }
    position.borrow_shares = position.borrow_shares.checked_add(shares).ok_or(MarginError::MathOverflow)?;
    Ok(())
}
