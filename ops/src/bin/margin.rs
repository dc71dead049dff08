//! `margin`: the command line.
//!
//! ```text
//! margin demo [--users N] [--days N] [--bot-logs]
//! margin keeper [--rpc-url URL --keypair PATH] [--max-age SECS] [--interval SECS] [--once]
//!               [--margin-account ADDR --wallet MINT=TOKEN_ACCOUNT ... --oracle FEED_HEX=ACCOUNT ...]
//! margin liquidator [--rpc-url URL --keypair PATH --margin-account ADDR
//!                   --wallet MINT=TOKEN_ACCOUNT ... --oracle FEED_HEX=ACCOUNT ...]
//!                   [--min-profit USD] [--keep-positions N] [--lookup-table ADDR ...]
//!                   [--interval SECS] [--once]
//! margin risk --rpc-url URL --account ADDR [--oracle FEED_HEX=ACCOUNT ...] [--horizon 24h]
//!             [--vol POOL=SIGMA ...] [--correlation RHO] [--json]
//! ```
//!
//! Without `--rpc-url`, `keeper` and `liquidator` run inside the embedded demo
//! market (the real program on the embedded SVM) and print what they do.

use std::{collections::HashMap, process::ExitCode, str::FromStr, thread, time::Duration};

use margin_client::{
    health::{to_usd, HealthCache},
    interface::{health::Unpriced, state::OracleKind},
    risk::{greeks, GreeksReport, ProbabilityMethod, RiskOptions},
};
use margin_ops::bots::{self, Chain, Liquidator, OracleBook, Rpc};
use margin_ops::deleverage::deleverage_once;
use margin_ops::demo::{self, DemoConfig};
use solana_sdk::{
    pubkey::Pubkey,
    signature::{read_keypair_file, Signer},
};

const USAGE: &str = "usage:
  margin demo [--users N] [--days N] [--bot-logs]
  margin keeper [--rpc-url URL --keypair PATH] [--max-age SECS] [--interval SECS] [--once]
                [--margin-account ADDR --wallet MINT=TOKEN_ACCOUNT ... --oracle FEED_HEX=ACCOUNT ...]
                [--priority-fee MICRO_LAMPORTS | --fee-percentile P] [--cu-margin PCT]
  margin liquidator [--rpc-url URL --keypair PATH --margin-account ADDR --wallet MINT=TOKEN_ACCOUNT ...
                     --oracle FEED_HEX=ACCOUNT ...] [--min-profit USD] [--keep-positions N]
                     [--lookup-table ADDR ...] [--interval SECS] [--once]
                     [--priority-fee MICRO_LAMPORTS | --fee-percentile P] [--cu-margin PCT] [--max-fee-share BPS]
  margin risk --rpc-url URL --account ADDR [--oracle FEED_HEX=ACCOUNT ...] [--horizon 24h]
              [--vol POOL=SIGMA ...] [--correlation RHO] [--json]
  margin program deploy SO --rpc-url URL --keypair PATH --program-keypair PATH [--buffer-keypair PATH] [--max-len BYTES]
  margin program upgrade SO --rpc-url URL --keypair PATH --program-id ADDR [--buffer-keypair PATH]
  margin program set-upgrade-authority --rpc-url URL --keypair PATH --program-id ADDR (--new-authority ADDR | --final)
  margin program close-buffer --rpc-url URL --keypair PATH --buffer ADDR [--recipient ADDR]
  margin program show --rpc-url URL --keypair PATH --program-id ADDR
  margin program verify SO --rpc-url URL --keypair PATH --program-id ADDR";

/// Parsed `--flag value` pairs (repeatable) and bare `--switch`es.
struct Args {
    values: Vec<(String, String)>,
    switches: Vec<String>,
}

