//! init_group, create_pool, update_pool_config, set_pool_status, transfer_admin,
//! set_group_pause: happy paths and every rejection, with nothing changed.

use margin_client::{
    config::default_pool_config,
    instructions,
    pda::{self, PoolKeys},
    spl_token_id,
};
use margin_interface::{
    error::MarginError,
    state::{PoolStatus, MAX_RATE_BPS},
};
use margin_tests::{clone_account_to_owner, strip_signer, swap_account, Env};
use solana_sdk::{pubkey::Pubkey, signature::Signer};

#[test]
fn init_group_ok_and_reinit_rejected() {
    let mut env = Env::new();
    let group = env.group_state();
    assert_eq!(group.admin, env.admin.pubkey().to_bytes());
    assert_eq!(group.fee_destination, env.fee_owner.pubkey().to_bytes());
    assert_eq!(group.pool_count, 0);

    let admin = env.admin.insecure_clone();
    let ix = instructions::init_group(&env.svm.payer().pubkey(), &admin.pubkey(), 7, &Pubkey::new_unique());
    let group_key = env.group;
    env.expect_error(&[ix], &[&admin], MarginError::AlreadyInitialized, &[group_key]);
}

#[test]
fn init_group_rejects_address_not_derived_from_seeds() {
    let mut env = Env::new();
    let admin = env.admin.insecure_clone();
    let ix = instructions::init_group(&env.svm.payer().pubkey(), &admin.pubkey(), 8, &Pubkey::new_unique());
    let wrong = Pubkey::new_unique();
    let ix = swap_account(ix, &pda::group(&admin.pubkey(), 8), &wrong);
    env.expect_error(&[ix], &[&admin], MarginError::InvalidPda, &[wrong]);
}

#[test]
fn create_pool_ok() {
    let mut env = Env::new();
    let keys = env.add_unpriced_pool(9);
    let pool = env.pool(&keys);
    assert_eq!(pool.mint, keys.mint.to_bytes());
    assert_eq!(pool.vault, keys.vault.to_bytes());
    assert_eq!(pool.vault_authority, keys.vault_authority.to_bytes());
    assert_eq!(pool.mint_decimals, 9);
    assert_eq!(pool.status(), PoolStatus::Active);
    assert_eq!(pool.config, default_pool_config());
    assert_eq!(env.group_state().pool_count, 1);
    // The vault is a token account of the mint owned by the vault authority.
    let vault = env.svm.account(&keys.vault).expect("vault");
    assert_eq!(vault.owner, spl_token_id());
    assert_eq!(&vault.data[0..32], keys.mint.as_ref());
    assert_eq!(&vault.data[32..64], keys.vault_authority.as_ref());
}

#[test]
fn create_pool_rejections_change_nothing() {
    let mut env = Env::new();
    let existing = env.add_pool(6);
    let admin = env.admin.insecure_clone();
    let payer = env.svm.payer().pubkey();
    let group = env.group;

    // Same mint twice.
    let ix = instructions::create_pool(&payer, &admin.pubkey(), &existing, default_pool_config());
    env.expect_error(&[ix], &[&admin], MarginError::AlreadyInitialized, &[existing.pool, group]);

    // Not the admin.
    let mint = env.svm.create_mint(6, &spl_token_id());
    let keys = PoolKeys::derive(&group, &mint, &spl_token_id());
    let stranger = env.user();
    let ix = instructions::create_pool(&payer, &stranger.pubkey(), &keys, default_pool_config());
    env.expect_error(&[ix], &[&stranger], MarginError::Unauthorized, &[keys.pool, group]);

    // Admin did not sign.
    let ix =
        strip_signer(instructions::create_pool(&payer, &admin.pubkey(), &keys, default_pool_config()), &admin.pubkey());
    env.expect_error(&[ix], &[], MarginError::MissingSigner, &[keys.pool, group]);

    // A token program that is not SPL Token / Token-2022.
    let fake_program = Pubkey::new_unique();
    let ix = swap_account(
        instructions::create_pool(&payer, &admin.pubkey(), &keys, default_pool_config()),
        &spl_token_id(),
        &fake_program,
    );
    // Named but never invoked by the runtime: the program itself refuses it.
    env.expect_error(&[ix], &[&admin], MarginError::InvalidTokenProgram, &[keys.pool, group, keys.vault]);

    // A mint owned by some other program.
    let fake_mint = clone_account_to_owner(&mut env.svm, &mint, &Pubkey::new_unique());
    let fake_keys = PoolKeys::derive(&group, &fake_mint, &spl_token_id());
    let ix = instructions::create_pool(&payer, &admin.pubkey(), &fake_keys, default_pool_config());
    env.expect_error(&[ix], &[&admin], MarginError::InvalidTokenProgram, &[fake_keys.pool, group]);

    // A margin account passed as the group (type cosplay).
    let user = env.user();
    let margin = env.open_cross(&user, 0);
    let ix =
        swap_account(instructions::create_pool(&payer, &admin.pubkey(), &keys, default_pool_config()), &group, &margin);
    env.expect_error(&[ix], &[&admin], MarginError::InvalidDiscriminator, &[keys.pool, margin]);

    // Pool address not derived from (group, mint).
    let wrong = Pubkey::new_unique();
    let ix = swap_account(
        instructions::create_pool(&payer, &admin.pubkey(), &keys, default_pool_config()),
        &keys.pool,
        &wrong,
    );
    env.expect_error(&[ix], &[&admin], MarginError::InvalidPda, &[wrong, group]);

    // Invalid configuration.
    let mut config = default_pool_config();
    config.init_asset_weight_bps = 9_000; // above maintenance
    let ix = instructions::create_pool(&payer, &admin.pubkey(), &keys, config);
    env.expect_error(&[ix], &[&admin], MarginError::InvalidWeights, &[keys.pool, group]);
}

