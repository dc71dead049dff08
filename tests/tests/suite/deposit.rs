//! deposit: happy paths, risk controls and every account rejection.

use margin_client::{config::default_pool_config, instructions};
use margin_interface::{
    error::MarginError,
    fixed,
    state::{PoolStatus, CROSS_POSITIONS},
};
use margin_tests::{clone_account_to_owner, strip_signer, swap_account, Env};
use solana_sdk::{pubkey::Pubkey, signature::Signer};

#[test]
fn deposit_credits_shares_and_moves_tokens() {
    let mut env = Env::new();
    let usdc = env.add_pool(6);
    let user = env.user();
    let margin = env.open_cross(&user, 0);
    let source = env.token_account(&usdc, &user.pubkey(), 1_000_000);

    env.deposit(&user, &margin, &usdc, &source, 250_000).expect("first deposit");
    env.deposit(&user, &margin, &usdc, &source, 50_000).expect("second deposit");
    assert_eq!(env.svm.token_balance(&source), 700_000);
    assert_eq!(env.svm.token_balance(&usdc.vault), 300_000);
    let pool = env.pool(&usdc);
    assert_eq!(pool.total_deposit_shares, 300_000);
    let account = env.margin(&margin);
    assert_eq!(account.header.position_count, 1);
    assert_eq!(account.positions[0].pool, usdc.pool.to_bytes());
    assert_eq!(account.positions[0].deposit_shares, 300_000);
}

#[test]
fn isolated_accounts_take_collateral_only_in_their_collateral_pool() {
    let mut env = Env::new();
    let sol = env.add_pool(9);
    let usdc = env.add_pool(6);
    let user = env.user();
    let isolated = env.open_isolated(&user, 0, &sol, &usdc);
    let sol_source = env.token_account(&sol, &user.pubkey(), 5_000_000_000);
    let usdc_source = env.token_account(&usdc, &user.pubkey(), 5_000_000);

    env.deposit(&user, &isolated, &sol, &sol_source, 1_000_000_000).expect("collateral deposit");
    assert_eq!(env.margin(&isolated).positions[0].deposit_shares, 1_000_000_000);
    let ix = instructions::deposit(&user.pubkey(), &isolated, &usdc, &usdc_source, 1_000);
    env.expect_error(
        &[ix],
        &[&user],
        MarginError::IsolatedPoolMismatch,
        &[isolated, usdc.pool, usdc_source, usdc.vault],
    );
    let third = env.add_pool(8);
    let third_source = env.token_account(&third, &user.pubkey(), 1_000);
    let ix = instructions::deposit(&user.pubkey(), &isolated, &third, &third_source, 1_000);
    env.expect_error(&[ix], &[&user], MarginError::IsolatedPoolMismatch, &[isolated, third.pool, third_source]);
}

