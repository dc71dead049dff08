//! `margin market init --config market.toml`: a group, its pools, their oracles
//! and risk parameters from one file, every field checked (and a bad one named)
//! before anything is sent; and the file format, whose `[[pool]]` table
//! `margin pool update` reads too.
//!
//! The program's `PoolConfig::validate` only returns an error code per group of
//! rules; [`check_pool_config`] walks the same rules one field at a time to name
//! the field and its bound, then defers to `validate` itself (a test keeps the
//! two in agreement).

use std::{collections::HashSet, path::PathBuf, str::FromStr};

use clap::{Args, Subcommand};
use margin_client::{
    config::default_pool_config,
    instructions::DEFAULT_CONFIG_DELAY_SECS,
    interface::{
        state::{
            OracleConfig, OracleKind, PoolConfig, MAX_AGE_HAIRCUT_BPS, MAX_CONFIDENCE_MULTIPLIER_PCT,
            MAX_CONFIG_DELAY_SECS, MAX_FLASH_FEE_BPS, MAX_LIAB_WEIGHT_BPS, MAX_LIQUIDATION_CONFIDENCE_BONUS_PCT,
            MAX_LIQUIDATION_PENALTY_BPS, MAX_RATE_BPS, MAX_STRESS_BPS, MAX_STRESS_CONFIDENCE_MULTIPLIER_PCT,
            MIN_CONFIG_DELAY_SECS, MIN_LIQUIDATION_GAIN_BPS, POOL_FLAG_ISOLATED_ONLY,
        },
        BPS,
    },
    spl_token_id, token_2022_id,
};
use serde::{Deserialize, Serialize};
use solana_sdk::{pubkey::Pubkey, signature::Signer};

use super::{feed_id, fetch_group, fetch_pool, rpc, send, CliError, Context};
use crate::bots::Chain;

/// `margin market ...`.
#[derive(Subcommand, Debug)]
pub enum MarketCommand {
    /// Create the group and every pool of a market.toml (group, pools, oracles,
    /// risk parameters; the keypair is the admin). Everything is checked before
    /// anything is sent; a group or pool that already exists is skipped.
    Init(InitArgs),
}

/// `margin market init`.
#[derive(Args, Debug)]
pub struct InitArgs {
    /// The market file (format: docs/keeper.md, example: ops/examples/market.toml)
    #[arg(long, value_name = "PATH")]
    config: PathBuf,
}

/// A market file: `[group]` and `[[pool]]` tables. Unknown fields are errors.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct MarketFile {
    /// The group (required by `market init`, ignored by `pool update`).
    pub group: Option<GroupEntry>,
    /// The pools, in creation order.
    #[serde(default, rename = "pool")]
    pub pools: Vec<PoolEntry>,
}

/// `[group]`.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct GroupEntry {
    /// The group PDA's seed (with the admin: the keypair).
    pub seed: u64,
    /// Delay of risk-tightening config changes (seconds, one to thirty days;
    /// default two days). Fixed at creation.
    pub config_delay_secs: Option<u32>,
    /// Owner of the token accounts `collect_fees` pays into (default: the keypair).
    pub fee_destination: Option<String>,
}

