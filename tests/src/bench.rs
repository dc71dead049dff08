//! Compute-unit cases: each runs the user's whole transaction in the SVM and
//! records the units the runtime charged. Used by `scripts/bench.sh` (table +
//! JSON) and by the ceiling tests.

use margin_client::instructions::{self, WithdrawAmount};
use margin_interface::fixed;
use solana_sdk::signature::Signer;

use crate::Env;

/// `(case name, compute units)` in a stable order.
pub fn run_all() -> Vec<(&'static str, u64)> {
    let mut env = Env::new();
    let usdc = env.add_pool(6);
    let user = env.user();
    let margin = env.open_cross(&user, 0);
    let source = env.token_account(&usdc, &user.pubkey(), 10_000_000);
    let mut results = Vec::new();

    // A deposit that opens a new position (the case Solend's 53,331 CU refers to).
    let landed = env.deposit(&user, &margin, &usdc, &source, 5_000_000).expect("deposit");
    results.push(("deposit", landed.compute_units));

    // Stage debt so accrual and withdrawal do their full arithmetic.
    let now = env.svm.now();
    env.write_pool(&usdc, |pool| {
        pool.total_borrow_shares = 2_000_000;
        pool.borrow_share_value = fixed::store(fixed::ONE * 21 / 20);
        pool.last_accrual_ts = now;
    });
    env.svm.advance_time(3_600);
    let landed = env.svm.process(&[instructions::accrue_interest(&usdc.pool)], &[]).expect("accrue");
    results.push(("accrue_interest", landed.compute_units));

    env.svm.advance_time(3_600);
    let ix = instructions::withdraw(&user.pubkey(), &margin, &usdc, &source, WithdrawAmount::Exact(1_000_000));
    let landed = env.svm.process(&[ix], &[&user]).expect("withdraw");
    results.push(("withdraw", landed.compute_units));
    results
}

/// Renders the results as a table.
pub fn table(results: &[(&str, u64)]) -> String {
    let mut out = format!("{:<28} {:>10}\n{}\n", "case", "CU", "-".repeat(39));
    for (name, cu) in results {
        out.push_str(&format!("{name:<28} {cu:>10}\n"));
    }
    out
}

/// Renders the results as `{"case": cu}` JSON.
pub fn json(results: &[(&str, u64)]) -> String {
    let body: Vec<String> = results.iter().map(|(name, cu)| format!("  \"{name}\": {cu}")).collect();
    format!("{{\n{}\n}}\n", body.join(",\n"))
}