#[test]
fn deposit_rejections_change_nothing() {
    let mut env = Env::new();
    let usdc = env.add_pool(6);
    let sol = env.add_pool(9);
    let user = env.user();
    let margin = env.open_cross(&user, 0);
    let source = env.token_account(&usdc, &user.pubkey(), 1_000_000);
    let sol_source = env.token_account(&sol, &user.pubkey(), 1_000_000);
    let watched = [margin, usdc.pool, usdc.vault, source, sol.pool, sol.vault, sol_source];
    let ok = instructions::deposit(&user.pubkey(), &margin, &usdc, &source, 1_000);
    let user_key = user.pubkey();

    env.expect_error(
        &[instructions::deposit(&user_key, &margin, &usdc, &source, 0)],
        &[&user],
        MarginError::ZeroAmount,
        &watched,
    );
    env.expect_error(&[strip_signer(ok.clone(), &user_key)], &[], MarginError::MissingSigner, &watched);
    // Foreign vault, mint, token account.
    env.expect_error(
        &[swap_account(ok.clone(), &usdc.vault, &sol.vault)],
        &[&user],
        MarginError::InvalidVault,
        &watched,
    );
    env.expect_error(&[swap_account(ok.clone(), &usdc.mint, &sol.mint)], &[&user], MarginError::InvalidMint, &watched);
    env.expect_error(
        &[swap_account(ok.clone(), &source, &sol_source)],
        &[&user],
        MarginError::InvalidTokenAccount,
        &watched,
    );
    // The vault as its own source.
    env.expect_error(
        &[swap_account(ok.clone(), &source, &usdc.vault)],
        &[&user],
        MarginError::DuplicateAccount,
        &watched,
    );
    // A token program that is not the pool's.
    let token_2022 = margin_client::token_2022_id();
    env.expect_error(
        &[swap_account(ok.clone(), &usdc.token_program, &token_2022)],
        &[&user],
        MarginError::InvalidTokenProgram,
        &watched,
    );
    // Type cosplay: margin account as pool, pool as margin account, pool as group.
    env.expect_error(
        &[swap_account(ok.clone(), &usdc.pool, &margin)],
        &[&user],
        MarginError::DuplicateAccount,
        &watched,
    );
    let other_margin = env.open_cross(&user, 1);
    env.expect_error(
        &[swap_account(ok.clone(), &usdc.pool, &other_margin)],
        &[&user],
        MarginError::InvalidDiscriminator,
        &watched,
    );
    let ix = swap_account(ok.clone(), &margin, &sol.pool);
    env.expect_error(&[ix], &[&user], MarginError::InvalidDiscriminator, &watched);
    env.expect_error(
        &[swap_account(ok.clone(), &usdc.group, &usdc.pool)],
        &[&user],
        MarginError::InvalidDiscriminator,
        &watched,
    );
    // Valid-looking pool bytes owned by another program.
    let fake_pool = clone_account_to_owner(&mut env.svm, &usdc.pool, &Pubkey::new_unique());
    env.expect_error(
        &[swap_account(ok.clone(), &usdc.pool, &fake_pool)],
        &[&user],
        MarginError::InvalidAccountOwner,
        &watched,
    );
    let fake_margin = clone_account_to_owner(&mut env.svm, &margin, &Pubkey::new_unique());
    env.expect_error(
        &[swap_account(ok.clone(), &margin, &fake_margin)],
        &[&user],
        MarginError::InvalidAccountOwner,
        &watched,
    );
    // Someone else's account.
    let thief = env.user();
    let thief_source = env.token_account(&usdc, &thief.pubkey(), 1_000);
    let ix = instructions::deposit(&thief.pubkey(), &margin, &usdc, &thief_source, 1_000);
    env.expect_error(&[ix], &[&thief], MarginError::Unauthorized, &watched);
    // Pool read-only.
    let mut ix = ok.clone();
    ix.accounts[3].is_writable = false;
    env.expect_error(&[ix], &[&user], MarginError::AccountNotWritable, &watched);
    // Not enough accounts.
    let mut ix = ok.clone();
    ix.accounts.truncate(5);
    env.expect_error(&[ix], &[&user], MarginError::NotEnoughAccounts, &watched);
    // Garbage instruction data.
    let mut ix = ok.clone();
    ix.data = vec![200];
    env.expect_error(&[ix], &[&user], MarginError::InvalidInstruction, &watched);

    env.svm.process(&[ok], &[&user]).expect("the unmodified deposit still works");
}

#[test]
fn pool_status_and_caps_gate_deposits() {
    let mut env = Env::new();
    let mut config = default_pool_config();
    config.deposit_cap = 10_000;
    let usdc = env.add_pool_with(6, config);
    let admin = env.admin.insecure_clone();
    let user = env.user();
    let margin = env.open_cross(&user, 0);
    let source = env.token_account(&usdc, &user.pubkey(), 1_000_000);
    let watched = [margin, usdc.pool, usdc.vault, source];

    env.deposit(&user, &margin, &usdc, &source, 10_000).expect("exactly the cap");
    let ix = instructions::deposit(&user.pubkey(), &margin, &usdc, &source, 1);
    env.expect_error(std::slice::from_ref(&ix), &[&user], MarginError::DepositCapExceeded, &watched);

    let mut config = env.pool(&usdc).config;
    config.deposit_cap = u64::MAX;
    // Caps move either way at once.
    env.svm.process(&[instructions::update_pool_config(&admin.pubkey(), &usdc, config)], &[&admin]).expect("raise cap");
    assert_eq!(env.pool(&usdc).config.deposit_cap, u64::MAX);
    for (status, error) in
        [(PoolStatus::ReduceOnly, MarginError::PoolReduceOnly), (PoolStatus::Paused, MarginError::PoolPaused)]
    {
        env.svm.process(&[instructions::set_pool_status(&admin.pubkey(), &usdc, status)], &[&admin]).expect("status");
        env.expect_error(std::slice::from_ref(&ix), &[&user], error, &watched);
    }
}