/// One `[[pool]]`: its mint, a label, and any `PoolConfig` field by its name
/// (`rate_curve` and `oracle` as sub-tables). Omitted fields keep the base: the
/// client's `default_pool_config()` for a new pool, the pool's current config
/// for `pool update`.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct PoolEntry {
    /// An existing mint on the cluster (SPL Token or Token-2022).
    pub mint: String,
    /// A label for messages (default: the mint).
    pub symbol: Option<String>,
    pub oracle: Option<OracleEntry>,
    pub rate_curve: Option<RateCurveEntry>,
    pub deposit_cap: Option<u64>,
    pub borrow_cap: Option<u64>,
    pub protocol_fee_bps: Option<u16>,
    pub insurance_fee_bps: Option<u16>,
    pub init_asset_weight_bps: Option<u16>,
    pub maint_asset_weight_bps: Option<u16>,
    pub init_liab_weight_bps: Option<u16>,
    pub maint_liab_weight_bps: Option<u16>,
    pub liquidation_penalty_min_bps: Option<u16>,
    pub liquidation_penalty_max_bps: Option<u16>,
    pub liquidation_insurance_share_bps: Option<u16>,
    pub close_factor_bps: Option<u16>,
    pub flags: Option<u16>,
    pub dust_threshold_micro_usd: Option<u64>,
    pub liquidation_target_bps: Option<u16>,
    pub stress_bps: Option<u16>,
    pub stress_confidence_multiplier_pct: Option<u16>,
    pub liquidation_confidence_bonus_pct: Option<u16>,
    pub age_haircut_start_secs: Option<u32>,
    pub age_haircut_max_bps: Option<u16>,
    pub flash_fee_bps: Option<u16>,
    pub isolated_debt_ceiling_micro_usd: Option<u64>,
}

/// `[pool.rate_curve]`.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct RateCurveEntry {
    pub base_rate_bps: Option<u32>,
    pub kink_utilization_bps: Option<[u32; 3]>,
    pub kink_rate_bps: Option<[u32; 3]>,
    pub max_rate_bps: Option<u32>,
}

/// `[pool.oracle]`: `kind` and the matching address field are required.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct OracleEntry {
    pub kind: OracleKindEntry,
    /// `pyth-pull`: the feed id, 64 hex digits (optional `0x`).
    pub feed_id: Option<String>,
    /// `pyth-legacy`: the price account.
    pub account: Option<String>,
    pub max_age_secs: Option<u32>,
    pub max_confidence_bps: Option<u16>,
    pub confidence_multiplier_pct: Option<u16>,
    pub require_full_verification: Option<bool>,
}

/// `oracle.kind`.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum OracleKindEntry {
    None,
    PythLegacy,
    PythPull,
}

/// `oracle.kind` as the market file spells it.
pub fn oracle_kind_name(kind: u8) -> &'static str {
    match kind {
        k if k == OracleKind::None as u8 => "none",
        k if k == OracleKind::PythLegacy as u8 => "pyth-legacy",
        k if k == OracleKind::PythPull as u8 => "pyth-pull",
        _ => "unknown",
    }
}

impl OracleEntry {
    fn config(&self, base: &OracleConfig) -> Result<OracleConfig, String> {
        let mut oracle = *base;
        let (feed, account) = (self.feed_id.as_deref(), self.account.as_deref());
        match self.kind {
            OracleKindEntry::None => {
                if feed.is_some() || account.is_some() {
                    return Err("oracle.kind = \"none\" takes no oracle.feed_id or oracle.account".into());
                }
                oracle.kind = OracleKind::None as u8;
                oracle.address = [0; 32];
            }
            OracleKindEntry::PythLegacy => {
                if feed.is_some() {
                    return Err("oracle.feed_id is for kind \"pyth-pull\"; a pyth-legacy oracle names its price account in oracle.account".into());
                }
                let account =
                    account.ok_or("oracle.account is required with kind \"pyth-legacy\" (the price account)")?;
                let address = Pubkey::from_str(account)
                    .map_err(|_| format!("oracle.account = '{account}' is not a base58 address"))?;
                oracle.kind = OracleKind::PythLegacy as u8;
                oracle.address = address.to_bytes();
            }
            OracleKindEntry::PythPull => {
                if account.is_some() {
                    return Err("oracle.account is for kind \"pyth-legacy\"; a pyth-pull oracle names its feed in oracle.feed_id".into());
                }
                let feed = feed.ok_or("oracle.feed_id is required with kind \"pyth-pull\" (64 hex digits)")?;
                oracle.kind = OracleKind::PythPull as u8;
                oracle.address = feed_id(feed).map_err(|_| {
                    format!("oracle.feed_id = '{feed}' is not 32 bytes of hex (64 digits, optional 0x)")
                })?;
            }
        }
        if let Some(v) = self.max_age_secs {
            oracle.max_age_secs = v;
        }
        if let Some(v) = self.max_confidence_bps {
            oracle.max_confidence_bps = v;
        }
        if let Some(v) = self.confidence_multiplier_pct {
            oracle.confidence_multiplier_pct = v;
        }
        if let Some(v) = self.require_full_verification {
            oracle.require_full_verification = v as u8;
        }
        Ok(oracle)
    }
}

