//! The keeper (interest crank) and the liquidator, written once against [`Chain`]
//! and run either on the embedded SVM or on a real cluster over JSON-RPC.

use std::{
    cell::RefCell,
    collections::{HashMap, HashSet},
};

use margin_interface::{
    error::MarginError,
    fixed,
    health::{deposit_is_dust, settlement_unit_prices, Unpriced},
    liquidation::{plan, seized_asset_weight_bps, LiquidationInput},
    state::{has_tag, AccountType, MarginAccountHeader, OracleKind, Pool, PoolStatus, CROSS_POSITIONS},
    BPS,
};
use solana_rpc_client::rpc_client::RpcClient;
use solana_sdk::{
    account::Account,
    instruction::{AccountMeta, Instruction},
    message::{AddressLookupTableAccount, VersionedMessage},
    pubkey::Pubkey,
    signature::{Keypair, Signer},
    transaction::VersionedTransaction,
};

use margin_client::{
    accounts::{self, MarginAccountData},
    budget::{self, BUDGET_INSTRUCTIONS},
    errors::margin_error,
    health::{health_account_metas, sweep_account_metas, to_usd, CachedPosition, HealthCache},
    instructions::{self, WithdrawAmount},
    pda::PoolKeys,
    program_id,
    transaction::{
        assemble, create_lookup_table, decode_lookup_table, extend_lookup_table, legacy_size, locked_accounts,
        serialized_size, tables_used, ACCOUNT_LOCK_LIMIT, LOOKUP_TABLE_CAPACITY, LOOKUP_TABLE_EXTEND_CHUNK,
        PACKET_LIMIT,
    },
    MarginProgram,
};
use margin_sim::svm::Svm;

use crate::router::{Router, Sale};

/// Why a bot step failed.
#[derive(Debug)]
pub enum BotError {
    /// The cluster could not be reached or answered with an error.
    Rpc(String),
    /// A transaction ran and failed; with the program's error when it gave one.
    Rejected {
        /// The runtime's description.
        error: String,
        /// The program's error, when it returned one.
        margin: Option<MarginError>,
    },
    /// The cluster would not take the transaction at all (over the 1,232-byte
    /// packet, over the account-lock limit, malformed): it never ran, and sending
    /// the same bytes again cannot help.
    Refused(String),
    /// An account did not decode.
    Decode(String),
}

impl std::fmt::Display for BotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Rpc(message) => write!(f, "RPC failure: {message}"),
            Self::Rejected { error, .. } => write!(f, "transaction rejected: {error}"),
            Self::Refused(message) => write!(f, "transaction refused before running: {message}"),
            Self::Decode(message) => write!(f, "undecodable account: {message}"),
        }
    }
}

impl std::error::Error for BotError {}

/// A transaction that landed, as sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sent {
    /// Serialized size, bytes.
    pub size: usize,
    /// Legacy (otherwise v0).
    pub legacy: bool,
    /// Lookup tables the v0 message read.
    pub lookup_tables: Vec<Pubkey>,
    /// The compute-unit limit it set, if any.
    pub compute_unit_limit: Option<u32>,
    /// The priority fee it bid (micro-lamports per CU), if any.
    pub compute_unit_price: Option<u64>,
    /// Its signature, where the chain reports one (JSON-RPC).
    pub signature: Option<solana_sdk::signature::Signature>,
}

impl Sent {
    fn of(tx: &VersionedTransaction) -> Self {
        let (compute_unit_limit, compute_unit_price) = budget::decode_budget(&tx.message);
        Self {
            size: serialized_size(tx),
            legacy: matches!(tx.message, VersionedMessage::Legacy(_)),
            lookup_tables: tables_used(tx),
            compute_unit_limit,
            compute_unit_price,
            signature: tx.signatures.first().copied(),
        }
    }
}

/// What the bots need from a chain.
pub trait Chain {
    /// Cluster unix time.
    fn now(&mut self) -> Result<i64, BotError>;
    /// The current slot (the slot a transaction sent now lands in, or after).
    fn slot(&mut self) -> Result<u64, BotError>;
    /// A slot the cluster's `SlotHashes` holds, for `CreateLookupTable`.
    fn recent_slot(&mut self) -> Result<u64, BotError>;
    /// Returns once the cluster is past `slot` (lookup table entries added in
    /// `slot` are usable from the next one).
    fn wait_past(&mut self, slot: u64) -> Result<(), BotError>;
    /// Every account of the margin program whose data starts with `tag`.
    fn program_accounts(&mut self, tag: &[u8; 8]) -> Result<Vec<(Pubkey, Account)>, BotError>;
    /// One account.
    fn account(&mut self, key: &Pubkey) -> Result<Option<Account>, BotError>;
    /// Several accounts, in the order of `keys` (`None` where there is none).
    /// Over JSON-RPC one `getMultipleAccounts` per [`ACCOUNTS_PER_REQUEST`] keys,
    /// not one round trip each; by default, one [`Chain::account`] each (the
    /// embedded chain has no round trip to save).
    fn accounts(&mut self, keys: &[Pubkey]) -> Result<Vec<Option<Account>>, BotError> {
        keys.iter().map(|key| self.account(key)).collect()
    }
    /// Sends one transaction paid and signed by `signer`: legacy when it fits the
    /// packet, otherwise v0 through `tables`
    /// ([`margin_client::transaction::assemble`]).
    fn send(
        &mut self,
        instructions: &[Instruction],
        signer: &Keypair,
        tables: &[AddressLookupTableAccount],
    ) -> Result<Sent, BotError>;
    /// Compute units the transaction [`Chain::send`] would send consumes, or
    /// the error it would fail with (as `send` reports it); nothing lands.
    fn simulate_units(
        &mut self,
        instructions: &[Instruction],
        signer: &Keypair,
        tables: &[AddressLookupTableAccount],
    ) -> Result<u64, BotError>;
    /// Recent prioritization fees (micro-lamports per CU) of transactions that
    /// locked `writable` (`getRecentPrioritizationFees`); empty where there is no
    /// fee market.
    fn recent_fees(&mut self, writable: &[Pubkey]) -> Result<Vec<u64>, BotError>;
    /// The deployment of the margin program the bots work with: every
    /// instruction they build and every health they compute is for this id, and
    /// [`Chain::program_accounts`] lists its accounts. The declared id unless the
    /// chain says otherwise ([`Rpc::for_program`]).
    fn program(&self) -> MarginProgram {
        MarginProgram::default()
    }
}

/// The embedded SVM as a chain.
pub struct Embedded<'a>(pub &'a mut Svm);

impl Chain for Embedded<'_> {
    fn now(&mut self) -> Result<i64, BotError> {
        Ok(self.0.now())
    }
    fn slot(&mut self) -> Result<u64, BotError> {
        Ok(self.0.slot())
    }
    fn recent_slot(&mut self) -> Result<u64, BotError> {
        // Every slot move warps from the previous slot, whose hash is recorded.
        Ok(self.0.slot().saturating_sub(1))
    }
    fn wait_past(&mut self, slot: u64) -> Result<(), BotError> {
        while self.0.slot() <= slot {
            self.0.advance_slot();
        }
        Ok(())
    }
    fn program_accounts(&mut self, tag: &[u8; 8]) -> Result<Vec<(Pubkey, Account)>, BotError> {
        let mut accounts = self.0.program_accounts(&program_id());
        accounts.retain(|(_, account)| has_tag(&account.data, tag));
        Ok(accounts)
    }
    fn account(&mut self, key: &Pubkey) -> Result<Option<Account>, BotError> {
        Ok(self.0.account(key))
    }
    fn send(
        &mut self,
        instructions: &[Instruction],
        signer: &Keypair,
        tables: &[AddressLookupTableAccount],
    ) -> Result<Sent, BotError> {
        let (compute_unit_limit, compute_unit_price) = budget_of(instructions);
        match self.0.send_as(signer, instructions, &[], tables) {
            Ok(landed) => Ok(Sent {
                size: landed.size,
                legacy: landed.legacy,
                lookup_tables: landed.lookup_tables,
                compute_unit_limit,
                compute_unit_price,
                signature: None,
            }),
            Err(failure) if failure.refusal.is_some() => Err(BotError::Refused(failure.to_string())),
            Err(failure) => Err(BotError::Rejected { error: failure.to_string(), margin: failure.margin_error() }),
        }
    }
    fn simulate_units(
        &mut self,
        instructions: &[Instruction],
        signer: &Keypair,
        tables: &[AddressLookupTableAccount],
    ) -> Result<u64, BotError> {
        self.0
            .simulate_as(signer, instructions, &[], tables)
            .map_err(|failure| BotError::Rejected { error: failure.to_string(), margin: failure.margin_error() })
    }
    fn recent_fees(&mut self, _writable: &[Pubkey]) -> Result<Vec<u64>, BotError> {
        Ok(Vec::new())
    }
}

