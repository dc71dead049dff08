//! The embedded SVM: solana-program-test running the real `target/deploy/margin.so`
//! (never a native build of the program), behind a synchronous API. The demo, the
//! bots' offline mode and every integration test use it.

use std::{collections::HashSet, path::PathBuf};

use solana_program_test::{ProgramTest, ProgramTestContext};
use solana_sdk::{
    account::{Account, AccountSharedData},
    clock::Clock,
    instruction::Instruction,
    program_pack::Pack,
    pubkey::Pubkey,
    signature::{Keypair, Signature, Signer},
    transaction::{Transaction, TransactionError},
};
use spl_token_interface::state::{Account as TokenAccount, AccountState, Mint};

use margin_client::{
    program_id,
    transaction::{locked_accounts, serialized_size, tables_used, PACKET_LIMIT},
};

use crate::features::FeatureSet;

/// A transaction that landed.
#[derive(Clone, Debug)]
pub struct Landed {
    /// Compute units the runtime charged for the whole transaction.
    pub compute_units: u64,
    /// Program logs.
    pub logs: Vec<String>,
    /// Return data of the last instruction that set any.
    pub return_data: Vec<u8>,
    /// Serialized size of the transaction, bytes.
    pub size: usize,
    /// Whether it was a legacy transaction (otherwise v0).
    pub legacy: bool,
    /// The address lookup tables it read (v0 only).
    pub lookup_tables: Vec<Pubkey>,
}

/// Why a cluster would refuse a transaction before running it: checks the
/// embedded runtime does not make on its own (the packet size is the RPC's and
/// the TPU's) or that the suite wants named (the lock count).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Serialized transaction longer than [`PACKET_LIMIT`] (1,232 bytes): every
    /// RPC's `sendTransaction` answers "too large" and the TPU drops it.
    PacketTooLarge {
        /// Serialized size, bytes.
        size: usize,
    },
    /// More accounts (static keys plus lookup-table loads) than the cluster's
    /// lock limit: 64 under mainnet-beta's features.
    TooManyAccountLocks {
        /// Accounts the transaction locks.
        accounts: usize,
        /// The limit in force.
        limit: usize,
    },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::PacketTooLarge { size } => {
                write!(f, "transaction too large: {size} bytes (max {PACKET_LIMIT}); use v0 with lookup tables")
            }
            Self::TooManyAccountLocks { accounts, limit } => {
                write!(f, "too many account locks: {accounts} (max {limit})")
            }
        }
    }
}

/// A transaction that failed, with what the runtime said.
#[derive(Clone, Debug)]
pub struct Failed {
    /// What the runtime returned: for a [`Refusal`], `SanitizeFailure` (packet
    /// size: a cluster answers with an RPC error, not a transaction error) or
    /// `TooManyAccountLocks`.
    pub error: TransactionError,
    /// Program logs.
    pub logs: Vec<String>,
    /// Set when the transaction was refused before it ran.
    pub refusal: Option<Refusal>,
}

impl Failed {
    /// The program's own error, when it returned one.
    pub fn margin_error(&self) -> Option<margin_interface::error::MarginError> {
        margin_client::errors::margin_error(&self.error)
    }
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.refusal, self.margin_error()) {
            (Some(refusal), _) => write!(f, "{refusal}"),
            (None, Some(error)) => write!(f, "{error:?}: {}", error.message()),
            (None, None) => write!(f, "{:?}", self.error),
        }
    }
}

impl std::error::Error for Failed {}

/// Finds the directory holding `margin.so`: `$MARGIN_SO_DIR`, else
/// `target/deploy` of this workspace (built by `scripts/build-sbf.sh`).
pub fn program_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("MARGIN_SO_DIR") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("target").join("deploy")
}

/// The embedded SVM with the margin program loaded.
pub struct Svm {
    runtime: tokio::runtime::Runtime,
    context: ProgramTestContext,
    now: i64,
    seen: HashSet<Signature>,
    /// Every account address a transaction has named (the embedded SVM has no
    /// `getProgramAccounts`; bots enumerate these instead).
    known: std::collections::BTreeSet<Pubkey>,
    /// Accounts one transaction may lock under the SVM's features.
    lock_limit: usize,
}

impl Svm {
    /// Starts a fresh SVM with `margin.so` loaded at [`program_id`], under the
    /// features of [`FeatureSet::from_env`] (mainnet-beta's unless
    /// `MARGIN_FEATURES=all`).
    ///
    /// Panics with a clear message when the `.so` has not been built.
    pub fn new() -> Self {
        Self::with_features(FeatureSet::from_env())
    }

    /// Starts a fresh SVM under the runtime features of `features`.
    pub fn with_features(features: FeatureSet) -> Self {
        Self::with_programs(features, &[program_id()])
    }

