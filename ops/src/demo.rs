//! The demo (the README's main job): a market on the embedded SVM with the real
//! program. A group with SOL, BTC and USDC pools priced by Pyth pull accounts;
//! lenders, isolated and cross borrowers; twin borrowers, one opted in to
//! pre-liquidation (`set_protection`), one not; a borrower at its Initial limit;
//! days pass with the keeper cranking interest and deleveraging protected
//! accounts; SOL crashes; two liquidators race for the unhealthy accounts; the
//! borrower at its limit goes bankrupt and its bad debt is written off. It ends
//! with a summary (what each twin paid) and a plot (SVG and PNG, `plot`).

use std::{collections::HashMap, io::IsTerminal};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use margin_interface::{
    error::MarginError,
    health::{Health, MAINTENANCE},
    interest::{utilization, RATE_ONE, UTILIZATION_ONE},
    oracle::{OraclePrice, Verification, PYTH_RECEIVER_PROGRAM_ID},
    state::{OracleKind, Pool, Protection},
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
use crate::deleverage::deleverage_once;

mod plot;
pub use plot::{plot_png, plot_svg};

/// The protected twin's settings: deleverage allowed below a health ratio of
/// 1.2, at most 25% of the debt per step, a 1% bonus to the keeper.
pub const TWIN_PROTECTION: Protection =
    Protection { threshold_bps: 12_000, max_fraction_bps: 2_500, bonus_bps: 100, _padding: [0; 2] };

/// Each twin's SOL collateral (native units: 100 SOL).
pub const TWIN_COLLATERAL: u64 = 100_000_000_000;

/// Each twin's USDC debt (native units: 7,000 USDC): a Maintenance health ratio of
/// about 1.7 at $150, 1.04 right after the crash to $90.
pub const TWIN_DEBT: u64 = 7_000_000_000;

/// The over-leveraged borrower: 100 SOL, borrowing 10,600 USDC (98% of the
/// Initial limit at $150); the crash to $90 leaves it insolvent.
pub const OVERLEVERAGED_DEBT: u64 = 10_600_000_000;

/// Demo size.
#[derive(Clone, Copy, Debug)]
pub struct DemoConfig {
    /// Number of users (a third lenders, a third cross borrowers, a third isolated).
    pub users: usize,
    /// Simulated days before and after the crash.
    pub days: u32,
    /// Directory for the plot, `market.svg` and `market.png` (None: no plot).
    pub plot: Option<&'static str>,
    /// Print every keeper and liquidator action.
    pub bot_logs: bool,
    /// Show a progress bar over the days (only drawn when stdout is a terminal).
    pub progress: bool,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self { users: 24, days: 30, plot: Some("target/demo"), bot_logs: false, progress: true }
    }
}

/// One twin borrower at the end of the run.
#[derive(Clone, Debug, Default)]
pub struct TwinSummary {
    /// The twin's margin account.
    pub account: Pubkey,
    /// Opted in to pre-liquidation ([`TWIN_PROTECTION`]).
    pub protected: bool,
    /// `deleverage` steps the keeper took on it.
    pub deleverage_steps: usize,
    /// Liquidations it suffered.
    pub liquidations: usize,
    /// Bonuses paid to the keeper by deleverage: equity lost in the steps, USD at
    /// the oracle prices of the moment (collateral taken minus debt repaid).
    pub deleverage_paid_usd: f64,
    /// Penalties paid in liquidations (liquidator bonus and insurance share),
    /// measured the same way.
    pub liquidation_paid_usd: f64,
    /// SOL collateral left, native units.
    pub collateral_left: u128,
    /// USDC debt left, native units.
    pub debt_left: u128,
    /// Maintenance health ratio at the end (weighted collateral / weighted debt;
    /// `None`: no debt left).
    pub health_ratio: Option<f64>,
    /// Lowest Maintenance health ratio seen at the end of a day.
    pub lowest_ratio: f64,
}

impl TwinSummary {
    /// Deleverage bonuses plus liquidation penalties, USD.
    pub fn paid_usd(&self) -> f64 {
        self.deleverage_paid_usd + self.liquidation_paid_usd
    }
}

