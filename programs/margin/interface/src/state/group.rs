use bytemuck::{Pod, Zeroable};

use super::AccountType;

/// A group: one admin's set of pools and the margin accounts that use them.
///
/// PDA: `["group", creator, seed (u64 LE)]`. `creator` is kept so the address can be
/// re-derived after the admin changes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct Group {
    /// `Group::DISCRIMINATOR`. ABI: offset 0.
    pub discriminator: [u8; 8],
    /// Layout version.
    pub version: u8,
    /// PDA bump.
    pub bump: u8,
    /// Non-zero: withdraw, borrow and opening accounts are refused; deposits,
    /// repays, collateral moves and liquidations still run (they only add
    /// collateral or remove risk).
    pub paused: u8,
    pub _padding0: [u8; 1],
    /// Number of pools created in this group.
    pub pool_count: u32,
    /// Signs admin instructions. ABI: offset 16.
    pub admin: [u8; 32],
    /// Proposed admin awaiting `accept_admin`; all zeros when none.
    pub pending_admin: [u8; 32],
    /// Owner of the token accounts that `collect_fees` pays into.
    pub fee_destination: [u8; 32],
    /// Key that created the group (PDA seed).
    pub creator: [u8; 32],
    /// Seed chosen at creation (PDA seed).
    pub seed: u64,
    /// Seconds a risk-tightening pool config change waits before it can apply
    /// (at least [`MIN_CONFIG_DELAY_SECS`], fixed at creation).
    pub config_delay_secs: u32,
    pub _padding1: [u8; 4],
    /// Room for growth; zero.
    pub reserved: [u8; 56],
}

/// Shortest delay a group may set for risk-tightening changes: a day, so borrowers
/// see a queued change and can repay or add collateral before it bites.
pub const MIN_CONFIG_DELAY_SECS: u32 = 86_400;
/// Longest: a month (a longer one would only delay needed fixes).
pub const MAX_CONFIG_DELAY_SECS: u32 = 30 * 86_400;

const _: () = assert!(core::mem::size_of::<Group>() == 216);
const _: () = assert!(core::mem::align_of::<Group>() == 8);
const _: () = assert!(core::mem::offset_of!(Group, discriminator) == 0);
const _: () = assert!(core::mem::offset_of!(Group, admin) == 16);

impl AccountType for Group {
    const DISCRIMINATOR: [u8; 8] = *b"mrgGROUP";
}
