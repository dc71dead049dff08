//! The demo (the README's main job): a market on the embedded SVM with the real
//! program. A group with SOL, BTC and USDC pools priced by Pyth pull accounts;
//! lenders, isolated and cross borrowers; days pass with the keeper cranking
//! interest; SOL crashes; two liquidators race for the unhealthy accounts; bad
//! debt is written off. It ends with a summary and an SVG plot.

use std::collections::HashMap;

use margin_interface::{
    error::MarginError,
    health::{Health, MAINTENANCE},
    interest::{utilization, RATE_ONE, UTILIZATION_ONE},
    oracle::{OraclePrice, Verification, PYTH_RECEIVER_PROGRAM_ID},
    state::{OracleKind, Pool},
};
use solana_sdk::{
    account::Account,
    pubkey::Pubkey,
    signature::{Keypair, Signer},
};

use margin_client::{
    accounts::{self, MarginAccountData},
    config::default_pool_config,
    health::{health_account_metas, offchain_health, sweep_account_metas, to_usd},
    instructions::{self, OpenKind, WithdrawAmount},
    oracle::price_update_v2,
    pda::{self, PoolKeys},
    spl_token_id,
};
use margin_sim::svm::Svm;

use crate::bots::{self, Embedded};

/// Demo size.
#[derive(Clone, Copy, Debug)]
pub struct DemoConfig {
    /// Number of users (a third lenders, a third cross borrowers, a third isolated).
    pub users: usize,
    /// Simulated days before and after the crash.
    pub days: u32,
    /// Where to write the plot (None: no plot).
    pub plot: Option<&'static str>,
    /// Print every keeper and liquidator action.
    pub bot_logs: bool,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self { users: 24, days: 30, plot: Some("target/demo/market.svg"), bot_logs: false }
    }
}

/// One pool's line in the summary.
#[derive(Clone, Debug)]
pub struct PoolSummary {
    /// Asset symbol.
    pub symbol: &'static str,
    /// Debt / deposits (0..=1).
    pub utilization: f64,
    /// Current borrow APR (1.0 = 100%).
    pub borrow_apr: f64,
    /// Native units.
    pub total_deposits: u128,
    /// Native units.
    pub total_debt: u128,
    /// Native units.
    pub insurance_fund: u64,
    /// Uncollected protocol fees, native units.
    pub protocol_fees: u64,
    /// Vault token balance.
    pub vault_balance: u64,
    /// Tokens created for participants at the start.
    pub minted: u64,
    /// Tokens in participants' wallets at the end.
    pub held_by_wallets: u64,
}

/// What the demo did.
#[derive(Clone, Debug, Default)]
pub struct DemoSummary {
    /// One line per pool.
    pub pools: Vec<PoolSummary>,
    /// Margin accounts opened (users and liquidators).
    pub accounts_opened: usize,
    /// Distinct accounts liquidated at least once.
    pub accounts_liquidated: usize,
    /// Liquidations that landed.
    pub liquidations: usize,
    /// Liquidations that lost the race (clean failures).
    pub races_lost: usize,
    /// Accounts a liquidator acted on and failed for another reason (reported).
    pub failed_sends: usize,
    /// Bonus paid to liquidators, USD at the prices of the moment.
    pub bonus_usd: f64,
    /// `resolve_bad_debt` calls that landed.
    pub bad_debt_resolutions: usize,
    /// Transactions sent.
    pub transactions: usize,
    /// (day, SOL price, aggregate maintenance health USD, liquidations that day).
    pub timeline: Vec<(f64, f64, f64, usize)>,
}

struct Asset {
    symbol: &'static str,
    keys: PoolKeys,
    oracle: Pubkey,
    feed: [u8; 32],
    usd: f64,
    minted: u64,
    wallets: Vec<Pubkey>,
}

struct Participant {
    key: Keypair,
    margin: Pubkey,
    wallets: Vec<Pubkey>,
}

struct Market {
    svm: Svm,
    assets: Vec<Asset>,
    transactions: usize,
}

impl Market {
    fn publish(&mut self, index: usize) {
        let now = self.svm.now();
        let asset = &self.assets[index];
        let mantissa = (asset.usd * 1e8).round() as i64;
        let price = OraclePrice {
            price: mantissa,
            conf: mantissa as u64 / 2_000,
            expo: -8,
            publish_time: now,
            ema_price: mantissa,
            ema_conf: mantissa as u64 / 2_000,
        };
        let data = price_update_v2(&asset.feed, Verification::Full, &price, 1);
        let owner = Pubkey::new_from_array(PYTH_RECEIVER_PROGRAM_ID);
        let oracle = asset.oracle;
        self.svm.set_account(&oracle, Account { lamports: 1_000_000, data, owner, ..Account::default() });
    }

