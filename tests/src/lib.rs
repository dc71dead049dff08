//! Shared fixture for the integration tests: an embedded SVM running the real
//! `margin.so`, a group with its admin, and helpers for pools, users and the
//! "a failed instruction changes nothing" check.

pub mod bench;
pub mod flash;
pub mod fuzz;
pub mod sbpf;
pub mod synthetic;

use margin_client::{
    accounts::{self, MarginAccountData},
    config::default_pool_config,
    instructions::{self, OpenKind},
    pda::{self, PoolKeys},
    spl_token_id,
};
use margin_interface::{
    error::MarginError,
    state::{Group, Pool, PoolConfig},
};
use margin_sim::svm::{Failed, Landed, Svm};
use std::collections::HashMap;

use margin_client::{health::health_account_metas, oracle as pyth};
use margin_interface::{
    health::Health,
    oracle::{OraclePrice, Verification, PYTH_LEGACY_PROGRAM_ID, PYTH_RECEIVER_PROGRAM_ID},
    state::{OracleKind, Position},
};
use solana_sdk::{
    account::Account,
    instruction::{AccountMeta, Instruction},
    pubkey::Pubkey,
    signature::{Keypair, Signer},
};

pub use margin_client;
pub use margin_interface;

/// Which Pyth format a test pool's oracle uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feed {
    Legacy,
    Pull,
}

/// A pool's oracle as the fixture set it up.
#[derive(Clone, Copy, Debug)]
pub struct OracleSetup {
    /// The account passed as the pool's oracle.
    pub account: Pubkey,
    pub feed: Feed,
    /// Feed id (pull) or the account itself (legacy).
    pub address: [u8; 32],
    /// Last price written.
    pub price: OraclePrice,
}

/// A group on a fresh SVM.
pub struct Env {
    pub svm: Svm,
    pub admin: Keypair,
    pub group: Pubkey,
    /// Owner of fee token accounts.
    pub fee_owner: Keypair,
    /// Oracle of each priced pool.
    pub oracles: HashMap<Pubkey, OracleSetup>,
    /// Every token account created through [`Env::token_account`], by mint.
    pub wallets: HashMap<Pubkey, Vec<Pubkey>>,
}

impl Env {
    /// Fresh SVM with one group whose admin is `self.admin`.
    pub fn new() -> Self {
        let mut svm = Svm::new();
        let admin = svm.create_user(100_000_000_000);
        let fee_owner = Keypair::new();
        let ix = instructions::init_group(&svm.payer().pubkey(), &admin.pubkey(), 7, &fee_owner.pubkey());
        svm.process(&[ix], &[&admin]).expect("init_group");
        let group = pda::group(&admin.pubkey(), 7);
        Self { svm, admin, group, fee_owner, oracles: HashMap::new(), wallets: HashMap::new() }
    }

    /// Creates an SPL Token mint with `decimals` and its pool with `config` exactly
    /// (no oracle unless `config` names one).
    pub fn add_unpriced_pool_with(&mut self, decimals: u8, config: PoolConfig) -> PoolKeys {
        let mint = self.svm.create_mint(decimals, &spl_token_id());
        let keys = PoolKeys::derive(&self.group, &mint, &spl_token_id());
        let ix = instructions::create_pool(&self.svm.payer().pubkey(), &self.admin.pubkey(), &keys, config);
        let admin = self.admin.insecure_clone();
        self.svm.process(&[ix], &[&admin]).expect("create_pool");
        keys
    }

    /// A pool with the default configuration and no oracle: cross accounts cannot
    /// hold it (only isolated collateral can).
    pub fn add_unpriced_pool(&mut self, decimals: u8) -> PoolKeys {
        self.add_unpriced_pool_with(decimals, default_pool_config())
    }

    /// A pool with `config`, priced at $1 by a legacy oracle when `config` has none
    /// (cross accounts only hold priced pools).
    pub fn add_pool_with(&mut self, decimals: u8, config: PoolConfig) -> PoolKeys {
        let keys = self.add_unpriced_pool_with(decimals, config);
        if config.oracle.kind == OracleKind::None as u8 {
            self.set_oracle(&keys, Feed::Legacy, usd_price(1.0, self.svm.now()));
        }
        keys
    }

