//! `margin demo`, `margin keeper`, `margin liquidator`: the bots of
//! [`crate::bots`] on a cluster (`--url`) or in the embedded demo market.

use std::{collections::HashMap, sync::atomic::AtomicBool, thread, time::Duration};

use clap::Args;
use solana_sdk::pubkey::Pubkey;

use super::{pair_arg, pubkey_arg, rpc, CliError, Context, OracleArgs};
use crate::{
    bots::{self, Liquidator},
    deleverage::deleverage_once,
    demo::{self, DemoConfig},
    stream::{self, StreamConfig},
};

/// `margin demo`.
#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Users in the market (at least 3)
    #[arg(long, default_value_t = 24)]
    users: usize,
    /// Days simulated (at least 2)
    #[arg(long, default_value_t = 30)]
    days: u32,
    /// Print every keeper and liquidator action
    #[arg(long)]
    bot_logs: bool,
}

/// How often and how many times a bot runs.
#[derive(Args, Debug)]
struct Repeat {
    /// Pause between passes (seconds)
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    interval: u64,
    /// One pass, then exit
    #[arg(long)]
    once: bool,
}

impl Repeat {
    /// Loops `step` every `interval` seconds (once with `--once`); RPC failures
    /// end the run with an error, refused transactions never do.
    fn run(&self, mut step: impl FnMut() -> Result<(), bots::BotError>) -> Result<(), CliError> {
        loop {
            step().map_err(rpc)?;
            if self.once {
                return Ok(());
            }
            thread::sleep(Duration::from_secs(self.interval));
        }
    }
}

/// Compute budget and priority fee of every transaction a bot sends.
#[derive(Args, Debug)]
struct FeeArgs {
    /// A fixed priority fee (micro-lamports per compute unit)
    #[arg(long, value_name = "MICRO_LAMPORTS", conflicts_with = "fee_percentile")]
    priority_fee: Option<u64>,
    /// Otherwise this percentile (0..=100) of recent fees on the transaction's
    /// writable accounts
    #[arg(long, value_name = "P", default_value_t = 75, value_parser = clap::value_parser!(u8).range(0..=100))]
    fee_percentile: u8,
    /// Percent added to the simulated compute units
    #[arg(long, value_name = "PCT", default_value_t = bots::FeePolicy::default().margin_pct)]
    cu_margin: u64,
}

impl FeeArgs {
    fn policy(&self, max_bonus_share_bps: u64) -> bots::FeePolicy {
        bots::FeePolicy {
            margin_pct: self.cu_margin,
            price: match self.priority_fee {
                Some(price) => bots::PriorityFee::Fixed(price),
                None => bots::PriorityFee::Percentile(self.fee_percentile),
            },
            max_bonus_share_bps,
        }
    }
}

/// `--wallet MINT=TOKEN_ACCOUNT ...` and `--oracle FEED_HEX=ACCOUNT ...`: what a
/// bot that repays debts needs.
#[derive(Args, Debug)]
struct Funding {
    /// Token account to repay debts of MINT from, and to receive MINT in
    /// (repeatable)
    #[arg(long = "wallet", value_name = "MINT=TOKEN_ACCOUNT", value_parser = wallet_arg)]
    wallets: Vec<(Pubkey, Pubkey)>,
    #[command(flatten)]
    oracles: OracleArgs,
}

fn wallet_arg(text: &str) -> Result<(Pubkey, Pubkey), String> {
    let (mint, account) = pair_arg(text)?;
    Ok((pubkey_arg(&mint)?, account))
}

impl Funding {
    fn wallets(&self) -> HashMap<Pubkey, Pubkey> {
        self.wallets.iter().copied().collect()
    }
}

/// `margin keeper`.
#[derive(Args, Debug)]
pub struct KeeperArgs {
    /// Crank pools last accrued at least this long ago (seconds)
    #[arg(long, default_value_t = 3_600, value_name = "SECS")]
    max_age: i64,
    /// Also deleverage protected accounts, into this margin account of the
    /// keypair (kept free of debt)
    #[arg(long, value_name = "ADDR", value_parser = pubkey_arg)]
    margin_account: Option<Pubkey>,
    #[command(flatten)]
    funding: Funding,
    #[command(flatten)]
    fees: FeeArgs,
    #[command(flatten)]
    repeat: Repeat,
}

