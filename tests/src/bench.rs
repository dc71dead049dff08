//! Compute-unit cases: each runs the user's whole transaction in the SVM and
//! records the units the runtime charged. Used by `scripts/bench.sh` (table +
//! JSON) and by the ceiling tests.

use margin_client::instructions::{self, RepayAmount, WithdrawAmount};
use margin_interface::fixed;
use solana_sdk::{message::Message, signature::Signer, transaction::Transaction};

use crate::{Env, Feed};

/// Largest legacy transaction (bytes), the packet limit on a real cluster.
pub const PACKET_LIMIT: usize = 1232;

/// One measured case.
#[derive(Clone, Debug)]
pub struct Case {
    pub name: String,
    pub compute_units: u64,
    /// Positions in the health check, where one runs.
    pub positions: Option<usize>,
    /// Serialized size as a legacy transaction.
    pub tx_bytes: Option<usize>,
}

fn case(name: &str, compute_units: u64) -> Case {
    Case { name: name.to_string(), compute_units, positions: None, tx_bytes: None }
}

/// Account creation with a client-supplied bump (one hash per bump at or above it):
/// a group, a pool (three PDAs) and a cross margin account. Fixed keys, so the
/// addresses, their bumps and the units are the same every run.
fn creation_cases(out: &mut Vec<Case>) {
    use solana_sdk::{pubkey::Pubkey, signature::Keypair};
    let mut env = Env::new();
    let payer = env.svm.payer().pubkey();
    let admin = env.svm.fund(Keypair::new_from_array([11; 32]), 10_000_000_000);
    let ix = instructions::init_group(&payer, &admin.pubkey(), 1, &admin.pubkey());
    let landed = env.svm.process(&[ix], &[&admin]).expect("init_group");
    out.push(case("init_group", landed.compute_units));

    let group = margin_client::pda::group(&admin.pubkey(), 1);
    let mint = env.svm.create_mint_at(Pubkey::new_from_array([12; 32]), 6, &margin_client::spl_token_id());
    let keys = margin_client::pda::PoolKeys::derive(&group, &mint, &margin_client::spl_token_id());
    let ix = instructions::create_pool(&payer, &admin.pubkey(), &keys, margin_client::config::default_pool_config());
    let landed = env.svm.process(&[ix], &[&admin]).expect("create_pool");
    out.push(case("create_pool", landed.compute_units));

    let owner = env.svm.fund(Keypair::new_from_array([13; 32]), 10_000_000_000);
    let ix = instructions::open_margin_account(&payer, &owner.pubkey(), &group, 0, instructions::OpenKind::Cross);
    let landed = env.svm.process(&[ix], &[&owner]).expect("open_margin_account");
    out.push(case("open_margin_account", landed.compute_units));
}

/// Deposit, accrue and withdraw on a pool with staged debt (no prices needed).
fn lending_cases(out: &mut Vec<Case>) {
    let mut env = Env::new();
    let usdc = env.add_pool(6);
    let user = env.user();
    let margin = env.open_cross(&user, 0);
    let source = env.token_account(&usdc, &user.pubkey(), 10_000_000);

    // A deposit that opens a new position (the case Solend's 53,331 CU refers to).
    let landed = env.deposit(&user, &margin, &usdc, &source, 5_000_000).expect("deposit");
    out.push(case("deposit", landed.compute_units));

    let now = env.svm.now();
    env.write_pool(&usdc, |pool| {
        pool.total_borrow_shares = 2_000_000;
        pool.borrow_share_value = fixed::store(fixed::ONE * 21 / 20);
        pool.last_accrual_ts = now;
    });
    env.svm.advance_time(3_600);
    let landed = env.svm.process(&[instructions::accrue_interest(&usdc.pool)], &[]).expect("accrue");
    out.push(case("accrue_interest", landed.compute_units));

    env.svm.advance_time(3_600);
    let ix = instructions::withdraw(&user.pubkey(), &margin, &usdc, &source, WithdrawAmount::Exact(1_000_000));
    let landed = env.svm.process(&[ix], &[&user]).expect("withdraw");
    out.push(case("withdraw", landed.compute_units));
}