impl Args {
    fn parse(raw: &[String], switches: &[&str]) -> Result<Self, String> {
        let (mut values, mut found) = (Vec::new(), Vec::new());
        let mut iter = raw.iter();
        while let Some(flag) = iter.next() {
            if !flag.starts_with("--") {
                return Err(format!("unexpected argument '{flag}'"));
            }
            if switches.contains(&flag.as_str()) {
                found.push(flag.clone());
                continue;
            }
            let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
            values.push((flag.clone(), value.clone()));
        }
        Ok(Self { values, switches: found })
    }
    fn one(&self, flag: &str) -> Option<&str> {
        self.values.iter().rev().find(|(f, _)| f == flag).map(|(_, v)| v.as_str())
    }
    fn all(&self, flag: &str) -> Vec<&str> {
        self.values.iter().filter(|(f, _)| f == flag).map(|(_, v)| v.as_str()).collect()
    }
    fn number<T: FromStr>(&self, flag: &str, default: T) -> Result<T, String> {
        match self.one(flag) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| format!("{flag}: '{v}' is not a number")),
        }
    }
    fn has(&self, switch: &str) -> bool {
        self.switches.iter().any(|s| s == switch)
    }
    fn known(&self, allowed: &[&str]) -> Result<(), String> {
        match self.values.iter().find(|(f, _)| !allowed.contains(&f.as_str())) {
            Some((flag, _)) => Err(format!("unknown flag {flag}")),
            None => Ok(()),
        }
    }
}

fn pubkey(text: &str, what: &str) -> Result<Pubkey, String> {
    Pubkey::from_str(text).map_err(|_| format!("{what}: '{text}' is not a base58 address"))
}

fn pair(text: &str, what: &str) -> Result<(String, Pubkey), String> {
    let (left, right) = text.split_once('=').ok_or_else(|| format!("{what}: expected LEFT=ADDRESS, got '{text}'"))?;
    Ok((left.to_string(), pubkey(right, what)?))
}

/// `--oracle FEED_HEX=ACCOUNT` pairs: the update account to pass for each pull feed.
fn oracle_book(args: &Args) -> Result<OracleBook, String> {
    let mut feeds = HashMap::new();
    for text in args.all("--oracle") {
        let (feed, account) = pair(text, "--oracle")?;
        let mut id = [0u8; 32];
        let hex = feed.trim_start_matches("0x");
        if hex.len() != 64 {
            return Err(format!("--oracle: feed id '{feed}' must be 32 bytes of hex"));
        }
        for (i, byte) in id.iter_mut().enumerate() {
            *byte =
                u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| format!("--oracle: '{feed}' is not hex"))?;
        }
        feeds.insert(id, account);
    }
    Ok(OracleBook { feeds })
}

fn run_demo(args: &Args) -> Result<(), String> {
    args.known(&["--users", "--days"])?;
    let config = DemoConfig {
        users: args.number("--users", 24usize)?.max(3),
        days: args.number("--days", 30u32)?.max(2),
        bot_logs: args.has("--bot-logs"),
        ..DemoConfig::default()
    };
    let summary = demo::run(config, |line| println!("{line}")).map_err(|e| format!("demo failed: {e}"))?;
    print!("\n{}", demo::render(&summary));
    Ok(())
}

/// Loops `step` every `interval` seconds (once with `--once`); RPC failures end
/// the run with an error, refused transactions never do.
fn repeat(args: &Args, mut step: impl FnMut() -> Result<(), bots::BotError>) -> Result<(), String> {
    let interval = args.number("--interval", 10u64)?;
    loop {
        step().map_err(|e| e.to_string())?;
        if args.has("--once") {
            return Ok(());
        }
        thread::sleep(Duration::from_secs(interval));
    }
}

/// `--wallet MINT=TOKEN_ACCOUNT` pairs: the token account to repay from per mint.
fn wallets(args: &Args) -> Result<HashMap<Pubkey, Pubkey>, String> {
    let mut wallets = HashMap::new();
    for text in args.all("--wallet") {
        let (mint, account) = pair(text, "--wallet")?;
        wallets.insert(pubkey(&mint, "--wallet mint")?, account);
    }
    Ok(wallets)
}

