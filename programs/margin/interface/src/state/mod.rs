//! Zero-copy account layouts. Each type is `repr(C)`, Pod, starts with an 8-byte
//! discriminator and a version byte, has a size assert next to it, and ends with
//! reserved bytes for growth. 128-bit values are stored as `[u8; 16]`.

mod group;
mod margin_account;
mod pending_config;
mod pool;

pub use group::*;
pub use margin_account::*;
pub use pending_config::*;
pub use pool::*;

/// Layout version written by this code into every account's `version` byte.
pub const LAYOUT_VERSION: u8 = 1;

/// Written over a closed account's discriminator so its bytes can never be loaded
/// again, even if lamports are sent back to it in the same transaction.
pub const CLOSED_DISCRIMINATOR: [u8; 8] = *b"closed!!";

/// An account type with a fixed discriminator and size.
pub trait AccountType: bytemuck::Pod {
    /// First 8 bytes of the account data.
    const DISCRIMINATOR: [u8; 8];
    /// Exact account data length.
    const LEN: usize = core::mem::size_of::<Self>();
}

/// Why raw bytes could not be viewed as an account type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutError {
    /// Data length differs from the type's size.
    Size,
    /// Discriminator differs from the type's.
    Discriminator,
    /// Data is not aligned for the type (never happens for runtime account data).
    Alignment,
}

/// Views account bytes as `T` after checking length and discriminator.
pub fn view<T: AccountType>(data: &[u8]) -> Result<&T, LayoutError> {
    check_bytes::<T>(data)?;
    bytemuck::try_from_bytes(data).map_err(|_| LayoutError::Alignment)
}

/// Mutable form of [`view`].
pub fn view_mut<T: AccountType>(data: &mut [u8]) -> Result<&mut T, LayoutError> {
    check_bytes::<T>(data)?;
    bytemuck::try_from_bytes_mut(data).map_err(|_| LayoutError::Alignment)
}

/// Checks tag and length of `T` bytes. Type tag first (so a wrong account type reports as such), then the exact length.
pub fn check_bytes<T: AccountType>(data: &[u8]) -> Result<(), LayoutError> {
    if !has_tag(data, &T::DISCRIMINATOR) {
        return Err(LayoutError::Discriminator);
    }
    if data.len() != T::LEN {
        return Err(LayoutError::Size);
    }
    Ok(())
}

impl core::fmt::Display for LayoutError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Size => "account data has the wrong length for its type",
            Self::Discriminator => "account data does not carry the expected type tag",
            Self::Alignment => "account data is misaligned",
        })
    }
}

impl core::error::Error for LayoutError {}

/// True when `data` starts with the 8-byte `tag`: one word compare when aligned (as
/// account data always is), where a byte-wise compare costs ~40 CU on SBF.
pub fn has_tag(data: &[u8], tag: &[u8; 8]) -> bool {
    let Some(head) = data.get(..8) else {
        return false;
    };
    match bytemuck::try_from_bytes::<u64>(head) {
        Ok(word) => *word == u64::from_ne_bytes(*tag),
        Err(_) => head == tag,
    }
}
