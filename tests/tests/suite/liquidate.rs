//! Liquidation: price crashes on isolated and cross accounts, two competing
//! liquidators, bonuses against an independent computation, insurance share,
//! conservation, bad debt, and every rejection.

use margin_client::{
    health::to_usd,
    instructions::{self, RepayAmount, WithdrawAmount},
    pda::PoolKeys,
};
use margin_interface::{
    error::MarginError,
    fixed,
    liquidation::FULL_PENALTY_DEFICIT_BPS,
    state::{PoolConfig, PoolStatus},
};
use margin_tests::{Env, Feed, Liquidator};
use solana_sdk::signature::Signer;

/// Books of a pool: vault balance against deposits - debt + fees + insurance.
fn assert_books_balance(env: &mut Env, keys: &PoolKeys) {
    let pool = env.pool(keys);
    let vault = env.svm.token_balance(&keys.vault) as i128;
    let books = pool.total_deposits().unwrap() as i128 - pool.total_debt().unwrap() as i128
        + (fixed::load(&pool.protocol_fees) >> 64) as i128
        + (fixed::load(&pool.insurance_fund) >> 64) as i128;
    assert!((vault - books).abs() <= 4, "pool books off: vault {vault} vs books {books}");
}

/// The expected plan, computed independently in f64 from the documented rules.
#[allow(clippy::too_many_arguments)] // the documented rule's inputs, named as it names them
fn expected_plan(
    h: f64,
    l: f64,
    asset: &PoolConfig,
    liability: &PoolConfig,
    p_a: f64,
    p_l: f64,
    collateral: f64,
    debt: f64,
    max_repay: f64,
) -> (f64, f64, f64, f64) {
    // The bonus is carried in whole basis points, rounded down (documented).
    let deficit_bps = ((-h / l * 1e4).floor() as u64).min(FULL_PENALTY_DEFICIT_BPS);
    let (min, max) = (asset.liquidation_penalty_min_bps as u64, asset.liquidation_penalty_max_bps as u64);
    let bonus_bps = min + (max - min) * deficit_bps / FULL_PENALTY_DEFICIT_BPS;
    let liquidator_bonus_bps = bonus_bps * (10_000 - asset.liquidation_insurance_share_bps as u64) / 10_000;
    let b = bonus_bps as f64 / 1e4;
    let gain = liability.maint_liab_weight_bps as f64 / 1e4 - (1.0 + b) * asset.maint_asset_weight_bps as f64 / 1e4;
    let target = liability.liquidation_target_bps as f64 / 1e4 * l;
    let v_target = (target - h) / gain;
    let dust = liability.dust_threshold_micro_usd as f64 / 1e6;
    let close = if debt * p_l < dust { debt } else { debt * liability.close_factor_bps as f64 / 1e4 };
    let v = v_target.min(close * p_l).min(debt * p_l).min(max_repay * p_l).min(collateral * p_a / (1.0 + b));
    (v / p_l, v * (1.0 + b) / p_a, v * (1.0 + liquidator_bonus_bps as f64 / 1e4) / p_a, b)
}

