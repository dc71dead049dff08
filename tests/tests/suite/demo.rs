//! The demo (README's main job) in a small configuration: it must finish and
//! conserve every token (minted = held by users + vaults).

use margin_ops::demo::{self, DemoConfig};

#[test]
fn small_demo_conserves_tokens() {
    let summary = demo::run(DemoConfig { users: 9, days: 4, plot: None, bot_logs: false }, |_| {}).expect("demo runs");
    assert_eq!(summary.accounts_opened, 9 + 2, "users plus two liquidators");
    assert_eq!(summary.pools.len(), 3);
    for pool in &summary.pools {
        assert!(pool.minted > 0);
        assert_eq!(pool.minted, pool.held_by_wallets + pool.vault_balance, "{} tokens not conserved", pool.symbol);
    }
    // The run is deterministic (fixed prices, users and order): the crash
    // liquidates three accounts in four liquidations, the second liquidator loses
    // four races, and this small market has no bad debt to write off.
    assert_eq!(summary.liquidations, 4, "the crash produced liquidations");
    assert_eq!(summary.races_lost, 4);
    assert_eq!(summary.accounts_liquidated, 3);
    assert_eq!(summary.bad_debt_resolutions, 0);
    assert_eq!(summary.pools[2].total_debt, 37_073_734_274, "USDC debt left after the liquidations");
    assert_eq!(summary.timeline.len(), 8);
    let svg = demo::plot(&summary.timeline);
    assert!(svg.starts_with("<svg") && svg.contains("polyline"));
}
