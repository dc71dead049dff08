//! `margin pool show|status|update|apply POOL`: one pool's config, totals and
//! rates; its status; config changes from a market file's `[[pool]]` table,
//! applied at once or queued behind the group's delay as the program decides
//! (`PoolConfig::applies_immediately_over`), and applying a queued one.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use margin_client::interface::{
    error::MarginError,
    interest::{utilization, RATE_ONE, UTILIZATION_ONE},
    state::{check_bytes, Group, OracleKind, PendingPoolConfig, Pool, PoolConfig, PoolStatus},
    BPS,
};
use margin_client::pda::PoolKeys;
use serde::Serialize;
use serde_json::{json, Value};
use solana_sdk::{pubkey::Pubkey, signature::Signer};

use super::{fetch_group, fetch_owned, fetch_pool, hex, market, pubkey_arg, rpc, send, ui_amount, CliError, Context};
use crate::bots::{Chain, Rpc};

/// `margin pool ...`.
#[derive(Subcommand, Debug)]
pub enum PoolCommand {
    /// Config, status, totals (native and UI units), utilization, rates and any
    /// queued config change.
    Show(PoolArg),
    /// Set the pool's status (the group's admin).
    Status(StatusArgs),
    /// Change the pool's config from a [[pool]] table with its mint (omitted
    /// fields keep their current values; the group's admin): applied at once
    /// when it only loosens risk, else queued behind the group's config delay.
    Update(UpdateArgs),
    /// Apply the pool's queued config change once due (anyone).
    Apply(PoolArg),
}

/// The pool.
#[derive(Args, Debug)]
pub struct PoolArg {
    /// The pool's address
    #[arg(value_name = "POOL", value_parser = pubkey_arg)]
    pool: Pubkey,
}

/// `margin pool status`.
#[derive(Args, Debug)]
pub struct StatusArgs {
    /// The pool's address
    #[arg(value_name = "POOL", value_parser = pubkey_arg)]
    pool: Pubkey,
    /// The new status
    #[arg(value_enum)]
    status: StatusArg,
}

/// `PoolStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StatusArg {
    /// Everything allowed
    Active,
    /// Deposits and new borrows refused; withdraw, repay and liquidation work
    ReduceOnly,
    /// Only repay and liquidation work
    Paused,
}

impl StatusArg {
    fn status(self) -> PoolStatus {
        match self {
            Self::Active => PoolStatus::Active,
            Self::ReduceOnly => PoolStatus::ReduceOnly,
            Self::Paused => PoolStatus::Paused,
        }
    }
}

/// A status as the command line spells it.
fn status_name(status: PoolStatus) -> &'static str {
    match status {
        PoolStatus::Active => "active",
        PoolStatus::ReduceOnly => "reduce-only",
        PoolStatus::Paused => "paused",
    }
}

/// `margin pool update`.
#[derive(Args, Debug)]
pub struct UpdateArgs {
    /// The pool's address
    #[arg(value_name = "POOL", value_parser = pubkey_arg)]
    pool: Pubkey,
    /// A market file whose [[pool]] with this pool's mint holds the changes
    #[arg(long, value_name = "PATH")]
    config: PathBuf,
}

pub fn run(ctx: &Context, command: PoolCommand) -> Result<(), CliError> {
    match command {
        PoolCommand::Show(args) => show(ctx, args),
        PoolCommand::Status(args) => set_status(ctx, args),
        PoolCommand::Update(args) => update(ctx, args),
        PoolCommand::Apply(args) => apply(ctx, args),
    }
}