/// With `--margin-account`, the keeper also deleverages accounts that opted in
/// to protection (repaying from `--wallet`s, receiving collateral there).
fn run_keeper(args: &Args) -> Result<(), String> {
    args.known(&[
        "--rpc-url",
        "--keypair",
        "--max-age",
        "--interval",
        "--margin-account",
        "--wallet",
        "--oracle",
        "--priority-fee",
        "--fee-percentile",
        "--cu-margin",
    ])?;
    let max_age = args.number("--max-age", 3_600i64)?;
    let fees = fee_policy(args)?;
    args.number("--interval", 10u64)?;
    let Some(url) = args.one("--rpc-url") else {
        println!("no --rpc-url: running the keeper inside the embedded demo market");
        let config = DemoConfig { users: 9, days: 3, plot: None, bot_logs: true, progress: false };
        demo::run(config, |line| println!("{line}")).map_err(|e| format!("embedded run failed: {e}"))?;
        return Ok(());
    };
    let path = args.one("--keypair").ok_or("--keypair is required with --rpc-url")?;
    let signer = read_keypair_file(path).map_err(|e| format!("cannot read keypair {path}: {e}"))?;
    let deleverager = match args.one("--margin-account") {
        Some(text) => Some(Liquidator {
            wallets: wallets(args)?,
            oracles: oracle_book(args)?,
            fees,
            ..Liquidator::new(&signer, pubkey(text, "--margin-account")?)
        }),
        None => None,
    };
    let mut chain = Rpc::new(url);
    repeat(args, || {
        bots::keeper_once_with(&mut chain, &signer, max_age, &fees, &mut |line| println!("{line}"))?;
        if let Some(keeper) = &deleverager {
            deleverage_once(&mut chain, keeper, &mut |line| println!("{line}"))?;
        }
        Ok(())
    })
}

/// `--priority-fee MICRO_LAMPORTS` (a fixed bid) or `--fee-percentile P` of
/// recent fees (default 75), `--cu-margin PCT` over the simulated units
/// (default 10), `--max-fee-share BPS` of a liquidation's bonus (default 2000).
fn fee_policy(args: &Args) -> Result<bots::FeePolicy, String> {
    let defaults = bots::FeePolicy::default();
    let price = match args.one("--priority-fee") {
        Some(_) => bots::PriorityFee::Fixed(args.number("--priority-fee", 0u64)?),
        None => {
            let percentile = args.number("--fee-percentile", 75u8)?;
            if percentile > 100 {
                return Err(format!("--fee-percentile must be 0..=100, not {percentile}"));
            }
            bots::PriorityFee::Percentile(percentile)
        }
    };
    Ok(bots::FeePolicy {
        margin_pct: args.number("--cu-margin", defaults.margin_pct)?,
        price,
        max_bonus_share_bps: args.number("--max-fee-share", defaults.max_bonus_share_bps)?,
    })
}

fn run_liquidator(args: &Args) -> Result<(), String> {
    args.known(&[
        "--rpc-url",
        "--keypair",
        "--margin-account",
        "--wallet",
        "--oracle",
        "--min-profit",
        "--interval",
        "--keep-positions",
        "--lookup-table",
        "--priority-fee",
        "--fee-percentile",
        "--cu-margin",
        "--max-fee-share",
    ])?;
    let min_profit_usd = args.number("--min-profit", 1.0f64)?;
    let fees = fee_policy(args)?;
    args.number("--interval", 10u64)?;
    let Some(url) = args.one("--rpc-url") else {
        println!("no --rpc-url: running two liquidators inside the embedded demo market");
        let config = DemoConfig { users: 9, days: 3, plot: None, bot_logs: true, progress: false };
        demo::run(config, |line| println!("{line}")).map_err(|e| format!("embedded run failed: {e}"))?;
        return Ok(());
    };
    let path = args.one("--keypair").ok_or("--keypair is required with --rpc-url")?;
    let signer = read_keypair_file(path).map_err(|e| format!("cannot read keypair {path}: {e}"))?;
    let margin_account =
        pubkey(args.one("--margin-account").ok_or("--margin-account is required")?, "--margin-account")?;
    let wallets = wallets(args)?;
    let keep_positions = args.number("--keep-positions", bots::DEFAULT_KEEP_POSITIONS)?;
    let bot = Liquidator {
        wallets,
        oracles: oracle_book(args)?,
        min_profit_usd,
        keep_positions,
        fees,
        ..Liquidator::new(&signer, margin_account)
    };
    let mut chain = Rpc::new(url);
    let tables =
        args.all("--lookup-table").into_iter().map(|t| pubkey(t, "--lookup-table")).collect::<Result<Vec<_>, _>>()?;
    bot.load_tables(&mut chain, &tables).map_err(|e| e.to_string())?;
    repeat(args, || bots::liquidator_once(&mut chain, &bot, &mut |line| println!("{line}")).map(|_| ()))
}