#[test]
fn update_pool_config_enforces_every_bound() {
    let mut env = Env::new();
    let keys = env.add_unpriced_pool(6);
    let admin = env.admin.insecure_clone();
    let group = env.group;
    let watched = [keys.pool, group, margin_client::pda::pending_config(&keys.pool)];

    // A loosening change (cap, higher initial weight) applies at once.
    let mut good = default_pool_config();
    good.deposit_cap = 5_000;
    good.init_asset_weight_bps = 8_100;
    env.svm.process(&[instructions::update_pool_config(&admin.pubkey(), &keys, good)], &[&admin]).expect("update");
    assert_eq!(env.pool(&keys).config, good);

    type Edit = fn(&mut margin_interface::state::PoolConfig);
    let cases: Vec<(Edit, MarginError)> = vec![
        (|c| c.maint_asset_weight_bps = 10_001, MarginError::InvalidWeights),
        (|c| c.init_asset_weight_bps = c.maint_asset_weight_bps + 1, MarginError::InvalidWeights),
        (|c| c.maint_liab_weight_bps = 9_999, MarginError::InvalidWeights),
        (|c| c.init_liab_weight_bps = c.maint_liab_weight_bps - 1, MarginError::InvalidWeights),
        (|c| c.rate_curve.kink_utilization_bps = [5_000, 5_000, 9_000], MarginError::InvalidRateCurve),
        (|c| c.rate_curve.kink_utilization_bps = [0, 5_000, 9_000], MarginError::InvalidRateCurve),
        (|c| c.rate_curve.kink_utilization_bps = [1_000, 5_000, 10_000], MarginError::InvalidRateCurve),
        (|c| c.rate_curve.kink_rate_bps = [400, 300, 3_000], MarginError::InvalidRateCurve),
        (|c| c.rate_curve.base_rate_bps = 500, MarginError::InvalidRateCurve),
        (|c| c.rate_curve.max_rate_bps = 2_000, MarginError::InvalidRateCurve),
        (|c| c.rate_curve.max_rate_bps = MAX_RATE_BPS + 1, MarginError::InvalidRateCurve),
        (
            |c| {
                c.protocol_fee_bps = 6_000;
                c.insurance_fee_bps = 4_000
            },
            MarginError::InvalidFees,
        ),
        (|c| c.liquidation_penalty_min_bps = c.liquidation_penalty_max_bps + 1, MarginError::InvalidConfig),
        (|c| c.close_factor_bps = 10_001, MarginError::InvalidConfig),
        (|c| c.flags = 2, MarginError::InvalidConfig),
        (|c| c.oracle.kind = 3, MarginError::InvalidOracleConfig),
        (
            |c| {
                c.oracle.kind = 1;
                c.oracle.max_age_secs = 0
            },
            MarginError::InvalidOracleConfig,
        ),
        (|c| c.oracle.confidence_multiplier_pct = 301, MarginError::InvalidOracleConfig),
        (|c| c.liquidation_penalty_max_bps = 2_001, MarginError::InvalidConfig),
        // 1.12 * 0.9 > 1: a max-bonus liquidation could not raise health.
        (
            |c| {
                c.maint_asset_weight_bps = 9_000;
                c.liquidation_penalty_max_bps = 1_200
            },
            MarginError::InvalidConfig,
        ),
    ];
    for (mutate, expected) in cases {
        let mut config = good;
        mutate(&mut config);
        let ix = instructions::update_pool_config(&admin.pubkey(), &keys, config);
        env.expect_error(&[ix], &[&admin], expected, &watched);
    }

    // Not the admin, and admin not signing.
    let stranger = env.user();
    let ix = instructions::update_pool_config(&stranger.pubkey(), &keys, good);
    env.expect_error(&[ix], &[&stranger], MarginError::Unauthorized, &watched);
    let ix = strip_signer(instructions::update_pool_config(&admin.pubkey(), &keys, good), &admin.pubkey());
    env.expect_error(&[ix], &[], MarginError::MissingSigner, &watched);
}

