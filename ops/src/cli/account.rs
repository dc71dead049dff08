//! `margin account show ADDR` (positions, health at every level, the risk
//! report) and `margin accounts list [--group G] [--unhealthy]` (one line per
//! margin account). Health comes from the program's own engine through the
//! client's health cache, with the outage policy of the `health` instruction;
//! where an oracle can't be read the health is reported unavailable, never a
//! failure of the whole list.

use std::collections::HashMap;

use clap::{Args, Subcommand};
use margin_client::{
    accounts::{self, MarginAccountData},
    health::{to_usd, HealthCache},
    interface::{
        fixed,
        health::{level_index, Unpriced, ALL_LEVELS, EQUITY, INITIAL, MAINTENANCE, STRESS},
        state::{AccountKind, OracleKind, Pool},
    },
    risk::greeks,
};
use serde::Serialize;
use solana_sdk::{account::Account, pubkey::Pubkey};

use super::{account_type, fetch_group, hex, pubkey_arg, risk, rpc, ui_amount, CliError, Context, OracleArgs};
use crate::bots::{fetch_positions, snapshot, Chain, OracleBook, Rpc};

/// `margin account ...`.
#[derive(Subcommand, Debug)]
pub enum AccountCommand {
    /// Positions with deposits and debts, health at every level (Initial,
    /// Maintenance, Equity, Stress) and the risk report.
    Show(ShowArgs),
}

/// `margin account show`.
#[derive(Args, Debug)]
pub struct ShowArgs {
    /// The margin account
    #[arg(value_name = "ADDR", value_parser = pubkey_arg)]
    address: Pubkey,
    #[command(flatten)]
    oracles: OracleArgs,
    #[command(flatten)]
    risk: risk::RiskOptionArgs,
}

/// `margin accounts ...`.
#[derive(Subcommand, Debug)]
pub enum AccountsCommand {
    /// One line per margin account: address, owner, kind, positions,
    /// Maintenance health.
    List(ListArgs),
}

/// `margin accounts list`.
#[derive(Args, Debug)]
pub struct ListArgs {
    /// Only the accounts of this group
    #[arg(long, value_name = "GROUP", value_parser = pubkey_arg)]
    group: Option<Pubkey>,
    /// Only accounts whose Maintenance health is below zero (liquidatable)
    #[arg(long)]
    unhealthy: bool,
    #[command(flatten)]
    oracles: OracleArgs,
}

/// One margin account as fetched, with the pools of its positions.
pub struct Loaded {
    /// Decoded.
    pub account: MarginAccountData,
    /// Cluster time.
    pub now: i64,
    /// The pools of its positions by address.
    pub pools: HashMap<Pubkey, Pool>,
}

/// Fetches and decodes the margin account at `address` and its pools: a clear
/// error when it is missing or another kind of account.
pub fn load(chain: &mut Rpc, address: &Pubkey) -> Result<Loaded, CliError> {
    let now = chain.now().map_err(rpc)?;
    let found = chain.account(address).map_err(rpc)?.ok_or_else(|| format!("account {address} not found"))?;
    let program = chain.program;
    let account = accounts::margin_account(&found.data)
        .ok()
        .filter(|_| found.owner == program.id)
        .ok_or_else(|| format!("{address} is not a margin account: it is {}", account_type(&found, &program)))?;
    let mut pools = HashMap::new();
    for position in account.active() {
        let key = Pubkey::new_from_array(position.pool);
        pools.insert(key, super::fetch_pool(chain, &key)?);
    }
    Ok(Loaded { account, now, pools })
}

impl Loaded {
    /// The health cache, or why the account can't be priced.
    pub fn health_cache(&self, chain: &mut Rpc, oracles: &OracleBook) -> Result<Result<HealthCache, String>, CliError> {
        priced(chain, &self.account, &self.pools, oracles, self.now, &mut HashMap::new())
    }
}