/// `90s`, `30m`, `24h`, `7d` or plain seconds.
fn horizon_secs(text: &str) -> Result<f64, String> {
    let (number, unit) = match text.char_indices().last() {
        Some((at, 's')) => (&text[..at], 1.0),
        Some((at, 'm')) => (&text[..at], 60.0),
        Some((at, 'h')) => (&text[..at], 3_600.0),
        Some((at, 'd')) => (&text[..at], 86_400.0),
        _ => (text, 1.0),
    };
    match number.parse::<f64>() {
        Ok(value) if value > 0.0 => Ok(value * unit),
        _ => Err(format!("--horizon: '{text}' is not a duration (e.g. 1h, 24h, 7d)")),
    }
}

/// A horizon in the largest whole unit.
fn horizon_label(secs: f64) -> String {
    match secs {
        s if s >= 86_400.0 && s % 86_400.0 == 0.0 => format!("{}d", s / 86_400.0),
        s if s >= 3_600.0 && s % 3_600.0 == 0.0 => format!("{}h", s / 3_600.0),
        s if s >= 60.0 && s % 60.0 == 0.0 => format!("{}m", s / 60.0),
        s => format!("{s}s"),
    }
}

/// Greeks, liquidation distances and probabilities of one margin account, from
/// accounts fetched over JSON-RPC (`margin_client::risk::greeks`).
fn run_risk(args: &Args) -> Result<(), String> {
    args.known(&["--rpc-url", "--account", "--oracle", "--horizon", "--vol", "--correlation"])?;
    let url = args.one("--rpc-url").ok_or("--rpc-url is required")?;
    let address = pubkey(args.one("--account").ok_or("--account is required")?, "--account")?;
    let oracles = oracle_book(args)?;
    let mut options = RiskOptions::default();
    if let Some(text) = args.one("--horizon") {
        options.horizons_secs = vec![horizon_secs(text)?];
    }
    for text in args.all("--vol") {
        let (pool, sigma) = text.split_once('=').ok_or_else(|| format!("--vol: expected POOL=SIGMA, got '{text}'"))?;
        let sigma: f64 = sigma.parse().map_err(|_| format!("--vol: '{sigma}' is not a number"))?;
        options.volatility.overrides.push((pubkey(pool, "--vol")?, sigma));
    }
    options.monte_carlo.correlation = args.number("--correlation", 0.0f64)?.clamp(0.0, 1.0);

    let mut chain = Rpc::new(url);
    let rpc = |e: bots::BotError| e.to_string();
    let now = chain.now().map_err(rpc)?;
    let fetched = chain.account(&address).map_err(rpc)?.ok_or_else(|| format!("account {address} not found"))?;
    let account = margin_client::accounts::margin_account(&fetched.data)
        .map_err(|e| format!("{address} is not a margin account: {e}"))?;
    let mut accounts = HashMap::new();
    let mut oracle_of = HashMap::new();
    for position in account.active() {
        let pool_key = Pubkey::new_from_array(position.pool);
        let pool_account =
            chain.account(&pool_key).map_err(rpc)?.ok_or_else(|| format!("pool {pool_key} not found"))?;
        let pool = margin_client::accounts::pool(&pool_account.data).map_err(|e| format!("pool {pool_key}: {e}"))?;
        // A pool without an oracle counts zero whatever account is passed for it.
        let oracle = match oracles.oracle_for(&pool) {
            Some(oracle) => oracle,
            None if pool.config.oracle.kind == OracleKind::PythPull as u8 => {
                return Err(format!("pool {pool_key} has a pull feed: pass its update account with --oracle"))
            }
            None => Pubkey::default(),
        };
        if let Some(found) = chain.account(&oracle).map_err(rpc)? {
            accounts.insert(oracle, found);
        }
        accounts.insert(pool_key, pool_account);
        oracle_of.insert(pool_key, oracle);
    }
    let cache = HealthCache::load(&account, &accounts, |p| oracle_of[p], now, Unpriced::ZeroDeposits)
        .map_err(|e| format!("health: {e:?}"))?;
    let report = greeks(&cache, &options).map_err(|e| format!("risk report: {e:?}"))?;
    if args.has("--json") {
        println!("{}", risk_json(&address, &report));
    } else {
        print!("{}", risk_text(&address, &report));
    }
    Ok(())
}

