//! The streaming liquidator: the polling bot's decisions ([`plan_liquidations`],
//! [`execute`]) driven by websocket notifications instead of a rescan per pass.
//!
//! A polling pass reads every pool and margin account (`getProgramAccounts`) and
//! every position's oracle, so its cost grows with the market and a price move is
//! seen one interval late. Here one full load fills a [`LiquidatorIndex`], and
//! then only what changed travels:
//!
//! - `programSubscribe` on the margin program, filtered on the type tag, once for
//!   pools and once for margin accounts (the filter `Chain::program_accounts`
//!   uses), so only those two kinds of account are sent;
//! - `accountSubscribe` per oracle account the pools price from (a legacy pool's
//!   configured account, a pull pool's update account from the [`OracleBook`]).
//!   Subscribing to the oracle programs instead would stream every price of the
//!   cluster.
//!
//! Each notification updates the index: a margin account is re-evaluated
//! (`upsert`), a pool replaces the index's copy (`set_pool`), an oracle's new
//! price re-evaluates only the accounts whose triggers it crosses (`set_prices`).
//! Whenever the index's liquidatable set is not empty, those accounts (and only
//! those) are read afresh and go through the polling bot's planning and sending.
//! A full rescan still runs every [`StreamConfig::resync`] (notifications can be
//! dropped) and whenever a subscription closes. The index projects interest to
//! one time; every [`StreamConfig::reproject`] it moves to the present, since
//! debt grows without any notification.
//!
//! The blocking `PubsubClient` runs one websocket and one thread per
//! subscription; its notifications are forwarded into one channel here.

use std::{
    any::Any,
    collections::{HashMap, HashSet},
    sync::{
        atomic::{AtomicBool, Ordering},
        mpsc,
    },
    time::{Duration, Instant},
};

use margin_client::{accounts, health::HealthCache, program_id};
use margin_interface::{
    oracle::is_outage,
    state::{has_tag, AccountType, MarginAccountHeader, Pool},
};
use solana_account_decoder_client_types::UiAccountEncoding;
use solana_pubsub_client::pubsub_client::PubsubClient;
use solana_rpc_client_types::{
    config::{RpcAccountInfoConfig, RpcProgramAccountsConfig},
    filter::{Memcmp, RpcFilterType},
};
use solana_sdk::{account::Account, pubkey::Pubkey};

use crate::{
    bots::{execute, plan_liquidations, Attempt, BotError, Chain, Liquidator, OracleBook},
    index::{LiquidatorIndex, Touched},
};

/// Default [`StreamConfig::resync`]: 5 minutes.
pub const DEFAULT_RESYNC: Duration = Duration::from_secs(300);

/// Default [`StreamConfig::reproject`]: an account that interest alone makes
/// liquidatable is seen at most a minute late (a minute of interest at a 150%
/// rate is 0.0003% of the debt), for one clock read a minute.
pub const DEFAULT_REPROJECT: Duration = Duration::from_secs(60);

/// How the streaming liquidator connects and how often it rescans.
#[derive(Clone, Debug)]
pub struct StreamConfig {
    /// The cluster's websocket endpoint (`ws://...`, `wss://...`; a validator
    /// serves it on its RPC port + 1).
    pub ws_url: String,
    /// A full rescan this often: it repairs anything a dropped notification
    /// missed and moves the index's interest projection to the present.
    pub resync: Duration,
    /// Between rescans, the index's interest projection moves to the present
    /// this often ([`LiquidatorIndex::set_now`]: every indexed account
    /// re-evaluated, nothing read but the clock). Debt grows with no
    /// notification, so an account can become liquidatable by interest alone.
    pub reproject: Duration,
    /// An account still liquidatable that no notification changed is tried
    /// again only after this long (a pair the bot cannot fund, a failed send),
    /// so an unfundable account does not cost a plan on every notification.
    pub retry: Duration,
    /// Longest wait for a notification in one [`StreamingLiquidator::step`], so
    /// a stop request and the resync deadline are seen in time.
    pub tick: Duration,
}

impl StreamConfig {
    /// `ws_url`, a rescan every 5 minutes, interest reprojected every minute, a
    /// retry after 10 seconds, 1-second ticks.
    pub fn new(ws_url: &str) -> Self {
        Self {
            ws_url: ws_url.to_string(),
            resync: DEFAULT_RESYNC,
            reproject: DEFAULT_REPROJECT,
            retry: Duration::from_secs(10),
            tick: Duration::from_secs(1),
        }
    }
}

