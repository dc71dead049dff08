//! Shared fixture for the integration tests: an embedded SVM running the real
//! `margin.so`, a group with its admin, and helpers for pools, users and the
//! "a failed instruction changes nothing" check.

pub mod bench;

use margin_client::{
    accounts::{self, MarginAccountData},
    config::default_pool_config,
    instructions::{self, OpenKind},
    pda::{self, PoolKeys},
    spl_token_id,
    svm::{Failed, Landed, Svm},
};
use margin_interface::{
    error::MarginError,
    state::{Group, Pool, PoolConfig},
};
use solana_sdk::{
    account::Account,
    instruction::Instruction,
    pubkey::Pubkey,
    signature::{Keypair, Signer},
};

pub use margin_client;
pub use margin_interface;

/// A group on a fresh SVM.
pub struct Env {
    pub svm: Svm,
    pub admin: Keypair,
    pub group: Pubkey,
    /// Owner of fee token accounts.
    pub fee_owner: Keypair,
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
        Self { svm, admin, group, fee_owner }
    }

    /// Creates an SPL Token mint with `decimals` and its pool with `config`.
    pub fn add_pool_with(&mut self, decimals: u8, config: PoolConfig) -> PoolKeys {
        let mint = self.svm.create_mint(decimals, &spl_token_id());
        let keys = PoolKeys::derive(&self.group, &mint, &spl_token_id());
        let ix = instructions::create_pool(&self.svm.payer().pubkey(), &self.admin.pubkey(), &keys, config);
        let admin = self.admin.insecure_clone();
        self.svm.process(&[ix], &[&admin]).expect("create_pool");
        keys
    }

    /// A pool with the default configuration.
    pub fn add_pool(&mut self, decimals: u8) -> PoolKeys {
        self.add_pool_with(decimals, default_pool_config())
    }

    /// A funded wallet.
    pub fn user(&mut self) -> Keypair {
        self.svm.create_user(10_000_000_000)
    }

    /// A token account of the pool's mint owned by `owner` with `amount`.
    pub fn token_account(&mut self, keys: &PoolKeys, owner: &Pubkey, amount: u64) -> Pubkey {
        self.svm.create_token_account(&keys.mint, owner, amount, &keys.token_program)
    }

    /// Opens a cross account for `owner` at `index`.
    pub fn open_cross(&mut self, owner: &Keypair, index: u16) -> Pubkey {
        let ix = instructions::open_margin_account(&self.svm.payer().pubkey(), &owner.pubkey(), &self.group, index, OpenKind::Cross);
        self.svm.process(&[ix], &[owner]).expect("open cross");
        pda::margin_account(&self.group, &owner.pubkey(), index)
    }

    /// Opens an isolated account for `owner` at `index`.
    pub fn open_isolated(&mut self, owner: &Keypair, index: u16, collateral: &PoolKeys, debt: &PoolKeys) -> Pubkey {
        let kind = OpenKind::Isolated { collateral_pool: collateral.pool, debt_pool: debt.pool };
        let ix = instructions::open_margin_account(&self.svm.payer().pubkey(), &owner.pubkey(), &self.group, index, kind);
        self.svm.process(&[ix], &[owner]).expect("open isolated");
        pda::margin_account(&self.group, &owner.pubkey(), index)
    }

    /// Deposits through the program.
    pub fn deposit(&mut self, owner: &Keypair, margin: &Pubkey, keys: &PoolKeys, source: &Pubkey, amount: u64) -> Result<Landed, Failed> {
        let ix = instructions::deposit(&owner.pubkey(), margin, keys, source, amount);
        self.svm.process(&[ix], &[owner])
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
    pub fn expect_error(&mut self, instructions: &[Instruction], signers: &[&Keypair], expected: MarginError, watched: &[Pubkey]) {
        let before = self.snapshot(watched);
        let failure = self.svm.process(instructions, signers).expect_err("instruction should fail");
        assert_eq!(failure.margin_error(), Some(expected), "wrong error: {failure:?}");
        let after = self.snapshot(watched);
        for ((key, b), a) in watched.iter().zip(&before).zip(&after) {
            assert_eq!(b, a, "account {key} changed by a failed instruction");
        }
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
        accounts: vec![solana_sdk::instruction::AccountMeta::new(*from, true), solana_sdk::instruction::AccountMeta::new(*to, false)],
        data,
    }
}
