//! The demo (README's main job) in a small configuration: it must finish and
//! conserve every token (minted = held by users + vaults).

use margin_client::demo::{self, DemoConfig};

#[test]
fn small_demo_conserves_tokens() {
    let summary = demo::run(DemoConfig { users: 9, days: 4, plot: None, bot_logs: false }, |_| {}).expect("demo runs");
    assert_eq!(summary.accounts_opened, 9 + 2, "users plus two liquidators");
    assert_eq!(summary.pools.len(), 3);
    for pool in &summary.pools {
        assert!(pool.minted > 0);
        assert_eq!(pool.minted, pool.held_by_wallets + pool.vault_balance, "{} tokens not conserved", pool.symbol);
    }
    assert!(summary.liquidations > 0, "the crash produced liquidations");
    assert!(summary.pools[2].total_debt > 0 || summary.bad_debt_resolutions > 0);
    assert_eq!(summary.timeline.len(), 8);
    let svg = demo::plot(&summary.timeline);
    assert!(svg.starts_with("<svg") && svg.contains("polyline"));
}
