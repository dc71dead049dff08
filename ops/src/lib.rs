//! The operators' side of the margin program: the keeper and liquidator bots
//! (over JSON-RPC or the embedded SVM), the liquidator index, the streaming
//! liquidator and the demo market; the `margin` CLI is [`cli`] (run by
//! `src/bin/margin.rs`).

pub mod bots;
pub mod cli;
pub mod deleverage;
pub mod demo;
pub mod deploy;
pub mod index;
pub mod router;
pub mod stream;