/// Every `PoolConfig` field by its market-file name, in the file's order: what
/// `pool show` prints and what `pool update` diffs.
pub fn config_fields(c: &PoolConfig) -> Vec<(&'static str, Value)> {
    let o = &c.oracle;
    let address = match o.kind {
        k if k == OracleKind::PythLegacy as u8 => {
            ("oracle.account", json!(Pubkey::new_from_array(o.address).to_string()))
        }
        k if k == OracleKind::PythPull as u8 => ("oracle.feed_id", json!(hex(&o.address))),
        _ => ("oracle.address", json!(hex(&o.address))),
    };
    vec![
        ("oracle.kind", json!(market::oracle_kind_name(o.kind))),
        address,
        ("oracle.max_age_secs", json!(o.max_age_secs)),
        ("oracle.max_confidence_bps", json!(o.max_confidence_bps)),
        ("oracle.confidence_multiplier_pct", json!(o.confidence_multiplier_pct)),
        ("oracle.require_full_verification", json!(o.require_full_verification != 0)),
        ("rate_curve.base_rate_bps", json!(c.rate_curve.base_rate_bps)),
        ("rate_curve.kink_utilization_bps", json!(c.rate_curve.kink_utilization_bps)),
        ("rate_curve.kink_rate_bps", json!(c.rate_curve.kink_rate_bps)),
        ("rate_curve.max_rate_bps", json!(c.rate_curve.max_rate_bps)),
        ("deposit_cap", json!(c.deposit_cap)),
        ("borrow_cap", json!(c.borrow_cap)),
        ("protocol_fee_bps", json!(c.protocol_fee_bps)),
        ("insurance_fee_bps", json!(c.insurance_fee_bps)),
        ("init_asset_weight_bps", json!(c.init_asset_weight_bps)),
        ("maint_asset_weight_bps", json!(c.maint_asset_weight_bps)),
        ("init_liab_weight_bps", json!(c.init_liab_weight_bps)),
        ("maint_liab_weight_bps", json!(c.maint_liab_weight_bps)),
        ("liquidation_penalty_min_bps", json!(c.liquidation_penalty_min_bps)),
        ("liquidation_penalty_max_bps", json!(c.liquidation_penalty_max_bps)),
        ("liquidation_insurance_share_bps", json!(c.liquidation_insurance_share_bps)),
        ("close_factor_bps", json!(c.close_factor_bps)),
        ("flags", json!(c.flags)),
        ("dust_threshold_micro_usd", json!(c.dust_threshold_micro_usd)),
        ("liquidation_target_bps", json!(c.liquidation_target_bps)),
        ("stress_bps", json!(c.stress_bps)),
        ("stress_confidence_multiplier_pct", json!(c.stress_confidence_multiplier_pct)),
        ("liquidation_confidence_bonus_pct", json!(c.liquidation_confidence_bonus_pct)),
        ("age_haircut_start_secs", json!(c.age_haircut_start_secs)),
        ("age_haircut_max_bps", json!(c.age_haircut_max_bps)),
        ("flash_fee_bps", json!(c.flash_fee_bps)),
        ("isolated_debt_ceiling_micro_usd", json!(c.isolated_debt_ceiling_micro_usd)),
    ]
}

/// A field's value as text (strings unquoted).
fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// One changed field.
#[derive(Serialize, Debug)]
struct Change {
    field: &'static str,
    old: Value,
    new: Value,
}

/// The fields that differ between `old` and `new`.
fn changes(old: &PoolConfig, new: &PoolConfig) -> Vec<Change> {
    config_fields(old)
        .into_iter()
        .zip(config_fields(new))
        .filter(|((_, a), (_, b))| a != b)
        .map(|((field, old), (_, new))| Change { field, old, new })
        .collect()
}

fn changes_text(changes: &[Change]) -> String {
    let list: Vec<String> =
        changes.iter().map(|c| format!("{} {} -> {}", c.field, value_text(&c.old), value_text(&c.new))).collect();
    if list.is_empty() {
        "no field changes".into()
    } else {
        list.join(", ")
    }
}

/// The pool's queued config change, if any.
fn pending(chain: &mut Rpc, pool: &Pubkey) -> Result<Option<PendingPoolConfig>, CliError> {
    let key = chain.program.pending_config(pool);
    let Some(account) = fetch_owned(chain, &key)? else { return Ok(None) };
    check_bytes::<PendingPoolConfig>(&account.data).map_err(|e| format!("pending config {key}: {e}"))?;
    Ok(Some(bytemuck::pod_read_unaligned(&account.data)))
}

#[derive(Serialize, Debug)]
struct Queued {
    apply_after: i64,
    rent_payer: String,
    changes: Vec<Change>,
}

#[derive(Serialize, Debug)]
struct ShowJson {
    address: String,
    group: String,
    mint: String,
    decimals: u8,
    token_program: String,
    vault: String,
    status: &'static str,
    deposits_native: u128,
    deposits: f64,
    debt_native: u128,
    debt: f64,
    utilization: f64,
    borrow_apr: f64,
    supply_apr: f64,
    protocol_fees_native: u64,
    insurance_fund_native: u64,
    isolated_debt_micro_usd: u64,
    last_accrual_ts: i64,
    now: i64,
    config: serde_json::Map<String, Value>,
    queued: Option<Queued>,
}

