//! The demo (the README's main job): a scripted scenario on the embedded SVM with
//! the real program. Today: a group, three pools, lenders in cross and isolated
//! accounts, time passing with the keeper's accrual crank, withdrawals, and a
//! summary that checks token conservation.

use solana_sdk::{pubkey::Pubkey, signature::{Keypair, Signer}};

use crate::{
    accounts,
    config::default_pool_config,
    instructions::{self, OpenKind, WithdrawAmount},
    pda::{self, PoolKeys},
    spl_token_id,
    svm::Svm,
};

/// Demo size.
#[derive(Clone, Copy, Debug)]
pub struct DemoConfig {
    /// Number of users (half cross, half isolated).
    pub users: usize,
    /// Simulated days.
    pub days: u32,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self { users: 24, days: 30 }
    }
}

/// One pool's line in the summary.
#[derive(Clone, Debug)]
pub struct PoolSummary {
    pub symbol: &'static str,
    pub decimals: u8,
    pub total_deposits: u128,
    pub total_debt: u128,
    pub vault_balance: u64,
    /// Tokens minted to users at the start.
    pub minted: u64,
    /// Tokens held by users' wallets at the end.
    pub held_by_users: u64,
}

/// What the demo did.
#[derive(Clone, Debug)]
pub struct DemoSummary {
    pub pools: Vec<PoolSummary>,
    pub accounts_opened: usize,
    pub transactions: usize,
}

struct Asset {
    symbol: &'static str,
    decimals: u8,
    keys: PoolKeys,
    minted: u64,
}

/// Runs the demo, reporting progress through `log`.
pub fn run(config: DemoConfig, mut log: impl FnMut(&str)) -> Result<DemoSummary, Box<dyn std::error::Error>> {
    let mut svm = Svm::new();
    let mut transactions = 0;
    let admin = svm.create_user(1_000_000_000_000);
    let payer = svm.payer().pubkey();
    svm.process(&[instructions::init_group(&payer, &admin.pubkey(), 1, &admin.pubkey())], &[&admin])?;
    transactions += 1;
    let group = pda::group(&admin.pubkey(), 1);
    log(&format!("group {group} created"));

    let mut assets = Vec::new();
    for (symbol, decimals) in [("SOL", 9u8), ("BTC", 8), ("USDC", 6)] {
        let mint = svm.create_mint(decimals, &spl_token_id());
        let keys = PoolKeys::derive(&group, &mint, &spl_token_id());
        svm.process(&[instructions::create_pool(&payer, &admin.pubkey(), &keys, default_pool_config())], &[&admin])?;
        transactions += 1;
        log(&format!("pool {symbol:<4} ({decimals} decimals) at {}", keys.pool));
        assets.push(Asset { symbol, decimals, keys, minted: 0 });
    }

    // Users: even ones lend through cross accounts in every pool, odd ones post
    // collateral in an isolated account (collateral pool i, debt pool i+1).
    let mut users: Vec<(Keypair, Pubkey, Vec<Pubkey>)> = Vec::new();
    for i in 0..config.users {
        let user = svm.create_user(10_000_000_000);
        let wallets: Vec<Pubkey> = assets
            .iter_mut()
            .map(|asset| {
                let amount = 1_000 * 10u64.pow(asset.decimals as u32) / (1 + i as u64 % 7);
                asset.minted += amount;
                svm.create_token_account(&asset.keys.mint, &user.pubkey(), amount, &asset.keys.token_program)
            })
            .collect();
        let (kind, first_pool) = if i % 2 == 0 {
            (OpenKind::Cross, 0)
        } else {
            let c = i % assets.len();
            let d = (i + 1) % assets.len();
            (OpenKind::Isolated { collateral_pool: assets[c].keys.pool, debt_pool: assets[d].keys.pool }, c)
        };
        svm.process(&[instructions::open_margin_account(&payer, &user.pubkey(), &group, 0, kind)], &[&user])?;
        transactions += 1;
        let margin = pda::margin_account(&group, &user.pubkey(), 0);
        let targets: Vec<usize> = match kind {
            OpenKind::Cross => (0..assets.len()).collect(),
            OpenKind::Isolated { .. } => vec![first_pool],
        };
        for a in targets {
            let balance = svm.token_balance(&wallets[a]);
            let ix = instructions::deposit(&user.pubkey(), &margin, &assets[a].keys, &wallets[a], balance / 2);
            svm.process(&[ix], &[&user])?;
            transactions += 1;
        }
        users.push((user, margin, wallets));
    }
    log(&format!("{} users opened accounts and deposited", users.len()));

    // Time passes; the keeper cranks every pool daily.
    for day in 1..=config.days {
        svm.advance_time(86_400);
        for asset in &assets {
            svm.process(&[instructions::accrue_interest(&asset.keys.pool)], &[])?;
            transactions += 1;
        }
        if day % 10 == 0 || day == config.days {
            log(&format!("day {day}: keeper accrued {} pools", assets.len()));
        }
    }

    // Everyone withdraws what they can.
    for (user, margin, wallets) in &users {
        let account = accounts::margin_account(&svm.data(margin))?;
        for position in account.active().to_vec() {
            if position.deposit_shares == 0 {
                continue;
            }
            let a = assets.iter().position(|asset| asset.keys.pool.to_bytes() == position.pool).expect("known pool");
            let ix = instructions::withdraw(&user.pubkey(), margin, &assets[a].keys, &wallets[a], WithdrawAmount::All);
            svm.process(&[ix], &[user])?;
            transactions += 1;
        }
    }
    log("every user withdrew");

    let mut pools = Vec::new();
    for (a, asset) in assets.iter().enumerate() {
        let pool = accounts::pool(&svm.data(&asset.keys.pool))?;
        let held_by_users = users.iter().map(|(_, _, wallets)| svm.token_balance(&wallets[a])).sum();
        pools.push(PoolSummary {
            symbol: asset.symbol,
            decimals: asset.decimals,
            total_deposits: pool.total_deposits()?,
            total_debt: pool.total_debt()?,
            vault_balance: svm.token_balance(&asset.keys.vault),
            minted: asset.minted,
            held_by_users,
        });
    }
    Ok(DemoSummary { pools, accounts_opened: users.len(), transactions })
}

/// Renders the summary table.
pub fn render(summary: &DemoSummary) -> String {
    let mut out = format!(
        "{:<6} {:>18} {:>14} {:>18} {:>18} {:>12}\n",
        "pool", "deposits", "debt", "vault", "users hold", "conserved"
    );
    for p in &summary.pools {
        let conserved = p.minted == p.held_by_users + p.vault_balance;
        out.push_str(&format!(
            "{:<6} {:>18} {:>14} {:>18} {:>18} {:>12}\n",
            p.symbol, p.total_deposits, p.total_debt, p.vault_balance, p.held_by_users, if conserved { "yes" } else { "NO" }
        ));
    }
    out.push_str(&format!("{} accounts, {} transactions\n", summary.accounts_opened, summary.transactions));
    out
}
