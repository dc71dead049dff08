//! The attacks an independent review made work against the `.so`, each performed
//! here and shown refused or harmless (docs/security.md lists the rule behind each).

use margin_client::{
    instructions,
    pda::{self, PoolKeys},
};
use margin_interface::{error::MarginError, fixed};
use margin_tests::{usd_price, Env, Feed, Liquidator};
use solana_sdk::{
    pubkey::Pubkey,
    signature::{Keypair, Signer},
};

/// A cross borrower with 10 SOL ($100 each) and 700 USDC of debt, lenders behind USDC.
fn borrower(env: &mut Env, sol: &PoolKeys, usdc: &PoolKeys) -> (Keypair, Pubkey) {
    borrower_of(env, sol, usdc, 700_000_000)
}

/// A cross borrower with 10 SOL and `debt` USDC native units of debt.
fn borrower_of(env: &mut Env, sol: &PoolKeys, usdc: &PoolKeys, debt: u64) -> (Keypair, Pubkey) {
    env.borrower(sol, usdc, 10_000_000_000, debt)
}

/// H-1: a 1-unit deposit into a pool without an oracle would make every health read
/// fail; a cross account may not open such a position at all.
#[test]
fn unpriced_dust_deposit_cannot_enter_a_cross_account() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let unpriced = env.add_unpriced_pool(6);
    let (user, margin) = borrower(&mut env, &sol, &usdc);
    let wallet = env.token_account(&unpriced, &user.pubkey(), 1);
    let ix = instructions::deposit(&user.pubkey(), &margin, &unpriced, &wallet, 1);
    env.expect_error(
        &[ix],
        &[&user],
        MarginError::OracleNotConfigured,
        &[margin, unpriced.pool, unpriced.vault, wallet],
    );
}

/// H-1: collateral whose oracle goes stale (or halts) counts zero in Maintenance; it
/// does not stop the liquidation of the priced collateral after a crash.
#[test]
fn stale_collateral_oracle_does_not_block_liquidation() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let eth = env.add_priced_pool(8, 3_000.0, Feed::Legacy);
    let (user, margin) = borrower(&mut env, &sol, &usdc);
    let eth_wallet = env.token_account(&eth, &user.pubkey(), 1);
    env.deposit(&user, &margin, &eth, &eth_wallet, 1).unwrap(); // 1 native unit of ETH

    // Two minutes later ETH's feed has stopped; SOL crashes to $80.
    let stale_eth = env.oracles[&eth.pool].price;
    env.svm.set_time(env.svm.now() + 120);
    env.refresh_prices();
    env.set_price(&eth, stale_eth);
    env.set_usd(&sol, 80.0);
    let liquidator = Liquidator::new(&mut env, &[usdc]);
    let before = env.margin(&margin).active()[0].deposit_shares;
    let ix = liquidator.ix(&mut env, &margin, &sol, &usdc, u64::MAX);
    env.svm.process(&[ix], &[&liquidator.key]).expect("liquidation proceeds despite the stale ETH oracle");
    assert!(env.margin(&margin).active()[0].deposit_shares < before, "SOL was seized");
    // The read-only health report prices ETH at zero rather than failing.
    assert!(env.health(&margin).is_ok());
}

/// H-1: a debt whose oracle is halted does not keep a liquidator from repaying the
/// other (priced) debt; the halted debt itself cannot be settled.
#[test]
fn halted_debt_oracle_does_not_block_repaying_the_other_debt() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let usdt = env.add_priced_pool(6, 1.0, Feed::Legacy);
    env.lend(&usdt, 10_000_000_000);
    let (user, margin) = borrower(&mut env, &sol, &usdc);
    let usdt_wallet = env.token_account(&usdt, &user.pubkey(), 0);
    env.borrow(&user, &margin, &usdt, &usdt_wallet, 10_000_000).unwrap(); // 10 USDT

    // USDT's legacy feed halts (status not Trading); SOL crashes.
    let mut halted = margin_client::oracle::legacy_trading(&env.oracles[&usdt.pool].price);
    let status_at = 224; // aggregate status byte of the legacy layout
    halted[status_at] = 0;
    env.write_oracle_raw(&usdt, halted, margin_interface::oracle::PYTH_LEGACY_PROGRAM_ID);
    env.set_usd(&sol, 80.0);
    let liquidator = Liquidator::new(&mut env, &[usdc, usdt]);
    let ix = liquidator.ix(&mut env, &margin, &sol, &usdc, u64::MAX);
    env.svm.process(&[ix], &[&liquidator.key]).expect("the priced USDC debt is repaid");
    let ix = liquidator.ix(&mut env, &margin, &sol, &usdt, u64::MAX);
    let watched = [margin, sol.pool, usdt.pool, liquidator.margin, liquidator.wallet(&usdt)];
    env.expect_error(&[ix], &[&liquidator.key], MarginError::OracleNotTrading, &watched);
}