/// What the streaming liquidator has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Full loads (`getProgramAccounts` of every pool and margin account): the
    /// first, then one per resync or reconnection.
    pub full_scans: u64,
    /// Notifications applied (older than the last full load: dropped, not counted).
    pub notifications: u64,
    /// Of those, margin accounts.
    pub account_updates: u64,
    /// Of those, pools.
    pub pool_updates: u64,
    /// Of those, oracle accounts.
    pub price_updates: u64,
    /// Interest projections moved to the present between full loads.
    pub reprojections: u64,
    /// Times the liquidatable set was planned and sent.
    pub passes: u64,
    /// Liquidations that landed.
    pub liquidations: u64,
}

/// One notification, forwarded from a subscription's thread.
enum Event {
    /// An account changed (`slot`: the notification's context slot).
    Account { key: Pubkey, slot: u64, account: Account },
    /// A subscription's websocket closed.
    Closed(String),
}

/// The open subscriptions. Dropping them unsubscribes from another thread: the
/// blocking client's unsubscribe waits for the socket's next message, which for a
/// quiet oracle may be minutes away.
struct Subscriptions {
    /// Where oracles are subscribed; `None`: nothing is
    /// ([`StreamingLiquidator::load`]), oracles are only recorded as watched.
    ws_url: Option<String>,
    handles: Vec<Box<dyn Any + Send>>,
    oracles: HashSet<Pubkey>,
    events: mpsc::Receiver<Event>,
    sender: mpsc::Sender<Event>,
}

impl Drop for Subscriptions {
    fn drop(&mut self) {
        let handles = std::mem::take(&mut self.handles);
        std::thread::spawn(move || drop(handles));
    }
}

fn ws_error(what: &str, error: impl std::fmt::Display) -> BotError {
    BotError::Rpc(format!("websocket {what}: {error}"))
}

fn account_config() -> RpcAccountInfoConfig {
    RpcAccountInfoConfig {
        encoding: Some(UiAccountEncoding::Base64),
        // What the JSON-RPC chain reads: the two agree on the state they see.
        commitment: Some(solana_commitment_config::CommitmentConfig::confirmed()),
        ..RpcAccountInfoConfig::default()
    }
}

impl Subscriptions {
    /// No websocket: no event ever arrives.
    fn detached() -> Self {
        let (sender, events) = mpsc::channel();
        Self { ws_url: None, handles: Vec::new(), oracles: HashSet::new(), events, sender }
    }

    /// Subscribes to the program's pools and margin accounts.
    fn open(ws_url: &str) -> Result<Self, BotError> {
        let mut subscriptions = Self::detached();
        subscriptions.ws_url = Some(ws_url.to_string());
        for (name, tag) in [("pools", Pool::DISCRIMINATOR), ("margin accounts", MarginAccountHeader::DISCRIMINATOR)] {
            let config = RpcProgramAccountsConfig {
                filters: Some(vec![RpcFilterType::Memcmp(Memcmp::new_raw_bytes(0, tag.to_vec()))]),
                account_config: account_config(),
                ..RpcProgramAccountsConfig::default()
            };
            let (handle, receiver) = PubsubClient::program_subscribe(ws_url, &program_id(), Some(config))
                .map_err(|e| ws_error(&format!("programSubscribe ({name})"), e))?;
            let sender = subscriptions.sender.clone();
            std::thread::spawn(move || {
                while let Ok(update) = receiver.recv() {
                    let (Ok(key), Some(account)) = (update.value.pubkey.parse(), update.value.account.to_account())
                    else {
                        continue;
                    };
                    if sender.send(Event::Account { key, slot: update.context.slot, account }).is_err() {
                        return;
                    }
                }
                let _ = sender.send(Event::Closed(format!("programSubscribe ({name})")));
            });
            subscriptions.handles.push(Box::new(handle));
        }
        Ok(subscriptions)
    }