impl PoolEntry {
    /// `pool "SOL"` (the symbol, else the mint).
    pub fn label(&self) -> String {
        format!("pool \"{}\"", self.symbol.as_deref().unwrap_or(&self.mint))
    }

    /// The mint's address.
    pub fn mint(&self) -> Result<Pubkey, String> {
        Pubkey::from_str(&self.mint).map_err(|_| format!("mint = '{}' is not a base58 address", self.mint))
    }

    /// `base` with this entry's fields, checked field by field
    /// ([`check_pool_config`]).
    pub fn config(&self, base: &PoolConfig) -> Result<PoolConfig, String> {
        let mut c = *base;
        macro_rules! set {
            ($($field:ident),* $(,)?) => {
                $(if let Some(value) = self.$field {
                    c.$field = value;
                })*
            };
        }
        set!(
            deposit_cap,
            borrow_cap,
            protocol_fee_bps,
            insurance_fee_bps,
            init_asset_weight_bps,
            maint_asset_weight_bps,
            init_liab_weight_bps,
            maint_liab_weight_bps,
            liquidation_penalty_min_bps,
            liquidation_penalty_max_bps,
            liquidation_insurance_share_bps,
            close_factor_bps,
            flags,
            dust_threshold_micro_usd,
            liquidation_target_bps,
            stress_bps,
            stress_confidence_multiplier_pct,
            liquidation_confidence_bonus_pct,
            age_haircut_start_secs,
            age_haircut_max_bps,
            flash_fee_bps,
            isolated_debt_ceiling_micro_usd,
        );
        if let Some(curve) = &self.rate_curve {
            let r = &mut c.rate_curve;
            r.base_rate_bps = curve.base_rate_bps.unwrap_or(r.base_rate_bps);
            r.kink_utilization_bps = curve.kink_utilization_bps.unwrap_or(r.kink_utilization_bps);
            r.kink_rate_bps = curve.kink_rate_bps.unwrap_or(r.kink_rate_bps);
            r.max_rate_bps = curve.max_rate_bps.unwrap_or(r.max_rate_bps);
        }
        if let Some(oracle) = &self.oracle {
            c.oracle = oracle.config(&base.oracle)?;
        }
        check_pool_config(&c)?;
        Ok(c)
    }
}

