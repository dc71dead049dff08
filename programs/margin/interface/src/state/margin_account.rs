use borsh::{BorshDeserialize, BorshSerialize};
use bytemuck::{Pod, Zeroable};

use super::LayoutError;
use crate::error::MarginError;

/// Margin account kinds.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountKind {
    /// One collateral pool and one debt pool, fixed at open; the collateral backs
    /// only this account's debt. Slot 0 is the collateral, slot 1 the debt.
    Isolated = 0,
    /// Up to [`CROSS_POSITIONS`] pools netted in one health check.
    Cross = 1,
}

impl AccountKind {
    /// Decodes the stored byte.
    pub const fn from_u8(value: u8) -> Option<Self> {
        match value {
            0 => Some(Self::Isolated),
            1 => Some(Self::Cross),
            _ => None,
        }
    }

    /// Number of position slots an account of this kind has.
    pub const fn slots(self) -> usize {
        match self {
            Self::Isolated => ISOLATED_POSITIONS,
            Self::Cross => CROSS_POSITIONS,
        }
    }

    /// Exact data length of an account of this kind.
    #[allow(clippy::arithmetic_side_effects)] // at most 16 slots: a few hundred bytes
    pub const fn account_len(self) -> usize {
        MARGIN_HEADER_LEN + self.slots() * POSITION_LEN
    }
}

/// Position slots of a cross account.
pub const CROSS_POSITIONS: usize = 16;
/// Position slots of an isolated account (collateral, debt).
pub const ISOLATED_POSITIONS: usize = 2;
/// Isolated slot holding the collateral deposit.
pub const ISOLATED_COLLATERAL_SLOT: usize = 0;
/// Isolated slot holding the debt.
pub const ISOLATED_DEBT_SLOT: usize = 1;

/// One pool's balance inside a margin account.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct Position {
    /// Pool address; all zeros for an unused slot.
    pub pool: [u8; 32],
    /// Deposit shares of `pool`.
    pub deposit_shares: u64,
    /// Debt shares of `pool`.
    pub borrow_shares: u64,
}

/// Size of one position.
pub const POSITION_LEN: usize = core::mem::size_of::<Position>();
const _: () = assert!(POSITION_LEN == 48);

impl Position {
    /// True when the slot holds neither deposits nor debt.
    pub fn is_empty(&self) -> bool {
        self.deposit_shares == 0 && self.borrow_shares == 0
    }
}

/// Fixed part of a margin account, followed in the account data by
/// `kind.slots()` [`Position`]s.
///
/// PDA: `["margin_account", group, owner, index (u16 LE)]`.
///
/// Cross accounts keep their used positions packed in slots `0..position_count`,
/// in the order they were opened; that order is the order of the health accounts.
/// Isolated accounts always have both slots' pools set (fixed at open) and
/// `position_count == 2`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct MarginAccountHeader {
    /// `MarginAccountHeader::DISCRIMINATOR`. ABI: offset 0.
    pub discriminator: [u8; 8],
    /// Layout version.
    pub version: u8,
    /// [`AccountKind`] as a byte. ABI: offset 9.
    pub kind: u8,
    /// PDA bump.
    pub bump: u8,
    /// Number of used position slots.
    pub position_count: u8,
    /// Index among the owner's accounts (PDA seed).
    pub index: u16,
    pub _padding0: [u8; 2],
    /// Owning group. ABI: offset 16.
    pub group: [u8; 32],
    /// Owner who signs for deposits, withdrawals and borrows. ABI: offset 48.
    pub owner: [u8; 32],
    /// Opt-in pre-liquidation settings (`set_protection`); all zero = off.
    pub protection: Protection,
    /// 1 between `flash_begin` and `flash_end` (within one transaction): the
    /// owner's borrows and withdrawals skip the health check, which `flash_end`
    /// runs; the account can't be liquidated, written off, closed or move
    /// collateral meanwhile. Always 0 once a transaction has landed.
    pub flash: u8,
    pub _padding1: [u8; 7],
    /// Isolated accounts whose collateral pool is isolated-only: this account's
    /// part of the pool's `isolated_debt_micro_usd` (its borrows at their prices,
    /// released in proportion to the debt shares repaid, liquidated or written
    /// off). See `crate::isolation`.
    pub isolated_debt_micro_usd: u64,
    /// Room for growth; zero.
    pub reserved: [u8; 24],
}

