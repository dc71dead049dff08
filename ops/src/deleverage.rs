//! The keeper's deleverage pass: accounts whose owners opted in to protection
//! (`set_protection`) and sit inside their band are deleveraged one step each,
//! largest debt the keeper can fund against the largest collateral, sized by the
//! program (`liquidation::deleverage_plan`). Judged as the program judges it: at
//! Maintenance, refusing when any position is unpriced.

use std::collections::HashMap;

use margin_client::{
    health::{health_account_metas, CachedPosition},
    instructions::SeizeAccounts,
    pda::PoolKeys,
};
use margin_interface::{
    fixed,
    health::{settlement_unit_prices, Unpriced},
    protection::in_band,
};
use solana_sdk::{account::Account, pubkey::Pubkey, signature::Signer};

use crate::bots::{fetch_positions, send_fitting, snapshot, token_amount, BotError, Chain, Liquidator};

/// One pass: deleverages every protected account inside its band that the
/// keeper can fund (one step each; the next pass takes the next step while the
/// account is still in the band). Returns the accounts stepped. A refused step is
/// logged, never fatal.
pub fn deleverage_once(
    chain: &mut impl Chain,
    keeper: &Liquidator,
    log: &mut impl FnMut(&str),
) -> Result<Vec<Pubkey>, BotError> {
    let now = chain.now()?;
    let snapshot = snapshot(chain)?;
    let oracle_of =
        |pool: &Pubkey| snapshot.pools.get(pool).and_then(|p| keeper.oracles.oracle_for(p)).unwrap_or_default();
    let mut fetched: HashMap<Pubkey, Account> = HashMap::new();
    let mut stepped = Vec::new();
    for (key, account) in &snapshot.margin_accounts {
        let protection = account.header.protection;
        let owned = account.header.owner == keeper.signer.pubkey().to_bytes();
        let has_debt = account.active().iter().any(|p| p.borrow_shares > 0);
        if !protection.is_on() || owned || key == &keeper.margin_account || !has_debt {
            continue;
        }
        fetch_positions(chain, [account], oracle_of, &mut fetched)?;
        let Ok(cache) = chain.program().health_cache_with(account, &fetched, oracle_of, now, Unpriced::Refuse) else {
            continue;
        };
        let Ok(health) = cache.health() else { continue };
        if !in_band(&health, &protection) {
            continue;
        }
        // Largest debt the keeper holds the token of, largest collateral: by value
        // at settlement prices.
        let value = |cached: &CachedPosition, debt: bool| -> Option<f64> {
            let price = cached.price?;
            let (asset_price, liability_price) = settlement_unit_prices(&cached.pool, &price).ok()?;
            let (deposit_value, borrow_value) = cached.pool.share_values_at(now).ok()?;
            let (amount, unit) = if debt {
                (fixed::mul_q64_ceil(cached.position.borrow_shares, borrow_value)?, liability_price)
            } else {
                (fixed::mul_q64_floor(cached.position.deposit_shares, deposit_value)?, asset_price)
            };
            Some(amount as f64 * unit as f64)
        };
        let largest = |debt: bool, fundable: &dyn Fn(&CachedPosition) -> bool| {
            cache
                .positions
                .iter()
                .filter(|p| if debt { p.position.borrow_shares > 0 } else { p.position.deposit_shares > 0 })
                .filter(|p| fundable(p))
                .filter_map(|p| value(p, debt).map(|v| (p, v)))
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(p, _)| p)
        };
        let wallet_of =
            |cached: &CachedPosition| keeper.wallets.get(&Pubkey::new_from_array(cached.pool.mint)).copied();
        let (Some(debt), Some(collateral)) = (largest(true, &|p| wallet_of(p).is_some()), largest(false, &|_| true))
        else {
            log(&format!("keeper: {key} is in its protection band but no debt/collateral pair is fundable"));
            continue;
        };
        let source = wallet_of(debt).expect("filtered");
        let balance = token_amount(chain, &source)?;
        if balance == 0 {
            log(&format!("keeper: wallet {source} is empty; cannot deleverage {key}"));
            continue;
        }
        let metas = health_account_metas(account.active(), oracle_of);
        let (asset, liability) = (
            PoolKeys::from_pool(&collateral.pool_key, &collateral.pool),
            PoolKeys::from_pool(&debt.pool_key, &debt.pool),
        );
        let accounts = SeizeAccounts {
            keeper: keeper.signer.pubkey(),
            keeper_margin: keeper.margin_account,
            account: *key,
            asset: &asset,
            liability: &liability,
            source,
            account_health: &metas,
            keeper_health: &[],
        };
        let ix = chain.program().deleverage(&accounts, balance);
        match send_fitting(chain, keeper, &[ix], None, log) {
            Ok(_) => {
                log(&format!(
                    "keeper: deleveraged {key} (ratio below {} bps): repaid pool {} for pool {}",
                    protection.threshold_bps, debt.pool_key, collateral.pool_key
                ));
                stepped.push(*key);
            }
            Err(error) => log(&format!("keeper: deleverage of {key} refused: {error}")),
        }
    }
    Ok(stepped)
}