/// Isolated borrow, repay and a health-gated withdrawal.
fn isolated_cases(out: &mut Vec<Case>) {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Pull);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Pull);
    env.lend(&usdc, 1_000_000_000_000);
    let user = env.user();
    let margin = env.open_isolated(&user, 0, &sol, &usdc);
    let sol_wallet = env.token_account(&sol, &user.pubkey(), 100_000_000_000);
    env.deposit(&user, &margin, &sol, &sol_wallet, 100_000_000_000).unwrap();
    let usdc_wallet = env.token_account(&usdc, &user.pubkey(), 0);

    let landed = env.borrow(&user, &margin, &usdc, &usdc_wallet, 1_000_000_000).expect("isolated borrow");
    out.push(Case { positions: Some(2), ..case("borrow_isolated_tx", landed.compute_units) });

    env.svm.advance_time(600);
    env.refresh_prices();
    let ix = instructions::repay(&user.pubkey(), &margin, &usdc, &usdc_wallet, RepayAmount::Exact(100_000_000));
    let landed = env.svm.process(&[ix], &[&user]).expect("repay");
    out.push(case("repay_tx", landed.compute_units));

    let metas = env.health_metas_after(&margin, None);
    let ix = instructions::withdraw_with_health(
        &user.pubkey(),
        &margin,
        &sol,
        &sol_wallet,
        WithdrawAmount::Exact(1_000_000_000),
        &metas,
    );
    let landed = env.svm.process(&[ix], &[&user]).expect("withdraw with debt");
    out.push(Case { positions: Some(2), ..case("withdraw_with_debt_tx", landed.compute_units) });
}

/// A cross account whose health check covers `positions` pools after the borrow:
/// `positions - 1` collateral pools and the borrowed pool (at least one collateral).
/// `stressed`: every pool has a stress move (15%) and an adaptive term (3x EMA
/// confidence), so the stress scenario is valued for every position.
fn cross_borrow(positions: usize, stressed: bool) -> Case {
    let mut env = Env::new();
    let collateral_count = positions.saturating_sub(1).max(1);
    let stress = |env: &mut Env, keys: &margin_client::pda::PoolKeys| {
        if stressed {
            env.write_pool(keys, |pool| {
                pool.config.stress_bps = 1_500;
                pool.config.stress_confidence_multiplier_pct = 300;
            });
        }
    };
    let usdc = env.add_priced_pool(6, 1.0, Feed::Pull);
    stress(&mut env, &usdc);
    env.lend(&usdc, 1_000_000_000_000);
    let user = env.user();
    let margin = env.open_cross(&user, 0);
    for i in 0..collateral_count {
        let feed = if i % 2 == 0 { Feed::Pull } else { Feed::Legacy };
        let keys = env.add_priced_pool([9, 8, 6][i % 3], 10.0 + i as f64, feed);
        stress(&mut env, &keys);
        let wallet = env.token_account(&keys, &user.pubkey(), 1_000_000_000);
        env.deposit(&user, &margin, &keys, &wallet, 1_000_000_000).unwrap();
    }
    let wallet = env.token_account(&usdc, &user.pubkey(), 0);
    let ix = env.borrow_ix(&user, &margin, &usdc, &wallet, 1_000_000);
    let checked = (ix.accounts.len() - 9) / 2;
    // What a client sends: legacy when it fits, otherwise v0 with a lookup table
    // of every non-signer account.
    let table_addresses = ix.accounts.iter().filter(|m| !m.is_signer).map(|m| m.pubkey).collect();
    let table = env.lookup_table(table_addresses);
    let (landed, tx_bytes) = env.svm.process_with_tables(&[ix], &[&user], &[table]).expect("cross borrow");
    Case {
        name: format!("borrow_cross_{}{positions}", if stressed { "stressed_" } else { "" }),
        compute_units: landed.compute_units,
        positions: Some(checked),
        tx_bytes: Some(tx_bytes),
    }
}

