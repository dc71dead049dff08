//! The health engine: values against an independent model across decimals 6/8/9
//! and negative exponents, the `health` instruction, off-chain == on-chain to the
//! bit, and every kind of health-account tampering.

use std::collections::HashMap;

use margin_client::{
    health::{offchain_health, to_usd},
    instructions::{self, WithdrawAmount},
};
use margin_interface::{error::MarginError, health::ALL_LEVELS, oracle::OraclePrice};
use margin_tests::{swap_account, usd_price, Env, Feed};
use solana_sdk::{instruction::Instruction, pubkey::Pubkey, signature::Signer};

/// A cross account with SOL (9) and BTC (8) collateral and USDC (6) debt.
struct Cross {
    env: Env,
    pools: Vec<margin_client::pda::PoolKeys>,
    owner: solana_sdk::signature::Keypair,
    margin: Pubkey,
}

fn cross() -> Cross {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 150.0, Feed::Pull);
    let btc = env.add_priced_pool(8, 60_000.0, Feed::Legacy);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Pull);
    env.lend(&usdc, 1_000_000_000_000);
    let owner = env.user();
    let margin = env.open_cross(&owner, 0);
    let sol_wallet = env.token_account(&sol, &owner.pubkey(), 20_000_000_000);
    let btc_wallet = env.token_account(&btc, &owner.pubkey(), 10_000_000);
    env.deposit(&owner, &margin, &sol, &sol_wallet, 20_000_000_000).unwrap(); // 20 SOL = $3,000
    env.deposit(&owner, &margin, &btc, &btc_wallet, 10_000_000).unwrap(); // 0.1 BTC = $6,000
    let usdc_wallet = env.token_account(&usdc, &owner.pubkey(), 0);
    env.borrow(&owner, &margin, &usdc, &usdc_wallet, 5_000_000_000).unwrap(); // $5,000
    Cross { env, pools: vec![sol, btc, usdc], owner, margin }
}

#[test]
fn health_matches_an_independent_model() {
    let mut c = cross();
    let now = c.env.svm.now();
    // Give SOL a confidence band and a lagging EMA; BTC a 10^-5 exponent.
    c.env.set_price(
        &c.pools[0],
        OraclePrice {
            price: 15_000_000_000,
            conf: 30_000_000,
            expo: -8,
            publish_time: now,
            ema_price: 14_000_000_000,
            ema_conf: 20_000_000,
        },
    );
    c.env.set_price(
        &c.pools[1],
        OraclePrice {
            price: 6_000_000_000,
            conf: 1_000_000,
            expo: -5,
            publish_time: now,
            ema_price: 6_100_000_000,
            ema_conf: 1_000_000,
        },
    );
    let health = c.env.health(&c.margin).expect("health instruction");

    // Model (f64): weights 0.8/0.85 assets, 1.1/1.05 liabilities, k = 1.
    let sol_low_initial = (150.0f64 - 0.3).min(140.0 - 0.2);
    let sol_low_maint = 150.0 - 0.3;
    let btc_low_initial = (60_000.0f64 - 10.0).min(61_000.0 - 10.0);
    let btc_low_maint = 60_000.0 - 10.0;
    let debt = 5_000.0; // USDC at exactly $1, no interest yet (same second)
    let initial = 20.0 * sol_low_initial * 0.8 + 0.1 * btc_low_initial * 0.8 - debt * 1.1;
    let maintenance = 20.0 * sol_low_maint * 0.85 + 0.1 * btc_low_maint * 0.85 - debt * 1.05;
    let equity = 20.0 * 150.0 + 0.1 * 60_000.0 - debt;
    for (program, model, level) in [
        (health.initial, initial, "initial"),
        (health.maintenance, maintenance, "maintenance"),
        (health.equity, equity, "equity"),
    ] {
        assert!((to_usd(program) - model).abs() < 1e-6, "{level}: program {} vs model {model}", to_usd(program));
    }
}

#[test]
fn offchain_health_equals_onchain_to_the_bit() {
    let mut c = cross();
    let mut seed = 0x1234_5678_9abc_def1u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..12 {
        let now = c.env.svm.now();
        for (i, usd) in [150.0, 60_000.0, 1.0].into_iter().enumerate() {
            let jitter = 0.5 + (next() % 1000) as f64 / 1000.0;
            let mut price = usd_price(usd * jitter, now);
            price.conf = price.price as u64 / 1000 * (next() % 40);
            price.ema_price = (price.price as f64 * (0.9 + (next() % 200) as f64 / 1000.0)) as i64;
            price.ema_conf = price.conf / 2;
            c.env.set_price(&c.pools[i], price);
        }
        let onchain = c.env.health(&c.margin).expect("health");
        let account = c.env.margin(&c.margin);
        let mut fetched = HashMap::new();
        for keys in &c.pools {
            let oracle = c.env.oracles[&keys.pool].account;
            for key in [keys.pool, oracle] {
                fetched.insert(key, c.env.svm.account(&key).unwrap());
            }
        }
        let oracles = c.env.oracles.clone();
        let offchain =
            offchain_health(&account, &fetched, |pool| oracles[pool].account, now, ALL_LEVELS).expect("offchain");
        assert_eq!(onchain.to_bytes(), offchain.to_bytes(), "round {round}");
        c.env.svm.advance_time(1 + (next() % 5000) as i64);
        c.env.refresh_prices();
        c.env.svm.process(&[instructions::accrue_interest(&c.pools[2].pool)], &[]).unwrap();
    }
}

