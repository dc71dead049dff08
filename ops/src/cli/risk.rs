//! `margin risk`: greeks, liquidation distances and probabilities of one margin
//! account (`margin_client::risk::greeks`), as text or JSON; `margin account
//! show` prints the same report.

use clap::Args;
use margin_client::{
    health::to_usd,
    risk::{greeks, GreeksReport, ProbabilityMethod, RiskOptions},
};
use serde::Serialize;
use solana_sdk::pubkey::Pubkey;

use super::{account, pubkey_arg, CliError, Context, OracleArgs};

/// `margin risk`.
#[derive(Args, Debug)]
pub struct RiskArgs {
    /// The margin account
    #[arg(long, value_name = "ADDR", value_parser = pubkey_arg)]
    account: Pubkey,
    #[command(flatten)]
    oracles: OracleArgs,
    #[command(flatten)]
    options: RiskOptionArgs,
    /// Same as --output json
    #[arg(long)]
    json: bool,
}

/// The model's knobs.
#[derive(Args, Debug, Clone, Default)]
pub struct RiskOptionArgs {
    /// One horizon instead of 1h, 24h, 7d: 90s, 30m, 24h, 7d or seconds
    #[arg(long, value_name = "DURATION", value_parser = horizon_secs)]
    horizon: Option<f64>,
    /// Annualized volatility of a pool instead of the EMA-confidence heuristic
    /// (repeatable)
    #[arg(long = "vol", value_name = "POOL=SIGMA", value_parser = vol_arg)]
    vols: Vec<(Pubkey, f64)>,
    /// Pairwise correlation of the log-returns in the Monte Carlo (0..=1)
    #[arg(long, default_value_t = 0.0, value_name = "RHO")]
    correlation: f64,
}

impl RiskOptionArgs {
    pub fn options(&self) -> RiskOptions {
        let mut options = RiskOptions::default();
        if let Some(secs) = self.horizon {
            options.horizons_secs = vec![secs];
        }
        options.volatility.overrides.extend(self.vols.iter().copied());
        options.monte_carlo.correlation = self.correlation.clamp(0.0, 1.0);
        options
    }
}

fn vol_arg(text: &str) -> Result<(Pubkey, f64), String> {
    let (pool, sigma) = text.split_once('=').ok_or_else(|| format!("expected POOL=SIGMA, got '{text}'"))?;
    let sigma: f64 = sigma.parse().map_err(|_| format!("'{sigma}' is not a number"))?;
    Ok((pubkey_arg(pool)?, sigma))
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
        _ => Err(format!("'{text}' is not a duration (e.g. 1h, 24h, 7d)")),
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

pub fn run(ctx: &Context, args: RiskArgs) -> Result<(), CliError> {
    let mut chain = ctx.checked_chain()?;
    let loaded = account::load(&mut chain, &args.account)?;
    let cache =
        loaded.health_cache(&mut chain, &args.oracles.book())?.map_err(|why| format!("{}: {why}", args.account))?;
    let report = greeks(&cache, &args.options.options()).map_err(|e| format!("risk report: {e:?}"))?;
    let json = RiskJson::new(&args.account, &report);
    if args.json || ctx.json() {
        println!("{}", serde_json::to_string(&json).map_err(|e| e.to_string())?);
    } else {
        print!("{}", text(&args.account, &report));
    }
    Ok(())
}

pub fn method_text(method: &ProbabilityMethod) -> String {
    match method {
        ProbabilityMethod::Deterministic => "deterministic (nothing moves)".to_string(),
        ProbabilityMethod::ClosedForm { pool } => format!("first passage, closed form, on {pool}"),
        ProbabilityMethod::MonteCarlo(mc) => format!(
            "Monte Carlo: {} paths, {} steps per horizon, seed {:#x}, correlation {}",
            mc.paths, mc.steps, mc.seed, mc.correlation
        ),
    }
}

/// The report as text.
pub fn text(address: &Pubkey, report: &GreeksReport) -> String {
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

/// Health in USD at each level.
#[derive(Serialize, Debug, Clone, Copy)]
pub struct HealthJson {
    pub initial: f64,
    pub maintenance: f64,
    pub equity: f64,
    pub stress: f64,
}

impl HealthJson {
    pub fn new(health: &margin_client::interface::health::Health) -> Self {
        Self {
            initial: to_usd(health.initial),
            maintenance: to_usd(health.maintenance),
            equity: to_usd(health.equity),
            stress: to_usd(health.stress),
        }
    }
}

/// `--output json` of the risk report: the report's fields, non-finite numbers
/// as `null`.
#[derive(Serialize, Debug)]
pub struct RiskJson {
    account: String,
    health: HealthJson,
    horizons_secs: Vec<f64>,
    assets: Vec<AssetJson>,
    probability: Vec<f64>,
    standard_error: Vec<f64>,
    method: String,
}

#[derive(Serialize, Debug)]
struct AssetJson {
    pool: String,
    price: f64,
    sigma_annual: f64,
    exposure: f64,
    delta: f64,
    gamma: f64,
    levels: Vec<LevelJson>,
    liquidation_price: Option<f64>,
    distance: Vec<Option<f64>>,
    probability_alone: Vec<f64>,
    penalty: Option<PenaltyJson>,
}

#[derive(Serialize, Debug)]
struct LevelJson {
    delta: f64,
    gamma: f64,
}

#[derive(Serialize, Debug)]
struct PenaltyJson {
    collateral_pool: String,
    debt_pool: String,
    bonus_bps: u64,
    repaid_usd: f64,
    penalty_usd: f64,
}

impl RiskJson {
    pub fn new(address: &Pubkey, report: &GreeksReport) -> Self {
        let assets = report
            .assets
            .iter()
            .map(|a| AssetJson {
                pool: a.pool.to_string(),
                price: a.price,
                sigma_annual: a.sigma_annual,
                exposure: a.exposure,
                delta: a.delta,
                gamma: a.gamma,
                levels: a.levels.iter().map(|l| LevelJson { delta: l.delta, gamma: l.gamma }).collect(),
                liquidation_price: a.liquidation_price,
                distance: a.distance.clone(),
                probability_alone: a.probability_alone.clone(),
                penalty: a.penalty.as_ref().map(|p| PenaltyJson {
                    collateral_pool: p.collateral_pool.to_string(),
                    debt_pool: p.debt_pool.to_string(),
                    bonus_bps: p.bonus_bps,
                    repaid_usd: p.repaid_usd,
                    penalty_usd: p.penalty_usd,
                }),
            })
            .collect();
        Self {
            account: address.to_string(),
            health: HealthJson::new(&report.health),
            horizons_secs: report.horizons_secs.clone(),
            assets,
            probability: report.probability.clone(),
            standard_error: report.standard_error.clone(),
            method: method_text(&report.method),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn horizons_read_and_print_in_whole_units() {
        assert_eq!(horizon_secs("24h").unwrap(), 86_400.0);
        assert_eq!(horizon_secs("90").unwrap(), 90.0);
        assert!(horizon_secs("soon").is_err());
        assert_eq!(horizon_label(604_800.0), "7d");
        assert_eq!(horizon_label(90.0), "90s");
    }
}