fn method_text(method: &ProbabilityMethod) -> String {
    match method {
        ProbabilityMethod::Deterministic => "deterministic (nothing moves)".to_string(),
        ProbabilityMethod::ClosedForm { pool } => format!("first passage, closed form, on {pool}"),
        ProbabilityMethod::MonteCarlo(mc) => format!(
            "Monte Carlo: {} paths, {} steps per horizon, seed {:#x}, correlation {}",
            mc.paths, mc.steps, mc.seed, mc.correlation
        ),
    }
}

fn risk_text(address: &Pubkey, report: &GreeksReport) -> String {
    let h = &report.health;
    let mut out = format!(
        "account {address}: maintenance ${:.2}, initial ${:.2}, equity ${:.2}, stress ${:.2}\n",
        to_usd(h.maintenance),
        to_usd(h.initial),
        to_usd(h.equity),
        to_usd(h.stress)
    );
    let labels: Vec<String> = report.horizons_secs.iter().map(|s| horizon_label(*s)).collect();
    for asset in &report.assets {
        out += &format!(
            "pool {}: price ${:.4}, sigma {:.1}%/yr, exposure ${:.2}, delta ${:.2} per +1%, gamma ${:.4}\n",
            asset.pool,
            asset.price,
            asset.sigma_annual * 100.0,
            asset.exposure,
            asset.delta,
            asset.gamma
        );
        match asset.liquidation_price {
            Some(liq) => {
                out += &format!("  liquidation price ${liq:.4} ({:+.2}%)\n", (liq / asset.price - 1.0) * 100.0)
            }
            None => out += "  no liquidation price\n",
        }
        for (i, label) in labels.iter().enumerate() {
            let distance = asset.distance[i].map_or("-".to_string(), |d| format!("{d:.2} sigma"));
            out += &format!(
                "  {label}: distance {distance}, P(liquidation, this asset alone) {:.6}\n",
                asset.probability_alone[i]
            );
        }
        if let Some(p) = &asset.penalty {
            out += &format!(
                "  penalty at liquidation: ${:.2} ({} bps on ${:.2} repaid, collateral {}, debt {})\n",
                p.penalty_usd, p.bonus_bps, p.repaid_usd, p.collateral_pool, p.debt_pool
            );
        }
    }
    out += &format!("P(maintenance health < 0), {}:\n", method_text(&report.method));
    for (i, label) in labels.iter().enumerate() {
        out += &format!("  {label}: {:.6} (standard error {:.6})\n", report.probability[i], report.standard_error[i]);
    }
    out
}