    fn publish_all(&mut self) {
        for i in 0..self.assets.len() {
            self.publish(i);
        }
    }

    fn oracle_of(&self) -> HashMap<Pubkey, Pubkey> {
        self.assets.iter().map(|a| (a.keys.pool, a.oracle)).collect()
    }

    fn asset_of(&self, pool: &[u8; 32]) -> usize {
        self.assets.iter().position(|a| a.keys.pool.to_bytes() == *pool).expect("known pool")
    }

    fn wallet(&mut self, asset: usize, owner: &Pubkey, amount: u64) -> Pubkey {
        let a = &mut self.assets[asset];
        a.minted += amount;
        let wallet = self.svm.create_token_account(&a.keys.mint, owner, amount, &a.keys.token_program);
        a.wallets.push(wallet);
        wallet
    }

    fn send(
        &mut self,
        ix: solana_sdk::instruction::Instruction,
        signers: &[&Keypair],
    ) -> Result<(), margin_sim::svm::Failed> {
        self.transactions += 1;
        self.svm.process(&[ix], signers).map(|_| ())
    }

    fn account(&mut self, margin: &Pubkey) -> MarginAccountData {
        accounts::margin_account(&self.svm.data(margin)).expect("margin account")
    }

    fn pool(&mut self, asset: usize) -> Pool {
        let key = self.assets[asset].keys.pool;
        accounts::pool(&self.svm.data(&key)).expect("pool")
    }

    /// Off-chain health with the shared engine (what a frontend or bot computes).
    fn health(&mut self, margin: &Pubkey) -> Result<Health, MarginError> {
        let account = self.account(margin);
        let oracles = self.oracle_of();
        let mut fetched = HashMap::new();
        for position in account.active() {
            let pool = Pubkey::new_from_array(position.pool);
            for key in [pool, oracles[&pool]] {
                fetched.insert(key, self.svm.account(&key).expect("account"));
            }
        }
        offchain_health(&account, &fetched, |p| oracles[p], self.svm.now(), MAINTENANCE)
    }

    fn health_metas(&mut self, margin: &Pubkey, extra: Option<&Pubkey>) -> Vec<solana_sdk::instruction::AccountMeta> {
        let account = self.account(margin);
        let positions = margin_client::health::positions_after(&account, extra);
        let oracles = self.oracle_of();
        health_account_metas(&positions, |p| oracles[p])
    }
}