    /// A pool with the default configuration, priced at $1.
    pub fn add_pool(&mut self, decimals: u8) -> PoolKeys {
        self.add_pool_with(decimals, default_pool_config())
    }

    /// A lender supplying `amount` of the pool's token through a cross account
    /// (liquidity for borrowers).
    pub fn lend(&mut self, keys: &PoolKeys, amount: u64) -> (Keypair, Pubkey) {
        let lender = self.user();
        let margin = self.open_cross(&lender, 0);
        let wallet = self.token_account(keys, &lender.pubkey(), amount);
        self.deposit(&lender, &margin, keys, &wallet, amount).expect("lender deposit");
        (lender, margin)
    }

    /// A cross borrower: deposits `collateral` native units of `asset` and borrows
    /// `debt` native units of `liability` (a lender supplies 100,000 whole tokens
    /// of `liability` first). The scenario most tests start from.
    pub fn borrower(
        &mut self,
        asset: &PoolKeys,
        liability: &PoolKeys,
        collateral: u64,
        debt: u64,
    ) -> (Keypair, Pubkey) {
        self.lend(liability, 100_000_000_000);
        let user = self.user();
        let margin = self.open_cross(&user, 0);
        let asset_wallet = self.token_account(asset, &user.pubkey(), collateral);
        self.deposit(&user, &margin, asset, &asset_wallet, collateral).expect("borrower deposit");
        let liability_wallet = self.token_account(liability, &user.pubkey(), 0);
        self.borrow(&user, &margin, liability, &liability_wallet, debt).expect("borrower borrow");
        (user, margin)
    }

    /// [`Env::borrower`], then the collateral's price falls to `crash_usd`.
    pub fn underwater(
        &mut self,
        asset: &PoolKeys,
        liability: &PoolKeys,
        collateral: u64,
        debt: u64,
        crash_usd: f64,
    ) -> (Keypair, Pubkey) {
        let borrower = self.borrower(asset, liability, collateral, debt);
        self.set_usd(asset, crash_usd);
        borrower
    }

    /// A funded wallet.
    pub fn user(&mut self) -> Keypair {
        self.svm.create_user(10_000_000_000)
    }

    /// A token account of the pool's mint owned by `owner` with `amount`.
    pub fn token_account(&mut self, keys: &PoolKeys, owner: &Pubkey, amount: u64) -> Pubkey {
        let account = self.svm.create_token_account(&keys.mint, owner, amount, &keys.token_program);
        self.wallets.entry(keys.mint).or_default().push(account);
        account
    }

    /// Token accounts of `mint` created through the fixture.
    pub fn token_accounts_of(&self, mint: &Pubkey) -> Vec<Pubkey> {
        self.wallets.get(mint).cloned().unwrap_or_default()
    }

    /// Opens a cross account for `owner` at `index`.
    pub fn open_cross(&mut self, owner: &Keypair, index: u16) -> Pubkey {
        let ix = instructions::open_margin_account(
            &self.svm.payer().pubkey(),
            &owner.pubkey(),
            &self.group,
            index,
            OpenKind::Cross,
        );
        self.svm.process(&[ix], &[owner]).expect("open cross");
        pda::margin_account(&self.group, &owner.pubkey(), index)
    }

    /// Opens an isolated account for `owner` at `index`.
    pub fn open_isolated(&mut self, owner: &Keypair, index: u16, collateral: &PoolKeys, debt: &PoolKeys) -> Pubkey {
        let kind = OpenKind::Isolated { collateral_pool: collateral.pool, debt_pool: debt.pool };
        let ix =
            instructions::open_margin_account(&self.svm.payer().pubkey(), &owner.pubkey(), &self.group, index, kind);
        self.svm.process(&[ix], &[owner]).expect("open isolated");
        pda::margin_account(&self.group, &owner.pubkey(), index)
    }

    /// Deposits through the program.
    pub fn deposit(
        &mut self,
        owner: &Keypair,
        margin: &Pubkey,
        keys: &PoolKeys,
        source: &Pubkey,
        amount: u64,
    ) -> Result<Landed, Failed> {
        let ix = instructions::deposit(&owner.pubkey(), margin, keys, source, amount);
        self.svm.process(&[ix], &[owner])
    }

