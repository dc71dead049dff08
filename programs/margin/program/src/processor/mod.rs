//! One file per instruction; helpers used by several live in `shared`.

pub mod accrue_interest;
pub mod apply_pool_config;
pub mod borrow;
pub mod close_margin_account;
pub mod collect_fees;
pub mod create_pool;
pub mod deleverage;
pub mod deposit;
pub mod flash_begin;
pub mod flash_end;
pub mod health;
pub mod init_group;
pub mod liquidate;
pub mod open_margin_account;
pub mod repay;
pub mod resolve_bad_debt;
pub mod set_group_pause;
pub mod set_pool_status;
pub mod set_protection;
pub mod shared;
pub mod transfer_admin;
pub mod transfer_collateral;
pub mod update_pool_config;
pub mod withdraw;