/// The limit and price the budget instructions among `instructions` set.
fn budget_of(instructions: &[Instruction]) -> (Option<u32>, Option<u64>) {
    let program = budget::compute_budget_program_id();
    let (mut limit, mut price) = (None, None);
    for ix in instructions.iter().filter(|ix| ix.program_id == program) {
        match ix.data.split_first() {
            Some((2, rest)) => limit = rest.try_into().ok().map(u32::from_le_bytes),
            Some((3, rest)) => price = rest.try_into().ok().map(u64::from_le_bytes),
            _ => {}
        }
    }
    (limit, price)
}

/// A real cluster over JSON-RPC, and the deployment of the margin program on it.
pub struct Rpc {
    /// The JSON-RPC client, at confirmed commitment.
    pub client: RpcClient,
    /// The margin program the bots work with (`margin --program-id`).
    pub program: MarginProgram,
}

impl Rpc {
    /// Client for `url` at confirmed commitment, for the declared program id.
    pub fn new(url: &str) -> Self {
        Self::for_program(url, MarginProgram::default())
    }

    /// Client for `url` at confirmed commitment, for the program deployed at
    /// `program.id` (a deployment of one's own).
    pub fn for_program(url: &str, program: MarginProgram) -> Self {
        let client =
            RpcClient::new_with_commitment(url.to_string(), solana_commitment_config::CommitmentConfig::confirmed());
        Self { client, program }
    }
}

/// Most keys one `getMultipleAccounts` request may name (the RPC server's limit).
pub const ACCOUNTS_PER_REQUEST: usize = solana_rpc_client_types::request::MAX_MULTIPLE_ACCOUNTS;

fn rpc_error(error: impl std::fmt::Display) -> BotError {
    BotError::Rpc(error.to_string())
}

