//! The keeper (interest crank) and the liquidator, written once against [`Chain`]
//! and run either on the embedded SVM or on a real cluster over JSON-RPC.

use std::collections::HashMap;

use margin_interface::{
    error::MarginError,
    fixed,
    health::{settlement_unit_prices, Unpriced},
    liquidation::{confidence_ratio_bps, plan, seized_asset_weight_bps, LiquidationInput},
    state::{has_tag, AccountType, MarginAccountHeader, OracleKind, Pool},
};
use solana_rpc_client::rpc_client::RpcClient;
use solana_sdk::{
    account::Account,
    instruction::Instruction,
    pubkey::Pubkey,
    signature::{Keypair, Signer},
    transaction::Transaction,
};

use margin_client::{
    accounts::{self, MarginAccountData},
    errors::margin_error,
    health::{health_account_metas, to_usd, CachedPosition, HealthCache},
    instructions,
    pda::PoolKeys,
    program_id,
};
use margin_sim::svm::Svm;

/// Why a bot step failed.
#[derive(Debug)]
pub enum BotError {
    /// The cluster could not be reached or answered with an error.
    Rpc(String),
    /// A transaction was refused; with the program's error when it gave one.
    Rejected {
        /// The runtime's description.
        error: String,
        /// The program's error, when it returned one.
        margin: Option<MarginError>,
    },
    /// An account did not decode.
    Decode(String),
}

impl std::fmt::Display for BotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Rpc(message) => write!(f, "RPC failure: {message}"),
            Self::Rejected { error, .. } => write!(f, "transaction rejected: {error}"),
            Self::Decode(message) => write!(f, "undecodable account: {message}"),
        }
    }
}

impl std::error::Error for BotError {}

/// What the bots need from a chain.
pub trait Chain {
    /// Cluster unix time.
    fn now(&mut self) -> Result<i64, BotError>;
    /// Every account of the margin program whose data starts with `tag`.
    fn program_accounts(&mut self, tag: &[u8; 8]) -> Result<Vec<(Pubkey, Account)>, BotError>;
    /// One account.
    fn account(&mut self, key: &Pubkey) -> Result<Option<Account>, BotError>;
    /// Sends one transaction signed (and paid for, on a cluster) by `signer`.
    fn send(&mut self, instructions: &[Instruction], signer: &Keypair) -> Result<(), BotError>;
}

/// The embedded SVM as a chain.
pub struct Embedded<'a>(pub &'a mut Svm);

impl Chain for Embedded<'_> {
    fn now(&mut self) -> Result<i64, BotError> {
        Ok(self.0.now())
    }
    fn program_accounts(&mut self, tag: &[u8; 8]) -> Result<Vec<(Pubkey, Account)>, BotError> {
        let mut accounts = self.0.program_accounts(&program_id());
        accounts.retain(|(_, account)| has_tag(&account.data, tag));
        Ok(accounts)
    }
    fn account(&mut self, key: &Pubkey) -> Result<Option<Account>, BotError> {
        Ok(self.0.account(key))
    }
    fn send(&mut self, instructions: &[Instruction], signer: &Keypair) -> Result<(), BotError> {
        self.0
            .process(instructions, &[signer])
            .map(|_| ())
            .map_err(|failure| BotError::Rejected { error: failure.to_string(), margin: failure.margin_error() })
    }
}

/// A real cluster over JSON-RPC.
pub struct Rpc(pub RpcClient);

impl Rpc {
    /// Client for `url` at confirmed commitment.
    pub fn new(url: &str) -> Self {
        Self(RpcClient::new_with_commitment(url.to_string(), solana_commitment_config::CommitmentConfig::confirmed()))
    }
}

fn rpc_error(error: impl std::fmt::Display) -> BotError {
    BotError::Rpc(error.to_string())
}