#[test]
fn isolated_crash_liquidated_by_competing_liquidators() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Pull);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    env.lend(&usdc, 100_000_000_000);
    let user = env.user();
    let victim = env.open_isolated(&user, 0, &sol, &usdc);
    let sol_wallet = env.token_account(&sol, &user.pubkey(), 100_000_000_000);
    env.deposit(&user, &victim, &sol, &sol_wallet, 100_000_000_000).unwrap(); // 100 SOL
    let usdc_wallet = env.token_account(&usdc, &user.pubkey(), 0);
    env.borrow(&user, &victim, &usdc, &usdc_wallet, 7_000_000_000).unwrap(); // 7,000 USDC
    let first = Liquidator::new(&mut env, &[usdc]);
    let second = Liquidator::new(&mut env, &[usdc]);

    // Healthy: refused, nothing changes.
    let ix = first.ix(&mut env, &victim, &sol, &usdc, 1_000_000_000);
    env.expect_error(
        &[ix],
        &[&first.key],
        MarginError::NotLiquidatable,
        &[victim, first.margin, sol.pool, usdc.pool, usdc.vault],
    );

    env.set_usd(&sol, 80.0); // SOL -20%
    let mut previous = env.health(&victim).unwrap().maintenance;
    assert!(previous < 0, "crash made the account liquidatable");
    let mut turn = 0;
    loop {
        let liquidator = if turn % 2 == 0 { &first } else { &second };
        let health = env.health(&victim).unwrap();
        if health.maintenance >= 0 {
            break;
        }
        // Independent expectation for this step.
        let account = env.margin(&victim);
        let (sol_pool, usdc_pool) = (env.pool(&sol), env.pool(&usdc));
        let collateral =
            fixed::mul_q64_floor(account.positions[0].deposit_shares, sol_pool.deposit_share_value()).unwrap() as f64;
        let debt =
            fixed::mul_q64_ceil(account.positions[1].borrow_shares, usdc_pool.borrow_share_value()).unwrap() as f64;
        let h = to_usd(health.maintenance);
        let l = debt / 1e6 * 1.05;
        let (repay, seized, to_liquidator, bonus) =
            expected_plan(h, l, &sol_pool.config, &usdc_pool.config, 80.0 / 1e9, 1.0 / 1e6, collateral, debt, 1e15);
        assert!(bonus > 0.02 && bonus <= 0.10);

        let wallet = liquidator.wallet(&usdc);
        let paid_before = env.svm.token_balance(&wallet);
        let got_before = env.margin(&liquidator.margin).active().first().map(|p| p.deposit_shares).unwrap_or(0);
        let insurance_before = fixed::load(&env.pool(&sol).insurance_fund);
        let ix = liquidator.ix(&mut env, &victim, &sol, &usdc, u64::MAX);
        let liquidator_key = liquidator.key.insecure_clone();
        env.svm.process(&[ix], &[&liquidator_key]).expect("liquidate");
        let paid = paid_before - env.svm.token_balance(&wallet);
        let got = env.margin(&liquidator.margin).active()[0].deposit_shares - got_before;
        let insurance = (fixed::load(&env.pool(&sol).insurance_fund) - insurance_before) >> 64;
        assert!((paid as f64 - repay).abs() <= 2.0, "repaid {paid}, expected {repay}");
        assert!((got as f64 - to_liquidator).abs() <= 2.0, "liquidator got {got}, expected {to_liquidator}");
        assert!(
            ((got as u128 + insurance) as f64 - seized).abs() <= 3.0,
            "seized {}, expected {seized}",
            got as u128 + insurance
        );
        assert!(insurance > 0, "insurance receives its share of the bonus");
        let now = env.health(&victim).unwrap().maintenance;
        assert!(now > previous, "health improved");
        previous = now;
        turn += 1;
        assert!(turn < 10, "liquidation converges");
    }
    assert!(turn >= 1);
    // Not over-liquidated: health stopped at or below the target.
    let health = env.health(&victim).unwrap();
    // (The target is 5% of the weighted liabilities before each step; those never
    // exceeded the original 7,000 USDC * 1.05.)
    assert!(
        to_usd(health.maintenance) <= 0.05 * 7_000.0 * 1.05 + 1e-6,
        "over-liquidated: {}",
        to_usd(health.maintenance)
    );

    // The race: both liquidators now send the same liquidation; it fails cleanly.
    let ix = second.ix(&mut env, &victim, &sol, &usdc, u64::MAX);
    env.expect_error(
        &[ix],
        &[&second.key],
        MarginError::NotLiquidatable,
        &[victim, second.margin, sol.pool, usdc.pool, usdc.vault],
    );
    for keys in [&sol, &usdc] {
        assert_books_balance(&mut env, keys);
    }
    // The liquidator can take its winnings out.
    let out = env.token_account(&sol, &first.key.pubkey(), 0);
    let ix = instructions::withdraw(&first.key.pubkey(), &first.margin, &sol, &out, WithdrawAmount::All);
    env.svm.process(&[ix], &[&first.key]).expect("liquidator withdraws seized collateral");
    assert!(env.svm.token_balance(&out) > 0);
}