/// Opt-in pre-liquidation, set by the owner (`set_protection`): while the
/// account's Maintenance health ratio (weighted collateral / weighted debt) is at
/// least 1 but below `threshold_bps`, anyone may `deleverage` it: repay up to
/// `max_fraction_bps` of one debt for collateral worth the repaid value plus
/// `bonus_bps`, only if the ratio strictly rises. Far cheaper for the owner than a
/// liquidation; keepers earn the small bonus.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable, BorshSerialize, BorshDeserialize)]
pub struct Protection {
    /// Health ratio (bps, 10,000 = the liquidation line) below which deleverage
    /// is allowed: 0 (off) or `10_001..=`[`MAX_PROTECTION_THRESHOLD_BPS`].
    pub threshold_bps: u16,
    /// Largest fraction (bps) of one debt a deleverage step repays, `1..=10_000`.
    pub max_fraction_bps: u16,
    /// Keeper's bonus, bps of the repaid value, at most [`MAX_PROTECTION_BONUS_BPS`].
    pub bonus_bps: u16,
    pub _padding: [u8; 2],
}

/// Highest protection threshold: a health ratio of 3.
pub const MAX_PROTECTION_THRESHOLD_BPS: u16 = 30_000;

/// Highest deleverage bonus: 1.5%, well below liquidation bonuses.
pub const MAX_PROTECTION_BONUS_BPS: u16 = 150;

impl Protection {
    /// True when the owner opted in.
    pub fn is_on(&self) -> bool {
        self.threshold_bps != 0
    }

    /// Off (all zero), or a threshold above the liquidation line and at most
    /// [`MAX_PROTECTION_THRESHOLD_BPS`], a fraction in `1..=10_000` and a bonus at
    /// most [`MAX_PROTECTION_BONUS_BPS`] (`InvalidProtection`).
    pub fn validate(&self) -> Result<(), MarginError> {
        let off = *self == Self::default();
        let on = self.threshold_bps as u64 > crate::BPS
            && self.threshold_bps <= MAX_PROTECTION_THRESHOLD_BPS
            && self.max_fraction_bps > 0
            && self.max_fraction_bps as u64 <= crate::BPS
            && self.bonus_bps <= MAX_PROTECTION_BONUS_BPS
            && self._padding == [0; 2];
        if off || on {
            Ok(())
        } else {
            Err(MarginError::InvalidProtection)
        }
    }
}

/// Size of the fixed part.
pub const MARGIN_HEADER_LEN: usize = core::mem::size_of::<MarginAccountHeader>();
const _: () = assert!(MARGIN_HEADER_LEN == 128);
// The ABI offsets the field docs state (clients filter accounts by them).
const _: () = assert!(core::mem::offset_of!(MarginAccountHeader, discriminator) == 0);
const _: () = assert!(core::mem::offset_of!(MarginAccountHeader, kind) == 9);
const _: () = assert!(core::mem::offset_of!(MarginAccountHeader, group) == 16);
const _: () = assert!(core::mem::offset_of!(MarginAccountHeader, owner) == 48);
const _: () = assert!(core::mem::offset_of!(MarginAccountHeader, protection) == 80);
const _: () = assert!(core::mem::offset_of!(MarginAccountHeader, flash) == 88);
const _: () = assert!(core::mem::offset_of!(MarginAccountHeader, isolated_debt_micro_usd) == 96);
const _: () = assert!(AccountKind::Cross.account_len() == 896);
const _: () = assert!(AccountKind::Isolated.account_len() == 224);

impl MarginAccountHeader {
    /// Account type tag.
    pub const DISCRIMINATOR: [u8; 8] = *b"mrgMARGN";

    /// Decoded kind (validated when the account is viewed).
    pub fn kind(&self) -> AccountKind {
        AccountKind::from_u8(self.kind).unwrap_or(AccountKind::Isolated)
    }

    /// True between `flash_begin` and `flash_end`.
    pub fn in_flash(&self) -> bool {
        self.flash != 0
    }
}