    /// A pool whose oracle reports `usd` per whole token (expo -8, zero confidence).
    pub fn add_priced_pool(&mut self, decimals: u8, usd: f64, feed: Feed) -> PoolKeys {
        let keys = self.add_unpriced_pool(decimals);
        self.set_oracle(&keys, feed, usd_price(usd, self.svm.now()));
        keys
    }

    /// Points the pool's config at a new oracle account of `feed` format holding `price`.
    pub fn set_oracle(&mut self, keys: &PoolKeys, feed: Feed, price: OraclePrice) {
        let account = Pubkey::new_unique();
        let address = match feed {
            Feed::Legacy => account.to_bytes(),
            Feed::Pull => Pubkey::new_unique().to_bytes(),
        };
        let setup = OracleSetup { account, feed, address, price };
        self.oracles.insert(keys.pool, setup);
        self.write_oracle(&setup);
        let mut config = self.pool(keys).config;
        config.oracle.kind = match feed {
            Feed::Legacy => OracleKind::PythLegacy as u8,
            Feed::Pull => OracleKind::PythPull as u8,
        };
        config.oracle.address = address;
        config.oracle.max_age_secs = 60;
        config.oracle.max_confidence_bps = 500;
        self.update_config(keys, config);
    }

    /// Sets a pool's config the way an admin must: at once when it only loosens
    /// risk, otherwise queued, then (after the group's delay, prices re-published)
    /// applied. Returns whether it had to wait.
    pub fn update_config(&mut self, keys: &PoolKeys, config: PoolConfig) -> bool {
        let admin = self.admin.insecure_clone();
        let ix = instructions::update_pool_config(&admin.pubkey(), keys, config);
        self.svm.process(&[ix], &[&admin]).expect("update_pool_config");
        if self.pool(keys).config == config {
            return false;
        }
        let delay = self.group_state().config_delay_secs as i64;
        self.svm.set_time(self.svm.now() + delay);
        self.refresh_prices();
        let ix = instructions::apply_pool_config(keys, &admin.pubkey());
        self.svm.process(&[ix], &[]).expect("apply_pool_config");
        assert_eq!(self.pool(keys).config, config);
        true
    }

    /// `resolve_bad_debt` of `margin`'s debt in `keys`, with its health accounts
    /// (dust-holding pools writable).
    pub fn resolve_bad_debt_ix(&mut self, margin: &Pubkey, keys: &PoolKeys) -> Instruction {
        let account = self.margin(margin);
        let metas = margin_client::health::sweep_account_metas(&account, |pool| {
            self.oracles.get(pool).map(|o| o.account).unwrap_or_default()
        });
        instructions::resolve_bad_debt(margin, keys, &metas)
    }

    fn write_oracle(&mut self, setup: &OracleSetup) {
        let (data, owner) = match setup.feed {
            Feed::Legacy => (pyth::legacy_trading(&setup.price), PYTH_LEGACY_PROGRAM_ID),
            Feed::Pull => {
                (pyth::price_update_v2(&setup.address, Verification::Full, &setup.price, 1), PYTH_RECEIVER_PROGRAM_ID)
            }
        };
        self.svm.set_account(
            &setup.account,
            Account { lamports: 10_000_000, data, owner: Pubkey::new_from_array(owner), ..Account::default() },
        );
    }

    /// Writes raw oracle bytes for a pool's oracle account (for rejection tests).
    pub fn write_oracle_raw(&mut self, keys: &PoolKeys, data: Vec<u8>, owner: [u8; 32]) {
        let account = self.oracles[&keys.pool].account;
        self.svm.set_account(
            &account,
            Account { lamports: 10_000_000, data, owner: Pubkey::new_from_array(owner), ..Account::default() },
        );
    }

    /// Sets a pool's price (spot and EMA), published now.
    pub fn set_price(&mut self, keys: &PoolKeys, price: OraclePrice) {
        let mut setup = self.oracles[&keys.pool];
        setup.price = price;
        self.oracles.insert(keys.pool, setup);
        self.write_oracle(&setup);
    }

    /// Sets a pool's price to `usd` (spot = EMA, zero confidence), published now.
    pub fn set_usd(&mut self, keys: &PoolKeys, usd: f64) {
        let price = usd_price(usd, self.svm.now());
        self.set_price(keys, price);
    }