#[test]
fn cross_account_with_three_collaterals_and_two_debts() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Pull);
    let btc = env.add_priced_pool(8, 50_000.0, Feed::Legacy);
    let eth = env.add_priced_pool(8, 3_000.0, Feed::Pull);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let usdt = env.add_priced_pool(6, 1.0, Feed::Pull);
    env.lend(&usdc, 1_000_000_000_000);
    env.lend(&usdt, 1_000_000_000_000);
    let user = env.user();
    let victim = env.open_cross(&user, 0);
    for (keys, amount) in [(&sol, 50_000_000_000u64), (&btc, 10_000_000), (&eth, 100_000_000)] {
        let wallet = env.token_account(keys, &user.pubkey(), amount);
        env.deposit(&user, &victim, keys, &wallet, amount).unwrap();
    }
    // Collateral: $5,000 + $5,000 + $3,000 = $13,000; 0.8 weights -> $10,400 initial.
    for (keys, amount) in [(&usdc, 5_000_000_000u64), (&usdt, 4_000_000_000)] {
        let wallet = env.token_account(keys, &user.pubkey(), 0);
        env.borrow(&user, &victim, keys, &wallet, amount).unwrap();
    }
    let first = Liquidator::new(&mut env, &[usdc, usdt]);
    let second = Liquidator::new(&mut env, &[usdc, usdt]);
    let mints: Vec<PoolKeys> = vec![sol, btc, eth, usdc, usdt];
    let supply_before: Vec<u64> = mints.iter().map(|k| total_supply(&mut env, k)).collect();

    env.set_usd(&sol, 60.0);
    env.set_usd(&btc, 35_000.0);
    env.set_usd(&eth, 2_000.0);
    let mut previous = env.health(&victim).unwrap().maintenance;
    assert!(previous < 0);
    let pairs = [(&btc, &usdc), (&sol, &usdt), (&eth, &usdc), (&sol, &usdc), (&btc, &usdt)];
    let mut steps = 0;
    for (i, (asset, liability)) in pairs.iter().cycle().take(12).enumerate() {
        if env.health(&victim).unwrap().maintenance >= 0 {
            break;
        }
        let liquidator = if i % 2 == 0 { &first } else { &second };
        // A modest slice each time, so both liquidators get turns.
        let ix = liquidator.ix(&mut env, &victim, asset, liability, 800_000_000);
        let key = liquidator.key.insecure_clone();
        match env.svm.process(&[ix], &[&key]) {
            Ok(_) => {
                let now = env.health(&victim).unwrap().maintenance;
                assert!(now > previous, "each liquidation improves maintenance health");
                previous = now;
                steps += 1;
            }
            Err(failure) => assert!(
                matches!(failure.margin_error(), Some(MarginError::PoolNotInAccount | MarginError::NotLiquidatable)),
                "unexpected failure {failure}"
            ),
        }
    }
    assert!(steps >= 3, "several liquidation steps ran ({steps})");
    assert!(
        env.margin(&first.margin).header.position_count > 0 && env.margin(&second.margin).header.position_count > 0
    );
    for (keys, before) in mints.iter().zip(supply_before) {
        assert_eq!(total_supply(&mut env, keys), before, "tokens of {} conserved across every holder", keys.mint);
        assert_books_balance(&mut env, keys);
    }
}

/// Every token of the mint: all wallets the fixture created plus the vault.
fn total_supply(env: &mut Env, keys: &PoolKeys) -> u64 {
    let wallets = env.token_accounts_of(&keys.mint);
    wallets.iter().map(|a| env.svm.token_balance(a)).sum::<u64>() + env.svm.token_balance(&keys.vault)
}