impl Chain for Rpc {
    fn now(&mut self) -> Result<i64, BotError> {
        // Clock sysvar: slot, epoch_start_timestamp, epoch, leader_schedule_epoch, unix_timestamp.
        let clock = self.client.get_account(&solana_sdk::sysvar::clock::id()).map_err(rpc_error)?;
        let bytes: [u8; 8] =
            clock.data.get(32..40).and_then(|b| b.try_into().ok()).ok_or_else(|| rpc_error("short clock sysvar"))?;
        Ok(i64::from_le_bytes(bytes))
    }
    fn slot(&mut self) -> Result<u64, BotError> {
        self.client.get_slot().map_err(rpc_error)
    }
    fn recent_slot(&mut self) -> Result<u64, BotError> {
        // A finalized slot is an ancestor of every bank, so `SlotHashes` has it.
        let finalized = solana_commitment_config::CommitmentConfig::finalized();
        self.client.get_slot_with_commitment(finalized).map_err(rpc_error)
    }
    fn wait_past(&mut self, slot: u64) -> Result<(), BotError> {
        for _ in 0..150 {
            if self.client.get_slot().map_err(rpc_error)? > slot {
                return Ok(());
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        Err(rpc_error(format!("the cluster did not pass slot {slot} within 30 s")))
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
        let found = self.client.get_program_ui_accounts_with_config(&self.program.id, config).map_err(rpc_error)?;
        found
            .into_iter()
            .map(|(key, ui)| {
                ui.to_account().map(|account| (key, account)).ok_or_else(|| BotError::Decode(format!("{key}")))
            })
            .collect()
    }
    fn account(&mut self, key: &Pubkey) -> Result<Option<Account>, BotError> {
        Ok(self.accounts(std::slice::from_ref(key))?.pop().flatten())
    }
    fn accounts(&mut self, keys: &[Pubkey]) -> Result<Vec<Option<Account>>, BotError> {
        let mut found = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(ACCOUNTS_PER_REQUEST) {
            let answer = self.client.get_multiple_accounts(chunk).map_err(rpc_error)?;
            // Matched to the keys by position: a short answer would shift every
            // account after the gap onto the wrong key.
            if answer.len() != chunk.len() {
                return Err(rpc_error(format!(
                    "getMultipleAccounts answered {} accounts for {} keys",
                    answer.len(),
                    chunk.len()
                )));
            }
            found.extend(answer);
        }
        Ok(found)
    }
    fn send(
        &mut self,
        instructions: &[Instruction],
        signer: &Keypair,
        tables: &[AddressLookupTableAccount],
    ) -> Result<Sent, BotError> {
        use solana_rpc_client::api::{client_error::ErrorKind, request::RpcError};
        let blockhash = self.client.get_latest_blockhash().map_err(rpc_error)?;
        let tx =
            assemble(signer, instructions, &[], tables, blockhash).map_err(|e| BotError::Refused(e.to_string()))?;
        // What every RPC refuses before running anything, checked here so the
        // reason is exact (mainnet-beta's lock limit: 64 accounts).
        check_limits(&tx, ACCOUNT_LOCK_LIMIT)?;
        let sent = Sent::of(&tx);
        self.client.send_and_confirm_transaction(&tx).map(|_| sent).map_err(|error| {
            if let Some(failure) = error.get_transaction_error() {
                return BotError::Rejected { error: error.to_string(), margin: margin_error(&failure) };
            }
            match error.kind() {
                // The node answered, and said no (invalid parameters, too large...).
                ErrorKind::RpcError(RpcError::RpcResponseError { .. }) => BotError::Refused(error.to_string()),
                _ => BotError::Rpc(error.to_string()),
            }
        })
    }
    fn simulate_units(
        &mut self,
        instructions: &[Instruction],
        signer: &Keypair,
        tables: &[AddressLookupTableAccount],
    ) -> Result<u64, BotError> {
        use solana_rpc_client_types::config::RpcSimulateTransactionConfig;
        let blockhash = self.client.get_latest_blockhash().map_err(rpc_error)?;
        let tx =
            assemble(signer, instructions, &[], tables, blockhash).map_err(|e| BotError::Refused(e.to_string()))?;
        let config = RpcSimulateTransactionConfig {
            sig_verify: false,
            replace_recent_blockhash: true,
            // The newest state: what the transaction will meet (nearly).
            commitment: Some(solana_commitment_config::CommitmentConfig::processed()),
            ..RpcSimulateTransactionConfig::default()
        };
        let result = self.client.simulate_transaction_with_config(&tx, config).map_err(rpc_error)?.value;
        match result.err {
            Some(error) => {
                let error: solana_sdk::transaction::TransactionError = error.into();
                let logs = result.logs.unwrap_or_default().join(" | ");
                Err(BotError::Rejected {
                    error: format!("simulation: {error:?}: {logs}"),
                    margin: margin_error(&error),
                })
            }
            None => Ok(result.units_consumed.unwrap_or(budget::MAX_COMPUTE_UNIT_LIMIT as u64)),
        }
    }
    fn program(&self) -> MarginProgram {
        self.program
    }
    fn recent_fees(&mut self, writable: &[Pubkey]) -> Result<Vec<u64>, BotError> {
        let fees = self.client.get_recent_prioritization_fees(writable).map_err(rpc_error)?;
        Ok(fees.into_iter().map(|fee| fee.prioritization_fee).collect())
    }
}

/// Refuses `tx` as a cluster would before running it: over the packet size or
/// over `lock_limit` accounts.
pub fn check_limits(tx: &VersionedTransaction, lock_limit: usize) -> Result<(), BotError> {
    let size = serialized_size(tx);
    if size > PACKET_LIMIT {
        return Err(BotError::Refused(format!("transaction too large: {size} bytes (max {PACKET_LIMIT})")));
    }
    let accounts = locked_accounts(tx);
    if accounts > lock_limit {
        return Err(BotError::Refused(format!("too many account locks: {accounts} (max {lock_limit})")));
    }
    Ok(())
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

/// Pools one keeper transaction accrues: 20 `accrue_interest` instructions are
/// about 780 bytes and 40,000 CU, well inside a legacy packet and the default
/// compute budget.
pub const ACCRUALS_PER_TRANSACTION: usize = 20;

/// The keeper: cranks `accrue_interest` on every pool last accrued at least
/// `max_age_secs` ago, [`ACCRUALS_PER_TRANSACTION`] pools per transaction (a
/// batch that fails is retried pool by pool, so one bad pool holds up no other).
/// Returns the pools it cranked, in address order.
pub fn keeper_once(
    chain: &mut impl Chain,
    signer: &Keypair,
    max_age_secs: i64,
    log: &mut impl FnMut(&str),
) -> Result<Vec<Pubkey>, BotError> {
    keeper_once_with(chain, signer, max_age_secs, &FeePolicy::default(), log)
}

/// [`keeper_once`] pricing its transactions with `fees`.
pub fn keeper_once_with(
    chain: &mut impl Chain,
    signer: &Keypair,
    max_age_secs: i64,
    fees: &FeePolicy,
    log: &mut impl FnMut(&str),
) -> Result<Vec<Pubkey>, BotError> {
    let now = chain.now()?;
    let mut due: Vec<(Pubkey, i64)> = snapshot(chain)?
        .pools
        .into_iter()
        .map(|(key, pool)| (key, now - pool.last_accrual_ts))
        .filter(|(_, age)| *age >= max_age_secs)
        .collect();
    due.sort();
    let mut cranked = Vec::new();
    for batch in due.chunks(ACCRUALS_PER_TRANSACTION) {
        let batch_ixs: Vec<Instruction> = batch.iter().map(|(key, _)| chain.program().accrue_interest(key)).collect();
        let oldest = batch.iter().map(|(_, age)| *age).max().unwrap_or(0);
        match send_priced(chain, signer, &batch_ixs, &[], fees, None) {
            Ok(_) => {
                log(&format!(
                    "keeper: accrued {} pool(s) in one transaction (oldest {oldest} s since last accrual)",
                    batch.len()
                ));
                for (key, age) in batch {
                    log(&format!("keeper: accrued pool {key} ({age} s since last accrual)"));
                }
                cranked.extend(batch.iter().map(|(key, _)| *key));
            }
            Err(error) if batch.len() > 1 => {
                log(&format!("keeper: a batch of {} accruals failed ({error}); retrying one by one", batch.len()));
                for (key, age) in batch {
                    let accrue = chain.program().accrue_interest(key);
                    match send_priced(chain, signer, &[accrue], &[], fees, None) {
                        Ok(_) => {
                            log(&format!("keeper: accrued pool {key} ({age} s since last accrual)"));
                            cranked.push(*key);
                        }
                        Err(error) => log(&format!("keeper: FAILED to accrue pool {key}: {error}")),
                    }
                }
            }
            Err(error) => return Err(error),
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

/// Positions the liquidator's account keeps by default before it withdraws its
/// seized collateral to make room (a cross account holds 16).
pub const DEFAULT_KEEP_POSITIONS: usize = 12;

/// The liquidator's setup.
pub struct Liquidator<'a> {
    /// Signs and pays.
    pub signer: &'a Keypair,
    /// Margin account that receives seized collateral (a cross account of
    /// `signer`, kept free of debt).
    pub margin_account: Pubkey,
    /// Token account to repay from, per mint (also where withdrawn collateral of
    /// that mint goes).
    pub wallets: HashMap<Pubkey, Pubkey>,
    /// Oracle accounts to pass per pool.
    pub oracles: OracleBook,
    /// Skip liquidations whose bonus is worth less than this (USD).
    pub min_profit_usd: f64,
    /// Before a liquidation that would open a new position in `margin_account`
    /// while it already holds this many, the bot withdraws all its seized
    /// collateral (to `wallets`, else its associated token account of the mint).
    pub keep_positions: usize,
    /// Address lookup tables with `signer` as authority, reused and extended for
    /// transactions that do not fit a legacy packet; new ones are created when
    /// these are full.
    pub tables: RefCell<Vec<AddressLookupTableAccount>>,
    /// Capital-less mode: each liquidation is one transaction that flash-borrows
    /// the debt token into the bot's account, liquidates, withdraws the seized
    /// collateral, sells it through this router and repays (`flash_begin` ..
    /// `flash_end`). Repays are sized by the debt pool's idle liquidity, not by
    /// wallet balances; `wallets` must still name a token account (empty is fine)
    /// for the debt and the collateral mint; the profit is what the sale pays
    /// beyond the repayment. `None`: the bot repays from its wallets.
    pub router: Option<&'a dyn Router>,
    /// Capital-less mode: the sale must pay at least its quote less this (bps),
    /// and never less than the debt. Default 50.
    pub max_slippage_bps: u64,
    /// Compute budget and priority fee of every transaction it sends.
    pub fees: FeePolicy,
}

impl<'a> Liquidator<'a> {
    /// A liquidator with no wallets or oracle mappings yet, a $1 minimum profit,
    /// [`DEFAULT_KEEP_POSITIONS`] and no lookup tables.
    pub fn new(signer: &'a Keypair, margin_account: Pubkey) -> Self {
        Self {
            signer,
            margin_account,
            wallets: HashMap::new(),
            oracles: OracleBook::default(),
            min_profit_usd: 1.0,
            keep_positions: DEFAULT_KEEP_POSITIONS,
            tables: RefCell::new(Vec::new()),
            router: None,
            max_slippage_bps: 50,
            fees: FeePolicy::default(),
        }
    }

    /// Adopts existing lookup tables (from an earlier run: the bot logs each table
    /// it creates). Tables of another authority are used but never extended.
    pub fn load_tables(&self, chain: &mut impl Chain, addresses: &[Pubkey]) -> Result<(), BotError> {
        for key in addresses {
            let account = chain.account(key)?.ok_or_else(|| BotError::Decode(format!("no lookup table at {key}")))?;
            let (_, entries) = decode_lookup_table(&account.data)
                .ok_or_else(|| BotError::Decode(format!("{key} is not an active lookup table")))?;
            self.tables.borrow_mut().push(AddressLookupTableAccount { key: *key, addresses: entries });
        }
        Ok(())
    }

    fn table_is_ours(&self, chain: &mut impl Chain, key: &Pubkey) -> Result<bool, BotError> {
        let data = chain.account(key)?.map(|a| a.data).unwrap_or_default();
        Ok(decode_lookup_table(&data).and_then(|(authority, _)| authority) == Some(self.signer.pubkey()))
    }
}

/// What one attempt on an account did.
#[derive(Clone, Debug, PartialEq)]
pub enum Attempt {
    /// The liquidation landed.
    Liquidated {
        /// Liquidated margin account.
        account: Pubkey,
        /// Collateral pool seized from.
        asset_pool: Pubkey,
        /// Debt pool repaid.
        liability_pool: Pubkey,
        /// Debt repaid, native units (the planned repay; the program may have
        /// repaid less if the account moved).
        repaid: u64,
        /// Estimated bonus, USD.
        bonus_usd: f64,
        /// The transaction as sent.
        sent: Sent,
    },
    /// Another liquidator got there first, or health recovered: the program
    /// answered `NotLiquidatable` (or the account had no debt left to write
    /// off). Nothing changed.
    LostRace {
        /// Targeted margin account.
        account: Pubkey,
        /// Why the program refused.
        reason: String,
    },
    /// Every way the bot tried failed for another reason (a refused or oversized
    /// transaction, an RPC failure, another program error such as a stale oracle or
    /// an empty wallet). Reported, never counted as a lost race.
    Failed {
        /// Targeted margin account.
        account: Pubkey,
        /// One line per way tried.
        reasons: Vec<String>,
    },
    /// A debt of a bankrupt account was written off (`resolve_bad_debt`).
    BadDebtResolved {
        /// The bankrupt margin account.
        account: Pubkey,
        /// The debt pool written off.
        pool: Pubkey,
        /// The transaction as sent.
        sent: Sent,
    },
}

/// One way to liquidate an account: a (collateral, debt) pair, sized.
#[derive(Clone, Debug)]
pub struct Choice {
    /// Collateral pool to seize from.
    pub asset_pool: Pubkey,
    /// Debt pool to repay.
    pub liability_pool: Pubkey,
    /// The transaction's instructions: `liquidate`, or in capital-less mode the
    /// whole flash sequence.
    pub instructions: Vec<Instruction>,
    /// Debt to repay, native units (at most the wallet's balance, or in
    /// capital-less mode the debt pool's idle liquidity).
    pub repay: u64,
    /// Same in USD.
    pub repaid_usd: f64,
    /// Expected bonus, USD (capital-less: the sale's proceeds beyond the repayment).
    pub bonus_usd: f64,
    /// Most lamports of priority fee to bid: the policy's share of the bonus, when
    /// the bot can value SOL.
    pub fee_budget_lamports: Option<u64>,
}

/// What the bot will do to an account.
#[derive(Clone, Debug)]
pub enum Action {
    /// Liquidate through the first of these pairs that lands (largest debt and
    /// largest collateral first).
    Liquidate(Vec<Choice>),
    /// The account is bankrupt (no collateral but dust, negative Equity): write
    /// off each of its debts.
    ResolveBadDebt {
        /// Oracle account to pass per pool of the account.
        oracles: HashMap<Pubkey, Pubkey>,
    },
}

/// An account the bot decided to act on.
#[derive(Clone, Debug)]
pub struct Planned {
    /// Targeted margin account.
    pub account: Pubkey,
    /// Its group.
    pub group: Pubkey,
    /// Maintenance health when planned, USD.
    pub health_usd: f64,
    /// What to send.
    pub action: Action,
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

/// Sends planned liquidations and write-offs. A `NotLiquidatable` refusal is a
/// lost race; any other failure of one pair moves to the account's next pair, and
/// an account none of whose pairs landed is reported as [`Attempt::Failed`].
/// Never fatal: the next account is tried either way.
pub fn execute(
    chain: &mut impl Chain,
    bot: &Liquidator,
    planned: Vec<Planned>,
    log: &mut impl FnMut(&str),
) -> Result<Vec<Attempt>, BotError> {
    let mut attempts = Vec::new();
    for plan in planned {
        match &plan.action {
            Action::Liquidate(choices) => attempts.push(liquidate_account(chain, bot, &plan, choices, log)),
            Action::ResolveBadDebt { oracles } => {
                attempts.extend(resolve_bad_debt(chain, bot, &plan, oracles, log));
            }
        }
    }
    Ok(attempts)
}

fn liquidate_account(
    chain: &mut impl Chain,
    bot: &Liquidator,
    plan: &Planned,
    choices: &[Choice],
    log: &mut impl FnMut(&str),
) -> Attempt {
    let me = bot.signer.pubkey();
    let account = plan.account;
    let mut reasons = Vec::new();
    for choice in choices {
        let pair = format!("collateral {} / debt {}", choice.asset_pool, choice.liability_pool);
        if let Err(error) = make_room(chain, bot, &choice.asset_pool, log) {
            log(&format!("liquidator {me}: could not make room in {}: {error}", bot.margin_account));
        }
        if bot.router.is_some() {
            if let Err(error) = clear_for_flash(chain, bot, [&choice.asset_pool, &choice.liability_pool], log) {
                log(&format!("liquidator {me}: could not clear {} for a flash: {error}", bot.margin_account));
            }
        }
        match send_fitting(chain, bot, &choice.instructions, choice.fee_budget_lamports, log) {
            Ok(sent) => {
                log(&format!(
                    "liquidator {me}: liquidated {account}: repaid {} units (${:.2}), bonus ${:.2}, health was ${:.2} ({}, {} bytes, CU limit {}, priority fee {} micro-lamports/CU){}",
                    choice.repay,
                    choice.repaid_usd,
                    choice.bonus_usd,
                    plan.health_usd,
                    if sent.legacy { "legacy".to_string() } else { format!("v0, {} lookup table(s)", sent.lookup_tables.len()) },
                    sent.size,
                    sent.compute_unit_limit.unwrap_or(0),
                    sent.compute_unit_price.unwrap_or(0),
                    sent.signature.map(|s| format!(", signature {s}")).unwrap_or_default(),
                ));
                return Attempt::Liquidated {
                    account,
                    asset_pool: choice.asset_pool,
                    liability_pool: choice.liability_pool,
                    repaid: choice.repay,
                    bonus_usd: choice.bonus_usd,
                    sent,
                };
            }
            Err(BotError::Rejected { error, margin: Some(MarginError::NotLiquidatable) }) => {
                log(&format!("liquidator {me}: {account} no longer liquidatable ({error}): lost the race"));
                return Attempt::LostRace { account, reason: error };
            }
            Err(error) => {
                log(&format!("liquidator {me}: {account} via {pair} failed: {error}; trying the next pair"));
                reasons.push(format!("{pair}: {error}"));
            }
        }
    }
    log(&format!("liquidator {me}: FAILED to liquidate {account}: {}", reasons.join("; ")));
    Attempt::Failed { account, reasons }
}

/// Writes off every debt of a bankrupt account, one `resolve_bad_debt` per debt
/// pool (each re-reads the account: the first sweeps the dust).
fn resolve_bad_debt(
    chain: &mut impl Chain,
    bot: &Liquidator,
    plan: &Planned,
    oracles: &HashMap<Pubkey, Pubkey>,
    log: &mut impl FnMut(&str),
) -> Vec<Attempt> {
    let me = bot.signer.pubkey();
    let account = plan.account;
    let mut attempts = Vec::new();
    let failed = |reason: String| Attempt::Failed { account, reasons: vec![reason] };
    for _ in 0..CROSS_POSITIONS {
        let data = match chain.account(&account) {
            Ok(Some(found)) => match accounts::margin_account(&found.data) {
                Ok(decoded) => decoded,
                Err(error) => return vec![failed(format!("undecodable account: {error}"))],
            },
            Ok(None) => return vec![failed("account gone".into())],
            Err(error) => {
                attempts.push(failed(error.to_string()));
                return attempts;
            }
        };
        let Some(debt) = data.active().iter().find(|p| p.borrow_shares > 0) else {
            if attempts.is_empty() {
                let reason = "no debt left: written off by someone else".to_string();
                log(&format!("liquidator {me}: {account}: {reason}"));
                attempts.push(Attempt::LostRace { account, reason });
            }
            return attempts;
        };
        let pool = Pubkey::new_from_array(debt.pool);
        let keys = match chain.account(&pool).map(|found| found.map(|a| accounts::pool(&a.data))) {
            Ok(Some(Ok(decoded))) => PoolKeys::from_pool(&pool, &decoded),
            Ok(_) => return vec![failed(format!("debt pool {pool} unreadable"))],
            Err(error) => {
                attempts.push(failed(error.to_string()));
                return attempts;
            }
        };
        let metas = sweep_account_metas(&data, |p| oracles.get(p).copied().unwrap_or_default());
        let ix = chain.program().resolve_bad_debt(&account, &keys, &metas);
        match send_fitting(chain, bot, &[ix], None, log) {
            Ok(sent) => {
                log(&format!("liquidator {me}: wrote off the bad debt of {account} in pool {pool}"));
                attempts.push(Attempt::BadDebtResolved { account, pool, sent });
            }
            Err(error) => {
                log(&format!("liquidator {me}: FAILED to write off {account}'s debt in pool {pool}: {error}"));
                attempts.push(failed(format!("resolve_bad_debt in pool {pool}: {error}")));
                return attempts;
            }
        }
    }
    attempts
}

/// Sends `instructions` paid by the bot, priced by its [`FeePolicy`]
/// ([`send_priced`]: the budget instructions come first; the fee stays within
/// `budget_lamports` when given): legacy when it fits the 1,232-byte packet,
/// otherwise v0 through the bot's lookup tables, first extended (or created)
/// with whatever addresses they lack.
pub fn send_fitting(
    chain: &mut impl Chain,
    bot: &Liquidator,
    instructions: &[Instruction],
    budget_lamports: Option<u64>,
    log: &mut impl FnMut(&str),
) -> Result<Sent, BotError> {
    let priced = budget::with_budget(budget::MAX_COMPUTE_UNIT_LIMIT, 0, instructions);
    let tables = if legacy_size(&bot.signer.pubkey(), &priced) <= PACKET_LIMIT {
        Vec::new()
    } else {
        tables_for(chain, bot, instructions, log)?
    };
    send_priced(chain, bot.signer, instructions, &tables, &bot.fees, budget_lamports)
}

/// The bot's lookup tables that hold the accounts of `instructions` (besides
/// signers and programs, which a v0 message keeps static), extending its tables
/// or creating new ones for the missing addresses and waiting until they are
/// usable.
fn tables_for(
    chain: &mut impl Chain,
    bot: &Liquidator,
    instructions: &[Instruction],
    log: &mut impl FnMut(&str),
) -> Result<Vec<AddressLookupTableAccount>, BotError> {
    let me = bot.signer.pubkey();
    let programs: Vec<Pubkey> = instructions.iter().map(|ix| ix.program_id).collect();
    let mut wanted: Vec<Pubkey> = Vec::new();
    for meta in instructions.iter().flat_map(|ix| &ix.accounts) {
        if !meta.is_signer && !programs.contains(&meta.pubkey) && !wanted.contains(&meta.pubkey) {
            wanted.push(meta.pubkey);
        }
    }
    let held = |tables: &[AddressLookupTableAccount], key: &Pubkey| tables.iter().any(|t| t.addresses.contains(key));
    let missing: Vec<Pubkey> = wanted.iter().filter(|k| !held(&bot.tables.borrow(), k)).copied().collect();
    let mut rest = missing.as_slice();
    let mut last_slot = None;
    while !rest.is_empty() {
        let candidates: Vec<(usize, Pubkey)> = bot
            .tables
            .borrow()
            .iter()
            .enumerate()
            .filter(|(_, t)| t.addresses.len() < LOOKUP_TABLE_CAPACITY)
            .map(|(i, t)| (i, t.key))
            .collect();
        let mut room = None;
        for (index, key) in candidates {
            if bot.table_is_ours(chain, &key)? {
                room = Some(index);
                break;
            }
        }
        let mut batch = Vec::new();
        let index = match room {
            Some(index) => index,
            None => {
                let (create, key) = create_lookup_table(&me, &me, chain.recent_slot()?);
                batch.push(create);
                log(&format!("liquidator {me}: creating lookup table {key} (reuse it with --lookup-table {key})"));
                let mut tables = bot.tables.borrow_mut();
                tables.push(AddressLookupTableAccount { key, addresses: Vec::new() });
                tables.len() - 1
            }
        };
        let (key, used) = {
            let tables = bot.tables.borrow();
            (tables[index].key, tables[index].addresses.len())
        };
        let take = rest.len().min(LOOKUP_TABLE_CAPACITY - used).min(LOOKUP_TABLE_EXTEND_CHUNK);
        let (chunk, tail) = rest.split_at(take);
        batch.push(extend_lookup_table(&key, &me, &me, chunk));
        if let Err(error) = send_priced(chain, bot.signer, &batch, &[], &bot.fees, None) {
            // Forget a table whose creation failed; an extension that failed added nothing.
            bot.tables.borrow_mut().retain(|t| t.key != key || !t.addresses.is_empty() || batch.len() == 1);
            return Err(error);
        }
        bot.tables.borrow_mut()[index].addresses.extend_from_slice(chunk);
        last_slot = Some(chain.slot()?);
        rest = tail;
    }
    if let Some(slot) = last_slot {
        chain.wait_past(slot)?;
    }
    let tables = bot.tables.borrow();
    Ok(tables.iter().filter(|t| t.addresses.iter().any(|a| wanted.contains(a))).cloned().collect())
}

/// Makes sure the bot's account can take collateral of `asset_pool`: when it
/// would open a new position while holding [`Liquidator::keep_positions`] or
/// more (16 at most: `PositionsFull`), withdraws its seized collateral first.
fn make_room(
    chain: &mut impl Chain,
    bot: &Liquidator,
    asset_pool: &Pubkey,
    log: &mut impl FnMut(&str),
) -> Result<(), BotError> {
    let Some(found) = chain.account(&bot.margin_account)? else { return Ok(()) };
    let account = accounts::margin_account(&found.data).map_err(|e| BotError::Decode(e.to_string()))?;
    let active = account.active();
    let limit = bot.keep_positions.clamp(1, CROSS_POSITIONS);
    if active.iter().any(|p| p.pool == asset_pool.to_bytes()) || active.len() < limit {
        return Ok(());
    }
    withdraw_seized(chain, bot, log).map(|_| ())
}

/// Withdraws every deposit of the liquidator's own account (its seized
/// collateral) to its wallet for the mint, else to its associated token account
/// (created if missing). Needs the account free of debt (withdrawals with debt
/// need health accounts); a pool that refuses (paused, no idle liquidity) is
/// logged and left. Returns `(pool, destination, units)` per withdrawal that landed.
pub fn withdraw_seized(
    chain: &mut impl Chain,
    bot: &Liquidator,
    log: &mut impl FnMut(&str),
) -> Result<Vec<(Pubkey, Pubkey, u64)>, BotError> {
    let me = bot.signer.pubkey();
    let Some(found) = chain.account(&bot.margin_account)? else { return Ok(Vec::new()) };
    let account = accounts::margin_account(&found.data).map_err(|e| BotError::Decode(e.to_string()))?;
    if account.active().iter().any(|p| p.borrow_shares > 0) {
        return Err(BotError::Refused(format!(
            "{} has debt: the bot only withdraws from a debt-free account",
            bot.margin_account
        )));
    }
    let mut withdrawn = Vec::new();
    for position in account.active().iter().filter(|p| p.deposit_shares > 0) {
        let pool_key = Pubkey::new_from_array(position.pool);
        let Some(pool_account) = chain.account(&pool_key)? else { continue };
        let pool = accounts::pool(&pool_account.data).map_err(|e| BotError::Decode(e.to_string()))?;
        let keys = PoolKeys::from_pool(&pool_key, &pool);
        let mut batch = Vec::new();
        let destination = match bot.wallets.get(&keys.mint) {
            Some(wallet) => *wallet,
            None => {
                let ata = associated_token_address(&me, &keys.mint, &keys.token_program);
                if chain.account(&ata)?.is_none() {
                    batch.push(create_associated_token_account_idempotent(&me, &me, &keys.mint, &keys.token_program));
                }
                ata
            }
        };
        let before = token_amount(chain, &destination)?;
        batch.push(chain.program().withdraw(&me, &bot.margin_account, &keys, &destination, WithdrawAmount::All));
        match send_fitting(chain, bot, &batch, None, log) {
            Ok(_) => {
                let units = token_amount(chain, &destination)?.saturating_sub(before);
                log(&format!("liquidator {me}: withdrew {units} units of seized collateral from pool {pool_key} to {destination}"));
                withdrawn.push((pool_key, destination, units));
            }
            Err(error) => {
                log(&format!("liquidator {me}: could not withdraw seized collateral from pool {pool_key}: {error}"))
            }
        }
    }
    Ok(withdrawn)
}

/// The associated token account program.
pub fn associated_token_program_id() -> Pubkey {
    solana_sdk::pubkey!("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
}

/// `owner`'s associated token account of `mint`.
pub fn associated_token_address(owner: &Pubkey, mint: &Pubkey, token_program: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[owner.as_ref(), token_program.as_ref(), mint.as_ref()],
        &associated_token_program_id(),
    )
    .0
}

/// `CreateIdempotent` of the associated token account program (instruction 1).
fn create_associated_token_account_idempotent(
    payer: &Pubkey,
    owner: &Pubkey,
    mint: &Pubkey,
    token_program: &Pubkey,
) -> Instruction {
    Instruction {
        program_id: associated_token_program_id(),
        accounts: vec![
            AccountMeta::new(*payer, true),
            AccountMeta::new(associated_token_address(owner, mint, token_program), false),
            AccountMeta::new_readonly(*owner, false),
            AccountMeta::new_readonly(*mint, false),
            AccountMeta::new_readonly(margin_client::system_program_id(), false),
            AccountMeta::new_readonly(*token_program, false),
        ],
        data: vec![1],
    }
}

/// Adds the pools and oracle accounts of the positions of `accounts` to
/// `fetched`, what a health cache loads from: every address not in it yet, read
/// in one batch ([`Chain::accounts`]). An address with no account stays out.
pub(crate) fn fetch_positions<'m>(
    chain: &mut impl Chain,
    accounts: impl IntoIterator<Item = &'m MarginAccountData>,
    oracle_of: impl Fn(&Pubkey) -> Pubkey,
    fetched: &mut HashMap<Pubkey, Account>,
) -> Result<(), BotError> {
    let (mut missing, mut queued) = (Vec::new(), HashSet::new());
    for account in accounts {
        for position in account.active() {
            let pool = Pubkey::new_from_array(position.pool);
            for address in [pool, oracle_of(&pool)] {
                if !fetched.contains_key(&address) && queued.insert(address) {
                    missing.push(address);
                }
            }
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let found = chain.accounts(&missing)?;
    fetched.extend(missing.into_iter().zip(found).filter_map(|(address, found)| Some((address, found?))));
    Ok(())
}

/// Balance of a token account (0 when it does not exist).
pub(crate) fn token_amount(chain: &mut impl Chain, account: &Pubkey) -> Result<u64, BotError> {
    let data = chain.account(account)?.map(|a| a.data).unwrap_or_default();
    Ok(data.get(64..72).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes"))).unwrap_or(0))
}

/// Whether `resolve_bad_debt` would accept the account now: every deposit in a
/// priced pool is readable and dust (pools without an oracle never counted), and
/// Equity is negative unless there is no such deposit at all (the debt alone
/// proves it). The caller knows the account has debt.
fn bad_debt_eligible(cache: &HealthCache, equity: i128, now: i64) -> bool {
    let mut dust = false;
    for cached in cache.positions.iter().filter(|p| p.position.deposit_shares > 0) {
        if cached.pool.config.oracle.kind == OracleKind::None as u8 {
            continue;
        }
        let Some(price) = cached.price else { return false };
        let mut pool = cached.pool;
        if pool.accrue(now).is_err() || !deposit_is_dust(&pool, cached.position.deposit_shares, &price).unwrap_or(false)
        {
            return false;
        }
        dust = true;
    }
    !dust || equity < 0
}

/// Every account with Maintenance health below zero, most underwater first, each
/// planned on every (debt, collateral) pair the bot can fund (its wallet balance
/// caps the repay), largest debt and largest collateral first, if the bonus
/// pays; and every bankrupt account (only dust left, negative Equity), for a
/// write-off.
pub fn find_liquidations(
    chain: &mut impl Chain,
    bot: &Liquidator,
    log: &mut impl FnMut(&str),
) -> Result<Vec<Planned>, BotError> {
    let now = chain.now()?;
    let snapshot = snapshot(chain)?;
    plan_liquidations(chain, bot, &snapshot.pools, &snapshot.margin_accounts, now, log)
}

/// [`find_liquidations`] over the given margin accounts only, with `pools` as the
/// market's pools (configs, share values) at cluster time `now`: what the
/// polling pass runs on a full snapshot and the streaming liquidator
/// ([`crate::stream`]) on the accounts its index flags, so both decide alike.
/// The accounts' pools and oracles are read afresh for their health, all in one
/// batch ([`Chain::accounts`]).
pub fn plan_liquidations(
    chain: &mut impl Chain,
    bot: &Liquidator,
    pools: &HashMap<Pubkey, Pool>,
    margin_accounts: &[(Pubkey, MarginAccountData)],
    now: i64,
    log: &mut impl FnMut(&str),
) -> Result<Vec<Planned>, BotError> {
    let oracle_of = |pool: &Pubkey| pools.get(pool).and_then(|p| bot.oracles.oracle_for(p)).unwrap_or_default();
    let mut fetched: HashMap<Pubkey, Account> = HashMap::new();
    let mut candidates = Vec::new();
    let mut bankrupt = Vec::new();
    let with_debt: Vec<&(Pubkey, MarginAccountData)> = margin_accounts
        .iter()
        .filter(|(key, account)| key != &bot.margin_account && account.active().iter().any(|p| p.borrow_shares > 0))
        .collect();
    fetch_positions(chain, with_debt.iter().map(|(_, account)| account), oracle_of, &mut fetched)?;
    for (key, account) in with_debt {
        // Eligibility as `liquidate` judges it: outages count zero on both sides.
        let Ok(cache) = chain.program().health_cache_with(account, &fetched, oracle_of, now, Unpriced::ZeroAll) else {
            continue;
        };
        let Ok(health) = cache.health() else { continue };
        if bad_debt_eligible(&cache, health.equity, now) {
            let oracles = cache.positions.iter().map(|p| (p.pool_key, oracle_of(&p.pool_key))).collect();
            bankrupt.push(Planned {
                account: *key,
                group: Pubkey::new_from_array(account.header.group),
                health_usd: to_usd(health.maintenance),
                action: Action::ResolveBadDebt { oracles },
            });
        } else if health.maintenance < 0 {
            candidates.push((*key, account.clone(), health, cache));
        }
    }
    candidates.sort_by_key(|(_, _, health, _)| health.maintenance);
    let sol_price = sol_usd(chain, bot, pools, now);

    let mut balances: HashMap<Pubkey, u64> = HashMap::new();
    let mut planned = Vec::new();
    for (key, account, health, cache) in candidates {
        // Debts and collaterals by value at settlement prices, largest first, from
        // the cache (the prices health used; outages are not settleable).
        // (pool, USD value, shares, share value projected to now, settlement unit price).
        let value_of = |cached: &CachedPosition, debt: bool| -> Option<(Pubkey, f64, u64, u128, u128)> {
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
            let usd = amount as f64 * unit as f64 / fixed::ONE as f64;
            Some((cached.pool_key, usd, shares, share_value, unit))
        };
        let ranked = |debt: bool| {
            let mut ranked: Vec<_> = cache
                .positions
                .iter()
                .filter(|p| if debt { p.position.borrow_shares > 0 } else { p.position.deposit_shares > 0 })
                .filter_map(|p| value_of(p, debt))
                .collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
            ranked
        };
        let (debts, collaterals) = (ranked(true), ranked(false));
        let metas = health_account_metas(account.active(), oracle_of);
        let mut choices = Vec::new();
        for &(liability, _, borrow_shares, borrow_share_value, liability_price) in &debts {
            let Some(&liability_pool) = pools.get(&liability) else { continue };
            let mint = Pubkey::new_from_array(liability_pool.mint);
            let Some(&source) = bot.wallets.get(&mint) else {
                log(&format!("liquidator: no wallet for mint {mint} (pool {liability}) to repay {key}'s debt"));
                continue;
            };
            // Capital-less: as much as the pool can lend; else the wallet's balance.
            let balance = if bot.router.is_some() {
                flash_borrowable(&liability_pool, now)
            } else {
                match balances.get(&source) {
                    Some(balance) => *balance,
                    None => {
                        let balance = token_amount(chain, &source)?;
                        balances.insert(source, balance);
                        balance
                    }
                }
            };
            if balance == 0 {
                log(&format!("liquidator: wallet {source} is empty; cannot repay {key}'s debt in pool {liability}"));
                continue;
            }
            for &(asset, _, deposit_shares, deposit_share_value, asset_price) in &collaterals {
                if asset == liability {
                    continue;
                }
                let Some(&asset_pool) = pools.get(&asset) else { continue };
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
                    max_repay: balance,
                    asset_confidence_bps: cache.confidence_bps(&asset),
                }) else {
                    continue;
                };
                let repaid_usd = sized.repay as f64 * liability_price as f64 / fixed::ONE as f64;
                let (asset_keys, liability_keys) =
                    (PoolKeys::from_pool(&asset, &asset_pool), PoolKeys::from_pool(&liability, &liability_pool));
                let seize = instructions::SeizeAccounts {
                    keeper: bot.signer.pubkey(),
                    keeper_margin: bot.margin_account,
                    account: key,
                    asset: &asset_keys,
                    liability: &liability_keys,
                    source,
                    account_health: &metas,
                    keeper_health: &[],
                };
                let liquidate = chain.program().liquidate(&seize, sized.repay);
                let (instructions, bonus_usd) = match bot.router {
                    None => (vec![liquidate], repaid_usd * sized.bonus_bps as f64 / 1e4),
                    Some(router) => {
                        let sold = fixed::mul_q64_floor(sized.liquidator_shares, deposit_share_value)
                            .and_then(|units| u64::try_from(units).ok())
                            .unwrap_or(0);
                        let flash = FlashSale {
                            liquidate,
                            seize: &seize,
                            repay: sized.repay,
                            borrow_share_value,
                            flash_fee_bps: liability_pool.config.flash_fee_bps,
                            sold,
                        };
                        match flash_liquidation(chain, bot, router, &flash, liability_price)? {
                            Ok(found) => found,
                            Err(why) => {
                                log(&format!("liquidator: {key} via pool {asset} / {liability}: {why}"));
                                continue;
                            }
                        }
                    }
                };
                if bonus_usd < bot.min_profit_usd {
                    log(&format!(
                        "liquidator: {key} via pool {asset} / {liability}: bonus ${bonus_usd:.2} below the minimum"
                    ));
                    continue;
                }
                let fee_budget_lamports = sol_price.map(|sol| {
                    let share = bonus_usd * bot.fees.max_bonus_share_bps as f64 / 1e4;
                    (share / sol * 1e9) as u64
                });
                choices.push(Choice {
                    fee_budget_lamports,
                    asset_pool: asset,
                    liability_pool: liability,
                    instructions,
                    repay: sized.repay,
                    repaid_usd,
                    bonus_usd,
                });
            }
        }
        if choices.is_empty() {
            log(&format!("liquidator: no pair of {key} the bot can fund at a profit; skipping"));
            continue;
        }
        planned.push(Planned {
            account: key,
            group: Pubkey::new_from_array(account.header.group),
            health_usd: to_usd(health.maintenance),
            action: Action::Liquidate(choices),
        });
    }
    planned.extend(bankrupt);
    Ok(planned)
}

/// Native units `pool` can lend now (deposits minus debt, interest projected).
/// Native units a flash loan can borrow from `pool` now: its idle liquidity
/// (deposits minus debt, interest projected) within its borrow cap, less the
/// flash fee the borrow also adds to the debt; 0 unless the pool is active.
fn flash_borrowable(pool: &Pool, now: i64) -> u64 {
    let mut projected = *pool;
    if projected.status() != PoolStatus::Active || projected.accrue(now).is_err() {
        return 0;
    }
    let debt = projected.total_debt().unwrap_or(u128::MAX);
    let idle = projected.total_deposits().unwrap_or(0).saturating_sub(debt);
    let under_cap = (projected.config.borrow_cap as u128).saturating_sub(debt);
    // borrowed + fee(borrowed) <= room: borrowed <= room x BPS / (BPS + fee).
    let room = idle.min(under_cap);
    let fee_bps = projected.config.flash_fee_bps as u128;
    let borrowable = room.saturating_mul(BPS as u128) / (BPS as u128 + fee_bps);
    u64::try_from(borrowable).unwrap_or(u64::MAX)
}

/// One capital-less liquidation before it is wrapped in a flash loan.
struct FlashSale<'a> {
    /// The `liquidate` instruction (repaying `repay`).
    liquidate: Instruction,
    /// Its accounts: the bot's account and token account, the pools.
    seize: &'a instructions::SeizeAccounts<'a>,
    /// Debt repaid, native units: what the flash loan borrows.
    repay: u64,
    /// The debt pool's borrow share value now (Q64.64).
    borrow_share_value: u128,
    /// The debt pool's fee on flash borrows (bps).
    flash_fee_bps: u16,
    /// Collateral the bot's share of the seizure withdraws to (native units).
    sold: u64,
}

/// The capital-less transaction: `flash_begin`, borrow the repay amount,
/// `liquidate`, withdraw the seized collateral, sell it through `router` for at
/// least the debt, repay all of it, `flash_end`; and its profit in USD. `Err`
/// with the reason when the pair can't be done that way (no wallet for the
/// collateral, no route, a sale that doesn't cover the debt).
fn flash_liquidation(
    chain: &mut impl Chain,
    bot: &Liquidator,
    router: &dyn Router,
    flash: &FlashSale,
    liability_price: u128,
) -> Result<Result<(Vec<Instruction>, f64), String>, BotError> {
    let me = bot.signer.pubkey();
    let (asset, liability) = (flash.seize.asset, flash.seize.liability);
    let Some(&collateral_wallet) = bot.wallets.get(&asset.mint) else {
        return Ok(Err(format!("no wallet for the collateral mint {}", asset.mint)));
    };
    let sale = Sale { from_mint: asset.mint, to_mint: liability.mint, amount_in: flash.sold };
    let Some(proceeds) = router.quote(chain, &sale)? else {
        return Ok(Err(format!("no route from {} to {}", asset.mint, liability.mint)));
    };
    // What `repay` all will cost: the borrow plus the pool's flash fee, in shares
    // rounded up, whose value rounds up again.
    let borrowed = margin_interface::flash::fee(flash.repay, flash.flash_fee_bps)
        .and_then(|fee| flash.repay.checked_add(fee))
        .unwrap_or(u64::MAX);
    let owed = fixed::div_q64_ceil(borrowed, flash.borrow_share_value)
        .and_then(|shares| fixed::mul_q64_ceil(shares, flash.borrow_share_value))
        .and_then(|owed| u64::try_from(owed).ok())
        .unwrap_or(u64::MAX);
    if proceeds <= owed {
        return Ok(Err(format!("the sale pays {proceeds} units, not more than the {owed} owed")));
    }
    let debt_wallet = flash.seize.source;
    let margin = bot.margin_account;
    // The sale must pay at least the quote less the slippage allowed, and never
    // less than the debt.
    let slippage = (proceeds as u128 * bot.max_slippage_bps as u128).div_ceil(BPS as u128) as u64;
    let min_out = proceeds.saturating_sub(slippage).max(owed.saturating_add(1));
    let swap = router.swap(&me, &sale, &collateral_wallet, &debt_wallet, min_out);
    let program = chain.program();
    if let Err(why) = check_route(bot, router, &program.id, &swap, &collateral_wallet, &debt_wallet) {
        return Ok(Err(why));
    }
    let mut steps = vec![program.borrow(&me, &margin, liability, &debt_wallet, flash.repay, &[])];
    steps.push(flash.liquidate.clone());
    // Exactly what this liquidation seizes (the bot's account holds no other
    // deposit in the pool: `clear_for_flash`): if a lost race seizes less, the
    // withdrawal fails and so does the transaction, instead of the sale taking
    // collateral the bot already owned.
    steps.push(program.withdraw(&me, &margin, asset, &collateral_wallet, WithdrawAmount::Exact(flash.sold)));
    steps.extend(swap);
    steps.push(program.repay(&me, &margin, liability, &debt_wallet, instructions::RepayAmount::All));
    let profit_usd = (proceeds - owed) as f64 * liability_price as f64 / fixed::ONE as f64;
    // The bot's account ends free of debt: flash_end checks nothing, needs no health accounts.
    // Sent after the two budget instructions (`send_priced`).
    Ok(Ok((program.flash_wrap(&me, &margin, BUDGET_INSTRUCTIONS, steps, &[]), profit_usd)))
}

/// A router's swap instructions run under the bot's signature: each must call a
/// program the router declares ([`Router::programs`]), never the margin, token,
/// token-2022 or system program directly (no transfer, approval or withdrawal
/// of the bot's own), and name none of the bot's accounts but the sale's source
/// and destination.
fn check_route(
    bot: &Liquidator,
    router: &dyn Router,
    margin_program: &Pubkey,
    swap: &[Instruction],
    source: &Pubkey,
    destination: &Pubkey,
) -> Result<(), String> {
    if swap.is_empty() {
        return Err("the router returned no swap".into());
    }
    let allowed = router.programs();
    let forbidden = [
        *margin_program,
        margin_client::spl_token_id(),
        margin_client::token_2022_id(),
        margin_client::system_program_id(),
    ];
    for ix in swap {
        if forbidden.contains(&ix.program_id) || !allowed.contains(&ix.program_id) {
            return Err(format!(
                "the router's swap calls program {}, which it does not declare or may not call",
                ix.program_id
            ));
        }
        let other_wallet = ix.accounts.iter().find(|meta| {
            meta.pubkey == bot.margin_account
                || (meta.pubkey != *source
                    && meta.pubkey != *destination
                    && bot.wallets.values().any(|wallet| *wallet == meta.pubkey))
        });
        if let Some(meta) = other_wallet {
            return Err(format!("the router's swap names the bot's account {}", meta.pubkey));
        }
    }
    Ok(())
}

/// Before a capital-less liquidation through `asset` and `liability`: the bot's
/// account must hold no deposit in either (a flash borrow refuses a pool the
/// account lends to, and the sale withdraws exactly what was seized), so any
/// deposit it holds is withdrawn first (`withdraw_seized`).
fn clear_for_flash(
    chain: &mut impl Chain,
    bot: &Liquidator,
    pools: [&Pubkey; 2],
    log: &mut impl FnMut(&str),
) -> Result<(), BotError> {
    let Some(found) = chain.account(&bot.margin_account)? else { return Ok(()) };
    let account = accounts::margin_account(&found.data).map_err(|e| BotError::Decode(e.to_string()))?;
    let holds =
        account.active().iter().any(|p| p.deposit_shares > 0 && pools.iter().any(|pool| p.pool == pool.to_bytes()));
    if holds {
        log(&format!("liquidator {}: withdrawing its deposits before a flash liquidation", bot.signer.pubkey()));
        withdraw_seized(chain, bot, log)?;
    }
    Ok(())
}

/// How the bots price a transaction: a compute-unit limit from simulation plus
/// `margin_pct`, and a priority fee.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeePolicy {
    /// Added to the simulated units (percent).
    pub margin_pct: u64,
    /// The compute-unit price to bid.
    pub price: PriorityFee,
    /// A liquidation bids at most this share (bps) of its expected bonus in
    /// fees (when the bot can value SOL: a pool of wrapped SOL with a price).
    pub max_bonus_share_bps: u64,
}

/// The compute-unit price (micro-lamports per CU) a bot bids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriorityFee {
    /// Always this price (`--priority-fee`).
    Fixed(u64),
    /// This percentile (0..=100) of the recent fees paid by transactions that
    /// locked the same writable accounts (`getRecentPrioritizationFees`).
    Percentile(u8),
}

impl Default for FeePolicy {
    /// 10% over the simulated units, the 75th percentile of recent fees, at most
    /// a fifth of a liquidation's bonus.
    fn default() -> Self {
        Self { margin_pct: 10, price: PriorityFee::Percentile(75), max_bonus_share_bps: 2_000 }
    }
}

/// Sends `body` after the two budget instructions (placeholders first:
/// simulation, then the limit from its units and the policy's price, capped so
/// the fee stays within `budget_lamports`). Every bot transaction goes out this
/// way, so flash sequences in `body` are built for index [`BUDGET_INSTRUCTIONS`].
pub fn send_priced(
    chain: &mut impl Chain,
    signer: &Keypair,
    body: &[Instruction],
    tables: &[AddressLookupTableAccount],
    fees: &FeePolicy,
    budget_lamports: Option<u64>,
) -> Result<Sent, BotError> {
    let probe = budget::with_budget(budget::MAX_COMPUTE_UNIT_LIMIT, 0, body);
    let units = chain.simulate_units(&probe, signer, tables)?;
    let limit = budget::limit_from_simulation(units, fees.margin_pct);
    let mut price = match fees.price {
        PriorityFee::Fixed(price) => price,
        PriorityFee::Percentile(percentile) => {
            let mut writable: Vec<Pubkey> =
                body.iter().flat_map(|ix| ix.accounts.iter().filter(|m| m.is_writable).map(|m| m.pubkey)).collect();
            writable.sort();
            writable.dedup();
            // The RPC method takes at most 128 addresses.
            writable.truncate(128);
            budget::percentile_fee(&chain.recent_fees(&writable)?, percentile)
        }
    };
    if let Some(lamports) = budget_lamports {
        price = price.min(budget::price_within(lamports, limit));
    }
    chain.send(&budget::with_budget(limit, price, body), signer, tables).map_err(|error| match error {
        BotError::Rejected { error, margin } => {
            BotError::Rejected { error: format!("{error} (simulated {units} CU, limit {limit})"), margin }
        }
        other => other,
    })
}

/// USD per whole SOL, from a pool of wrapped SOL (the native mint) and its
/// oracle, when the market has one: what converts a bonus into lamports.
fn sol_usd(chain: &mut impl Chain, bot: &Liquidator, pools: &HashMap<Pubkey, Pool>, now: i64) -> Option<f64> {
    const NATIVE_MINT: Pubkey = solana_sdk::pubkey!("So11111111111111111111111111111111111111112");
    let pool = pools.values().find(|pool| pool.mint == NATIVE_MINT.to_bytes())?;
    let oracle_key = bot.oracles.oracle_for(pool)?;
    let oracle = chain.account(&oracle_key).ok()??;
    let price = margin_client::health::pool_price(pool, &oracle_key, &oracle, now).ok()?;
    Some(price.price as f64 * 10f64.powi(price.expo))
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};
    use solana_rpc_client_types::request::RpcRequest;

    use super::*;

    /// A `getMultipleAccounts` answer: accounts with `lamports` as given, `None`
    /// for a missing one.
    fn answer(lamports: impl Iterator<Item = Option<u64>>) -> Value {
        let owner = Pubkey::new_unique().to_string();
        let value: Vec<Value> = lamports
            .map(|lamports| match lamports {
                Some(lamports) => json!({
                    "lamports": lamports, "data": ["", "base64"], "owner": owner,
                    "executable": false, "rentEpoch": 0, "space": 0,
                }),
                None => Value::Null,
            })
            .collect();
        json!({ "context": { "slot": 1 }, "value": value })
    }

    fn mock_rpc(answers: Vec<Value>) -> Rpc {
        let mocks = answers.into_iter().map(|answer| (RpcRequest::GetMultipleAccounts, answer)).collect();
        Rpc { client: RpcClient::new_mock_with_mocks_map("succeeds", mocks), program: MarginProgram::default() }
    }

    /// Account `i` of the test: `i` lamports, none for every seventh.
    fn lamports_of(i: usize) -> Option<u64> {
        (!i.is_multiple_of(7)).then_some(i as u64)
    }

    /// 250 keys go out as three requests of 100, 100 and 50 keys (the mock answers
    /// exactly those three, in turn; a fourth request or another split would get
    /// answers of the wrong length), and come back in the keys' order.
    #[test]
    fn rpc_accounts_reads_at_most_100_keys_per_request_in_order() {
        assert_eq!(ACCOUNTS_PER_REQUEST, 100);
        let answers = [0..100, 100..200, 200..250].map(|range| answer(range.map(lamports_of))).to_vec();
        let keys: Vec<Pubkey> = (0..250).map(|_| Pubkey::new_unique()).collect();
        let found = mock_rpc(answers).accounts(&keys).expect("three requests");
        let lamports: Vec<Option<u64>> = found.iter().map(|account| account.as_ref().map(|a| a.lamports)).collect();
        assert_eq!(lamports, (0..250).map(lamports_of).collect::<Vec<_>>());
        assert_eq!(lamports.iter().filter(|found| found.is_none()).count(), 36, "every seventh of 250 is missing");
    }

    /// An answer of another length cannot be matched to the keys: an error, not
    /// accounts on the wrong keys.
    #[test]
    fn rpc_accounts_refuses_an_answer_of_the_wrong_length() {
        let keys: Vec<Pubkey> = (0..100).map(|_| Pubkey::new_unique()).collect();
        let error = mock_rpc(vec![answer((0..99).map(lamports_of))]).accounts(&keys).unwrap_err();
        assert_eq!(error.to_string(), "RPC failure: getMultipleAccounts answered 99 accounts for 100 keys");
        // One key goes through the same request and the same check.
        let mut rpc = mock_rpc(vec![answer([Some(5)].into_iter())]);
        assert_eq!(rpc.account(&keys[0]).unwrap().map(|a| a.lamports), Some(5));
    }
}