/// `margin liquidator`.
#[derive(Args, Debug)]
pub struct LiquidatorArgs {
    /// The keypair's margin account that receives seized collateral (required
    /// with --url)
    #[arg(long, value_name = "ADDR", value_parser = pubkey_arg)]
    margin_account: Option<Pubkey>,
    #[command(flatten)]
    funding: Funding,
    /// Skip liquidations whose estimated bonus is below this (USD)
    #[arg(long, default_value_t = 1.0, value_name = "USD")]
    min_profit: f64,
    /// Withdraw seized collateral before a liquidation would open a position
    /// beyond this many
    #[arg(long, default_value_t = bots::DEFAULT_KEEP_POSITIONS, value_name = "N")]
    keep_positions: usize,
    /// An address lookup table of the keypair from an earlier run (repeatable)
    #[arg(long = "lookup-table", value_name = "ADDR", value_parser = pubkey_arg)]
    lookup_tables: Vec<Pubkey>,
    /// A liquidation bids at most this share (bps) of its expected bonus in fees
    #[arg(long, default_value_t = bots::FeePolicy::default().max_bonus_share_bps, value_name = "BPS")]
    max_fee_share: u64,
    #[command(flatten)]
    fees: FeeArgs,
    /// Stream instead of polling: subscribe to the program's accounts and the
    /// oracles over this websocket (a validator serves it on its RPC port + 1);
    /// --interval and --once do not apply
    #[arg(long, value_name = "WS_URL")]
    ws_url: Option<String>,
    /// With --ws-url: a full rescan this often (seconds)
    #[arg(long, default_value_t = stream::DEFAULT_RESYNC.as_secs(), value_name = "SECS", requires = "ws_url")]
    resync: u64,
    /// With --ws-url: between rescans, project interest to the present this
    /// often (seconds), catching accounts that debt growth alone makes
    /// liquidatable
    #[arg(long, default_value_t = stream::DEFAULT_REPROJECT.as_secs(), value_name = "SECS", requires = "ws_url")]
    reproject: u64,
    #[command(flatten)]
    repeat: Repeat,
}

pub fn demo(ctx: &Context, args: DemoArgs) -> Result<(), CliError> {
    ctx.text_only("demo")?;
    let config = DemoConfig {
        users: args.users.max(3),
        days: args.days.max(2),
        bot_logs: args.bot_logs,
        ..DemoConfig::default()
    };
    let summary = demo::run(config, |line| println!("{line}")).map_err(|e| format!("demo failed: {e}"))?;
    print!("\n{}", demo::render(&summary));
    Ok(())
}

/// The embedded demo market with the bots' logs, for `keeper` and `liquidator`
/// without `--url`.
fn embedded(what: &str) -> Result<(), CliError> {
    println!("no --url: running {what} inside the embedded demo market");
    let config = DemoConfig { users: 9, days: 3, plot: None, bot_logs: true, progress: false };
    demo::run(config, |line| println!("{line}")).map_err(|e| format!("embedded run failed: {e}"))?;
    Ok(())
}

/// With `--margin-account`, the keeper also deleverages accounts that opted in
/// to protection (repaying from `--wallet`s, receiving collateral there).
pub fn keeper(ctx: &Context, args: KeeperArgs) -> Result<(), CliError> {
    ctx.text_only("keeper")?;
    if ctx.global.url.is_none() {
        return embedded("the keeper");
    }
    let signer = ctx.keypair()?;
    let fees = args.fees.policy(bots::FeePolicy::default().max_bonus_share_bps);
    let deleverager = args.margin_account.map(|account| Liquidator {
        wallets: args.funding.wallets(),
        oracles: args.funding.oracles.book(),
        fees,
        ..Liquidator::new(&signer, account)
    });
    let mut chain = ctx.checked_chain()?;
    args.repeat.run(|| {
        bots::keeper_once_with(&mut chain, &signer, args.max_age, &fees, &mut |line| println!("{line}"))?;
        if let Some(keeper) = &deleverager {
            deleverage_once(&mut chain, keeper, &mut |line| println!("{line}"))?;
        }
        Ok(())
    })
}

pub fn liquidator(ctx: &Context, args: LiquidatorArgs) -> Result<(), CliError> {
    ctx.text_only("liquidator")?;
    if ctx.global.url.is_none() {
        return embedded("two liquidators");
    }
    let margin_account = args.margin_account.ok_or("--margin-account is required with --url")?;
    let signer = ctx.keypair()?;
    let bot = Liquidator {
        wallets: args.funding.wallets(),
        oracles: args.funding.oracles.book(),
        min_profit_usd: args.min_profit,
        keep_positions: args.keep_positions,
        fees: args.fees.policy(args.max_fee_share),
        ..Liquidator::new(&signer, margin_account)
    };
    let mut chain = ctx.checked_chain()?;
    bot.load_tables(&mut chain, &args.lookup_tables).map_err(rpc)?;
    if let Some(ws_url) = &args.ws_url {
        let config = StreamConfig {
            resync: Duration::from_secs(args.resync),
            reproject: Duration::from_secs(args.reproject),
            ..StreamConfig::new(ws_url)
        };
        let stop = AtomicBool::new(false);
        stream::run(&mut chain, &bot, config, &stop, &mut |line| println!("{line}")).map_err(rpc)?;
        return Ok(());
    }
    args.repeat.run(|| bots::liquidator_once(&mut chain, &bot, &mut |line| println!("{line}")).map(|_| ()))
}