/// Every bound of `PoolConfig::validate`, in its order, one field at a time:
/// `Err("field = value is out of bounds (bound)")` for the first violation;
/// then `validate` itself, the program's word.
pub fn check_pool_config(c: &PoolConfig) -> Result<(), String> {
    fn out(field: &str, value: impl std::fmt::Display, bound: impl std::fmt::Display) -> Result<(), String> {
        Err(format!("{field} = {value} is out of bounds ({bound})"))
    }
    let bps = BPS as u16;
    // Weights (InvalidWeights).
    if c.maint_asset_weight_bps > bps {
        return out("maint_asset_weight_bps", c.maint_asset_weight_bps, format!("at most {bps}"));
    }
    if c.init_asset_weight_bps > c.maint_asset_weight_bps {
        let bound = format!("at most maint_asset_weight_bps {}", c.maint_asset_weight_bps);
        return out("init_asset_weight_bps", c.init_asset_weight_bps, bound);
    }
    if c.maint_liab_weight_bps < bps {
        return out("maint_liab_weight_bps", c.maint_liab_weight_bps, format!("at least {bps}"));
    }
    if c.init_liab_weight_bps > MAX_LIAB_WEIGHT_BPS {
        return out("init_liab_weight_bps", c.init_liab_weight_bps, format!("at most {MAX_LIAB_WEIGHT_BPS}"));
    }
    if c.init_liab_weight_bps < c.maint_liab_weight_bps {
        let bound = format!("at least maint_liab_weight_bps {}", c.maint_liab_weight_bps);
        return out("init_liab_weight_bps", c.init_liab_weight_bps, bound);
    }
    // Fees (InvalidFees): their sum stays below 100%.
    if c.protocol_fee_bps as u32 + c.insurance_fee_bps as u32 >= bps as u32 {
        let rule = "protocol_fee_bps + insurance_fee_bps must stay below 10000";
        return if c.protocol_fee_bps >= bps {
            out("protocol_fee_bps", c.protocol_fee_bps, format!("below {bps}"))
        } else {
            let most = bps - 1 - c.protocol_fee_bps;
            out("insurance_fee_bps", c.insurance_fee_bps, format!("at most {most}: {rule}"))
        };
    }
    // Rate curve (InvalidRateCurve).
    let (u, r, curve) = (c.rate_curve.kink_utilization_bps, c.rate_curve.kink_rate_bps, &c.rate_curve);
    if u[0] == 0 {
        return out("rate_curve.kink_utilization_bps[0]", u[0], "above 0");
    }
    for i in 1..3 {
        if u[i] <= u[i - 1] {
            let field = format!("rate_curve.kink_utilization_bps[{i}]");
            return out(&field, u[i], format!("above rate_curve.kink_utilization_bps[{}] {}", i - 1, u[i - 1]));
        }
    }
    if u[2] >= bps as u32 {
        return out("rate_curve.kink_utilization_bps[2]", u[2], format!("below {bps}"));
    }
    if curve.max_rate_bps > MAX_RATE_BPS {
        return out("rate_curve.max_rate_bps", curve.max_rate_bps, format!("at most {MAX_RATE_BPS}"));
    }
    if curve.base_rate_bps > r[0] {
        return out(
            "rate_curve.base_rate_bps",
            curve.base_rate_bps,
            format!("at most rate_curve.kink_rate_bps[0] {}", r[0]),
        );
    }
    for i in 1..3 {
        if r[i] < r[i - 1] {
            let field = format!("rate_curve.kink_rate_bps[{i}]");
            return out(&field, r[i], format!("at least rate_curve.kink_rate_bps[{}] {}", i - 1, r[i - 1]));
        }
    }
    if r[2] > curve.max_rate_bps {
        return out(
            "rate_curve.kink_rate_bps[2]",
            r[2],
            format!("at most rate_curve.max_rate_bps {}", curve.max_rate_bps),
        );
    }
    // Liquidation fields and flags (InvalidConfig).
    if c.liquidation_penalty_max_bps > MAX_LIQUIDATION_PENALTY_BPS {
        let bound = format!("at most {MAX_LIQUIDATION_PENALTY_BPS}");
        return out("liquidation_penalty_max_bps", c.liquidation_penalty_max_bps, bound);
    }
    if c.liquidation_penalty_min_bps > c.liquidation_penalty_max_bps {
        let bound = format!("at most liquidation_penalty_max_bps {}", c.liquidation_penalty_max_bps);
        return out("liquidation_penalty_min_bps", c.liquidation_penalty_min_bps, bound);
    }
    // The 99% rule: (1 + max bonus) x maintenance asset weight <= 1 - MIN_LIQUIDATION_GAIN.
    let (weight, bonus) = (c.maint_asset_weight_bps as u64, c.liquidation_penalty_max_bps as u64);
    let ceiling = BPS * (BPS - MIN_LIQUIDATION_GAIN_BPS);
    if (BPS + bonus) * weight > ceiling {
        let rule = "(1 + liquidation_penalty_max_bps) x maint_asset_weight_bps must stay at most 99%";
        return if BPS * weight > ceiling {
            out("maint_asset_weight_bps", weight, format!("at most {}: {rule}", ceiling / BPS))
        } else {
            let most = ceiling / weight - BPS;
            out(
                "liquidation_penalty_max_bps",
                bonus,
                format!("at most {most} with maint_asset_weight_bps {weight}: {rule}"),
            )
        };
    }
    let at_most: [(&str, u64, u64); 8] = [
        ("liquidation_insurance_share_bps", c.liquidation_insurance_share_bps.into(), BPS),
        ("close_factor_bps", c.close_factor_bps.into(), BPS),
        ("liquidation_target_bps", c.liquidation_target_bps.into(), BPS),
        ("stress_bps", c.stress_bps.into(), MAX_STRESS_BPS.into()),
        (
            "stress_confidence_multiplier_pct",
            c.stress_confidence_multiplier_pct.into(),
            MAX_STRESS_CONFIDENCE_MULTIPLIER_PCT.into(),
        ),
        (
            "liquidation_confidence_bonus_pct",
            c.liquidation_confidence_bonus_pct.into(),
            MAX_LIQUIDATION_CONFIDENCE_BONUS_PCT.into(),
        ),
        ("age_haircut_max_bps", c.age_haircut_max_bps.into(), MAX_AGE_HAIRCUT_BPS.into()),
        ("flash_fee_bps", c.flash_fee_bps.into(), MAX_FLASH_FEE_BPS.into()),
    ];
    if let Some((field, value, most)) = at_most.iter().find(|(_, value, most)| value > most) {
        return out(field, value, format!("at most {most}"));
    }
    if c.close_factor_bps == 0 {
        return out("close_factor_bps", 0, format!("between 1 and {bps}"));
    }
    if c.age_haircut_max_bps != 0 && c.age_haircut_start_secs >= c.oracle.max_age_secs {
        let bound = format!("below oracle.max_age_secs {} while age_haircut_max_bps is set", c.oracle.max_age_secs);
        return out("age_haircut_start_secs", c.age_haircut_start_secs, bound);
    }
    if c.flags & !POOL_FLAG_ISOLATED_ONLY != 0 {
        return out("flags", c.flags, "only bit 0, isolated-only, is defined");
    }
    // Oracle (InvalidOracleConfig).
    let o = &c.oracle;
    if o.confidence_multiplier_pct > MAX_CONFIDENCE_MULTIPLIER_PCT {
        let bound = format!("at most {MAX_CONFIDENCE_MULTIPLIER_PCT}");
        return out("oracle.confidence_multiplier_pct", o.confidence_multiplier_pct, bound);
    }
    if o.kind > OracleKind::PythPull as u8 {
        return out("oracle.kind", o.kind, "none, pyth-legacy or pyth-pull");
    }
    if o.kind != OracleKind::None as u8 {
        if o.max_age_secs == 0 {
            return out("oracle.max_age_secs", 0, "at least 1 with an oracle");
        }
        if o.max_confidence_bps > bps {
            return out("oracle.max_confidence_bps", o.max_confidence_bps, format!("at most {bps}"));
        }
        if o.require_full_verification > 1 {
            return out("oracle.require_full_verification", o.require_full_verification, "0 or 1");
        }
    }
    c.validate().map_err(|e| format!("the program's PoolConfig::validate refuses it ({e:?})"))
}