/// M-2: with pull oracles the caller picks the update. Once a pool has used a price,
/// an older update is refused both ways: a borrower cannot borrow at an older
/// higher price, a liquidator cannot liquidate a healthy account at an older lower one.
#[test]
fn an_older_price_update_than_the_newest_seen_is_refused() {
    for (old_usd, new_usd) in [(100.0, 75.0), (75.0, 100.0)] {
        let mut env = Env::new();
        let sol = env.add_priced_pool(9, 100.0, Feed::Pull);
        let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
        let (user, margin) = borrower(&mut env, &sol, &usdc);
        let t0 = env.svm.now();
        // An update from t0 kept in a second account: still within max_age later.
        env.set_price(&sol, usd_price(old_usd, t0));
        let old_update = Pubkey::new_unique();
        let old_bytes = env.svm.account(&env.oracles[&sol.pool].account).unwrap();
        env.svm.set_account(&old_update, old_bytes);

        // 30 s later the price is `new_usd`; a read with the pool writable records it.
        env.svm.set_time(t0 + 30);
        env.refresh_prices();
        env.set_price(&sol, usd_price(new_usd, t0 + 30));
        let metas = env.health_metas_after(&margin, None);
        env.svm
            .process(&[instructions::health(&margin, &writable_pools(&metas))], &[])
            .expect("health records the price");
        assert_eq!(env.pool(&sol).newest_publish_time, t0 + 30);

        let swap =
            |ix: solana_sdk::instruction::Instruction, from: Pubkey| margin_tests::swap_account(ix, &from, &old_update);
        let current = env.oracles[&sol.pool].account;
        if old_usd > new_usd {
            // Over-borrow at the old higher price (20 USDC pass at $100, not at $75).
            let usdc_wallet = env.token_account(&usdc, &user.pubkey(), 0);
            let ix = swap(env.borrow_ix(&user, &margin, &usdc, &usdc_wallet, 20_000_000), current);
            env.expect_error(
                &[ix],
                &[&user],
                MarginError::OracleOutdated,
                &[margin, sol.pool, usdc.pool, usdc.vault, usdc_wallet],
            );
        } else {
            // Liquidate a healthy account at the old lower price.
            let liquidator = Liquidator::new(&mut env, &[usdc]);
            let ix = swap(liquidator.ix(&mut env, &margin, &sol, &usdc, u64::MAX), current);
            let watched = [margin, sol.pool, usdc.pool, liquidator.margin, liquidator.wallet(&usdc)];
            env.expect_error(&[ix], &[&liquidator.key], MarginError::OracleOutdated, &watched);
        }
    }
}

/// Every pool in `metas` marked writable (so a read records the newest price).
fn writable_pools(metas: &[solana_sdk::instruction::AccountMeta]) -> Vec<solana_sdk::instruction::AccountMeta> {
    metas
        .iter()
        .enumerate()
        .map(|(i, m)| if i % 2 == 0 { solana_sdk::instruction::AccountMeta::new(m.pubkey, false) } else { m.clone() })
        .collect()
}

/// M-3: a config under which a maximum-bonus liquidation cannot raise Maintenance
/// health (0.95 weight, 10% bonus) is refused, so no account can become
/// unliquidatable by configuration.
#[test]
fn config_that_makes_liquidation_unable_to_improve_is_refused() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let mut config = env.pool(&sol).config;
    config.maint_asset_weight_bps = 9_500;
    config.init_asset_weight_bps = 9_000;
    config.liquidation_penalty_max_bps = 1_000;
    let ix = instructions::update_pool_config(&env.admin.pubkey(), &sol, config);
    let admin = env.admin.insecure_clone();
    env.expect_error(&[ix], &[&admin], MarginError::InvalidConfig, &[sol.pool, pda::pending_config(&sol.pool)]);
}

