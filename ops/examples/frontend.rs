//! A dApp frontend's flow: open a cross account, deposit, borrow with the health
//! accounts packed by the SDK, ask the program for health, and show the risk
//! report (deltas, liquidation prices, shocks; greeks and liquidation
//! probabilities) before the user borrows more.
//!
//! Run: `scripts/build-sbf.sh && cargo run -p margin-client --example frontend`

use std::collections::HashMap;

use margin_client::{
    accounts,
    config::default_pool_config,
    health::{health_account_metas, positions_after, to_usd, HealthCache},
    instructions,
    oracle::price_update_v2,
    pda::{self, PoolKeys},
    risk::{greeks, risk_report, RiskOptions},
    spl_token_id,
};
use margin_interface::{
    health::{Health, Unpriced},
    oracle::{OraclePrice, Verification, PYTH_RECEIVER_PROGRAM_ID},
    state::OracleKind,
};
use margin_sim::svm::Svm;
use solana_sdk::{account::Account, pubkey::Pubkey, signature::Signer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut svm = Svm::new();
    let admin = svm.create_user(100_000_000_000);
    let payer = svm.payer().pubkey();
    svm.process(&[instructions::init_group(&payer, &admin.pubkey(), 0, &admin.pubkey())], &[&admin])?;
    let group = pda::group(&admin.pubkey(), 0);

    // Two pools priced by Pyth pull updates (feed id in the config, update account passed).
    let mut oracles = HashMap::new();
    let mut pools = Vec::new();
    for (decimals, usd) in [(9u8, 150.0), (6, 1.0)] {
        let mint = svm.create_mint(decimals, &spl_token_id());
        let keys = PoolKeys::derive(&group, &mint, &spl_token_id());
        let feed = Pubkey::new_unique().to_bytes();
        let mut config = default_pool_config();
        config.oracle.kind = OracleKind::PythPull as u8;
        config.oracle.address = feed;
        svm.process(&[instructions::create_pool(&payer, &admin.pubkey(), &keys, config)], &[&admin])?;
        let update = Pubkey::new_unique();
        let mantissa = (usd * 1e8) as i64;
        let price = OraclePrice {
            price: mantissa,
            conf: 0,
            expo: -8,
            publish_time: svm.now(),
            ema_price: mantissa,
            ema_conf: 0,
        };
        let data = price_update_v2(&feed, Verification::Full, &price, 1);
        svm.set_account(
            &update,
            Account {
                lamports: 1_000_000,
                data,
                owner: Pubkey::new_from_array(PYTH_RECEIVER_PROGRAM_ID),
                ..Account::default()
            },
        );
        oracles.insert(keys.pool, update);
        pools.push(keys);
    }
    let (sol, usdc) = (pools[0], pools[1]);

    // Liquidity from a lender, then the user's flow.
    let lender = svm.create_user(1_000_000_000);
    svm.process(
        &[instructions::open_margin_account(&payer, &lender.pubkey(), &group, 0, instructions::OpenKind::Cross)],
        &[&lender],
    )?;
    let lender_account = pda::margin_account(&group, &lender.pubkey(), 0);
    let lender_usdc = svm.create_token_account(&usdc.mint, &lender.pubkey(), 10_000_000_000, &spl_token_id());
    svm.process(
        &[instructions::deposit(&lender.pubkey(), &lender_account, &usdc, &lender_usdc, 10_000_000_000)],
        &[&lender],
    )?;

    let user = svm.create_user(1_000_000_000);
    svm.process(
        &[instructions::open_margin_account(&payer, &user.pubkey(), &group, 0, instructions::OpenKind::Cross)],
        &[&user],
    )?;
    let account = pda::margin_account(&group, &user.pubkey(), 0);
    let sol_wallet = svm.create_token_account(&sol.mint, &user.pubkey(), 10_000_000_000, &spl_token_id());
    let usdc_wallet = svm.create_token_account(&usdc.mint, &user.pubkey(), 0, &spl_token_id());
    svm.process(&[instructions::deposit(&user.pubkey(), &account, &sol, &sol_wallet, 10_000_000_000)], &[&user])?;

    // Borrow: health accounts for the positions the account will have afterwards.
    let data = accounts::margin_account(&svm.data(&account))?;
    let metas = health_account_metas(&positions_after(&data, Some(&usdc.pool)), |p| oracles[p]);
    svm.process(&[instructions::borrow(&user.pubkey(), &account, &usdc, &usdc_wallet, 800_000_000, &metas)], &[&user])?;

    // The program as the source of truth.
    let data = accounts::margin_account(&svm.data(&account))?;
    let metas = health_account_metas(data.active(), |p| oracles[p]);
    let landed = svm.process(&[instructions::health(&account, &metas)], &[])?;
    let health = Health::from_bytes(&landed.return_data).ok_or("no health returned")?;
    println!("initial health ${:.2}, maintenance ${:.2}", to_usd(health.initial), to_usd(health.maintenance));

    // Risk report from the same engine, off chain.
    let mut fetched = HashMap::new();
    for meta in &metas {
        fetched.insert(meta.pubkey, svm.account(&meta.pubkey).ok_or("missing account")?);
    }
    let report = risk_report(&data, &fetched, |p| oracles[p], svm.now(), &[-0.1, -0.3, 0.3], &[usdc.pool])?;
    for asset in &report.assets {
        println!(
            "pool {}: price ${:.2}, delta ${:.2} per +1%, liquidation price {:?}",
            asset.pool, asset.price, asset.delta_per_percent, asset.liquidation_price
        );
    }
    for (shock, health) in &report.shocks {
        println!("shock {:+.0}%: maintenance health ${health:.2}", shock * 100.0);
    }

    // Greeks and liquidation probabilities (1 h, 24 h, 7 d). These feeds publish no
    // confidence, so the volatility is given: 80% a year for SOL.
    let cache = HealthCache::load(&data, &fetched, |p| oracles[p], svm.now(), Unpriced::ZeroDeposits)?;
    let mut options = RiskOptions::default();
    options.volatility.overrides.push((sol.pool, 0.8));
    let greeks = greeks(&cache, &options)?;
    for asset in greeks.assets.iter().filter(|a| a.sigma_annual > 0.0) {
        let distance: Vec<String> =
            asset.distance.iter().map(|d| d.map_or("-".into(), |d| format!("{d:.1}"))).collect();
        println!(
            "pool {}: gamma ${:.4}, sigma {:.0}%, distance to liquidation (sigmas over 1h/24h/7d) {}, penalty if liquidated ${:.2}",
            asset.pool,
            asset.gamma,
            asset.sigma_annual * 100.0,
            distance.join("/"),
            asset.penalty.map_or(0.0, |p| p.penalty_usd)
        );
    }
    println!("P(liquidatable within 1h/24h/7d): {:?} ({:?})", greeks.probability, greeks.method);
    Ok(())
}