    /// Subscribes to oracle account `key` (detached: records it as watched).
    fn add_oracle(&mut self, key: Pubkey) -> Result<(), BotError> {
        if let Some(ws_url) = &self.ws_url {
            let (handle, receiver) = PubsubClient::account_subscribe(ws_url, &key, Some(account_config()))
                .map_err(|e| ws_error(&format!("accountSubscribe ({key})"), e))?;
            let sender = self.sender.clone();
            std::thread::spawn(move || {
                while let Ok(update) = receiver.recv() {
                    let Some(account) = update.value.to_account() else { continue };
                    if sender.send(Event::Account { key, slot: update.context.slot, account }).is_err() {
                        return;
                    }
                }
                let _ = sender.send(Event::Closed(format!("accountSubscribe ({key})")));
            });
            self.handles.push(Box::new(handle));
        }
        self.oracles.insert(key);
        Ok(())
    }
}

/// The streaming liquidator: a [`LiquidatorIndex`] kept current by websocket
/// notifications, acting through the polling bot's code (see the module docs).
pub struct StreamingLiquidator<'b, 'a> {
    bot: &'b Liquidator<'a>,
    config: StreamConfig,
    index: LiquidatorIndex,
    /// Every pool of the program.
    pools: HashMap<Pubkey, Pool>,
    /// Pools and oracle accounts as last seen, what a health cache loads from.
    market: HashMap<Pubkey, Account>,
    /// Oracle account -> the pools it prices.
    oracle_pools: HashMap<Pubkey, Vec<Pubkey>>,
    subscriptions: Subscriptions,
    /// Cluster time at `clock.1` (projected forward with the local clock between reads).
    clock: (i64, Instant),
    /// Slot before the last full load began: older notifications are stale.
    scan_slot: u64,
    last_scan: Instant,
    /// When the index's interest projection last moved to the present (a full
    /// load or [`Self::reproject`]).
    last_reprojection: Instant,
    /// When the bot last tried each liquidatable account.
    tried: HashMap<Pubkey, Instant>,
    /// Set when a subscription closed: resubscribe and rescan at the next step.
    reconnect: bool,
    stats: StreamStats,
}

impl<'b, 'a> StreamingLiquidator<'b, 'a> {
    /// Subscribes to the program's pools and margin accounts, loads everything
    /// once (subscribing first, so nothing changes unseen in between), then
    /// subscribes to the oracle accounts the pools use.
    pub fn connect(
        chain: &mut impl Chain,
        bot: &'b Liquidator<'a>,
        config: StreamConfig,
        log: &mut impl FnMut(&str),
    ) -> Result<Self, BotError> {
        let subscriptions = Subscriptions::open(&config.ws_url)?;
        Self::start(chain, bot, config, subscriptions, log)
    }

    /// Loads everything as [`Self::connect`] does but subscribes to nothing
    /// (`config.ws_url` is not used): changes reach the index only through
    /// [`Self::apply`] (notifications recorded elsewhere; a chain without a
    /// websocket, such as the embedded one). [`Self::step`] still rescans,
    /// reprojects interest and acts.
    pub fn load(
        chain: &mut impl Chain,
        bot: &'b Liquidator<'a>,
        config: StreamConfig,
        log: &mut impl FnMut(&str),
    ) -> Result<Self, BotError> {
        Self::start(chain, bot, config, Subscriptions::detached(), log)
    }

    fn start(
        chain: &mut impl Chain,
        bot: &'b Liquidator<'a>,
        config: StreamConfig,
        subscriptions: Subscriptions,
        log: &mut impl FnMut(&str),
    ) -> Result<Self, BotError> {
        let mut streaming = Self {
            bot,
            config,
            index: LiquidatorIndex::new(0),
            pools: HashMap::new(),
            market: HashMap::new(),
            oracle_pools: HashMap::new(),
            subscriptions,
            clock: (0, Instant::now()),
            scan_slot: 0,
            last_scan: Instant::now(),
            last_reprojection: Instant::now(),
            tried: HashMap::new(),
            reconnect: false,
            stats: StreamStats::default(),
        };
        streaming.full_scan(chain, log)?;
        Ok(streaming)
    }

    /// What it has done so far.
    pub fn stats(&self) -> StreamStats {
        self.stats
    }

    /// The index (its liquidatable set, its accounts).
    pub fn index(&self) -> &LiquidatorIndex {
        &self.index
    }

