//! The demo (README's main job) in a small configuration: it must finish and
//! conserve every token (minted = held by users + vaults).

use margin_client::demo::{self, DemoConfig};

#[test]
fn small_demo_conserves_tokens() {
    let summary = demo::run(DemoConfig { users: 6, days: 3 }, |_| {}).expect("demo runs");
    assert_eq!(summary.accounts_opened, 6);
    assert_eq!(summary.pools.len(), 3);
    for pool in &summary.pools {
        assert!(pool.minted > 0);
        assert_eq!(pool.minted, pool.held_by_users + pool.vault_balance, "{} tokens not conserved", pool.symbol);
    }
}