#[test]
fn tampered_health_accounts_are_errors() {
    let mut c = cross();
    let owner = c.owner.insecure_clone();
    let usdc = c.pools[2];
    let wallet = c.env.token_account(&usdc, &owner.pubkey(), 0);
    let good = c.env.borrow_ix(&owner, &c.margin, &usdc, &wallet, 1_000);
    let fixed_accounts = 9;
    let watched = [c.margin, usdc.pool, usdc.vault, wallet];
    let variant = |edit: &dyn Fn(&mut Instruction)| {
        let mut ix = good.clone();
        edit(&mut ix);
        ix
    };
    let cases: Vec<(Instruction, MarginError)> = vec![
        // Omitted: the last (pool, oracle) pair, or just the last oracle.
        (variant(&|ix| ix.accounts.truncate(ix.accounts.len() - 2)), MarginError::HealthAccountCount),
        (
            variant(&|ix| {
                ix.accounts.pop();
            }),
            MarginError::HealthAccountCount,
        ),
        // Extra account at the end.
        (
            variant(&|ix| {
                let extra = ix.accounts[fixed_accounts].clone();
                ix.accounts.push(extra);
            }),
            MarginError::HealthAccountCount,
        ),
        // Reordered pairs.
        (
            variant(&|ix| {
                ix.accounts.swap(fixed_accounts, fixed_accounts + 2);
                ix.accounts.swap(fixed_accounts + 1, fixed_accounts + 3);
            }),
            MarginError::HealthAccountMismatch,
        ),
        // Duplicated pair in place of another.
        (
            variant(&|ix| {
                let a = ix.accounts[fixed_accounts].clone();
                let b = ix.accounts[fixed_accounts + 1].clone();
                ix.accounts[fixed_accounts + 2] = a;
                ix.accounts[fixed_accounts + 3] = b;
            }),
            MarginError::HealthAccountMismatch,
        ),
        // Pool and oracle swapped within a pair.
        (variant(&|ix| ix.accounts.swap(fixed_accounts, fixed_accounts + 1)), MarginError::HealthAccountMismatch),
        // Another pool's oracle: same format (USDC's pull update for SOL) and a
        // different format (BTC's legacy account for SOL).
        (
            variant(&|ix| {
                let other = ix.accounts[fixed_accounts + 5].clone();
                ix.accounts[fixed_accounts + 1] = other;
            }),
            MarginError::OracleWrongAccount,
        ),
        (
            variant(&|ix| {
                let other = ix.accounts[fixed_accounts + 3].clone();
                ix.accounts[fixed_accounts + 1] = other;
            }),
            MarginError::OracleWrongOwner,
        ),
    ];
    for (ix, error) in cases {
        c.env.expect_error(&[ix], &[&owner], error, &watched);
    }
    // The margin account itself where a pool belongs.
    let sol_pool = c.pools[0].pool;
    let margin = c.margin;
    let mut ix = good.clone();
    ix.accounts[fixed_accounts].pubkey = margin;
    c.env.expect_error(&[ix], &[&owner], MarginError::HealthAccountMismatch, &watched);
    // A fake pool with the real pool's bytes but another owner.
    let fake = margin_tests::clone_account_to_owner(&mut c.env.svm, &sol_pool, &Pubkey::new_unique());
    let ix = swap_account(good.clone(), &sol_pool, &fake);
    c.env.expect_error(&[ix], &[&owner], MarginError::HealthAccountMismatch, &watched);
    c.env.svm.process(&[good], &[&owner]).expect("the untampered borrow works");
}

#[test]
fn withdraw_with_debt_is_health_gated() {
    let mut c = cross();
    let owner = c.owner.insecure_clone();
    let btc = c.pools[1];
    let wallet = c.env.token_account(&btc, &owner.pubkey(), 0);
    // Initial health: 20*150*0.8 + 0.1*60000*0.8 - 5000*1.1 = 2400 + 4800 - 5500 = 1700 USD.
    // BTC counts 60000*0.8 = 48000 USD per BTC: at most 0.0354166 BTC may leave.
    let metas = c.env.health_metas_after(&c.margin, None);
    let too_much = instructions::withdraw_with_health(
        &owner.pubkey(),
        &c.margin,
        &btc,
        &wallet,
        WithdrawAmount::Exact(3_541_667),
        &metas,
    );
    c.env.expect_error(
        &[too_much],
        &[&owner],
        MarginError::InsufficientHealth,
        &[c.margin, btc.pool, btc.vault, wallet],
    );
    let without_health = instructions::withdraw(&owner.pubkey(), &c.margin, &btc, &wallet, WithdrawAmount::Exact(1));
    c.env.expect_error(&[without_health], &[&owner], MarginError::HealthAccountCount, &[c.margin, btc.pool]);
    let ok = instructions::withdraw_with_health(
        &owner.pubkey(),
        &c.margin,
        &btc,
        &wallet,
        WithdrawAmount::Exact(3_541_666),
        &metas,
    );
    c.env.svm.process(&[ok], &[&owner]).expect("withdraw to the limit");
    assert!(c.env.health(&c.margin).unwrap().initial >= 0);
}