    /// Re-publishes every price at the current time.
    pub fn refresh_prices(&mut self) {
        let now = self.svm.now();
        let pools: Vec<Pubkey> = self.oracles.keys().copied().collect();
        for pool in pools {
            let mut setup = self.oracles[&pool];
            setup.price.publish_time = now;
            self.oracles.insert(pool, setup);
            self.write_oracle(&setup);
        }
    }

    /// Health accounts for `positions` using the fixture's oracles.
    pub fn health_metas(&self, positions: &[Position]) -> Vec<AccountMeta> {
        health_account_metas(positions, |pool| self.oracles.get(pool).map(|o| o.account).unwrap_or_default())
    }

    /// Health accounts of `margin` as it stands, plus `extra_pool` if an action opens it.
    pub fn health_metas_after(&mut self, margin: &Pubkey, extra_pool: Option<&Pubkey>) -> Vec<AccountMeta> {
        let account = self.margin(margin);
        let positions = margin_client::health::positions_after(&account, extra_pool);
        self.health_metas(&positions)
    }

    /// The client's health cache of `margin`, from the accounts as they stand.
    pub fn health_cache(&mut self, margin: &Pubkey) -> margin_client::health::HealthCache {
        let account = self.margin(margin);
        let oracles = self.oracles.clone();
        let mut fetched = HashMap::new();
        for (pool, setup) in &oracles {
            for key in [*pool, setup.account] {
                if let Some(found) = self.svm.account(&key) {
                    fetched.insert(key, found);
                }
            }
        }
        let now = self.svm.now();
        margin_client::health::HealthCache::load(
            &account,
            &fetched,
            |pool| oracles[pool].account,
            now,
            margin_interface::health::Unpriced::ZeroDeposits,
        )
        .expect("health cache")
    }

    /// The validated price of a pool's oracle now (for a pool not yet a position).
    pub fn validated_price(&mut self, keys: &PoolKeys) -> margin_interface::oracle::OraclePrice {
        let pool = self.pool(keys);
        let oracle = self.oracles[&keys.pool].account;
        let account = self.svm.account(&oracle).expect("oracle account");
        margin_client::health::pool_price(&pool, &oracle, &account, self.svm.now()).expect("valid price")
    }

    /// The client's limit for a borrow of `keys` by `margin` (Initial and stress,
    /// to the unit), at the current prices.
    pub fn max_borrow(&mut self, margin: &Pubkey, keys: &PoolKeys) -> u64 {
        let price = self.validated_price(keys);
        let pool = self.pool(keys);
        self.health_cache(margin).max_borrow(&keys.pool, &pool, &price).expect("max borrow")
    }

    /// Runs `size` on the inputs a liquidation or deleverage of `victim` (collateral
    /// `asset`, debt `liability`) would be sized from now: the pools accrued to
    /// now, settlement prices, the client's health and the collateral's EMA
    /// confidence. With `liquidation::plan` or `deleverage_plan` it predicts the
    /// program's amounts.
    pub fn seizure_input<R>(
        &mut self,
        victim: &Pubkey,
        asset: &PoolKeys,
        liability: &PoolKeys,
        max_repay: u64,
        size: impl FnOnce(&margin_interface::liquidation::LiquidationInput) -> R,
    ) -> R {
        use margin_interface::{health::settlement_unit_prices, liquidation};
        let now = self.svm.now();
        let health = self.health_cache(victim).health().expect("health");
        let (asset_price, liability_price) = (self.validated_price(asset), self.validated_price(liability));
        let (mut asset_pool, mut liability_pool) = (self.pool(asset), self.pool(liability));
        asset_pool.accrue(now).expect("accrual");
        liability_pool.accrue(now).expect("accrual");
        let account = self.margin(victim);
        let position = |pool: &Pubkey| *account.active().iter().find(|p| p.pool == pool.to_bytes()).expect("position");
        size(&liquidation::LiquidationInput {
            maintenance_health: health.maintenance,
            maintenance_liabilities: health.maintenance_liabilities,
            asset_config: &asset_pool.config,
            liability_config: &liability_pool.config,
            asset_weight_bps: liquidation::seized_asset_weight_bps(&asset_pool.config, account.header.kind()),
            asset_price: settlement_unit_prices(&asset_pool, &asset_price).expect("priced").0,
            liability_price: settlement_unit_prices(&liability_pool, &liability_price).expect("priced").1,
            deposit_shares: position(&asset.pool).deposit_shares,
            deposit_share_value: asset_pool.deposit_share_value(),
            borrow_shares: position(&liability.pool).borrow_shares,
            borrow_share_value: liability_pool.borrow_share_value(),
            max_repay,
            asset_confidence_bps: liquidation::confidence_ratio_bps(&asset_price),
        })
    }