/// One day of the run, for the plot.
#[derive(Clone, Debug, Default)]
pub struct Day {
    /// Day number (1-based).
    pub day: f64,
    /// SOL price, USD.
    pub sol_usd: f64,
    /// Sum of the borrowers' Maintenance health, USD.
    pub aggregate_health_usd: f64,
    /// Liquidations that landed that day.
    pub liquidations: usize,
    /// Deleverage steps the keeper took that day.
    pub deleverage_steps: usize,
    /// Maintenance health ratio of the protected twin, then the unprotected one
    /// (`None`: no debt).
    pub twin_ratios: [Option<f64>; 2],
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
    /// Debt written off by them, USD at the prices of the moment.
    pub bad_debt_usd: f64,
    /// Deleverage steps the keeper took (all accounts).
    pub deleverage_steps: usize,
    /// The protected twin, then the unprotected one.
    pub twins: Vec<TwinSummary>,
    /// Transactions sent.
    pub transactions: usize,
    /// One entry per day.
    pub timeline: Vec<Day>,
}

struct Asset {
    symbol: &'static str,
    decimals: u8,
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

    /// Deposits and debts per asset, native units, interest projected to now.
    fn holdings(&mut self, margin: &Pubkey) -> Result<Vec<(usize, u128, u128)>, MarginError> {
        let now = self.svm.now();
        let account = self.account(margin);
        let mut out = Vec::new();
        for position in account.active() {
            let a = self.asset_of(&position.pool);
            let (deposit_value, borrow_value) = self.pool(a).share_values_at(now)?;
            let deposit = margin_interface::fixed::mul_q64_floor(position.deposit_shares, deposit_value);
            let debt = margin_interface::fixed::mul_q64_ceil(position.borrow_shares, borrow_value);
            out.push((a, deposit.ok_or(MarginError::MathOverflow)?, debt.ok_or(MarginError::MathOverflow)?));
        }
        Ok(out)
    }

    /// Native units of `asset` in USD at its current oracle price.
    fn usd(&self, asset: usize, native: u128) -> f64 {
        let a = &self.assets[asset];
        native as f64 / 10f64.powi(a.decimals as i32) * a.usd
    }

    /// Deposits minus debts, USD at the current oracle prices (no weights).
    fn equity_usd(&mut self, margin: &Pubkey) -> Result<f64, MarginError> {
        let holdings = self.holdings(margin)?;
        Ok(holdings.iter().map(|&(a, deposit, debt)| self.usd(a, deposit) - self.usd(a, debt)).sum())
    }

    /// Debt of `margin` in USD (what a write-off of all its debts removes).
    fn debt_usd(&mut self, margin: &Pubkey) -> Result<f64, MarginError> {
        let holdings = self.holdings(margin)?;
        Ok(holdings.iter().map(|&(a, _, debt)| self.usd(a, debt)).sum())
    }

