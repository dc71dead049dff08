//! Liquidation probabilities under a driftless geometric Brownian motion: each
//! price follows `dS / S = sigma dW` (a martingale: no drift in the price, so the
//! log-price drifts by `-sigma^2 / 2` per year). Time is in years throughout.
//!
//! - one risky asset: the closed-form first-passage probability of the barrier
//!   (reflection principle), continuous monitoring;
//! - several: [`monte_carlo`], health checked at the end of each of `steps` equal
//!   steps (discrete monitoring: it can miss a crossing between two checks, so it
//!   is biased low by about a barrier shift of `0.5826 sigma sqrt(dt)`, Broadie,
//!   Glasserman and Kou 1997), with a fixed seed so reports are reproducible.
//!
//! No dependency: the normal CDF, the generator (SplitMix64) and the normal draws
//! (Box-Muller) are here.

/// Seconds per year (365.25 days), to turn horizons into years.
pub const SECONDS_PER_YEAR: f64 = 365.25 * 86_400.0;

/// The complementary error function, fractional error below 1.2e-7 everywhere
/// (Chebyshev fit, Numerical Recipes `erfcc`).
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let value = t * poly.exp();
    if x >= 0.0 {
        value
    } else {
        2.0 - value
    }
}

/// Standard normal CDF.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Probability that a driftless GBM started at `spot` touches `barrier` within
/// `years` (first passage, continuous monitoring): for a barrier below the spot,
/// `P(min S <= B)`, above it `P(max S >= B)`. With `x = ln(S_t / S_0)` Brownian
/// with drift `mu = -sigma^2 / 2`, `b = ln(B / S_0)`, `s = sigma sqrt(T)`:
///
/// - `b < 0`: `N((b - mu T) / s) + e^(2 mu b / sigma^2) N((b + mu T) / s)`
/// - `b > 0`: `N((mu T - b) / s) + e^(2 mu b / sigma^2) N((-b - mu T) / s)`
///
/// and `e^(2 mu b / sigma^2) = S_0 / B` here. 1 when the barrier is already
/// reached (`b = 0`); 0 without volatility or time, or without a positive spot
/// and barrier.
pub fn first_passage(spot: f64, barrier: f64, sigma_annual: f64, years: f64) -> f64 {
    if spot.is_nan() || barrier.is_nan() || spot <= 0.0 || barrier <= 0.0 {
        return 0.0; // no price, or a barrier no positive price reaches
    }
    let b = (barrier / spot).ln();
    if b == 0.0 {
        return 1.0;
    }
    let s = sigma_annual * years.sqrt();
    if s.is_nan() || s <= 0.0 {
        return 0.0;
    }
    let mu_t = -0.5 * sigma_annual * sigma_annual * years;
    let reflected = spot / barrier; // e^(2 mu b / sigma^2) with mu = -sigma^2 / 2
    let p = if b < 0.0 {
        normal_cdf((b - mu_t) / s) + reflected * normal_cdf((b + mu_t) / s)
    } else {
        normal_cdf((mu_t - b) / s) + reflected * normal_cdf((-b - mu_t) / s)
    };
    p.clamp(0.0, 1.0)
}

/// SplitMix64: a small, fast, well-mixed generator (Steele, Lea and Flood 2014),
/// enough for reproducible Monte Carlo; not for anything secret.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// Generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in (0, 1), never 0 or 1.
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    /// Two independent standard normals (Box-Muller).
    pub fn normal_pair(&mut self) -> (f64, f64) {
        let (u, v) = (self.uniform(), self.uniform());
        let radius = (-2.0 * u.ln()).sqrt();
        let angle = 2.0 * std::f64::consts::PI * v;
        (radius * angle.cos(), radius * angle.sin())
    }
}

/// One risky asset of a Monte Carlo run: health moves by `exposure * (S / S_0 - 1)`
/// (USD; Maintenance health is linear in each price, see
/// `HealthCache::liquidation_price`), `S` a driftless GBM with `sigma_annual`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Exposure {
    /// Net Maintenance value of the position (USD): weighted collateral minus
    /// weighted debt at the current price.
    pub exposure: f64,
    /// Annualized volatility.
    pub sigma_annual: f64,
}

