//! borrow: the Initial-health limit to the unit, EMA caps on pumped collateral,
//! isolation, caps, status and liquidity.

use margin_client::instructions;
use margin_interface::{error::MarginError, oracle::OraclePrice, state::PoolStatus};
use margin_tests::{usd_price, Env, Feed};
use solana_sdk::{
    pubkey::Pubkey,
    signature::{Keypair, Signer},
};

/// SOL (9 dec, $100) collateral and a USDC (6 dec, $1) pool with 10,000 USDC of
/// liquidity from a lender. Returns (env, sol, usdc, borrower, margin, usdc wallet).
fn setup(feed: Feed) -> (Env, margin_client::pda::PoolKeys, margin_client::pda::PoolKeys, Keypair, Pubkey, Pubkey) {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, feed);
    let usdc = env.add_priced_pool(6, 1.0, feed);
    env.lend(&usdc, 10_000_000_000);

    let borrower = env.user();
    let margin = env.open_cross(&borrower, 0);
    let sol_wallet = env.token_account(&sol, &borrower.pubkey(), 100_000_000_000);
    env.deposit(&borrower, &margin, &sol, &sol_wallet, 100_000_000_000).unwrap();
    let usdc_wallet = env.token_account(&usdc, &borrower.pubkey(), 0);
    (env, sol, usdc, borrower, margin, usdc_wallet)
}

/// Largest borrow at Initial health 0, by exact integer arithmetic:
/// collateral * P_c * w_a >= debt * P_d * w_l, prices as expo -8 mantissas.
fn max_borrow(
    collateral: u128,
    collateral_decimals: u32,
    collateral_mantissa: u128,
    asset_weight_bps: u128,
    debt_decimals: u32,
    debt_mantissa: u128,
    liability_weight_bps: u128,
) -> u64 {
    let numerator = collateral * collateral_mantissa * asset_weight_bps * 10u128.pow(debt_decimals);
    let denominator = 10u128.pow(collateral_decimals) * debt_mantissa * liability_weight_bps;
    (numerator / denominator) as u64
}

#[test]
fn borrow_to_exactly_the_limit_and_not_one_unit_more() {
    for feed in [Feed::Legacy, Feed::Pull] {
        let (mut env, sol, usdc, borrower, margin, wallet) = setup(feed);
        let config = env.pool(&sol).config;
        let limit = max_borrow(
            100_000_000_000,
            9,
            100 * 100_000_000,
            config.init_asset_weight_bps as u128,
            6,
            100_000_000,
            env.pool(&usdc).config.init_liab_weight_bps as u128,
        );
        assert_eq!(limit, 7_272_727_272, "100 SOL * $100 * 0.8 / ($1 * 1.1)");
        let watched = [margin, usdc.pool, usdc.vault, wallet];
        let ix = env.borrow_ix(&borrower, &margin, &usdc, &wallet, limit + 1);
        env.expect_error(&[ix], &[&borrower], MarginError::InsufficientHealth, &watched);
        env.borrow(&borrower, &margin, &usdc, &wallet, limit).expect("borrow to the limit");
        assert_eq!(env.svm.token_balance(&wallet), limit);
        let health = env.health(&margin).unwrap();
        assert!(health.initial >= 0 && health.initial < 1 << 64, "initial health is within a dollar of zero");
        // Not even one more unit now.
        let ix = env.borrow_ix(&borrower, &margin, &usdc, &wallet, 1);
        env.expect_error(&[ix], &[&borrower], MarginError::InsufficientHealth, &watched);
    }
}

#[test]
fn pumped_spot_price_does_not_raise_initial_borrowing_power_beyond_ema() {
    let (mut env, sol, usdc, borrower, margin, wallet) = setup(Feed::Pull);
    let now = env.svm.now();
    // Spot doubled, EMA still $100.
    env.set_price(
        &sol,
        OraclePrice { price: 200 * 100_000_000, ema_price: 100 * 100_000_000, ..usd_price(100.0, now) },
    );
    let limit = 7_272_727_272u64;
    let ix = env.borrow_ix(&borrower, &margin, &usdc, &wallet, limit + 1);
    env.expect_error(&[ix], &[&borrower], MarginError::InsufficientHealth, &[margin, usdc.pool]);
    env.borrow(&borrower, &margin, &usdc, &wallet, limit).expect("EMA-bounded limit");
    // Maintenance uses spot: the pump shows there, not in Initial.
    let health = env.health(&margin).unwrap();
    assert!(health.maintenance > health.initial);
}

