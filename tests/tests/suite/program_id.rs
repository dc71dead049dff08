//! One `.so`, another address: `MarginProgram { id }` targets a deployment of
//! one's own (PDAs, builders and the client's owner checks all take the id), and
//! the declared program refuses what belongs to another deployment.

use std::collections::HashMap;

use margin_client::{
    config::default_pool_config,
    health::{health_account_metas, positions_after, HealthCache},
    instructions::{self, Amount, OpenKind},
    oracle as pyth,
    pda::PoolKeys,
    program_id, spl_token_id, MarginProgram,
};
use margin_interface::{error::MarginError, health::Unpriced, oracle::PYTH_LEGACY_PROGRAM_ID, state::OracleKind};
use margin_sim::{features::FeatureSet, svm::Svm};
use margin_tests::usd_price;
use solana_sdk::{
    account::Account,
    instruction::{AccountMeta, InstructionError},
    pubkey::Pubkey,
    signature::{Keypair, Signer},
    transaction::TransactionError,
};

/// A market on the deployment at `program.id`: a group, a SOL pool ($100) and
/// a USDC pool ($1) priced by legacy Pyth accounts, 10,000 USDC lent, and a
/// borrower's cross account holding 10 SOL.
struct Market {
    svm: Svm,
    group: Pubkey,
    sol: PoolKeys,
    usdc: PoolKeys,
    oracles: HashMap<Pubkey, Pubkey>,
    user: Keypair,
    margin: Pubkey,
    sol_wallet: Pubkey,
}

impl Market {
    fn open(mut svm: Svm, program: MarginProgram) -> Self {
        let payer = svm.payer().pubkey();
        let admin = svm.create_user(100_000_000_000);
        let ix = program.init_group(&payer, &admin.pubkey(), 7, &Pubkey::new_unique());
        svm.process(&[ix], &[&admin]).expect("init_group");
        let group = program.group(&admin.pubkey(), 7);
        let mut oracles = HashMap::new();
        let mut pool = |svm: &mut Svm, decimals: u8, usd: f64| {
            let mint = svm.create_mint(decimals, &spl_token_id());
            let keys = program.pool_keys(&group, &mint, &spl_token_id());
            let oracle = Pubkey::new_unique();
            let data = pyth::legacy_trading(&usd_price(usd, svm.now()));
            let owner = Pubkey::new_from_array(PYTH_LEGACY_PROGRAM_ID);
            svm.set_account(&oracle, Account { lamports: 10_000_000, data, owner, ..Account::default() });
            let mut config = default_pool_config();
            config.oracle.kind = OracleKind::PythLegacy as u8;
            config.oracle.address = oracle.to_bytes();
            let ix = program.create_pool(&payer, &admin.pubkey(), &keys, config);
            svm.process(&[ix], &[&admin]).expect("create_pool");
            oracles.insert(keys.pool, oracle);
            keys
        };
        let sol = pool(&mut svm, 9, 100.0);
        let usdc = pool(&mut svm, 6, 1.0);

        let lender = svm.create_user(10_000_000_000);
        let lender_margin = program.margin_account(&group, &lender.pubkey(), 0);
        let lender_wallet = svm.create_token_account(&usdc.mint, &lender.pubkey(), 10_000_000_000, &spl_token_id());
        let lend = [
            program.open_margin_account(&payer, &lender.pubkey(), &group, 0, OpenKind::Cross),
            program.deposit(&lender.pubkey(), &lender_margin, &usdc, &lender_wallet, 10_000_000_000),
        ];
        svm.process(&lend, &[&lender]).expect("lender opens and deposits");

        let user = svm.create_user(10_000_000_000);
        let margin = program.margin_account(&group, &user.pubkey(), 0);
        let sol_wallet = svm.create_token_account(&sol.mint, &user.pubkey(), 10_000_000_000, &spl_token_id());
        let ix = program.open_margin_account(&payer, &user.pubkey(), &group, 0, OpenKind::Cross);
        svm.process(&[ix], &[&user]).expect("open_margin_account");
        let ix = program.deposit(&user.pubkey(), &margin, &sol, &sol_wallet, 10_000_000_000);
        svm.process(&[ix], &[&user]).expect("deposit");
        Self { svm, group, sol, usdc, oracles, user, margin, sol_wallet }
    }

    fn account(&mut self) -> margin_client::accounts::MarginAccountData {
        margin_client::accounts::margin_account(&self.svm.data(&self.margin)).expect("margin account")
    }

    /// Health accounts of the borrower after opening `extra`.
    fn health_metas(&mut self, extra: Option<&Pubkey>) -> Vec<AccountMeta> {
        let oracles = self.oracles.clone();
        health_account_metas(&positions_after(&self.account(), extra), |pool| oracles[pool])
    }

