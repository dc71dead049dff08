//! The margin program's compiled `.so` in an embedded SVM (solana-program-test)
//! under mainnet-beta's runtime features: what the demo, the bots' local mode and
//! every integration test run against.

pub mod features;
pub mod svm;
pub mod swap;

pub use svm::{Failed, Landed, Svm};