/// Runs the demo, reporting progress through `log`.
pub fn run(config: DemoConfig, mut log: impl FnMut(&str)) -> Result<DemoSummary, Box<dyn std::error::Error>> {
    let mut svm = Svm::new();
    let admin = svm.create_user(1_000_000_000_000);
    let payer = svm.payer().pubkey();
    svm.process(&[instructions::init_group(&payer, &admin.pubkey(), 1, &admin.pubkey())], &[&admin])?;
    let group = pda::group(&admin.pubkey(), 1);
    log(&format!("group {group}"));
    let mut market = Market { svm, assets: Vec::new(), transactions: 1 };

    for (symbol, decimals, usd) in [("SOL", 9u8, 150.0), ("BTC", 8, 60_000.0), ("USDC", 6, 1.0)] {
        let mint = market.svm.create_mint(decimals, &spl_token_id());
        let keys = PoolKeys::derive(&group, &mint, &spl_token_id());
        let feed = Pubkey::new_unique().to_bytes();
        let mut pool_config = default_pool_config();
        pool_config.oracle.kind = OracleKind::PythPull as u8;
        pool_config.oracle.address = feed;
        pool_config.oracle.max_age_secs = 120;
        market.send(instructions::create_pool(&payer, &admin.pubkey(), &keys, pool_config), &[&admin])?;
        market.assets.push(Asset {
            symbol,
            keys,
            oracle: Pubkey::new_unique(),
            feed,
            usd,
            minted: 0,
            wallets: Vec::new(),
        });
        log(&format!("pool {symbol:<4} {decimals} decimals, Pyth pull feed, ${usd}"));
    }
    market.publish_all();

    // Lenders supply every pool; borrowers post SOL or BTC and borrow USDC (cross
    // accounts also borrow some SOL) close to their limits.
    let mut lenders = Vec::new();
    let mut borrowers = Vec::new();
    for i in 0..config.users {
        let key = market.svm.create_user(10_000_000_000);
        let wallets: Vec<Pubkey> = (0..3)
            .map(|a| {
                let amount = match a {
                    0 => 500_000_000_000,
                    1 => 100_000_000,
                    _ => 50_000_000_000,
                };
                market.wallet(a, &key.pubkey(), amount)
            })
            .collect();
        let role = i % 3;
        let kind = match role {
            2 => OpenKind::Isolated {
                collateral_pool: market.assets[i % 2].keys.pool,
                debt_pool: market.assets[2].keys.pool,
            },
            _ => OpenKind::Cross,
        };
        market.send(instructions::open_margin_account(&payer, &key.pubkey(), &group, 0, kind), &[&key])?;
        let margin = pda::margin_account(&group, &key.pubkey(), 0);
        let participant = Participant { key, margin, wallets };
        match role {
            0 => {
                for a in 0..3 {
                    let amount = market.svm.token_balance(&participant.wallets[a]) / 2;
                    let ix = instructions::deposit(
                        &participant.key.pubkey(),
                        &margin,
                        &market.assets[a].keys,
                        &participant.wallets[a],
                        amount,
                    );
                    market.send(ix, &[&participant.key])?;
                }
                lenders.push(participant);
            }
            _ => {
                let collateral = i % 2;
                let amount = market.svm.token_balance(&participant.wallets[collateral]) / 4;
                let ix = instructions::deposit(
                    &participant.key.pubkey(),
                    &margin,
                    &market.assets[collateral].keys,
                    &participant.wallets[collateral],
                    amount,
                );
                market.send(ix, &[&participant.key])?;
                borrowers.push((participant, collateral));
            }
        }
    }
    // Borrow 60-75% of the Initial limit: collateral value * 0.8 / 1.1.
    for (n, (borrower, collateral)) in borrowers.iter().enumerate() {
        let account = market.account(&borrower.margin);
        let shares = account.active()[0].deposit_shares;
        let decimals = if *collateral == 0 { 9 } else { 8 };
        let value = shares as f64 / 10f64.powi(decimals) * market.assets[*collateral].usd;
        let fraction = 0.60 + 0.15 * (n % 4) as f64 / 3.0;
        let usdc = (value * 0.8 / 1.1 * fraction * 1e6 * 0.995) as u64;
        let metas = market.health_metas(&borrower.margin, Some(&market.assets[2].keys.pool.clone()));
        let ix = instructions::borrow(
            &borrower.key.pubkey(),
            &borrower.margin,
            &market.assets[2].keys,
            &borrower.wallets[2],
            usdc,
            &metas,
        );
        market.send(ix, &[&borrower.key])?;
    }
    log(&format!(
        "{} lenders, {} borrowers ({} isolated)",
        lenders.len(),
        borrowers.len(),
        borrowers.iter().filter(|(b, _)| market.account(&b.margin).header.kind == 0).count()
    ));

    let liquidators: Vec<Participant> = (0..2)
        .map(|_| {
            let key = market.svm.create_user(10_000_000_000);
            let usdc = market.wallet(2, &key.pubkey(), 10_000_000_000_000);
            market
                .send(instructions::open_margin_account(&payer, &key.pubkey(), &group, 0, OpenKind::Cross), &[&key])
                .expect("open");
            let margin = pda::margin_account(&group, &key.pubkey(), 0);
            Participant { key, margin, wallets: vec![Pubkey::default(), Pubkey::default(), usdc] }
        })
        .collect();

    let book = bots::OracleBook { feeds: market.assets.iter().map(|a| (a.feed, a.oracle)).collect() };
    let bots_config: Vec<bots::Liquidator> = liquidators
        .iter()
        .map(|l| bots::Liquidator {
            wallets: HashMap::from([(market.assets[2].keys.mint, l.wallets[2])]),
            oracles: book.clone(),
            min_profit_usd: 0.01,
            ..bots::Liquidator::new(&l.key, l.margin)
        })
        .collect();
    let mut summary = DemoSummary::default();
    let mut liquidated = std::collections::HashSet::new();
    let total_days = config.days * 2;
    for day in 1..=total_days {
        // SOL drifts, then crashes on the first day of the second half and keeps sliding.
        let sol = &mut market.assets[0].usd;
        *sol = if day <= config.days {
            150.0 + (day % 5) as f64
        } else if day == config.days + 1 {
            90.0
        } else {
            (*sol * 0.97).max(25.0)
        };
        market.assets[1].usd = 60_000.0 * if day > config.days { 0.85 } else { 1.0 };
        market.svm.advance_time(86_400);
        market.publish_all();
        // Keeper: crank every pool's interest (the keeper bot's code path).
        let keeper = liquidators[0].key.insecure_clone();
        let mut bot_log = |line: &str| {
            if config.bot_logs {
                log(line)
            }
        };
        let cranked = bots::keeper_once(&mut Embedded(&mut market.svm), &keeper, 3_600, &mut bot_log)?;
        market.transactions += cranked.len();
        // Liquidators: both scan the same state, then both send; the slower one
        // loses the race on accounts the faster one already fixed.
        let mut today = 0;
        for _round in 0..4 {
            let mut planned = Vec::new();
            for bot in &bots_config {
                planned.push(bots::find_liquidations(&mut Embedded(&mut market.svm), bot, &mut bot_log)?);
            }
            if planned.iter().all(|p| p.is_empty()) {
                break;
            }
            for (bot, plans) in bots_config.iter().zip(planned) {
                market.transactions += plans.len();
                for attempt in bots::execute(&mut Embedded(&mut market.svm), bot, plans, &mut bot_log)? {
                    match attempt {
                        bots::Attempt::Liquidated { account, bonus_usd, .. } => {
                            summary.bonus_usd += bonus_usd;
                            summary.liquidations += 1;
                            today += 1;
                            liquidated.insert(account);
                        }
                        bots::Attempt::LostRace { .. } => summary.races_lost += 1,
                        bots::Attempt::Failed { .. } => summary.failed_sends += 1,
                        bots::Attempt::BadDebtResolved { .. } => summary.bad_debt_resolutions += 1,
                    }
                }
            }
        }
        // Bankrupt accounts get their debt written off.
        // (Dust collateral left behind is swept to insurance by the write-off.)
        for (borrower, _) in &borrowers {
            loop {
                let account = market.account(&borrower.margin);
                let Some(debt) = account.active().iter().find(|p| p.borrow_shares > 0) else { break };
                let oracles = market.oracle_of();
                let metas = sweep_account_metas(&account, |p| oracles[p]);
                let ix = instructions::resolve_bad_debt(
                    &borrower.margin,
                    &group,
                    &Pubkey::new_from_array(debt.pool),
                    &metas,
                );
                if market.send(ix, &[]).is_err() {
                    break;
                }
                summary.bad_debt_resolutions += 1;
            }
        }
        let aggregate: f64 =
            borrowers.iter().filter_map(|(b, _)| market.health(&b.margin).ok()).map(|h| to_usd(h.maintenance)).sum();
        summary.timeline.push((day as f64, market.assets[0].usd, aggregate, today));
        if day % 10 == 0 || today > 0 {
            log(&format!(
                "day {day:>3}: SOL ${:>7.2}  aggregate maintenance health ${aggregate:>12.2}  liquidations {today}",
                market.assets[0].usd
            ));
        }
    }

    // Lenders take out what the pools can pay.
    for lender in &lenders {
        let account = market.account(&lender.margin);
        for position in account.active().to_vec() {
            let a = market.asset_of(&position.pool);
            let keys = market.assets[a].keys;
            let pool = market.pool(a);
            let idle = pool.total_deposits()?.saturating_sub(pool.total_debt()?);
            let held = margin_interface::fixed::mul_q64_floor(position.deposit_shares, pool.deposit_share_value())
                .unwrap_or(0);
            let amount = if held <= idle { WithdrawAmount::All } else { WithdrawAmount::Exact(idle as u64) };
            if idle == 0 {
                continue;
            }
            let ix = instructions::withdraw(&lender.key.pubkey(), &lender.margin, &keys, &lender.wallets[a], amount);
            market.send(ix, &[&lender.key])?;
        }
    }
    log("lenders withdrew what was idle");

    for a in 0..market.assets.len() {
        let pool = market.pool(a);
        let debt = pool.total_debt()?;
        let deposits = pool.total_deposits()?;
        let held = market.assets[a].wallets.clone().iter().map(|w| market.svm.token_balance(w)).sum();
        summary.pools.push(PoolSummary {
            symbol: market.assets[a].symbol,
            utilization: utilization(debt, deposits) as f64 / UTILIZATION_ONE as f64,
            borrow_apr: pool.current_borrow_rate()? as f64 / RATE_ONE as f64,
            total_deposits: deposits,
            total_debt: debt,
            insurance_fund: pool.insurance_fund_native(),
            protocol_fees: pool.protocol_fees_native(),
            vault_balance: market.svm.token_balance(&market.assets[a].keys.vault),
            minted: market.assets[a].minted,
            held_by_wallets: held,
        });
    }
    summary.accounts_opened = lenders.len() + borrowers.len() + liquidators.len();
    summary.accounts_liquidated = liquidated.len();
    summary.transactions = market.transactions;
    if let Some(path) = config.plot {
        std::fs::create_dir_all(std::path::Path::new(path).parent().unwrap_or(std::path::Path::new(".")))?;
        std::fs::write(path, plot(&summary.timeline))?;
        log(&format!("plot written to {path}"));
    }
    Ok(summary)
}