    /// The pools and oracles, as a frontend fetches them.
    fn fetched(&mut self) -> HashMap<Pubkey, Account> {
        let keys: Vec<Pubkey> = self.oracles.iter().flat_map(|(pool, oracle)| [*pool, *oracle]).collect();
        keys.into_iter().map(|key| (key, self.svm.account(&key).expect("fetched"))).collect()
    }
}

#[test]
fn margin_program_runs_a_market_on_a_deployment_at_another_id() {
    let id = Pubkey::new_unique();
    let program = MarginProgram { id };
    let mut market = Market::open(Svm::with_program_id(id), program);
    let user = market.user.insecure_clone();
    let usdc_wallet = market.svm.create_token_account(&market.usdc.mint, &user.pubkey(), 0, &spl_token_id());
    let usdc_pool = market.usdc.pool;
    let metas = market.health_metas(Some(&usdc_pool));
    let ix = program.borrow(&user.pubkey(), &market.margin, &market.usdc, &usdc_wallet, 500_000_000, &metas);
    market.svm.process(&[ix], &[&user]).expect("borrow");
    assert_eq!(market.svm.token_balance(&usdc_wallet), 500_000_000);

    // Everything the program created belongs to the deployment it ran as.
    let margin = market.margin;
    for key in [market.group, market.sol.pool, market.usdc.pool, margin] {
        assert_eq!(market.svm.account(&key).expect("created").owner, id, "{key}");
    }
    assert_eq!(market.sol.vault, program.vault(&market.sol.pool));
    assert_ne!(market.sol.pool, PoolKeys::derive(&market.group, &market.sol.mint, &spl_token_id()).pool);
    let account = market.account();
    assert_eq!(account.active().len(), 2);

    // The client's health engine checks owners against the id it is given:
    // bit-equal to the program's `health`, and the default id refuses these pools.
    let fetched = market.fetched();
    let oracles = market.oracles.clone();
    let now = market.svm.now();
    let metas = market.health_metas(None);
    let landed = market.svm.process(&[program.health(&margin, &metas)], &[]).expect("health");
    let cache = program.health_cache(&account, &fetched, |pool| oracles[pool], now).expect("health cache");
    assert_eq!(cache.health().expect("cached health").to_bytes().to_vec(), landed.return_data);
    let default = HealthCache::load(&account, &fetched, |pool| oracles[pool], now, Unpriced::ZeroDeposits);
    assert_eq!(default.err(), Some(MarginError::InvalidAccountOwner));

    // Max borrow from the fetched accounts is the deployment's limit: one unit more fails.
    let max = cache.max_borrow_in(&market.usdc.pool, &fetched, |pool| oracles[pool]).expect("max borrow");
    assert!(max > 0);
    let borrow = |amount| program.borrow(&user.pubkey(), &margin, &market.usdc, &usdc_wallet, amount, &metas);
    let failed = market.svm.process(&[borrow(max + 1)], &[&user]).expect_err("one unit over the limit");
    assert_eq!(failed.margin_error(), Some(MarginError::InsufficientHealth));
    market.svm.process(&[borrow(max)], &[&user]).expect("borrow up to the limit");

    // Repay and withdraw everything with `Amount::All`.
    market.svm.set_token_account(&usdc_wallet, &market.usdc.mint, &user.pubkey(), 10_000_000_000, &spl_token_id());
    let ix = program.repay(&user.pubkey(), &margin, &market.usdc, &usdc_wallet, Amount::All);
    market.svm.process(&[ix], &[&user]).expect("repay all");
    let ix = program.withdraw(&user.pubkey(), &margin, &market.sol, &market.sol_wallet, Amount::All);
    market.svm.process(&[ix], &[&user]).expect("withdraw all");
    assert_eq!(market.svm.token_balance(&market.sol_wallet), 10_000_000_000);

    // The same deposit built for the declared id names a program this cluster
    // does not have.
    let ix = instructions::deposit(&user.pubkey(), &margin, &market.sol, &market.sol_wallet, 1);
    assert_eq!(ix.program_id, program_id());
    let failed = market.svm.process(&[ix], &[&user]).expect_err("no program at the declared id");
    assert_eq!(failed.error, TransactionError::ProgramAccountNotFound);
}

#[test]
fn the_declared_program_refuses_another_deployments_accounts() {
    let id = Pubkey::new_unique();
    let svm = Svm::with_programs(FeatureSet::from_env(), &[program_id(), id]);
    let mut market = Market::open(svm, MarginProgram { id });
    let user = market.user.insecure_clone();
    // Accounts of the deployment at `id`, instruction for the declared program.
    let ix = instructions::deposit(&user.pubkey(), &market.margin, &market.sol, &market.sol_wallet, 1);
    let failed = market.svm.process(&[ix], &[&user]).expect_err("foreign accounts");
    assert_eq!(
        failed.error,
        TransactionError::InstructionError(0, InstructionError::Custom(MarginError::InvalidAccountOwner as u32))
    );
    assert_eq!(failed.margin_error(), Some(MarginError::InvalidAccountOwner));
}