#[test]
fn deep_crash_bad_debt_insurance_then_socialized() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Pull);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    env.lend(&usdc, 20_000_000_000);
    let user = env.user();
    let victim = env.open_cross(&user, 0);
    let sol_wallet = env.token_account(&sol, &user.pubkey(), 10_000_000_000);
    env.deposit(&user, &victim, &sol, &sol_wallet, 10_000_000_000).unwrap(); // 10 SOL
    let usdc_wallet = env.token_account(&usdc, &user.pubkey(), 0);
    env.borrow(&user, &victim, &usdc, &usdc_wallet, 700_000_000).unwrap(); // 700 USDC
                                                                           // Give USDC's insurance fund 50 USDC (as years of fees would), backed in the vault.
    env.write_pool(&usdc, |pool| pool.insurance_fund = fixed::store(50_000_000u128 << 64));
    let vault = env.svm.token_balance(&usdc.vault);
    env.svm.set_token_account(&usdc.vault, &usdc.mint, &usdc.vault_authority, vault + 50_000_000, &usdc.token_program);

    // Not bankrupt yet.
    let ix = env.resolve_bad_debt_ix(&victim, &usdc);
    env.expect_error(&[ix], &[], MarginError::NotBankrupt, &[victim, usdc.pool, sol.pool]);

    env.set_usd(&sol, 20.0); // collateral $200 against $700 debt
    let liquidator = Liquidator::new(&mut env, &[usdc]);
    liquidator.seize_all(&mut env, &victim, &sol, &usdc);
    let account = env.margin(&victim);
    assert!(account.active().iter().all(|p| p.deposit_shares == 0), "all collateral seized");
    let debt_left =
        fixed::mul_q64_ceil(account.active()[0].borrow_shares, env.pool(&usdc).borrow_share_value()).unwrap();
    assert!(debt_left > 0);
    assert!(env.health(&victim).unwrap().equity < 0);

    let before = env.pool(&usdc);
    let ix = env.resolve_bad_debt_ix(&victim, &usdc);
    env.svm.process(&[ix], &[]).expect("resolve bad debt");
    let after = env.pool(&usdc);
    let insurance_used = fixed::load(&before.insurance_fund) - fixed::load(&after.insurance_fund);
    assert_eq!(insurance_used, 50_000_000u128 << 64, "insurance pays first, all of it");
    let remainder = (debt_left << 64) - insurance_used;
    let cut = before.deposit_share_value() - after.deposit_share_value();
    assert_eq!(
        cut,
        remainder.div_ceil(before.total_deposit_shares as u128),
        "depositors lose exactly the remainder, pro rata"
    );
    assert_eq!(after.total_borrow_shares, before.total_borrow_shares - account.active()[0].borrow_shares);
    assert_eq!(env.margin(&victim).header.position_count, 0, "the written-off debt is gone: no more interest");
    assert_books_balance(&mut env, &usdc);

    // Later deposits and withdrawals stay correct at the new share value.
    let late = env.user();
    let late_margin = env.open_cross(&late, 0);
    let late_wallet = env.token_account(&usdc, &late.pubkey(), 1_000_000_000);
    env.deposit(&late, &late_margin, &usdc, &late_wallet, 1_000_000_000).unwrap();
    let ix = instructions::withdraw(&late.pubkey(), &late_margin, &usdc, &late_wallet, WithdrawAmount::All);
    env.svm.process(&[ix], &[&late]).unwrap();
    let back = env.svm.token_balance(&late_wallet);
    assert!((1_000_000_000 - 2..=1_000_000_000).contains(&back), "late depositor round-trips (got {back})");
    assert_books_balance(&mut env, &usdc);
}