impl Chain for Rpc {
    fn now(&mut self) -> Result<i64, BotError> {
        // Clock sysvar: slot, epoch_start_timestamp, epoch, leader_schedule_epoch, unix_timestamp.
        let clock = self.0.get_account(&solana_sdk::sysvar::clock::id()).map_err(rpc_error)?;
        let bytes: [u8; 8] =
            clock.data.get(32..40).and_then(|b| b.try_into().ok()).ok_or_else(|| rpc_error("short clock sysvar"))?;
        Ok(i64::from_le_bytes(bytes))
    }
    fn program_accounts(&mut self, tag: &[u8; 8]) -> Result<Vec<(Pubkey, Account)>, BotError> {
        use solana_account_decoder_client_types::UiAccountEncoding;
        use solana_rpc_client_types::{
            config::{RpcAccountInfoConfig, RpcProgramAccountsConfig},
            filter::{Memcmp, RpcFilterType},
        };
        // The type tag filters server side: only pools or only margin accounts travel.
        let config = RpcProgramAccountsConfig {
            filters: Some(vec![RpcFilterType::Memcmp(Memcmp::new_raw_bytes(0, tag.to_vec()))]),
            account_config: RpcAccountInfoConfig {
                encoding: Some(UiAccountEncoding::Base64),
                ..RpcAccountInfoConfig::default()
            },
            ..RpcProgramAccountsConfig::default()
        };
        let found = self.0.get_program_ui_accounts_with_config(&program_id(), config).map_err(rpc_error)?;
        found
            .into_iter()
            .map(|(key, ui)| {
                ui.to_account().map(|account| (key, account)).ok_or_else(|| BotError::Decode(format!("{key}")))
            })
            .collect()
    }
    fn account(&mut self, key: &Pubkey) -> Result<Option<Account>, BotError> {
        self.0.get_multiple_accounts(&[*key]).map(|mut v| v.pop().flatten()).map_err(rpc_error)
    }
    fn send(&mut self, instructions: &[Instruction], signer: &Keypair) -> Result<(), BotError> {
        let blockhash = self.0.get_latest_blockhash().map_err(rpc_error)?;
        let tx = Transaction::new_signed_with_payer(instructions, Some(&signer.pubkey()), &[signer], blockhash);
        self.0.send_and_confirm_transaction(&tx).map(|_| ()).map_err(|error| {
            let margin = error.get_transaction_error().as_ref().and_then(margin_error);
            BotError::Rejected { error: error.to_string(), margin }
        })
    }
}

/// Pools and margin accounts of the program, decoded.
pub struct Snapshot {
    /// Pools by address.
    pub pools: HashMap<Pubkey, Pool>,
    /// Margin accounts with their addresses.
    pub margin_accounts: Vec<(Pubkey, MarginAccountData)>,
}

/// Loads every pool and margin account.
pub fn snapshot(chain: &mut impl Chain) -> Result<Snapshot, BotError> {
    let decode = |e: margin_interface::state::LayoutError| BotError::Decode(e.to_string());
    let mut pools = HashMap::new();
    for (key, account) in chain.program_accounts(&Pool::DISCRIMINATOR)? {
        pools.insert(key, accounts::pool(&account.data).map_err(decode)?);
    }
    let mut margin_accounts = Vec::new();
    for (key, account) in chain.program_accounts(&MarginAccountHeader::DISCRIMINATOR)? {
        margin_accounts.push((key, accounts::margin_account(&account.data).map_err(decode)?));
    }
    Ok(Snapshot { pools, margin_accounts })
}

/// The keeper: cranks `accrue_interest` on every pool last accrued at least
/// `max_age_secs` ago. Returns the pools it cranked.
pub fn keeper_once(
    chain: &mut impl Chain,
    signer: &Keypair,
    max_age_secs: i64,
    log: &mut impl FnMut(&str),
) -> Result<Vec<Pubkey>, BotError> {
    let now = chain.now()?;
    let mut cranked = Vec::new();
    for (key, pool) in snapshot(chain)?.pools {
        let age = now - pool.last_accrual_ts;
        if age >= max_age_secs {
            chain.send(&[instructions::accrue_interest(&key)], signer)?;
            log(&format!("keeper: accrued pool {key} ({age} s since last accrual)"));
            cranked.push(key);
        }
    }
    Ok(cranked)
}

/// Where the liquidator finds each pool's oracle account: legacy pools name it in
/// their config; pull pools name a feed id, mapped to an update account here.
#[derive(Clone, Debug, Default)]
pub struct OracleBook {
    /// Pull feed id -> `PriceUpdateV2` account to pass.
    pub feeds: HashMap<[u8; 32], Pubkey>,
}

impl OracleBook {
    /// The oracle account to pass for `pool`.
    pub fn oracle_for(&self, pool: &Pool) -> Option<Pubkey> {
        match pool.config.oracle.kind {
            k if k == OracleKind::PythLegacy as u8 => Some(Pubkey::new_from_array(pool.config.oracle.address)),
            k if k == OracleKind::PythPull as u8 => self.feeds.get(&pool.config.oracle.address).copied(),
            _ => None,
        }
    }
}

