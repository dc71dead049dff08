//! The `margin` command line: parsing (clap derive), the flags every command
//! shares and where their defaults come from, and the commands themselves, one
//! module per group. `src/bin/margin.rs` only parses and prints the error.
//!
//! Errors are one line (`error: ...` on stderr, exit status 1); clap's usage
//! errors keep clap's exit status 2.

mod account;
mod bots;
mod market;
mod pool;
mod program;
mod risk;

use std::{path::PathBuf, str::FromStr};

use clap::{Args, Parser, Subcommand, ValueEnum};
use margin_client::{
    accounts,
    interface::state::{has_tag, AccountType, Group, MarginAccountHeader, PendingPoolConfig, Pool},
    MarginProgram,
};
use serde::Serialize;
use solana_sdk::{
    account::Account,
    instruction::Instruction,
    pubkey::Pubkey,
    signature::{read_keypair_file, Keypair},
};

use crate::bots::{BotError, Chain, FeePolicy, OracleBook, Rpc};

pub use market::{check_pool_config, MarketFile, PoolEntry};

/// What went wrong, in one line (printed after `error: `).
pub type CliError = String;

/// Operate the margin lending program: markets, pools, accounts, the keeper and
/// liquidator bots, deployments.
#[derive(Parser, Debug)]
#[command(name = "margin", version, arg_required_else_help = true, propagate_version = true)]
pub struct Cli {
    /// Flags every command takes, before or after the subcommand.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The flags every command shares (`global`: accepted before or after the
/// subcommand), with the Solana CLI's names and defaults.
#[derive(Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Cluster: localhost, devnet, testnet, mainnet-beta (or l, d, t, m) or an
    /// http(s) URL [default: the Solana CLI config's json_rpc_url; keeper and
    /// liquidator run the embedded demo market without it]
    #[arg(short = 'u', long = "url", alias = "rpc-url", global = true, value_name = "URL_OR_MONIKER", value_parser = cluster_url)]
    pub url: Option<String>,
    /// Keypair file that signs and pays [default: the Solana CLI config's
    /// keypair_path, else ~/.config/solana/id.json]
    #[arg(short = 'k', long, global = true, value_name = "PATH")]
    pub keypair: Option<PathBuf>,
    /// The margin program's address [default: the declared id,
    /// Lyteq51gQm4HPK8shkXx4n4CvT5v6bMGS9gZr674cXh]
    #[arg(long, global = true, value_name = "ADDR", value_parser = pubkey_arg)]
    pub program_id: Option<Pubkey>,
    /// Output format of the commands that report (not the bots' logs)
    #[arg(short = 'o', long, global = true, value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// Solana CLI config file the defaults of --url and --keypair come from
    /// [default: ~/.config/solana/cli/config.yml]
    #[arg(long, global = true, value_name = "PATH")]
    pub solana_config: Option<PathBuf>,
}

/// `--output`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Sentences and tables.
    Text,
    /// One JSON document on stdout.
    Json,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the demo market on the embedded SVM.
    Demo(bots::DemoArgs),
    /// Crank interest (and deleverage protected accounts) over JSON-RPC, or in
    /// the embedded demo market without --url.
    Keeper(bots::KeeperArgs),
    /// Liquidate unhealthy accounts over JSON-RPC, or in the embedded demo
    /// market without --url.
    Liquidator(bots::LiquidatorArgs),
    /// Greeks, liquidation distances and probabilities of one margin account.
    Risk(risk::RiskArgs),
    /// Create a group, its pools and their oracles and risk parameters from a
    /// TOML file.
    #[command(subcommand)]
    Market(market::MarketCommand),
    /// Inspect and administer one pool.
    #[command(subcommand)]
    Pool(pool::PoolCommand),
    /// Inspect one margin account.
    #[command(subcommand)]
    Account(account::AccountCommand),
    /// List margin accounts.
    #[command(subcommand)]
    Accounts(account::AccountsCommand),
    /// Deploy, upgrade, inspect and verify the program (upgradeable loader).
    #[command(subcommand)]
    Program(program::ProgramCommand),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), CliError> {
    let ctx = Context::new(cli.global);
    match cli.command {
        Command::Demo(args) => bots::demo(&ctx, args),
        Command::Keeper(args) => bots::keeper(&ctx, args),
        Command::Liquidator(args) => bots::liquidator(&ctx, args),
        Command::Risk(args) => risk::run(&ctx, args),
        Command::Market(command) => market::run(&ctx, command),
        Command::Pool(command) => pool::run(&ctx, command),
        Command::Account(command) => account::run_account(&ctx, command),
        Command::Accounts(command) => account::run_accounts(&ctx, command),
        Command::Program(command) => program::run(&ctx, command),
    }
}