    /// Borrow instruction with its health accounts.
    pub fn borrow_ix(
        &mut self,
        owner: &Keypair,
        margin: &Pubkey,
        keys: &PoolKeys,
        destination: &Pubkey,
        amount: u64,
    ) -> Instruction {
        let metas = self.health_metas_after(margin, Some(&keys.pool));
        let metas = margin_client::health::with_collateral_writable(metas, &self.margin(margin));
        instructions::borrow(&owner.pubkey(), margin, keys, destination, amount, &metas)
    }

    /// Borrows through the program.
    pub fn borrow(
        &mut self,
        owner: &Keypair,
        margin: &Pubkey,
        keys: &PoolKeys,
        destination: &Pubkey,
        amount: u64,
    ) -> Result<Landed, Failed> {
        let ix = self.borrow_ix(owner, margin, keys, destination, amount);
        self.svm.process(&[ix], &[owner])
    }

    /// The program's own health report for `margin`.
    pub fn health(&mut self, margin: &Pubkey) -> Result<Health, Failed> {
        let metas = self.health_metas_after(margin, None);
        let landed = self.svm.process(&[instructions::health(margin, &metas)], &[])?;
        Ok(Health::from_bytes(&landed.return_data).expect("48 bytes of health"))
    }

    /// An active address lookup table holding `addresses`.
    pub fn lookup_table(&mut self, addresses: Vec<Pubkey>) -> solana_sdk::message::AddressLookupTableAccount {
        let key = Pubkey::new_unique();
        let data = margin_client::transaction::lookup_table_data(&self.admin.pubkey(), &addresses);
        let owner = margin_client::transaction::lookup_table_program_id();
        self.svm.set_account(&key, Account { lamports: 1_000_000_000, data, owner, ..Account::default() });
        solana_sdk::message::AddressLookupTableAccount { key, addresses }
    }

    /// Decoded pool.
    pub fn pool(&mut self, keys: &PoolKeys) -> Pool {
        accounts::pool(&self.svm.data(&keys.pool)).expect("pool account")
    }

    /// Rewrites a pool's state in place (to stage debt or share values that later
    /// issues' instructions would produce; the program then acts on it for real).
    pub fn write_pool(&mut self, keys: &PoolKeys, edit: impl FnOnce(&mut Pool)) {
        let mut account = self.svm.account(&keys.pool).expect("pool");
        let mut pool = accounts::pool(&account.data).expect("pool layout");
        edit(&mut pool);
        account.data.copy_from_slice(bytemuck::bytes_of(&pool));
        self.svm.set_account(&keys.pool, account);
    }

    /// Decoded group.
    pub fn group_state(&mut self) -> Group {
        let group = self.group;
        accounts::group(&self.svm.data(&group)).expect("group account")
    }

    /// Decoded margin account.
    pub fn margin(&mut self, address: &Pubkey) -> MarginAccountData {
        accounts::margin_account(&self.svm.data(address)).expect("margin account")
    }

    /// Every watched account, whole (lamports, owner, data).
    pub fn snapshot(&mut self, watched: &[Pubkey]) -> Vec<Option<Account>> {
        watched.iter().map(|k| self.svm.account(k)).collect()
    }

    /// Sends `instructions`, expects `expected`, and checks that every watched
    /// account (bytes, lamports, owner, so token balances too) is unchanged.
    pub fn expect_error(
        &mut self,
        instructions: &[Instruction],
        signers: &[&Keypair],
        expected: MarginError,
        watched: &[Pubkey],
    ) {
        let before = self.snapshot(watched);
        let failure = self.svm.process(instructions, signers).expect_err("instruction should fail");
        assert_eq!(failure.margin_error(), Some(expected), "wrong error: {failure:?}");
        let after = self.snapshot(watched);
        for ((key, b), a) in watched.iter().zip(&before).zip(&after) {
            assert_eq!(b, a, "account {key} changed by a failed instruction");
        }
    }
}