/// Monte Carlo settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MonteCarlo {
    /// Simulated paths.
    pub paths: usize,
    /// Equal time steps per horizon; health is checked at the end of each.
    pub steps: usize,
    /// Seed of the generator (fixed: the same report twice gives the same numbers).
    pub seed: u64,
    /// One correlation between every pair of log-returns, in `[0, 1]` (one common
    /// factor: `Z_i = sqrt(rho) M + sqrt(1 - rho) e_i`).
    pub correlation: f64,
}

impl Default for MonteCarlo {
    fn default() -> Self {
        Self { paths: 20_000, steps: 200, seed: 0x6d61_7267_696e, correlation: 0.0 }
    }
}

/// An estimated probability with its standard error `sqrt(p (1 - p) / paths)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// The fraction of paths on which health went below zero.
    pub probability: f64,
    /// Its standard error.
    pub standard_error: f64,
}

/// The fraction of simulated paths on which `health + sum exposure_i (S_i / S_i0 - 1)`
/// goes below zero at one of the `settings.steps` checks within `years`.
pub fn monte_carlo(health: f64, assets: &[Exposure], years: f64, settings: &MonteCarlo) -> Estimate {
    if health < 0.0 {
        return Estimate { probability: 1.0, standard_error: 0.0 };
    }
    let paths = settings.paths.max(1);
    let steps = settings.steps.max(1);
    let dt = years / steps as f64;
    let rho = settings.correlation.clamp(0.0, 1.0);
    let (common, own) = (rho.sqrt(), (1.0 - rho).sqrt());
    let drift: Vec<f64> = assets.iter().map(|a| -0.5 * a.sigma_annual * a.sigma_annual * dt).collect();
    let scale: Vec<f64> = assets.iter().map(|a| a.sigma_annual * dt.sqrt()).collect();
    let mut rng = SplitMix64::new(settings.seed);
    let mut spare: Option<f64> = None;
    let mut normal = |rng: &mut SplitMix64| match spare.take() {
        Some(z) => z,
        None => {
            let (a, b) = rng.normal_pair();
            spare = Some(b);
            a
        }
    };
    let mut log_moves = vec![0.0f64; assets.len()];
    let mut hits = 0usize;
    for _ in 0..paths {
        log_moves.iter_mut().for_each(|x| *x = 0.0);
        for _ in 0..steps {
            let factor = if rho > 0.0 { normal(&mut rng) } else { 0.0 };
            let mut value = health;
            for (i, asset) in assets.iter().enumerate() {
                let z = common * factor + own * normal(&mut rng);
                log_moves[i] += drift[i] + scale[i] * z;
                value += asset.exposure * (log_moves[i].exp() - 1.0);
            }
            if value < 0.0 {
                hits += 1;
                break;
            }
        }
    }
    let p = hits as f64 / paths as f64;
    Estimate { probability: p, standard_error: (p * (1.0 - p) / paths as f64).sqrt() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_cdf_matches_known_values() {
        for (x, expected) in [(0.0, 0.5), (1.0, 0.841_344_746), (-1.96, 0.024_997_895), (3.0, 0.998_650_102)] {
            assert!((normal_cdf(x) - expected).abs() < 2e-7, "N({x}) = {}", normal_cdf(x));
        }
    }

    #[test]
    fn first_passage_is_symmetric_in_log_space_and_bounded() {
        // Already at the barrier: certain; no volatility: never.
        assert_eq!(first_passage(100.0, 100.0, 0.8, 1.0), 1.0);
        assert_eq!(first_passage(100.0, 90.0, 0.0, 1.0), 0.0);
        // Far barriers are unlikely, and longer horizons raise the probability.
        let short = first_passage(100.0, 80.0, 0.8, 1.0 / 365.0);
        let long = first_passage(100.0, 80.0, 0.8, 7.0 / 365.0);
        assert!(short > 0.0 && short < long && long < 1.0, "{short} {long}");
        // Driftless price: the first passage of B is at least twice the terminal
        // probability P(S_T <= B) minus the drift's small effect.
        let terminal = normal_cdf(((80f64 / 100.0).ln() + 0.5 * 0.64 * 7.0 / 365.0) / (0.8 * (7f64 / 365.0).sqrt()));
        assert!(long > 1.9 * terminal && long < 2.1 * terminal, "{long} vs terminal {terminal}");
    }
}
