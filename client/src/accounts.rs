//! Decoders: account bytes (as fetched, any alignment) to the shared layouts.

use margin_interface::state::{
    self, check_margin_bytes, AccountType, Group, MarginAccountHeader, Pool, Position, MARGIN_HEADER_LEN, POSITION_LEN,
};

/// Why bytes could not be decoded.
pub type DecodeError = state::LayoutError;

fn decode<T: AccountType>(data: &[u8]) -> Result<T, DecodeError> {
    state::check_bytes::<T>(data)?;
    Ok(bytemuck::pod_read_unaligned(data))
}

/// Decodes a group account.
pub fn group(data: &[u8]) -> Result<Group, DecodeError> {
    decode(data)
}

/// Decodes a pool account.
pub fn pool(data: &[u8]) -> Result<Pool, DecodeError> {
    decode(data)
}

/// An owned copy of a margin account.
#[derive(Clone, Debug)]
pub struct MarginAccountData {
    /// The fixed part.
    pub header: MarginAccountHeader,
    /// Every slot (used ones first, see [`MarginAccountData::active`]).
    pub positions: Vec<Position>,
}

impl MarginAccountData {
    /// The used positions, in the order the health accounts must follow.
    pub fn active(&self) -> &[Position] {
        &self.positions[..self.header.position_count as usize]
    }

    /// The collateral pool an isolated account's debt is tallied against (its
    /// isolation debt ceiling), when it has a tally: `repay` and
    /// `resolve_bad_debt` must pass it writable (`repay_tallied`, and
    /// `health::with_collateral_writable`).
    pub fn tallied_collateral(&self) -> Option<[u8; 32]> {
        let isolated = self.header.kind == margin_interface::state::AccountKind::Isolated as u8;
        (isolated && self.header.isolated_debt_micro_usd != 0)
            .then(|| self.positions[margin_interface::state::ISOLATED_COLLATERAL_SLOT].pool)
    }
}

/// Decodes a margin account (either kind).
pub fn margin_account(data: &[u8]) -> Result<MarginAccountData, DecodeError> {
    check_margin_bytes(data)?;
    let header = bytemuck::pod_read_unaligned(&data[..MARGIN_HEADER_LEN]);
    let positions = data[MARGIN_HEADER_LEN..].chunks_exact(POSITION_LEN).map(bytemuck::pod_read_unaligned).collect();
    Ok(MarginAccountData { header, positions })
}
