use margin_tests::Env;
use solana_sdk::signature::Signer;

#[test]
fn deposit_and_withdraw_round_trip() {
    let mut env = Env::new();
    let usdc = env.add_pool(6);
    let user = env.user();
    let margin = env.open_cross(&user, 0);
    let source = env.token_account(&usdc, &user.pubkey(), 1_000_000);
    let landed = env.deposit(&user, &margin, &usdc, &source, 400_000).expect("deposit");
    println!("deposit CU {}", landed.compute_units);
    assert_eq!(env.svm.token_balance(&usdc.vault), 400_000);
    assert_eq!(env.pool(&usdc).total_deposit_shares, 400_000);
}