/// A liquidator with a cross account and a well-funded wallet per debt pool.
pub struct Liquidator {
    pub key: Keypair,
    pub margin: Pubkey,
    /// (pool, token account)
    pub wallets: Vec<(Pubkey, Pubkey)>,
}

impl Liquidator {
    pub fn new(env: &mut Env, debt_pools: &[PoolKeys]) -> Self {
        let key = env.user();
        let margin = env.open_cross(&key, 0);
        let wallets =
            debt_pools.iter().map(|p| (p.pool, env.token_account(p, &key.pubkey(), 1_000_000_000_000_000))).collect();
        Self { key, margin, wallets }
    }

    pub fn wallet(&self, pool: &PoolKeys) -> Pubkey {
        self.wallets.iter().find(|(k, _)| *k == pool.pool).expect("wallet for pool").1
    }

    /// Liquidates `victim` (collateral `asset`, debt `liability`, unlimited repay)
    /// until it holds no collateral; each liquidation must land. At most 10 rounds.
    pub fn seize_all(&self, env: &mut Env, victim: &Pubkey, asset: &PoolKeys, liability: &PoolKeys) {
        for _ in 0..10 {
            if env.margin(victim).active().iter().all(|p| p.deposit_shares == 0) {
                return;
            }
            let ix = self.ix(env, victim, asset, liability, u64::MAX);
            env.svm.process(&[ix], &[&self.key]).expect("liquidate until the collateral is gone");
        }
        assert!(env.margin(victim).active().iter().all(|p| p.deposit_shares == 0), "collateral left after 10 rounds");
    }

    /// `liquidate` of `victim` with its health accounts as it stands.
    pub fn ix(
        &self,
        env: &mut Env,
        victim: &Pubkey,
        asset: &PoolKeys,
        liability: &PoolKeys,
        max_repay: u64,
    ) -> Instruction {
        let metas = env.health_metas_after(victim, None);
        instructions::liquidate(
            &self.key.pubkey(),
            &self.margin,
            victim,
            asset,
            liability,
            &self.wallet(liability),
            max_repay,
            &metas,
            &[],
        )
    }
}

impl Default for Env {
    fn default() -> Self {
        Self::new()
    }
}

/// Copies `source`'s account to a new address, owned by `owner` (for owner and
/// type-cosplay attacks: valid-looking bytes under the wrong program).
pub fn clone_account_to_owner(svm: &mut Svm, source: &Pubkey, owner: &Pubkey) -> Pubkey {
    let mut account = svm.account(source).expect("source account");
    account.owner = *owner;
    let address = Pubkey::new_unique();
    svm.set_account(&address, account);
    address
}

/// Replaces signer flags so an instruction can be sent without `key`'s signature.
pub fn strip_signer(mut ix: Instruction, key: &Pubkey) -> Instruction {
    for meta in ix.accounts.iter_mut().filter(|m| &m.pubkey == key) {
        meta.is_signer = false;
    }
    ix
}

/// Replaces every occurrence of account `from` with `to` in an instruction.
pub fn swap_account(mut ix: Instruction, from: &Pubkey, to: &Pubkey) -> Instruction {
    for meta in ix.accounts.iter_mut().filter(|m| &m.pubkey == from) {
        meta.pubkey = *to;
    }
    ix
}

/// A system-program lamport transfer (instruction 2), built by hand to keep the
/// test crate's dependency list short.
pub fn system_transfer(from: &Pubkey, to: &Pubkey, lamports: u64) -> Instruction {
    let mut data = vec![2, 0, 0, 0];
    data.extend_from_slice(&lamports.to_le_bytes());
    Instruction {
        program_id: margin_client::system_program_id(),
        accounts: vec![
            solana_sdk::instruction::AccountMeta::new(*from, true),
            solana_sdk::instruction::AccountMeta::new(*to, false),
        ],
        data,
    }
}

/// `usd` per whole token as a Pyth price with expo -8, zero confidence, EMA = spot.
pub fn usd_price(usd: f64, publish_time: i64) -> OraclePrice {
    let mantissa = (usd * 1e8).round() as i64;
    OraclePrice { price: mantissa, conf: 0, expo: -8, publish_time, ema_price: mantissa, ema_conf: 0 }
}