#[test]
fn cross_account_holds_sixteen_pools_and_no_more() {
    let mut env = Env::new();
    let user = env.user();
    let margin = env.open_cross(&user, 0);
    for i in 0..CROSS_POSITIONS {
        let keys = env.add_pool(6);
        let source = env.token_account(&keys, &user.pubkey(), 1_000);
        env.deposit(&user, &margin, &keys, &source, 100 + i as u64).expect("deposit");
    }
    let account = env.margin(&margin);
    assert_eq!(account.header.position_count as usize, CROSS_POSITIONS);
    assert!(account.positions.iter().enumerate().all(|(i, p)| p.deposit_shares == 100 + i as u64));
    let extra = env.add_pool(6);
    let source = env.token_account(&extra, &user.pubkey(), 1_000);
    let ix = instructions::deposit(&user.pubkey(), &margin, &extra, &source, 100);
    env.expect_error(&[ix], &[&user], MarginError::PositionsFull, &[margin, extra.pool, source]);
}

#[test]
fn donations_and_first_deposit_inflation_do_not_move_share_value() {
    let mut env = Env::new();
    let usdc = env.add_pool(6);
    let attacker = env.user();
    let victim = env.user();
    let attacker_margin = env.open_cross(&attacker, 0);
    let victim_margin = env.open_cross(&victim, 0);
    let attacker_source = env.token_account(&usdc, &attacker.pubkey(), 10_000_000_000);
    let victim_source = env.token_account(&usdc, &victim.pubkey(), 1_000_000);

    // Classic attack: deposit 1 unit, donate a fortune to the vault, hope the next
    // depositor's shares round to zero.
    env.deposit(&attacker, &attacker_margin, &usdc, &attacker_source, 1).expect("dust deposit");
    let donation_target = usdc.vault;
    let mut vault = env.svm.account(&donation_target).unwrap();
    let balance = u64::from_le_bytes(vault.data[64..72].try_into().unwrap()) + 5_000_000_000;
    vault.data[64..72].copy_from_slice(&balance.to_le_bytes());
    env.svm.set_account(&donation_target, vault);

    let before = env.pool(&usdc);
    env.deposit(&victim, &victim_margin, &usdc, &victim_source, 1_000_000).expect("victim deposit");
    let after = env.pool(&usdc);
    assert_eq!(before.deposit_share_value(), fixed::ONE, "donation did not move the share value");
    assert_eq!(after.deposit_share_value(), fixed::ONE);
    assert_eq!(env.margin(&victim_margin).positions[0].deposit_shares, 1_000_000, "victim got full shares");
    assert_eq!(after.current_borrow_rate().unwrap(), 0, "utilization is books-based, not vault-based");

    // The victim withdraws everything they put in; the attacker only their one unit.
    let ix = instructions::withdraw(
        &victim.pubkey(),
        &victim_margin,
        &usdc,
        &victim_source,
        instructions::WithdrawAmount::All,
    );
    env.svm.process(&[ix], &[&victim]).expect("victim withdraws");
    assert_eq!(env.svm.token_balance(&victim_source), 1_000_000);
    let ix = instructions::withdraw(
        &attacker.pubkey(),
        &attacker_margin,
        &usdc,
        &attacker_source,
        instructions::WithdrawAmount::Exact(2),
    );
    env.expect_error(&[ix], &[&attacker], MarginError::InsufficientShares, &[attacker_margin, usdc.pool, usdc.vault]);
}