#[test]
fn liquidation_rejections_change_nothing() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Pull);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    env.lend(&usdc, 100_000_000_000);
    let user = env.user();
    let victim = env.open_cross(&user, 0);
    let sol_wallet = env.token_account(&sol, &user.pubkey(), 10_000_000_000);
    env.deposit(&user, &victim, &sol, &sol_wallet, 10_000_000_000).unwrap();
    let usdc_wallet = env.token_account(&usdc, &user.pubkey(), 0);
    env.borrow(&user, &victim, &usdc, &usdc_wallet, 700_000_000).unwrap();
    env.set_usd(&sol, 80.0);
    let liquidator = Liquidator::new(&mut env, &[usdc]);
    let watched = [victim, liquidator.margin, sol.pool, usdc.pool, usdc.vault, liquidator.wallet(&usdc)];
    let ok = liquidator.ix(&mut env, &victim, &sol, &usdc, u64::MAX);

    // Self-liquidation: the owner liquidates through a second account of its own.
    let own = env.open_cross(&user, 1);
    let own_wallet = env.token_account(&usdc, &user.pubkey(), 1_000_000_000);
    let metas = env.health_metas_after(&victim, None);
    let ix = instructions::liquidate(&user.pubkey(), &own, &victim, &sol, &usdc, &own_wallet, u64::MAX, &metas, &[]);
    env.expect_error(&[ix], &[&user], MarginError::SelfLiquidation, &watched);
    // Liquidator account = liquidatee.
    let ix = margin_tests::swap_account(ok.clone(), &liquidator.margin, &victim);
    env.expect_error(&[ix], &[&liquidator.key], MarginError::DuplicateAccount, &watched);
    // Same pool on both sides.
    let ix = liquidator.ix(&mut env, &victim, &usdc, &usdc, u64::MAX);
    env.expect_error(&[ix], &[&liquidator.key], MarginError::SamePool, &watched);
    // Liquidator must sign.
    let ix = margin_tests::strip_signer(ok.clone(), &liquidator.key.pubkey());
    env.expect_error(&[ix], &[], MarginError::MissingSigner, &watched);
    // Zero max repay.
    let ix = liquidator.ix(&mut env, &victim, &sol, &usdc, 0);
    env.expect_error(&[ix], &[&liquidator.key], MarginError::NothingToLiquidate, &watched);
    // Every price stale: the legacy USDC feed's is an outage (counts zero), but
    // SOL's pull update is the liquidator's choice, so a stale one is refused (pass
    // a fresh one); a non-positive collateral price counts zero, but that
    // collateral cannot be settled.
    env.svm.advance_time(120);
    let ix = liquidator.ix(&mut env, &victim, &sol, &usdc, u64::MAX);
    env.expect_error(&[ix], &[&liquidator.key], MarginError::OracleStale, &watched);
    env.refresh_prices();
    let now = env.svm.now();
    env.set_price(&sol, margin_interface::oracle::OraclePrice { price: 0, ..margin_tests::usd_price(80.0, now) });
    let ix = liquidator.ix(&mut env, &victim, &sol, &usdc, u64::MAX);
    env.expect_error(&[ix], &[&liquidator.key], MarginError::OracleNonPositivePrice, &watched);
    env.set_usd(&sol, 80.0);

    // Paused pools and a paused group still allow liquidation (and repay).
    let admin = env.admin.insecure_clone();
    let group = env.group;
    env.svm.process(&[instructions::set_pool_status(&admin.pubkey(), &usdc, PoolStatus::Paused)], &[&admin]).unwrap();
    env.svm.process(&[instructions::set_group_pause(&admin.pubkey(), &group, true)], &[&admin]).unwrap();
    let ix = liquidator.ix(&mut env, &victim, &sol, &usdc, u64::MAX);
    env.svm.process(&[ix], &[&liquidator.key]).expect("liquidation while paused");
    let repay_wallet = env.token_account(&usdc, &user.pubkey(), 1_000_000_000);
    let ix = instructions::repay(&user.pubkey(), &victim, &usdc, &repay_wallet, RepayAmount::All);
    env.svm.process(&[ix], &[&user]).expect("repay while paused");
}