/// A moniker or an http(s) URL to the cluster's JSON-RPC URL, as the Solana CLI
/// reads `-u`.
pub fn cluster_url(text: &str) -> Result<String, String> {
    let url = match text {
        "localhost" | "l" => "http://localhost:8899",
        "devnet" | "d" => "https://api.devnet.solana.com",
        "testnet" | "t" => "https://api.testnet.solana.com",
        "mainnet-beta" | "m" => "https://api.mainnet-beta.solana.com",
        url if url.starts_with("http://") || url.starts_with("https://") => url,
        _ => return Err("expected localhost, devnet, testnet, mainnet-beta or an http(s) URL".into()),
    };
    Ok(url.to_string())
}

/// A base58 address (clap value parser).
pub fn pubkey_arg(text: &str) -> Result<Pubkey, String> {
    Pubkey::from_str(text).map_err(|_| format!("'{text}' is not a base58 address"))
}

/// `LEFT=ADDRESS` (clap value parser of `--wallet`, `--oracle`).
fn pair_arg(text: &str) -> Result<(String, Pubkey), String> {
    let (left, right) = text.split_once('=').ok_or_else(|| format!("expected LEFT=ADDRESS, got '{text}'"))?;
    Ok((left.to_string(), pubkey_arg(right)?))
}

/// `FEED_HEX=ACCOUNT` (`--oracle`): a pull feed id (64 hex digits, optional
/// `0x`) and the `PriceUpdateV2` account to pass for it.
pub fn oracle_arg(text: &str) -> Result<([u8; 32], Pubkey), String> {
    let (feed, account) = pair_arg(text)?;
    Ok((feed_id(&feed)?, account))
}

/// 32 bytes from 64 hex digits (optional `0x`).
pub fn feed_id(text: &str) -> Result<[u8; 32], String> {
    let hex = text.trim_start_matches("0x");
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("feed id '{text}' must be 32 bytes of hex (64 digits)"));
    }
    let mut id = [0u8; 32];
    for (i, byte) in id.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("checked hex digits");
    }
    Ok(id)
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `--oracle FEED_HEX=ACCOUNT ...`, shared by every command that prices
/// accounts: where each pull feed's update account is.
#[derive(Args, Debug, Clone, Default)]
pub struct OracleArgs {
    /// For pull pools: the PriceUpdateV2 account to pass for a feed id
    /// (repeatable)
    #[arg(long = "oracle", value_name = "FEED_HEX=ACCOUNT", value_parser = oracle_arg)]
    pub oracles: Vec<([u8; 32], Pubkey)>,
}

impl OracleArgs {
    /// As the bots take it.
    pub fn book(&self) -> OracleBook {
        OracleBook { feeds: self.oracles.iter().copied().collect() }
    }
}

/// The resolved global flags: cluster, signer, program, output.
pub struct Context {
    global: GlobalArgs,
}

impl Context {
    fn new(global: GlobalArgs) -> Self {
        Self { global }
    }

    /// The deployment every instruction and account check targets.
    pub fn program(&self) -> MarginProgram {
        self.global.program_id.map(MarginProgram::new).unwrap_or_default()
    }

    /// Whether `--output json`.
    pub fn json(&self) -> bool {
        self.global.output == Output::Json
    }

    /// Refuses `--output json` for `command`, which only logs.
    pub fn text_only(&self, command: &str) -> Result<(), CliError> {
        if self.json() {
            return Err(format!("{command} prints a log: --output json is not supported"));
        }
        Ok(())
    }

