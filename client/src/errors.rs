//! Errors: the program's own ([`MarginError`], decoded from a failed transaction
//! by [`margin_error`]) and the client's ([`ClientError`]: what went wrong before
//! anything was sent).

use crate::sdk::{instruction::InstructionError, pubkey::Pubkey, transaction::TransactionError};
use margin_interface::{error::MarginError, state::LayoutError};
use solana_message::CompileError;
use solana_signer::SignerError;

/// The margin error inside a failed transaction, if the program returned one.
pub fn margin_error(error: &TransactionError) -> Option<MarginError> {
    match error {
        TransactionError::InstructionError(_, InstructionError::Custom(code)) => MarginError::from_code(*code),
        _ => None,
    }
}

/// What the client could not do: assemble or sign a transaction, find or decode
/// a fetched account, or compute what the program would (the program's rule is
/// then the [`ClientError::Program`] error it would fail with).
///
/// ```
/// use margin_client::{errors::ClientError, interface::error::MarginError, sdk::pubkey::Pubkey};
///
/// let error = ClientError::from(MarginError::InsufficientHealth);
/// assert_eq!(error.margin_error(), Some(MarginError::InsufficientHealth));
/// let missing = ClientError::MissingSigner(Pubkey::new_unique());
/// assert!(missing.to_string().starts_with("no signer given for"));
/// ```
#[derive(Debug, PartialEq)]
pub enum ClientError {
    /// The message needs this key's signature and no signer for it was given.
    MissingSigner(Pubkey),
    /// A signer failed (a wallet refused, a device was missing...).
    Signing(SignerError),
    /// The v0 message could not be compiled against the lookup tables (more
    /// than 256 accounts or table entries, or an account the instructions name
    /// twice inconsistently).
    Compile(CompileError),
    /// An account the computation reads is not among the fetched accounts.
    MissingAccount(Pubkey),
    /// A fetched account is not what it should be (wrong size or type tag).
    Decode {
        /// The account's address.
        address: Pubkey,
        /// What was wrong with its bytes.
        error: LayoutError,
    },
    /// The program's own rule: the instruction would fail with this error.
    Program(MarginError),
}

impl ClientError {
    /// The program's error, when that is what this is.
    pub fn margin_error(&self) -> Option<MarginError> {
        match self {
            Self::Program(error) => Some(*error),
            _ => None,
        }
    }
}

impl core::fmt::Display for ClientError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::MissingSigner(key) => write!(f, "no signer given for {key}, whose signature the message requires"),
            Self::Signing(error) => write!(f, "signing failed: {error}"),
            Self::Compile(error) => write!(f, "cannot compile the v0 message: {error}"),
            Self::MissingAccount(key) => write!(f, "account {key} was not fetched (or does not exist)"),
            Self::Decode { address, error } => write!(f, "account {address} cannot be decoded: {error:?}"),
            Self::Program(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Signing(error) => Some(error),
            Self::Compile(error) => Some(error),
            Self::Program(error) => Some(error),
            _ => None,
        }
    }
}

impl From<MarginError> for ClientError {
    fn from(error: MarginError) -> Self {
        Self::Program(error)
    }
}

impl From<SignerError> for ClientError {
    fn from(error: SignerError) -> Self {
        Self::Signing(error)
    }
}

impl From<CompileError> for ClientError {
    fn from(error: CompileError) -> Self {
        Self::Compile(error)
    }
}