/// M-4: in one transaction the admin cuts SOL's weight to zero, raises the bonus,
/// liquidates a 40%-LTV borrower from a second wallet and restores the config.
/// The cut is only queued, so the liquidation finds a healthy account.
#[test]
fn admin_cannot_seize_equity_in_one_transaction() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let (_user, margin) = borrower_of(&mut env, &sol, &usdc, 400_000_000); // 40% LTV

    let original = env.pool(&sol).config;
    let mut seize = original;
    (seize.init_asset_weight_bps, seize.maint_asset_weight_bps) = (0, 0);
    (seize.liquidation_penalty_min_bps, seize.liquidation_penalty_max_bps) = (2_000, 2_000);
    let accomplice = Liquidator::new(&mut env, &[usdc]);
    let admin = env.admin.insecure_clone();
    let cut = instructions::update_pool_config(&admin.pubkey(), &sol, seize);
    let liquidate = accomplice.ix(&mut env, &margin, &sol, &usdc, u64::MAX);
    let restore = instructions::update_pool_config(&admin.pubkey(), &sol, original);
    let watched =
        [margin, sol.pool, usdc.pool, accomplice.margin, accomplice.wallet(&usdc), pda::pending_config(&sol.pool)];
    env.expect_error(
        &[cut.clone(), liquidate, restore],
        &[&admin, &accomplice.key],
        MarginError::NotLiquidatable,
        &watched,
    );

    // The same change, queued, applies only after the group's delay, in view of users.
    env.svm.process(&[cut], &[&admin]).expect("queue");
    assert_eq!(env.pool(&sol).config, original, "nothing applies at once");
    let apply = instructions::apply_pool_config(&sol, &admin.pubkey());
    env.expect_error(
        std::slice::from_ref(&apply),
        &[],
        MarginError::ConfigChangeNotReady,
        &[sol.pool, pda::pending_config(&sol.pool)],
    );
    let delay = env.group_state().config_delay_secs as i64;
    assert_eq!(delay, 2 * 86_400);
    env.svm.set_time(env.svm.now() + delay);
    env.refresh_prices();
    env.svm.process(&[apply], &[]).expect("anyone applies it after the delay");
    assert_eq!(env.pool(&sol).config, seize);
    assert_eq!(env.svm.account(&pda::pending_config(&sol.pool)), None, "pending account closed");
}

/// M-4: loosening applies at once (the emergency path) and cancels a queued change.
#[test]
fn loosening_applies_at_once_and_cancels_a_queued_change() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let original = env.pool(&sol).config;
    let admin = env.admin.insecure_clone();
    let mut tighter = original;
    tighter.maint_asset_weight_bps -= 100;
    env.svm.process(&[instructions::update_pool_config(&admin.pubkey(), &sol, tighter)], &[&admin]).unwrap();
    assert!(env.svm.account(&pda::pending_config(&sol.pool)).is_some());
    let mut looser = original;
    looser.deposit_cap = 1_000;
    looser.init_asset_weight_bps += 100;
    env.svm.process(&[instructions::update_pool_config(&admin.pubkey(), &sol, looser)], &[&admin]).unwrap();
    assert_eq!(env.pool(&sol).config, looser);
    assert_eq!(env.svm.account(&pda::pending_config(&sol.pool)), None, "queued change cancelled");
}

/// An oracle, once configured, cannot be removed (positions priced by it would
/// become unliquidatable and un-writable-off).
#[test]
fn an_oracle_cannot_be_removed() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let mut config = env.pool(&sol).config;
    config.oracle.kind = margin_interface::state::OracleKind::None as u8;
    let admin = env.admin.insecure_clone();
    let ix = instructions::update_pool_config(&admin.pubkey(), &sol, config);
    env.expect_error(&[ix], &[&admin], MarginError::OracleCannotBeRemoved, &[sol.pool]);
}