/// Serialized size of a legacy transaction signed by payer and owner.
fn bincode_size(tx: &Transaction) -> usize {
    // signatures (short-vec count + 64 bytes each) + message.
    let signatures = tx.message.header.num_required_signatures as usize;
    1 + 64 * signatures + tx.message.serialize().len()
}

/// A liquidation of an account with `positions` positions (one debt, the rest
/// collateral) after its collateral prices fall 30%.
fn liquidation(name: &str, isolated: bool, positions: usize) -> Case {
    let mut env = Env::new();
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    env.lend(&usdc, 1_000_000_000_000);
    let user = env.user();
    let collateral: Vec<_> = (0..positions - 1)
        .map(|i| env.add_priced_pool(9, 100.0, if i % 2 == 0 { Feed::Pull } else { Feed::Legacy }))
        .collect();
    let margin = if isolated { env.open_isolated(&user, 0, &collateral[0], &usdc) } else { env.open_cross(&user, 0) };
    for keys in &collateral {
        let wallet = env.token_account(keys, &user.pubkey(), 10_000_000_000);
        env.deposit(&user, &margin, keys, &wallet, 10_000_000_000).unwrap();
    }
    // Borrow close to the limit: $1,000 of collateral per pool at 0.8 / 1.1.
    let limit = (collateral.len() as u64) * 727_000_000;
    let wallet = env.token_account(&usdc, &user.pubkey(), 0);
    env.borrow(&user, &margin, &usdc, &wallet, limit).expect("borrow near the limit");
    for keys in &collateral {
        env.set_usd(keys, 70.0);
    }
    let liquidator = env.user();
    let liquidator_margin = env.open_cross(&liquidator, 0);
    let source = env.token_account(&usdc, &liquidator.pubkey(), 1_000_000_000_000);
    let metas = env.health_metas_after(&margin, None);
    let ix = instructions::liquidate(
        &liquidator.pubkey(),
        &liquidator_margin,
        &margin,
        &collateral[0],
        &usdc,
        &source,
        u64::MAX,
        &metas,
        &[],
    );
    let landed = env.svm.process(&[ix], &[&liquidator]).expect("liquidation");
    Case { positions: Some(positions), ..case(name, landed.compute_units) }
}

/// A deleverage step of an isolated account that opted in (threshold 1.2, a
/// quarter of the debt, 1% bonus), inside its band after a 5% collateral drop.
fn deleverage_isolated() -> Case {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Pull);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    env.lend(&usdc, 1_000_000_000_000);
    let user = env.user();
    let margin = env.open_isolated(&user, 0, &sol, &usdc);
    let wallet = env.token_account(&sol, &user.pubkey(), 100_000_000_000);
    env.deposit(&user, &margin, &sol, &wallet, 100_000_000_000).unwrap();
    let wallet = env.token_account(&usdc, &user.pubkey(), 0);
    env.borrow(&user, &margin, &usdc, &wallet, 7_000_000_000).expect("borrow");
    let protection = margin_interface::state::Protection {
        threshold_bps: 12_000,
        max_fraction_bps: 2_500,
        bonus_bps: 100,
        _padding: [0; 2],
    };
    let ix = instructions::set_protection(&user.pubkey(), &margin, protection);
    env.svm.process(&[ix], &[&user]).expect("set_protection");
    env.set_usd(&sol, 95.0);
    let keeper = env.user();
    let keeper_margin = env.open_cross(&keeper, 0);
    let source = env.token_account(&usdc, &keeper.pubkey(), 1_000_000_000_000);
    let metas = env.health_metas_after(&margin, None);
    let accounts = instructions::SeizeAccounts {
        keeper: keeper.pubkey(),
        keeper_margin,
        account: margin,
        asset: &sol,
        liability: &usdc,
        source,
        account_health: &metas,
        keeper_health: &[],
    };
    let ix = instructions::deleverage(&accounts, u64::MAX);
    let landed = env.svm.process(&[ix], &[&keeper]).expect("deleverage");
    Case { positions: Some(2), ..case("deleverage_isolated_tx", landed.compute_units) }
}