/// A margin account viewed in place.
pub struct MarginAccount<'a> {
    pub header: &'a MarginAccountHeader,
    pub positions: &'a [Position],
}

/// A margin account viewed in place, mutably.
pub struct MarginAccountMut<'a> {
    pub header: &'a mut MarginAccountHeader,
    pub positions: &'a mut [Position],
}

pub fn check_margin_bytes(data: &[u8]) -> Result<AccountKind, LayoutError> {
    if data.len() < MARGIN_HEADER_LEN || !super::has_tag(data, &MarginAccountHeader::DISCRIMINATOR) {
        return Err(LayoutError::Discriminator);
    }
    let kind = AccountKind::from_u8(data[9]).ok_or(LayoutError::Discriminator)?;
    if data.len() != kind.account_len() {
        return Err(LayoutError::Size);
    }
    Ok(kind)
}

impl<'a> MarginAccount<'a> {
    /// Views margin account bytes after checking discriminator, kind and length.
    pub fn view(data: &'a [u8]) -> Result<Self, LayoutError> {
        check_margin_bytes(data)?;
        let (head, tail) = data.split_at(MARGIN_HEADER_LEN);
        Ok(Self {
            header: bytemuck::try_from_bytes(head).map_err(|_| LayoutError::Alignment)?,
            positions: bytemuck::try_cast_slice(tail).map_err(|_| LayoutError::Alignment)?,
        })
    }

    /// The used positions, in health-account order.
    pub fn active(&self) -> &'a [Position] {
        &self.positions[..self.header.position_count as usize]
    }

    /// Slot index of `pool` among the used positions.
    pub fn find(&self, pool: &[u8; 32]) -> Option<usize> {
        self.active().iter().position(|p| crate::fixed::key_eq(&p.pool, pool))
    }
}

impl<'a> MarginAccountMut<'a> {
    /// Mutable form of [`MarginAccount::view`].
    pub fn view(data: &'a mut [u8]) -> Result<Self, LayoutError> {
        check_margin_bytes(data)?;
        let (head, tail) = data.split_at_mut(MARGIN_HEADER_LEN);
        Ok(Self {
            header: bytemuck::try_from_bytes_mut(head).map_err(|_| LayoutError::Alignment)?,
            positions: bytemuck::try_cast_slice_mut(tail).map_err(|_| LayoutError::Alignment)?,
        })
    }

    /// Read-only view of the same bytes.
    pub fn as_ref(&self) -> MarginAccount<'_> {
        MarginAccount { header: self.header, positions: self.positions }
    }

    /// Slot of `pool`, if the account holds a position in it.
    pub fn find(&self, pool: &[u8; 32]) -> Option<usize> {
        self.as_ref().find(pool)
    }

    /// Slot of `pool`, opening a new cross position at the end if needed.
    /// Isolated accounts never open slots: their two pools are fixed.
    pub fn find_or_open(&mut self, pool: &[u8; 32]) -> Option<usize> {
        if let Some(slot) = self.find(pool) {
            return Some(slot);
        }
        self.open(pool)
    }

    /// Opens a new cross position for `pool` at the end (the caller knows it is not
    /// there yet); `None` for isolated accounts and full ones.
    pub fn open(&mut self, pool: &[u8; 32]) -> Option<usize> {
        if self.header.kind() != AccountKind::Cross {
            return None;
        }
        let slot = self.header.position_count as usize;
        let count = self.header.position_count.checked_add(1)?;
        let position = self.positions.get_mut(slot)?;
        *position = Position { pool: *pool, deposit_shares: 0, borrow_shares: 0 };
        self.header.position_count = count;
        Some(slot)
    }

    /// Frees a cross slot that holds nothing, shifting later positions down so the
    /// used ones stay packed and in order. Isolated slots are never freed.
    #[allow(clippy::arithmetic_side_effects)] // slot < count, so slot + 1 <= count and count >= 1
    pub fn release_if_empty(&mut self, slot: usize) {
        let count = self.header.position_count as usize;
        if self.header.kind() != AccountKind::Cross || slot >= count || !self.positions[slot].is_empty() {
            return;
        }
        self.positions.copy_within(slot + 1..count, slot);
        self.positions[count - 1] = Position::default();
        self.header.position_count -= 1;
    }
}
