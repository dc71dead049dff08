//! A keeper operator: crank interest on every pool idle for an hour.
//! Against a cluster: `margin keeper --rpc-url URL --keypair PATH`; here the same
//! bot code runs on the embedded SVM.
//!
//! Run: `scripts/build-sbf.sh && cargo run -p margin-client --example keeper`

use margin_client::{
    config::default_pool_config,
    instructions,
    pda::{self, PoolKeys},
    spl_token_id,
};
use margin_ops::bots;
use margin_sim::svm::Svm;
use solana_sdk::signature::Signer;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut svm = Svm::new();
    let admin = svm.create_user(100_000_000_000);
    let payer = svm.payer().pubkey();
    svm.process(&[instructions::init_group(&payer, &admin.pubkey(), 0, &admin.pubkey())], &[&admin])?;
    let group = pda::group(&admin.pubkey(), 0);
    for decimals in [6u8, 9] {
        let mint = svm.create_mint(decimals, &spl_token_id());
        let keys = PoolKeys::derive(&group, &mint, &spl_token_id());
        svm.process(&[instructions::create_pool(&payer, &admin.pubkey(), &keys, default_pool_config())], &[&admin])?;
    }
    let keeper = svm.create_user(1_000_000_000);
    svm.advance_time(2 * 3_600);
    let cranked = bots::keeper_once(&mut bots::Embedded(&mut svm), &keeper, 3_600, &mut |line| println!("{line}"))?;
    println!("cranked {} pools", cranked.len());
    Ok(())
}