#[test]
fn confidence_lowers_collateral_and_raises_debt() {
    let (mut env, sol, usdc, borrower, margin, wallet) = setup(Feed::Legacy);
    let now = env.svm.now();
    // conf = $1.50 on SOL: collateral counts at $98.50.
    env.set_price(&sol, OraclePrice { conf: 150_000_000, ema_conf: 150_000_000, ..usd_price(100.0, now) });
    let limit = max_borrow(100_000_000_000, 9, 9_850_000_000, 8_000, 6, 100_000_000, 11_000);
    assert_eq!(limit, 7_163_636_363);
    let ix = env.borrow_ix(&borrower, &margin, &usdc, &wallet, limit + 1);
    env.expect_error(&[ix], &[&borrower], MarginError::InsufficientHealth, &[margin]);
    env.borrow(&borrower, &margin, &usdc, &wallet, limit).expect("conf-adjusted limit");

    // The debt side: conf = $0.01 on USDC makes each unit of debt count at $1.01.
    let (mut env, _sol, usdc, borrower, margin, wallet) = setup(Feed::Legacy);
    let now = env.svm.now();
    env.set_price(&usdc, OraclePrice { conf: 1_000_000, ema_conf: 1_000_000, ..usd_price(1.0, now) });
    let limit = max_borrow(100_000_000_000, 9, 10_000_000_000, 8_000, 6, 101_000_000, 11_000);
    assert_eq!(limit, 7_200_720_072);
    let ix = env.borrow_ix(&borrower, &margin, &usdc, &wallet, limit + 1);
    env.expect_error(&[ix], &[&borrower], MarginError::InsufficientHealth, &[margin]);
    env.borrow(&borrower, &margin, &usdc, &wallet, limit).expect("debt counted at P + k conf");
}

#[test]
fn isolated_collateral_backs_only_its_own_debt() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let btc = env.add_priced_pool(8, 50_000.0, Feed::Pull);
    let lender = env.user();
    let lender_margin = env.open_cross(&lender, 0);
    for keys in [&usdc, &btc] {
        let wallet = env.token_account(keys, &lender.pubkey(), 1_000_000_000_000);
        env.deposit(&lender, &lender_margin, keys, &wallet, 1_000_000_000_000).unwrap();
    }
    let user = env.user();
    let isolated = env.open_isolated(&user, 0, &sol, &usdc);
    let cross = env.open_cross(&user, 1);
    let sol_wallet = env.token_account(&sol, &user.pubkey(), 10_000_000_000);
    env.deposit(&user, &isolated, &sol, &sol_wallet, 10_000_000_000).unwrap();
    let usdc_wallet = env.token_account(&usdc, &user.pubkey(), 0);
    let btc_wallet = env.token_account(&btc, &user.pubkey(), 0);

    // The isolated account borrows its debt pool only.
    let ix = env.borrow_ix(&user, &isolated, &btc, &btc_wallet, 1_000);
    env.expect_error(&[ix], &[&user], MarginError::IsolatedPoolMismatch, &[isolated, btc.pool]);
    // The cross account has nothing: the isolated SOL does not back it.
    let ix = env.borrow_ix(&user, &cross, &usdc, &usdc_wallet, 1);
    env.expect_error(&[ix], &[&user], MarginError::InsufficientHealth, &[cross, usdc.pool]);
    // Inside the isolated account: $1,000 * 0.8 / 1.1.
    env.borrow(&user, &isolated, &usdc, &usdc_wallet, 727_272_727).expect("isolated borrow");
    let ix = env.borrow_ix(&user, &isolated, &usdc, &usdc_wallet, 1);
    env.expect_error(&[ix], &[&user], MarginError::InsufficientHealth, &[isolated]);
}

#[test]
fn borrow_respects_caps_status_liquidity_and_own_deposits() {
    let (mut env, sol, usdc, borrower, margin, wallet) = setup(Feed::Legacy);
    let admin = env.admin.insecure_clone();
    let watched = [margin, usdc.pool, usdc.vault, wallet];

    let mut config = env.pool(&usdc).config;
    config.borrow_cap = 1_000_000;
    env.svm.process(&[instructions::update_pool_config(&admin.pubkey(), &usdc, config)], &[&admin]).unwrap();
    let ix = env.borrow_ix(&borrower, &margin, &usdc, &wallet, 1_000_001);
    env.expect_error(&[ix], &[&borrower], MarginError::BorrowCapExceeded, &watched);
    env.borrow(&borrower, &margin, &usdc, &wallet, 1_000_000).expect("exactly the cap");
    config.borrow_cap = u64::MAX;
    env.svm.process(&[instructions::update_pool_config(&admin.pubkey(), &usdc, config)], &[&admin]).unwrap();

    for (status, error) in
        [(PoolStatus::ReduceOnly, MarginError::PoolReduceOnly), (PoolStatus::Paused, MarginError::PoolPaused)]
    {
        env.svm.process(&[instructions::set_pool_status(&admin.pubkey(), &usdc, status)], &[&admin]).unwrap();
        let ix = env.borrow_ix(&borrower, &margin, &usdc, &wallet, 10);
        env.expect_error(&[ix], &[&borrower], error, &watched);
    }
    env.svm.process(&[instructions::set_pool_status(&admin.pubkey(), &usdc, PoolStatus::Active)], &[&admin]).unwrap();

    // Utilization cannot pass 100%: more than the idle 9,999 USDC (1 USDC is
    // already lent) is refused even with plenty of collateral.
    let whale_sol = env.token_account(&sol, &borrower.pubkey(), 1_000_000_000_000_000);
    env.deposit(&borrower, &margin, &sol, &whale_sol, 1_000_000_000_000_000).unwrap();
    let ix = env.borrow_ix(&borrower, &margin, &usdc, &wallet, 9_999_000_001);
    env.expect_error(&[ix], &[&borrower], MarginError::InsufficientLiquidity, &watched);
    env.borrow(&borrower, &margin, &usdc, &wallet, 9_999_000_000).expect("up to 100% utilization");
    assert_eq!(
        env.pool(&usdc).current_borrow_rate().unwrap(),
        env.pool(&usdc).config.rate_curve.max_rate_bps as u64 * 100_000
    );

    // Borrowing where you hold a deposit is refused.
    let sol_out = env.token_account(&sol, &borrower.pubkey(), 0);
    let ix = env.borrow_ix(&borrower, &margin, &sol, &sol_out, 1);
    env.expect_error(&[ix], &[&borrower], MarginError::DepositOutstanding, &[margin, sol.pool]);
}

