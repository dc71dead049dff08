//! Adversarial review of the oracle-age haircut, the confidence-scaled
//! liquidation bonus and opt-in deleverage (commit 95a26cb). `finding_*`: the
//! two findings, fixed (the bonus reads the EMA interval; deleverage refuses
//! while any position is unpriced); `resists_*`: attacks the program stops;
//! `documents_*`: behaviour stated in docs/keeper.md.

use margin_client::{
    instructions::{self, SeizeAccounts},
    oracle as pyth,
    pda::PoolKeys,
};
use margin_interface::{
    error::MarginError,
    fixed,
    health::Health,
    oracle::{OraclePrice, Verification, PYTH_LEGACY_PROGRAM_ID, PYTH_RECEIVER_PROGRAM_ID},
    state::Protection,
};
use margin_tests::{swap_account, Env, Feed, Liquidator};
use solana_sdk::{account::Account, instruction::Instruction, pubkey::Pubkey, signature::Keypair, signer::Signer};

/// Threshold 1.20, a quarter of a debt per step, 1% bonus.
const PROTECTION: Protection =
    Protection { threshold_bps: 12_000, max_fraction_bps: 2_500, bonus_bps: 100, _padding: [0; 2] };

fn protect(env: &mut Env, owner: &Keypair, account: &Pubkey, protection: Protection) {
    let ix = instructions::set_protection(&owner.pubkey(), account, protection);
    env.svm.process(&[ix], &[owner]).expect("set_protection");
}

fn deleverage_ix(
    env: &mut Env,
    keeper: &Liquidator,
    account: &Pubkey,
    asset: &PoolKeys,
    liability: &PoolKeys,
    max_repay: u64,
) -> Instruction {
    let metas = env.health_metas_after(account, None);
    let accounts = SeizeAccounts {
        keeper: keeper.key.pubkey(),
        keeper_margin: keeper.margin,
        account: *account,
        asset,
        liability,
        source: keeper.wallet(liability),
        account_health: &metas,
        keeper_health: &[],
    };
    instructions::deleverage(&accounts, max_repay)
}

fn ratio(health: &Health) -> f64 {
    let liabilities = health.maintenance_liabilities as f64;
    (health.maintenance as f64 + liabilities) / liabilities
}

fn debt_of(env: &mut Env, account: &Pubkey, pool: &PoolKeys) -> u128 {
    let owed = env.margin(account).active().iter().find(|p| p.pool == pool.pool.to_bytes()).unwrap().borrow_shares;
    fixed::mul_q64_ceil(owed, env.pool(pool).borrow_share_value()).unwrap()
}

fn price(usd: f64, conf_bps: u64, publish_time: i64) -> OraclePrice {
    let mantissa = (usd * 1e8).round() as i64;
    let conf = mantissa as u64 * conf_bps / 10_000;
    OraclePrice { price: mantissa, conf, expo: -8, publish_time, ema_price: mantissa, ema_conf: conf }
}

// ---------------------------------------------------------------------------
// Finding: the confidence bonus is paid on a confidence the liquidator picks.
// ---------------------------------------------------------------------------

/// One liquidation of 100 USDC of the same underwater account (100 SOL at $86,
/// 7,000 USDC), same block, same price, same publish time; the liquidator passes
/// a genuine pull update of SOL's feed whose confidence is `conf_bps`. SOL's
/// confidence multiplier is 0, so health (and the deficit bonus) ignore the
/// confidence: only the new confidence term can differ. Returns the SOL deposit
/// shares credited to the liquidator.
fn liquidator_take(conf_bps: u64) -> u64 {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Pull);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let mut config = env.pool(&sol).config;
    config.liquidation_confidence_bonus_pct = 1_000;
    config.oracle.confidence_multiplier_pct = 0;
    env.update_config(&sol, config);
    let (_, victim) = env.borrower(&sol, &usdc, 100_000_000_000, 7_000_000_000);
    let liquidator = Liquidator::new(&mut env, &[usdc]);

    // The feed's update with a tight interval, as the pool's fixture account.
    let now = env.svm.now();
    env.set_price(&sol, price(86.0, 0, now));
    // Another genuine update of the same feed, same second, wider interval (well
    // within max_confidence_bps = 500): anyone may post it to its own account.
    let setup = env.oracles[&sol.pool];
    let wide = Pubkey::new_unique();
    // Spot intervals differ from one update to the next; the EMA barely moves
    // (here: not at all), and the bonus reads the EMA.
    let wide_spot = OraclePrice { conf: price(86.0, conf_bps, now).conf, ..price(86.0, 0, now) };
    let data = pyth::price_update_v2(&setup.address, Verification::Full, &wide_spot, 1);
    env.svm.set_account(
        &wide,
        Account {
            lamports: 10_000_000,
            data,
            owner: Pubkey::new_from_array(PYTH_RECEIVER_PROGRAM_ID),
            ..Account::default()
        },
    );
    let ix = liquidator.ix(&mut env, &victim, &sol, &usdc, 100_000_000);
    let ix = swap_account(ix, &setup.account, &wide);
    env.svm.process(&[ix], &[&liquidator.key]).expect("liquidation");
    env.margin(&liquidator.margin).active()[0].deposit_shares
}