/// L-2: while the group is paused liquidations run, so borrowers can still add
/// collateral.
#[test]
fn deposits_run_while_the_group_is_paused() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let (user, margin) = borrower(&mut env, &sol, &usdc);
    let admin = env.admin.insecure_clone();
    env.svm.process(&[instructions::set_group_pause(&admin.pubkey(), &env.group, true)], &[&admin]).unwrap();
    let wallet = env.token_account(&sol, &user.pubkey(), 1_000_000_000);
    env.deposit(&user, &margin, &sol, &wallet, 1_000_000_000).expect("deposit while paused");
    assert_eq!(env.svm.token_balance(&wallet), 0);
}

/// The bump comes from the client; a valid but non-canonical one is refused, so a
/// mint can never get a second pool in one group.
#[test]
fn non_canonical_pool_bump_is_refused() {
    let mut env = Env::new();
    // Find a mint whose pool PDA has a valid bump below the canonical one.
    let (mint, keys, other_bump) = loop {
        let mint = env.svm.create_mint(6, &margin_client::spl_token_id());
        let keys = PoolKeys::derive(&env.group, &mint, &margin_client::spl_token_id());
        let (_, canonical) = pda::pool_with_bump(&env.group, &mint);
        let lower = (0..canonical).rev().find(|bump| {
            Pubkey::create_program_address(
                &[b"pool", env.group.as_ref(), mint.as_ref(), &[*bump]],
                &margin_client::program_id(),
            )
            .is_ok()
        });
        if let Some(bump) = lower {
            break (mint, keys, bump);
        }
    };
    let other = Pubkey::create_program_address(
        &[b"pool", env.group.as_ref(), mint.as_ref(), &[other_bump]],
        &margin_client::program_id(),
    )
    .unwrap();
    let mut ix = instructions::create_pool(
        &env.svm.payer().pubkey(),
        &env.admin.pubkey(),
        &keys,
        margin_client::config::default_pool_config(),
    );
    ix.accounts[3].pubkey = other;
    ix.data = borsh::to_vec(&margin_interface::instruction::MarginInstruction::CreatePool {
        config: margin_client::config::default_pool_config(),
        bumps: [other_bump, pda::vault_with_bump(&keys.pool).1, pda::vault_authority_with_bump(&keys.pool).1],
    })
    .unwrap();
    let admin = env.admin.insecure_clone();
    env.expect_error(&[ix], &[&admin], MarginError::NonCanonicalBump, &[other, env.group]);
}

/// Economic review: isolated-only collateral counts zero in a cross account's
/// health, so seizing it raises health by the whole repaid value; the plan sizes
/// the repay with that weight (0), not the pool's, and stops at the target.
#[test]
fn isolated_only_collateral_in_a_cross_account_is_not_over_liquidated() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let meme = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let mut config = env.pool(&meme).config;
    config.flags = margin_interface::state::POOL_FLAG_ISOLATED_ONLY;
    env.update_config(&meme, config);
    let (user, margin) = borrower(&mut env, &sol, &usdc); // 10 SOL, 700 USDC debt
    let meme_wallet = env.token_account(&meme, &user.pubkey(), 1_000_000_000);
    env.deposit(&user, &margin, &meme, &meme_wallet, 1_000_000_000).unwrap(); // $1,000, counts zero
    env.set_usd(&sol, 84.0); // Maintenance: 840 * 0.85 - 700 * 1.05 = -21

    let liquidator = Liquidator::new(&mut env, &[usdc]);
    let wallet = liquidator.wallet(&usdc);
    let before = env.svm.token_balance(&wallet);
    let ix = liquidator.ix(&mut env, &margin, &meme, &usdc, u64::MAX);
    env.svm.process(&[ix], &[&liquidator.key]).expect("liquidate the isolated-only collateral");
    let repaid = before - env.svm.token_balance(&wallet);
    // Health may rise to 5% of 735 = 36.75 from -21: 57.75 / 1.05 = $55 of debt (the
    // pool's 0.85 weight would have sized $350).
    assert_eq!(repaid, 55_000_000);
}