    /// Starts a fresh SVM with `margin.so` loaded at `id` instead of the declared
    /// program id (a deployment of one's own: build its instructions with
    /// `margin_client::MarginProgram { id }`), under [`FeatureSet::from_env`].
    pub fn with_program_id(id: Pubkey) -> Self {
        Self::with_programs(FeatureSet::from_env(), &[id])
    }

    /// Starts a fresh SVM under `features` with `margin.so` loaded at each of
    /// `ids` (independent deployments of the same program).
    pub fn with_programs(features: FeatureSet, ids: &[Pubkey]) -> Self {
        let dir = program_dir();
        assert!(
            dir.join("margin.so").exists(),
            "{}/margin.so not found: run scripts/build-sbf.sh first (or set MARGIN_SO_DIR)",
            dir.display()
        );
        // Once per process, and every other caller waits for it: with many tests
        // starting SVMs on parallel threads, no thread reads the environment
        // while another writes it.
        static ENVIRONMENT: std::sync::Once = std::sync::Once::new();
        ENVIRONMENT.call_once(|| {
            std::env::set_var("SBF_OUT_DIR", &dir);
            if std::env::var_os("RUST_LOG").is_none() {
                // program-test logs every instruction at debug level otherwise.
                std::env::set_var("RUST_LOG", "error");
            }
        });
        let mut program_test = ProgramTest::default();
        program_test.prefer_bpf(true);
        for feature in features.inactive() {
            program_test.deactivate_feature(feature);
        }
        for id in ids {
            program_test.add_program("margin", *id, None);
        }
        // The swap fixture, when built (scripts/build-sbf.sh builds both).
        if dir.join("swap.so").exists() {
            program_test.add_program("swap", crate::swap::SWAP_PROGRAM_ID, None);
        }
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
        let context = runtime.block_on(program_test.start_with_context());
        let clock: Clock = runtime.block_on(context.banks_client.get_sysvar()).expect("clock sysvar");
        Self {
            runtime,
            context,
            now: clock.unix_timestamp,
            seen: HashSet::new(),
            known: Default::default(),
            lock_limit: features.account_lock_limit(),
        }
    }

    /// The funded fee payer.
    pub fn payer(&self) -> &Keypair {
        &self.context.payer
    }

    /// Accounts one transaction may lock here (64 under mainnet-beta's features).
    pub fn account_lock_limit(&self) -> usize {
        self.lock_limit
    }

    /// Current slot.
    pub fn slot(&mut self) -> u64 {
        let clock: Clock = self.runtime.block_on(self.context.banks_client.get_sysvar()).expect("clock sysvar");
        clock.slot
    }

    /// Moves one slot on, clock time unchanged (what waiting for a lookup table
    /// extension to become usable takes).
    pub fn advance_slot(&mut self) {
        self.next_slot();
    }

    /// Current unix time of the SVM's clock.
    pub fn now(&self) -> i64 {
        self.now
    }

    /// Moves the clock to `unix_timestamp` (and one slot on).
    pub fn set_time(&mut self, unix_timestamp: i64) {
        self.now = unix_timestamp;
        self.next_slot();
    }

    /// Moves the clock forward by `seconds`.
    pub fn advance_time(&mut self, seconds: i64) {
        self.set_time(self.now + seconds);
    }

    fn next_slot(&mut self) {
        let clock: Clock = self.runtime.block_on(self.context.banks_client.get_sysvar()).expect("clock sysvar");
        let slot = clock.slot + 1;
        self.context.warp_to_slot(slot).expect("warp");
        self.context.set_sysvar(&Clock { slot, unix_timestamp: self.now, ..clock });
        self.context.last_blockhash =
            self.runtime.block_on(self.context.banks_client.get_latest_blockhash()).expect("blockhash");
    }

    /// Sends one transaction paid by the payer and signed by `signers` too.
    pub fn process(&mut self, instructions: &[Instruction], signers: &[&Keypair]) -> Result<Landed, Failed> {
        let payer = self.context.payer.insecure_clone();
        let mut tx = Transaction::new_with_payer(instructions, Some(&payer.pubkey()));
        self.known.extend(tx.message.account_keys.iter().copied());
        // Sign with the payer and whichever given keys the message requires.
        let required = &tx.message.account_keys[..tx.message.header.num_required_signatures as usize];
        let mut all: Vec<&Keypair> = vec![&payer];
        all.extend(signers.iter().copied().filter(|k| k.pubkey() != payer.pubkey() && required.contains(&k.pubkey())));
        tx.sign(&all, self.context.last_blockhash);
        if !self.seen.insert(tx.signatures[0]) {
            // Same bytes as an earlier transaction: move to a new blockhash.
            self.next_slot();
            tx.sign(&all, self.context.last_blockhash);
            self.seen.insert(tx.signatures[0]);
        }
        self.submit(tx)
    }