/// Review finding (fixed): the bonus followed the spot `conf / price` of whatever
/// pull update the liquidator passed; among the updates the pool accepts the
/// liquidator could pick the widest and collect the maximum penalty (the same $86
/// price at the same second, conf 0 vs 3%: +6% of the repaid value). The bonus now
/// reads the EMA interval, which the choice of update does not move.
#[test]
fn finding_confidence_bonus_does_not_depend_on_which_update_the_liquidator_passes() {
    let tight = liquidator_take(0);
    let wide = liquidator_take(300);
    assert!(
        wide <= tight,
        "the liquidator took {wide} SOL shares with a wide update vs {tight} with a tight one (+{:.2}%)",
        (wide as f64 / tight as f64 - 1.0) * 100.0
    );
}

// ---------------------------------------------------------------------------
// Finding: an outage of an unrelated deposit puts a healthy account in the band.
// ---------------------------------------------------------------------------

/// Review finding (fixed): deleverage judged the band with outages counting zero,
/// so a halted legacy feed (ETH) made an account whose true ratio is 2.31 look
/// like 1.157 (< 1.20) and any keeper could sell its SOL at the owner's bonus.
/// Deleverage is never urgent (the account is not liquidatable): it now refuses
/// while any position is unpriced, with that oracle's error.
#[test]
fn finding_a_deposit_outage_does_not_put_a_healthy_account_in_the_band() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Pull);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let eth = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let (owner, account) = env.borrower(&sol, &usdc, 100_000_000_000, 7_000_000_000);
    let eth_wallet = env.token_account(&eth, &owner.pubkey(), 100_000_000_000);
    env.deposit(&owner, &account, &eth, &eth_wallet, 100_000_000_000).expect("eth deposit");
    protect(&mut env, &owner, &account, PROTECTION);
    let keeper = Liquidator::new(&mut env, &[usdc]);

    // Priced: (8,500 + 8,500) / 7,350 = 2.31, far above 1.20.
    let health = env.health_cache(&account).health().unwrap();
    assert!((ratio(&health) - 17_000.0 / 7_350.0).abs() < 1e-6);
    let ix = deleverage_ix(&mut env, &keeper, &account, &sol, &usdc, u64::MAX);
    let watched = [account, keeper.margin, sol.pool, usdc.pool, keeper.wallet(&usdc)];
    env.expect_error(&[ix], &[&keeper.key], MarginError::OutsideProtectionBand, &watched);

    // ETH's legacy feed halts: an outage, not the keeper's doing.
    let mut halted = pyth::legacy_trading(&env.oracles[&eth.pool].price);
    halted[224] = 0; // aggregate status byte
    env.write_oracle_raw(&eth, halted, PYTH_LEGACY_PROGRAM_ID);
    let debt_before = debt_of(&mut env, &account, &usdc);
    let ix = deleverage_ix(&mut env, &keeper, &account, &sol, &usdc, u64::MAX);
    env.expect_error(&[ix], &[&keeper.key], MarginError::OracleNotTrading, &watched);
    assert_eq!(debt_of(&mut env, &account, &usdc), debt_before);
}