    /// Oracle accounts it is subscribed to.
    pub fn oracle_subscriptions(&self) -> usize {
        self.subscriptions.oracles.len()
    }

    /// Cluster time now, projected from the last read of the clock.
    fn now(&self) -> i64 {
        self.clock.0 + self.clock.1.elapsed().as_secs() as i64
    }

    fn read_clock(&mut self, chain: &mut impl Chain) -> Result<i64, BotError> {
        let now = chain.now()?;
        self.clock = (now, Instant::now());
        Ok(now)
    }

    /// Reloads every pool, margin account and oracle account and rebuilds the
    /// index at the present time; subscribes to oracle accounts not yet watched.
    pub fn full_scan(&mut self, chain: &mut impl Chain, log: &mut impl FnMut(&str)) -> Result<(), BotError> {
        self.scan_slot = chain.slot()?;
        let now = self.read_clock(chain)?;
        // `bots::snapshot` without decoding away the raw pools a health cache reads.
        let decode = |e: accounts::DecodeError| BotError::Decode(e.to_string());
        let pool_accounts = chain.program_accounts(&Pool::DISCRIMINATOR)?;
        let margin_accounts = chain.program_accounts(&MarginAccountHeader::DISCRIMINATOR)?;
        self.stats.full_scans += 1;
        self.last_scan = Instant::now();
        self.last_reprojection = self.last_scan;
        self.pools.clear();
        self.market.clear();
        for (key, account) in pool_accounts {
            self.pools.insert(key, accounts::pool(&account.data).map_err(decode)?);
            self.market.insert(key, account);
        }
        self.oracle_pools = oracle_pools(&self.pools, &self.bot.oracles);
        // Subscribed before the oracles are read: no price change falls in between.
        self.subscribe_oracles(log)?;
        let oracles: Vec<Pubkey> = self.oracle_pools.keys().copied().collect();
        for (oracle, found) in oracles.iter().zip(chain.accounts(&oracles)?) {
            if let Some(account) = found {
                self.market.insert(*oracle, account);
            }
        }
        self.index = LiquidatorIndex::new(now);
        let accounts = margin_accounts.len();
        for (key, account) in margin_accounts {
            self.upsert(key, &accounts::margin_account(&account.data).map_err(decode)?, now);
        }
        log(&format!(
            "liquidator (streaming): full scan #{}: {} pools, {accounts} margin accounts, {} indexed with debt, {} liquidatable",
            self.stats.full_scans,
            self.pools.len(),
            self.index.len(),
            self.index.liquidatable().len()
        ));
        Ok(())
    }

    /// Subscribes to every oracle account the pools use and is not yet watched.
    fn subscribe_oracles(&mut self, log: &mut impl FnMut(&str)) -> Result<Vec<Pubkey>, BotError> {
        let mut added = Vec::new();
        for oracle in self.oracle_pools.keys() {
            if !self.subscriptions.oracles.contains(oracle) {
                self.subscriptions.add_oracle(*oracle)?;
                added.push(*oracle);
            }
        }
        if !added.is_empty() && self.subscriptions.ws_url.is_some() {
            log(&format!(
                "liquidator (streaming): subscribed to {} more oracle account(s), {} in all",
                added.len(),
                self.subscriptions.oracles.len()
            ));
        }
        Ok(added)
    }

    /// Indexes `key` as `account` now reads: an account with debt is evaluated,
    /// one without (or the bot's own, or one whose health cannot be computed, which
    /// the polling bot skips too) leaves the index.
    fn upsert(&mut self, key: Pubkey, account: &accounts::MarginAccountData, now: i64) {
        let has_debt = account.active().iter().any(|p| p.borrow_shares > 0);
        if key == self.bot.margin_account || !has_debt {
            self.index.remove(&key);
            return;
        }
        let (pools, book) = (&self.pools, &self.bot.oracles);
        let oracle_of = |pool: &Pubkey| pools.get(pool).and_then(|p| book.oracle_for(p)).unwrap_or_default();
        match HealthCache::load(account, &self.market, oracle_of, now, margin_interface::health::Unpriced::ZeroAll) {
            Ok(cache) => {
                self.index.upsert(key, &cache);
            }
            Err(_) => {
                self.index.remove(&key);
            }
        }
    }

