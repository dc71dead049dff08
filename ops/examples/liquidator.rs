//! A liquidator: scan every margin account with the shared health engine, size
//! each liquidation with `margin_interface::liquidation::plan`, send the
//! profitable ones, and shrug off races. Against a cluster:
//! `margin liquidator --rpc-url URL --keypair PATH --margin-account ADDR
//! --wallet MINT=TOKEN_ACCOUNT --oracle FEED_HEX=UPDATE_ACCOUNT`.
//! Here: the demo market on the embedded SVM, with both liquidators' logs.
//!
//! Run: `scripts/build-sbf.sh && cargo run -p margin-client --example liquidator`

use margin_ops::demo::{self, DemoConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let summary = demo::run(DemoConfig { users: 9, days: 3, plot: None, bot_logs: true, progress: false }, |line| {
        println!("{line}")
    })?;
    println!(
        "{} liquidations, {} races lost, ${:.2} of bonuses",
        summary.liquidations, summary.races_lost, summary.bonus_usd
    );
    Ok(())
}
