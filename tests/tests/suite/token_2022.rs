//! Pools over Token-2022 mints (without extensions): the vault is created by the
//! Token-2022 program and deposits/withdrawals use TransferChecked through it.

use margin_client::{config::default_pool_config, instructions, pda::PoolKeys, token_2022_id};
use margin_interface::error::MarginError;
use margin_tests::{swap_account, Env};
use solana_sdk::signature::Signer;

#[test]
fn token_2022_pool_round_trip() {
    let mut env = Env::new();
    let mint = env.svm.create_mint(6, &token_2022_id());
    let keys = PoolKeys::derive(&env.group, &mint, &token_2022_id());
    let admin = env.admin.insecure_clone();
    let payer = env.svm.payer().pubkey();
    env.svm
        .process(&[instructions::create_pool(&payer, &admin.pubkey(), &keys, default_pool_config())], &[&admin])
        .expect("token-2022 pool");
    assert_eq!(env.svm.account(&keys.vault).unwrap().owner, token_2022_id());
    // Cross accounts hold only priced pools.
    let now = env.svm.now();
    env.set_oracle(&keys, margin_tests::Feed::Legacy, margin_tests::usd_price(1.0, now));

    let user = env.user();
    let margin = env.open_cross(&user, 0);
    let wallet = env.token_account(&keys, &user.pubkey(), 1_000_000);
    env.deposit(&user, &margin, &keys, &wallet, 600_000).expect("deposit through Token-2022");
    assert_eq!(env.svm.token_balance(&keys.vault), 600_000);
    // The SPL Token program is not this pool's.
    let ix = swap_account(
        instructions::deposit(&user.pubkey(), &margin, &keys, &wallet, 1),
        &token_2022_id(),
        &margin_client::spl_token_id(),
    );
    env.expect_error(&[ix], &[&user], MarginError::InvalidTokenProgram, &[margin, keys.pool, keys.vault, wallet]);
    let ix = instructions::withdraw(&user.pubkey(), &margin, &keys, &wallet, instructions::WithdrawAmount::All);
    env.svm.process(&[ix], &[&user]).expect("withdraw through Token-2022");
    assert_eq!(env.svm.token_balance(&wallet), 1_000_000);
}