/// Several liquidations in one transaction cannot together pass the target: each
/// re-reads health, and once the first has lifted the account to the target the
/// second is refused, so the whole transaction fails and changes nothing.
#[test]
fn a_second_liquidation_in_the_same_transaction_cannot_pass_the_target() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let (_user, margin) = borrower(&mut env, &sol, &usdc);
    env.set_usd(&sol, 84.0);
    let liquidator = Liquidator::new(&mut env, &[usdc]);
    let first = liquidator.ix(&mut env, &margin, &sol, &usdc, u64::MAX);
    let watched = [margin, sol.pool, usdc.pool, liquidator.margin, liquidator.wallet(&usdc)];
    env.expect_error(&[first.clone(), first.clone()], &[&liquidator.key], MarginError::NotLiquidatable, &watched);
    env.svm.process(&[first], &[&liquidator.key]).expect("one liquidation alone lands");
}

/// L-1: health values every position at `now`. A debt pool nobody accrued for a
/// year is projected in memory: the read-only health report equals the one after
/// cranking that pool in the same second, and a borrow elsewhere is judged on it.
#[test]
fn health_projects_interest_of_pools_nobody_accrued() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let usdt = env.add_priced_pool(6, 1.0, Feed::Legacy);
    env.lend(&usdt, 10_000_000_000);
    let (user, margin) = borrower_of(&mut env, &sol, &usdc, 500_000_000);
    env.svm.set_time(env.svm.now() + 365 * 86_400);
    env.refresh_prices();

    let projected = env.health(&margin).unwrap();
    // A USDT borrow that would pass only on the year-old USDC debt is refused
    // before anyone accrues USDC (it stays untouched: nothing is written).
    let room_at_stale_debt = (1_000.0 * 0.8 / 1.1 - 500.0) * 1e6; // USDT units
    let usdt_wallet = env.token_account(&usdt, &user.pubkey(), 0);
    let ix = env.borrow_ix(&user, &margin, &usdt, &usdt_wallet, room_at_stale_debt as u64 - 1);
    env.expect_error(&[ix], &[&user], MarginError::InsufficientHealth, &[margin, usdt.pool, usdc.pool, usdt_wallet]);

    env.svm.process(&[instructions::accrue_interest(&usdc.pool)], &[]).unwrap();
    assert_eq!(env.health(&margin).unwrap(), projected, "read == crank, then read");
}

/// Fuzzer find (seed 424242): an account a hair under Maintenance, share values not
/// whole. A one-unit repay burns no debt share, so share and amount rounding ate
/// the gain (`LiquidationDidNotImprove`) and the account could never be liquidated.
/// The plan now repays its rounding floor (`liquidation::min_repay`) instead.
#[test]
fn account_a_hair_under_maintenance_is_liquidatable_despite_share_rounding() {
    use margin_interface::{
        liquidation::{bonus_bps, min_repay},
        oracle::OraclePrice,
    };
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let (_, margin) = borrower(&mut env, &sol, &usdc);
    // Interest made a debt share worth 1.5 units; target 0: the deficit alone
    // sizes the repay.
    env.write_pool(&usdc, |pool| {
        pool.borrow_share_value = fixed::store(3 * fixed::ONE / 2);
        pool.config.liquidation_target_bps = 0;
    });
    // The highest SOL price (expo -12) at which Maintenance is negative: the
    // deficit is below a millionth of a cent, far under one USDC unit's gain.
    let price_at = |mantissa: i64, now: i64| OraclePrice {
        price: mantissa,
        conf: 0,
        expo: -12,
        publish_time: now,
        ema_price: mantissa,
        ema_conf: 0,
    };
    let (mut low, mut high) = (50_000_000_000_000i64, 200_000_000_000_000i64); // $50, $200
    while high - low > 1 {
        let middle = (low + high) / 2;
        let now = env.svm.now();
        env.set_price(&sol, price_at(middle, now));
        if env.health(&margin).unwrap().maintenance < 0 {
            low = middle
        } else {
            high = middle
        }
    }
    let now = env.svm.now();
    env.set_price(&sol, price_at(low, now));
    let before = env.health(&margin).unwrap();
    assert!(before.maintenance < 0 && before.maintenance > -((fixed::ONE / 100_000_000) as i128), "{before:?}");

    // The floor for this pair: gain = 1.05 - (1 + min bonus) * 0.85 per dollar.
    let (sol_config, usdc_config) = (env.pool(&sol).config, env.pool(&usdc).config);
    let bonus = bonus_bps(&sol_config, before.maintenance, before.maintenance_liabilities, 0);
    let gain =
        usdc_config.maint_liab_weight_bps as u64 * 10_000 - (10_000 + bonus) * sol_config.maint_asset_weight_bps as u64;
    let floor = min_repay(3 * fixed::ONE / 2, usdc_config.maint_liab_weight_bps, gain);
    assert_eq!((bonus, floor), (200, 19));

    // A liquidator capped below the floor is refused and nothing moves.
    let liquidator = Liquidator::new(&mut env, &[usdc]);
    let wallet = liquidator.wallet(&usdc);
    let ix = liquidator.ix(&mut env, &margin, &sol, &usdc, floor - 1);
    env.expect_error(
        &[ix],
        &[&liquidator.key],
        MarginError::NothingToLiquidate,
        &[margin, liquidator.margin, sol.pool, usdc.pool, wallet, usdc.vault],
    );
    // Unlimited: exactly the floor is repaid and Maintenance turns positive.
    let funded = env.svm.token_balance(&wallet);
    let ix = liquidator.ix(&mut env, &margin, &sol, &usdc, u64::MAX);
    env.svm.process(&[ix], &[&liquidator.key]).expect("liquidation at the rounding floor");
    assert_eq!(funded - env.svm.token_balance(&wallet), floor);
    let after = env.health(&margin).unwrap();
    assert!(after.maintenance > 0, "{before:?} -> {after:?}");
}