// ---------------------------------------------------------------------------
// Documented behaviour: the per-step fraction is not a rate limit.
// ---------------------------------------------------------------------------

/// Documented (docs/keeper.md). `max_fraction_bps` caps one
/// instruction, not a period: a keeper packs steps into one transaction until the
/// ratio reaches the threshold, collecting the bonus on all of it. With a 25%
/// fraction the owner may expect at most 25% of the debt repaid per block or
/// so; four steps in one transaction repay 68%.
#[test]
fn documents_a_keeper_chains_fraction_steps_in_one_transaction() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Pull);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let (owner, account) = env.borrower(&sol, &usdc, 100_000_000_000, 7_000_000_000);
    protect(&mut env, &owner, &account, Protection { threshold_bps: 30_000, ..PROTECTION });
    let keeper = Liquidator::new(&mut env, &[usdc]);
    let ixs: Vec<Instruction> =
        (0..4).map(|_| deleverage_ix(&mut env, &keeper, &account, &sol, &usdc, u64::MAX)).collect();
    env.svm.process(&ixs, &[&keeper.key]).expect("four steps in one transaction");
    let debt = debt_of(&mut env, &account, &usdc);
    // 7,000 x 0.75^4 = 2,214.84 USDC left: 68% repaid in one transaction.
    assert!(debt <= 2_214_844_000, "debt left {debt}");
}

/// Documented (docs/keeper.md): the band uses Maintenance prices of the update passed.
/// The band is judged at Maintenance prices (spot - k x conf) of the update the
/// keeper passes: an account at 1.157, outside its 1.15 band at a tight price,
/// enters it with a genuine update of the same second carrying a 1% interval,
/// and the keeper takes its bonus on a quarter of the debt.
#[test]
fn documents_a_keeper_enters_the_band_with_a_wider_update_of_the_same_second() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Pull);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let (owner, account) = env.borrower(&sol, &usdc, 100_000_000_000, 7_000_000_000);
    protect(&mut env, &owner, &account, Protection { threshold_bps: 11_500, ..PROTECTION });
    let keeper = Liquidator::new(&mut env, &[usdc]);
    let watched = [account, keeper.margin, sol.pool, usdc.pool, keeper.wallet(&usdc)];
    let now = env.svm.now();
    env.set_price(&sol, price(100.0, 0, now));
    let ix = deleverage_ix(&mut env, &keeper, &account, &sol, &usdc, u64::MAX);
    env.expect_error(&[ix], &[&keeper.key], MarginError::OutsideProtectionBand, &watched);

    let setup = env.oracles[&sol.pool];
    let wide = Pubkey::new_unique();
    let data = pyth::price_update_v2(&setup.address, Verification::Full, &price(100.0, 100, now), 1);
    env.svm.set_account(
        &wide,
        Account {
            lamports: 10_000_000,
            data,
            owner: Pubkey::new_from_array(PYTH_RECEIVER_PROGRAM_ID),
            ..Account::default()
        },
    );
    let ix = swap_account(deleverage_ix(&mut env, &keeper, &account, &sol, &usdc, u64::MAX), &setup.account, &wide);
    env.svm.process(&[ix], &[&keeper.key]).expect("the wider update puts the account in the band");
    assert_eq!(debt_of(&mut env, &account, &usdc), 5_250_000_000);
}

/// Documented (docs/keeper.md). `deleverage` carries only `max_repay`:
/// the keeper cannot bind the bonus or fraction it priced. The owner (or anyone
/// watching who controls the owner key) lands `set_protection` first, with no
/// bonus and the whole debt per step: the keeper's step then repays all 7,000
/// USDC for collateral at spot, no bonus, far more than it meant to buy.
#[test]
fn documents_the_owner_front_runs_a_keeper_with_new_settings() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Pull);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let (owner, account) = env.borrower(&sol, &usdc, 100_000_000_000, 7_000_000_000);
    protect(&mut env, &owner, &account, PROTECTION);
    let keeper = Liquidator::new(&mut env, &[usdc]);
    let keeper_ix = deleverage_ix(&mut env, &keeper, &account, &sol, &usdc, u64::MAX);
    protect(&mut env, &owner, &account, Protection { max_fraction_bps: 10_000, bonus_bps: 0, ..PROTECTION });
    env.svm.process(&[keeper_ix], &[&keeper.key]).expect("the keeper's step lands on the new settings");
    // The debt is gone (its slot released).
    assert!(env.margin(&account).active().iter().all(|p| p.borrow_shares == 0));
    // 70 SOL for 7,000 USDC: no bonus at all.
    let shares = env.margin(&keeper.margin).active()[0].deposit_shares;
    let lamports = fixed::mul_q64_floor(shares, env.pool(&sol).deposit_share_value()).unwrap();
    assert_eq!(lamports, 70_000_000_000);
}