/// The liquidator's setup.
pub struct Liquidator<'a> {
    /// Signs and (on a cluster) pays.
    pub signer: &'a Keypair,
    /// Margin account that receives seized collateral.
    pub margin_account: Pubkey,
    /// Token account to repay from, per mint.
    pub wallets: HashMap<Pubkey, Pubkey>,
    /// Oracle accounts to pass per pool.
    pub oracles: OracleBook,
    /// Skip liquidations whose bonus is worth less than this (USD).
    pub min_profit_usd: f64,
}

/// What one liquidation attempt did.
#[derive(Clone, Debug, PartialEq)]
pub enum Attempt {
    /// The liquidation landed.
    Liquidated {
        /// Liquidated margin account.
        account: Pubkey,
        /// Debt repaid, native units.
        repaid: u64,
        /// Estimated bonus, USD.
        bonus_usd: f64,
    },
    /// Another liquidator got there first (or health recovered): nothing changed.
    LostRace {
        /// Targeted margin account.
        account: Pubkey,
        /// Why the program refused.
        reason: String,
    },
}

/// A liquidation the bot decided to send.
#[derive(Clone, Debug)]
pub struct Planned {
    /// Targeted margin account.
    pub account: Pubkey,
    /// The `liquidate` instruction to send.
    pub instruction: Instruction,
    /// Debt to repay, native units.
    pub repay: u64,
    /// Same in USD.
    pub repaid_usd: f64,
    /// Expected bonus, USD.
    pub bonus_usd: f64,
    /// Maintenance health when planned, USD.
    pub health_usd: f64,
}

/// One pass: find, then send.
pub fn liquidator_once(
    chain: &mut impl Chain,
    bot: &Liquidator,
    log: &mut impl FnMut(&str),
) -> Result<Vec<Attempt>, BotError> {
    let planned = find_liquidations(chain, bot, log)?;
    execute(chain, bot, planned, log)
}

/// Sends planned liquidations; a refusal (someone else was first, or health
/// recovered) is logged and skipped, never fatal.
pub fn execute(
    chain: &mut impl Chain,
    bot: &Liquidator,
    planned: Vec<Planned>,
    log: &mut impl FnMut(&str),
) -> Result<Vec<Attempt>, BotError> {
    let mut attempts = Vec::new();
    for plan in planned {
        match chain.send(&[plan.instruction], bot.signer) {
            Ok(()) => {
                log(&format!(
                    "liquidator {}: liquidated {}: repaid {} units (${:.2}), bonus ${:.2}, health was ${:.2}",
                    bot.signer.pubkey(),
                    plan.account,
                    plan.repay,
                    plan.repaid_usd,
                    plan.bonus_usd,
                    plan.health_usd
                ));
                attempts.push(Attempt::Liquidated {
                    account: plan.account,
                    repaid: plan.repay,
                    bonus_usd: plan.bonus_usd,
                });
            }
            Err(BotError::Rejected { error, .. }) => {
                log(&format!(
                    "liquidator {}: {} not liquidated ({error}); moving on",
                    bot.signer.pubkey(),
                    plan.account
                ));
                attempts.push(Attempt::LostRace { account: plan.account, reason: error });
            }
            Err(other) => return Err(other),
        }
    }
    Ok(attempts)
}