    /// The Solana CLI config: `--solana-config` (which must exist), else the
    /// default file when there is one.
    fn solana_config(&self) -> Result<Option<solana_cli_config::Config>, CliError> {
        let (path, given) = match &self.global.solana_config {
            Some(path) => (path.to_string_lossy().into_owned(), true),
            None => match solana_cli_config::CONFIG_FILE.as_ref() {
                Some(path) => (path.clone(), false),
                None => return Ok(None),
            },
        };
        if !given && !std::path::Path::new(&path).exists() {
            return Ok(None);
        }
        solana_cli_config::Config::load(&path)
            .map(Some)
            .map_err(|e| format!("cannot read the Solana CLI config {path}: {e}"))
    }

    /// `--url`, else the Solana CLI config's.
    pub fn url(&self) -> Result<String, CliError> {
        if let Some(url) = &self.global.url {
            return Ok(url.clone());
        }
        match self.solana_config()? {
            Some(config) if !config.json_rpc_url.is_empty() => cluster_url(&config.json_rpc_url)
                .map_err(|e| format!("the Solana CLI config's json_rpc_url '{}': {e}", config.json_rpc_url)),
            _ => Err("no cluster: pass -u/--url (localhost, devnet, testnet, mainnet-beta or a URL) or set one with `solana config set --url`".into()),
        }
    }

    /// The path of the signer's keypair: `--keypair`, else the Solana CLI
    /// config's, else the Solana CLI's default (`~/.config/solana/id.json`).
    pub fn keypair_path(&self) -> Result<String, CliError> {
        if let Some(path) = &self.global.keypair {
            return Ok(path.to_string_lossy().into_owned());
        }
        Ok(match self.solana_config()? {
            Some(config) if !config.keypair_path.is_empty() => config.keypair_path,
            _ => solana_cli_config::Config::default().keypair_path,
        })
    }

    /// The signer.
    pub fn keypair(&self) -> Result<Keypair, CliError> {
        let path = self.keypair_path()?;
        read_keypair_file(&path).map_err(|e| format!("cannot read keypair {path}: {e}"))
    }

    /// The cluster over JSON-RPC, for `--program-id`.
    pub fn chain(&self) -> Result<Rpc, CliError> {
        Ok(Rpc::for_program(&self.url()?, self.program()))
    }

    /// The cluster, after checking that `--program-id` is a program there: a
    /// wrong id is one clear error rather than "no accounts".
    pub fn checked_chain(&self) -> Result<Rpc, CliError> {
        let mut chain = self.chain()?;
        let id = chain.program.id;
        match chain.account(&id).map_err(rpc)? {
            None => Err(format!("program {id} is not deployed on {}", chain.client.url())),
            Some(account) if !account.executable => {
                Err(format!("{id} is not a program (an account owned by {})", account.owner))
            }
            Some(_) => Ok(chain),
        }
    }

    /// Prints `value` as JSON, or `text` as it is.
    pub fn print<T: Serialize>(&self, value: &T, text: impl FnOnce() -> String) -> Result<(), CliError> {
        if self.json() {
            let json = serde_json::to_string_pretty(value).map_err(|e| format!("cannot write JSON: {e}"))?;
            println!("{json}");
        } else {
            print!("{}", text());
        }
        Ok(())
    }
}

/// A bot error as a CLI error.
pub fn rpc(error: BotError) -> CliError {
    error.to_string()
}

/// Sends `instructions` signed and paid by `signer`, with the bots' compute
/// budget (simulated limit, recent-fee percentile).
pub fn send(chain: &mut Rpc, signer: &Keypair, instructions: &[Instruction]) -> Result<(), CliError> {
    crate::bots::send_priced(chain, signer, instructions, &[], &FeePolicy::default(), None).map(|_| ()).map_err(rpc)
}

