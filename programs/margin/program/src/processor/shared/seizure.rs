//! Repaying part of an account's debt for its collateral plus a bonus, shared by
//! `liquidate` (Maintenance health below zero; bonus and target from the pools)
//! and `deleverage` (an opted-in account inside its protection band; the owner's
//! fraction and small bonus). Eligibility and settlement read the same oracles
//! once; the account must come out strictly better (Maintenance health for a
//! liquidation, the health ratio for a deleverage).

use margin_interface::{
    error::MarginError,
    fixed::{self, key_eq},
    health::{settlement_unit_prices, Health, Levels, Unpriced, INITIAL, MAINTENANCE},
    liquidation::{confidence_ratio_bps, deleverage_plan, plan, seized_asset_weight_bps, LiquidationInput},
    protection::{in_band, ratio_rose},
    state::{Group, MarginAccountMut, Pool, Protection},
};
use pinocchio::{error::ProgramError, AccountView, Address, ProgramResult};

use super::{
    health::{account_health, has_debt, in_flash, read_pool_oracle, viewed_account_health_visiting},
    isolation::{release, take_released},
    now,
    token::{check_token_accounts, transfer_in},
    user::credit_deposit,
};
use crate::loaders::{pool_in_group_mut, read_margin_in_group, write_margin_of_owner};
use crate::validate::{key, layout_error, load, load_margin_bytes_mut, load_mut, require_distinct, require_signer};

/// Which instruction is seizing.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Seizure {
    /// `liquidate`: Maintenance health < 0; outages count zero on both sides (an
    /// unpriced position must not make an account unliquidatable).
    Liquidate,
    /// `deleverage`: inside the owner's protection band; any unpriced position
    /// refuses (with its oracle's error).
    Deleverage,
}

impl Seizure {
    fn unpriced(self) -> Unpriced {
        match self {
            Self::Liquidate => Unpriced::ZeroAll,
            Self::Deleverage => Unpriced::Refuse,
        }
    }

    /// Whether an account of `protection` at `health` may be seized from now.
    fn eligible(self, health: &Health, protection: &Protection) -> Result<(), MarginError> {
        match self {
            Self::Liquidate if health.maintenance < 0 => Ok(()),
            Self::Liquidate => Err(MarginError::NotLiquidatable),
            Self::Deleverage if !protection.is_on() => Err(MarginError::NotProtected),
            Self::Deleverage if in_band(health, protection) => Ok(()),
            Self::Deleverage => Err(MarginError::OutsideProtectionBand),
        }
    }

    /// The account came out strictly better.
    fn improved(self, before: &Health, after: &Health) -> Result<(), MarginError> {
        match self {
            Self::Liquidate if after.maintenance > before.maintenance => Ok(()),
            Self::Liquidate => Err(MarginError::LiquidationDidNotImprove),
            Self::Deleverage if ratio_rose(before, after) => Ok(()),
            Self::Deleverage => Err(MarginError::DeleverageDidNotImprove),
        }
    }
}