#[test]
fn pool_of_another_group_is_rejected() {
    let mut env = Env::new();
    let keys = env.add_pool(6);
    // A second group administered by someone else.
    let other_admin = env.user();
    let ix = instructions::init_group(&env.svm.payer().pubkey(), &other_admin.pubkey(), 1, &other_admin.pubkey());
    env.svm.process(&[ix], &[&other_admin]).expect("second group");
    let other_group = pda::group(&other_admin.pubkey(), 1);
    let ix = instructions::set_pool_status(
        &other_admin.pubkey(),
        &PoolKeys { group: other_group, ..keys },
        PoolStatus::Paused,
    );
    env.expect_error(&[ix], &[&other_admin], MarginError::WrongGroup, &[keys.pool]);
}

#[test]
fn set_pool_status_ok_and_rejections() {
    let mut env = Env::new();
    let keys = env.add_pool(6);
    let admin = env.admin.insecure_clone();
    for status in [PoolStatus::ReduceOnly, PoolStatus::Paused, PoolStatus::Active] {
        env.svm.process(&[instructions::set_pool_status(&admin.pubkey(), &keys, status)], &[&admin]).expect("status");
        assert_eq!(env.pool(&keys).status(), status);
    }
    let mut ix = instructions::set_pool_status(&admin.pubkey(), &keys, PoolStatus::Paused);
    *ix.data.last_mut().unwrap() = 3;
    env.expect_error(&[ix], &[&admin], MarginError::InvalidStatus, &[keys.pool]);
    let stranger = env.user();
    let ix = instructions::set_pool_status(&stranger.pubkey(), &keys, PoolStatus::Paused);
    env.expect_error(&[ix], &[&stranger], MarginError::Unauthorized, &[keys.pool]);
}

#[test]
fn admin_transfer_takes_two_steps() {
    let mut env = Env::new();
    let admin = env.admin.insecure_clone();
    let group = env.group;
    let next = env.user();
    let stranger = env.user();

    // Nobody can accept before a proposal.
    env.expect_error(
        &[instructions::accept_admin(&next.pubkey(), &group)],
        &[&next],
        MarginError::NoPendingAdmin,
        &[group],
    );
    // Only the admin proposes.
    let ix = instructions::propose_admin(&stranger.pubkey(), &group, &stranger.pubkey());
    env.expect_error(&[ix], &[&stranger], MarginError::Unauthorized, &[group]);

    env.svm
        .process(&[instructions::propose_admin(&admin.pubkey(), &group, &next.pubkey())], &[&admin])
        .expect("propose");
    assert_eq!(env.group_state().admin, admin.pubkey().to_bytes(), "nothing changes until accepted");
    // Only the proposed key accepts.
    env.expect_error(
        &[instructions::accept_admin(&stranger.pubkey(), &group)],
        &[&stranger],
        MarginError::NoPendingAdmin,
        &[group],
    );
    env.svm.process(&[instructions::accept_admin(&next.pubkey(), &group)], &[&next]).expect("accept");
    let state = env.group_state();
    assert_eq!(state.admin, next.pubkey().to_bytes());
    assert_eq!(state.pending_admin, [0; 32]);
    // The old admin has lost its powers.
    let ix = instructions::set_group_pause(&admin.pubkey(), &group, true);
    env.expect_error(&[ix], &[&admin], MarginError::Unauthorized, &[group]);
}

#[test]
fn group_pause_blocks_user_actions() {
    let mut env = Env::new();
    let keys = env.add_pool(6);
    let admin = env.admin.insecure_clone();
    let group = env.group;
    let user = env.user();
    let margin = env.open_cross(&user, 0);
    let source = env.token_account(&keys, &user.pubkey(), 1_000);

    env.svm.process(&[instructions::set_group_pause(&admin.pubkey(), &group, true)], &[&admin]).expect("pause");
    assert_eq!(env.group_state().paused, 1);
    // Borrowing and withdrawing stop; adding collateral does not (liquidations run).
    let out = env.token_account(&keys, &user.pubkey(), 0);
    let ix = instructions::withdraw(&user.pubkey(), &margin, &keys, &out, instructions::WithdrawAmount::All);
    env.expect_error(&[ix], &[&user], MarginError::GroupPaused, &[margin, keys.pool, out, keys.vault]);
    let ix = env.borrow_ix(&user, &margin, &keys, &out, 1);
    env.expect_error(&[ix], &[&user], MarginError::GroupPaused, &[margin, keys.pool, out, keys.vault]);
    env.deposit(&user, &margin, &keys, &source, 10).expect("deposit while paused");
    let ix = instructions::open_margin_account(
        &env.svm.payer().pubkey(),
        &user.pubkey(),
        &group,
        1,
        instructions::OpenKind::Cross,
    );
    env.expect_error(&[ix], &[&user], MarginError::GroupPaused, &[pda::margin_account(&group, &user.pubkey(), 1)]);

    env.svm.process(&[instructions::set_group_pause(&admin.pubkey(), &group, false)], &[&admin]).expect("resume");
    let ix = instructions::withdraw(&user.pubkey(), &margin, &keys, &out, instructions::WithdrawAmount::All);
    env.svm.process(&[ix], &[&user]).expect("withdraw after resume");
    assert_eq!(env.svm.token_balance(&out), 10);
}