/// What the margin program's account at `key` is, for errors that name it.
pub fn account_type(account: &Account, program: &MarginProgram) -> String {
    if account.owner != program.id {
        return format!("an account owned by {}, not the margin program {}", account.owner, program.id);
    }
    let data = &account.data;
    let name = if has_tag(data, &Pool::DISCRIMINATOR) {
        "a pool"
    } else if has_tag(data, &Group::DISCRIMINATOR) {
        "a group"
    } else if has_tag(data, &MarginAccountHeader::DISCRIMINATOR) {
        "a margin account"
    } else if has_tag(data, &PendingPoolConfig::DISCRIMINATOR) {
        "a pending pool config"
    } else {
        "an account of unknown type"
    };
    format!("{name} of the margin program")
}

/// Fetches `key` and checks it is owned by the program; `None` when missing.
pub fn fetch_owned(chain: &mut Rpc, key: &Pubkey) -> Result<Option<Account>, CliError> {
    let Some(account) = chain.account(key).map_err(rpc)? else { return Ok(None) };
    if account.owner != chain.program.id {
        return Err(format!("{key} is {}", account_type(&account, &chain.program)));
    }
    Ok(Some(account))
}

/// The pool at `key`, or why it is not one.
pub fn fetch_pool(chain: &mut Rpc, key: &Pubkey) -> Result<Pool, CliError> {
    let account = chain.account(key).map_err(rpc)?.ok_or_else(|| format!("pool {key} not found"))?;
    let program = chain.program;
    accounts::pool(&account.data)
        .ok()
        .filter(|_| account.owner == program.id)
        .ok_or_else(|| format!("{key} is not a pool: it is {}", account_type(&account, &program)))
}

/// The group at `key`, or why it is not one; `None` when missing.
pub fn fetch_group(chain: &mut Rpc, key: &Pubkey) -> Result<Option<Group>, CliError> {
    let Some(account) = chain.account(key).map_err(rpc)? else { return Ok(None) };
    let program = chain.program;
    accounts::group(&account.data)
        .ok()
        .filter(|_| account.owner == program.id)
        .map(Some)
        .ok_or_else(|| format!("{key} is not a group: it is {}", account_type(&account, &program)))
}

/// An amount of native units in whole tokens of `decimals`.
pub fn ui_amount(native: u128, decimals: u8) -> f64 {
    native as f64 / 10f64.powi(decimals as i32)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn monikers_resolve_as_the_solana_cli_resolves_them() {
        assert_eq!(cluster_url("devnet").unwrap(), "https://api.devnet.solana.com");
        assert_eq!(cluster_url("d").unwrap(), "https://api.devnet.solana.com");
        assert_eq!(cluster_url("mainnet-beta").unwrap(), "https://api.mainnet-beta.solana.com");
        assert_eq!(cluster_url("testnet").unwrap(), "https://api.testnet.solana.com");
        assert_eq!(cluster_url("localhost").unwrap(), "http://localhost:8899");
        assert_eq!(cluster_url("http://127.0.0.1:8899").unwrap(), "http://127.0.0.1:8899");
        assert!(cluster_url("not a url").is_err());
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_go_before_or_after_the_subcommand() {
        let before = Cli::try_parse_from([
            "margin",
            "-u",
            "devnet",
            "--output",
            "json",
            "pool",
            "show",
            "11111111111111111111111111111111",
        ])
        .unwrap();
        let after = Cli::try_parse_from([
            "margin",
            "pool",
            "show",
            "11111111111111111111111111111111",
            "-u",
            "d",
            "-o",
            "json",
        ])
        .unwrap();
        for cli in [before, after] {
            assert_eq!(cli.global.url.as_deref(), Some("https://api.devnet.solana.com"));
            assert_eq!(cli.global.output, Output::Json);
        }
        // The old spelling still works, hidden.
        let old = Cli::try_parse_from([
            "margin",
            "risk",
            "--rpc-url",
            "http://x:1",
            "--account",
            "11111111111111111111111111111111",
        ])
        .unwrap();
        assert_eq!(old.global.url.as_deref(), Some("http://x:1"));
    }

    #[test]
    fn feed_ids_are_64_hex_digits() {
        assert_eq!(feed_id(&format!("0x{}", "05".repeat(32))).unwrap(), [5u8; 32]);
        assert!(feed_id("05").is_err());
        assert!(feed_id(&"zz".repeat(32)).is_err());
    }
}