fn show(ctx: &Context, args: PoolArg) -> Result<(), CliError> {
    let mut chain = ctx.checked_chain()?;
    let key = args.pool;
    let pool = fetch_pool(&mut chain, &key)?;
    let now = chain.now().map_err(rpc)?;
    // Interest projected to now, as health values positions.
    let mut projected = pool;
    projected.accrue(now).map_err(|e| format!("pool {key}: interest: {e:?}"))?;
    let deposits = projected.total_deposits().map_err(|e| format!("pool {key}: {e:?}"))?;
    let debt = projected.total_debt().map_err(|e| format!("pool {key}: {e:?}"))?;
    let used = utilization(debt, deposits);
    let borrow_apr = projected.config.rate_curve.borrow_rate(used) as f64 / RATE_ONE as f64;
    let utilization = used as f64 / UTILIZATION_ONE as f64;
    let kept = (pool.config.protocol_fee_bps as f64 + pool.config.insurance_fee_bps as f64) / BPS as f64;
    let queued = pending(&mut chain, &key)?.map(|p| Queued {
        apply_after: p.apply_after,
        rent_payer: Pubkey::new_from_array(p.rent_payer).to_string(),
        changes: changes(&pool.config, &p.config),
    });
    let decimals = pool.mint_decimals;
    let json = ShowJson {
        address: key.to_string(),
        group: Pubkey::new_from_array(pool.group).to_string(),
        mint: Pubkey::new_from_array(pool.mint).to_string(),
        decimals,
        token_program: Pubkey::new_from_array(pool.token_program).to_string(),
        vault: Pubkey::new_from_array(pool.vault).to_string(),
        status: status_name(pool.status()),
        deposits_native: deposits,
        deposits: ui_amount(deposits, decimals),
        debt_native: debt,
        debt: ui_amount(debt, decimals),
        utilization,
        borrow_apr,
        supply_apr: borrow_apr * utilization * (1.0 - kept),
        protocol_fees_native: pool.protocol_fees_native(),
        insurance_fund_native: pool.insurance_fund_native(),
        isolated_debt_micro_usd: pool.isolated_debt_micro_usd,
        last_accrual_ts: pool.last_accrual_ts,
        now,
        config: config_fields(&pool.config).into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        queued,
    };
    ctx.print(&json, || {
        let mut out = format!(
            "pool {}: mint {} ({} decimals, token program {}), group {}, vault {}\n",
            json.address, json.mint, json.decimals, json.token_program, json.group, json.vault
        );
        out += &format!("  status {}\n", json.status);
        out += &format!(
            "  deposits {} ({} native), debt {} ({} native), utilization {:.2}% (interest projected to now)\n",
            json.deposits,
            json.deposits_native,
            json.debt,
            json.debt_native,
            json.utilization * 100.0
        );
        out += &format!("  borrow APR {:.2}%, supply APR {:.2}%\n", json.borrow_apr * 100.0, json.supply_apr * 100.0);
        out += &format!(
            "  protocol fees {} native, insurance fund {} native, isolated debt {} micro-USD, last accrual {} ({} s ago)\n",
            json.protocol_fees_native,
            json.insurance_fund_native,
            json.isolated_debt_micro_usd,
            json.last_accrual_ts,
            json.now - json.last_accrual_ts
        );
        out += "  config:\n";
        // In the market file's order (the JSON map sorts its keys).
        for (field, value) in config_fields(&pool.config) {
            out += &format!("    {field} = {}\n", value_text(&value));
        }
        match &json.queued {
            Some(q) => {
                out += &format!(
                    "  queued config change, applies after {} ({} s from now): {}\n",
                    q.apply_after,
                    q.apply_after - json.now,
                    changes_text(&q.changes)
                )
            }
            None => out += "  no queued config change\n",
        }
        out
    })
}

/// The pool, its group, and the signer after checking it is the group's admin.
fn as_admin(
    ctx: &Context,
    chain: &mut Rpc,
    key: &Pubkey,
) -> Result<(Pool, Pubkey, solana_sdk::signature::Keypair), CliError> {
    let signer = ctx.keypair()?;
    let pool = fetch_pool(chain, key)?;
    let group_key = Pubkey::new_from_array(pool.group);
    let group: Group = fetch_group(chain, &group_key)?.ok_or_else(|| format!("group {group_key} not found"))?;
    let admin = Pubkey::new_from_array(group.admin);
    if admin != signer.pubkey() {
        return Err(format!("group {group_key}'s admin is {admin}, not the keypair {}", signer.pubkey()));
    }
    Ok((pool, group_key, signer))
}

#[derive(Serialize, Debug)]
struct StatusJson {
    pool: String,
    old: &'static str,
    new: &'static str,
}