/// JSON by hand (the CLI has no serde_json): numbers, `null` for none.
fn risk_json(address: &Pubkey, report: &GreeksReport) -> String {
    let number = |x: f64| if x.is_finite() { format!("{x}") } else { "null".to_string() };
    let option = |x: Option<f64>| x.map_or("null".to_string(), number);
    let list = |items: Vec<String>| format!("[{}]", items.join(","));
    let h = &report.health;
    let assets = report
        .assets
        .iter()
        .map(|a| {
            let levels = a.levels.iter().map(|l| format!("{{\"delta\":{},\"gamma\":{}}}", number(l.delta), number(l.gamma)));
            let penalty = a.penalty.map_or("null".to_string(), |p| {
                format!(
                    "{{\"collateral_pool\":\"{}\",\"debt_pool\":\"{}\",\"bonus_bps\":{},\"repaid_usd\":{},\"penalty_usd\":{}}}",
                    p.collateral_pool,
                    p.debt_pool,
                    p.bonus_bps,
                    number(p.repaid_usd),
                    number(p.penalty_usd)
                )
            });
            format!(
                "{{\"pool\":\"{}\",\"price\":{},\"sigma_annual\":{},\"exposure\":{},\"delta\":{},\"gamma\":{},\"levels\":{},\"liquidation_price\":{},\"distance\":{},\"probability_alone\":{},\"penalty\":{}}}",
                a.pool,
                number(a.price),
                number(a.sigma_annual),
                number(a.exposure),
                number(a.delta),
                number(a.gamma),
                list(levels.collect()),
                option(a.liquidation_price),
                list(a.distance.iter().map(|d| option(*d)).collect()),
                list(a.probability_alone.iter().map(|p| number(*p)).collect()),
                penalty
            )
        })
        .collect();
    format!(
        "{{\"account\":\"{address}\",\"health\":{{\"initial\":{},\"maintenance\":{},\"equity\":{},\"stress\":{}}},\"horizons_secs\":{},\"assets\":{},\"probability\":{},\"standard_error\":{},\"method\":\"{}\"}}",
        number(to_usd(h.initial)),
        number(to_usd(h.maintenance)),
        number(to_usd(h.equity)),
        number(to_usd(h.stress)),
        list(report.horizons_secs.iter().map(|s| number(*s)).collect()),
        list(assets),
        list(report.probability.iter().map(|p| number(*p)).collect()),
        list(report.standard_error.iter().map(|p| number(*p)).collect()),
        method_text(&report.method)
    )
}

