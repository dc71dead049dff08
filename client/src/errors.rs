//! Turning transaction errors back into the program's [`MarginError`].

use margin_interface::error::MarginError;
use solana_sdk::{instruction::InstructionError, transaction::TransactionError};

/// The margin error inside a failed transaction, if the program returned one.
pub fn margin_error(error: &TransactionError) -> Option<MarginError> {
    match error {
        TransactionError::InstructionError(_, InstructionError::Custom(code)) => MarginError::from_code(*code),
        _ => None,
    }
}
