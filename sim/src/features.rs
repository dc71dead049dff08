//! Runtime feature sets of the clusters the program targets.
//!
//! The test runtime turns on every feature it knows by default; mainnet-beta runs
//! with fewer (e.g. SIMD-0460's contiguous stack frames were off there when the
//! program first crashed on deposit). The embedded SVM and the test validator run
//! with the pinned mainnet-beta snapshot in `data/mainnet-beta-features.txt`, so a
//! program the cluster would refuse or crash fails here first.

use std::collections::HashSet;

use solana_sdk::pubkey::Pubkey;

/// The pinned snapshot: `<id> <activation slot> <name>` per line, `#` comments
/// (source and date in its header; refresh with `scripts/refresh-mainnet-features.py`).
pub const MAINNET_BETA_SNAPSHOT: &str = include_str!("../../data/mainnet-beta-features.txt");

/// A cluster's runtime features.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeatureSet {
    /// Only the features active on mainnet-beta in the pinned snapshot.
    MainnetBeta,
    /// Every feature the runtime knows (solana-program-test's default).
    All,
}

impl FeatureSet {
    /// `$MARGIN_FEATURES` (`mainnet-beta`, the default, or `all`).
    pub fn from_env() -> Self {
        match std::env::var("MARGIN_FEATURES").as_deref() {
            Ok("all") => Self::All,
            _ => Self::MainnetBeta,
        }
    }

    /// Features the runtime knows that this set has off.
    pub fn inactive(self) -> Vec<Pubkey> {
        match self {
            Self::All => Vec::new(),
            Self::MainnetBeta => {
                let active = mainnet_beta_active();
                let mut inactive: Vec<Pubkey> =
                    agave_feature_set::FEATURE_NAMES.keys().filter(|id| !active.contains(*id)).copied().collect();
                inactive.sort();
                inactive
            }
        }
    }
}

impl FeatureSet {
    /// Accounts one transaction may lock: 128 once `increase_tx_account_lock_limit`
    /// is active, 64 before (mainnet-beta in the pinned snapshot: not active).
    pub fn account_lock_limit(self) -> usize {
        if self.inactive().contains(&INCREASE_TX_ACCOUNT_LOCK_LIMIT) {
            margin_client::transaction::ACCOUNT_LOCK_LIMIT
        } else {
            margin_client::transaction::ACCOUNT_LOCK_LIMIT_INCREASED
        }
    }
}

/// Ids of the features active on mainnet-beta in the pinned snapshot.
pub fn mainnet_beta_active() -> HashSet<Pubkey> {
    MAINNET_BETA_SNAPSHOT
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let id = line.split_whitespace().next().unwrap_or_default();
            id.parse().unwrap_or_else(|_| panic!("bad feature id in the mainnet-beta snapshot: {id}"))
        })
        .collect()
}

/// SIMD-0460 `virtual_address_space_adjustments` (contiguous SBPF v0 stack frames).
pub const VIRTUAL_ADDRESS_SPACE_ADJUSTMENTS: Pubkey =
    solana_sdk::pubkey!("7VgiehxNxu53KdxgLspGQY8myE6f7UokaWa4jsGcaSz");

/// `increase_tx_account_lock_limit` (64 -> 128 accounts per transaction, #27241).
pub const INCREASE_TX_ACCOUNT_LOCK_LIMIT: Pubkey = agave_feature_set::increase_tx_account_lock_limit::ID;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_parses_and_leaves_simd_0460_off() {
        let active = mainnet_beta_active();
        assert_eq!(active.len(), 251);
        let inactive = FeatureSet::MainnetBeta.inactive();
        assert!(inactive.contains(&VIRTUAL_ADDRESS_SPACE_ADJUSTMENTS));
        assert!(!active.contains(&VIRTUAL_ADDRESS_SPACE_ADJUSTMENTS));
        // p-token replaced SPL Token on mainnet-beta: the test runtime's built-in is right.
        assert!(active.contains(&solana_sdk::pubkey!("ptokFjwyJtrwCa9Kgo9xoDS59V4QccBGEaRFnRPnSdP")));
        assert_eq!(FeatureSet::All.inactive(), Vec::<Pubkey>::new());
    }

    #[test]
    fn mainnet_beta_locks_64_accounts_per_transaction() {
        assert!(!mainnet_beta_active().contains(&INCREASE_TX_ACCOUNT_LOCK_LIMIT));
        assert_eq!(FeatureSet::MainnetBeta.account_lock_limit(), 64);
        assert_eq!(FeatureSet::All.account_lock_limit(), 128);
    }
}