/// The health cache of `account` (positions in `pools`), fetching its pools'
/// oracle accounts into `fetched` (shared across accounts: each fetched once).
/// The inner error says why the account can't be priced (a pull feed without
/// `--oracle`, an oracle account missing, a stale price on a debt...); the
/// outer one is an RPC failure.
fn priced(
    chain: &mut Rpc,
    account: &MarginAccountData,
    pools: &HashMap<Pubkey, Pool>,
    oracles: &OracleBook,
    now: i64,
    fetched: &mut HashMap<Pubkey, Account>,
) -> Result<Result<HealthCache, String>, CliError> {
    let mut oracle_map = HashMap::new();
    let mut needed = Vec::new();
    for position in account.active() {
        let key = Pubkey::new_from_array(position.pool);
        let Some(pool) = pools.get(&key) else { return Ok(Err(format!("pool {key} not found"))) };
        // A pool without an oracle counts zero whatever account is passed for it.
        let oracle = match oracles.oracle_for(pool) {
            Some(oracle) => {
                needed.push((key, oracle));
                oracle
            }
            None if pool.config.oracle.kind == OracleKind::PythPull as u8 => {
                let feed = hex(&pool.config.oracle.address);
                return Ok(Err(format!(
                    "pool {key} has a pull feed: pass its update account with --oracle {feed}=ACCOUNT"
                )));
            }
            None => Pubkey::default(),
        };
        oracle_map.insert(key, oracle);
    }
    let oracle_of = |pool: &Pubkey| oracle_map.get(pool).copied().unwrap_or_default();
    fetch_positions(chain, [account], oracle_of, fetched).map_err(rpc)?;
    if let Some((pool, oracle)) = needed.iter().find(|(_, oracle)| !fetched.contains_key(oracle)) {
        return Ok(Err(format!("oracle account {oracle} of pool {pool} not found")));
    }
    let cache = chain.program.health_cache_with(account, fetched, oracle_of, now, Unpriced::ZeroDeposits);
    Ok(cache.map_err(|e| format!("health: {e:?}")))
}

/// Cross or isolated.
fn kind_name(account: &MarginAccountData) -> &'static str {
    match AccountKind::from_u8(account.header.kind) {
        Some(AccountKind::Cross) => "cross",
        Some(AccountKind::Isolated) => "isolated",
        None => "unknown",
    }
}

/// A position's weighted value (assets - liabilities) per level, USD.
#[derive(Serialize, Debug)]
struct LevelValues {
    initial: f64,
    maintenance: f64,
    equity: f64,
    stress: f64,
}

#[derive(Serialize, Debug)]
struct PositionJson {
    pool: String,
    mint: String,
    decimals: u8,
    deposit_native: u128,
    deposit: f64,
    debt_native: u128,
    debt: f64,
    /// USD per whole token as health read it; `None` when unpriced.
    price: Option<f64>,
    values: Option<LevelValues>,
}

#[derive(Serialize, Debug)]
struct AccountJson {
    address: String,
    owner: String,
    group: String,
    kind: &'static str,
    positions: Vec<PositionJson>,
    health: Option<risk::HealthJson>,
    health_error: Option<String>,
    risk: Option<risk::RiskJson>,
    risk_error: Option<String>,
}

pub fn run_account(ctx: &Context, command: AccountCommand) -> Result<(), CliError> {
    let AccountCommand::Show(args) = command;
    let mut chain = ctx.checked_chain()?;
    let loaded = load(&mut chain, &args.address)?;
    let cache = loaded.health_cache(&mut chain, &args.oracles.book())?;
    let levels = ALL_LEVELS | STRESS;
    let mut positions = Vec::new();
    for (index, position) in loaded.account.active().iter().enumerate() {
        let key = Pubkey::new_from_array(position.pool);
        let pool = &loaded.pools[&key];
        let (deposit_value, borrow_value) =
            pool.share_values_at(loaded.now).map_err(|e| format!("pool {key}: interest: {e:?}"))?;
        let deposit_native = fixed::mul_q64_floor(position.deposit_shares, deposit_value).unwrap_or(u128::MAX);
        let debt_native = fixed::mul_q64_ceil(position.borrow_shares, borrow_value).unwrap_or(u128::MAX);
        let cached = cache.as_ref().ok().map(|cache| &cache.positions[index]);
        let price = cached.and_then(|c| c.price).map(|p| p.price as f64 * 10f64.powi(p.expo));
        let values = match &cache {
            Ok(cache) => cache.values_at(index, levels).ok().map(|v| {
                let net = |level| {
                    let i = level_index(level);
                    to_usd(v.assets[i] as i128 - v.liabilities[i] as i128)
                };
                LevelValues {
                    initial: net(INITIAL),
                    maintenance: net(MAINTENANCE),
                    equity: net(EQUITY),
                    stress: net(STRESS),
                }
            }),
            Err(_) => None,
        };
        positions.push(PositionJson {
            pool: key.to_string(),
            mint: Pubkey::new_from_array(pool.mint).to_string(),
            decimals: pool.mint_decimals,
            deposit_native,
            deposit: ui_amount(deposit_native, pool.mint_decimals),
            debt_native,
            debt: ui_amount(debt_native, pool.mint_decimals),
            price,
            values,
        });
    }
    let (health, health_error) = match cache.as_ref().map(|c| c.health_at(levels)) {
        Ok(Ok(health)) => (Some(health), None),
        Ok(Err(e)) => (None, Some(format!("health: {e:?}"))),
        Err(why) => (None, Some(why.clone())),
    };
    let report = match &cache {
        Ok(cache) => greeks(cache, &args.risk.options()).map_err(|e| format!("risk report: {e:?}")),
        Err(_) => Err("needs the health".to_string()),
    };
    let header = &loaded.account.header;
    let json = AccountJson {
        address: args.address.to_string(),
        owner: Pubkey::new_from_array(header.owner).to_string(),
        group: Pubkey::new_from_array(header.group).to_string(),
        kind: kind_name(&loaded.account),
        positions,
        health: health.as_ref().map(risk::HealthJson::new),
        health_error,
        risk: report.as_ref().ok().map(|r| risk::RiskJson::new(&args.address, r)),
        risk_error: report.as_ref().err().cloned(),
    };
    ctx.print(&json, || {
        let mut out = format!(
            "margin account {}: {} account of {} in group {}, {} position(s)\n",
            json.address,
            json.kind,
            json.owner,
            json.group,
            json.positions.len()
        );
        for p in &json.positions {
            let price = p.price.map_or("unpriced".to_string(), |price| format!("${price:.4}"));
            out += &format!(
                "  pool {} (mint {}): deposit {} ({} native), debt {} ({} native), price {price}\n",
                p.pool, p.mint, p.deposit, p.deposit_native, p.debt, p.debt_native
            );
            if let Some(v) = &p.values {
                out += &format!(
                    "    net value: initial ${:.2}, maintenance ${:.2}, equity ${:.2}, stress ${:.2}\n",
                    v.initial, v.maintenance, v.equity, v.stress
                );
            }
        }
        match (&json.health, &json.health_error) {
            (Some(h), _) => {
                out += &format!(
                    "health: initial ${:.2}, maintenance ${:.2}, equity ${:.2}, stress ${:.2}{}\n",
                    h.initial,
                    h.maintenance,
                    h.equity,
                    h.stress,
                    if h.maintenance < 0.0 { " (liquidatable)" } else { "" }
                )
            }
            (None, why) => out += &format!("health: unavailable ({})\n", why.as_deref().unwrap_or("unknown")),
        }
        match &report {
            Ok(report) => out += &risk::text(&args.address, report),
            Err(why) if json.health.is_some() => out += &format!("risk report: unavailable ({why})\n"),
            Err(_) => {}
        }
        out
    })
}