    /// Sends `instructions` as a cluster client would: `payer` pays and signs,
    /// legacy when it fits the packet, otherwise v0 through `tables`
    /// ([`margin_client::transaction::assemble`]). Tables must have been extended
    /// in an earlier slot.
    pub fn send_as(
        &mut self,
        payer: &Keypair,
        instructions: &[Instruction],
        signers: &[&Keypair],
        tables: &[solana_sdk::message::AddressLookupTableAccount],
    ) -> Result<Landed, Failed> {
        let signers: Vec<&dyn solana_sdk::signer::Signer> = signers.iter().map(|k| *k as _).collect();
        let mut blockhash = self.context.last_blockhash;
        let mut tx =
            margin_client::transaction::assemble(payer, instructions, &signers, tables, blockhash).map_err(|e| {
                Failed { error: TransactionError::SanitizeFailure, logs: vec![e.to_string()], refusal: None }
            })?;
        if self.seen.contains(&tx.signatures[0]) {
            // Same bytes as an earlier transaction: move to a new blockhash.
            self.next_slot();
            blockhash = self.context.last_blockhash;
            tx = margin_client::transaction::assemble(payer, instructions, &signers, tables, blockhash).map_err(
                |e| Failed { error: TransactionError::SanitizeFailure, logs: vec![e.to_string()], refusal: None },
            )?;
        }
        self.seen.insert(tx.signatures[0]);
        self.submit(tx)
    }

    /// Simulates what [`Svm::send_as`] would send (nothing is committed):
    /// the compute units it would consume, or how it would fail.
    pub fn simulate_as(
        &mut self,
        payer: &Keypair,
        instructions: &[Instruction],
        signers: &[&Keypair],
        tables: &[solana_sdk::message::AddressLookupTableAccount],
    ) -> Result<u64, Failed> {
        let signers: Vec<&dyn solana_sdk::signer::Signer> = signers.iter().map(|k| *k as _).collect();
        let tx =
            margin_client::transaction::assemble(payer, instructions, &signers, tables, self.context.last_blockhash)
                .map_err(|e| Failed {
                    error: TransactionError::SanitizeFailure,
                    logs: vec![e.to_string()],
                    refusal: None,
                })?;
        let simulated =
            self.runtime.block_on(self.context.banks_client.simulate_transaction(tx)).expect("banks client transport");
        let (units, logs) = simulated.simulation_details.map(|d| (d.units_consumed, d.logs)).unwrap_or_default();
        match simulated.result {
            Some(Ok(())) => Ok(units),
            Some(Err(error)) => Err(Failed { error, logs, refusal: None }),
            None => Err(Failed { error: TransactionError::SanitizeFailure, logs, refusal: None }),
        }
    }

    /// Runs a signed transaction and reports what the runtime said. Refuses, as a
    /// cluster does before running anything, a transaction over the packet size
    /// or the account-lock limit.
    fn submit(&mut self, tx: impl Into<solana_sdk::transaction::VersionedTransaction>) -> Result<Landed, Failed> {
        let tx = tx.into();
        let size = serialized_size(&tx);
        let accounts = locked_accounts(&tx);
        let refused = |error, refusal| Err(Failed { error, logs: Vec::new(), refusal: Some(refusal) });
        if size > PACKET_LIMIT {
            return refused(TransactionError::SanitizeFailure, Refusal::PacketTooLarge { size });
        }
        if accounts > self.lock_limit {
            let refusal = Refusal::TooManyAccountLocks { accounts, limit: self.lock_limit };
            return refused(TransactionError::TooManyAccountLocks, refusal);
        }
        let legacy = matches!(tx.message, solana_sdk::message::VersionedMessage::Legacy(_));
        let lookup_tables = tables_used(&tx);
        self.known.extend(tx.message.static_account_keys().iter().copied());
        self.known.extend(lookup_tables.iter().copied());
        let outcome = self
            .runtime
            .block_on(self.context.banks_client.process_transaction_with_metadata(tx))
            .expect("banks client transport");
        let (compute_units, logs, return_data) = outcome
            .metadata
            .map(|m| (m.compute_units_consumed, m.log_messages, m.return_data.map(|r| r.data).unwrap_or_default()))
            .unwrap_or_default();
        match outcome.result {
            Ok(()) => Ok(Landed { compute_units, logs, return_data, size, legacy, lookup_tables }),
            Err(error) => Err(Failed { error, logs, refusal: None }),
        }
    }

