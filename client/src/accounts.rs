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

    /// The collateral pool an isolated account's debt may be tallied against
    /// (its isolation debt ceiling), for any isolated account: `repay` passes it
    /// writable (`repay_tallied`). Not only when the account has a tally now: a
    /// borrow earlier in the same transaction (a flash loan) may start one, and
    /// the program ignores the pool when nothing is released. `None` for cross
    /// accounts.
    pub fn tallied_collateral(&self) -> Option<[u8; 32]> {
        let isolated = self.header.kind == margin_interface::state::AccountKind::Isolated as u8;
        isolated.then(|| self.positions[margin_interface::state::ISOLATED_COLLATERAL_SLOT].pool)
    }
}

impl MarginAccountData {
    /// The account data this decodes from (header, then every slot): for local
    /// setups, simulations and tests.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut data = bytemuck::bytes_of(&self.header).to_vec();
        for position in &self.positions {
            data.extend_from_slice(bytemuck::bytes_of(position));
        }
        data
    }
}

/// Decodes a margin account (either kind).
///
/// ```
/// use margin_client::{accounts, interface::state::{AccountKind, MarginAccountHeader, Position}};
///
/// # let (sol_pool, usdc_pool) = ([1u8; 32], [2u8; 32]);
/// # let mut header: MarginAccountHeader = bytemuck::Zeroable::zeroed();
/// # header.discriminator = MarginAccountHeader::DISCRIMINATOR;
/// # header.kind = AccountKind::Cross as u8;
/// # header.position_count = 2;
/// # let mut positions = vec![Position { pool: [0; 32], deposit_shares: 0, borrow_shares: 0 }; 16];
/// # positions[0] = Position { pool: sol_pool, deposit_shares: 10_000_000_000, borrow_shares: 0 };
/// # positions[1] = Position { pool: usdc_pool, deposit_shares: 0, borrow_shares: 500_000_000 };
/// # let data = accounts::MarginAccountData { header, positions }.to_bytes();
/// // `data`: a cross account's 896 bytes as fetched.
/// let account = accounts::margin_account(&data)?;
/// assert_eq!(account.header.kind(), AccountKind::Cross);
/// // The used positions, in the order its health accounts follow.
/// let pools: Vec<[u8; 32]> = account.active().iter().map(|p| p.pool).collect();
/// assert_eq!(pools, [sol_pool, usdc_pool]);
/// assert_eq!(account.active()[1].borrow_shares, 500_000_000);
/// // Bytes that are not a margin account are an error, not a zeroed account.
/// assert!(accounts::margin_account(&data[..100]).is_err());
/// # Ok::<(), accounts::DecodeError>(())
/// ```
pub fn margin_account(data: &[u8]) -> Result<MarginAccountData, DecodeError> {
    check_margin_bytes(data)?;
    let header = bytemuck::pod_read_unaligned(&data[..MARGIN_HEADER_LEN]);
    let positions = data[MARGIN_HEADER_LEN..].chunks_exact(POSITION_LEN).map(bytemuck::pod_read_unaligned).collect();
    Ok(MarginAccountData { header, positions })
}
