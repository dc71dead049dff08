//! Interest accrual on the real program against an independently written
//! floating-point model: random curves, utilizations and gaps up to 100 years.
//! Debt is staged by writing pool state (borrowing arrives with the next issue);
//! the accrual itself is the program's.

use margin_client::{config::default_pool_config, instructions, pda::PoolKeys};
use margin_interface::{
    fixed,
    state::{Pool, PoolConfig, RateCurve, MAX_RATE_BPS},
    SECONDS_PER_YEAR,
};
use margin_tests::Env;
use solana_sdk::signature::Signer;

/// xorshift64*: deterministic randomness without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }
}

fn random_curve(rng: &mut Rng) -> RateCurve {
    let k0 = rng.range(1, 7_000) as u32;
    let k1 = rng.range(k0 as u64 + 1, 8_500) as u32;
    let k2 = rng.range(k1 as u64 + 1, 9_999) as u32;
    let base = rng.range(0, 500) as u32;
    let r0 = base + rng.range(0, 2_000) as u32;
    let r1 = r0 + rng.range(0, 5_000) as u32;
    let r2 = (r1 + rng.range(0, 10_000) as u32).min(MAX_RATE_BPS);
    let max = (r2 + rng.range(0, 10_000) as u32).min(MAX_RATE_BPS);
    RateCurve {
        base_rate_bps: base,
        kink_utilization_bps: [k0, k1, k2],
        kink_rate_bps: [r0, r1, r2],
        max_rate_bps: max,
    }
}

/// The model: APR (as a fraction) at utilization `u` in [0, 1].
fn model_rate(curve: &RateCurve, u: f64) -> f64 {
    let xs = [
        0.0,
        curve.kink_utilization_bps[0] as f64,
        curve.kink_utilization_bps[1] as f64,
        curve.kink_utilization_bps[2] as f64,
        10_000.0,
    ];
    let ys = [
        curve.base_rate_bps as f64,
        curve.kink_rate_bps[0] as f64,
        curve.kink_rate_bps[1] as f64,
        curve.kink_rate_bps[2] as f64,
        curve.max_rate_bps as f64,
    ];
    let x = u * 10_000.0;
    for i in 0..4 {
        if x <= xs[i + 1] {
            return (ys[i] + (ys[i + 1] - ys[i]) * (x - xs[i]) / (xs[i + 1] - xs[i])) / 10_000.0;
        }
    }
    ys[4] / 10_000.0
}

fn q(value: u128) -> f64 {
    value as f64 / 2f64.powi(64)
}

/// `slack` covers the program's documented quantization: utilization and APR are
/// carried in units of 1e-9, so the rate may differ from the model by ~1e-9.
fn close(actual: f64, expected: f64, slack: f64, what: &str) {
    let tolerance = 1e-12 * expected.abs() + slack + 1e-12;
    assert!((actual - expected).abs() <= tolerance, "{what}: program {actual} vs model {expected}");
}

fn stage(
    env: &mut Env,
    keys: &PoolKeys,
    deposit_shares: u64,
    borrow_shares: u64,
    deposit_value: u128,
    borrow_value: u128,
) {
    let now = env.svm.now();
    env.write_pool(keys, |pool| {
        pool.total_deposit_shares = deposit_shares;
        pool.total_borrow_shares = borrow_shares;
        pool.deposit_share_value = fixed::store(deposit_value);
        pool.borrow_share_value = fixed::store(borrow_value);
        pool.last_accrual_ts = now;
        pool.protocol_fees = [0; 16];
        pool.insurance_fund = [0; 16];
    });
}