    /// Maintenance health ratio (weighted collateral / weighted debt); `None`
    /// without debt or when health cannot be computed.
    fn health_ratio(&mut self, margin: &Pubkey) -> Option<f64> {
        let health = self.health(margin).ok()?;
        if health.maintenance_liabilities == 0 {
            return None;
        }
        let liabilities = to_usd(health.maintenance_liabilities as i128);
        Some((to_usd(health.maintenance) + liabilities) / liabilities)
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

/// A borrower outside the lender/borrower rotation: an isolated SOL/USDC
/// account with [`TWIN_COLLATERAL`] deposited and `debt` borrowed.
fn sol_borrower(
    market: &mut Market,
    payer: &Pubkey,
    group: &Pubkey,
    debt: u64,
) -> Result<Participant, Box<dyn std::error::Error>> {
    let key = market.svm.create_user(10_000_000_000);
    let wallets =
        vec![market.wallet(0, &key.pubkey(), TWIN_COLLATERAL), Pubkey::default(), market.wallet(2, &key.pubkey(), 0)];
    let kind =
        OpenKind::Isolated { collateral_pool: market.assets[0].keys.pool, debt_pool: market.assets[2].keys.pool };
    market.send(instructions::open_margin_account(payer, &key.pubkey(), group, 0, kind), &[&key])?;
    let margin = pda::margin_account(group, &key.pubkey(), 0);
    let keys = market.assets[0].keys;
    market.send(instructions::deposit(&key.pubkey(), &margin, &keys, &wallets[0], TWIN_COLLATERAL), &[&key])?;
    let usdc = market.assets[2].keys;
    let metas = market.health_metas(&margin, Some(&usdc.pool));
    market.send(instructions::borrow(&key.pubkey(), &margin, &usdc, &wallets[2], debt, &metas), &[&key])?;
    Ok(Participant { key, margin, wallets })
}

/// The progress bar over the days: drawn on stdout only when asked for and
/// stdout is a terminal (hidden in tests and pipes).
fn progress_bar(config: &DemoConfig, days: u32) -> ProgressBar {
    if !config.progress || !std::io::stdout().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(days as u64), ProgressDrawTarget::stdout());
    if let Ok(style) = ProgressStyle::with_template("day {pos:>3}/{len} [{bar:40}] {msg}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Runs the demo, reporting progress through `log`.
pub fn run(config: DemoConfig, mut sink: impl FnMut(&str)) -> Result<DemoSummary, Box<dyn std::error::Error>> {
    let total_days = config.days * 2;
    let bar = progress_bar(&config, total_days);
    // Lines printed while the bar is drawn go above it.
    let mut log = |line: &str| bar.suspend(|| sink(line));
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
            decimals,
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

    // Twin borrowers, identical but for the protected twin's opt-in to
    // pre-liquidation; and one borrower at 98% of its Initial limit. A lender
    // brings the USDC the three borrow (so any `--users` has the liquidity).
    let key = market.svm.create_user(10_000_000_000);
    let wallets: Vec<Pubkey> =
        [0, 0, 30_000_000_000].iter().enumerate().map(|(a, amount)| market.wallet(a, &key.pubkey(), *amount)).collect();
    market.send(instructions::open_margin_account(&payer, &key.pubkey(), &group, 0, OpenKind::Cross), &[&key])?;
    let margin = pda::margin_account(&group, &key.pubkey(), 0);
    let usdc = market.assets[2].keys;
    market.send(instructions::deposit(&key.pubkey(), &margin, &usdc, &wallets[2], 30_000_000_000), &[&key])?;
    lenders.push(Participant { key, margin, wallets });
    let protected = sol_borrower(&mut market, &payer, &group, TWIN_DEBT)?;
    market.send(
        instructions::set_protection(&protected.key.pubkey(), &protected.margin, TWIN_PROTECTION),
        &[&protected.key],
    )?;
    let unprotected = sol_borrower(&mut market, &payer, &group, TWIN_DEBT)?;
    let overleveraged = sol_borrower(&mut market, &payer, &group, OVERLEVERAGED_DEBT)?;
    log(&format!(
        "twins: 100 SOL each, 7,000 USDC borrowed; {} protected (deleverage below ratio {:.2}, {}% of the debt per step, {} bps bonus), {} not",
        protected.margin,
        TWIN_PROTECTION.threshold_bps as f64 / 10_000.0,
        TWIN_PROTECTION.max_fraction_bps / 100,
        TWIN_PROTECTION.bonus_bps,
        unprotected.margin
    ));
    log(&format!("over-leveraged: {} borrowed 10,600 USDC on 100 SOL (98% of its limit)", overleveraged.margin));
    let twins = [protected.margin, unprotected.margin];
    let mut twin_summaries: Vec<TwinSummary> = twins
        .iter()
        .enumerate()
        .map(|(i, account)| TwinSummary {
            account: *account,
            protected: i == 0,
            lowest_ratio: f64::MAX,
            ..Default::default()
        })
        .collect();
    let mut indebted: Vec<Pubkey> = borrowers.iter().map(|(b, _)| b.margin).collect();
    indebted.extend([protected.margin, unprotected.margin, overleveraged.margin]);

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
    // The keeper cranks interest and deleverages protected accounts (repaying USDC
    // from its wallet, receiving the collateral in its own cross account).
    let keeper_key = market.svm.create_user(10_000_000_000);
    let keeper_usdc = market.wallet(2, &keeper_key.pubkey(), 1_000_000_000_000);
    market.send(
        instructions::open_margin_account(&payer, &keeper_key.pubkey(), &group, 0, OpenKind::Cross),
        &[&keeper_key],
    )?;
    let keeper_margin = pda::margin_account(&group, &keeper_key.pubkey(), 0);

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
    let keeper = bots::Liquidator {
        wallets: HashMap::from([(market.assets[2].keys.mint, keeper_usdc)]),
        oracles: book.clone(),
        ..bots::Liquidator::new(&keeper_key, keeper_margin)
    };
    let mut summary = DemoSummary::default();
    let mut liquidated = std::collections::HashSet::new();
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
        let mut bot_log = |line: &str| {
            if config.bot_logs {
                log(line)
            }
        };
        // Keeper: crank every pool's interest, then deleverage the protected
        // accounts inside their band (the keeper bot's code paths).
        let cranked = bots::keeper_once(&mut Embedded(&mut market.svm), &keeper_key, 3_600, &mut bot_log)?;
        market.transactions += cranked.len();
        let before: Vec<f64> = twins.iter().map(|t| market.equity_usd(t)).collect::<Result<_, _>>()?;
        let stepped = deleverage_once(&mut Embedded(&mut market.svm), &keeper, &mut bot_log)?;
        market.transactions += stepped.len();
        summary.deleverage_steps += stepped.len();
        for (i, twin) in twins.iter().enumerate() {
            let after = market.equity_usd(twin)?;
            twin_summaries[i].deleverage_paid_usd += before[i] - after;
            twin_summaries[i].deleverage_steps += stepped.iter().filter(|s| *s == twin).count();
        }
        // Liquidators: both scan the same state, then both send; the slower one
        // loses the race on accounts the faster one already fixed.
        let before: Vec<f64> = twins.iter().map(|t| market.equity_usd(t)).collect::<Result<_, _>>()?;
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
                // What each planned write-off would remove, measured just before.
                let mut debts = HashMap::new();
                for plan in &plans {
                    if matches!(plan.action, bots::Action::ResolveBadDebt { .. }) {
                        let holdings = market.holdings(&plan.account)?;
                        for (a, _, debt) in holdings {
                            debts.insert((plan.account, market.assets[a].keys.pool), market.usd(a, debt));
                        }
                    }
                }
                for attempt in bots::execute(&mut Embedded(&mut market.svm), bot, plans, &mut bot_log)? {
                    match attempt {
                        bots::Attempt::Liquidated { account, bonus_usd, .. } => {
                            summary.bonus_usd += bonus_usd;
                            summary.liquidations += 1;
                            today += 1;
                            liquidated.insert(account);
                            if let Some(i) = twins.iter().position(|t| *t == account) {
                                twin_summaries[i].liquidations += 1;
                            }
                        }
                        bots::Attempt::LostRace { .. } => summary.races_lost += 1,
                        bots::Attempt::Failed { .. } => summary.failed_sends += 1,
                        bots::Attempt::BadDebtResolved { account, pool, .. } => {
                            summary.bad_debt_resolutions += 1;
                            summary.bad_debt_usd += debts.get(&(account, pool)).copied().unwrap_or_default();
                        }
                    }
                }
            }
        }
        for (i, twin) in twins.iter().enumerate() {
            let after = market.equity_usd(twin)?;
            twin_summaries[i].liquidation_paid_usd += before[i] - after;
        }
        // Bankrupt accounts the bots left get their debt written off.
        // (Dust collateral left behind is swept to insurance by the write-off.)
        for margin in &indebted {
            loop {
                let account = market.account(margin);
                let Some(debt) = account.active().iter().find(|p| p.borrow_shares > 0) else { break };
                let oracles = market.oracle_of();
                let metas = sweep_account_metas(&account, |p| oracles[p]);
                let keys = market.assets[market.asset_of(&debt.pool)].keys;
                let ix = instructions::resolve_bad_debt(margin, &keys, &metas);
                let before = market.debt_usd(margin)?;
                if market.send(ix, &[]).is_err() {
                    break;
                }
                summary.bad_debt_resolutions += 1;
                summary.bad_debt_usd += before - market.debt_usd(margin)?;
            }
        }
        let aggregate: f64 = indebted.iter().filter_map(|b| market.health(b).ok()).map(|h| to_usd(h.maintenance)).sum();
        let ratios = [market.health_ratio(&twins[0]), market.health_ratio(&twins[1])];
        for (twin, ratio) in twin_summaries.iter_mut().zip(ratios) {
            if let Some(ratio) = ratio {
                twin.lowest_ratio = twin.lowest_ratio.min(ratio);
            }
        }
        summary.timeline.push(Day {
            day: day as f64,
            sol_usd: market.assets[0].usd,
            aggregate_health_usd: aggregate,
            liquidations: today,
            deleverage_steps: stepped.len(),
            twin_ratios: ratios,
        });
        bar.set_position(day as u64);
        bar.set_message(format!("SOL ${:.2}, liquidations {}", market.assets[0].usd, summary.liquidations));
        if day % 10 == 0 || today > 0 || !stepped.is_empty() {
            log(&format!(
                "day {day:>3}: SOL ${:>7.2}  aggregate maintenance health ${aggregate:>12.2}  liquidations {today}  deleverage steps {}",
                market.assets[0].usd,
                stepped.len()
            ));
        }
    }
    bar.finish_and_clear();

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