// ---------------------------------------------------------------------------
// Attacks the program resists.
// ---------------------------------------------------------------------------

/// Dust steps (1 micro-USDC each, many per transaction) cannot extract
/// more than the repaid value plus the owner's bonus: amounts round against the
/// keeper and each step must raise the ratio.
#[test]
fn resists_dust_steps_extracting_more_than_the_bonus() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Pull);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let (owner, account) = env.borrower(&sol, &usdc, 100_000_000_000, 7_000_000_000);
    protect(&mut env, &owner, &account, PROTECTION);
    let keeper = Liquidator::new(&mut env, &[usdc]);
    let before = env.health_cache(&account).health().unwrap();
    let wallet = keeper.wallet(&usdc);
    let paid_before = env.svm.token_balance(&wallet);
    for max_repay in [1u64, 3, 7, 99] {
        let ixs: Vec<Instruction> =
            (0..8).map(|_| deleverage_ix(&mut env, &keeper, &account, &sol, &usdc, max_repay)).collect();
        // Either every step lands (each improving) or the whole batch is refused.
        let _ = env.svm.process(&ixs, &[&keeper.key]);
    }
    let paid = paid_before - env.svm.token_balance(&wallet);
    let shares = env.margin(&keeper.margin).active().first().map(|p| p.deposit_shares).unwrap_or(0);
    let lamports = fixed::mul_q64_floor(shares, env.pool(&sol).deposit_share_value()).unwrap();
    // $100 per SOL = 1e-7 $ per lamport; $1e-6 per micro-USDC.
    let value_got = lamports as f64 * 1e-7;
    let value_paid = paid as f64 * 1e-6;
    assert!(value_got <= value_paid * 1.01 + 1e-12, "got ${value_got} for ${value_paid}");
    let after = env.health_cache(&account).health().unwrap();
    assert!(ratio(&after) >= ratio(&before));
}

/// Aliasing: the keeper's margin account as the account deleveraged,
/// the same pool as collateral and debt, and the owner as keeper are refused.
#[test]
fn resists_aliasing_the_keeper_the_account_and_the_pools() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Pull);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let (owner, account) = env.borrower(&sol, &usdc, 100_000_000_000, 7_000_000_000);
    protect(&mut env, &owner, &account, PROTECTION);
    let keeper = Liquidator::new(&mut env, &[usdc]);
    let watched = [account, keeper.margin, sol.pool, usdc.pool, keeper.wallet(&usdc)];

    let ix = deleverage_ix(&mut env, &keeper, &account, &sol, &usdc, u64::MAX);
    let ix = swap_account(ix, &keeper.margin, &account);
    env.expect_error(&[ix], &[&keeper.key], MarginError::DuplicateAccount, &watched);

    let ix = deleverage_ix(&mut env, &keeper, &account, &usdc, &usdc, u64::MAX);
    env.expect_error(&[ix], &[&keeper.key], MarginError::SamePool, &watched);

    // The owner as its own keeper (its own wallet and a second account).
    let owner_margin = env.open_cross(&owner, 1);
    let owner_wallet = env.token_account(&usdc, &owner.pubkey(), 1_000_000_000_000);
    let owner_keeper =
        Liquidator { key: owner.insecure_clone(), margin: owner_margin, wallets: vec![(usdc.pool, owner_wallet)] };
    let ix = deleverage_ix(&mut env, &owner_keeper, &account, &sol, &usdc, u64::MAX);
    env.expect_error(&[ix], &[&owner], MarginError::SelfLiquidation, &watched);
}