/// A pool of the plan, checked.
struct PlannedPool {
    label: String,
    symbol: Option<String>,
    mint: Pubkey,
    config: PoolConfig,
}

/// A market file, checked: what `market init` will create.
struct Plan {
    seed: u64,
    config_delay_secs: u32,
    fee_destination: Option<Pubkey>,
    pools: Vec<PlannedPool>,
}

/// Reads a market file (`path` for messages): every error names the file, the
/// pool and the field.
pub fn read_market(path: &str) -> Result<MarketFile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    parse_market(path, &text)
}

fn parse_market(path: &str, text: &str) -> Result<MarketFile, String> {
    toml::from_str(text).map_err(|e| format!("{path}: {e}"))
}

/// Checks everything of the file that needs no cluster.
fn plan(path: &str, file: MarketFile) -> Result<Plan, String> {
    let group = file
        .group
        .ok_or_else(|| format!("{path}: [group] is missing (seed, optional config_delay_secs and fee_destination)"))?;
    let config_delay_secs = group.config_delay_secs.unwrap_or(DEFAULT_CONFIG_DELAY_SECS);
    if !(MIN_CONFIG_DELAY_SECS..=MAX_CONFIG_DELAY_SECS).contains(&config_delay_secs) {
        return Err(format!(
            "{path}: group: config_delay_secs = {config_delay_secs} is out of bounds ({MIN_CONFIG_DELAY_SECS} to {MAX_CONFIG_DELAY_SECS}: one to thirty days)"
        ));
    }
    let fee_destination = match &group.fee_destination {
        Some(text) => Some(
            Pubkey::from_str(text)
                .map_err(|_| format!("{path}: group: fee_destination = '{text}' is not a base58 address"))?,
        ),
        None => None,
    };
    let (mut mints, mut labels) = (HashSet::new(), HashSet::new());
    let mut pools = Vec::new();
    for entry in &file.pools {
        let label = entry.label();
        let at = |e: String| format!("{path}: {label}: {e}");
        let mint = entry.mint().map_err(at)?;
        if !mints.insert(mint) {
            return Err(at(format!("mint {mint} is listed twice")));
        }
        if !labels.insert(label.clone()) {
            return Err(at("the symbol is used twice".into()));
        }
        let config = entry.config(&default_pool_config()).map_err(at)?;
        pools.push(PlannedPool { label: label.clone(), symbol: entry.symbol.clone(), mint, config });
    }
    Ok(Plan { seed: group.seed, config_delay_secs, fee_destination, pools })
}