    for twin in &mut twin_summaries {
        let holdings = market.holdings(&twin.account)?;
        twin.collateral_left = holdings.iter().filter(|h| h.0 == 0).map(|h| h.1).sum();
        twin.debt_left = holdings.iter().filter(|h| h.0 == 2).map(|h| h.2).sum();
        twin.health_ratio = market.health_ratio(&twin.account);
    }
    summary.twins = twin_summaries;
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
    // Users and the twins' lender, twins and the over-leveraged borrower,
    // liquidators, keeper.
    summary.accounts_opened = lenders.len() + borrowers.len() + 3 + liquidators.len() + 1;
    summary.accounts_liquidated = liquidated.len();
    summary.transactions = market.transactions;
    if let Some(dir) = config.plot {
        std::fs::create_dir_all(dir)?;
        let svg = std::path::Path::new(dir).join("market.svg");
        std::fs::write(&svg, plot_svg(&summary.timeline)?)?;
        let png = std::path::Path::new(dir).join("market.png");
        plot_png(&summary.timeline, &png)?;
        log(&format!("plot written to {} and {}", svg.display(), png.display()));
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
        "accounts {}, liquidated {}, liquidations {}, races lost {}, bonuses ${:.2}, deleverage steps {}, transactions {}\n",
        summary.accounts_opened,
        summary.accounts_liquidated,
        summary.liquidations,
        summary.races_lost,
        summary.bonus_usd,
        summary.deleverage_steps,
        summary.transactions
    ));
    out.push_str(&format!(
        "bad debt: {} write-off(s), ${:.2} written off\n",
        summary.bad_debt_resolutions, summary.bad_debt_usd
    ));
    if !summary.twins.is_empty() {
        out.push_str(&format!(
            "\ntwins (100 SOL, 7,000 USDC borrowed, same crash)\n{:<12} {:>10} {:>12} {:>14} {:>12} {:>14} {:>12} {:>14} {:>9}\n",
            "twin",
            "deleverage",
            "bonuses paid",
            "liquidations",
            "penalties",
            "total paid",
            "SOL left",
            "USDC debt left",
            "ratio"
        ));
        for twin in &summary.twins {
            out.push_str(&format!(
                "{:<12} {:>10} {:>12} {:>14} {:>12} {:>14} {:>12.4} {:>14.2} {:>9}\n",
                if twin.protected { "protected" } else { "unprotected" },
                twin.deleverage_steps,
                format!("${:.2}", twin.deleverage_paid_usd),
                twin.liquidations,
                format!("${:.2}", twin.liquidation_paid_usd),
                format!("${:.2}", twin.paid_usd()),
                twin.collateral_left as f64 / 1e9,
                twin.debt_left as f64 / 1e6,
                twin.health_ratio.map_or("no debt".to_string(), |r| format!("{r:.3}"))
            ));
        }
    }
    out
}