/// Runs a liquidation or a deleverage (same accounts, see `Liquidate`).
pub fn process(program_id: &Address, accounts: &mut [AccountView], max_repay: u64, seizure: Seizure) -> ProgramResult {
    let [liquidator, liquidator_margin, liquidatee, group, asset_pool, liability_pool, vault, source, mint, token_program, rest @ ..] =
        accounts
    else {
        return Err(MarginError::NotEnoughAccounts.into());
    };
    require_signer(liquidator)?;
    require_distinct(liquidator_margin, liquidatee)?;
    require_distinct(asset_pool, liability_pool).map_err(|_| MarginError::SamePool)?;
    load::<Group>(program_id, group)?; // paused groups still allow liquidation
    let timestamp = now()?;
    let (asset_key, liability_key) = (*key(asset_pool), *key(liability_pool));

    // Accrue both pools and check they belong to the group.
    let liability_snapshot = {
        let mut pool = pool_in_group_mut(program_id, liability_pool, group)?;
        check_token_accounts(&pool, vault, mint, token_program, source)?;
        pool.accrue(timestamp)?;
        *pool
    };
    let asset_snapshot = {
        let mut pool = pool_in_group_mut(program_id, asset_pool, group)?;
        pool.accrue(timestamp)?;
        *pool
    };

    // The liquidatee: in the group, not the liquidator's own, holding both
    // positions, and below Maintenance health (judged with outages at zero).
    // Settlement prices come from the same oracle reads the health check accepts,
    // at spot (the confidence band only widens health, never the amounts
    // exchanged): kept by the health visitor, not read twice.
    let mut asset_settlement = None;
    let mut liability_settlement = None;
    let (liquidatee_health_accounts, liquidator_health_accounts, asset_slot, liability_slot, kind, before, protection) =
        read_margin_in_group(program_id, liquidatee, group, |account| {
            if key_eq(&account.header.owner, key(liquidator)) {
                return Err(MarginError::SelfLiquidation.into());
            }
            // Mid-flash an account may sit below Maintenance until its flash_end.
            if account.header.in_flash() {
                return Err(MarginError::FlashActive.into());
            }
            let asset_slot = account.find(&asset_key).ok_or(MarginError::PoolNotInAccount)?;
            let liability_slot = account.find(&liability_key).ok_or(MarginError::PoolNotInAccount)?;
            if account.positions[asset_slot].deposit_shares == 0 || account.positions[liability_slot].borrow_shares == 0
            {
                return Err(MarginError::PoolNotInAccount.into());
            }
            let health_count = account.active().len().saturating_mul(2);
            if rest.len() < health_count {
                return Err(MarginError::HealthAccountCount.into());
            }
            let (liquidatee_health, liquidator_health) = rest.split_at(health_count);
            let before = viewed_account_health_visiting(
                program_id,
                account,
                liquidatee_health,
                timestamp,
                MAINTENANCE,
                seizure.unpriced(),
                |slot, pool, price| {
                    if slot == asset_slot {
                        asset_settlement = Some(
                            settlement_unit_prices(pool, price).map(|(asset, _)| (asset, confidence_ratio_bps(price))),
                        );
                    } else if slot == liability_slot {
                        liability_settlement = Some(settlement_unit_prices(pool, price).map(|(_, debt)| debt));
                    }
                },
            )?;
            seizure.eligible(&before, &account.header.protection)?;
            let protection = account.header.protection;
            Ok((
                liquidatee_health,
                liquidator_health,
                asset_slot,
                liability_slot,
                account.header.kind(),
                before,
                protection,
            ))
        })?;
    let levels: Levels = MAINTENANCE;

    // An unpriced asset or debt (an outage: health counted it zero) cannot be
    // settled: reading it again reports the oracle's own error.
    let unpriced = |pool: &Pool, slot: usize| -> ProgramError {
        let oracle = liquidatee_health_accounts.get(slot.saturating_mul(2).saturating_add(1));
        match oracle.map(|oracle| read_pool_oracle(pool, oracle, timestamp)) {
            Some(Err(error)) => error,
            _ => MarginError::OracleInvalidData.into(),
        }
    };
    let (asset_price, asset_confidence_bps) = match asset_settlement {
        Some(price) => price?,
        None => return Err(unpriced(&asset_snapshot, asset_slot)),
    };
    let liability_price = match liability_settlement {
        Some(price) => price?,
        None => return Err(unpriced(&liability_snapshot, liability_slot)),
    };

    let overflow = MarginError::MathOverflow;
    let mut liquidatee_data = load_margin_bytes_mut(program_id, liquidatee)?;
    let mut victim = MarginAccountMut::view(&mut liquidatee_data).map_err(layout_error)?;
    let held_shares = victim.positions[asset_slot].deposit_shares;
    let owed_shares = victim.positions[liability_slot].borrow_shares;
    let deposit_value = asset_snapshot.deposit_share_value();
    // Amounts, shares and their rounding: all in the shared plan.
    let input = LiquidationInput {
        maintenance_health: before.maintenance,
        maintenance_liabilities: before.maintenance_liabilities,
        asset_config: &asset_snapshot.config,
        liability_config: &liability_snapshot.config,
        asset_weight_bps: seized_asset_weight_bps(&asset_snapshot.config, kind),
        asset_price,
        liability_price,
        deposit_shares: held_shares,
        deposit_share_value: deposit_value,
        borrow_shares: owed_shares,
        borrow_share_value: liability_snapshot.borrow_share_value(),
        max_repay,
        asset_confidence_bps,
    };
    let settled = match seizure {
        Seizure::Liquidate => plan(&input)?,
        Seizure::Deleverage => deleverage_plan(&input, protection.max_fraction_bps, protection.bonus_bps)?,
    };
    let (burned_debt_shares, seized_shares) = (settled.burned_debt_shares, settled.seized_shares);
    let (liquidator_shares, paid) = (settled.liquidator_shares, settled.repay);
    let insurance_shares = seized_shares.checked_sub(liquidator_shares).ok_or(overflow)?;

    // Emptied slots are released only after the health re-check below, so the
    // health accounts still line up with the positions.
    victim.positions[liability_slot].borrow_shares = owed_shares.checked_sub(burned_debt_shares).ok_or(overflow)?;
    victim.positions[asset_slot].deposit_shares = held_shares.checked_sub(seized_shares).ok_or(overflow)?;
    // Isolation tally: only an isolated victim has one, and its collateral pool is
    // the asset pool seized from.
    let released = take_released(&mut victim, burned_debt_shares, owed_shares);
    drop(liquidatee_data);

    {
        let mut pool = load_mut::<Pool>(program_id, liability_pool)?;
        pool.total_borrow_shares = pool.total_borrow_shares.checked_sub(burned_debt_shares).ok_or(overflow)?;
    }
    {
        let mut pool = load_mut::<Pool>(program_id, asset_pool)?;
        release(&mut pool, released);
        pool.total_deposit_shares = pool.total_deposit_shares.checked_sub(insurance_shares).ok_or(overflow)?;
        let insurance = fixed::load(&pool.insurance_fund)
            .checked_add((insurance_shares as u128).checked_mul(deposit_value).ok_or(overflow)?)
            .ok_or(overflow)?;
        pool.insurance_fund = fixed::store(insurance);
    }

    // The liquidator's account receives the collateral as a deposit.
    {
        write_margin_of_owner(program_id, liquidator_margin, liquidator, group, |account| {
            // Nothing to credit (all of a tiny seizure to insurance): no empty slot.
            if liquidator_shares == 0 {
                return Ok(());
            }
            credit_deposit(account, &asset_key, &asset_snapshot, liquidator_shares)
        })?;
    }

    // The liquidatee must be strictly better off (the target cap is built into the plan).
    let after =
        account_health(program_id, liquidatee, liquidatee_health_accounts, timestamp, levels, seizure.unpriced())?;
    seizure.improved(&before, &after)?;
    {
        let mut data = load_margin_bytes_mut(program_id, liquidatee)?;
        let mut victim = MarginAccountMut::view(&mut data).map_err(layout_error)?;
        // The later slot first, so the earlier index stays valid.
        let (first, second) =
            if asset_slot > liability_slot { (asset_slot, liability_slot) } else { (liability_slot, asset_slot) };
        victim.release_if_empty(first);
        victim.release_if_empty(second);
    }
    // Inside the liquidator's own flash loan, its flash_end checks it.
    if has_debt(liquidator_margin)? && !in_flash(liquidator_margin)? {
        let health = account_health(
            program_id,
            liquidator_margin,
            liquidator_health_accounts,
            timestamp,
            INITIAL,
            Unpriced::ZeroDeposits,
        )?;
        if health.initial < 0 {
            return Err(MarginError::InsufficientHealth.into());
        }
    }
    transfer_in(&liability_snapshot, source, mint, vault, liquidator, token_program, paid)
}