#[derive(Serialize, Debug)]
struct Created {
    address: String,
    /// `created` or `exists`.
    status: &'static str,
}

#[derive(Serialize, Debug)]
struct CreatedPool {
    symbol: Option<String>,
    mint: String,
    address: String,
    status: &'static str,
}

#[derive(Serialize, Debug)]
struct InitJson {
    group: Created,
    pools: Vec<CreatedPool>,
}

pub fn run(ctx: &Context, command: MarketCommand) -> Result<(), CliError> {
    let MarketCommand::Init(args) = command;
    let path = args.config.to_string_lossy().into_owned();
    let plan = plan(&path, read_market(&path)?)?;
    let signer = ctx.keypair()?;
    let mut chain = ctx.checked_chain()?;
    let (program, admin, url) = (chain.program, signer.pubkey(), chain.client.url());
    let group = program.group(&admin, plan.seed);
    let group_exists = match fetch_group(&mut chain, &group)? {
        Some(found) if found.admin != admin.to_bytes() => {
            let other = Pubkey::new_from_array(found.admin);
            return Err(format!("{path}: group {group} exists with admin {other}, not the keypair {admin}"));
        }
        Some(_) => true,
        None => false,
    };
    // Everything the cluster can tell before sending: the mints, legacy price
    // accounts, pools already there.
    let mut pools = Vec::new();
    for planned in &plan.pools {
        let at = |e: String| format!("{path}: {}: {e}", planned.label);
        let mint = chain
            .account(&planned.mint)
            .map_err(rpc)?
            .ok_or_else(|| at(format!("mint {} not found on {url}", planned.mint)))?;
        let token_program = mint.owner;
        if (token_program != spl_token_id() && token_program != token_2022_id()) || mint.data.len() < 82 {
            return Err(at(format!("{} is not a token mint (an account owned by {token_program})", planned.mint)));
        }
        if planned.config.oracle.kind == OracleKind::PythLegacy as u8 {
            let oracle = Pubkey::new_from_array(planned.config.oracle.address);
            if chain.account(&oracle).map_err(rpc)?.is_none() {
                return Err(at(format!("oracle.account {oracle} not found on {url}")));
            }
        }
        let keys = program.pool_keys(&group, &planned.mint, &token_program);
        let exists = group_exists && chain.account(&keys.pool).map_err(rpc)?.is_some();
        if exists {
            fetch_pool(&mut chain, &keys.pool)?;
        }
        pools.push((planned, keys, exists));
    }
    let mut out = String::new();
    if !group_exists {
        let fees_to = plan.fee_destination.unwrap_or(admin);
        let ix = program.init_group_with_delay(&admin, &admin, plan.seed, &fees_to, plan.config_delay_secs);
        send(&mut chain, &signer, &[ix]).map_err(|e| format!("creating group {group}: {e}"))?;
    }
    let status = |exists: bool| if exists { "exists" } else { "created" };
    out += &format!(
        "group {group}: {} (seed {}, config delay {} s, admin {admin})\n",
        status(group_exists),
        plan.seed,
        plan.config_delay_secs
    );
    let mut created = Vec::new();
    for (planned, keys, exists) in &pools {
        if !exists {
            let ix = program.create_pool(&admin, &admin, keys, planned.config);
            send(&mut chain, &signer, &[ix]).map_err(|e| format!("creating {}: {e}", planned.label))?;
        }
        out += &format!("{} (mint {}): {} {}\n", planned.label, planned.mint, status(*exists), keys.pool);
        created.push(CreatedPool {
            symbol: planned.symbol.clone(),
            mint: planned.mint.to_string(),
            address: keys.pool.to_string(),
            status: status(*exists),
        });
    }
    let json = InitJson { group: Created { address: group.to_string(), status: status(group_exists) }, pools: created };
    ctx.print(&json, || out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../examples/market.toml");

    #[test]
    fn the_example_market_parses_and_passes_every_check() {
        let file = parse_market("market.toml", EXAMPLE).unwrap();
        let plan = plan("market.toml", file).unwrap();
        assert_eq!(plan.pools.len(), 2);
        for pool in &plan.pools {
            assert_eq!(pool.config.validate(), Ok(()));
        }
        assert_eq!(plan.pools[0].config.oracle.kind, OracleKind::PythPull as u8);
    }

    fn error_of(toml: &str) -> String {
        match parse_market("market.toml", toml).and_then(|file| plan("market.toml", file)) {
            Ok(_) => panic!("accepted: {toml}"),
            Err(e) => e,
        }
    }

    const GROUP: &str = "[group]\nseed = 1\n";
    const MINT: &str = "So11111111111111111111111111111111111111112";

    #[test]
    fn a_bad_field_is_named_with_its_bound() {
        let toml = format!(
            "{GROUP}[[pool]]\nmint = \"{MINT}\"\nsymbol = \"SOL\"\nmaint_asset_weight_bps = 9000\ninit_asset_weight_bps = 12000\n"
        );
        assert_eq!(
            error_of(&toml),
            "market.toml: pool \"SOL\": init_asset_weight_bps = 12000 is out of bounds (at most maint_asset_weight_bps 9000)"
        );
        let toml =
            format!("{GROUP}[[pool]]\nmint = \"{MINT}\"\nsymbol = \"SOL\"\n[pool.oracle]\nkind = \"pyth-pull\"\n");
        assert_eq!(
            error_of(&toml),
            "market.toml: pool \"SOL\": oracle.feed_id is required with kind \"pyth-pull\" (64 hex digits)"
        );
        let toml = format!("{GROUP}[[pool]]\nmint = \"{MINT}\"\nliquidation_penalty_max_bps = 1500\nmaint_asset_weight_bps = 9000\ninit_asset_weight_bps = 8000\n");
        assert_eq!(
            error_of(&toml),
            format!("market.toml: pool \"{MINT}\": liquidation_penalty_max_bps = 1500 is out of bounds (at most 1000 with maint_asset_weight_bps 9000: (1 + liquidation_penalty_max_bps) x maint_asset_weight_bps must stay at most 99%)")
        );
        let toml = "[group]\nseed = 1\nconfig_delay_secs = 60\n";
        assert_eq!(
            error_of(toml),
            "market.toml: group: config_delay_secs = 60 is out of bounds (86400 to 2592000: one to thirty days)"
        );
    }

    #[test]
    fn unknown_fields_and_wrong_types_are_errors() {
        let unknown = error_of(&format!("{GROUP}[[pool]]\nmint = \"{MINT}\"\ninit_weight = 1\n"));
        assert!(unknown.starts_with("market.toml: unknown field `init_weight`"), "{unknown}");
        let range = error_of(&format!("{GROUP}[[pool]]\nmint = \"{MINT}\"\nstress_bps = 70000\n"));
        assert!(range.starts_with("market.toml: invalid value: integer `70000`, expected u16"), "{range}");
        assert!(!range.contains('\n'));
    }

    /// The field checks and the program's `validate` agree on every edge of
    /// every bound (so a change to one without the other fails here).
    #[test]
    fn the_field_checks_agree_with_the_programs_validate() {
        let mut pull = default_pool_config();
        pull.oracle.kind = OracleKind::PythPull as u8;
        pull.age_haircut_max_bps = 1_000;
        pull.age_haircut_start_secs = 30;
        let values: [u32; 22] = [
            0, 1, 2, 3, 59, 60, 99, 100, 101, 300, 301, 1_000, 1_001, 2_000, 2_001, 5_000, 8_250, 9_000, 9_900, 9_901,
            10_000, 10_001,
        ];
        let more: [u32; 5] = [15_000, 15_001, 30_000, 30_001, 65_535];
        type Set = fn(&mut PoolConfig, u32);
        let setters: Vec<Set> = vec![
            |c, v| c.init_asset_weight_bps = v as u16,
            |c, v| c.maint_asset_weight_bps = v as u16,
            |c, v| c.init_liab_weight_bps = v as u16,
            |c, v| c.maint_liab_weight_bps = v as u16,
            |c, v| c.protocol_fee_bps = v as u16,
            |c, v| c.insurance_fee_bps = v as u16,
            |c, v| c.rate_curve.base_rate_bps = v,
            |c, v| c.rate_curve.kink_utilization_bps[0] = v,
            |c, v| c.rate_curve.kink_utilization_bps[1] = v,
            |c, v| c.rate_curve.kink_utilization_bps[2] = v,
            |c, v| c.rate_curve.kink_rate_bps[0] = v,
            |c, v| c.rate_curve.kink_rate_bps[1] = v,
            |c, v| c.rate_curve.kink_rate_bps[2] = v,
            |c, v| c.rate_curve.max_rate_bps = v,
            |c, v| c.liquidation_penalty_min_bps = v as u16,
            |c, v| c.liquidation_penalty_max_bps = v as u16,
            |c, v| c.liquidation_insurance_share_bps = v as u16,
            |c, v| c.close_factor_bps = v as u16,
            |c, v| c.liquidation_target_bps = v as u16,
            |c, v| c.stress_bps = v as u16,
            |c, v| c.stress_confidence_multiplier_pct = v as u16,
            |c, v| c.liquidation_confidence_bonus_pct = v as u16,
            |c, v| c.age_haircut_start_secs = v,
            |c, v| c.age_haircut_max_bps = v as u16,
            |c, v| c.flash_fee_bps = v as u16,
            |c, v| c.flags = v as u16,
            |c, v| c.oracle.max_age_secs = v,
            |c, v| c.oracle.max_confidence_bps = v as u16,
            |c, v| c.oracle.confidence_multiplier_pct = v as u16,
            |c, v| c.oracle.require_full_verification = v as u8,
            |c, v| c.oracle.kind = v as u8,
        ];
        let mut checked = 0;
        for base in [default_pool_config(), pull] {
            for set in &setters {
                for &value in values.iter().chain(&more) {
                    let mut config = base;
                    set(&mut config, value);
                    let named = check_pool_config(&config);
                    assert_eq!(
                        named.is_ok(),
                        config.validate().is_ok(),
                        "{value}: {named:?} vs {:?}",
                        config.validate()
                    );
                    if let Err(message) = named {
                        assert!(!message.starts_with("the program's"), "a rule the field checks miss: {message}");
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 1_000);
    }
}