    /// Accounts owned by `owner` among every address transactions have named.
    pub fn program_accounts(&mut self, owner: &Pubkey) -> Vec<(Pubkey, Account)> {
        let keys: Vec<Pubkey> = self.known.iter().copied().collect();
        keys.into_iter().filter_map(|k| self.account(&k).filter(|a| &a.owner == owner).map(|a| (k, a))).collect()
    }

    /// Sends a transaction that may use address lookup tables (assembled by
    /// [`margin_client::transaction::assemble`]: legacy when it fits, v0 otherwise).
    pub fn process_with_tables(
        &mut self,
        instructions: &[Instruction],
        signers: &[&Keypair],
        tables: &[solana_sdk::message::AddressLookupTableAccount],
    ) -> Result<(Landed, usize), Failed> {
        let payer = self.context.payer.insecure_clone();
        self.next_slot(); // tables are usable from the slot after they were extended
        let signers: Vec<&dyn solana_sdk::signer::Signer> = signers.iter().map(|k| *k as _).collect();
        let tx =
            margin_client::transaction::assemble(&payer, instructions, &signers, tables, self.context.last_blockhash)
                .map_err(|e| Failed {
                error: TransactionError::SanitizeFailure,
                logs: vec![e.to_string()],
                refusal: None,
            })?;
        self.submit(tx).map(|landed| {
            let size = landed.size;
            (landed, size)
        })
    }

    /// Fetches an account.
    pub fn account(&mut self, address: &Pubkey) -> Option<Account> {
        self.runtime.block_on(self.context.banks_client.get_account(*address)).expect("banks client transport")
    }

    /// Account data, or empty when the account does not exist.
    pub fn data(&mut self, address: &Pubkey) -> Vec<u8> {
        self.account(address).map(|a| a.data).unwrap_or_default()
    }

    /// Writes an account directly (test and demo setup only).
    pub fn set_account(&mut self, address: &Pubkey, account: Account) {
        self.context.set_account(address, &AccountSharedData::from(account));
    }

    /// A new keypair holding `lamports`.
    pub fn create_user(&mut self, lamports: u64) -> Keypair {
        self.fund(Keypair::new(), lamports)
    }

    /// `user` as a system account holding `lamports` (fixed keys make addresses,
    /// and so PDA bumps and their compute units, reproducible).
    pub fn fund(&mut self, user: Keypair, lamports: u64) -> Keypair {
        self.set_account(
            &user.pubkey(),
            Account { lamports, owner: margin_client::system_program_id(), ..Account::default() },
        );
        user
    }

    /// A new initialized mint of `token_program` (SPL Token or Token-2022).
    pub fn create_mint(&mut self, decimals: u8, token_program: &Pubkey) -> Pubkey {
        self.create_mint_at(Pubkey::new_unique(), decimals, token_program)
    }

    /// An initialized mint of `token_program` at `mint`.
    pub fn create_mint_at(&mut self, mint: Pubkey, decimals: u8, token_program: &Pubkey) -> Pubkey {
        let state = Mint {
            mint_authority: Some(self.context.payer.pubkey()).into(),
            supply: u64::MAX / 2,
            decimals,
            is_initialized: true,
            freeze_authority: None.into(),
        };
        let mut data = vec![0; Mint::LEN];
        state.pack_into_slice(&mut data);
        self.set_account(&mint, Account { lamports: 1_000_000_000, data, owner: *token_program, ..Account::default() });
        mint
    }

    /// A new token account of `mint` owned by `owner` holding `amount`.
    pub fn create_token_account(
        &mut self,
        mint: &Pubkey,
        owner: &Pubkey,
        amount: u64,
        token_program: &Pubkey,
    ) -> Pubkey {
        let address = Pubkey::new_unique();
        self.set_token_account(&address, mint, owner, amount, token_program);
        address
    }

    /// Writes a token account with the given balance (setup only).
    pub fn set_token_account(
        &mut self,
        address: &Pubkey,
        mint: &Pubkey,
        owner: &Pubkey,
        amount: u64,
        token_program: &Pubkey,
    ) {
        let state = TokenAccount {
            mint: *mint,
            owner: *owner,
            amount,
            state: AccountState::Initialized,
            ..TokenAccount::default()
        };
        let mut data = vec![0; TokenAccount::LEN];
        state.pack_into_slice(&mut data);
        self.set_account(address, Account { lamports: 2_039_280, data, owner: *token_program, ..Account::default() });
    }

    /// Token balance of a token account (0 when it does not exist).
    pub fn token_balance(&mut self, address: &Pubkey) -> u64 {
        let data = self.data(address);
        if data.len() < 72 {
            return 0;
        }
        u64::from_le_bytes(data[64..72].try_into().expect("8 bytes"))
    }
}

impl Default for Svm {
    fn default() -> Self {
        Self::new()
    }
}