#[test]
fn pool_without_oracle_cannot_be_borrowed() {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Legacy);
    let plain = env.add_unpriced_pool(6);
    let user = env.user();
    let margin = env.open_cross(&user, 0);
    let sol_wallet = env.token_account(&sol, &user.pubkey(), 1_000_000_000);
    env.deposit(&user, &margin, &sol, &sol_wallet, 1_000_000_000).unwrap();
    let wallet = env.token_account(&plain, &user.pubkey(), 0);
    let ix = env.borrow_ix(&user, &margin, &plain, &wallet, 10);
    env.expect_error(&[ix], &[&user], MarginError::OracleNotConfigured, &[margin, plain.pool]);
}

/// The client's health cache gives frontends the program's limits to the unit:
/// `max_borrow` (a new debt pool, then the same pool again) and `max_withdraw`
/// with debt pass, one unit more is refused; the cache's health is the program's.
#[test]
fn client_max_borrow_and_max_withdraw_are_the_programs_limits() {
    let (mut env, sol, usdc, borrower, margin, wallet) = setup(Feed::Pull);
    assert_eq!(env.health_cache(&margin).health().unwrap(), env.health(&margin).unwrap());
    let usdc_pool = env.pool(&usdc);
    let usdc_price = env.validated_price(&usdc);
    let watched = [margin, usdc.pool, usdc.vault, wallet];
    for step in 0..2 {
        // First into a new position, then (after half) into the existing one.
        let cache = env.health_cache(&margin);
        let limit = cache.max_borrow(&usdc.pool, &env.pool(&usdc), &usdc_price).unwrap();
        if step == 0 {
            // The independent model above: 100 SOL * $100 * 0.8 / ($1 * 1.1).
            assert_eq!(limit, 7_272_727_272);
            assert_eq!(usdc_pool.config.init_liab_weight_bps, 11_000);
            env.borrow(&borrower, &margin, &usdc, &wallet, limit / 2).expect("half the limit");
            continue;
        }
        let ix = env.borrow_ix(&borrower, &margin, &usdc, &wallet, limit + 1);
        env.expect_error(&[ix], &[&borrower], MarginError::InsufficientHealth, &watched);
        env.borrow(&borrower, &margin, &usdc, &wallet, limit).expect("the cache's limit passes");
        assert_eq!(env.health_cache(&margin).max_borrow(&usdc.pool, &env.pool(&usdc), &usdc_price).unwrap(), 0);
    }
    // Under a cent of room is left (9 lamports of SOL here); repaying 3,000 USDC
    // frees exactly what max_withdraw says.
    assert_eq!(env.health_cache(&margin).max_withdraw(&sol.pool).unwrap(), 9);
    let repay = instructions::repay(
        &borrower.pubkey(),
        &margin,
        &usdc,
        &wallet,
        instructions::RepayAmount::Exact(3_000_000_000),
    );
    env.svm.process(&[repay], &[&borrower]).expect("repay");
    let free = env.health_cache(&margin).max_withdraw(&sol.pool).unwrap();
    let sol_wallet = env.token_account(&sol, &borrower.pubkey(), 0);
    let metas = env.health_metas_after(&margin, None);
    let withdraw = |amount| {
        let amount = instructions::WithdrawAmount::Exact(amount);
        instructions::withdraw_with_health(&borrower.pubkey(), &margin, &sol, &sol_wallet, amount, &metas)
    };
    let watched = [margin, sol.pool, sol.vault, sol_wallet];
    env.expect_error(&[withdraw(free + 1)], &[&borrower], MarginError::InsufficientHealth, &watched);
    let exact = withdraw(free);
    env.svm.process(&[exact], &[&borrower]).expect("max_withdraw passes");
    assert_eq!(env.svm.token_balance(&sol_wallet), free);
}