    /// Applies one changed account (a pool, a margin account or an oracle
    /// account) to the index. A closed margin account sends nothing (it no longer
    /// matches the tag filter), but it held no debt, so the index never had it.
    pub fn apply(&mut self, key: Pubkey, account: Account) {
        let now = self.now();
        let ours = account.owner == program_id();
        if ours && has_tag(&account.data, &Pool::DISCRIMINATOR) {
            let Ok(pool) = accounts::pool(&account.data) else { return };
            self.stats.pool_updates += 1;
            let oracle_before = self.pools.get(&key).and_then(|p| self.bot.oracles.oracle_for(p));
            self.pools.insert(key, pool);
            self.market.insert(key, account);
            if self.bot.oracles.oracle_for(&pool) != oracle_before {
                // Another oracle: watched from the next step on (`subscribe_oracles`).
                self.oracle_pools = oracle_pools(&self.pools, &self.bot.oracles);
            }
            self.index.set_pool(&key, &pool);
        } else if ours && has_tag(&account.data, &MarginAccountHeader::DISCRIMINATOR) {
            let Ok(data) = accounts::margin_account(&account.data) else { return };
            self.stats.account_updates += 1;
            // It changed: whatever made the last try fail may be gone.
            self.tried.remove(&key);
            self.upsert(key, &data, now);
        } else if let Some(priced) = self.oracle_pools.get(&key) {
            self.stats.price_updates += 1;
            let mut updates = Vec::new();
            for pool_key in priced {
                let Some(pool) = self.pools.get(pool_key) else { continue };
                match margin_client::health::pool_price(pool, &key, &account, now) {
                    Ok(price) => updates.push((*pool_key, Some(price))),
                    // An outage counts the pool's positions zero, as `liquidate` does.
                    Err(error) if is_outage(error, pool.config.oracle.kind) => updates.push((*pool_key, None)),
                    // Not usable (a stale pull update: someone must post a fresh one):
                    // the program would refuse it, so the index keeps its price.
                    Err(_) => {}
                }
            }
            self.market.insert(key, account);
            self.index.set_prices(&updates);
        } else {
            return;
        }
        self.stats.notifications += 1;
    }

    /// One round: waits up to [`StreamConfig::tick`] for notifications, applies
    /// every one queued, rescans when due (or after a subscription closed),
    /// otherwise subscribes to oracles new pools use and reprojects interest when
    /// due ([`Self::reproject`]), then plans and sends liquidations for the
    /// accounts the index flags ([`Self::act`]) and settles the index
    /// ([`LiquidatorIndex::settle`]) while they are in flight.
    pub fn step(&mut self, chain: &mut impl Chain, log: &mut impl FnMut(&str)) -> Result<Vec<Attempt>, BotError> {
        let due = self
            .config
            .resync
            .saturating_sub(self.last_scan.elapsed())
            .min(self.config.reproject.saturating_sub(self.last_reprojection.elapsed()));
        let mut pending = Vec::new();
        if let Ok(event) = self.subscriptions.events.recv_timeout(self.config.tick.min(due)) {
            pending.push(event);
            pending.extend(self.subscriptions.events.try_iter());
        }
        for event in pending {
            match event {
                Event::Account { key, slot, account } if slot >= self.scan_slot => self.apply(key, account),
                Event::Account { .. } => {}
                Event::Closed(what) => {
                    log(&format!("liquidator (streaming): {what} closed; resubscribing and rescanning"));
                    self.reconnect = true;
                }
            }
        }
        if self.reconnect {
            self.subscriptions = Subscriptions::open(&self.config.ws_url)?;
            self.reconnect = false;
            self.full_scan(chain, log)?;
        } else if self.last_scan.elapsed() >= self.config.resync {
            self.full_scan(chain, log)?;
        } else {
            // Pools that appeared may use oracles not watched yet: watch them, then
            // read them once (a change before the subscription was not sent).
            let added = self.subscribe_oracles(log)?;
            if !added.is_empty() {
                for (oracle, found) in added.iter().zip(chain.accounts(&added)?) {
                    if let Some(account) = found {
                        self.apply(*oracle, account);
                    }
                }
            }
            if self.last_reprojection.elapsed() >= self.config.reproject {
                self.reproject(chain, log)?;
            }
        }
        let attempts = self.act(chain, log)?;
        // The index's work left off the critical path of the last price updates,
        // done once the liquidations are out: the next notification finds it done.
        self.index.settle();
        Ok(attempts)
    }