/// A borrow of an isolated account whose collateral is isolated-only with a debt
/// ceiling (the borrow's value is tallied), and the repay that releases it.
fn tallied_isolated_cases(out: &mut Vec<Case>) {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Pull);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Pull);
    let mut config = env.pool(&sol).config;
    config.flags = margin_interface::state::POOL_FLAG_ISOLATED_ONLY;
    config.isolated_debt_ceiling_micro_usd = 1_000_000_000_000;
    env.update_config(&sol, config);
    env.lend(&usdc, 1_000_000_000_000);
    let user = env.user();
    let margin = env.open_isolated(&user, 0, &sol, &usdc);
    let sol_wallet = env.token_account(&sol, &user.pubkey(), 100_000_000_000);
    env.deposit(&user, &margin, &sol, &sol_wallet, 100_000_000_000).unwrap();
    let usdc_wallet = env.token_account(&usdc, &user.pubkey(), 0);
    let landed = env.borrow(&user, &margin, &usdc, &usdc_wallet, 1_000_000_000).expect("tallied borrow");
    out.push(Case { positions: Some(2), ..case("borrow_isolated_tallied_tx", landed.compute_units) });
    let ix = instructions::repay_tallied(
        &user.pubkey(),
        &margin,
        &usdc,
        &usdc_wallet,
        RepayAmount::Exact(100_000_000),
        Some(&sol.pool),
    );
    let landed = env.svm.process(&[ix], &[&user]).expect("tallied repay");
    out.push(case("repay_tallied_tx", landed.compute_units));
}

/// The capital-less liquidation of an isolated account (`crate::flash`): flash
/// begin, borrow, liquidate, withdraw, swap on the fixture, repay, flash end.
fn flash_liquidation() -> Case {
    let mut market = crate::flash::FlashMarket::new();
    let planned = market.plan(u64::MAX);
    let transaction = market.transaction(&planned, true);
    let liquidator = market.liquidator.insecure_clone();
    let landed = market.env.svm.process(&transaction, &[&liquidator]).expect("flash liquidation");
    Case { positions: Some(2), tx_bytes: Some(landed.size), ..case("flash_liquidation_tx", landed.compute_units) }
}

/// Flash begin, a borrow of 1,000 USDC, its repayment and flash end (with the
/// health check of a cross account holding SOL and a small USDC debt).
fn flash_round_trip() -> Case {
    let mut env = Env::new();
    let sol = env.add_priced_pool(9, 100.0, Feed::Pull);
    let usdc = env.add_priced_pool(6, 1.0, Feed::Legacy);
    let (user, margin) = env.borrower(&sol, &usdc, 100_000_000_000, 1_000_000);
    let wallet = *env.token_accounts_of(&usdc.mint).last().expect("borrower's USDC wallet");
    let owner = user.pubkey();
    let end_health = env.health_metas_after(&margin, None);
    let steps = vec![
        instructions::borrow(&owner, &margin, &usdc, &wallet, 1_000_000_000, &[]),
        instructions::repay(&owner, &margin, &usdc, &wallet, RepayAmount::Exact(1_000_000_000)),
    ];
    let transaction = instructions::flash_wrap(&owner, &margin, 0, steps, &end_health);
    let landed = env.svm.process(&transaction, &[&user]).expect("flash round trip");
    Case { positions: Some(2), tx_bytes: Some(landed.size), ..case("flash_round_trip_tx", landed.compute_units) }
}