#[test]
fn accrual_matches_independent_model() {
    let mut env = Env::new();
    let mut rng = Rng(0x5eed_1234_abcd_0042);
    // No oracle: the configs below are whole defaults (an oracle, once set, stays).
    let keys = env.add_unpriced_pool(6);
    let gaps = [1u64, 17, 3_600, 86_400, 30 * 86_400, SECONDS_PER_YEAR, 10 * SECONDS_PER_YEAR, 100 * SECONDS_PER_YEAR];
    for round in 0..40 {
        let mut config: PoolConfig = default_pool_config();
        config.rate_curve = random_curve(&mut rng);
        config.protocol_fee_bps = rng.range(0, 3_000) as u16;
        config.insurance_fee_bps = rng.range(0, 3_000) as u16;
        // Higher rates or fees wait out the group's delay: applied before staging.
        env.update_config(&keys, config);

        let deposit_shares = rng.range(1_000_000, 1_000_000_000_000);
        let deposit_value = fixed::ONE + (rng.next() as u128 % (fixed::ONE / 2));
        let borrow_value = fixed::ONE + (rng.next() as u128 % fixed::ONE);
        let deposits = deposit_shares as f64 * q(deposit_value);
        let utilization = match round % 5 {
            0 => 0.0,
            1 => 1.0,
            _ => rng.range(0, 1_000_000) as f64 / 1_000_000.0,
        };
        let borrow_shares = (deposits * utilization / q(borrow_value)) as u64;
        stage(&mut env, &keys, deposit_shares, borrow_shares, deposit_value, borrow_value);
        let before: Pool = env.pool(&keys);
        let gap = gaps[round % gaps.len()];
        env.svm.advance_time(gap as i64);
        env.svm.process(&[instructions::accrue_interest(&keys.pool)], &[]).expect("accrue");
        let after: Pool = env.pool(&keys);

        // Model. Utilization is taken from whole native units (debt rounded up,
        // deposits down), as the program documents.
        let debt = (borrow_shares as f64 * q(borrow_value)).ceil();
        let deposits = deposits.floor();
        let u = if deposits == 0.0 { 0.0 } else { (debt / deposits).min(1.0) };
        let rate = model_rate(&config.rate_curve, u);
        // With no debt outstanding the index has nothing to grow for.
        let growth =
            if borrow_shares == 0 { 0.0 } else { q(borrow_value) * rate * gap as f64 / SECONDS_PER_YEAR as f64 };
        let interest = borrow_shares as f64 * growth;
        let protocol = interest * config.protocol_fee_bps as f64 / 10_000.0;
        let insurance = interest * config.insurance_fee_bps as f64 / 10_000.0;
        let deposit_growth = (interest - protocol - insurance) / deposit_shares as f64;

        // Utilization is carried in 1e-9 steps: allow the APR difference of one step
        // on the curve at `u`, plus 2e-9 of rate rounding. Growth slack per share:
        let rate_slack = (rate - model_rate(&config.rate_curve, (u - 1e-9).max(0.0))).abs() + 2e-9;
        let slack = q(borrow_value) * rate_slack * gap as f64 / SECONDS_PER_YEAR as f64;
        let interest_slack = slack * borrow_shares as f64;
        close(q(after.borrow_share_value()), q(borrow_value) + growth, slack, "borrow share value");
        close(
            q(after.deposit_share_value()),
            q(deposit_value) + deposit_growth,
            interest_slack / deposit_shares as f64,
            "deposit share value",
        );
        close(q(fixed::load(&after.protocol_fees)), protocol, interest_slack, "protocol fees");
        close(q(fixed::load(&after.insurance_fund)), insurance, interest_slack, "insurance fund");
        assert_eq!(after.last_accrual_ts, before.last_accrual_ts + gap as i64);

        // Rounding favours the protocol: depositors + fees never exceed what
        // borrowers were charged.
        let charged = (after.borrow_share_value() - before.borrow_share_value()) * borrow_shares as u128;
        let credited = (after.deposit_share_value() - before.deposit_share_value()) * deposit_shares as u128
            + fixed::load(&after.protocol_fees)
            + fixed::load(&after.insurance_fund);
        assert!(credited <= charged, "round {round}: credited {credited} > charged {charged}");
        // Reset buckets for the next round.
        env.write_pool(&keys, |pool| {
            pool.protocol_fees = [0; 16];
            pool.insurance_fund = [0; 16];
        });
    }
}

#[test]
fn century_gap_at_max_rate_does_not_overflow() {
    let mut env = Env::new();
    let mut config = default_pool_config();
    config.rate_curve = RateCurve {
        base_rate_bps: MAX_RATE_BPS,
        kink_utilization_bps: [1, 2, 3],
        kink_rate_bps: [MAX_RATE_BPS; 3],
        max_rate_bps: MAX_RATE_BPS,
    };
    let keys = env.add_pool_with(6, config);
    // A trillion-unit pool fully borrowed.
    stage(&mut env, &keys, 1_000_000_000_000, 1_000_000_000_000, fixed::ONE, fixed::ONE);
    env.svm.advance_time((100 * SECONDS_PER_YEAR) as i64);
    env.svm.process(&[instructions::accrue_interest(&keys.pool)], &[]).expect("100 years at the 150% APR cap");
    let pool = env.pool(&keys);
    // 1.5x a year for 100 years of simple interest: the index is exactly 151.
    assert_eq!(pool.borrow_share_value(), 151 * fixed::ONE);
}

#[test]
fn zero_utilization_and_zero_gap_accrue_nothing() {
    let mut env = Env::new();
    let keys = env.add_pool(6);
    stage(&mut env, &keys, 1_000_000, 0, fixed::ONE, fixed::ONE);
    env.svm.advance_time(SECONDS_PER_YEAR as i64);
    env.svm.process(&[instructions::accrue_interest(&keys.pool)], &[]).unwrap();
    let pool = env.pool(&keys);
    assert_eq!(pool.deposit_share_value(), fixed::ONE);
    assert_eq!(pool.borrow_share_value(), fixed::ONE);
    // Same second again: a no-op that still succeeds.
    let before = env.svm.data(&keys.pool);
    env.svm.process(&[instructions::accrue_interest(&keys.pool)], &[]).unwrap();
    assert_eq!(env.svm.data(&keys.pool), before);
}

#[test]
fn crank_then_act_equals_act() {
    let mut env = Env::new();
    let a = env.add_pool(6);
    let b = env.add_pool(6);
    let user = env.user();
    let margin = env.open_cross(&user, 0);
    let source_a = env.token_account(&a, &user.pubkey(), 1_000_000);
    let source_b = env.token_account(&b, &user.pubkey(), 1_000_000);
    for keys in [&a, &b] {
        stage(&mut env, keys, 50_000_000, 40_000_000, fixed::ONE * 11 / 10, fixed::ONE * 13 / 10);
        env.svm.set_token_account(&keys.vault, &keys.mint, &keys.vault_authority, 50_000_000, &keys.token_program);
    }
    env.svm.advance_time(5 * 86_400 + 17);
    env.svm
        .process(
            &[
                instructions::accrue_interest(&a.pool),
                instructions::deposit(&user.pubkey(), &margin, &a, &source_a, 777_777),
            ],
            &[&user],
        )
        .unwrap();
    env.deposit(&user, &margin, &b, &source_b, 777_777).unwrap();
    let (pa, pb) = (env.pool(&a), env.pool(&b));
    assert_eq!(pa.deposit_share_value, pb.deposit_share_value);
    assert_eq!(pa.borrow_share_value, pb.borrow_share_value);
    assert_eq!(pa.protocol_fees, pb.protocol_fees);
    assert_eq!(pa.insurance_fund, pb.insurance_fund);
    assert_eq!(pa.total_deposit_shares, pb.total_deposit_shares);
    assert!(pa.deposit_share_value() > fixed::ONE * 11 / 10, "interest did accrue");
}
