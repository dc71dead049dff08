//! Logic shared by sibling instructions.

pub mod accounts;
pub mod health;
pub mod isolation;
pub mod seizure;
pub mod token;
pub mod user;

pub use crate::sysvar::unix_timestamp as now;