/// Every account with Maintenance health below zero, most underwater first, each
/// planned on its largest debt against its largest collateral, if the bonus pays.
pub fn find_liquidations(
    chain: &mut impl Chain,
    bot: &Liquidator,
    log: &mut impl FnMut(&str),
) -> Result<Vec<Planned>, BotError> {
    let now = chain.now()?;
    let snapshot = snapshot(chain)?;
    let oracle_of =
        |pool: &Pubkey| snapshot.pools.get(pool).and_then(|p| bot.oracles.oracle_for(p)).unwrap_or_default();
    let mut fetched: HashMap<Pubkey, Account> = HashMap::new();
    let mut candidates = Vec::new();
    for (key, account) in &snapshot.margin_accounts {
        if key == &bot.margin_account || account.active().iter().all(|p| p.borrow_shares == 0) {
            continue;
        }
        for position in account.active() {
            let pool = Pubkey::new_from_array(position.pool);
            for address in [pool, oracle_of(&pool)] {
                if !fetched.contains_key(&address) {
                    if let Some(found) = chain.account(&address)? {
                        fetched.insert(address, found);
                    }
                }
            }
        }
        // Eligibility as `liquidate` judges it: outages count zero on both sides.
        let Ok(cache) = HealthCache::load(account, &fetched, oracle_of, now, Unpriced::ZeroAll) else { continue };
        let Ok(health) = cache.health() else { continue };
        if health.maintenance < 0 {
            candidates.push((*key, account.clone(), health, cache));
        }
    }
    candidates.sort_by_key(|(_, _, health, _)| health.maintenance);

    let mut planned = Vec::new();
    for (key, account, health, cache) in candidates {
        // Largest debt and largest collateral by value at settlement prices, from
        // the cache (the prices health used; outages are not settleable).
        // (USD value, shares, share value projected to now, settlement unit price).
        let value_of = |cached: &CachedPosition, debt: bool| -> Option<(f64, u64, u128, u128)> {
            let price = cached.price?;
            let (asset_price, liability_price) = settlement_unit_prices(&cached.pool, &price).ok()?;
            let (deposit_value, borrow_value) = cached.pool.share_values_at(now).ok()?;
            let position = &cached.position;
            let (amount, shares, share_value, unit) = if debt {
                let owed = fixed::mul_q64_ceil(position.borrow_shares, borrow_value)?;
                (owed, position.borrow_shares, borrow_value, liability_price)
            } else {
                let held = fixed::mul_q64_floor(position.deposit_shares, deposit_value)?;
                (held, position.deposit_shares, deposit_value, asset_price)
            };
            Some((amount as f64 * unit as f64 / fixed::ONE as f64, shares, share_value, unit))
        };
        let best = |debt: bool| {
            cache
                .positions
                .iter()
                .filter(|p| if debt { p.position.borrow_shares > 0 } else { p.position.deposit_shares > 0 })
                .filter_map(|p| value_of(p, debt).map(|v| (p.pool_key, v)))
                .max_by(|a, b| a.1 .0.total_cmp(&b.1 .0))
        };
        let (
            Some((liability, (_, borrow_shares, borrow_share_value, liability_price))),
            Some((asset, (_, deposit_shares, deposit_share_value, asset_price))),
        ) = (best(true), best(false))
        else {
            continue;
        };
        let (liability_pool, asset_pool) = (snapshot.pools[&liability], snapshot.pools[&asset]);
        let Some(&source) = bot.wallets.get(&Pubkey::new_from_array(liability_pool.mint)) else {
            log(&format!("liquidator: no wallet for mint of pool {liability}; skipping {key}"));
            continue;
        };
        let Ok(sized) = plan(&LiquidationInput {
            maintenance_health: health.maintenance,
            maintenance_liabilities: health.maintenance_liabilities,
            asset_config: &asset_pool.config,
            liability_config: &liability_pool.config,
            asset_weight_bps: seized_asset_weight_bps(&asset_pool.config, account.header.kind()),
            asset_price,
            liability_price,
            deposit_shares,
            deposit_share_value,
            borrow_shares,
            borrow_share_value,
            max_repay: u64::MAX,
            asset_confidence_bps: cache
                .positions
                .iter()
                .find(|p| p.pool_key == asset)
                .and_then(|p| p.price)
                .map_or(0, |price| confidence_ratio_bps(&price)),
        }) else {
            continue;
        };
        let repaid_usd = sized.repay as f64 * liability_price as f64 / fixed::ONE as f64;
        let bonus_usd = repaid_usd * sized.bonus_bps as f64 / 1e4;
        if bonus_usd < bot.min_profit_usd {
            log(&format!("liquidator: {key} bonus ${bonus_usd:.2} below the minimum"));
            continue;
        }
        let keys_of = |pool_key: Pubkey, pool: &Pool| PoolKeys {
            group: Pubkey::new_from_array(pool.group),
            pool: pool_key,
            mint: Pubkey::new_from_array(pool.mint),
            vault: Pubkey::new_from_array(pool.vault),
            vault_authority: Pubkey::new_from_array(pool.vault_authority),
            token_program: Pubkey::new_from_array(pool.token_program),
        };
        let metas = health_account_metas(account.active(), oracle_of);
        let ix = instructions::liquidate(
            &bot.signer.pubkey(),
            &bot.margin_account,
            &key,
            &keys_of(asset, &asset_pool),
            &keys_of(liability, &liability_pool),
            &source,
            sized.repay,
            &metas,
            &[],
        );
        planned.push(Planned {
            account: key,
            instruction: ix,
            repay: sized.repay,
            repaid_usd,
            bonus_usd,
            health_usd: to_usd(health.maintenance),
        });
    }
    Ok(planned)
}