/// `margin program deploy|upgrade SO ...`, `set-upgrade-authority`,
/// `close-buffer`, `show`: the upgradeable loader (`margin_ops::deploy`).
fn run_program(raw: &[String]) -> Result<(), String> {
    let sub = raw.first().ok_or_else(|| format!("program needs a subcommand\n{USAGE}"))?.as_str();
    let takes_so = matches!(sub, "deploy" | "upgrade" | "verify");
    let so = if takes_so {
        Some(raw.get(1).filter(|a| !a.starts_with("--")).ok_or_else(|| format!("program {sub} needs the .so path"))?)
    } else {
        None
    };
    let args = Args::parse(&raw[if takes_so { 2 } else { 1 }..], &["--final"])?;
    args.known(&[
        "--rpc-url",
        "--keypair",
        "--program-keypair",
        "--program-id",
        "--buffer-keypair",
        "--max-len",
        "--new-authority",
        "--buffer",
        "--recipient",
    ])?;
    let url = args.one("--rpc-url").ok_or("--rpc-url is required")?;
    let path = args.one("--keypair").ok_or("--keypair is required")?;
    let payer = read_keypair_file(path).map_err(|e| format!("cannot read keypair {path}: {e}"))?;
    let rpc = solana_rpc_client::rpc_client::RpcClient::new_with_commitment(
        url.to_string(),
        solana_commitment_config::CommitmentConfig::confirmed(),
    );
    let mut log = |line: &str| println!("{line}");
    let elf = match so {
        Some(so) => Some(std::fs::read(so).map_err(|e| format!("cannot read {so}: {e}"))?),
        None => None,
    };
    // The buffer keypair: given, or new and saved next to the .so until the
    // loader consumes the buffer (so a failed write can be resumed or closed).
    let buffer = || -> Result<(solana_sdk::signature::Keypair, Option<String>), String> {
        match args.one("--buffer-keypair") {
            Some(path) => Ok((read_keypair_file(path).map_err(|e| format!("cannot read {path}: {e}"))?, None)),
            None => {
                let keypair = solana_sdk::signature::Keypair::new();
                let file = format!("{}.buffer-{}.json", so.expect("deploy and upgrade take a .so"), keypair.pubkey());
                solana_sdk::signature::write_keypair_file(&keypair, &file)
                    .map_err(|e| format!("cannot write {file}: {e}"))?;
                Ok((keypair, Some(file)))
            }
        }
    };
    // After a failure: how to resume, if a buffer was created; else the
    // generated keypair file goes.
    let resume_hint = |file: &Option<String>, buffer: &Pubkey| {
        let exists = rpc.get_account_with_commitment(buffer, rpc.commitment()).is_ok_and(|r| r.value.is_some());
        match file {
            Some(file) if exists => format!(
                " (resume with --buffer-keypair {file}, or reclaim its rent: margin program close-buffer --buffer {buffer})"
            ),
            Some(file) => {
                let _ = std::fs::remove_file(file);
                String::new()
            }
            None => String::new(),
        }
    };
    match sub {
        "deploy" => {
            let elf = elf.expect("read above");
            let program_path = args.one("--program-keypair").ok_or("--program-keypair is required")?;
            let program =
                read_keypair_file(program_path).map_err(|e| format!("cannot read keypair {program_path}: {e}"))?;
            let max_len = args.number("--max-len", elf.len() * 2)?;
            let (buffer, file) = buffer()?;
            margin_ops::deploy::deploy(&rpc, &payer, &program, &buffer, &elf, max_len, &mut log)
                .map_err(|e| format!("{e}{}", resume_hint(&file, &buffer.pubkey())))?;
            file.map(std::fs::remove_file);
            Ok(())
        }
        "upgrade" => {
            let elf = elf.expect("read above");
            let program_id = pubkey(args.one("--program-id").ok_or("--program-id is required")?, "--program-id")?;
            let (buffer, file) = buffer()?;
            margin_ops::deploy::upgrade(&rpc, &payer, &program_id, &buffer, &elf, &mut log)
                .map_err(|e| format!("{e}{}", resume_hint(&file, &buffer.pubkey())))?;
            file.map(std::fs::remove_file);
            Ok(())
        }
        "set-upgrade-authority" => {
            let program_id = pubkey(args.one("--program-id").ok_or("--program-id is required")?, "--program-id")?;
            let new = match (args.one("--new-authority"), args.has("--final")) {
                (Some(text), false) => Some(pubkey(text, "--new-authority")?),
                (None, true) => None,
                _ => return Err("pass exactly one of --new-authority ADDR and --final".into()),
            };
            margin_ops::deploy::set_upgrade_authority(&rpc, &payer, &program_id, new.as_ref(), &mut log)
        }
        "close-buffer" => {
            let buffer = pubkey(args.one("--buffer").ok_or("--buffer is required")?, "--buffer")?;
            let recipient = match args.one("--recipient") {
                Some(text) => pubkey(text, "--recipient")?,
                None => payer.pubkey(),
            };
            margin_ops::deploy::close_buffer(&rpc, &payer, &buffer, &recipient, &mut log)
        }
        "verify" => {
            let elf = elf.expect("read above");
            let program_id = pubkey(args.one("--program-id").ok_or("--program-id is required")?, "--program-id")?;
            let bytes = margin_ops::deploy::verify(&rpc, &program_id, &elf)?;
            let digest = solana_sdk::hash::hashv(&[&elf]);
            println!("program {program_id} holds this build: {bytes} bytes, sha256 {}", hex(&digest.to_bytes()));
            Ok(())
        }
        "show" => {
            let program_id = pubkey(args.one("--program-id").ok_or("--program-id is required")?, "--program-id")?;
            let info = margin_ops::deploy::program_info(&rpc, &program_id)?;
            let authority = info.upgrade_authority.map_or("none (immutable)".to_string(), |a| a.to_string());
            println!(
                "program {program_id}: data {}, last deployed in slot {}, upgrade authority {authority}, room for {} bytes",
                info.program_data, info.slot, info.max_len
            );
            Ok(())
        }
        other => Err(format!("unknown program subcommand '{other}'\n{USAGE}")),
    }
}

fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let Some(command) = raw.first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    if command == "program" {
        return match run_program(&raw[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::FAILURE
            }
        };
    }
    let args = match Args::parse(&raw[1..], &["--once", "--bot-logs", "--json"]) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match command.as_str() {
        "demo" => run_demo(&args),
        "keeper" => run_keeper(&args),
        "liquidator" => run_liquidator(&args),
        "risk" => run_risk(&args),
        other => Err(format!("unknown command '{other}'\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Lowercase hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
