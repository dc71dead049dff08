//! Turning transaction errors back into the program's [`MarginError`].

use crate::sdk::{instruction::InstructionError, transaction::TransactionError};
use margin_interface::error::MarginError;

/// The margin error inside a failed transaction, if the program returned one.
pub fn margin_error(error: &TransactionError) -> Option<MarginError> {
    match error {
        TransactionError::InstructionError(_, InstructionError::Custom(code)) => MarginError::from_code(*code),
        _ => None,
    }
}
