//! open_margin_account and close_margin_account.

use margin_client::{
    instructions::{self, OpenKind},
    pda, system_program_id,
};
use margin_interface::{
    error::MarginError,
    state::{AccountKind, CROSS_POSITIONS},
};
use margin_tests::{strip_signer, swap_account, Env};
use solana_sdk::{pubkey::Pubkey, signature::Signer};

#[test]
fn open_cross_and_isolated() {
    let mut env = Env::new();
    let sol = env.add_pool(9);
    let usdc = env.add_pool(6);
    let user = env.user();
    let cross = env.open_cross(&user, 0);
    let isolated = env.open_isolated(&user, 1, &sol, &usdc);

    let account = env.margin(&cross);
    assert_eq!(account.header.kind, AccountKind::Cross as u8);
    assert_eq!(account.positions.len(), CROSS_POSITIONS);
    assert_eq!(account.header.position_count, 0);
    assert_eq!(account.header.owner, user.pubkey().to_bytes());
    assert_eq!(env.svm.account(&cross).unwrap().data.len(), 896, "16-position account stays under 1,200 bytes");

    let account = env.margin(&isolated);
    assert_eq!(account.header.kind, AccountKind::Isolated as u8);
    assert_eq!(account.active().len(), 2);
    assert_eq!(account.positions[0].pool, sol.pool.to_bytes());
    assert_eq!(account.positions[1].pool, usdc.pool.to_bytes());
}

#[test]
fn open_rejections_change_nothing() {
    let mut env = Env::new();
    let sol = env.add_pool(9);
    let usdc = env.add_pool(6);
    let user = env.user();
    let group = env.group;
    let payer = env.svm.payer().pubkey();
    let existing = env.open_cross(&user, 0);

    // Re-initialization.
    let ix = instructions::open_margin_account(&payer, &user.pubkey(), &group, 0, OpenKind::Cross);
    env.expect_error(&[ix], &[&user], MarginError::AlreadyInitialized, &[existing]);

    let target = pda::margin_account(&group, &user.pubkey(), 5);
    // Owner must sign.
    let ix = strip_signer(
        instructions::open_margin_account(&payer, &user.pubkey(), &group, 5, OpenKind::Cross),
        &user.pubkey(),
    );
    env.expect_error(&[ix], &[], MarginError::MissingSigner, &[target]);
    // Unknown kind.
    let mut ix = instructions::open_margin_account(&payer, &user.pubkey(), &group, 5, OpenKind::Cross);
    let kind_at = ix.data.len() - 2; // kind, then the bump
    ix.data[kind_at] = 9;
    env.expect_error(&[ix], &[&user], MarginError::InvalidAccountKind, &[target]);
    // Isolated with the same pool on both sides.
    let kind = OpenKind::Isolated { collateral_pool: sol.pool, debt_pool: sol.pool };
    let ix = instructions::open_margin_account(&payer, &user.pubkey(), &group, 5, kind);
    env.expect_error(&[ix], &[&user], MarginError::SamePool, &[target]);
    // Isolated naming a margin account as a pool (type cosplay).
    let kind = OpenKind::Isolated { collateral_pool: existing, debt_pool: usdc.pool };
    let ix = instructions::open_margin_account(&payer, &user.pubkey(), &group, 5, kind);
    env.expect_error(&[ix], &[&user], MarginError::InvalidDiscriminator, &[target]);
    // Address not derived from (group, owner, index).
    let wrong = Pubkey::new_unique();
    let ix = swap_account(
        instructions::open_margin_account(&payer, &user.pubkey(), &group, 5, OpenKind::Cross),
        &target,
        &wrong,
    );
    env.expect_error(&[ix], &[&user], MarginError::InvalidPda, &[wrong]);
    // A pool passed as the group.
    let ix = swap_account(
        instructions::open_margin_account(&payer, &user.pubkey(), &group, 5, OpenKind::Cross),
        &group,
        &sol.pool,
    );
    env.expect_error(&[ix], &[&user], MarginError::InvalidDiscriminator, &[target]);
}

#[test]
fn open_survives_prefunded_address() {
    // Someone sends lamports to the future PDA to block its creation: opening still works.
    let mut env = Env::new();
    let user = env.user();
    let group = env.group;
    let target = pda::margin_account(&group, &user.pubkey(), 3);
    env.svm.set_account(
        &target,
        solana_sdk::account::Account { lamports: 1_000, owner: system_program_id(), ..Default::default() },
    );
    let ix = instructions::open_margin_account(&env.svm.payer().pubkey(), &user.pubkey(), &group, 3, OpenKind::Cross);
    env.svm.process(&[ix], &[&user]).expect("open over a pre-funded address");
    assert_eq!(env.margin(&target).header.owner, user.pubkey().to_bytes());
}

#[test]
fn close_returns_lamports_and_cannot_be_revived() {
    let mut env = Env::new();
    let usdc = env.add_pool(6);
    let user = env.user();
    let margin = env.open_cross(&user, 0);
    let destination = Pubkey::new_unique();
    let rent = env.svm.account(&margin).unwrap().lamports;

    // Not empty -> refused.
    let source = env.token_account(&usdc, &user.pubkey(), 100);
    env.deposit(&user, &margin, &usdc, &source, 100).expect("deposit");
    let ix = instructions::close_margin_account(&user.pubkey(), &margin, &destination);
    env.expect_error(&[ix], &[&user], MarginError::AccountNotEmpty, &[margin, destination]);
    let ix = instructions::withdraw(&user.pubkey(), &margin, &usdc, &source, instructions::WithdrawAmount::All);
    env.svm.process(&[ix], &[&user]).expect("withdraw all");

    // Someone else -> refused; destination = the account itself -> refused.
    let stranger = env.user();
    let ix = instructions::close_margin_account(&stranger.pubkey(), &margin, &destination);
    env.expect_error(&[ix], &[&stranger], MarginError::Unauthorized, &[margin, destination]);
    let ix = instructions::close_margin_account(&user.pubkey(), &margin, &margin);
    env.expect_error(&[ix], &[&user], MarginError::DuplicateAccount, &[margin]);

    // Close, then in the same transaction send lamports back and try to use it.
    let close = instructions::close_margin_account(&user.pubkey(), &margin, &destination);
    let refund = margin_tests::system_transfer(&user.pubkey(), &margin, rent);
    let deposit = instructions::deposit(&user.pubkey(), &margin, &usdc, &source, 10);
    let failure =
        env.svm.process(&[close.clone(), refund.clone(), deposit], &[&user]).expect_err("revived account used");
    assert_eq!(failure.margin_error(), Some(MarginError::InvalidAccountOwner));

    env.svm.process(&[close, refund], &[&user]).expect("close and refund");
    let revived = env.svm.account(&margin).expect("refunded lamports keep the address alive");
    assert_eq!(revived.owner, system_program_id(), "the program no longer owns it");
    assert!(revived.data.is_empty(), "no state survives");
    assert_eq!(env.svm.account(&destination).unwrap().lamports, rent);
}