#[derive(Serialize, Debug)]
struct ListedJson {
    address: String,
    owner: String,
    group: String,
    kind: &'static str,
    positions: usize,
    maintenance: Option<f64>,
    health: Option<risk::HealthJson>,
    health_error: Option<String>,
}

pub fn run_accounts(ctx: &Context, command: AccountsCommand) -> Result<(), CliError> {
    let AccountsCommand::List(args) = command;
    let mut chain = ctx.checked_chain()?;
    if let Some(group) = &args.group {
        fetch_group(&mut chain, group)?.ok_or_else(|| format!("group {group} not found"))?;
    }
    let now = chain.now().map_err(rpc)?;
    let found = snapshot(&mut chain).map_err(rpc)?;
    let oracles = args.oracles.book();
    let mut fetched = HashMap::new();
    let mut listed = Vec::new();
    let mut accounts = found.margin_accounts;
    accounts.sort_by_key(|(key, _)| *key);
    for (key, account) in &accounts {
        if args.group.is_some_and(|group| group.to_bytes() != account.header.group) {
            continue;
        }
        let health = priced(&mut chain, account, &found.pools, &oracles, now, &mut fetched)?
            .and_then(|cache| cache.health_at(ALL_LEVELS | STRESS).map_err(|e| format!("health: {e:?}")));
        let (health, health_error) = match health {
            Ok(health) => (Some(risk::HealthJson::new(&health)), None),
            Err(why) => (None, Some(why)),
        };
        if args.unhealthy && !health.is_some_and(|h| h.maintenance < 0.0) {
            continue;
        }
        listed.push(ListedJson {
            address: key.to_string(),
            owner: Pubkey::new_from_array(account.header.owner).to_string(),
            group: Pubkey::new_from_array(account.header.group).to_string(),
            kind: kind_name(account),
            positions: account.active().len(),
            maintenance: health.map(|h| h.maintenance),
            health,
            health_error,
        });
    }
    ctx.print(&listed, || {
        let mut out = String::new();
        for a in &listed {
            let maintenance = match (a.maintenance, &a.health_error) {
                (Some(m), _) => format!("maintenance ${m:.2}"),
                (None, why) => format!("maintenance unavailable ({})", why.as_deref().unwrap_or("unknown")),
            };
            out += &format!("{} owner {} {} {} position(s) {maintenance}\n", a.address, a.owner, a.kind, a.positions);
        }
        let what = if args.unhealthy { "unhealthy margin account(s)" } else { "margin account(s)" };
        out += &format!("{} {what}\n", listed.len());
        out
    })
}
