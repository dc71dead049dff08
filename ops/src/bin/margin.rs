//! `margin`: the command line.
//!
//! ```text
//! margin demo [--users N] [--days N] [--bot-logs]
//! margin keeper [--rpc-url URL --keypair PATH] [--max-age SECS] [--interval SECS] [--once]
//! margin liquidator [--rpc-url URL --keypair PATH --margin-account ADDR
//!                   --wallet MINT=TOKEN_ACCOUNT ... --oracle FEED_HEX=ACCOUNT ...]
//!                   [--min-profit USD] [--keep-positions N] [--lookup-table ADDR ...]
//!                   [--interval SECS] [--once]
//! ```
//!
//! Without `--rpc-url`, `keeper` and `liquidator` run inside the embedded demo
//! market (the real program on the embedded SVM) and print what they do.

use std::{collections::HashMap, process::ExitCode, str::FromStr, thread, time::Duration};

use margin_ops::bots::{self, Liquidator, OracleBook, Rpc};
use margin_ops::demo::{self, DemoConfig};
use solana_sdk::{pubkey::Pubkey, signature::read_keypair_file};

const USAGE: &str = "usage:
  margin demo [--users N] [--days N] [--bot-logs]
  margin keeper [--rpc-url URL --keypair PATH] [--max-age SECS] [--interval SECS] [--once]
  margin liquidator [--rpc-url URL --keypair PATH --margin-account ADDR --wallet MINT=TOKEN_ACCOUNT ...
                     --oracle FEED_HEX=ACCOUNT ...] [--min-profit USD] [--keep-positions N]
                     [--lookup-table ADDR ...] [--interval SECS] [--once]";

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

fn run_keeper(args: &Args) -> Result<(), String> {
    args.known(&["--rpc-url", "--keypair", "--max-age", "--interval"])?;
    let max_age = args.number("--max-age", 3_600i64)?;
    args.number("--interval", 10u64)?;
    let Some(url) = args.one("--rpc-url") else {
        println!("no --rpc-url: running the keeper inside the embedded demo market");
        let config = DemoConfig { users: 9, days: 3, plot: None, bot_logs: true };
        demo::run(config, |line| println!("{line}")).map_err(|e| format!("embedded run failed: {e}"))?;
        return Ok(());
    };
    let path = args.one("--keypair").ok_or("--keypair is required with --rpc-url")?;
    let signer = read_keypair_file(path).map_err(|e| format!("cannot read keypair {path}: {e}"))?;
    let mut chain = Rpc::new(url);
    repeat(args, || bots::keeper_once(&mut chain, &signer, max_age, &mut |line| println!("{line}")).map(|_| ()))
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
    ])?;
    let min_profit_usd = args.number("--min-profit", 1.0f64)?;
    args.number("--interval", 10u64)?;
    let Some(url) = args.one("--rpc-url") else {
        println!("no --rpc-url: running two liquidators inside the embedded demo market");
        let config = DemoConfig { users: 9, days: 3, plot: None, bot_logs: true };
        demo::run(config, |line| println!("{line}")).map_err(|e| format!("embedded run failed: {e}"))?;
        return Ok(());
    };
    let path = args.one("--keypair").ok_or("--keypair is required with --rpc-url")?;
    let signer = read_keypair_file(path).map_err(|e| format!("cannot read keypair {path}: {e}"))?;
    let margin_account =
        pubkey(args.one("--margin-account").ok_or("--margin-account is required")?, "--margin-account")?;
    let mut wallets = HashMap::new();
    for text in args.all("--wallet") {
        let (mint, account) = pair(text, "--wallet")?;
        wallets.insert(pubkey(&mint, "--wallet mint")?, account);
    }
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
    let keep_positions = args.number("--keep-positions", bots::DEFAULT_KEEP_POSITIONS)?;
    let bot = Liquidator {
        wallets,
        oracles: OracleBook { feeds },
        min_profit_usd,
        keep_positions,
        ..Liquidator::new(&signer, margin_account)
    };
    let mut chain = Rpc::new(url);
    let tables =
        args.all("--lookup-table").into_iter().map(|t| pubkey(t, "--lookup-table")).collect::<Result<Vec<_>, _>>()?;
    bot.load_tables(&mut chain, &tables).map_err(|e| e.to_string())?;
    repeat(args, || bots::liquidator_once(&mut chain, &bot, &mut |line| println!("{line}")).map(|_| ()))
}

fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let Some(command) = raw.first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let args = match Args::parse(&raw[1..], &["--once", "--bot-logs"]) {
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