fn set_status(ctx: &Context, args: StatusArgs) -> Result<(), CliError> {
    let mut chain = ctx.checked_chain()?;
    let (pool, _, signer) = as_admin(ctx, &mut chain, &args.pool)?;
    let (old, new) = (pool.status(), args.status.status());
    if old != new {
        let ix = chain.program.set_pool_status(&signer.pubkey(), &PoolKeys::from_pool(&args.pool, &pool), new);
        send(&mut chain, &signer, &[ix])?;
    }
    let json = StatusJson { pool: args.pool.to_string(), old: status_name(old), new: status_name(new) };
    ctx.print(&json, || {
        if old == new {
            format!("pool {}: status already {}\n", json.pool, json.new)
        } else {
            format!("pool {}: status {} -> {}\n", json.pool, json.old, json.new)
        }
    })
}

#[derive(Serialize, Debug)]
struct UpdateJson {
    pool: String,
    /// `applied`, `queued` or `unchanged`.
    outcome: &'static str,
    apply_after: Option<i64>,
    changes: Vec<Change>,
}

fn update(ctx: &Context, args: UpdateArgs) -> Result<(), CliError> {
    let path = args.config.to_string_lossy().into_owned();
    let file = market::read_market(&path)?;
    let mut chain = ctx.checked_chain()?;
    let (pool, _, signer) = as_admin(ctx, &mut chain, &args.pool)?;
    let mint = Pubkey::new_from_array(pool.mint);
    let entry = file
        .pools
        .iter()
        .find(|entry| entry.mint().is_ok_and(|m| m == mint))
        .ok_or_else(|| format!("{path}: no [[pool]] has mint {mint} (pool {}'s)", args.pool))?;
    let label = entry.label();
    let new = entry.config(&pool.config).map_err(|e| format!("{path}: {label}: {e}"))?;
    pool.check_config_change(&new).map_err(|e| match e {
        MarginError::OracleCannotBeRemoved => format!("{path}: {label}: oracle.kind = \"none\": a pool's oracle cannot be removed once set"),
        MarginError::IsolatedDebtOutstanding => format!(
            "{path}: {label}: flags: the isolated-only flag cannot be lifted while {} micro-USD of isolated debt is outstanding",
            pool.isolated_debt_micro_usd
        ),
        other => format!("{path}: {label}: the program refuses this change ({other:?})"),
    })?;
    let changed = changes(&pool.config, &new);
    let queued_before = pending(&mut chain, &args.pool)?;
    let (outcome, apply_after) = if changed.is_empty() && queued_before.is_none() {
        ("unchanged", None)
    } else {
        let ix = chain.program.update_pool_config(&signer.pubkey(), &PoolKeys::from_pool(&args.pool, &pool), new);
        send(&mut chain, &signer, &[ix])?;
        // What the program did: the pool holds the new config, or it is queued.
        let queued = pending(&mut chain, &args.pool)?;
        let current = fetch_pool(&mut chain, &args.pool)?.config;
        match queued {
            Some(queued) if current != new => ("queued", Some(queued.apply_after)),
            _ => ("applied", None),
        }
    };
    let json = UpdateJson { pool: args.pool.to_string(), outcome, apply_after, changes: changed };
    ctx.print(&json, || match (outcome, apply_after) {
        ("queued", Some(at)) => format!(
            "pool {}: queued ({}): applies after {at}, behind the group's config delay; then run `margin pool apply {}`\n",
            json.pool,
            changes_text(&json.changes),
            json.pool
        ),
        ("applied", _) => format!("pool {}: applied at once ({})\n", json.pool, changes_text(&json.changes)),
        _ => format!("pool {}: nothing to change\n", json.pool),
    })
}

#[derive(Serialize, Debug)]
struct ApplyJson {
    pool: String,
    changes: Vec<Change>,
}

fn apply(ctx: &Context, args: PoolArg) -> Result<(), CliError> {
    let mut chain = ctx.checked_chain()?;
    let pool = fetch_pool(&mut chain, &args.pool)?;
    let queued =
        pending(&mut chain, &args.pool)?.ok_or_else(|| format!("pool {} has no queued config change", args.pool))?;
    let now = chain.now().map_err(rpc)?;
    if now < queued.apply_after {
        return Err(format!(
            "the queued config change of pool {} applies after {} ({} s from now)",
            args.pool,
            queued.apply_after,
            queued.apply_after - now
        ));
    }
    let signer = ctx.keypair()?;
    let keys = PoolKeys::from_pool(&args.pool, &pool);
    let ix = chain.program.apply_pool_config(&keys, &Pubkey::new_from_array(queued.rent_payer));
    send(&mut chain, &signer, &[ix])?;
    let json = ApplyJson { pool: args.pool.to_string(), changes: changes(&pool.config, &queued.config) };
    ctx.print(&json, || format!("pool {}: applied the queued change ({})\n", json.pool, changes_text(&json.changes)))
}