/// Every case, in a stable order, plus the health slope.
pub fn run_all() -> Vec<Case> {
    let mut out = Vec::new();
    creation_cases(&mut out);
    lending_cases(&mut out);
    isolated_cases(&mut out);
    tallied_isolated_cases(&mut out);
    let cross: Vec<Case> = [1, 2, 4, 8, 16].into_iter().map(|n| cross_borrow(n, false)).collect();
    let slope = slope_of(&cross);
    out.extend(cross);
    out.push(case("health_cu_per_position", slope));
    let stressed: Vec<Case> = [2, 4, 8, 16].into_iter().map(|n| cross_borrow(n, true)).collect();
    let slope = slope_of(&stressed);
    out.extend(stressed);
    out.push(case("health_cu_per_position_stressed", slope));
    out.push(liquidation("liquidate_isolated_tx", true, 2));
    out.push(liquidation("liquidate_cross_8_tx", false, 8));
    out.push(deleverage_isolated());
    out.push(flash_liquidation());
    out.push(flash_round_trip());
    out
}

/// CU per position checked: the least-squares slope over the cases' sizes.
fn slope_of(cases: &[Case]) -> u64 {
    let points: Vec<(f64, f64)> = cases.iter().map(|c| (c.positions.unwrap() as f64, c.compute_units as f64)).collect();
    let n = points.len() as f64;
    let (sx, sy) = points.iter().fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let (sxx, sxy) = points.iter().fold((0.0, 0.0), |(a, b), (x, y)| (a + x * x, b + x * y));
    ((n * sxy - sx * sy) / (n * sxx - sx * sx)).round() as u64
}

/// Most positions (pool + oracle each) whose cross borrow still fits a legacy
/// transaction signed by payer and owner: the size depends only on how many
/// distinct accounts the borrow names, so distinct random keys stand in for them.
pub fn max_legacy_positions() -> usize {
    use margin_client::pda::PoolKeys;
    use solana_sdk::{instruction::AccountMeta, pubkey::Pubkey};
    let owner = Pubkey::new_unique();
    let payer = Pubkey::new_unique();
    let keys = PoolKeys::derive(&Pubkey::new_unique(), &Pubkey::new_unique(), &margin_client::spl_token_id());
    (1..=16)
        .take_while(|&positions| {
            // The borrowed pool is among the health accounts: one pair reuses it.
            let mut metas = vec![
                AccountMeta::new_readonly(keys.pool, false),
                AccountMeta::new_readonly(Pubkey::new_unique(), false),
            ];
            for _ in 1..positions {
                metas.push(AccountMeta::new_readonly(Pubkey::new_unique(), false));
                metas.push(AccountMeta::new_readonly(Pubkey::new_unique(), false));
            }
            let ix = instructions::borrow(&owner, &Pubkey::new_unique(), &keys, &Pubkey::new_unique(), 1, &metas);
            let tx = Transaction::new_unsigned(Message::new(&[ix], Some(&payer)));
            bincode_size(&tx) <= PACKET_LIMIT
        })
        .last()
        .unwrap_or(0)
}

/// Renders the results as a table.
pub fn table(cases: &[Case]) -> String {
    let mut out = format!("{:<26} {:>9} {:>10} {:>9}\n{}\n", "case", "CU", "positions", "tx bytes", "-".repeat(57));
    for c in cases {
        let positions = c.positions.map(|p| p.to_string()).unwrap_or_default();
        let bytes = c.tx_bytes.map(|b| format!("{b}{}", if b > PACKET_LIMIT { "*" } else { "" })).unwrap_or_default();
        out.push_str(&format!("{:<26} {:>9} {:>10} {:>9}\n", c.name, c.compute_units, positions, bytes));
    }
    out.push_str(&format!(
        "* over the {PACKET_LIMIT}-byte limit (never expected: larger borrows go out as v0 with a lookup table)\n"
    ));
    out.push_str(&format!(
        "a cross borrow fits a legacy transaction (no lookup table) up to {} positions; beyond, v0 + lookup table\n",
        max_legacy_positions()
    ));
    out
}

/// Renders the results as `{"case": cu}` JSON.
pub fn json(cases: &[Case]) -> String {
    let body: Vec<String> = cases.iter().map(|c| format!("  \"{}\": {}", c.name, c.compute_units)).collect();
    format!("{{\n{}\n}}\n", body.join(",\n"))
}