/// Review find (F1): a pull update is the caller's choice. A healthy account holds
/// pull-priced SOL and USDC against USDT debt; a liquidator passes a genuine but
/// wide-confidence (or stale) SOL update so that SOL would count zero as an
/// "outage", making the account look liquidatable, then seizes the USDC. Stale and
/// wide pull updates are no outage: the liquidation is refused, nothing changes.
#[test]
fn a_chosen_wide_or_stale_pull_update_cannot_zero_a_healthy_accounts_collateral() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Pull);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let usdt = env.add_priced_pool(6, 1.0, Feed::Legacy);
    env.lend(&usdt, 10_000_000_000);
    // 10 SOL ($1,000) + 300 USDC against 800 USDT: Maintenance +$265.
    let (user, margin) = env.borrower(&sol, &usdt, 10_000_000_000, 1);
    let usdc_wallet = env.token_account(&usdc, &user.pubkey(), 300_000_000);
    env.deposit(&user, &margin, &usdc, &usdc_wallet, 300_000_000).unwrap();
    let usdt_wallet = env.token_account(&usdt, &user.pubkey(), 0);
    env.borrow(&user, &margin, &usdt, &usdt_wallet, 800_000_000 - 1).unwrap();
    assert!(env.health(&margin).unwrap().maintenance > 0);

    let liquidator = Liquidator::new(&mut env, &[usdt]);
    let watched = [margin, sol.pool, usdc.pool, usdt.pool, liquidator.margin, liquidator.wallet(&usdt)];
    let now = env.svm.now();
    // A wide update (10% confidence, over the pool's 2% limit), published now.
    let wide = margin_interface::oracle::OraclePrice { conf: 1_000_000_000, ..usd_price(100.0, now) };
    env.set_price(&sol, wide);
    let ix = liquidator.ix(&mut env, &margin, &usdc, &usdt, u64::MAX);
    env.expect_error(&[ix], &[&liquidator.key], MarginError::OracleConfidenceTooWide, &watched);
    // A stale one (older than max age, not older than the newest the pool saw).
    env.set_usd(&sol, 100.0);
    env.svm.set_time(now + 120);
    env.refresh_prices();
    let stale = usd_price(100.0, now);
    env.set_price(&sol, stale);
    let ix = liquidator.ix(&mut env, &margin, &usdc, &usdt, u64::MAX);
    env.expect_error(&[ix], &[&liquidator.key], MarginError::OracleStale, &watched);
}