    /// Moves the index's interest projection to the cluster's time now (read
    /// afresh: the local clock drifts from the cluster's) and re-evaluates every
    /// account; logs how many entered (and left) the liquidatable set.
    pub fn reproject(&mut self, chain: &mut impl Chain, log: &mut impl FnMut(&str)) -> Result<Touched, BotError> {
        let now = self.read_clock(chain)?;
        let touched = self.index.set_now(now);
        self.last_reprojection = Instant::now();
        self.stats.reprojections += 1;
        log(&format!(
            "liquidator (streaming): interest projected to {now}: {} of {} account(s) entered the liquidatable set, {} left",
            touched.entered, touched.evaluated, touched.left
        ));
        Ok(touched)
    }

    /// Plans and sends liquidations for the accounts the index holds
    /// liquidatable (each at most once per [`StreamConfig::retry`] unless it
    /// changed), read afresh in one batch (a notification of the latest change
    /// may still be on its way): [`plan_liquidations`] then [`execute`], as the
    /// polling bot.
    pub fn act(&mut self, chain: &mut impl Chain, log: &mut impl FnMut(&str)) -> Result<Vec<Attempt>, BotError> {
        let retry = self.config.retry;
        let due: Vec<Pubkey> = self
            .index
            .liquidatable()
            .iter()
            .filter(|key| self.tried.get(*key).is_none_or(|at| at.elapsed() >= retry))
            .copied()
            .collect();
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let now = self.read_clock(chain)?;
        let tried_at = Instant::now();
        self.tried.extend(due.iter().map(|key| (*key, tried_at)));
        let found = chain.accounts(&due)?;
        let fresh: Vec<(Pubkey, accounts::MarginAccountData)> = due
            .into_iter()
            .zip(found)
            .filter_map(|(key, found)| Some((key, accounts::margin_account(&found?.data).ok()?)))
            .collect();
        log(&format!("liquidator (streaming): {} account(s) liquidatable in the index", fresh.len()));
        let planned = plan_liquidations(chain, self.bot, &self.pools, &fresh, now, log)?;
        let attempts = execute(chain, self.bot, planned, log)?;
        self.stats.passes += 1;
        self.stats.liquidations += attempts.iter().filter(|a| matches!(a, Attempt::Liquidated { .. })).count() as u64;
        self.tried.retain(|key, _| self.index.liquidatable().contains(key));
        Ok(attempts)
    }

    /// Steps until `stop` is set, handing every attempt to `on_attempt`; an RPC
    /// or websocket failure ends the run with its error (as the polling CLI does).
    pub fn run(
        &mut self,
        chain: &mut impl Chain,
        stop: &AtomicBool,
        log: &mut impl FnMut(&str),
        on_attempt: &mut impl FnMut(&Attempt),
    ) -> Result<StreamStats, BotError> {
        while !stop.load(Ordering::Relaxed) {
            for attempt in self.step(chain, log)? {
                on_attempt(&attempt);
            }
        }
        Ok(self.stats)
    }
}

/// Connects ([`StreamingLiquidator::connect`]) and runs until `stop` is set; the
/// attempts are logged as the polling bot logs them. The library entry point of
/// `margin liquidator --ws-url`.
pub fn run(
    chain: &mut impl Chain,
    bot: &Liquidator,
    config: StreamConfig,
    stop: &AtomicBool,
    log: &mut impl FnMut(&str),
) -> Result<StreamStats, BotError> {
    let mut streaming = StreamingLiquidator::connect(chain, bot, config, log)?;
    streaming.run(chain, stop, log, &mut |_: &Attempt| {})
}

/// Oracle account -> pools it prices (pools without a usable oracle mapping left out).
fn oracle_pools(pools: &HashMap<Pubkey, Pool>, book: &OracleBook) -> HashMap<Pubkey, Vec<Pubkey>> {
    let mut by_oracle: HashMap<Pubkey, Vec<Pubkey>> = HashMap::new();
    for (key, pool) in pools {
        if let Some(oracle) = book.oracle_for(pool) {
            by_oracle.entry(oracle).or_default().push(*key);
        }
    }
    by_oracle
}