/// Renders the summary tables.
pub fn render(summary: &DemoSummary) -> String {
    let mut out = format!(
        "{:<5} {:>6} {:>8} {:>20} {:>18} {:>12} {:>12} {:>10}\n",
        "pool", "util", "APR", "deposits", "debt", "insurance", "fees", "conserved"
    );
    for p in &summary.pools {
        let conserved = p.minted == p.held_by_wallets + p.vault_balance;
        out.push_str(&format!(
            "{:<5} {:>5.1}% {:>7.2}% {:>20} {:>18} {:>12} {:>12} {:>10}\n",
            p.symbol,
            p.utilization * 100.0,
            p.borrow_apr * 100.0,
            p.total_deposits,
            p.total_debt,
            p.insurance_fund,
            p.protocol_fees,
            if conserved { "yes" } else { "NO" }
        ));
    }
    out.push_str(&format!(
        "accounts {}, liquidated {}, liquidations {}, races lost {}, bonuses ${:.2}, bad-debt write-offs {}, transactions {}\n",
        summary.accounts_opened, summary.accounts_liquidated, summary.liquidations, summary.races_lost,
        summary.bonus_usd, summary.bad_debt_resolutions, summary.transactions
    ));
    out
}

/// An SVG with three stacked panels: SOL price, aggregate maintenance health of
/// the borrowers, liquidations per day.
pub fn plot(timeline: &[(f64, f64, f64, usize)]) -> String {
    let (width, panel, margin) = (800.0, 160.0, 40.0);
    let days = timeline.last().map(|t| t.0).unwrap_or(1.0).max(1.0);
    let x = |day: f64| margin + (width - 2.0 * margin) * day / days;
    let mut svg = format!(
        "<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{}' font-family='sans-serif' font-size='12'>\n<rect width='100%' height='100%' fill='white'/>\n",
        3.0 * panel + 2.0 * margin
    );
    /// (title, value of a timeline point, colour).
    type Series = (&'static str, fn(&(f64, f64, f64, usize)) -> f64, &'static str);
    let series: [Series; 3] = [
        ("SOL price (USD)", |t| t.1, "#1f77b4"),
        ("aggregate maintenance health (USD)", |t| t.2, "#2ca02c"),
        ("liquidations per day", |t| t.3 as f64, "#d62728"),
    ];
    for (i, (title, value, color)) in series.iter().enumerate() {
        let top = margin + i as f64 * panel;
        let values: Vec<f64> = timeline.iter().map(value).collect();
        let (low, high) = values.iter().fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(*v), h.max(*v)));
        let (low, high) = if high > low { (low.min(0.0), high) } else { (low - 1.0, high + 1.0) };
        let y = |v: f64| top + panel - 20.0 - (panel - 40.0) * (v - low) / (high - low);
        svg.push_str(&format!("<text x='{margin}' y='{}'>{title}: {low:.0} .. {high:.0}</text>\n", top + 12.0));
        svg.push_str(&format!(
            "<line x1='{margin}' y1='{0}' x2='{1}' y2='{0}' stroke='#999'/>\n",
            y(0.0_f64.max(low)),
            width - margin
        ));
        if i == 2 {
            for (t, v) in timeline.iter().zip(&values) {
                if *v > 0.0 {
                    svg.push_str(&format!(
                        "<rect x='{}' y='{}' width='6' height='{}' fill='{color}'/>\n",
                        x(t.0) - 3.0,
                        y(*v),
                        y(low) - y(*v)
                    ));
                }
            }
        } else {
            let points: Vec<String> =
                timeline.iter().zip(&values).map(|(t, v)| format!("{:.1},{:.1}", x(t.0), y(*v))).collect();
            svg.push_str(&format!(
                "<polyline fill='none' stroke='{color}' stroke-width='2' points='{}'/>\n",
                points.join(" ")
            ));
        }
    }
    svg.push_str(&format!("<text x='{margin}' y='{}'>day 0 .. {days}</text>\n</svg>\n", 3.0 * panel + margin + 20.0));
    svg
}
